//! The popover window: shown under the tray icon on macOS, at the top-right corner on
//! Linux (its trays report no clicks or icon position), hidden on blur unless pinned.
//! A tray click right after a blur-hide is the same click that caused the blur: ignored,
//! so the icon toggles the popover instead of reopening it (platform notes §2.3).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tauri::{
    AppHandle, DragDropEvent, LogicalSize, Manager, PhysicalPosition, Rect, WebviewWindow,
};

use crate::events::{self, DragPayload};
use crate::state::AppState;

pub const LABEL: &str = "popover";
const MARGIN: i32 = 12;
const BLUR_CLICK_RACE: Duration = Duration::from_millis(300);
const BLUR_HIDE_DELAY: Duration = Duration::from_millis(400);

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
    events::popover(app, true);
}

pub fn hide(app: &AppHandle) {
    let Some(win) = window(app) else { return };
    let _ = win.hide();
    app.state::<AppState>()
        .popover_visible
        .store(false, Ordering::SeqCst);
    events::popover(app, false);
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

/// Hides the popover a moment after it loses focus, unless pinned or a drag arrives in
/// the meantime: to drag a folder from Finder the user presses the button in Finder
/// first, which blurs the popover before the drag reaches it. While a mouse button is
/// still held when the moment is up, the hide waits another moment (a drag may be on
/// its way); a drag-enter or focus cancels it.
pub fn on_blur(app: &AppHandle) {
    let state = app.state::<AppState>();
    if state.pinned.load(Ordering::SeqCst)
        || !state.popover_visible()
        || state.dragging.load(Ordering::SeqCst)
        || state.dialog_open.load(Ordering::SeqCst)
    {
        return;
    }
    let generation = state.blur_generation.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let give_up = Instant::now() + Duration::from_secs(60);
        loop {
            tokio::time::sleep(BLUR_HIDE_DELAY).await;
            let state = app.state::<AppState>();
            if state.blur_generation.load(Ordering::SeqCst) != generation
                || state.dragging.load(Ordering::SeqCst)
            {
                return;
            }
            if !(mouse_button_held(&app).await && Instant::now() < give_up) {
                break;
            }
        }
        if let Ok(mut t) = app.state::<AppState>().last_blur_hide.lock() {
            *t = Some(Instant::now());
        }
        hide(&app);
    });
}

/// Whether a mouse button is down anywhere on the screen (asked on the main thread).
async fn mouse_button_held(app: &AppHandle) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = app.clone();
    let asked = app.run_on_main_thread(move || {
        let _ = tx.send(window(&handle).is_some_and(|w| pointer_buttons_down(&w)));
    });
    asked.is_ok() && rx.await.unwrap_or(false)
}

#[cfg(target_os = "linux")]
fn pointer_buttons_down(win: &WebviewWindow) -> bool {
    use gtk::gdk;
    use gtk::prelude::*;
    let Some(gdk_window) = win.gtk_window().ok().and_then(|w| w.window()) else {
        return false;
    };
    let Some(pointer) = gdk_window
        .display()
        .default_seat()
        .and_then(|s| s.pointer())
    else {
        return false;
    };
    let (_, _, _, mask) = gdk_window.device_position(&pointer);
    mask.intersects(
        gdk::ModifierType::BUTTON1_MASK
            | gdk::ModifierType::BUTTON2_MASK
            | gdk::ModifierType::BUTTON3_MASK,
    )
}

/// macOS and others: no check yet, the plain delay applies (NSEvent.pressedMouseButtons
/// would be the macOS equivalent).
#[cfg(not(target_os = "linux"))]
fn pointer_buttons_down(_win: &WebviewWindow) -> bool {
    false
}

/// Focus came back, or a drag entered: cancel a pending blur-hide.
pub fn cancel_blur_hide(app: &AppHandle) {
    app.state::<AppState>()
        .blur_generation
        .fetch_add(1, Ordering::SeqCst);
}

/// Relays drag-and-drop to the UI, which highlights the target and plans the mounts.
pub fn on_drag(app: &AppHandle, event: &DragDropEvent) {
    tracing::debug!(?event, "drag and drop");
    let state = app.state::<AppState>();
    let payload = match event {
        DragDropEvent::Enter { paths, position } => {
            state.dragging.store(true, Ordering::SeqCst);
            cancel_blur_hide(app);
            DragPayload::Enter {
                paths: strings(paths),
                x: position.x,
                y: position.y,
            }
        }
        DragDropEvent::Over { position } => DragPayload::Over {
            x: position.x,
            y: position.y,
        },
        DragDropEvent::Drop { paths, position } => {
            state.dragging.store(false, Ordering::SeqCst);
            DragPayload::Drop {
                paths: strings(paths),
                x: position.x,
                y: position.y,
            }
        }
        DragDropEvent::Leave => {
            state.dragging.store(false, Ordering::SeqCst);
            DragPayload::Leave
        }
        _ => return,
    };
    events::drag(app, &payload);
}

/// Dropped paths as the UI and the mount planner take them (a path that is not UTF-8
/// is passed lossily: the planner then reports it as not found, by name).
fn strings(paths: &[std::path::PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}
