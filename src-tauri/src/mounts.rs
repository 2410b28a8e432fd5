//! Mount commands for the popover: plan dropped folders, apply a plan, remove a mount.
//! Planning and applying are the core's; this only looks up the instance.

use std::path::PathBuf;

use limabar_core::features::mounts::apply::{invocations, with_program};
use limabar_core::features::mounts::probe::HostFs;
use limabar_core::features::mounts::source::Sources;
use limabar_core::features::mounts::{plan_add, plan_remove, Plan, PlanInput};
use limabar_core::quote;
use limabar_core::{ErrorInfo, InstanceView, Monitor};
use tauri::{AppHandle, State};

use crate::state::AppState;

fn plan_for(
    state: &AppState,
    v: &InstanceView,
    paths: Vec<String>,
    writable: bool,
    confirmed: bool,
) -> Result<Plan, ErrorInfo> {
    let sources =
        Sources::of_instance(&v.instance, &state.env.lima_home, state.env.home.as_deref())
            .map_err(|e| e.info())?;
    let input = PlanInput {
        current: &v.instance.mounts,
        sources: &sources,
        lima: Some(state.monitor()?.limactl().features),
        home: state.env.home.as_deref(),
        guest_home: v.instance.guest_home.as_deref(),
        writable,
        confirmed,
    };
    Ok(plan_add(
        &input,
        &paths.into_iter().map(PathBuf::from).collect::<Vec<_>>(),
        &HostFs,
    ))
}

/// The instance and the plan for dropping `paths` on it.
async fn planned<'a>(
    state: &'a AppState,
    name: &str,
    paths: Vec<String>,
    writable: bool,
    confirmed: bool,
) -> Result<(&'a Monitor, InstanceView, Plan), ErrorInfo> {
    let m = state.monitor()?;
    let v = state.view(name).await?;
    let plan = plan_for(state, &v, paths, writable, confirmed)?;
    Ok((m, v, plan))
}

/// Starts applying `plan` (one operation, shown as live states) unless it is a no-op.
async fn begin_if_changes(m: &Monitor, name: &str, plan: Plan) -> Result<Plan, ErrorInfo> {
    if plan.changes_anything() {
        m.begin_mounts(name, plan.clone())
            .await
            .map_err(|e| e.info())?;
    }
    Ok(plan)
}

/// What dropping `paths` on `name` would do (nothing is changed).
#[tauri::command]
pub async fn plan_mounts(
    state: State<'_, AppState>,
    name: String,
    paths: Vec<String>,
    writable: bool,
    confirmed: bool,
) -> Result<Plan, ErrorInfo> {
    Ok(planned(&state, &name, paths, writable, confirmed).await?.2)
}

/// Plans again (the instance may have changed) and applies what is valid; the
/// restart, if any, and the in-guest checks arrive as change events.
#[tauri::command]
pub async fn apply_mounts(
    state: State<'_, AppState>,
    name: String,
    paths: Vec<String>,
    writable: bool,
    confirmed: bool,
) -> Result<Plan, ErrorInfo> {
    let (m, _, plan) = planned(&state, &name, paths, writable, confirmed).await?;
    begin_if_changes(m, &name, plan).await
}

#[tauri::command]
pub async fn remove_mount(
    state: State<'_, AppState>,
    name: String,
    mount_point: String,
) -> Result<Plan, ErrorInfo> {
    let m = state.monitor()?;
    let v = state.view(&name).await?;
    let sources =
        Sources::of_instance(&v.instance, &state.env.lima_home, state.env.home.as_deref())
            .map_err(|e| e.info())?;
    let plan = plan_remove(&v.instance.mounts, &sources, &[PathBuf::from(mount_point)]);
    begin_if_changes(m, &name, plan).await
}

/// The exact limactl command lines that applying `paths` would run, for the user's own
/// terminal (shell-quoted; the same argv `apply_mounts` runs).
#[tauri::command]
pub async fn mount_commands(
    state: State<'_, AppState>,
    name: String,
    paths: Vec<String>,
    writable: bool,
    confirmed: bool,
) -> Result<Vec<String>, ErrorInfo> {
    let (m, v, plan) = planned(&state, &name, paths, writable, confirmed).await?;
    let limactl = m.limactl();
    Ok(invocations(limactl, &name, &plan, v.vm_up())
        .iter()
        .map(|argv| quote::join(&with_program(limactl, argv)))
        .collect())
}

/// "Add folder…": the native folder picker, shown by Rust so the webview needs no dialog
/// or file-system permission. Returns the chosen folders (none if cancelled); the UI
/// then plans them like a drop.
#[tauri::command]
pub async fn pick_folders(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Vec<String>, ErrorInfo> {
    Ok(crate::picker::pick(&app, &state, "Share folders with the VM", true).await)
}
