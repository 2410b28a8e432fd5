// The only module that talks to Tauri. Everything else gets typed functions.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AppSnapshot } from '../bindings/AppSnapshot';
import type { Change } from '../bindings/Change';
import type { ErrorInfo } from '../bindings/ErrorInfo';
import type { LimaConnection } from '../bindings/LimaConnection';
import type { Operation } from '../bindings/Operation';
import type { Plan } from '../bindings/Plan';
import type { MountProposal } from '../bindings/MountProposal';
import type { InstanceFlakes } from '../bindings/InstanceFlakes';
import type { OpenedShell } from '../bindings/OpenedShell';
import type { TerminalSettings } from '../bindings/TerminalSettings';
import type { Diagnosis } from '../bindings/Diagnosis';
import type { NewVmRequest } from '../bindings/NewVmRequest';
import type { CreateProgress } from '../bindings/CreateProgress';
import type { LogLine } from '../bindings/LogLine';
import type { LogBatch } from '../bindings/LogBatch';
import type { SettingsView } from '../bindings/SettingsView';
import type { SettingsUpdate } from '../bindings/SettingsUpdate';

export const snapshot = (): Promise<AppSnapshot> => invoke('snapshot');

export const runOperation = (name: string, operation: Operation): Promise<void> =>
  invoke('run_operation', { name, operation });

export const limactlCommand = (name: string, operation: Operation): Promise<string> =>
  invoke('limactl_command', { name, operation });

export const hidePopover = (): Promise<void> => invoke('hide_popover');

export const setPinned = (pinned: boolean): Promise<void> => invoke('set_pinned', { pinned });

/** Looks for Lima again (after installing it); the outcome arrives through `onLima`. */
export const reconnect = (): Promise<void> => invoke('reconnect');

export const onChange = (f: (c: Change) => void): Promise<UnlistenFn> =>
  listen<Change>('limabar://change', (e) => f(e.payload));

export const onLima = (f: (l: LimaConnection) => void): Promise<UnlistenFn> =>
  listen<LimaConnection>('limabar://lima', (e) => f(e.payload));

export const onPopover = (f: (visible: boolean) => void): Promise<UnlistenFn> =>
  listen<boolean>('limabar://popover', (e) => f(e.payload));

/** Errors from commands are `{code, message, hint}`; anything else is wrapped. */
export function asErrorInfo(e: unknown): ErrorInfo {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return e as ErrorInfo;
  return { code: 'failed', message: String(e), hint: null };
}

/** Plans sharing `paths` and keeps the plan as the instance's pending change; a stopped
 *  VM is edited at once (`applied`), a running one waits for "Restart to apply". */
export const shareFolders = (name: string, paths: string[], writable: boolean, confirmed: boolean): Promise<MountProposal> =>
  invoke('share_folders', { name, paths, writable, confirmed });

/** Re-plans the pending change and applies it; with nothing left to change it is
 *  discarded (`applied` false, an empty plan). */
export const applyPendingMounts = (name: string, confirmed: boolean): Promise<MountProposal> =>
  invoke('apply_pending_mounts', { name, confirmed });

/** The exact limactl lines of the pending change. */
export const pendingMountCommands = (name: string): Promise<string[]> => invoke('pending_mount_commands', { name });

export const discardPendingMounts = (name: string): Promise<void> => invoke('discard_pending_mounts', { name });

export const removeMount = (name: string, mountPoint: string): Promise<Plan> => invoke('remove_mount', { name, mountPoint });

/** Folders dragged over the popover; x/y are physical pixels in the webview. */
export type DragEvent =
  | { kind: 'enter'; paths: string[]; x: number; y: number }
  | { kind: 'over'; x: number; y: number }
  | { kind: 'drop'; paths: string[]; x: number; y: number }
  | { kind: 'leave' };

export const onDrag = (f: (d: DragEvent) => void): Promise<UnlistenFn> => listen<DragEvent>('limabar://drag', (e) => f(e.payload));

/** The native folder picker ("Add folder…"); [] if cancelled. */
export const pickFolders = (): Promise<string[]> => invoke('pick_folders');

export const flakes = (name: string): Promise<InstanceFlakes> => invoke('flakes', { name });

export const onFlakes = (f: (flakes: InstanceFlakes) => void): Promise<UnlistenFn> =>
  listen<InstanceFlakes>('limabar://flakes', (e) => f(e.payload));

/** Opens the user's terminal in `nix develop` (starting the VM first if it is stopped). */
export const openDevShell = (name: string, dir: string, shell: string): Promise<OpenedShell> =>
  invoke('open_dev_shell', { name, dir, shell });

/** The `limactl shell … nix develop .#SHELL` line for the user's own terminal. */
export const devShellCommand = (name: string, dir: string, shell: string): Promise<string> =>
  invoke('dev_shell_command', { name, dir, shell });

export const terminals = (): Promise<TerminalSettings> => invoke('terminals');

export const setTerminal = (id: string): Promise<void> => invoke('set_terminal', { id });

/** "Open flake…": one folder from the native chooser, or null if cancelled. */
export const pickFlakeFolder = (): Promise<string | null> => invoke('pick_flake_folder');

/** The doctor's findings for an instance, and why its last start failed (if it did). */
export const diagnosis = (name: string): Promise<Diagnosis> => invoke('diagnosis', { name });

export const onDiagnosis = (f: (d: Diagnosis) => void): Promise<UnlistenFn> =>
  listen<Diagnosis>('limabar://diagnosis', (e) => f(e.payload));

/** Applies a finding's safe fix (`limactl edit --set`) on a stopped instance. */
export const applyFix = (name: string, id: string): Promise<void> => invoke('apply_fix', { name, id });

/** Creates a NixOS VM from Limabar's template, then starts it; stages arrive as events. */
export const createVm = (request: NewVmRequest): Promise<void> => invoke('create_vm', { request });

/** The lima.yaml the New VM form would create. */
export const newVmYaml = (request: NewVmRequest): Promise<string> => invoke('new_vm_yaml', { request });

export const onCreate = (f: (p: CreateProgress) => void): Promise<UnlistenFn> =>
  listen<CreateProgress>('limabar://create', (e) => f(e.payload));

/** Opens an instance's logs: the recent window now, new lines as `limabar://logs`. */
export const openLogs = (name: string): Promise<LogLine[]> => invoke('open_logs', { name });

export const closeLogs = (): Promise<void> => invoke('close_logs');

export const onLogs = (f: (b: LogBatch) => void): Promise<UnlistenFn> =>
  listen<LogBatch>('limabar://logs', (e) => f(e.payload));

/** Versions, the instance, its lima.yaml, the doctor and the last log lines, home as `~`. */
export const diagnostics = (name: string): Promise<string> => invoke('diagnostics', { name });

/** Deletes a stopped instance and its disk (the popover confirms first). */
export const deleteVm = (name: string): Promise<void> => invoke('delete_vm', { name });

export const getSettings = (): Promise<SettingsView> => invoke('get_settings');

export const saveSettings = (update: SettingsUpdate): Promise<void> => invoke('save_settings', { update });
