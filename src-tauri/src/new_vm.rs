//! "New NixOS VM…": Limabar's known-good template for the requested name, sizes and
//! folders, created by Lima (`limactl create`, stages pushed as `limabar://create`), then
//! started like any Start (boot phases, then the ready notification).

use limabar_core::features::create::{template_yaml, CreateStage, NewVm};
use limabar_core::features::mounts::probe::HostFs;
use limabar_core::{CoreError, ErrorInfo, Operation};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::state::AppState;

pub const CREATE_EVENT: &str = "limabar://create";

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewVmRequest {
    pub name: String,
    pub cpus: u32,
    pub memory_gib: u32,
    pub disk_gib: u32,
    pub folders: Vec<String>,
}

/// One stage of a creation, as the popover shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CreateProgress {
    pub name: String,
    pub stage: CreateStage,
    pub label: String,
    pub secs: f64,
}

fn failed(e: impl std::fmt::Display) -> ErrorInfo {
    CoreError::Failed {
        command: "create".into(),
        detail: e.to_string(),
    }
    .info()
}

/// The template for the request, or why it cannot be made (shown in the form).
fn template(state: &AppState, r: &NewVmRequest) -> Result<String, ErrorInfo> {
    let vm = NewVm {
        name: r.name.trim().to_string(),
        cpus: r.cpus,
        memory_gib: r.memory_gib,
        disk_gib: r.disk_gib,
        folders: r.folders.iter().map(Into::into).collect(),
        lima_home: Some(state.env.lima_home.clone()),
    };
    template_yaml(
        &vm,
        cfg!(target_os = "macos"),
        state.env.home.as_deref(),
        &HostFs,
    )
    .map_err(failed)
}

/// The lima.yaml the form would create ("Show configuration").
#[tauri::command]
pub fn new_vm_yaml(state: State<'_, AppState>, request: NewVmRequest) -> Result<String, ErrorInfo> {
    template(&state, &request)
}

#[tauri::command]
pub async fn create_vm(
    app: AppHandle,
    state: State<'_, AppState>,
    request: NewVmRequest,
) -> Result<(), ErrorInfo> {
    let monitor = state.monitor()?;
    let Some(dev) = state.dev.get() else {
        return Err(CoreError::io("Limabar", "still connecting to Lima").info());
    };
    let name = request.name.trim().to_string();
    let text = template(&state, &request)?;
    let file = dev.data_dir.join("templates").join(format!("{name}.yaml"));
    limabar_core::fsutil::write_atomic(&file, text.as_bytes())
        .map_err(|e| CoreError::io(format!("writing {}", file.display()), e).info())?;
    monitor
        .create(&name, &file, |stage, t| {
            let _ = app.emit(
                CREATE_EVENT,
                CreateProgress {
                    name: name.clone(),
                    stage,
                    label: stage.label().to_string(),
                    secs: t.as_secs_f64(),
                },
            );
        })
        .await
        .map_err(|e| e.info())?;
    // The first boot: phases and the ready notification like any Start from Limabar.
    let mut tries = 0;
    loop {
        match monitor.begin(&name, Operation::Start).await {
            Ok(_) => return Ok(()),
            // The monitor may not have listed the new instance yet.
            Err(CoreError::InstanceNotFound { .. }) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.info()),
        }
    }
}
