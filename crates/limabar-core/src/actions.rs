//! The use cases, one function each, for both front ends: the app's commands and the
//! `limabar` CLI call these in a few lines and decide nothing themselves.
//!
//! A [`Session`] is one connection to Lima as a value: the limactl found, the monitor
//! (the one instance list in Rust), the dev-shell service with its flake-folder watcher,
//! and the mount changes waiting for "Restart to apply". The app keeps it replaceable:
//! a new limactl path in Settings makes a new session at once.
//!
//! What a session learns in the background (an instance's flakes, a diagnosis after a
//! failed start, creation stages, new log lines) is pushed as a [`Push`]; the app turns
//! each into its event, the CLI ignores them.

pub mod cli_link;
mod diagnose;
mod editor;
mod envrc;
mod flakes;
mod guest;
mod lifecycle;
mod logs;
mod memory;
mod notify;
mod ports;
pub mod settings;
mod share;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::env::HostEnv;
use crate::error::{CoreError, Result};
use crate::lima::locate::{connect, Limactl};
use crate::live::change::{Change, InstanceView};
use crate::live::monitor::{Monitor, MonitorConfig};
use crate::live::readiness::VmState;
use crate::ErrorCode;

pub use diagnose::{diagnose, Diagnosis};
pub use editor::{editors, ssh_config, EditorPlan, EditorSettings, OpenedEditor};
pub use envrc::EnvrcAdded;
pub use flakes::{terminals, InstanceFlakes, OpenedShell, TerminalSettings};
pub use guest::probe as probe_guest;
pub use lifecycle::{new_vm_yaml, CreateProgress, NewVmRequest};
pub use logs::LogBatch;
pub use memory::{measure as measure_memory, MemoryView};
pub use notify::notice;
pub use share::MountProposal;

/// What a session learned without being asked, for the app to show.
#[derive(Debug, Clone, Serialize)]
pub enum Push {
    Flakes(InstanceFlakes),
    Diagnosis(Diagnosis),
    Create(CreateProgress),
    Logs(LogBatch),
}

/// One connection to Lima. Dropping the last `Arc` stops its background work.
pub struct Session {
    /// This session, for its own background tasks (which must not keep it alive).
    me: Weak<Session>,
    env: HostEnv,
    monitor: Monitor,
    flakes: Arc<flakes::FlakeWatch>,
    pending: Mutex<BTreeMap<String, share::Pending>>,
    logs: Mutex<Option<crate::fswatch::FsWatch>>,
    /// The doctor's facts about this machine, read at the first diagnosis.
    host: std::sync::OnceLock<crate::features::doctor::Host>,
    /// What the doctor last saw inside each running VM.
    guest: guest::GuestChecks,
    pushes: broadcast::Sender<Push>,
    /// Follows the monitor's changes (flakes on new mounts or readiness, diagnoses on
    /// failure); aborted with the session, so the monitor can stop.
    follower: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(f) = self.follower.lock().ok().and_then(|mut f| f.take()) {
            f.abort();
        }
    }
}

/// Finds limactl: `$LIMACTL`, then the Settings path, then the usual places. With none
/// found and no `$LIMACTL`, the `limactl-sim` in `simulator` (shipped beside the app
/// for demos) in a Limabar-owned `$LIMA_HOME`; `env` is changed to match.
pub async fn find_limactl(env: &mut HostEnv, simulator: Option<PathBuf>) -> Result<Limactl> {
    let setting = settings::load(env).limactl.map(PathBuf::from);
    match connect(env, setting.as_deref(), &env.limactl_workdir()).await {
        Err(e) if e.code() == ErrorCode::LimactlNotFound && env.limactl.is_none() => {
            match simulator.filter(|p| p.exists()) {
                Some(sim) => {
                    env.lima_home = simulated_lima_home(env);
                    env.limactl = Some(sim);
                    connect(env, None, &env.limactl_workdir()).await
                }
                None => Err(e),
            }
        }
        other => other,
    }
}

/// Where the limactl-sim demo keeps its instances.
pub fn simulated_lima_home(env: &HostEnv) -> PathBuf {
    env.data_dir.join("simulated-lima")
}

