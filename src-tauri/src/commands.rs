//! Commands the popover may invoke (each granted in capabilities/popover.json): each is
//! a few lines over one core action; errors reach the UI as `{code, message, hint}`
//! through `From<CoreError> for ErrorInfo`.

use limabar_core::actions::cli_link::{self, CliLink};
use limabar_core::actions::settings::{self, SettingsUpdate, SettingsView};
use limabar_core::actions::{
    self, Diagnosis, EditorSettings, EnvrcAdded, InstanceFlakes, MemoryView, MountProposal,
    NewVmRequest, OpenedEditor, OpenedShell, TerminalSettings,
};
use limabar_core::features::logs::LogLine;
use limabar_core::features::mounts::Plan;
use limabar_core::features::ssh_config::SshConfigResult;
use limabar_core::{ErrorInfo, Operation};
use tauri::{AppHandle, State};

use crate::state::{AppSnapshot, AppState};
use crate::update_status::UpdateView;
use crate::updates::{self, Asked};
use crate::{picker, popover, relay};

type Reply<T> = Result<T, ErrorInfo>;

/// Everything the popover shows, at once: on load and after every reconnect.
#[tauri::command]
pub async fn snapshot(state: State<'_, AppState>) -> Reply<AppSnapshot> {
    Ok(state.snapshot().await)
}

/// Connects to Lima again: the onboarding's "Check again", after the user installed or
/// upgraded Lima. The outcome arrives as a `limabar://lima` event.
#[tauri::command]
pub fn reconnect(app: AppHandle) {
    relay::connect(app);
}

/// Begins an operation; its progress and end arrive as change events.
#[tauri::command]
pub async fn run_operation(
    state: State<'_, AppState>,
    name: String,
    operation: Operation,
) -> Reply<()> {
    Ok(state.session()?.begin(&name, operation).await?)
}

/// The exact limactl command line an operation runs, for the user's own terminal.
#[tauri::command]
pub async fn limactl_command(
    state: State<'_, AppState>,
    name: String,
    operation: Operation,
) -> Reply<String> {
    Ok(state.session()?.command_line(&name, operation).await?)
}

/// The page painted its first snapshot: a popover being opened is shown now.
#[tauri::command]
pub fn page_ready(app: AppHandle) {
    tracing::info!("the page is ready");
    popover::page_ready(&app);
}

/// What the page keeps across the release of its webview (replaced whole each time).
#[tauri::command]
pub fn remember_ui(state: State<'_, AppState>, memory: serde_json::Value) {
    if let Ok(mut m) = state.ui_memory.lock() {
        *m = Some(memory);
    }
}

#[tauri::command]
pub fn hide_popover(app: AppHandle) {
    popover::hide(&app);
}

/// While pinned, the popover stays open when it loses focus.
#[tauri::command]
pub fn set_pinned(state: State<'_, AppState>, pinned: bool) {
    state
        .pinned
        .store(pinned, std::sync::atomic::Ordering::SeqCst);
}

#[tauri::command]
pub async fn delete_vm(state: State<'_, AppState>, name: String) -> Reply<()> {
    Ok(state.session()?.delete(&name).await?)
}

// ---- mounts ---------------------------------------------------------------------

/// Folders dropped on `name`: planned once; a stopped VM is edited at once.
#[tauri::command]
pub async fn share_folders(
    state: State<'_, AppState>,
    name: String,
    paths: Vec<String>,
    writable: bool,
    confirmed: bool,
) -> Reply<MountProposal> {
    Ok(state
        .session()?
        .share_folders(&name, paths, writable, confirmed)
        .await?)
}

#[tauri::command]
pub async fn apply_pending_mounts(
    state: State<'_, AppState>,
    name: String,
    confirmed: bool,
) -> Reply<MountProposal> {
    Ok(state
        .session()?
        .apply_pending_mounts(&name, confirmed)
        .await?)
}

#[tauri::command]
pub async fn pending_mount_commands(
    state: State<'_, AppState>,
    name: String,
) -> Reply<Vec<String>> {
    Ok(state.session()?.pending_mount_commands(&name).await?)
}

