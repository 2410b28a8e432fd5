import type { InstanceView } from '../bindings/InstanceView';
import type { VmState } from '../bindings/VmState';

export function view(name: string, state: VmState = { kind: 'stopped' }, extra: Partial<InstanceView> = {}): InstanceView {
  return {
    name,
    state,
    operation: null,
    bootEstimateSecs: null,
    status: state.kind === 'stopped' ? 'Stopped' : 'Running',
    dir: `/home/u/.lima/${name}`,
    vmType: 'vz',
    arch: 'aarch64',
    cpus: 4,
    memory: 8 * 2 ** 30,
    disk: 20 * 2 ** 30,
    sshLocalPort: null,
    errors: [],
    mounts: [],
    guestHome: '/home/u.guest',
    protected: false,
    limaVersion: '2.2.0',
    ports: [],
    ...extra,
  };
}