impl Session {
    /// The app's session: the monitor over `limactl` (boot history and per-VM locks in
    /// Limabar's data folder, shared with the CLI), the flake watcher and the follower
    /// (flakes refreshed and failures diagnosed in the background); returns once the
    /// first listing is in.
    pub async fn open(env: HostEnv, limactl: Limactl) -> Result<Arc<Session>> {
        let session = Session::open_for_command(env, limactl).await?;
        let changes = session.monitor.subscribe();
        session.flakes.start_watching(session.me.clone());
        let initial = session.list().await;
        for v in &initial {
            session.refresh_flakes(v);
            // Already running: the doctor looks inside now, as after a boot.
            if matches!(v.state, VmState::Ready { .. }) {
                session.probe_in_background(v.instance.name.clone());
            }
        }
        // The follower knows what was just refreshed: only a later change of mounts
        // refreshes again (not every instance's first Upserted).
        let seen = initial
            .into_iter()
            .map(|v| (v.instance.name, v.instance.mounts))
            .collect();
        let follower = tokio::spawn(follow(session.me.clone(), changes, seen));
        *session.follower.lock().unwrap() = Some(follower.abort_handle());
        Ok(session)
    }

    /// A session for one command (`limabar …`): the same use cases, with nothing done in
    /// the background that the command did not ask for.
    pub async fn open_for_command(env: HostEnv, limactl: Limactl) -> Result<Arc<Session>> {
        let flakes = flakes::FlakeWatch::new(&limactl, &env.data_dir);
        let monitor = Monitor::spawn(MonitorConfig {
            boot_history: Some(env.data_dir.join("boot-history.json")),
            op_locks: Some(env.op_locks_dir()),
            ..MonitorConfig::new(limactl)
        })?;
        let (pushes, _) = broadcast::channel(256);
        let session = Arc::new_cyclic(|me| Session {
            me: me.clone(),
            env,
            monitor,
            flakes,
            pending: Mutex::default(),
            logs: Mutex::default(),
            host: Default::default(),
            guest: Default::default(),
            pushes,
            follower: Mutex::default(),
        });
        session.monitor.snapshot().await;
        Ok(session)
    }

    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    pub fn env(&self) -> &HostEnv {
        &self.env
    }

    /// What this session will push from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Push> {
        self.pushes.subscribe()
    }

    fn push(&self, p: Push) {
        let _ = self.pushes.send(p);
    }

    /// Every instance, as the monitor sees it now.
    pub async fn list(&self) -> Vec<InstanceView> {
        self.monitor.snapshot().await
    }

    /// The instance named `name` as the monitor sees it now.
    pub async fn view(&self, name: &str) -> Result<InstanceView> {
        self.list()
            .await
            .into_iter()
            .find(|v| v.instance.name == name)
            .ok_or_else(|| CoreError::InstanceNotFound { name: name.into() })
    }
}

/// What the monitor's changes set off: new mounts may hold new flakes; a VM that came up
/// can evaluate and pre-build its shells; a failed or degraded start is explained (and a
/// ready VM's explanation withdrawn); a ready guest is checked from inside.
async fn follow(
    session: Weak<Session>,
    mut changes: broadcast::Receiver<Change>,
    mut mounts: BTreeMap<String, Vec<crate::lima::inventory::Mount>>,
) {
    loop {
        let change = match changes.recv().await {
            Ok(c) => c,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return,
        };
        let Some(s) = session.upgrade() else { return };
        match change {
            Change::Upserted { instance } => {
                let name = instance.instance.name.clone();
                if mounts.get(&name) != Some(&instance.instance.mounts) {
                    mounts.insert(name, instance.instance.mounts.clone());
                    s.refresh_flakes(&instance);
                }
            }
            Change::Removed { name } => {
                mounts.remove(&name);
                s.pending.lock().unwrap().remove(&name);
            }
            Change::StateChanged { name, from, to, .. } => {
                let Ok(mut v) = s.view(&name).await else {
                    continue;
                };
                if to.is_up() && !from.is_up() {
                    s.refresh_flakes(&v);
                }
                if !to.is_up() {
                    s.guest.forget(&name);
                }
                // Ready: the guest answers commands, so the doctor looks inside.
                if matches!(to, VmState::Ready { .. }) {
                    s.probe_in_background(name.clone());
                }
                if matches!(
                    to,
                    VmState::Failed { .. } | VmState::Degraded { .. } | VmState::Ready { .. }
                ) {
                    v.state = to;
                    s.push_diagnosis(v);
                }
            }
            _ => {}
        }
    }
}
