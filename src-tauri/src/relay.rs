//! Connects to Lima at start-up, then turns each core `Change` into a UI event, a tray
//! update and, where the policy says so, a notification. Nothing here polls: the loop
//! sleeps on the monitor's change channel.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use limabar_core::env::HostEnv;
use limabar_core::lima::locate::{connect, Limactl};
use limabar_core::live::tray::{notice_for, tray_model};
use limabar_core::{
    Change, CoreError, ErrorCode, InstanceView, Monitor, MonitorConfig, Operation, VmState,
};
use tauri::{AppHandle, Emitter, Manager};

use crate::devshells;
use crate::diagnosis;
use crate::notifier::{DesktopNotifier, Notifier};
use crate::state::{AppState, LimaConnection};
use crate::tray;

pub const CHANGE_EVENT: &str = "limabar://change";
pub const LIMA_EVENT: &str = "limabar://lima";

/// Real Lima if there is one; else the `limactl-sim` shipped beside this binary, in a
/// Limabar-owned `$LIMA_HOME` (demo mode, shown as "Simulated Lima").
async fn connect_or_simulate(mut env: HostEnv) -> Result<Limactl, CoreError> {
    // The user's limactl setting comes after $LIMACTL, before the search.
    let setting =
        limabar_core::settings::Settings::load(&limabar_core::settings::path(&env.config_dir))
            .limactl
            .map(PathBuf::from);
    match connect(&env, setting.as_deref(), &env.limactl_workdir()).await {
        Err(e) if e.code() == ErrorCode::LimactlNotFound && env.limactl.is_none() => {
            let sim = std::env::current_exe()
                .ok()
                .and_then(|p| p.parent().map(|d| d.join("limactl-sim")));
            match sim.filter(|p| p.exists()) {
                Some(sim) => {
                    env.lima_home = simulated_lima_home(&env);
                    env.limactl = Some(sim);
                    connect(&env, None, &env.limactl_workdir()).await
                }
                None => Err(e),
            }
        }
        other => other,
    }
}

/// Connects to Lima (or the sim) and, once connected, runs the monitor and relays its
/// changes for the rest of the app's life. Failing leaves the onboarding up; "Check
/// again" calls this once more. One attempt at a time.
pub fn start(app: AppHandle) {
    let state = app.state::<AppState>();
    if state.monitor.get().is_some() || state.connecting.swap(true, Ordering::SeqCst) {
        return;
    }
    let env = state.env.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let _attempt = Attempt(&state.connecting);
        let boot_history = env.data_dir.join("boot-history.json");
        let op_locks = env.op_locks_dir();
        let data_dir = env.data_dir.clone();
        let limactl = match connect_or_simulate(env).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "no usable limactl");
                state.set_connection(LimaConnection::Failed { error: e.info() });
                let _ = app.emit(LIMA_EVENT, state.connection());
                return;
            }
        };
        tracing::info!(path = %limactl.runner.program.display(), version = %limactl.version, "connected to Lima");
        let info = limactl.info();
        let (limactl_runner, features) = (limactl.runner.clone(), limactl.features);
        let config = MonitorConfig {
            boot_history: Some(boot_history),
            op_locks: Some(op_locks),
            ..MonitorConfig::new(limactl)
        };
        let monitor = match Monitor::spawn(config) {
            Ok(m) => m,
            Err(e) => {
                state.set_connection(LimaConnection::Failed { error: e.info() });
                let _ = app.emit(LIMA_EVENT, state.connection());
                return;
            }
        };
        let dev = devshells::init(&app, limactl_runner, features, data_dir);
        let changes = monitor.subscribe();
        let initial = monitor.snapshot().await;
        let _ = state.monitor.set(monitor);
        let _ = state.dev.set(dev);
        for v in &initial {
            devshells::refresh(&app, v.instance.clone(), v.vm_up());
        }
        state.set_connection(LimaConnection::Connected { info });
        let _ = app.emit(LIMA_EVENT, state.connection());
        relay(
            app.clone(),
            initial,
            changes,
            DesktopNotifier::new(&app.config().identifier),
        )
        .await;
    });
}

