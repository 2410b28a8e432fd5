// The UI's model is a projection of the backend: a snapshot, then changes applied by a
// pure reducer (tested in store.test.ts).
import type { Change } from '../bindings/Change';
import type { ErrorInfo } from '../bindings/ErrorInfo';
import type { InstanceView } from '../bindings/InstanceView';
import type { LimaConnection } from '../bindings/LimaConnection';
import type { MountStatus } from '../bindings/MountStatus';

export interface Model {
  lima: LimaConnection;
  instances: InstanceView[];
  /** The last error per instance (a refused or failed operation), until the next one. */
  errors: Record<string, ErrorInfo>;
  /** The last in-guest check of each instance's mounts, by instance name. */
  mountChecks: Record<string, MountStatus[]>;
}

export const initialModel: Model = { lima: { kind: 'connecting' }, instances: [], errors: {}, mountChecks: {} };

function upsert(list: InstanceView[], v: InstanceView): InstanceView[] {
  const i = list.findIndex((x) => x.name === v.name);
  if (i === -1) return [...list, v].sort((a, b) => a.name.localeCompare(b.name));
  const next = list.slice();
  next[i] = v;
  return next;
}

export function apply(model: Model, change: Change): Model {
  switch (change.type) {
    case 'upserted':
      return { ...model, instances: upsert(model.instances, change.instance) };
    case 'removed': {
      const errors = { ...model.errors };
      delete errors[change.name];
      return { ...model, instances: model.instances.filter((v) => v.name !== change.name), errors };
    }
    case 'operationEnded':
      return withError(model, change.name, change.error);
    case 'mountsChecked':
      return { ...model, mountChecks: { ...model.mountChecks, [change.name]: change.checks } };
    case 'stateChanged':
    case 'warning':
      return model;
  }
}

export function withError(model: Model, name: string, error: ErrorInfo | null): Model {
  const errors = { ...model.errors };
  if (error) errors[name] = error;
  else delete errors[name];
  return { ...model, errors };
}
