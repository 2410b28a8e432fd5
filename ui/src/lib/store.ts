// The UI's model is a projection of the backend: a snapshot, then changes applied by a
// pure reducer (tested in store.test.ts).
import type { Change } from '../bindings/Change';
import type { ErrorInfo } from '../bindings/ErrorInfo';
import type { InstanceView } from '../bindings/InstanceView';
import type { LimaConnection } from '../bindings/LimaConnection';
import type { MountStatus } from '../bindings/MountStatus';
import type { Plan } from '../bindings/Plan';

/** A mount change the backend holds for an instance until it is applied or discarded. */
export interface PendingMounts {
  plan: Plan;
  /** The user already agreed to a broad folder (or asked for this exact one). */
  confirmed: boolean;
  /** "Later": left for the next restart. The backend does not know; the UI does. */
  deferred: boolean;
}

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

/** The pending changes the backend reports, keeping what only the UI knows ("Later"). */
export function seedPending(held: { [name in string]?: Plan }, current: Record<string, PendingMounts>): Record<string, PendingMounts> {
  const next: Record<string, PendingMounts> = {};
  for (const [name, plan] of Object.entries(held)) {
    if (!plan) continue;
    const was = current[name];
    next[name] = { plan, confirmed: was?.confirmed ?? false, deferred: was?.deferred ?? false };
  }
  return next;
}

/** Nothing to add or flip: applying it would change nothing. */
export const changesNothing = (plan: Plan): boolean => plan.added.length + plan.toggled.length === 0;
