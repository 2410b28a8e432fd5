//! Commands the popover may invoke (each granted in capabilities/popover.json). Each is
//! a few lines over the core; errors reach the UI as `{code, message, hint}`.

use limabar_core::quote;
use limabar_core::{ErrorInfo, InstanceView, Operation};
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;

use crate::popover;
use crate::relay;
use crate::state::{AppState, LimaConnection};

#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppSnapshot {
    pub lima: LimaConnection,
    pub instances: Vec<InstanceView>,
    /// The UI's clock ticks only while the popover is visible.
    pub popover_visible: bool,
}

#[tauri::command]
pub async fn snapshot(state: State<'_, AppState>) -> Result<AppSnapshot, ErrorInfo> {
    let instances = match state.monitor.get() {
        Some(m) => m.snapshot().await,
        None => Vec::new(),
    };
    Ok(AppSnapshot {
        lima: state.connection(),
        instances,
        popover_visible: state.popover_visible(),
    })
}

/// Connects to Lima again: the onboarding's "Check again", after the user installed or
/// upgraded Lima. The outcome arrives as a `limabar://lima` event.
#[tauri::command]
pub fn reconnect(app: AppHandle) {
    relay::reconnect(app);
}

/// Begins an operation; its progress and end arrive as change events.
#[tauri::command]
pub async fn run_operation(
    state: State<'_, AppState>,
    name: String,
    operation: Operation,
) -> Result<(), ErrorInfo> {
    state
        .monitor()?
        .begin(&name, operation)
        .await
        .map(|_| ())
        .map_err(|e| e.info())
}

/// The exact limactl command line for an operation, for the user's own terminal.
#[tauri::command]
pub fn limactl_command(
    state: State<'_, AppState>,
    name: String,
    operation: Operation,
) -> Result<String, ErrorInfo> {
    let m = state.monitor()?;
    let mut argv = vec![m.info().path.clone()];
    argv.extend(operation.argv(&name, "15m"));
    Ok(quote::join(&argv))
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
