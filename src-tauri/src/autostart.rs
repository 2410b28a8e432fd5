//! Open at login: the OS's own autostart entry (a LaunchAgent on macOS, an XDG
//! autostart file on Linux) is the truth, through tauri-plugin-autostart.

use limabar_core::{CoreError, ErrorInfo};
use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

pub fn is_enabled(app: &AppHandle) -> bool {
    app.autolaunch().is_enabled().unwrap_or(false)
}

pub fn set(app: &AppHandle, on: bool) -> Result<(), ErrorInfo> {
    if is_enabled(app) == on {
        return Ok(());
    }
    let autostart = app.autolaunch();
    let done = if on {
        autostart.enable()
    } else {
        autostart.disable()
    };
    done.map_err(|e| CoreError::io("Open at login", e).info())
}
