//! The live view of every instance. One actor task owns all state; it is woken only by
//! file-system notifications (`$LIMA_HOME` and each instance directory, non-recursive),
//! by event lines from `limactl watch`, by finished limactl calls and by requests. There
//! is no timer-driven polling: with nothing happening the task sleeps.
//!
//! Invariants: at most one operation per instance (a second request gets `Busy`); every
//! state change is emitted as `Change`; sources of a stopped instance are dropped, which
//! kills its `limactl watch`.
//!
//! While an instance is listed running, the monitor also waits on its host agent's exit
//! (`procwatch`, the pid from `ha.pid`): an agent that dies without its `exiting` event
//! (SIGKILL, out of memory, a panic) changes nothing else the monitor would see.

mod ops;
mod sources;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::error::{CoreError, Result};
use crate::features::mounts::Plan;
use crate::fswatch::FsWatch;
use crate::lima::events::{parse_event_line, HaEvent};
use crate::lima::halog::parse_line;
use crate::lima::inventory::{parse_list, Instance, LimaStatus, Listing};
use crate::lima::limactl::Call;
use crate::lima::locate::{LimaInfo, Limactl};
use crate::live::change::{Change, InstanceView, MountStatus, Operation};
use crate::live::readiness::{apply, listing_is_transient, Input, Millis, VmState};
use crate::live::snapshot::{HA_PID, HA_STDERR, HA_STDOUT};
use sources::{inode_of, Sources};

/// The host agent's API socket (`ha.sock`).
const HA_SOCK: &str = "ha.sock";

#[derive(Debug, Clone)]
pub struct MonitorConfig {
    pub limactl: Limactl,
    /// Passed to `limactl start --timeout`.
    pub start_timeout: Duration,
    /// File-system events are gathered this long before `limactl list` runs again.
    pub debounce: Duration,
    /// Where past boot times are kept (None: in memory only).
    pub boot_history: Option<PathBuf>,
    /// Where operations take their cross-process locks (`oplock`); None: only this
    /// monitor's own one-at-a-time rule applies.
    pub op_locks: Option<PathBuf>,
}

impl MonitorConfig {
    pub fn new(limactl: Limactl) -> Self {
        MonitorConfig {
            limactl,
            start_timeout: Duration::from_secs(15 * 60),
            debounce: Duration::from_millis(150),
            boot_history: None,
            op_locks: None,
        }
    }
}

/// Handle to the monitor task. Cheap to clone; the task ends when every handle is gone.
#[derive(Clone)]
pub struct Monitor {
    tx: mpsc::UnboundedSender<Msg>,
    changes: broadcast::Sender<Change>,
    info: LimaInfo,
    limactl: Limactl,
    op_locks: Option<PathBuf>,
    start_timeout: Duration,
}

pub(crate) enum Msg {
    Snapshot(oneshot::Sender<Vec<InstanceView>>),
    Begin {
        name: String,
        op: Operation,
        /// For `Operation::Mounts`: the planned change.
        mounts: Option<Plan>,
        reply: oneshot::Sender<Result<oneshot::Receiver<Result<()>>>>,
    },
    Fs(notify::Event),
    RelistDue,
    Listed(Result<Listing>),
    Event {
        name: String,
        generation: u64,
        ev: HaEvent,
    },
    WatchEnded {
        name: String,
        generation: u64,
        reason: String,
    },
    /// The host-agent process `pid` of `name` has exited.
    AgentExited {
        name: String,
        pid: u32,
    },
    /// A short while after an agent exited without an `exiting` event: tell a crash
    /// (ha.sock left behind) from `limactl stop -f` (which removes it after its SIGKILL).
    AgentVerdict {
        name: String,
        pid: u32,
        /// The boot it was about (`Sources::generation`), if any.
        generation: Option<u64>,
    },
    OpFinished {
        name: String,
        op: Operation,
        result: Result<Vec<MountStatus>>,
    },
    /// A `limactl create` of `name` began (`Some(reply)`) or ended (`None`, with its
    /// result): its row shows the operation, and other operations are refused meanwhile.
    Creating {
        name: String,
        began: Option<oneshot::Sender<Result<()>>>,
        error: Option<crate::error::ErrorInfo>,
        /// With the end: answered once a listing begun after it has been applied, so
        /// the creator can start the new VM at once (it is listed by then).
        listed: Option<oneshot::Sender<()>>,
    },
    Warn {
        name: Option<String>,
        message: String,
    },
}

