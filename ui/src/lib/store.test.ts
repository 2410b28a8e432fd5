import { describe, expect, it } from 'vitest';
import { apply, initialModel, seedPending, withError, type Model } from './store';
import { view } from './fixtures';

const base: Model = { ...initialModel, instances: [view('nixos'), view('zeta')] };

describe('apply', () => {
  it('upserts in name order and replaces existing rows', () => {
    let m = apply(base, { type: 'upserted', instance: view('alpha') });
    expect(m.instances.map((v) => v.name)).toEqual(['alpha', 'nixos', 'zeta']);
    m = apply(m, { type: 'upserted', instance: view('nixos', { kind: 'starting', phase: 'user session', since: 1 }) });
    expect(m.instances.find((v) => v.name === 'nixos')!.state).toEqual({ kind: 'starting', phase: 'user session', since: 1 });
    expect(m.instances).toHaveLength(3);
  });

  it('removes rows and their errors', () => {
    const withErr = withError(base, 'nixos', { code: 'busy', message: 'busy', hint: null });
    const m = apply(withErr, { type: 'removed', name: 'nixos' });
    expect(m.instances.map((v) => v.name)).toEqual(['zeta']);
    expect(m.errors).toEqual({});
  });

  it('keeps the error of a failed operation and clears it on success', () => {
    const err = { code: 'failed' as const, message: '`limactl start nixos` failed: exiting', hint: null };
    let m = apply(base, { type: 'operationEnded', name: 'nixos', operation: 'start', error: err });
    expect(m.errors.nixos).toEqual(err);
    m = apply(m, { type: 'operationEnded', name: 'nixos', operation: 'start', error: null });
    expect(m.errors.nixos).toBeUndefined();
  });

  it('keeps the latest mount checks per instance', () => {
    const checks = [{ mountPoint: '/Users/me/app', check: { status: 'verified' as const }, explanation: 'ok' }];
    const m = apply(base, { type: 'mountsChecked', name: 'nixos', checks });
    expect(m.mountChecks.nixos).toEqual(checks);
  });

  it('does not change the model for state-change and warning notices', () => {
    const from = { kind: 'stopped' as const };
    expect(apply(base, { type: 'stateChanged', name: 'nixos', from, to: from, byLimabar: false })).toBe(base);
    expect(apply(base, { type: 'warning', instance: null, message: 'x' })).toBe(base);
  });
});

describe('seedPending', () => {
  const plan = (mountPoint: string) => {
    const m = { location: mountPoint, mountPoint, writable: true };
    return { mounts: [m], added: [m], toggled: [], removed: [], notes: [], errors: [] };
  };

  it('takes the backend\'s pending changes and keeps what only the UI knows', () => {
    const current = { web: { plan: plan('/a'), confirmed: true, deferred: true }, gone: { plan: plan('/b'), confirmed: false, deferred: false } };
    const next = seedPending({ web: plan('/c'), nixos: plan('/d') }, current);
    expect(next).toEqual({
      web: { plan: plan('/c'), confirmed: true, deferred: true },
      nixos: { plan: plan('/d'), confirmed: false, deferred: false },
    });
  });
});
