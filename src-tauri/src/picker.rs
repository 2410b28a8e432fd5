//! The native folder chooser, shown by Rust so the webview needs no dialog or
//! file-system permission. While it is open the popover must not hide on blur.

use std::sync::atomic::Ordering;

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::DialogExt;

use crate::state::AppState;

/// The chosen folders (none if cancelled).
pub async fn pick(app: &AppHandle, state: &AppState, title: &str, many: bool) -> Vec<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.dialog_open.store(true, Ordering::SeqCst);
    let mut dialog = app.dialog().file().set_title(title);
    // Start in the home folder (GTK would start in "Recent", where nothing can be picked).
    if let Some(home) = &state.env.home {
        dialog = dialog.set_directory(home);
    }
    if let Some(w) = app.get_webview_window(crate::popover::LABEL) {
        dialog = dialog.set_parent(&w);
    }
    if many {
        dialog.pick_folders(move |paths| {
            let _ = tx.send(paths.unwrap_or_default());
        });
    } else {
        dialog.pick_folder(move |path| {
            let _ = tx.send(path.into_iter().collect());
        });
    }
    let picked = rx.await.unwrap_or_default();
    state.dialog_open.store(false, Ordering::SeqCst);
    picked
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .map(|p| p.display().to_string())
        .collect()
}