/// Tries again when there is no connection yet (onboarding's "Check again", a limactl
/// path saved in Settings); a connected app keeps its connection.
pub fn reconnect(app: AppHandle) {
    let state = app.state::<AppState>();
    if state.monitor.get().is_some() {
        return;
    }
    state.set_connection(LimaConnection::Connecting);
    let _ = app.emit(LIMA_EVENT, state.connection());
    start(app.clone());
}

/// Clears `connecting` however the attempt ends.
struct Attempt<'a>(&'a AtomicBool);

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn relay(
    app: AppHandle,
    initial: Vec<InstanceView>,
    mut changes: tokio::sync::broadcast::Receiver<Change>,
    notifier: impl Notifier,
) {
    let mut views: BTreeMap<String, InstanceView> = initial
        .into_iter()
        .map(|v| (v.instance.name.clone(), v))
        .collect();
    let mut model = tray_model(&views.values().cloned().collect::<Vec<_>>());
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
        let _ = app.emit(CHANGE_EVENT, &change);
        match &change {
            Change::Upserted { instance } => {
                let old = views.insert(instance.instance.name.clone(), instance.clone());
                // New mounts may hold new flakes.
                if old.is_none_or(|o| o.instance.mounts != instance.instance.mounts) {
                    devshells::refresh(&app, instance.instance.clone(), instance.vm_up());
                }
            }
            Change::Removed { name } => {
                views.remove(name);
            }
            Change::StateChanged { name, from, to, .. } => {
                // Ready: shell lists can now be evaluated and recent shells pre-built.
                if to.is_up() && !from.is_up() {
                    if let Some(v) = views.get(name) {
                        devshells::refresh(&app, v.instance.clone(), true);
                    }
                }
                // Failed or degraded: explain why; ready again: the explanation goes.
                if matches!(
                    to,
                    VmState::Failed { .. } | VmState::Degraded { .. } | VmState::Ready { .. }
                ) {
                    if let Some(v) = views.get(name) {
                        let mut v = v.clone();
                        v.state = to.clone();
                        diagnosis::push(&app, v);
                    }
                }
                let state = app.state::<AppState>();
                if let Some(notice) = notice_for(&change, state.popover_visible(), now_ms()) {
                    // The settings file is read only when there is something to show.
                    let s = crate::settings::load(&state);
                    let wanted = if matches!(to, VmState::Ready { .. }) {
                        s.notify_ready
                    } else {
                        s.notify_problems
                    };
                    if wanted {
                        notifier.notify(notice);
                    }
                }
            }
            Change::Warning { instance, message } => {
                tracing::warn!(?instance, %message, "monitor warning")
            }
            Change::OperationEnded { .. } | Change::MountsChecked { .. } => {}
        }
        let next = tray_model(&views.values().cloned().collect::<Vec<_>>());
        if next != model {
            tray::update(&app, &next);
            model = next;
        }
    }
}

/// A tray menu action. A refused one (busy, gone) is reported as a notification, since
/// the popover may be closed.
pub fn begin_from_tray(app: &AppHandle, name: String, op: Operation) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(monitor) = app.state::<AppState>().monitor.get().cloned() else {
            return;
        };
        if let Err(e) = monitor.begin(&name, op).await {
            DesktopNotifier::new(&app.config().identifier).notify(
                limabar_core::live::tray::Notice {
                    title: format!("Could not {} {name}", op.verb()),
                    body: e.to_string(),
                },
            );
        }
    });
}

/// Where the limactl-sim demo keeps its instances.
pub fn simulated_lima_home(env: &HostEnv) -> PathBuf {
    env.data_dir.join("simulated-lima")
}
