//! The menu-bar icon and its menu, rendered from the core's pure `TrayModel`. On Linux
//! the menu is the only way in (no click events), so every action is a menu item. The
//! menu is kept and its items replaced, because Linux cannot swap a menu once set.

use limabar_core::live::tray::{Notice, TrayIcon, TrayModel};
use limabar_core::Operation;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Listener, Manager, Wry};

use crate::events;
use crate::notifier::{DesktopNotifier, Notifier};
use crate::popover;
use crate::state::AppState;
use crate::update_status::{self, CHECK_ITEM, INSTALL_ITEM};
use crate::updates::{self, Asked};

pub const TRAY_ID: &str = "main";

fn icon(kind: TrayIcon) -> Image<'static> {
    match kind {
        TrayIcon::Idle => tauri::include_image!("../icons/tray-idle.png"),
        TrayIcon::Busy => tauri::include_image!("../icons/tray-busy.png"),
        TrayIcon::Ready => tauri::include_image!("../icons/tray-ready.png"),
        TrayIcon::Trouble => tauri::include_image!("../icons/tray-trouble.png"),
    }
}

/// The menu, and the model it was last filled from (an update's news fills it again).
pub struct TrayMenu {
    menu: Menu<Wry>,
    last: std::sync::Mutex<TrayModel>,
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let menu = Menu::new(app)?;
    let empty = TrayModel {
        icon: TrayIcon::Idle,
        title: String::new(),
        items: vec![],
    };
    fill(app, &menu, &empty)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(TrayIcon::Idle))
        .icon_as_template(true)
        .tooltip("Limabar")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                rect,
                ..
            } = event
            {
                popover::toggle(tray.app_handle(), rect);
            }
        })
        .build(app)?;
    app.manage(TrayMenu {
        menu,
        last: std::sync::Mutex::new(empty),
    });
    let handle = app.clone();
    app.listen(events::UPDATE, move |_| refill(&handle));
    Ok(())
}

/// Fills the menu from its last model (a new model, or the update item changed).
fn refill(app: &AppHandle) {
    if let Some(tray) = app.try_state::<TrayMenu>() {
        let model = tray.last.lock().map(|m| m.clone());
        if let Ok(model) = model {
            if let Err(e) = fill(app, &tray.menu, &model) {
                tracing::warn!(error = %e, "could not update the tray menu");
            }
        }
    }
}

fn fill(app: &AppHandle, menu: &Menu<Wry>, model: &TrayModel) -> tauri::Result<()> {
    for item in menu.items()? {
        menu.remove(&item)?;
    }
    if model.items.is_empty() {
        menu.append(&MenuItem::with_id(
            app,
            "none",
            "No Lima instances",
            false,
            None::<&str>,
        )?)?;
    }
    for it in &model.items {
        menu.append(&MenuItem::with_id(
            app,
            format!("label:{}", it.name),
            &it.label,
            false,
            None::<&str>,
        )?)?;
        for action in &it.actions {
            let verb = match action {
                Operation::Start => "Start",
                Operation::Restart => "Restart",
                Operation::Stop | Operation::ForceStop | Operation::Mounts => "Stop",
                Operation::Delete => "Delete",
                Operation::Create => "Create",
            };
            let id = format!("op:{}:{}", action.verb(), it.name);
            let text = format!("    {verb} {}", it.name);
            menu.append(&MenuItem::with_id(app, id, text, it.enabled, None::<&str>)?)?;
        }
        for port in &it.ports {
            let id = format!("port:{port}:{}", it.name);
            let text = format!("    Open localhost:{port}");
            menu.append(&MenuItem::with_id(app, id, text, true, None::<&str>)?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    let status = app.state::<updates::Updates>().status();
    let (id, label, enabled) = update_status::menu_item(&status);
    menu.append(&MenuItem::with_id(app, id, label, enabled, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(
        app,
        "open",
        "Open Limabar",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        "quit",
        "Quit Limabar",
        true,
        None::<&str>,
    )?)?;
    Ok(())
}

pub fn update(app: &AppHandle, model: &TrayModel) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let _ = tray.set_icon_with_as_template(Some(icon(model.icon)), true);
    let _ = tray.set_title(Some(model.title.as_str()));
    let _ = tray.set_tooltip(Some(format!(
        "Limabar — {}",
        model
            .items
            .iter()
            .map(|i| i.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )));
    // The menu is refilled in place (its items removed and added again): only when it
    // would say something else, not on every change of an instance.
    if let Some(tray) = app.try_state::<TrayMenu>() {
        if let Ok(mut last) = tray.last.lock() {
            if *last == *model {
                return;
            }
            *last = model.clone();
        }
    }
    refill(app);
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        "open" => popover::show(app, None),
        "quit" => app.exit(0),
        CHECK_ITEM => {
            tauri::async_runtime::spawn(updates::check(app.clone(), Asked::Tray));
        }
        INSTALL_ITEM => {
            tauri::async_runtime::spawn(updates::install(app.clone()));
        }
        _ if id.starts_with("port:") => {
            let Some((port, name)) = id
                .strip_prefix("port:")
                .and_then(|r| r.split_once(':'))
                .and_then(|(p, n)| Some((p.parse::<u16>().ok()?, n.to_string())))
            else {
                return;
            };
            open_port_from_tray(app, name, port);
        }
        _ => {
            let Some((verb, name)) = id.strip_prefix("op:").and_then(|r| r.split_once(':')) else {
                return;
            };
            let op = match verb {
                "start" => Operation::Start,
                "restart" => Operation::Restart,
                _ => Operation::Stop,
            };
            begin_from_tray(app, name.to_string(), op);
        }
    }
}

/// "Open localhost:PORT": the browser; a failure is a notification (no popover).
fn open_port_from_tray(app: &AppHandle, name: String, port: u16) {
    from_tray(
        app,
        format!("Could not open localhost:{port}"),
        move |s| async move { s.open_port(&name, port).await.map(drop) },
    );
}

/// A tray menu action. A refused one (busy, gone) is reported as a notification, since
/// the popover may be closed.
pub fn begin_from_tray(app: &AppHandle, name: String, op: Operation) {
    let failed = format!("Could not {} {name}", op.verb());
    from_tray(
        app,
        failed,
        move |s| async move { s.begin(&name, op).await },
    );
}

/// Runs `act` on the session in the background; its error becomes a notification titled
/// `failed`.
fn from_tray<F, Fut>(app: &AppHandle, failed: String, act: F)
where
    F: FnOnce(std::sync::Arc<limabar_core::actions::Session>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = limabar_core::error::Result<()>> + Send,
{
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Ok(session) = app.state::<AppState>().session() else {
            return;
        };
        if let Err(e) = act(session).await {
            DesktopNotifier::new(&app.config().identifier).notify(Notice {
                title: failed,
                body: e.to_string(),
            });
        }
    });
}
