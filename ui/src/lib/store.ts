// The UI's model is a projection of the backend: a snapshot, then everything it pushes
// (changes, Lima's connection, flakes, diagnoses, creations, drags) and what came back
// from the UI's own requests, applied by a pure reducer (tested in store.test.ts).
import type { AppSnapshot } from '../bindings/AppSnapshot';
import type { Change } from '../bindings/Change';
import type { CreateProgress } from '../bindings/CreateProgress';
import type { Diagnosis } from '../bindings/Diagnosis';
import type { DragPayload } from '../bindings/DragPayload';
import type { ErrorInfo } from '../bindings/ErrorInfo';
import type { InstanceFlakes } from '../bindings/InstanceFlakes';
import type { InstanceView } from '../bindings/InstanceView';
import type { LimaConnection } from '../bindings/LimaConnection';
import type { MountProposal } from '../bindings/MountProposal';
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

/** A creation under way, with when it began on this clock, so the elapsed time ticks
 *  between Lima's stage lines. */
export interface Creating extends CreateProgress {
  since: number;
}

/** Folders dragged over the popover, and the instance they would go to. */
export interface Drag {
  paths: string[];
  target: string | null;
}

export interface Model {
  lima: LimaConnection;
  instances: InstanceView[];
  /** The popover can be seen (the clock ticks only then). */
  visible: boolean;
  /** The last error per instance (a refused or failed operation), until the next one. */
  errors: Record<string, ErrorInfo>;
  /** The last in-guest check of each instance's mounts, by instance name. */
  mountChecks: Record<string, MountStatus[]>;
  /** Each instance's mount change held by the backend until applied or discarded. */
  pending: Record<string, PendingMounts>;
  /** How many mount operations have ended, per instance. */
  mountsEnded: Record<string, number>;
  /** Each instance's flakes and dev shells, as the backend last pushed them. */
  flakes: Record<string, InstanceFlakes>;
  /** Each instance's doctor findings and failure explanation. */
  diagnoses: Record<string, Diagnosis>;
  /** Creations under way, by name, until Lima reports the VM created. */
  creating: Record<string, Creating>;
  /** A creation that failed after the form closed. */
  createError: ErrorInfo | null;
  drag: Drag | null;
}

export const initialModel: Model = {
  lima: { kind: 'connecting' },
  instances: [],
  visible: false,
  errors: {},
  mountChecks: {},
  pending: {},
  mountsEnded: {},
  flakes: {},
  diagnoses: {},
  creating: {},
  createError: null,
  drag: null,
};

export type Action =
  /** The backend's state, on start and after Lima is found (again). */
  | { type: 'snapshot'; snapshot: AppSnapshot }
  | { type: 'change'; change: Change }
  | { type: 'lima'; lima: LimaConnection }
  | { type: 'popover'; visible: boolean }
  | { type: 'flakes'; flakes: InstanceFlakes }
  | { type: 'diagnosis'; diagnosis: Diagnosis }
  /** A stage line of a creation; `now` is this clock when it arrived. */
  | { type: 'create'; progress: CreateProgress; now: number }
  /** The user asked for a VM: shown as created at once, until Lima says more. */
  | { type: 'createStarted'; name: string; now: number }
  | { type: 'createFailed'; name: string; error: ErrorInfo }
  | { type: 'createErrorDismissed' }
  /** What share_folders answered; `ended` is `mountsEnded[name]` when it was asked. */
  | { type: 'shared'; name: string; proposal: MountProposal; confirmed: boolean; ended: number }
  /** What apply_pending_mounts answered, asked like `shared`. */
  | { type: 'pendingApplied'; name: string; proposal: MountProposal; confirmed: boolean; ended: number }
  | { type: 'pendingDeferred'; name: string }
  | { type: 'pendingDiscarded'; name: string }
  /** A drag event, with the instance under it (the reducer does no hit testing). */
  | { type: 'drag'; drag: DragPayload; target: string | null }
  | { type: 'error'; name: string; error: ErrorInfo | null };

function upsert(list: InstanceView[], v: InstanceView): InstanceView[] {
  const i = list.findIndex((x) => x.name === v.name);
  if (i === -1) return [...list, v].sort((a, b) => a.name.localeCompare(b.name));
  const next = list.slice();
  next[i] = v;
  return next;
}

