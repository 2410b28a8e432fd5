// What the page keeps in Rust while its webview may be released (the popover's webview
// exists only while it is open, and a short while after): the New VM form being filled,
// the settings pane, the open log view, and the pending changes left for later. Given
// back with the snapshot when a new page loads; everything else comes from the backend.

/** The New VM form's fields, as far as the user got. */
export interface NewVmDraft {
  name?: string;
  cpus?: number;
  memoryGib?: number;
  diskGib?: number;
  folders: string[];
}

export interface UiMemory {
  newVm: NewVmDraft | null;
  settingsOpen: boolean;
  /** The instance whose log view is open. */
  logsOpen: string | null;
  /** Instances whose pending mount change the user left for later. */
  deferred: string[];
}

export const emptyMemory: UiMemory = { newVm: null, settingsOpen: false, logsOpen: null, deferred: [] };

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** The memory the backend gave back, or null when there is none (or it is not ours:
 *  an older page's shape is dropped rather than trusted). */
export function readMemory(v: unknown): UiMemory | null {
  if (!v || typeof v !== 'object') return null;
  const m = v as Record<string, unknown>;
  const draft = m.newVm as Record<string, unknown> | null | undefined;
  let newVm: NewVmDraft | null = null;
  if (draft && typeof draft === 'object' && Array.isArray(draft.folders)) {
    newVm = { folders: draft.folders.filter(isString) };
    if (isString(draft.name)) newVm.name = draft.name;
    if (isNumber(draft.cpus)) newVm.cpus = draft.cpus;
    if (isNumber(draft.memoryGib)) newVm.memoryGib = draft.memoryGib;
    if (isNumber(draft.diskGib)) newVm.diskGib = draft.diskGib;
  }
  return {
    newVm,
    settingsOpen: m.settingsOpen === true,
    logsOpen: isString(m.logsOpen) ? m.logsOpen : null,
    deferred: Array.isArray(m.deferred) ? m.deferred.filter(isString) : [],
  };
}
