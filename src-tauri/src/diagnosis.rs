//! The doctor and failure explanations in the app: each instance's findings (pushed as
//! `limabar://diagnosis` at start, when its config changes, and when a start fails or
//! comes up degraded, then with the explanation), and the one-click safe fixes.

use std::path::Path;

use limabar_core::features::doctor::{examine_with, parse, Finding, Global, Host};
use limabar_core::features::explain::{explain, Evidence, Explanation};
use limabar_core::fsutil::read_tail;
use limabar_core::lima::runner::Runner;
use limabar_core::{CoreError, ErrorInfo, InstanceView, VmState};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use crate::state::AppState;

pub const DIAGNOSIS_EVENT: &str = "limabar://diagnosis";
const HA_LOG_TAIL: u64 = 256 * 1024;
const CONSOLE_TAIL: u64 = 16 * 1024;

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Diagnosis {
    pub name: String,
    pub findings: Vec<Finding>,
    /// Why the last start failed or came up degraded (only then).
    pub explanation: Option<Explanation>,
}

pub fn host_facts(state: &AppState) -> Host {
    let lima = state.monitor.get().map(|m| m.info().version);
    Host::current(
        lima,
        state
            .env
            .home
            .as_ref()
            .map(|h| h.to_string_lossy().into_owned()),
    )
}

/// Reads the instance's files: lima.yaml for the doctor, with the global
/// `_config/default.yaml` and `override.yaml` Lima mixes in; for a failed or degraded
/// state also the logs' tails for the explanation.
pub fn diagnose(view: &InstanceView, host: &Host) -> Diagnosis {
    let dir = Path::new(&view.instance.dir);
    // An instance's directory is `$LIMA_HOME/NAME` (pkg/limatype/dirnames/dirnames.go
    // `InstanceDir`), so its parent is the LIMA_HOME limactl loads it with.
    let global = dir.parent().map(Global::read).unwrap_or_default();
    let findings = match std::fs::read_to_string(dir.join("lima.yaml"))
        .ok()
        .and_then(|t| parse(&t).ok())
    {
        Some(c) => examine_with(&c, &global, host),
        // Without a readable lima.yaml, still what is wrong with the global files.
        None => global.problems,
    };
    let errors: Vec<String> = match &view.state {
        VmState::Failed { reason } => vec![reason.clone()],
        VmState::Degraded { errors, .. } => errors.clone(),
        _ => vec![],
    };
    let explanation = if errors.is_empty() {
        None
    } else {
        let console = read_tail(
            &limabar_core::features::logs::console_file(dir),
            CONSOLE_TAIL,
        );
        explain(&Evidence {
            name: &view.instance.name,
            ha_log: &read_tail(&dir.join("ha.stderr.log"), HA_LOG_TAIL),
            console: &console,
            errors: &errors,
            limactl_stderr: "",
            findings: &findings,
        })
    };
    Diagnosis {
        name: view.instance.name.clone(),
        findings,
        explanation,
    }
}

/// Diagnoses `view` off the async threads and pushes the result to the UI.
pub fn push(app: &AppHandle, view: InstanceView) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let h = host_facts(&app.state::<AppState>());
        if let Ok(d) = tauri::async_runtime::spawn_blocking(move || diagnose(&view, &h)).await {
            let _ = app.emit(DIAGNOSIS_EVENT, &d);
        }
    });
}

#[tauri::command]
pub async fn diagnosis(state: State<'_, AppState>, name: String) -> Result<Diagnosis, ErrorInfo> {
    let view = state.view(&name).await?;
    let h = host_facts(&state);
    tauri::async_runtime::spawn_blocking(move || diagnose(&view, &h))
        .await
        .map_err(|e| CoreError::io("diagnosing", e).info())
}

/// Applies a finding's safe fix with Lima's own edit (`limactl edit --set`), which only
/// works on a stopped instance; the changed lima.yaml is picked up like any edit.
#[tauri::command]
pub async fn apply_fix(
    state: State<'_, AppState>,
    name: String,
    id: String,
) -> Result<(), ErrorInfo> {
    let m = state.monitor()?;
    let view = state.view(&name).await?;
    if view.vm_up() {
        return Err(CoreError::Failed {
            command: "edit".into(),
            detail: format!(
                "stop `{name}` first: Lima changes only a stopped instance's configuration"
            ),
        }
        .info());
    }
    let h = host_facts(&state);
    let d = tauri::async_runtime::spawn_blocking(move || diagnose(&view, &h))
        .await
        .map_err(|e| CoreError::io("diagnosing", e).info())?;
    let set = d
        .findings
        .iter()
        .find(|f| f.id == id)
        .and_then(|f| f.set.clone())
        .ok_or_else(|| CoreError::io("doctor", format!("no one-click fix for `{id}`")).info())?;
    let _lock = m.lock(&name, "doctor fix").map_err(|e| e.info())?;
    edit(&m.limactl().runner, &name, &set)
        .await
        .map_err(|e| e.info())
}

async fn edit(runner: &Runner, name: &str, set: &str) -> Result<(), CoreError> {
    let args = Runner::argv("edit", &["--set", set, name]);
    let out = runner
        .run(&args, std::time::Duration::from_secs(60))
        .await?;
    if out.success() {
        Ok(())
    } else {
        Err(CoreError::Failed {
            command: "edit".into(),
            detail: out.failure_message(),
        })
    }
}