#[tauri::command]
pub fn discard_pending_mounts(state: State<'_, AppState>, name: String) -> Reply<()> {
    state.session()?.discard_pending_mounts(&name);
    Ok(())
}

#[tauri::command]
pub async fn remove_mount(
    state: State<'_, AppState>,
    name: String,
    mount_point: String,
) -> Reply<Plan> {
    Ok(state.session()?.remove_mount(&name, &mount_point).await?)
}

/// "Add folder…": the native folder picker, shown by Rust so the webview needs no
/// dialog or file-system permission. The UI then shares the chosen folders.
#[tauri::command]
pub async fn pick_folders(app: AppHandle, state: State<'_, AppState>) -> Reply<Vec<String>> {
    Ok(picker::pick(&app, &state, "Share folders with the VM", true).await)
}

// ---- dev shells -----------------------------------------------------------------

#[tauri::command]
pub async fn flakes(state: State<'_, AppState>, name: String) -> Reply<InstanceFlakes> {
    Ok(state.session()?.flakes(&name).await?)
}

#[tauri::command]
pub async fn open_dev_shell(
    state: State<'_, AppState>,
    name: String,
    dir: String,
    shell: String,
) -> Reply<OpenedShell> {
    Ok(state
        .session()?
        .open_dev_shell(&name, &dir, &shell, None)
        .await?)
}

#[tauri::command]
pub async fn dev_shell_command(
    state: State<'_, AppState>,
    name: String,
    dir: String,
    shell: String,
) -> Reply<String> {
    Ok(state
        .session()?
        .dev_shell_command(&name, &dir, &shell)
        .await?)
}

#[tauri::command]
pub fn terminals(state: State<'_, AppState>) -> TerminalSettings {
    actions::terminals(&state.env)
}

/// Remembers the terminal (written atomically; other settings are kept).
#[tauri::command]
pub fn set_terminal(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(settings::set_terminal(&state.env, &id)?)
}

/// Opens `dir` in the user's editor over SSH (a stopped VM is started first).
#[tauri::command]
pub async fn open_in_editor(
    state: State<'_, AppState>,
    name: String,
    dir: String,
) -> Reply<OpenedEditor> {
    Ok(state.session()?.open_in_editor(&name, &dir, None).await?)
}

/// The editors installed here, and the one folders open in.
#[tauri::command]
pub fn editors(state: State<'_, AppState>) -> EditorSettings {
    actions::editors(&state.env)
}

/// Remembers the editor (written atomically; other settings are kept).
#[tauri::command]
pub fn set_editor(state: State<'_, AppState>, id: String) -> Reply<()> {
    Ok(settings::set_editor(&state.env, &id)?)
}

/// Adds (or removes) Lima's ssh hosts in ~/.ssh/config, as the user asked in Settings.
#[tauri::command]
pub fn ssh_config(state: State<'_, AppState>, install: bool) -> Reply<SshConfigResult> {
    Ok(actions::ssh_config(&state.env, install)?)
}

