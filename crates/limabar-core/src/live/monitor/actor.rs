//! The monitor's message handling. See `monitor.rs` for the invariants.

use super::*;

impl Actor {
    pub(super) async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        self.list_now();
        while let Some(msg) = rx.recv().await {
            self.handle(msg);
            // Stop when only our own senders (watcher, tasks) are left and nobody listens.
            if self.tx.strong_count() <= 1 && self.changes.receiver_count() == 0 && rx.is_empty() {
                break;
            }
        }
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Snapshot(reply) => {
                if self.loaded {
                    let _ = reply.send(self.views());
                } else {
                    self.pending_snapshots.push(reply);
                }
            }
            Msg::Begin {
                name,
                op,
                mounts,
                reply,
            } => {
                let _ = reply.send(self.begin(&name, op, mounts));
            }
            Msg::Fs(ev) => self.on_fs(ev),
            Msg::RelistDue => {
                self.relist_armed = false;
                self.list_now();
            }
            Msg::Listed(result) => self.on_listed(result),
            Msg::Event {
                name,
                generation,
                ev,
            } => self.on_watched_event(&name, generation, ev),
            Msg::WatchEnded {
                name,
                generation,
                reason,
            } => self.on_watch_ended(&name, generation, reason),
            Msg::AgentExited { name, pid } => self.on_agent_exited(&name, pid),
            Msg::AgentVerdict {
                name,
                pid,
                generation,
            } => self.on_agent_verdict(&name, pid, generation),
            Msg::OpFinished { name, op, result } => self.on_op_finished(&name, op, result),
            Msg::Creating {
                name,
                began: Some(reply),
                ..
            } => {
                let _ = reply.send(self.begin_create(&name));
            }
            Msg::Creating {
                name,
                began: None,
                error,
                listed,
            } => {
                self.end_create(&name, error);
                if let Some(reply) = listed {
                    self.awaiting_listing.push((self.lists_begun, reply));
                    self.list_now();
                }
            }
            Msg::Warn { name, message } => self.emit(Change::Warning {
                instance: name,
                message,
            }),
        }
    }

    fn views(&self) -> Vec<InstanceView> {
        self.instances.values().map(Tracked::view).collect()
    }

    fn emit(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    fn current_generation(&self, name: &str) -> Option<u64> {
        self.instances
            .get(name)?
            .sources
            .as_ref()
            .map(|s| s.generation)
    }

    /// Applies one input and emits what changed.
    fn update(&mut self, name: &str, input: Input) {
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        let before = t.view();
        t.state = apply(&t.state, &input);
        let ports_changed = follow_ports(t, &input);
        // A boot observed from its start: remember how long it took.
        if let (
            VmState::Starting { .. },
            VmState::Ready {
                boot_secs: Some(secs),
                ..
            },
        ) = (&before.state, &t.state)
        {
            self.history.record(name, *secs);
            t.boot_estimate = self.history.estimate(name);
        }
        if ports_changed {
            self.mark_port_conflicts(name);
        }
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        let after = t.view();
        // Only while no exit is awaited: each update of a boot would read ha.pid again.
        let unwatched_boot = after.state.is_up() && t.agent.is_none();
        if before.state != after.state {
            let by_limabar = t.by_limabar;
            self.emit(Change::StateChanged {
                name: name.to_string(),
                from: before.state.clone(),
                to: after.state.clone(),
                by_limabar,
            });
        }
        if before != after {
            self.emit(Change::Upserted { instance: after });
        }
        self.settle_sources(name);
        // Armed as soon as a boot is seen, not only by the next Running listing: an agent
        // killed in between would otherwise be seen by a listing that says Stopped (its
        // ha.pid removed by Lima's ReadPIDFile), which reads as an ordinary stop.
        if unwatched_boot {
            self.watch_agent(name);
        }
    }

    /// Names the other VM (or the program) on each shared host port; other VMs whose
    /// ports changed by that are upserted (`except` is upserted by its caller).
    fn mark_port_conflicts(&mut self, except: &str) {
        let changed = crate::live::ports::mark_conflicts(
            self.instances
                .iter_mut()
                .map(|(n, t)| (n.as_str(), &mut t.ports)),
            // One /proc scan (~0.2 ms here, BENCHMARKS.md) per failed forward no VM holds.
            crate::features::port_holder::holder,
        );
        for name in changed.iter().filter(|n| *n != except) {
            if let Some(t) = self.instances.get(name) {
                self.emit(Change::Upserted { instance: t.view() });
            }
        }
    }

    // ---- listing ----------------------------------------------------------------

    fn list_now(&mut self) {
        if self.listing {
            self.relist_again = true;
            return;
        }
        self.listing = true;
        self.lists_begun += 1;
        let runner = self.config.limactl.runner.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = runner
                .run(&crate::lima::limactl::list(None))
                .await
                .and_then(|out| {
                    if out.success() {
                        Ok(parse_list(&out.stdout, &out.stderr))
                    } else {
                        Err(CoreError::Failed {
                            command: "list --json".into(),
                            detail: out.stderr_tail(2),
                        })
                    }
                });
            let _ = tx.send(Msg::Listed(result));
        });
    }

    fn relist_soon(&mut self) {
        if self.relist_armed {
            return;
        }
        self.relist_armed = true;
        let tx = self.tx.clone();
        let delay = self.config.debounce;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(Msg::RelistDue);
        });
    }

    fn on_listed(&mut self, result: Result<Listing>) {
        self.listing = false;
        self.lists_applied += 1;
        self.apply_listing(result);
        // Applied: creators whose listing this was may go on.
        let applied = self.lists_applied;
        for (_, reply) in self
            .awaiting_listing
            .extract_if(.., |(begun_before, _)| *begun_before < applied)
        {
            let _ = reply.send(());
        }
        if std::mem::take(&mut self.relist_again) {
            self.list_now();
        }
    }

    fn apply_listing(&mut self, result: Result<Listing>) {
        let listing = match result {
            Ok(l) => l,
            Err(e) => {
                self.emit(Change::Warning {
                    instance: None,
                    message: format!("could not list instances: {e}"),
                });
                self.finish_loading();
                return;
            }
        };
        for w in listing.warnings {
            self.emit(Change::Warning {
                instance: None,
                message: w,
            });
        }
        let seen: Vec<String> = listing.instances.iter().map(|i| i.name.clone()).collect();
        let gone: Vec<String> = self
            .instances
            .keys()
            .filter(|n| !seen.contains(n))
            .cloned()
            .collect();
        for name in gone {
            self.remove(&name);
        }
        for inst in listing.instances {
            self.upsert_listed(inst);
        }
        self.finish_loading();
    }

    fn finish_loading(&mut self) {
        if !self.loaded {
            self.loaded = true;
            for reply in std::mem::take(&mut self.pending_snapshots) {
                let _ = reply.send(self.views());
            }
        }
    }

    fn upsert_listed(&mut self, inst: Instance) {
        let name = inst.name.clone();
        let status = inst.status;
        let errors = inst.errors.clone();
        match self.instances.get_mut(&name) {
            Some(t) => {
                if !listing_is_transient(status, &t.state) && t.instance != inst {
                    t.instance = inst;
                    let view = t.view();
                    self.emit(Change::Upserted { instance: view });
                }
            }
            None => {
                if let Err(e) = self.watcher.watch_dir(Path::new(&inst.dir)) {
                    tracing::warn!(instance = %inst.name, error = %e, "not watching the instance");
                }
                let t = Tracked {
                    state: apply(
                        &VmState::Stopped,
                        &Input::Listed {
                            status,
                            errors: errors.clone(),
                        },
                    ),
                    instance: inst,
                    // Lima lists it as soon as lima.yaml is written, before the download.
                    operation: self.creating.contains(&name).then_some(Operation::Create),
                    by_limabar: false,
                    restarting: false,
                    boot_estimate: self.history.estimate(&name),
                    sources: None,
                    stdout_inode: None,
                    ports: Default::default(),
                    agent: None,
                    waiter: None,
                };
                self.emit(Change::Upserted { instance: t.view() });
                self.instances.insert(name.clone(), t);
            }
        }
        if status == LimaStatus::Stopped && self.died_unseen(&name) {
            self.update(&name, Input::AgentGone { files_left: true });
        }
        self.update(&name, Input::Listed { status, errors });
        if status == LimaStatus::Running {
            self.activate(&name, false);
            self.watch_agent(&name);
        }
    }

    /// A listing says Stopped while the VM was ready, with no `exiting` event and its
    /// `ha.sock` still there: the agent died and a listing got there before the exit's
    /// verdict (Lima's ReadPIDFile removed its ha.pid). `limactl stop` writes the event,
    /// `stop -f` removes the socket; a crash does neither (see `on_agent_verdict`).
    fn died_unseen(&self, name: &str) -> bool {
        let Some(t) = self.instances.get(name) else {
            return false;
        };
        let dir = Path::new(&t.instance.dir);
        // Not while Starting: a boot's first moments list Stopped too, next to a socket
        // an earlier crash left.
        matches!(t.state, VmState::Ready { .. } | VmState::Degraded { .. })
            && t.operation.is_none()
            && dir.join(HA_SOCK).exists()
            && !sources::last_event(&dir.join(HA_STDOUT)).is_some_and(|ev| ev.exiting)
    }

    fn catch_up_on_the_verdict(&mut self, name: &str) {
        let Some(t) = self.instances.get(name) else {
            return;
        };
        if !matches!(t.state, VmState::Starting { .. }) {
            return;
        }
        let stdout = Path::new(&t.instance.dir).join(HA_STDOUT);
        self.read_logs(name);
        if let Some(ev) = sources::last_event(&stdout).filter(|ev| ev.running && ev.degraded) {
            self.update(name, Input::Event(ev));
        }
    }

    /// A create of `name` begins: refused for a name Lima already lists or one being
    /// created; a row that appears meanwhile carries the operation.
    fn begin_create(&mut self, name: &str) -> Result<()> {
        if self.instances.contains_key(name) {
            return Err(CoreError::AlreadyExists {
                name: name.to_string(),
            });
        }
        if !self.creating.insert(name.to_string()) {
            return Err(CoreError::Busy {
                name: name.to_string(),
                operation: Operation::Create.verb().to_string(),
            });
        }
        Ok(())
    }

    fn end_create(&mut self, name: &str, error: Option<crate::error::ErrorInfo>) {
        self.creating.remove(name);
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        if t.operation != Some(Operation::Create) {
            return;
        }
        t.operation = None;
        let view = t.view();
        self.emit(Change::OperationEnded {
            name: name.to_string(),
            operation: Operation::Create,
            error,
        });
        self.emit(Change::Upserted { instance: view });
    }

    fn remove(&mut self, name: &str) {
        if let Some(mut t) = self.instances.remove(name) {
            self.watcher.unwatch_dir(Path::new(&t.instance.dir));
            // Gone under a delete: that is the delete's success, even if the folder went
            // before limactl exited.
            let deleted = t.operation == Some(Operation::Delete);
            let gone = CoreError::InstanceNotFound {
                name: name.to_string(),
            };
            if let Some(w) = t.waiter.take() {
                let _ = w.send(if deleted { Ok(()) } else { Err(gone.clone()) });
            }
            if let Some(op) = t.operation {
                self.emit(Change::OperationEnded {
                    name: name.to_string(),
                    operation: op,
                    error: (!deleted).then(|| gone.info()),
                });
            }
            // Its ports went with it: another VM no longer names it.
            if !t.ports.list().is_empty() {
                self.mark_port_conflicts("");
            }
            self.emit(Change::Removed {
                name: name.to_string(),
            });
        }
    }

    // ---- event sources ----------------------------------------------------------

    /// Ensures sources exist for `name`; with `fresh`, replaces them (a new boot).
    fn activate(&mut self, name: &str, fresh: bool) {
        let watch = self.config.limactl.features.watch;
        let runner = self.config.limactl.runner.clone();
        self.generation += 1;
        let generation = self.generation;
        let tx = self.tx.clone();
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        if t.sources.is_some() && !fresh {
            return;
        }
        let dir = PathBuf::from(&t.instance.dir);
        let mut src = Sources::new(&dir, generation);
        if watch && src.stdout_inode.is_some() {
            src.spawn_watch(&runner, name, tx);
        } else if !watch {
            src.follow_stdout(&dir);
        }
        if src.stdout_inode.is_some() {
            t.stdout_inode = src.stdout_inode;
        }
        t.sources = Some(src);
        // A new boot: the last one's ports are gone with its host agent, and another VM
        // no longer names it.
        if fresh {
            let had = !t.ports.list().is_empty();
            t.ports.clear();
            if had {
                self.mark_port_conflicts("");
            }
        }
        self.read_logs(name);
    }

    /// Drops sources of an instance that is at rest, which ends its `limactl watch`.
    fn settle_sources(&mut self, name: &str) {
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        let at_rest = matches!(
            t.state,
            VmState::Stopped | VmState::Failed { .. } | VmState::Broken { .. }
        );
        let agent_alive = Path::new(&t.instance.dir).join(HA_PID).exists();
        if at_rest && t.operation.is_none() && !agent_alive {
            t.sources = None;
        }
    }

    /// Reads whatever the followers have not seen yet and applies it.
    fn read_logs(&mut self, name: &str) {
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        let Some(src) = t.sources.as_mut() else {
            return;
        };
        let log_lines = src.stderr.read_new();
        let mut events: Vec<String> = src
            .stdout
            .as_mut()
            .map(|f| f.read_new())
            .unwrap_or_default();
        // Taking over from a watch: what it delivered is not news.
        if src.skip_events > 0 {
            events.retain(|line| {
                if src.skip_events > 0 && parse_event_line(line).is_some() {
                    src.skip_events -= 1;
                    false
                } else {
                    true
                }
            });
        }
        let at = now_ms();
        for line in log_lines {
            self.update(
                name,
                Input::Log {
                    line: parse_line(&line),
                    at,
                },
            );
        }
        for line in events {
            match parse_event_line(&line) {
                Some(ev) => self.update(name, Input::Event(ev)),
                None if line.trim().is_empty() => {}
                None => self.emit(Change::Warning {
                    instance: Some(name.to_string()),
                    message: format!(
                        "skipped a line of ha.stdout.log: {}",
                        line.chars().take(120).collect::<String>()
                    ),
                }),
            }
        }
    }

    fn on_watched_event(&mut self, name: &str, generation: u64, ev: HaEvent) {
        let Some(src) = self
            .instances
            .get_mut(name)
            .and_then(|t| t.sources.as_mut())
            .filter(|s| s.generation == generation)
        else {
            return;
        };
        src.watched_events += 1;
        if ev.exiting {
            // The log lines written before it come first (`Received SIGINT…` makes it a
            // stop, `Driver stopped due to error` a failure): they are read on their own
            // notifications, which may not have arrived yet.
            self.read_logs(name);
        }
        self.update(name, Input::Event(ev));
    }

    fn on_watch_ended(&mut self, name: &str, generation: u64, reason: String) {
        if self.current_generation(name) != Some(generation) {
            return;
        }
        // Lima's watch stops following an instance on a malformed line (2.1+ says so on
        // stderr and goes on; older builds exited): keep following the file ourselves.
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        let dir = PathBuf::from(&t.instance.dir);
        if let Some(src) = t.sources.as_mut() {
            src.follow_stdout(&dir);
        }
        self.emit(Change::Warning {
            instance: Some(name.to_string()),
            message: format!("{reason}; following ha.stdout.log directly"),
        });
        self.read_logs(name);
    }

    // ---- the host agent's process ----------------------------------------------

    /// Waits on the exit of the host agent `ha.pid` names, unless already waiting on it.
    fn watch_agent(&mut self, name: &str) {
        let tx = self.tx.clone();
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        let Some(pid) = sources::pid_in(&Path::new(&t.instance.dir).join(HA_PID)) else {
            return;
        };
        if t.agent.as_ref().is_some_and(|a| a.pid == pid) {
            return;
        }
        match crate::lima::procwatch::ProcessExit::watch(pid) {
            Ok(exit) => {
                let name = name.to_string();
                let task = tokio::spawn(async move {
                    exit.exited().await;
                    let _ = tx.send(Msg::AgentExited { name, pid });
                });
                t.agent = Some(AgentWatch { pid, task });
            }
            Err(e) => {
                static WARNED: std::sync::atomic::AtomicBool =
                    std::sync::atomic::AtomicBool::new(false);
                if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(error = %e, "cannot wait on host agents' exits: a VM that dies is seen at the next change only");
                }
            }
        }
    }

    /// The host agent is gone. With its `exiting` event in the log it shut down (the
    /// event arrives through the usual source, in order). Without it, it was killed or
    /// crashed, or `limactl stop -f` killed it: a moment later the files tell.
    fn on_agent_exited(&mut self, name: &str, pid: u32) {
        let Some(t) = self.instances.get_mut(name) else {
            return;
        };
        if t.agent.as_ref().map(|a| a.pid) != Some(pid) {
            return;
        }
        t.agent = None;
        let dir = PathBuf::from(&t.instance.dir);
        self.read_logs(name);
        if sources::last_event(&dir.join(HA_STDOUT)).is_some_and(|ev| ev.exiting) {
            self.relist_soon();
            return;
        }
        // No listing before the verdict: one would say Stopped (Lima's ReadPIDFile removes
        // a dead agent's ha.pid) before the monitor knows whether that was asked for.
        let tx = self.tx.clone();
        let name = name.to_string();
        let generation = self.current_generation(&name);
        tokio::spawn(async move {
            tokio::time::sleep(EXIT_VERDICT_DELAY).await;
            let _ = tx.send(Msg::AgentVerdict {
                name,
                pid,
                generation,
            });
        });
    }

    /// After an agent's silent exit: its socket still there means nobody cleaned up, not
    /// the agent (its `srv.Close` in `cmd/limactl/hostagent.go` runs on every return)
    /// and not `limactl stop -f` (`StopForcibly` removes `*.pid`, `*.sock`, `*.tmp`). A
    /// listing in between removes only the dead agent's ha.pid (`store.ReadPIDFile`).
    fn on_agent_verdict(&mut self, name: &str, pid: u32, generation: Option<u64>) {
        // A new boot began meanwhile (its log was recreated): that is its own story.
        if self.current_generation(name) != generation {
            return;
        }
        let Some(t) = self.instances.get(name) else {
            return;
        };
        if t.agent.as_ref().is_some_and(|a| a.pid != pid) {
            return;
        }
        let dir = PathBuf::from(&t.instance.dir);
        if sources::last_event(&dir.join(HA_STDOUT)).is_some_and(|ev| ev.exiting) {
            return;
        }
        let files_left = dir.join(HA_SOCK).exists();
        self.update(name, Input::AgentGone { files_left });
        // Whatever the dead agent's log still delivers (a watch lagging behind) is
        // history now; a new boot recreates the log and gets new sources.
        if let Some(t) = self.instances.get_mut(name) {
            if !t.state.is_up() {
                t.sources = None;
            }
        }
        self.relist_soon();
    }

    /// Events already filtered by `concerns_the_monitor`.
    fn on_fs(&mut self, ev: notify::Event) {
        for path in ev.paths.clone() {
            let Some(parent) = path.parent() else {
                continue;
            };
            let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
            if parent == self.lima_home {
                if !file.starts_with(['.', '_']) {
                    self.relist_soon();
                }
                continue;
            }
            let Some(name) = self
                .instances
                .iter()
                .find(|(_, t)| Path::new(&t.instance.dir) == parent)
                .map(|(n, _)| n.clone())
            else {
                continue;
            };
            match file {
                HA_STDOUT => {
                    let created = matches!(ev.kind, notify::EventKind::Create(_));
                    self.on_stdout_log(&name, &path, created)
                }
                HA_STDERR => self.read_logs(&name),
                // ha.pid, vz.pid, qemu.pid: Lima's status is derived from these.
                f if f.ends_with(".pid") || f == "lima.yaml" => self.relist_soon(),
                _ => {}
            }
        }
    }

    fn on_stdout_log(&mut self, name: &str, path: &Path, created: bool) {
        let Some(t) = self.instances.get(name) else {
            return;
        };
        let inode = inode_of(path);
        let known = t.stdout_inode;
        if inode.is_some() && (created || inode != known) {
            // A new host agent: `limactl start` recreated the log.
            if t.operation.is_none() {
                if let Some(t) = self.instances.get_mut(name) {
                    t.by_limabar = false;
                }
            }
            self.update(name, Input::BootObserved { at: now_ms() });
            self.activate(name, true);
        } else {
            self.read_logs(name);
        }
    }

    // ---- operations -------------------------------------------------------------

    fn begin(
        &mut self,
        name: &str,
        op: Operation,
        mounts: Option<Plan>,
    ) -> Result<oneshot::Receiver<Result<()>>> {
        let Some(t) = self.instances.get_mut(name) else {
            return Err(CoreError::InstanceNotFound {
                name: name.to_string(),
            });
        };
        if let Some(current) = t.operation {
            return Err(CoreError::Busy {
                name: name.to_string(),
                operation: current.verb().to_string(),
            });
        }
        let running = t.state.is_up();
        match op {
            Operation::Create => {
                return Err(CoreError::AlreadyExists {
                    name: name.to_string(),
                })
            }
            // The state, not the last listing: a listing can lag behind a stop.
            Operation::Start if running => {
                return Err(CoreError::AlreadyRunning {
                    name: name.to_string(),
                })
            }
            Operation::Stop | Operation::Restart if !t.view().vm_up() => {
                return Err(CoreError::NotRunning {
                    name: name.to_string(),
                })
            }
            Operation::Delete if t.view().vm_up() => {
                return Err(CoreError::NotStopped {
                    name: name.to_string(),
                })
            }
            _ => {}
        }
        // Another process (the app, the `limabar` command) may be changing this VM.
        let lock = match &self.config.op_locks {
            Some(dir) => Some(crate::live::oplock::acquire(
                dir,
                &self.lima_home,
                name,
                op.verb(),
            )?),
            None => None,
        };
        let t = self.instances.get_mut(name).expect("checked above");
        let (done_tx, done_rx) = oneshot::channel();
        t.operation = Some(op);
        t.waiter = Some(done_tx);
        t.by_limabar = true;
        let vm_up = t.view().vm_up();
        t.restarting = op == Operation::Restart || (op == Operation::Mounts && vm_up);
        let job = mounts.map(|plan| ops::MountsJob {
            invocations: crate::features::mounts::apply::invocations(
                &self.config.limactl,
                name,
                &plan,
                vm_up,
            ),
            verify: if vm_up {
                plan.added
                    .iter()
                    .chain(&plan.toggled)
                    .filter(|m| m.writable)
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
        });
        let at = now_ms();
        let input = match op {
            Operation::Start => Some(Input::StartRequested { at }),
            Operation::Mounts if !vm_up => None,
            Operation::Delete => None,
            _ => Some(Input::StopRequested { at }),
        };
        // Sources for the new boot start when `limactl start` recreates the logs; the
        // files there now belong to the previous run.
        if let Some(input) = input {
            if let Some(t) = self.instances.get_mut(name) {
                t.sources = None;
            }
            self.update(name, input);
        }
        let plan = ops::OpPlan {
            limactl: self.config.limactl.clone(),
            name: name.to_string(),
            op,
            start_timeout: self.config.start_timeout,
            mounts: job,
            lock,
        };
        let tx = self.tx.clone();
        let name = name.to_string();
        tokio::spawn(async move {
            let result = ops::run(plan).await;
            let _ = tx.send(Msg::OpFinished { name, op, result });
        });
        Ok(done_rx)
    }

    fn on_op_finished(&mut self, name: &str, op: Operation, result: Result<Vec<MountStatus>>) {
        let error_text = result.as_ref().err().map(|e| match e {
            CoreError::Failed { detail, .. } => detail.clone(),
            other => other.to_string(),
        });
        let before = self.instances.get(name).map(Tracked::view);
        let (waiter, restarting) = self
            .instances
            .get_mut(name)
            .map(|t| {
                t.operation = None;
                (t.waiter.take(), std::mem::take(&mut t.restarting))
            })
            .unwrap_or((None, false));
        // `limactl start` read the verdict (a degraded `running` event) from the same log
        // before exiting 1; our own source (a watch's pipe, an inotify wake-up) may not
        // have delivered it yet. Then it comes first, so a degraded boot is not a failure.
        let boot_ended = matches!(op, Operation::Start | Operation::Restart)
            || (op == Operation::Mounts && restarting);
        if boot_ended && error_text.is_some() {
            self.catch_up_on_the_verdict(name);
        }
        let input = match op {
            Operation::Start | Operation::Restart => Some(Input::StartFinished {
                error: error_text,
                at: now_ms(),
            }),
            Operation::Mounts if restarting => Some(Input::StartFinished {
                error: error_text,
                at: now_ms(),
            }),
            Operation::Mounts | Operation::Delete | Operation::Create => None,
            Operation::Stop | Operation::ForceStop => {
                Some(Input::StopFinished { error: error_text })
            }
        };
        if let Some(input) = input {
            self.update(name, input);
        }
        // `update` emits when the state changed; the operation flag changed regardless
        // (often the state already moved on the event, before limactl exited).
        if let (Some(before), Some(t)) = (before, self.instances.get(name)) {
            if before.state == t.state {
                self.emit(Change::Upserted { instance: t.view() });
            }
        }
        if let Ok(checks) = &result {
            if !checks.is_empty() {
                self.emit(Change::MountsChecked {
                    name: name.to_string(),
                    checks: checks.clone(),
                });
            }
        }
        self.emit(Change::OperationEnded {
            name: name.to_string(),
            operation: op,
            error: result.as_ref().err().map(CoreError::info),
        });
        if let Some(w) = waiter {
            let _ = w.send(result.map(|_| ()));
        }
        self.relist_soon();
    }
}

/// Applies what `input` says about `t`'s ports: a `portForward` event, the host agent's
/// "failed to listen" warning or "Not forwarding" line; a VM that is no longer up has none. True if they changed.
fn follow_ports(t: &mut Tracked, input: &Input) -> bool {
    if !t.state.is_up() {
        let had = !t.ports.list().is_empty();
        t.ports.clear();
        return had;
    }
    match input {
        Input::Event(ev) => ev.port_forward.as_ref().is_some_and(|pf| t.ports.apply(pf)),
        Input::Log { line, .. } => t.ports.read_log_line(line),
        _ => false,
    }
}
