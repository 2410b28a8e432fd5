// Every Tauri command the UI calls, by name: its arguments (camelCase, as `invoke` sends
// them) and what it returns, in the bindings' types. ipc.ts calls through this map and
// App.test.ts mocks against it, so a renamed command or field fails type checking.
import type { AppSnapshot } from '../bindings/AppSnapshot';
import type { CliLink } from '../bindings/CliLink';
import type { Diagnosis } from '../bindings/Diagnosis';
import type { InstanceFlakes } from '../bindings/InstanceFlakes';
import type { LogLine } from '../bindings/LogLine';
import type { MountProposal } from '../bindings/MountProposal';
import type { NewVmRequest } from '../bindings/NewVmRequest';
import type { OpenedShell } from '../bindings/OpenedShell';
import type { Operation } from '../bindings/Operation';
import type { Plan } from '../bindings/Plan';
import type { SettingsUpdate } from '../bindings/SettingsUpdate';
import type { SettingsView } from '../bindings/SettingsView';
import type { TerminalSettings } from '../bindings/TerminalSettings';
import type { UpdateView } from '../bindings/UpdateView';
import type { EditorSettings } from '../bindings/EditorSettings';
import type { OpenedEditor } from '../bindings/OpenedEditor';
import type { SshConfigResult } from '../bindings/SshConfigResult';
import type { EnvrcAdded } from '../bindings/EnvrcAdded';
import type { MemoryView } from '../bindings/MemoryView';

/** A command without arguments has `args: void`; one without a result `result: void`. */
export interface Commands {
  snapshot: { args: void; result: AppSnapshot };
  reconnect: { args: void; result: void };
  run_operation: { args: { name: string; operation: Operation }; result: void };
  limactl_command: { args: { name: string; operation: Operation }; result: string };
  hide_popover: { args: void; result: void };
  page_ready: { args: void; result: void };
  remember_ui: { args: { memory: unknown }; result: void };
  set_pinned: { args: { pinned: boolean }; result: void };

  share_folders: { args: { name: string; paths: string[]; writable: boolean; confirmed: boolean }; result: MountProposal };
  apply_pending_mounts: { args: { name: string; confirmed: boolean }; result: MountProposal };
  pending_mount_commands: { args: { name: string }; result: string[] };
  discard_pending_mounts: { args: { name: string }; result: void };
  remove_mount: { args: { name: string; mountPoint: string }; result: Plan };
  pick_folders: { args: void; result: string[] };

  flakes: { args: { name: string }; result: InstanceFlakes };
  open_dev_shell: { args: { name: string; dir: string; shell: string }; result: OpenedShell };
  dev_shell_command: { args: { name: string; dir: string; shell: string }; result: string };
  terminals: { args: void; result: TerminalSettings };
  set_terminal: { args: { id: string }; result: void };
  pick_flake_folder: { args: void; result: string | null };

  diagnosis: { args: { name: string }; result: Diagnosis };
  apply_fix: { args: { name: string; id: string }; result: void };
  check_guest: { args: { name: string }; result: Diagnosis };
  add_envrc: { args: { name: string; dir: string }; result: EnvrcAdded };
  http_ports: { args: { name: string }; result: number[] };
  open_port: { args: { name: string; port: number }; result: string };
  memory: { args: { name: string }; result: MemoryView };

  create_vm: { args: { request: NewVmRequest }; result: void };
  new_vm_yaml: { args: { request: NewVmRequest }; result: string };

  open_logs: { args: { name: string }; result: LogLine[] };
  close_logs: { args: void; result: void };
  diagnostics: { args: { name: string }; result: string };

  delete_vm: { args: { name: string }; result: void };

  get_settings: { args: void; result: SettingsView };
  save_settings: { args: { update: SettingsUpdate }; result: void };
  install_cli: { args: void; result: CliLink };

  open_in_editor: { args: { name: string; dir: string }; result: OpenedEditor };
  editors: { args: void; result: EditorSettings };
  set_editor: { args: { id: string }; result: void };
  ssh_config: { args: { install: boolean }; result: SshConfigResult };

  update_status: { args: void; result: UpdateView };
  check_for_updates: { args: void; result: UpdateView };
  install_update: { args: void; result: UpdateView };
}

export type Command = keyof Commands;
export type ArgsOf<K extends Command> = Commands[K]['args'];
export type ResultOf<K extends Command> = Commands[K]['result'];
