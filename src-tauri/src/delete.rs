//! Deleting an instance (after the popover's confirmation): the core's delete, a monitor
//! operation ("Deleting…") that forces a Broken or invalid VM (Lima refuses those without
//! `-f`) and refuses a running or protected one with its reason.

use limabar_core::ErrorInfo;
use tauri::State;

use crate::state::AppState;

#[tauri::command]
pub async fn delete_vm(state: State<'_, AppState>, name: String) -> Result<(), ErrorInfo> {
    let m = state.monitor()?;
    let view = state.view(&name).await?;
    limabar_core::features::delete::delete(m, &view)
        .await
        .map_err(|e| e.info())
}