function without<T>(record: Record<string, T>, name: string): Record<string, T> {
  if (!(name in record)) return record;
  const { [name]: _gone, ...rest } = record;
  return rest;
}

export function reduce(model: Model, action: Action): Model {
  switch (action.type) {
    case 'snapshot': {
      const s = action.snapshot;
      return { ...model, lima: s.lima, instances: s.instances, visible: s.popoverVisible, pending: seedPending(s.pendingMounts, model.pending) };
    }
    case 'change':
      return apply(model, action.change);
    case 'lima':
      return { ...model, lima: action.lima };
    case 'popover':
      return { ...model, visible: action.visible };
    case 'flakes':
      return { ...model, flakes: { ...model.flakes, [action.flakes.name]: action.flakes } };
    case 'diagnosis':
      return { ...model, diagnoses: { ...model.diagnoses, [action.diagnosis.name]: action.diagnosis } };
    case 'create': {
      const p = action.progress;
      if (p.stage === 'created') return { ...model, creating: without(model.creating, p.name) };
      const since = model.creating[p.name]?.since ?? action.now - p.secs * 1000;
      return { ...model, creating: { ...model.creating, [p.name]: { ...p, since } } };
    }
    case 'createStarted': {
      const started: Creating = { name: action.name, stage: 'checking', label: 'checking the configuration', secs: 0, since: action.now };
      return { ...model, createError: null, creating: { ...model.creating, [action.name]: started } };
    }
    case 'createFailed':
      return { ...model, createError: action.error, creating: without(model.creating, action.name) };
    case 'createErrorDismissed':
      return { ...model, createError: null };
    case 'shared':
    case 'pendingApplied': {
      const { name, proposal, confirmed } = action;
      const was = model.pending[name];
      // Already applied and over before the answer came back: nothing is pending.
      const over = proposal.applied && (model.mountsEnded[name] ?? 0) !== action.ended;
      // Applying found nothing left to change: the backend has let go of it.
      const lettingGo = action.type === 'pendingApplied' && !proposal.applied && changesNothing(proposal.plan) && proposal.plan.errors.length === 0;
      if (over || lettingGo || (action.type === 'pendingApplied' && !was)) return { ...model, pending: without(model.pending, name) };
      const next: PendingMounts = { plan: proposal.plan, confirmed, deferred: action.type === 'pendingApplied' ? was!.deferred : false };
      return { ...model, pending: { ...model.pending, [name]: next } };
    }
    case 'pendingDeferred': {
      const p = model.pending[action.name];
      return p ? { ...model, pending: { ...model.pending, [action.name]: { ...p, deferred: true } } } : model;
    }
    case 'pendingDiscarded':
      return { ...model, pending: without(model.pending, action.name) };
    case 'drag': {
      const d = action.drag;
      if (d.kind === 'enter') return { ...model, drag: { paths: d.paths, target: action.target } };
      if (d.kind === 'over') return model.drag ? { ...model, drag: { ...model.drag, target: action.target } } : model;
      return { ...model, drag: null };
    }
    case 'error':
      return withError(model, action.name, action.error);
  }
}

/** One change the backend pushed. */
export function apply(model: Model, change: Change): Model {
  switch (change.type) {
    case 'upserted':
      return { ...model, instances: upsert(model.instances, change.instance) };
    case 'removed': {
      const name = change.name;
      return {
        ...model,
        instances: model.instances.filter((v) => v.name !== name),
        errors: without(model.errors, name),
        mountChecks: without(model.mountChecks, name),
        pending: without(model.pending, name),
        flakes: without(model.flakes, name),
        diagnoses: without(model.diagnoses, name),
      };
    }
    case 'operationEnded': {
      const m = withError(model, change.name, change.error);
      if (change.operation !== 'mounts') return m;
      // The pending change was applied (or failed, which the error says).
      return {
        ...m,
        pending: without(m.pending, change.name),
        mountsEnded: { ...m.mountsEnded, [change.name]: (m.mountsEnded[change.name] ?? 0) + 1 },
      };
    }
    case 'mountsChecked':
      return { ...model, mountChecks: { ...model.mountChecks, [change.name]: change.checks } };
    case 'stateChanged':
    case 'warning':
      return model;
  }
}

export function withError(model: Model, name: string, error: ErrorInfo | null): Model {
  if (!error && !(name in model.errors)) return model;
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
