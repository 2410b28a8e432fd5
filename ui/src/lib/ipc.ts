// The only module that talks to Tauri. Everything else gets typed functions: each
// rejects with the UI's ErrorInfo, whatever the backend or the bridge threw.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { EVENTS, type EventPayloads } from '../bindings/events';
import type { ErrorInfo } from '../bindings/ErrorInfo';
import type { NewVmRequest } from '../bindings/NewVmRequest';
import type { Operation } from '../bindings/Operation';
import type { SettingsUpdate } from '../bindings/SettingsUpdate';
import type { ArgsOf, Command, ResultOf } from './commands';

/** Errors from commands are `{code, message, hint}`; anything else is wrapped. */
function toErrorInfo(e: unknown): ErrorInfo {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const { code, message, hint } = e as { code: ErrorInfo['code']; message: unknown; hint?: unknown };
    return { code, message: String(message), hint: typeof hint === 'string' ? hint : null };
  }
  return { code: 'failed', message: e instanceof Error ? e.message : String(e), hint: null };
}

async function call<K extends Command>(cmd: K, ...args: ArgsOf<K> extends void ? [] : [ArgsOf<K>]): Promise<ResultOf<K>> {
  try {
    return await invoke<ResultOf<K>>(cmd, args[0] as InvokeArgs | undefined);
  } catch (e) {
    throw toErrorInfo(e);
  }
}

export type Unlisten = () => void;

/** Subscribes to one of the events the backend pushes, typed by its name. */
export function on<K extends keyof EventPayloads>(event: K, handler: (payload: EventPayloads[K]) => void): Promise<Unlisten> {
  return listen<EventPayloads[K]>(EVENTS[event], (e) => handler(e.payload));
}

export const snapshot = () => call('snapshot');

export const runOperation = (name: string, operation: Operation) => call('run_operation', { name, operation });

export const limactlCommand = (name: string, operation: Operation) => call('limactl_command', { name, operation });

export const hidePopover = () => call('hide_popover');

/** The page has painted its first snapshot: a popover being opened may be shown. */
export const pageReady = () => call('page_ready');

/** Keeps what the page would lose with its webview (see lib/memory.ts). */
export const rememberUi = (memory: unknown) => call('remember_ui', { memory });

export const setPinned = (pinned: boolean) => call('set_pinned', { pinned });

/** Looks for Lima again (after installing it); the outcome arrives as a `lima` event. */
export const reconnect = () => call('reconnect');

/** Plans sharing `paths` and keeps the plan as the instance's pending change; a stopped
 *  VM is edited at once (`applied`), a running one waits for "Restart to apply". */
export const shareFolders = (name: string, paths: string[], writable: boolean, confirmed: boolean) =>
  call('share_folders', { name, paths, writable, confirmed });

/** Re-plans the pending change and applies it; with nothing left to change it is
 *  discarded (`applied` false, an empty plan). */
export const applyPendingMounts = (name: string, confirmed: boolean) => call('apply_pending_mounts', { name, confirmed });

/** The exact limactl lines of the pending change. */
export const pendingMountCommands = (name: string) => call('pending_mount_commands', { name });

export const discardPendingMounts = (name: string) => call('discard_pending_mounts', { name });

export const removeMount = (name: string, mountPoint: string) => call('remove_mount', { name, mountPoint });

/** The native folder picker ("Add folder…"); [] if cancelled. */
export const pickFolders = () => call('pick_folders');

export const flakes = (name: string) => call('flakes', { name });

/** Opens the user's terminal in `nix develop` (starting the VM first if it is stopped). */
export const openDevShell = (name: string, dir: string, shell: string) => call('open_dev_shell', { name, dir, shell });

/** The `limactl shell … nix develop .#SHELL` line for the user's own terminal. */
export const devShellCommand = (name: string, dir: string, shell: string) => call('dev_shell_command', { name, dir, shell });

export const terminals = () => call('terminals');

export const setTerminal = (id: string) => call('set_terminal', { id });

/** "Open flake…": one folder from the native chooser, or null if cancelled. */
export const pickFlakeFolder = () => call('pick_flake_folder');

/** The doctor's findings for an instance, and why its last start failed (if it did). */
export const diagnosis = (name: string) => call('diagnosis', { name });

/** Applies a finding's safe fix (`limactl edit --set`) on a stopped instance. */
export const applyFix = (name: string, id: string) => call('apply_fix', { name, id });

/** "Add .envrc": `use flake` in a flake folder that has none (never replaces one). */
export const addEnvrc = (name: string, dir: string) => call('add_envrc', { name, dir });

/** The host ports of a VM's forwards that answer HTTP. */
export const httpPorts = (name: string) => call('http_ports', { name });

/** Opens http://localhost:PORT/ in the browser. */
export const openPort = (name: string, port: number) => call('open_port', { name, port });

/** A running VM's memory (its guest is asked): held here, used there, returnable. */
export const memory = (name: string) => call('memory', { name });

/** "Check again": the doctor looks inside the running guest now. */
export const checkGuest = (name: string) => call('check_guest', { name });

/** Creates a NixOS VM from Limabar's template, then starts it; stages arrive as events. */
export const createVm = (request: NewVmRequest) => call('create_vm', { request });

/** The lima.yaml the New VM form would create. */
export const newVmYaml = (request: NewVmRequest) => call('new_vm_yaml', { request });

/** Opens an instance's logs: the recent window now, new lines as `logs` events. */
export const openLogs = (name: string) => call('open_logs', { name });

export const closeLogs = () => call('close_logs');

/** Versions, the instance, its lima.yaml, the doctor and the last log lines, home as `~`. */
export const diagnostics = (name: string) => call('diagnostics', { name });

/** Deletes a stopped instance and its disk (the popover confirms first). */
export const deleteVm = (name: string) => call('delete_vm', { name });

export const getSettings = () => call('get_settings');

/** "Install command-line tool": links the bundled `limabar` into PATH. */
export const installCli = () => call('install_cli');

/** Opens `dir` of `name` in the user's editor over SSH (host lima-NAME). */
export const openInEditor = (name: string, dir: string) => call('open_in_editor', { name, dir });

export const editors = () => call('editors');

export const setEditor = (id: string) => call('set_editor', { id });

/** Adds (`install`) or removes Lima's ssh hosts in ~/.ssh/config. */
export const sshConfig = (install: boolean) => call('ssh_config', { install });

/** This build's version and where its update stands. */
export const updateStatus = () => call('update_status');

/** Asks the update endpoint; the answer also arrives as an `update` event. */
export const checkForUpdates = () => call('check_for_updates');

/** Verifies, installs and restarts into the update found; or says why not. */
export const installUpdate = () => call('install_update');

export const saveSettings = (update: SettingsUpdate) => call('save_settings', { update });
