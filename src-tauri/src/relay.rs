//! Connects to Lima, and relays the session: each core `Change` becomes a UI event, a
//! tray update and, where the policy says so, a notification; each `Push` its event.
//! Nothing here polls: the tasks sleep on the session's channels.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use limabar_core::actions::{self, Session};
use limabar_core::live::tray::tray_model;
use tauri::async_runtime::{spawn, JoinHandle};
use tauri::{AppHandle, Manager};

use crate::events;
use crate::notifier::{DesktopNotifier, Notifier};
use crate::state::{AppState, Connected, LimaConnection};
use crate::tray;

/// Connects (again): at launch, from the onboarding's "Check again", and when Settings
/// saves another limactl. The new session replaces the old one (whose relays stop) as
/// soon as it is up; of attempts that overlap, the last one wins.
pub fn connect(app: AppHandle) {
    let state = app.state::<AppState>();
    let attempt = state.attempt.fetch_add(1, Ordering::SeqCst) + 1;
    state.set_connection(LimaConnection::Connecting);
    events::lima(&app, &state.connection());
    let mut env = state.env.clone();
    spawn(async move {
        let simulator = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("limactl-sim")));
        let opened = match actions::find_limactl(&mut env, simulator).await {
            Ok(limactl) => Session::open(env, limactl).await,
            Err(e) => Err(e),
        };
        let state = app.state::<AppState>();
        if state.attempt.load(Ordering::SeqCst) != attempt {
            return;
        }
        match opened {
            Ok(session) => {
                let info = session.monitor().info().clone();
                tracing::info!(path = %info.path, version = %info.version, "connected to Lima");
                let relays = vec![relay_changes(&app, &session), relay_pushes(&app, &session)];
                *state.connected.write().unwrap() = Some(Connected { session, relays });
                state.set_connection(LimaConnection::Connected { info });
            }
            Err(e) => {
                tracing::warn!(error = %e, "no usable limactl");
                *state.connected.write().unwrap() = None;
                state.set_connection(LimaConnection::Failed { error: e.info() });
            }
        }
        events::lima(&app, &state.connection());
    });
}

/// After Settings were saved: connects again when the limactl path changed, or when
/// there is no connection yet (the saved path may be the one that works).
pub fn connect_if(app: AppHandle, limactl_changed: bool) {
    if limactl_changed || app.state::<AppState>().session().is_err() {
        connect(app);
    }
}

fn relay_pushes(app: &AppHandle, session: &Arc<Session>) -> JoinHandle<()> {
    let (app, mut pushes) = (app.clone(), session.subscribe());
    spawn(async move {
        loop {
            match pushes.recv().await {
                Ok(p) => events::push(&app, &p),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    })
}

fn relay_changes(app: &AppHandle, session: &Arc<Session>) -> JoinHandle<()> {
    let (app, session) = (app.clone(), session.clone());
    let mut changes = session.monitor().subscribe();
    let notifier = DesktopNotifier::new(&app.config().identifier);
    spawn(async move {
        let mut model = tray_model(&session.list().await);
        tray::update(&app, &model);
        loop {
            let change = match changes.recv().await {
                Ok(c) => c,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(n, "dropped changes; the UI reloads its snapshot");
                    continue;
                }
                Err(_) => return,
            };
            events::change(&app, &change);
            let state = app.state::<AppState>();
            if let Some(notice) = actions::notice(&state.env, &change, state.popover_visible()) {
                notifier.notify(notice);
            }
            // The monitor's list is the one list: the tray reads it, keeps no copy.
            let next = tray_model(&session.list().await);
            if next != model {
                tray::update(&app, &next);
                model = next;
            }
        }
    })
}