struct Tracked {
    instance: Instance,
    state: VmState,
    operation: Option<Operation>,
    by_limabar: bool,
    /// The running operation restarts the VM (a mount change on a running VM).
    restarting: bool,
    boot_estimate: Option<f64>,
    sources: Option<Sources>,
    /// The host-agent log last attributed to a boot. Kept when the sources are dropped
    /// (a stop), so a late write to the old log is not taken for a new host agent.
    stdout_inode: Option<u64>,
    /// The wait on the host agent's exit, while the VM is up.
    agent: Option<AgentWatch>,
    waiter: Option<oneshot::Sender<Result<()>>>,
    /// Its forwarded ports while it runs (`live::ports`).
    ports: crate::live::ports::Ports,
}

/// A task waiting for host agent `pid` to exit; aborted when dropped.
struct AgentWatch {
    pid: u32,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AgentWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How long after an agent's silent exit its files are looked at: `limactl stop -f`
/// removes them right after its SIGKILL (`pkg/instance/stop.go` `StopForcibly`), a crash
/// leaves them. A one-shot wait, after an exit only.
const EXIT_VERDICT_DELAY: Duration = Duration::from_millis(200);

impl Tracked {
    fn view(&self) -> InstanceView {
        InstanceView {
            instance: self.instance.clone(),
            state: self.state.clone(),
            operation: self.operation,
            boot_estimate_secs: self.boot_estimate,
            ports: self.ports.list().to_vec(),
        }
    }
}

fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Whether a file-system event can change what the monitor shows: an entry of
/// `$LIMA_HOME` (instances created or deleted), or an instance's logs, pid files or
/// lima.yaml. Everything else in an instance directory is dropped on the watcher's thread
/// before it wakes the monitor: above all the VM's disk image, which QEMU writes
/// continuously (each write is an inotify event).
fn concerns_the_monitor(lima_home: &Path, ev: &notify::Event) -> bool {
    // Opening or reading a file (our own reads, `limactl list` reading ha.pid) is
    // reported too; reacting to it would loop forever.
    if matches!(ev.kind, notify::EventKind::Access(_)) {
        return false;
    }
    ev.paths.iter().any(|p| {
        p.parent() == Some(lima_home)
            || p.file_name().and_then(|f| f.to_str()).is_some_and(|f| {
                f == HA_STDOUT || f == HA_STDERR || f == "lima.yaml" || f.ends_with(".pid")
            })
    })
}

impl Monitor {
    /// Starts the monitor on the current tokio runtime.
    pub fn spawn(config: MonitorConfig) -> Result<Monitor> {
        let lima_home = config.limactl.runner.lima_home.clone();
        std::fs::create_dir_all(&lima_home)
            .map_err(|e| CoreError::io(format!("creating {}", lima_home.display()), e))?;
        let lima_home = lima_home.canonicalize().unwrap_or(lima_home);
        let (tx, rx) = mpsc::unbounded_channel();
        let (changes, _) = broadcast::channel(1024);
        let fs_tx = tx.clone();
        let home = lima_home.clone();
        let mut watcher = FsWatch::new(&[HA_STDOUT, HA_STDERR], move |ev| {
            if concerns_the_monitor(&home, &ev) {
                let _ = fs_tx.send(Msg::Fs(ev));
            }
        })?;
        watcher.watch_dir(&lima_home)?;
        let info = config.limactl.info();
        let limactl = config.limactl.clone();
        let op_locks = config.op_locks.clone();
        let start_timeout = config.start_timeout;
        let history = crate::live::boots::BootHistory::load(config.boot_history.clone());
        let actor = Actor {
            config,
            lima_home,
            tx: tx.clone(),
            changes: changes.clone(),
            watcher,
            instances: BTreeMap::new(),
            loaded: false,
            pending_snapshots: Vec::new(),
            creating: Default::default(),
            relist_armed: false,
            listing: false,
            relist_again: false,
            lists_begun: 0,
            lists_applied: 0,
            awaiting_listing: Vec::new(),
            generation: 0,
            history,
        };
        tokio::spawn(actor.run(rx));
        Ok(Monitor {
            tx,
            changes,
            info,
            limactl,
            op_locks,
            start_timeout,
        })
    }

