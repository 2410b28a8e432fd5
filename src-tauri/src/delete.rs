//! Deleting an instance (after the popover's confirmation): Lima deletes it
//! (`limactl delete`), only when stopped; a protected instance is refused with how to
//! unprotect it. The monitor sees the folder go and removes the row.

use limabar_core::runner::Runner;
use limabar_core::{CoreError, ErrorInfo};
use tauri::State;

use crate::state::AppState;

#[tauri::command]
pub async fn delete_vm(state: State<'_, AppState>, name: String) -> Result<(), ErrorInfo> {
    let m = state.monitor()?;
    let view = state.view(&name).await?;
    if view.vm_up() || view.operation.is_some() {
        return Err(CoreError::Failed {
            command: "delete".into(),
            detail: format!("stop `{name}` first"),
        }
        .info());
    }
    if view.instance.protected {
        return Err(ErrorInfo {
            code: limabar_core::ErrorCode::Failed,
            message: format!("`{name}` is protected against deletion"),
            hint: Some(format!(
                "If you really mean it: `limactl unprotect {}`, then delete again.",
                limabar_core::quote::quote(&name)
            )),
        });
    }
    let lock = m.lock(&name, "delete").map_err(|e| e.info())?;
    let args = Runner::argv("delete", &[&name]);
    let out = m
        .limactl()
        .runner
        .run(&args, std::time::Duration::from_secs(120))
        .await
        .map_err(|e| e.info())?;
    if out.success() {
        // The VM is gone: so is its lock file.
        if let Some(lock) = lock {
            lock.release_and_remove();
        }
        Ok(())
    } else {
        Err(CoreError::Failed {
            command: "delete".into(),
            detail: out.failure_message(),
        }
        .info())
    }
}
