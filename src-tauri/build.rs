// Commands are declared here so the ACL knows them: the webview may call only these,
// and only as granted in capabilities/.
const COMMANDS: &[&str] = &[
    "snapshot",
    "run_operation",
    "limactl_command",
    "hide_popover",
    "page_ready",
    "remember_ui",
    "set_pinned",
    "reconnect",
    "share_folders",
    "apply_pending_mounts",
    "pending_mount_commands",
    "discard_pending_mounts",
    "remove_mount",
    "pick_folders",
    "flakes",
    "open_dev_shell",
    "dev_shell_command",
    "terminals",
    "set_terminal",
    "pick_flake_folder",
    "diagnosis",
    "apply_fix",
    "check_guest",
    "add_envrc",
    "http_ports",
    "open_port",
    "new_vm_yaml",
    "create_vm",
    "open_logs",
    "close_logs",
    "diagnostics",
    "delete_vm",
    "get_settings",
    "save_settings",
    "install_cli",
    "open_in_editor",
    "editors",
    "set_editor",
    "ssh_config",
    "update_status",
    "check_for_updates",
    "install_update",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