    /// The cross-process lock for a change made outside `begin` (deleting, a doctor
    /// fix): refused with `Busy` while this or another process operates on `name`.
    pub fn lock(&self, name: &str, verb: &str) -> Result<Option<crate::live::oplock::OpLock>> {
        self.op_locks
            .as_ref()
            .map(|dir| {
                crate::live::oplock::acquire(dir, &self.limactl.runner.lima_home, name, verb)
            })
            .transpose()
    }

    pub fn info(&self) -> &LimaInfo {
        &self.info
    }

    /// The limactl this monitor runs (for building the same argv elsewhere).
    pub fn limactl(&self) -> &Limactl {
        &self.limactl
    }

    /// The limactl call `begin(name, op)` would run, for "Copy as limactl command": built
    /// by the same function with the same deadline, so the copied line is what runs.
    /// `None` for operations made of several calls (mounts, create).
    pub async fn call_for(&self, name: &str, op: Operation) -> Result<Option<Call>> {
        let stopped = self
            .snapshot()
            .await
            .iter()
            .find(|v| v.instance.name == name)
            .map(|v| v.instance.status == LimaStatus::Stopped)
            .ok_or_else(|| CoreError::InstanceNotFound {
                name: name.to_string(),
            })?;
        Ok(crate::lima::limactl::operation(
            op,
            name,
            self.start_timeout,
            stopped,
        ))
    }

    /// Every change from now on. Subscribe before taking a snapshot.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// All instances, after the first listing has completed.
    pub async fn snapshot(&self) -> Vec<InstanceView> {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Msg::Snapshot(reply));
        rx.await.unwrap_or_default()
    }

    /// Begins an operation. Errors at once if it is refused (unknown instance, busy,
    /// already in that state); otherwise returns a receiver for its outcome.
    pub async fn begin(&self, name: &str, op: Operation) -> Result<oneshot::Receiver<Result<()>>> {
        self.begin_with(name, op, None).await
    }

    /// Begins applying a mount plan: one edit; if the VM runs, a restart followed by a
    /// check of the new writable mounts in the guest, reported as `MountsChecked`.
    pub async fn begin_mounts(
        &self,
        name: &str,
        plan: Plan,
    ) -> Result<oneshot::Receiver<Result<()>>> {
        self.begin_with(name, Operation::Mounts, Some(plan)).await
    }

