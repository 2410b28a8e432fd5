//! The popover window: shown under the tray icon on macOS, at the top-right corner on
//! Linux (its trays report no clicks or icon position), hidden on blur unless pinned.
//! A tray click right after a blur-hide is the same click that caused the blur: ignored,
//! so the icon toggles the popover instead of reopening it (platform notes §2.3).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter, LogicalSize, Manager, PhysicalPosition, Rect, WebviewWindow};

use crate::state::AppState;

pub const LABEL: &str = "popover";
const MARGIN: i32 = 12;
const BLUR_CLICK_RACE: Duration = Duration::from_millis(300);

fn window(app: &AppHandle) -> Option<WebviewWindow> {
    app.get_webview_window(LABEL)
}

fn place(win: &WebviewWindow, tray_rect: Option<Rect>) {
    let Ok(Some(monitor)) = win.current_monitor().or_else(|_| win.primary_monitor()) else {
        return;
    };
    let scale = monitor.scale_factor();
    // outer_size() is 0×0 until GTK configures the window; use the configured size.
    let size = win
        .outer_size()
        .ok()
        .filter(|s| s.width > 0)
        .map(|s| (s.width as i32, s.height as i32))
        .unwrap_or_else(|| {
            let l = LogicalSize::new(400.0, 560.0).to_physical::<i32>(scale);
            (l.width, l.height)
        });
    let (mx, my) = (monitor.position().x, monitor.position().y);
    let mw = monitor.size().width as i32;
    let pos = match tray_rect {
        Some(rect) => {
            let p = rect.position.to_physical::<f64>(scale);
            let s = rect.size.to_physical::<f64>(scale);
            let x = (p.x + s.width / 2.0) as i32 - size.0 / 2;
            PhysicalPosition::new(
                x.clamp(mx + MARGIN, mx + mw - size.0 - MARGIN),
                (p.y + s.height) as i32 + 4,
            )
        }
        None => PhysicalPosition::new(mx + mw - size.0 - MARGIN, my + 32),
    };
    let _ = win.set_position(pos);
}

pub fn show(app: &AppHandle, tray_rect: Option<Rect>) {
    let Some(win) = window(app) else { return };
    place(&win, tray_rect);
    let _ = win.show();
    let _ = win.set_focus();
    app.state::<AppState>()
        .popover_visible
        .store(true, Ordering::SeqCst);
    let _ = app.emit("limabar://popover", true);
}

pub fn hide(app: &AppHandle) {
    let Some(win) = window(app) else { return };
    let _ = win.hide();
    app.state::<AppState>()
        .popover_visible
        .store(false, Ordering::SeqCst);
    let _ = app.emit("limabar://popover", false);
}

/// The tray icon was clicked (macOS and Windows deliver clicks; Linux does not).
pub fn toggle(app: &AppHandle, tray_rect: Rect) {
    let state = app.state::<AppState>();
    let just_blurred = state
        .last_blur_hide
        .lock()
        .ok()
        .and_then(|t| *t)
        .is_some_and(|t| t.elapsed() < BLUR_CLICK_RACE);
    if state.popover_visible() {
        hide(app);
    } else if !just_blurred {
        show(app, Some(tray_rect));
    }
}

pub fn on_blur(app: &AppHandle) {
    let state = app.state::<AppState>();
    if state.pinned.load(Ordering::SeqCst) || !state.popover_visible() {
        return;
    }
    if let Ok(mut t) = state.last_blur_hide.lock() {
        *t = Some(Instant::now());
    }
    hide(app);
}
