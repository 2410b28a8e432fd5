//! The popover window: shown under the tray icon on macOS, at the top-right corner on
//! Linux (its trays report no clicks or icon position), hidden on blur unless pinned.
//! A tray click right after a blur-hide is the same click that caused the blur: ignored,
//! so the icon toggles the popover instead of reopening it (platform notes §2.3).
//!
//! The webview exists only while the popover is open, and for [`GRACE`] after: all
//! state lives in Rust, so the page is disposable, and a hidden webview keeps its web
//! and network processes (hundreds of MiB) for nothing. A popover opened without a
//! webview is built hidden and shown once its page has painted the current state
//! (`page_ready`), so it never shows an empty or stale list.

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
/// How long a closed popover keeps its webview. Checking on a VM is often a glance and
/// a second look within seconds (the toggle, a blur by a click elsewhere, the Finder
/// window the user drags from); those reopen instantly. Past it, a reopen builds the
/// page again (BENCHMARKS.md: tray click → painted).
const GRACE: Duration = Duration::from_secs(15);
/// How long a released webview's web process is given to exit.
const WEB_PROCESS_EXIT: Duration = Duration::from_secs(2);
/// A page that never reports ready (a broken build) is shown anyway after this.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

fn window(app: &AppHandle) -> Option<WebviewWindow> {
    app.get_webview_window(LABEL)
}

/// `LIMABAR_WEBVIEW_GRACE_MS` shortens the grace (tests, the footprint benchmark).
fn grace(app: &AppHandle) -> Duration {
    app.state::<AppState>().webview_grace.unwrap_or(GRACE)
}

/// Builds the popover's webview from its configuration, hidden, first asking the kernel
/// to read back the library pages handed back when the last one was released (`page_out`).
fn build(app: &AppHandle) -> Option<WebviewWindow> {
    crate::page_out::read_back_webview_libraries();
    let config = app.config().app.windows.iter().find(|w| w.label == LABEL)?;
    match tauri::WebviewWindowBuilder::from_config(app, config).and_then(|b| b.build()) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, "could not build the popover");
            None
        }
    }
}

/// The page painted its first snapshot: a popover waiting for it is shown now.
pub fn page_ready(app: &AppHandle) {
    let state = app.state::<AppState>();
    let waiting = state.show_when_ready.lock().ok().and_then(|mut w| w.take());
    if let Some((tray_rect, asked)) = waiting {
        reveal(app, tray_rect);
        shown_after(asked, "a new webview");
    }
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

/// Where the popover is asked to open, and when (for the "popover shown" time).
type Asked = (Option<Rect>, Instant);

/// What opening does, given the open that may still wait for its page (`waiting`).
#[derive(Debug, PartialEq)]
enum Opening {
    /// The webview is there and painted: show it now.
    Reveal,
    /// A page is still painting (a second click, a second launch): it is shown when
    /// ready, where it was asked for last; shown now it would be empty.
    StillPainting,
    /// No webview: build one, shown when its page is ready.
    Build,
}

fn opening(waiting: &mut Option<Asked>, have_window: bool, asked: Asked) -> Opening {
    if let Some(w) = waiting.as_mut() {
        w.0 = asked.0;
        return Opening::StillPainting;
    }
    if have_window {
        return Opening::Reveal;
    }
    *waiting = Some(asked);
    Opening::Build
}

pub fn show(app: &AppHandle, tray_rect: Option<Rect>) {
    let state = app.state::<AppState>();
    // Whatever was scheduled to destroy the webview (or reveal an older page) is stale.
    let generation = state.webview_generation.fetch_add(1, Ordering::SeqCst) + 1;
    let asked = Instant::now();
    let what = opening(
        &mut state.show_when_ready.lock().unwrap(),
        window(app).is_some(),
        (tray_rect, asked),
    );
    match what {
        Opening::StillPainting => {}
        Opening::Reveal => {
            reveal(app, tray_rect);
            shown_after(asked, "the kept webview");
        }
        Opening::Build if build(app).is_none() => {
            state.show_when_ready.lock().unwrap().take();
        }
        Opening::Build => {
            // Shown by `page_ready`; a page that never says so is shown anyway, unless
            // the popover was closed or opened again meanwhile.
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(READY_TIMEOUT).await;
                let state = app.state::<AppState>();
                if state.webview_generation.load(Ordering::SeqCst) == generation {
                    page_ready(&app);
                }
            });
        }
    }
}

