import { describe, expect, it } from 'vitest';
import { apply, initialModel, reduce, seedPending, withError, type Model } from './store';
import { view } from './fixtures';
import type { InstanceFlakes } from '../bindings/InstanceFlakes';
import type { Plan } from '../bindings/Plan';

const base: Model = { ...initialModel, instances: [view('nixos'), view('zeta')] };

const plan = (mountPoint: string, extra: Partial<Plan> = {}): Plan => {
  const m = { location: mountPoint, mountPoint, writable: true };
  return { mounts: [m], added: [m], toggled: [], removed: [], notes: [], errors: [], ...extra };
};
const nothing: Plan = { mounts: [], added: [], toggled: [], removed: [], notes: [], errors: [] };
const flakes = (name: string): InstanceFlakes => ({ name, flakes: [], truncated: false });

describe('apply', () => {
  it('upserts in name order and replaces existing rows', () => {
    let m = apply(base, { type: 'upserted', instance: view('alpha') });
    expect(m.instances.map((v) => v.name)).toEqual(['alpha', 'nixos', 'zeta']);
    m = apply(m, { type: 'upserted', instance: view('nixos', { kind: 'starting', phase: 'user session', since: 1 }) });
    expect(m.instances.find((v) => v.name === 'nixos')!.state).toEqual({ kind: 'starting', phase: 'user session', since: 1 });
    expect(m.instances).toHaveLength(3);
  });

  it('removes rows and what was kept about them', () => {
    let m = withError(base, 'nixos', { code: 'busy', message: 'busy', hint: null });
    m = reduce(m, { type: 'flakes', flakes: flakes('nixos') });
    m = reduce(m, { type: 'shared', name: 'nixos', proposal: { plan: plan('/a'), applied: false }, confirmed: false, ended: 0 });
    m = apply(m, { type: 'removed', name: 'nixos' });
    expect(m.instances.map((v) => v.name)).toEqual(['zeta']);
    expect(m.errors).toEqual({});
    expect(m.flakes).toEqual({});
    expect(m.pending).toEqual({});
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

describe('reduce', () => {
  it('takes the snapshot: Lima, instances, visibility and pending changes', () => {
    const lima = { kind: 'failed' as const, error: { code: 'limactl-not-found' as const, message: 'no limactl', hint: null } };
    const m = reduce(initialModel, { type: 'snapshot', snapshot: { lima, instances: [view('web')], popoverVisible: true, pendingMounts: { web: plan('/a') }, uiMemory: null, pinned: false } });
    expect(m.lima).toEqual(lima);
    expect(m.instances.map((v) => v.name)).toEqual(['web']);
    expect(m.visible).toBe(true);
    expect(m.pending).toEqual({ web: { plan: plan('/a'), confirmed: false, deferred: false } });
  });

  it('follows Lima\'s connection and the popover\'s visibility', () => {
    const lima = { kind: 'connecting' as const };
    expect(reduce(base, { type: 'lima', lima }).lima).toBe(lima);
    expect(reduce(base, { type: 'popover', visible: true }).visible).toBe(true);
    expect(reduce(reduce(base, { type: 'popover', visible: true }), { type: 'popover', visible: false }).visible).toBe(false);
  });

  it('keeps the latest flakes and diagnosis per instance', () => {
    let m = reduce(base, { type: 'flakes', flakes: flakes('nixos') });
    m = reduce(m, { type: 'flakes', flakes: { ...flakes('nixos'), truncated: true } });
    m = reduce(m, { type: 'flakes', flakes: flakes('zeta') });
    expect(m.flakes.nixos.truncated).toBe(true);
    expect(Object.keys(m.flakes)).toEqual(['nixos', 'zeta']);
    const diagnosis = { name: 'zeta', findings: [], explanation: { id: 'start-timeout', cause: 'slow', fix: 'wait' } };
    m = reduce(m, { type: 'diagnosis', diagnosis });
    expect(m.diagnoses).toEqual({ zeta: diagnosis });
  });

  it('tracks a creation from the request to "created", ticking from when it began', () => {
    let m = reduce(base, { type: 'createStarted', name: 'dev', now: 1000 });
    expect(m.creating.dev).toMatchObject({ stage: 'checking', since: 1000 });
    m = reduce(m, { type: 'create', progress: { name: 'dev', stage: 'downloading', label: 'downloading the image', secs: 2 }, now: 5000 });
    // Still counted from the request, not from this line.
    expect(m.creating.dev).toEqual({ name: 'dev', stage: 'downloading', label: 'downloading the image', secs: 2, since: 1000 });
    // A creation first seen mid-way (the popover opened late) counts back from its seconds.
    m = reduce(m, { type: 'create', progress: { name: 'big', stage: 'converting', label: 'converting', secs: 3 }, now: 10_000 });
    expect(m.creating.big.since).toBe(7000);
    m = reduce(m, { type: 'create', progress: { name: 'dev', stage: 'created', label: 'created', secs: 9 }, now: 11_000 });
    expect(Object.keys(m.creating)).toEqual(['big']);
  });

  it('keeps a failed creation\'s error until dismissed or the next creation', () => {
    const error = { code: 'failed' as const, message: 'no disk space', hint: null };
    let m = reduce(reduce(base, { type: 'createStarted', name: 'dev', now: 0 }), { type: 'createFailed', name: 'dev', error });
    expect(m.creating).toEqual({});
    expect(m.createError).toEqual(error);
    expect(reduce(m, { type: 'createErrorDismissed' }).createError).toBeNull();
    m = reduce(m, { type: 'createStarted', name: 'dev2', now: 0 });
    expect(m.createError).toBeNull();
  });

  it('holds a shared folder as pending until its mounts operation ends', () => {
    let m = reduce(base, { type: 'shared', name: 'zeta', proposal: { plan: plan('/a'), applied: false }, confirmed: false, ended: 0 });
    expect(m.pending.zeta).toEqual({ plan: plan('/a'), confirmed: false, deferred: false });
    m = reduce(m, { type: 'pendingDeferred', name: 'zeta' });
    expect(m.pending.zeta.deferred).toBe(true);
    // Applying keeps "Later" and what was agreed.
    m = reduce(m, { type: 'pendingApplied', name: 'zeta', proposal: { plan: plan('/a'), applied: true }, confirmed: true, ended: 0 });
    expect(m.pending.zeta).toEqual({ plan: plan('/a'), confirmed: true, deferred: true });
    m = reduce(m, { type: 'change', change: { type: 'operationEnded', name: 'zeta', operation: 'mounts', error: null } });
    expect(m.pending).toEqual({});
    expect(m.mountsEnded.zeta).toBe(1);
  });

  it('shows nothing pending for an edit that ended before its answer arrived', () => {
    let m = reduce(base, { type: 'change', change: { type: 'operationEnded', name: 'nixos', operation: 'mounts', error: null } });
    m = reduce(m, { type: 'shared', name: 'nixos', proposal: { plan: plan('/a'), applied: true }, confirmed: false, ended: 0 });
    expect(m.pending).toEqual({});
    // Asked after that edit ended: shown until this one ends.
    m = reduce(m, { type: 'shared', name: 'nixos', proposal: { plan: plan('/b'), applied: true }, confirmed: false, ended: 1 });
    expect(m.pending.nixos.plan).toEqual(plan('/b'));
  });

  it('lets go of a pending change the backend found nothing left in, and of a discarded one', () => {
    let m = reduce(base, { type: 'shared', name: 'zeta', proposal: { plan: plan('/a'), applied: false }, confirmed: false, ended: 0 });
    m = reduce(m, { type: 'pendingApplied', name: 'zeta', proposal: { plan: nothing, applied: false }, confirmed: false, ended: 0 });
    expect(m.pending).toEqual({});
    // A refusal stays shown (Dismiss), also when applying finds it.
    const refused = { ...nothing, errors: [{ code: 'does-not-exist' as const, path: '/a' }] };
    m = reduce(m, { type: 'shared', name: 'zeta', proposal: { plan: refused, applied: false }, confirmed: false, ended: 0 });
    expect(m.pending.zeta.plan).toEqual(refused);
    m = reduce(m, { type: 'pendingApplied', name: 'zeta', proposal: { plan: refused, applied: false }, confirmed: false, ended: 0 });
    expect(m.pending.zeta.plan).toEqual(refused);
    m = reduce(m, { type: 'pendingDiscarded', name: 'zeta' });
    expect(m.pending).toEqual({});
  });

  it('follows a drag: its folders and the row under it, until dropped or gone', () => {
    let m = reduce(base, { type: 'drag', drag: { kind: 'enter', paths: ['/a', '/b'], x: 1, y: 2 }, target: null });
    expect(m.drag).toEqual({ paths: ['/a', '/b'], target: null });
    m = reduce(m, { type: 'drag', drag: { kind: 'over', x: 5, y: 6 }, target: 'zeta' });
    expect(m.drag).toEqual({ paths: ['/a', '/b'], target: 'zeta' });
    expect(reduce(m, { type: 'drag', drag: { kind: 'drop', paths: ['/a', '/b'], x: 5, y: 6 }, target: 'zeta' }).drag).toBeNull();
    expect(reduce(m, { type: 'drag', drag: { kind: 'leave' }, target: null }).drag).toBeNull();
    // Moving over the popover without an enter (it was missed) starts nothing.
    expect(reduce(base, { type: 'drag', drag: { kind: 'over', x: 1, y: 1 }, target: 'zeta' }).drag).toBeNull();
  });

  it('sets and clears an instance\'s error', () => {
    const error = { code: 'busy' as const, message: 'busy', hint: null };
    const m = reduce(base, { type: 'error', name: 'zeta', error });
    expect(m.errors).toEqual({ zeta: error });
    expect(reduce(m, { type: 'error', name: 'zeta', error: null }).errors).toEqual({});
  });
});

describe('seedPending', () => {
  it('takes the backend\'s pending changes and keeps what only the UI knows', () => {
    const current = { web: { plan: plan('/a'), confirmed: true, deferred: true }, gone: { plan: plan('/b'), confirmed: false, deferred: false } };
    const next = seedPending({ web: plan('/c'), nixos: plan('/d') }, current);
    expect(next).toEqual({
      web: { plan: plan('/c'), confirmed: true, deferred: true },
      nixos: { plan: plan('/d'), confirmed: false, deferred: false },
    });
  });
});
