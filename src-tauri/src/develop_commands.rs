//! Dev-shell commands for the popover: the flakes of an instance, open a dev shell in
//! the user's terminal (starting the VM first when it is stopped), its command line for
//! "Copy command", and the terminal setting.

use std::sync::Arc;
use std::time::Instant;

use limabar_core::features::develop::{pick_terminal, plan_open};
use limabar_core::features::terminal::{self, Platform, SystemProbe, TerminalChoice};
use limabar_core::{
    quote, Change, CoreError, ErrorInfo, InstanceView, Monitor, Operation, VmState,
};
use serde::Serialize;
use tauri::{AppHandle, State};
use ts_rs::TS;

use crate::devshells::{self, AppDevShells, InstanceFlakes};
use crate::state::AppState;

fn dev(state: &AppState) -> Result<Arc<AppDevShells>, ErrorInfo> {
    state
        .dev
        .get()
        .cloned()
        .ok_or_else(|| CoreError::io("Limabar", "still connecting to Lima").info())
}

#[tauri::command]
pub async fn flakes(state: State<'_, AppState>, name: String) -> Result<InstanceFlakes, ErrorInfo> {
    let dev = dev(&state)?;
    let v = state.view(&name).await?;
    Ok(devshells::compute(&dev, &v.instance).await)
}

/// What the UI says after opening: "Opened rust in XTerm".
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenedShell {
    pub terminal: String,
    /// A pre-built environment was opened (no evaluation).
    pub prebuilt: bool,
    /// The app's own time from the request to the terminal process spawned.
    pub spawn_ms: f64,
    /// The VM was started first.
    pub started_vm: bool,
}

#[tauri::command]
pub async fn open_dev_shell(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    dir: String,
    shell: String,
) -> Result<OpenedShell, ErrorInfo> {
    let t0 = Instant::now();
    let (m, dev) = (state.monitor()?, dev(&state)?);
    let v = state.view(&name).await?;
    let setting = crate::settings::load(&state).terminal;
    let term = pick_terminal(setting.as_deref()).map_err(|e| e.info())?;
    let scratch = dev.data_dir.join("terminal");
    let plan =
        plan_open(&dev.core, &v.instance, &dir, &shell, term, &scratch).map_err(|e| e.info())?;
    // By state, not by Lima's listing, which lags behind a stop.
    let started_vm = !v.state.is_up();
    let t0 = if started_vm {
        start_and_wait(m, &v).await?;
        Instant::now()
    } else {
        t0
    };
    let mut spawn_ms = 0.0;
    terminal::open(&plan.launch, &scratch.join("terminal.log"), || {
        spawn_ms = t0.elapsed().as_secs_f64() * 1000.0
    })
    .await
    .map_err(|e| e.info())?;
    tracing::info!(instance = name, dir, shell, terminal = %plan.terminal.label(), spawn_ms, prebuilt = plan.command.prebuilt, "dev shell opened");
    dev.core.record_use(&name, &plan.guest_dir, &shell);
    // Now recent: pre-build it (when it is not already) for next time.
    if let Ok(v) = state.view(&name).await {
        devshells::refresh(&app, v.instance, true);
    }
    Ok(OpenedShell {
        terminal: plan.terminal.label(),
        prebuilt: plan.command.prebuilt,
        spawn_ms,
        started_vm,
    })
}

/// Starts a stopped VM (or waits for the boot already under way) until it is up.
async fn start_and_wait(m: &Monitor, v: &InstanceView) -> Result<(), ErrorInfo> {
    let name = v.instance.name.clone();
    let mut changes = m.subscribe();
    let booting = matches!(v.state, VmState::Starting { .. }) || v.operation.is_some();
    if !booting {
        let done = m
            .begin(&name, Operation::Start)
            .await
            .map_err(|e| e.info())?;
        return done
            .await
            .unwrap_or_else(|_| Err(CoreError::io("monitor", "stopped")))
            .map_err(|e| e.info());
    }
    loop {
        match changes.recv().await {
            Ok(Change::StateChanged { name: n, to, .. }) if n == name => {
                if to.is_up() {
                    return Ok(());
                }
                if let VmState::Failed { reason, .. } = &to {
                    return Err(CoreError::Failed {
                        command: "start".into(),
                        detail: reason.clone(),
                    }
                    .info());
                }
            }
            Ok(Change::OperationEnded {
                name: n,
                error: Some(e),
                ..
            }) if n == name => return Err(e),
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(_) => return Err(CoreError::io("monitor", "stopped").info()),
        }
    }
}

/// `limactl shell --workdir DIR NAME nix develop .#SHELL`, for the user's own terminal.
#[tauri::command]
pub async fn dev_shell_command(
    state: State<'_, AppState>,
    name: String,
    dir: String,
    shell: String,
) -> Result<String, ErrorInfo> {
    let dev = dev(&state)?;
    let v = state.view(&name).await?;
    let guest_dir =
        limabar_core::features::develop::guest_dir_of(&v.instance, &dir).map_err(|e| e.info())?;
    Ok(quote::join(
        &dev.core.command(&name, &dir, &guest_dir, &shell).copyable,
    ))
}

#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TerminalSettings {
    /// Installed terminals, most preferred first.
    pub choices: Vec<TerminalChoice>,
    /// The one dev shells open in.
    pub selected: Option<TerminalChoice>,
}

#[tauri::command]
pub fn terminals(state: State<'_, AppState>) -> Result<TerminalSettings, ErrorInfo> {
    let detected = terminal::detect(Platform::current(), &SystemProbe::new());
    let setting = crate::settings::load(&state).terminal;
    let selected = terminal::choose(setting.as_deref(), &detected);
    let mut choices: Vec<TerminalChoice> = detected.iter().map(TerminalChoice::from).collect();
    if let Some(s) = &selected {
        if !detected.contains(s) {
            choices.push(s.into());
        }
    }
    Ok(TerminalSettings {
        choices,
        selected: selected.as_ref().map(TerminalChoice::from),
    })
}

/// Remembers the terminal (written atomically; other settings are kept).
#[tauri::command]
pub fn set_terminal(state: State<'_, AppState>, id: String) -> Result<(), ErrorInfo> {
    crate::settings::update(&state, |s| {
        s.terminal = Some(id).filter(|i| !i.trim().is_empty())
    })
}

/// "Open flake…": a folder chosen in the native chooser (none if cancelled). The UI then
/// opens its default shell, or offers to mount it first.
#[tauri::command]
pub async fn pick_flake_folder(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<String>, ErrorInfo> {
    Ok(
        crate::picker::pick(&app, &state, "Open a flake folder", false)
            .await
            .into_iter()
            .next(),
    )
}