/// What the released webview's UI side freed stays in glibc's arenas (tens of MiB of
/// the app's PSS) unless asked back: trimmed once the main thread has dropped it.
fn return_freed_memory(app: &AppHandle) {
    #[cfg(target_os = "linux")]
    let _ = app.run_on_main_thread(|| {
        // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointers.
        unsafe {
            libc::malloc_trim(0);
        }
    });
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

/// The app's own time from "open" to the popover shown with its state painted
/// (scripts/bench-footprint.sh reads this line).
fn shown_after(asked: Instant, how: &str) {
    let ms = asked.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(ms, how, "popover shown");
}

fn reveal(app: &AppHandle, tray_rect: Option<Rect>) {
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
    let state = app.state::<AppState>();
    // Closed before its page painted: it is not shown when the page is ready.
    state.show_when_ready.lock().unwrap().take();
    let Some(win) = window(app) else { return };
    let _ = win.hide();
    state.popover_visible.store(false, Ordering::SeqCst);
    events::popover(app, false);
    release_after_grace(app);
}

/// Destroys the hidden popover's webview once the grace has passed without a reopen
/// (one timer per close; a reopen or another close makes it stale). Its web process
/// exits with it; the log view it may have had open stops being followed.
fn release_after_grace(app: &AppHandle) {
    let state = app.state::<AppState>();
    let generation = state.webview_generation.fetch_add(1, Ordering::SeqCst) + 1;
    let (app, grace) = (app.clone(), grace(app));
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(grace).await;
        let state = app.state::<AppState>();
        if state.webview_generation.load(Ordering::SeqCst) != generation || state.popover_visible()
        {
            return;
        }
        if let Some(win) = window(&app) {
            tracing::info!("releasing the popover's webview");
            let _ = win.destroy();
            return_freed_memory(&app);
        }
        if let Ok(s) = state.session() {
            s.close_logs();
        }
        // The web process takes a moment to exit after its webview; then nothing
        // uses WebKit's network process.
        tokio::time::sleep(WEB_PROCESS_EXIT).await;
        if state.webview_generation.load(Ordering::SeqCst) == generation
            && !state.keep_network_process
        {
            crate::webkit_network::end_when_idle(&app, |app| window(app).is_some());
        }
        if state.webview_generation.load(Ordering::SeqCst) == generation {
            page_out_when_closed(&app);
        }
    });
}

/// Hands WebKit's and Mesa's library pages back to the kernel, on the main thread (where
/// webviews are made) and only while none exists.
pub fn page_out_when_closed(app: &AppHandle) {
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || {
        if window(&handle).is_none() {
            crate::page_out::webview_libraries();
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::{LogicalPosition, LogicalSize};

    #[test]
    fn a_second_open_while_the_page_paints_waits_for_it_instead_of_showing_it_empty() {
        let rect = Rect {
            position: LogicalPosition::new(10.0, 0.0).into(),
            size: LogicalSize::new(24.0, 24.0).into(),
        };
        let mut waiting = None;
        let t = Instant::now();
        assert_eq!(opening(&mut waiting, false, (None, t)), Opening::Build);
        // The window exists now, but its page has not said it is ready.
        assert_eq!(
            opening(&mut waiting, true, (Some(rect), t)),
            Opening::StillPainting
        );
        assert!(
            waiting.as_ref().is_some_and(|w| w.0.is_some()),
            "placed where asked last"
        );
        waiting.take(); // page_ready
        assert_eq!(opening(&mut waiting, true, (None, t)), Opening::Reveal);
        assert!(waiting.is_none());
    }
}
