// What the view components can ask for. App.svelte implements these with ipc; the
// components only show what they are given and call back. A returned promise rejects
// with the UI's ErrorInfo (ipc turns every failure into one).
import type { LogLine } from '../bindings/LogLine';
import type { NewVmRequest } from '../bindings/NewVmRequest';
import type { OpenedShell } from '../bindings/OpenedShell';
import type { OpenedEditor } from '../bindings/OpenedEditor';
import type { SshConfigResult } from '../bindings/SshConfigResult';
import type { EnvrcAdded } from '../bindings/EnvrcAdded';
import type { MemoryView } from '../bindings/MemoryView';
import type { Operation } from '../bindings/Operation';
import type { SettingsUpdate } from '../bindings/SettingsUpdate';
import type { SettingsView } from '../bindings/SettingsView';
import type { CliLink } from '../bindings/CliLink';
import type { UpdateView } from '../bindings/UpdateView';

/** An instance's shared folders and its pending change. */
export interface MountActions {
  /** Applies the pending change ("Restart to apply", "Apply", "Mount anyway"). */
  apply(confirmed: boolean): void;
  /** "Later": leaves it for the next restart. */
  later(): void;
  discard(): void;
  remove(mountPoint: string): void;
  toggle(mountPoint: string, writable: boolean): void;
  /** The limactl lines of the pending change. */
  commands(): Promise<string[]>;
  /** Opens a shared folder in the user's editor, inside the VM over SSH. */
  openInEditor(mountPoint: string): Promise<OpenedEditor>;
  /** The editor folders open in, or null when none is installed. */
  editor: string | null;
}

/** The dev shells of an instance's flakes. */
export interface ShellActions {
  open(dir: string, shell: string): Promise<OpenedShell>;
  /** The `limactl shell … nix develop` line for the user's own terminal. */
  command(dir: string, shell: string): Promise<string>;
  /** "Open flake…": a folder from the native chooser, or null if cancelled. */
  pickFolder(): Promise<string | null>;
  /** Shares `dir` like a drop; true once its mount change has been applied, false if
   *  that failed or the change was discarded. */
  mount(dir: string): Promise<boolean>;
  /** Opens `dir` in the user's editor over SSH; the editor's name, or null if none. */
  openInEditor(dir: string): Promise<OpenedEditor>;
  editor: string | null;
  /** Adds Lima's VMs to ~/.ssh/config (the offer after opening, when they are missing). */
  addSshHosts(): Promise<SshConfigResult>;
  /** Adds `.envrc` (`use flake`) to a flake folder that has none; the flakes are
   *  listed again. */
  addEnvrc(dir: string): Promise<EnvrcAdded>;
}

export interface DoctorActions {
  /** Applies a finding's safe fix, then the diagnosis is asked again. */
  fix(id: string): Promise<void>;
  /** Looks inside the running guest again; the new diagnosis is pushed. */
  checkGuest(): Promise<void>;
}

export interface LogActions {
  /** Shows or hides the log view (one at a time; remembered with the page). */
  toggle(): void;
  /** Starts following the logs: the recent window, then new lines. Returns the stop. */
  open(onLines: (lines: LogLine[]) => void): () => void;
  /** The diagnostics report, for the clipboard. */
  diagnostics(): Promise<string>;
}

export interface PortActions {
  /** The host ports that answer HTTP, of the forwards listed now. */
  httpPorts(): Promise<number[]>;
  /** Opens http://localhost:PORT/ in the browser. */
  open(port: number): Promise<void>;
}

/** Everything an instance row can do. */
export interface RowActions {
  run(op: Operation): void;
  /** The limactl command of an action, or null (the row's error says why). */
  command(op: Operation): Promise<string | null>;
  /** "Add folder…": the native picker, then shared like a drop. */
  addFolder(): void;
  delete(): Promise<void>;
  mounts: MountActions;
  ports: PortActions;
  /** Its memory now (held here, used in the guest); asked when shown. */
  memory(): Promise<MemoryView>;
  shells: ShellActions;
  doctor: DoctorActions;
  logs: LogActions;
}

export interface NewVmActions {
  /** The native folder picker; [] if cancelled. */
  pickFolders(): Promise<string[]>;
  setFolders(folders: string[]): void;
  /** The fields as the user changes them, kept while the page may be released. */
  setDraft(draft: { name: string; cpus: number; memoryGib: number; diskGib: number }): void;
  /** The lima.yaml the form would create (also how a bad request is refused early). */
  yaml(request: NewVmRequest): Promise<string>;
  create(request: NewVmRequest): void;
  close(): void;
}

export interface SettingsActions {
  load(): Promise<SettingsView>;
  save(update: SettingsUpdate): Promise<void>;
  /** Links the bundled `limabar` command into PATH; says where. */
  installCli(): Promise<CliLink>;
  /** Signed updates: the status now, a check, the install (which restarts the app). */
  updateStatus(): Promise<UpdateView>;
  checkForUpdates(): Promise<UpdateView>;
  installUpdate(): Promise<UpdateView>;
  /** Follows the status as the backend pushes it (a check from the tray, the daily one). */
  onUpdate(handler: (u: UpdateView) => void): Promise<() => void>;
  /** Remembers the editor folders open in (the popover's buttons follow). */
  chooseEditor(id: string): Promise<void>;
  /** Lima's VMs as ssh hosts in ~/.ssh/config (what editors connect through). */
  sshConfig(install: boolean): Promise<SshConfigResult>;
  chooseTerminal(id: string): void;
  close(): void;
}
