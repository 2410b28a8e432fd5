//! Deleting an instance (after the popover's confirmation): the core's delete, which
//! forces a Broken or invalid VM (Lima refuses those without `-f`) and refuses a running
//! or protected one with its reason. The monitor sees the folder go and removes the row.

use limabar_core::{CoreError, ErrorInfo};
use tauri::State;

use crate::state::AppState;

#[tauri::command]
pub async fn delete_vm(state: State<'_, AppState>, name: String) -> Result<(), ErrorInfo> {
    let m = state.monitor()?;
    let view = state.view(&name).await?;
    if let Some(op) = view.operation {
        return Err(CoreError::Busy {
            name,
            operation: op.verb().to_string(),
        }
        .info());
    }
    let locks = state.env.op_locks_dir();
    limabar_core::delete::delete(m.limactl(), Some(&locks), &view)
        .await
        .map_err(|e| e.info())
}