    async fn begin_with(
        &self,
        name: &str,
        op: Operation,
        mounts: Option<Plan>,
    ) -> Result<oneshot::Receiver<Result<()>>> {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Msg::Begin {
            name: name.to_string(),
            op,
            mounts,
            reply,
        });
        rx.await
            .unwrap_or_else(|_| Err(CoreError::io("monitor", "stopped")))
    }

    /// Creates `name` from `file` through `limactl create` (stages to `on_stage`) as an
    /// operation: the new row shows it from the moment Lima lists the VM (lima.yaml comes
    /// first, the image download after), and Start, Delete and mount changes are refused
    /// as busy until Lima is done — in other processes too, by the operation lock.
    pub async fn create(
        &self,
        name: &str,
        file: &Path,
        on_stage: impl FnMut(crate::features::create::CreateStage, Duration),
    ) -> Result<()> {
        let (began, rx) = oneshot::channel();
        let _ = self.tx.send(Msg::Creating {
            name: name.to_string(),
            began: Some(began),
            error: None,
            listed: None,
        });
        rx.await
            .unwrap_or_else(|_| Err(CoreError::io("monitor", "stopped")))?;
        let result = crate::features::create::create(
            &self.limactl.runner,
            self.op_locks.as_deref(),
            name,
            file,
            on_stage,
        )
        .await;
        let (listed, rx) = oneshot::channel();
        let _ = self.tx.send(Msg::Creating {
            name: name.to_string(),
            began: None,
            error: result.as_ref().err().map(CoreError::info),
            listed: Some(listed),
        });
        // No poll: the monitor answers after a listing that saw what limactl made.
        let _ = rx.await;
        result
    }

    /// Runs an operation to its end.
    pub async fn run(&self, name: &str, op: Operation) -> Result<()> {
        let done = self.begin(name, op).await?;
        done.await
            .unwrap_or_else(|_| Err(CoreError::io("monitor", "stopped")))
    }
}

struct Actor {
    config: MonitorConfig,
    lima_home: PathBuf,
    tx: mpsc::UnboundedSender<Msg>,
    changes: broadcast::Sender<Change>,
    watcher: FsWatch,
    instances: BTreeMap<String, Tracked>,
    loaded: bool,
    pending_snapshots: Vec<oneshot::Sender<Vec<InstanceView>>>,
    /// Instances a `limactl create` of this monitor is making.
    creating: std::collections::BTreeSet<String>,
    relist_armed: bool,
    listing: bool,
    relist_again: bool,
    /// Listings begun and applied so far (one runs at a time, so the n-th applied is
    /// the n-th begun).
    lists_begun: u64,
    lists_applied: u64,
    /// Creators waiting for a listing begun after their create ended: (lists_begun
    /// then, reply).
    awaiting_listing: Vec<(u64, oneshot::Sender<()>)>,
    generation: u64,
    history: crate::live::boots::BootHistory,
}

mod actor;

#[cfg(test)]
mod tests {
    use super::concerns_the_monitor;
    use notify::event::{AccessKind, CreateKind, DataChange, ModifyKind, RemoveKind};
    use notify::{Event, EventKind};
    use std::path::Path;

    fn ev(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(path.into())
    }

    #[test]
    fn only_instance_changes_logs_pids_and_configs_reach_the_monitor() {
        let home = Path::new("/h/.lima");
        let write = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let create = EventKind::Create(CreateKind::File);
        for (event, wanted) in [
            // The VM's disk image, written continuously by QEMU: dropped.
            (ev(write, "/h/.lima/nixos/diffdisk"), false),
            (ev(write, "/h/.lima/nixos/serial.log"), false),
            (
                ev(EventKind::Access(AccessKind::Any), "/h/.lima/nixos/ha.pid"),
                false,
            ),
            (ev(create, "/h/.lima/nixos"), true),
            (
                ev(EventKind::Remove(RemoveKind::Folder), "/h/.lima/old"),
                true,
            ),
            (ev(create, "/h/.lima/nixos/ha.pid"), true),
            (ev(create, "/h/.lima/nixos/qemu.pid"), true),
            (ev(write, "/h/.lima/nixos/ha.stdout.log"), true),
            (ev(write, "/h/.lima/nixos/ha.stderr.log"), true),
            (ev(write, "/h/.lima/nixos/lima.yaml"), true),
        ] {
            assert_eq!(
                concerns_the_monitor(home, &event),
                wanted,
                "{:?} {:?}",
                event.kind,
                event.paths
            );
        }
    }
}