/// "Open flake…": a folder chosen in the native chooser (none if cancelled).
#[tauri::command]
pub async fn pick_flake_folder(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Reply<Option<String>> {
    let picked = picker::pick(&app, &state, "Open a flake folder", false).await;
    Ok(picked.into_iter().next())
}

// ---- doctor, logs, creation -----------------------------------------------------

#[tauri::command]
pub async fn diagnosis(state: State<'_, AppState>, name: String) -> Reply<Diagnosis> {
    Ok(state.session()?.diagnosis(&name).await?)
}

#[tauri::command]
pub async fn apply_fix(state: State<'_, AppState>, name: String, id: String) -> Reply<()> {
    Ok(state.session()?.apply_fix(&name, &id).await?)
}

/// "Add .envrc": `use flake` in a flake folder that has none.
#[tauri::command]
pub async fn add_envrc(state: State<'_, AppState>, name: String, dir: String) -> Reply<EnvrcAdded> {
    Ok(state.session()?.add_envrc(&name, &dir).await?)
}

/// The host ports of `name`'s forwards that answer HTTP ("Open in browser").
#[tauri::command]
pub async fn http_ports(state: State<'_, AppState>, name: String) -> Reply<Vec<u16>> {
    Ok(state.session()?.http_ports(&name).await?)
}

/// Opens `http://localhost:PORT/` in the browser, for a port `name` forwards.
#[tauri::command]
pub async fn open_port(state: State<'_, AppState>, name: String, port: u16) -> Reply<String> {
    Ok(state.session()?.open_port(&name, port).await?)
}

/// A running VM's memory: held on this machine, used in the guest, what a restart returns.
#[tauri::command]
pub async fn memory(state: State<'_, AppState>, name: String) -> Reply<MemoryView> {
    Ok(state.session()?.memory(&name).await?)
}

/// "Check again": the doctor looks inside the running guest now.
#[tauri::command]
pub async fn check_guest(state: State<'_, AppState>, name: String) -> Reply<Diagnosis> {
    Ok(state.session()?.check_guest(&name).await?)
}

#[tauri::command]
pub async fn open_logs(state: State<'_, AppState>, name: String) -> Reply<Vec<LogLine>> {
    Ok(state.session()?.open_logs(&name).await?)
}

#[tauri::command]
pub fn close_logs(state: State<'_, AppState>) {
    if let Ok(s) = state.session() {
        s.close_logs();
    }
}

/// Everything a bug report needs about one instance, the home folder replaced by `~`.
#[tauri::command]
pub async fn diagnostics(state: State<'_, AppState>, name: String) -> Reply<String> {
    Ok(state.session()?.diagnostics_report(&name).await?)
}

/// The lima.yaml the New VM form would create ("Show configuration").
#[tauri::command]
pub fn new_vm_yaml(state: State<'_, AppState>, request: NewVmRequest) -> Reply<String> {
    Ok(actions::new_vm_yaml(&state.env, &request)?)
}

/// Creates the VM (stages arrive as `limabar://create`), then begins its first boot.
#[tauri::command]
pub async fn create_vm(state: State<'_, AppState>, request: NewVmRequest) -> Reply<()> {
    state.session()?.create(&request, |_| {}).await?;
    Ok(())
}

// ---- settings -------------------------------------------------------------------

#[tauri::command]
pub fn get_settings(app: AppHandle, state: State<'_, AppState>) -> SettingsView {
    let in_use = state
        .session()
        .ok()
        .map(|s| s.monitor().info().path.clone());
    settings::view(&state.env, in_use, crate::autostart::is_enabled(&app))
}

/// "Install command-line tool": links the `limabar` beside the app into PATH.
#[tauri::command]
pub fn install_cli(state: State<'_, AppState>) -> Reply<CliLink> {
    let bundled = std::env::current_exe().map(|p| p.with_file_name("limabar"));
    Ok(cli_link::install(&state.env, &bundled.unwrap_or_default())?)
}

/// Saves the settings; a new limactl path connects again at once.
#[tauri::command]
pub fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    update: SettingsUpdate,
) -> Reply<()> {
    let saved = settings::save(&state.env, &update)?;
    crate::autostart::set(&app, update.open_at_login)?;
    relay::connect_if(app, saved.reconnect);
    Ok(())
}

/// This build's version and where its update stands (Settings).
#[tauri::command]
pub fn update_status(app: AppHandle) -> UpdateView {
    updates::view(&app)
}

/// "Check for Updates…" in Settings; the answer also arrives as an update event.
#[tauri::command]
pub async fn check_for_updates(app: AppHandle) -> Reply<UpdateView> {
    Ok(updates::check(app, Asked::Settings).await)
}

/// "Install and Restart": verifies, installs and restarts, or says why not.
#[tauri::command]
pub async fn install_update(app: AppHandle) -> Reply<UpdateView> {
    Ok(updates::install(app).await)
}
