//! Settings in the popover: the limactl to use (applies at the next launch, or at once
//! while Limabar has no usable Lima), which
//! notifications to show, and Open at login (the OS's own autostart entry is the truth,
//! through tauri-plugin-autostart). Stored with the core's `Settings`, atomically, keeping
//! keys this version does not know. The terminal has its own command (develop_commands).

use limabar_core::settings::{self, Settings};
use limabar_core::{CoreError, ErrorInfo};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;
use ts_rs::TS;

use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingsView {
    /// The limactl path the user set (empty: search for it).
    pub limactl: String,
    /// The limactl in use now.
    pub limactl_in_use: String,
    pub notify_ready: bool,
    pub notify_problems: bool,
    pub open_at_login: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingsUpdate {
    pub limactl: String,
    pub notify_ready: bool,
    pub notify_problems: bool,
    pub open_at_login: bool,
}

pub fn load(state: &AppState) -> Settings {
    Settings::load(&settings::path(&state.env.config_dir))
}

/// Changes settings.json: loaded, changed, written atomically (keys this version does
/// not know are kept).
pub fn update(state: &AppState, change: impl FnOnce(&mut Settings)) -> Result<(), ErrorInfo> {
    let path = settings::path(&state.env.config_dir);
    let mut s = Settings::load(&path);
    change(&mut s);
    s.save(&path)
        .map_err(|e| CoreError::io(format!("saving {}", path.display()), e).info())
}

#[tauri::command]
pub fn get_settings(app: AppHandle, state: State<'_, AppState>) -> SettingsView {
    let s = load(&state);
    SettingsView {
        limactl: s.limactl.unwrap_or_default(),
        limactl_in_use: state
            .monitor
            .get()
            .map(|m| m.info().path.clone())
            .unwrap_or_default(),
        notify_ready: s.notify_ready,
        notify_problems: s.notify_problems,
        open_at_login: app.autolaunch().is_enabled().unwrap_or(false),
    }
}

#[tauri::command]
pub fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    update: SettingsUpdate,
) -> Result<(), ErrorInfo> {
    let limactl = update.limactl.trim().to_string();
    if !limactl.is_empty() && !std::path::Path::new(&limactl).is_file() {
        return Err(CoreError::io("limactl", format!("`{limactl}` is not a file")).info());
    }
    self::update(&state, |s| {
        s.limactl = Some(limactl).filter(|l| !l.is_empty());
        s.notify_ready = update.notify_ready;
        s.notify_problems = update.notify_problems;
    })?;
    let autostart = app.autolaunch();
    if autostart.is_enabled().unwrap_or(false) != update.open_at_login {
        let done = if update.open_at_login {
            autostart.enable()
        } else {
            autostart.disable()
        };
        done.map_err(|e| CoreError::io("Open at login", e).info())?;
    }
    // Without a connection the new path is tried at once (a connected app switches
    // limactl when it starts again).
    crate::relay::reconnect(app);
    Ok(())
}
