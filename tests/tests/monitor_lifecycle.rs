//! The core's live monitor against `limactl-sim` as real processes: boots, failures,
//! stops, both event sources, double clicks, deleted instances, idling.

use std::time::Duration;

use limabar_core::error::ErrorCode;
use limabar_core::live::change::{Change, Operation};
use limabar_core::{Monitor, MonitorConfig, VmState};
use limabar_tests::{assert_succeeded, within, SimLima};
use tokio::sync::broadcast::Receiver;

const FAST: &str = r#"{"bootSecs": 1.0, "stopSecs": 0.1}"#;

async fn monitor(sim: &SimLima) -> (Monitor, Receiver<Change>) {
    let mut cfg = MonitorConfig::new(sim.connect().await);
    cfg.start_timeout = Duration::from_secs(3);
    // Re-list quickly so listings taken mid-boot (transiently Broken) are exercised.
    cfg.debounce = Duration::from_millis(10);
    let m = Monitor::spawn(cfg).expect("monitor starts");
    let rx = m.subscribe();
    m.snapshot().await;
    (m, rx)
}

/// States of `name` until the operation on it ends (inclusive of later state changes
/// already queued).
async fn states_until_op_end(
    rx: &mut Receiver<Change>,
    name: &str,
) -> (Vec<VmState>, Option<ErrorCode>) {
    let mut states = Vec::new();
    loop {
        match rx.recv().await.expect("change stream open") {
            Change::StateChanged { name: n, to, .. } if n == name => states.push(to),
            Change::OperationEnded { name: n, error, .. } if n == name => {
                return (states, error.map(|e| e.code))
            }
            _ => {}
        }
    }
}

async fn healthy_boot_through_phases_to_ready(version: &str) {
    let sim = SimLima::new(version);
    sim.create("nixos", FAST);
    let (m, mut rx) = monitor(&sim).await;
    assert_eq!(m.info().version.to_string(), version);
    m.begin("nixos", Operation::Start)
        .await
        .expect("start accepted");
    let (states, err) = within(
        Duration::from_secs(20),
        "start to end",
        states_until_op_end(&mut rx, "nixos"),
    )
    .await;
    assert_eq!(err, None, "states: {states:?}");
    let phases: Vec<&str> = states.iter().filter_map(|s| s.phase()).collect();
    for expected in [
        "starting",
        "booting VM",
        "waiting for ssh",
        "user session",
        "guest agent",
        "boot scripts",
    ] {
        assert!(
            phases.contains(&expected),
            "phase {expected:?} missing from {phases:?}"
        );
    }
    let last = states.last().unwrap();
    let VmState::Ready {
        boot_secs: Some(secs),
        ssh_port,
        ..
    } = last
    else {
        panic!("not ready: {states:?}")
    };
    assert!(*secs >= 0.9 && *secs < 10.0, "boot took {secs} s");
    // The port comes with the `running` event, which can arrive just after
    // `limactl start` exits (seen on a loaded machine): then it follows at once.
    if ssh_port.is_none() {
        within(Duration::from_secs(5), "the SSH port", async {
            loop {
                if let Change::StateChanged {
                    to:
                        VmState::Ready {
                            ssh_port: Some(_), ..
                        },
                    ..
                } = rx.recv().await.unwrap()
                {
                    return;
                }
            }
        })
        .await;
    }
    // Never went back to stopped/stopping on the way (stale logs of an earlier run).
    assert!(
        !states
            .iter()
            .any(|s| matches!(s, VmState::Stopping { .. } | VmState::Stopped)),
        "{states:?}"
    );
}

#[tokio::test]
async fn healthy_boot_with_watch_events_lima_2_2() {
    healthy_boot_through_phases_to_ready("2.2.0").await;
}

#[tokio::test]
async fn healthy_boot_with_tailed_events_lima_2_0() {
    healthy_boot_through_phases_to_ready("2.0.2").await;
}

#[tokio::test]
async fn lima_2_0_is_followed_without_watch_and_2_2_with_watch() {
    for (version, expects_watch) in [("2.0.2", false), ("2.1.4", true)] {
        let sim = SimLima::new(version);
        sim.create("vm", FAST);
        let (m, _rx) = monitor(&sim).await;
        m.run("vm", Operation::Start).await.expect("start succeeds");
        let used_watch = sim
            .calls()
            .iter()
            .any(|c| c.first().map(String::as_str) == Some("watch"));
        assert_eq!(used_watch, expects_watch, "Lima {version}");
    }
}

#[tokio::test]
async fn restart_and_stop_go_through_stopping_to_the_right_state() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", FAST);
    let (m, _rx) = monitor(&sim).await;
    m.run("nixos", Operation::Start).await.expect("start");
    let mut rx = m.subscribe(); // only what follows
    m.begin("nixos", Operation::Restart)
        .await
        .expect("restart accepted");
    let (states, err) = within(
        Duration::from_secs(20),
        "restart",
        states_until_op_end(&mut rx, "nixos"),
    )
    .await;
    assert_eq!(err, None);
    assert!(
        matches!(states.first(), Some(VmState::Stopping { .. })),
        "{states:?}"
    );
    assert!(
        matches!(
            states.last(),
            Some(VmState::Ready {
                boot_secs: Some(_),
                ..
            })
        ),
        "{states:?}"
    );
    m.begin("nixos", Operation::Stop)
        .await
        .expect("stop accepted");
    let (states, err) = within(
        Duration::from_secs(20),
        "stop",
        states_until_op_end(&mut rx, "nixos"),
    )
    .await;
    assert_eq!(err, None);
    assert_eq!(states.last(), Some(&VmState::Stopped), "{states:?}");
}

#[tokio::test]
async fn degraded_boot_is_degraded_with_the_reason_not_failed() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"scenario": "degraded", "bootSecs": 1.0}"#);
    let (m, mut rx) = monitor(&sim).await;
    m.begin("nixos", Operation::Start).await.unwrap();
    let (states, err) = within(
        Duration::from_secs(20),
        "degraded start",
        states_until_op_end(&mut rx, "nixos"),
    )
    .await;
    assert_eq!(err, Some(ErrorCode::Failed), "limactl exits 1 on degraded");
    let Some(VmState::Degraded { errors, .. }) = states.last() else {
        panic!("{states:?}")
    };
    assert!(
        errors[0].contains("guest agent does not seem to be running"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn early_exit_fails_with_limas_message() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"scenario": "exit-early", "bootSecs": 1.0}"#);
    let (m, mut rx) = monitor(&sim).await;
    m.begin("nixos", Operation::Start).await.unwrap();
    let (states, err) = within(
        Duration::from_secs(20),
        "failed start",
        states_until_op_end(&mut rx, "nixos"),
    )
    .await;
    assert_eq!(err, Some(ErrorCode::Failed));
    let Some(VmState::Failed { reason }) = states.last() else {
        panic!("{states:?}")
    };
    assert!(reason.contains("exiting"), "{reason}");
    // The failure stays visible after the re-list says Stopped.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let snap = m.snapshot().await;
    assert!(
        matches!(snap[0].state, VmState::Failed { .. }),
        "{:?}",
        snap[0].state
    );
}

#[tokio::test]
async fn a_hang_ends_in_a_timeout_failure_not_a_stuck_starting_state() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"scenario": "hang", "bootSecs": 1.0}"#);
    let (m, mut rx) = monitor(&sim).await; // start timeout 3 s
    m.begin("nixos", Operation::Start).await.unwrap();
    let (states, err) = within(
        Duration::from_secs(20),
        "timed-out start",
        states_until_op_end(&mut rx, "nixos"),
    )
    .await;
    assert_eq!(err, Some(ErrorCode::Failed));
    assert!(
        states.iter().any(|s| s.phase() == Some("waiting for ssh")),
        "{states:?}"
    );
    let Some(VmState::Failed { reason }) = states.last() else {
        panic!("{states:?}")
    };
    assert!(
        reason.contains("did not receive an event with the"),
        "{reason}"
    );
    // The host agent is left running (as Lima does); force stop cleans up.
    m.run("nixos", Operation::ForceStop)
        .await
        .expect("force stop");
}

#[tokio::test]
async fn a_second_click_while_starting_is_refused_not_queued() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", FAST);
    let (m, _rx) = monitor(&sim).await;
    let first = m
        .begin("nixos", Operation::Start)
        .await
        .expect("first accepted");
    let second = m
        .begin("nixos", Operation::Start)
        .await
        .expect_err("second refused");
    assert_eq!(second.code(), ErrorCode::Busy);
    let stop = m
        .begin("nixos", Operation::Stop)
        .await
        .expect_err("stop refused while starting");
    assert_eq!(stop.code(), ErrorCode::Busy);
    first.await.unwrap().expect("first start succeeds");
    let starts = sim
        .calls()
        .iter()
        .filter(|c| c.first().map(String::as_str) == Some("start"))
        .count();
    assert_eq!(starts, 1, "exactly one limactl start ran");
}

#[tokio::test]
async fn starting_an_unknown_name_is_refused_and_creates_nothing() {
    let sim = SimLima::new("2.2.0");
    let (m, _rx) = monitor(&sim).await;
    let err = m
        .begin("ubuntu", Operation::Start)
        .await
        .expect_err("unknown name");
    assert_eq!(err.code(), ErrorCode::InstanceNotFound);
    assert!(
        !sim.lima_home.join("ubuntu").exists(),
        "limactl start of an unknown name would create a VM"
    );
    assert!(!sim
        .calls()
        .iter()
        .any(|c| c.first().map(String::as_str) == Some("start")));
}

#[tokio::test]
async fn an_instance_deleted_while_starting_is_removed_and_the_operation_ends() {
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("nixos", r#"{"bootSecs": 4.0}"#);
    let (m, mut rx) = monitor(&sim).await;
    let done = m.begin("nixos", Operation::Start).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let _ = sim.limactl_cmd(&["stop", "-f", "nixos"]).output();
    std::fs::remove_dir_all(&dir).unwrap();
    let result = within(Duration::from_secs(20), "operation end", done)
        .await
        .unwrap();
    assert!(result.is_err());
    within(Duration::from_secs(10), "removal", async {
        loop {
            if let Change::Removed { name } = rx.recv().await.unwrap() {
                assert_eq!(name, "nixos");
                break;
            }
        }
    })
    .await;
    assert!(m.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_start_from_a_terminal_is_seen_live_and_not_attributed_to_limabar() {
    let sim = SimLima::new("2.2.0");
    // Slow enough that the driver starts (vz.pid) after the first re-list: that listing
    // says Broken ("host agent is running but driver is not").
    sim.create("nixos", r#"{"bootSecs": 5.0, "stopSecs": 0.1}"#);
    let (m, mut rx) = monitor(&sim).await;
    let out = sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .output()
        .unwrap();
    assert_succeeded(&out);
    within(
        Duration::from_secs(10),
        "ready from an external start",
        async {
            loop {
                if let Change::StateChanged {
                    name,
                    to: VmState::Ready { .. },
                    by_limabar,
                    ..
                } = rx.recv().await.unwrap()
                {
                    assert_eq!(name, "nixos");
                    assert!(!by_limabar);
                    break;
                }
            }
        },
    )
    .await;
    // Regression: a transient `Broken` listing taken mid-boot ("host agent is running but
    // driver is not") stayed on the instance after it was ready.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let view = &m.snapshot().await[0];
    assert!(
        view.instance.errors.is_empty(),
        "{:?}",
        view.instance.errors
    );
    assert_eq!(
        view.instance.status,
        limabar_core::lima::inventory::LimaStatus::Running
    );
}

#[tokio::test]
async fn an_instance_already_running_when_the_monitor_starts_is_ready_and_not_news() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", FAST);
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .output()
        .unwrap()
        .status
        .success());
    let (m, mut rx) = monitor(&sim).await;
    let mut state = m.snapshot().await[0].state.clone();
    while !matches!(state, VmState::Ready { .. }) {
        if let Change::StateChanged { to, .. } = within(Duration::from_secs(10), "ready", rx.recv())
            .await
            .unwrap()
        {
            state = to;
        }
    }
    let VmState::Ready { since, .. } = state else {
        unreachable!()
    };
    // The replayed ready event carries its own (past) time, so it is not notified later.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(since <= now, "ready time comes from the event");
    let replay = Change::StateChanged {
        name: "nixos".into(),
        from: VmState::Starting {
            phase: None,
            since: since - 1000,
        },
        to: state.clone(),
        by_limabar: false,
    };
    assert!(limabar_core::live::tray::notice_for(
        &replay,
        false,
        now + limabar_core::live::tray::STALE_MS
    )
    .is_none());
}

#[tokio::test]
async fn an_idle_monitor_makes_no_limactl_calls() {
    // Regression: reading a log produced an access event that triggered another read
    // (and `list` reading ha.pid triggered another list): a busy loop.
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", FAST);
    let (m, _rx) = monitor(&sim).await;
    m.run("nixos", Operation::Start).await.expect("start");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = sim.calls().len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = sim.calls();
    assert_eq!(
        after.len(),
        before,
        "calls while idle: {:?}",
        &after[before..]
    );
}

#[tokio::test]
async fn garbage_in_the_event_log_is_skipped_with_a_warning() {
    let sim = SimLima::new("2.0.2"); // events read from ha.stdout.log directly
    let dir = sim.create("nixos", FAST);
    let (m, mut rx) = monitor(&sim).await;
    m.run("nixos", Operation::Start).await.expect("start");
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("ha.stdout.log"))
        .unwrap();
    writeln!(f, "this is not an event").unwrap();
    writeln!(f, r#"{{"time":"2026-08-21T10:15:09Z","status":{{"running":true,"degraded":true,"errors":["late trouble"]}}}}"#).unwrap();
    drop(f);
    let mut warned = false;
    within(Duration::from_secs(10), "warning and degraded", async {
        loop {
            match rx.recv().await.unwrap() {
                Change::Warning { message, .. } if message.contains("not an event") => {
                    warned = true
                }
                Change::StateChanged {
                    to: VmState::Degraded { .. },
                    ..
                } if warned => break,
                _ => {}
            }
        }
    })
    .await;
}

#[tokio::test]
async fn start_right_after_a_stop_is_accepted() {
    // Regression: Start was refused as "already running" because the last listing
    // (taken before the stop) still said Running.
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.5, "stopSecs": 0.0}"#);
    let (m, _rx) = monitor(&sim).await;
    m.run("nixos", Operation::Start).await.expect("start");
    m.run("nixos", Operation::ForceStop)
        .await
        .expect("force stop");
    m.run("nixos", Operation::Start)
        .await
        .expect("start again at once");
}

#[tokio::test]
async fn writes_to_the_stopping_agents_log_are_not_a_new_boot() {
    // Regression: the host agent's last events (written as it exits), and any late write
    // to its log, reached the monitor after the stop had dropped its sources and were
    // taken for a new host agent: "starting" with the previous boot's phases replayed,
    // in the middle of a stop.
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("nixos", r#"{"bootSecs": 0.3, "stopSecs": 0.0}"#);
    let (m, mut rx) = monitor(&sim).await;
    m.run("nixos", Operation::Start).await.expect("start");
    while rx.try_recv().is_ok() {}
    m.run("nixos", Operation::Stop).await.expect("stop");
    let log = dir.join("ha.stdout.log");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"status\":{\"exiting\":true},\"time\":\"2026-11-25T23:00:00Z\"}\n");
    std::fs::write(&log, text).unwrap();
    // Nothing should happen: give a wrong reaction ample time to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut states = Vec::new();
    while let Ok(c) = rx.try_recv() {
        if let Change::StateChanged { to, .. } = c {
            states.push(to);
        }
    }
    assert!(
        !states.iter().any(|s| matches!(s, VmState::Starting { .. })),
        "{states:?}"
    );
    assert_eq!(states.last(), Some(&VmState::Stopped), "{states:?}");
}

#[tokio::test]
async fn a_crashing_limactl_list_is_a_warning_not_a_crash() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", FAST);
    // A limactl whose `list` dies from a signal with half a line printed.
    let crashing = sim.root.path().join("bin/limactl-crashing");
    limabar_tests::write_executable(
        &crashing,
        &format!(
            "#!/bin/sh\nif [ \"$1\" = list ]; then printf '{{\"name\":\"nix'; kill -SEGV $$; fi\nexec '{}' \"$@\"\n",
            sim.limactl.display()
        ),
    );
    let mut env = sim.host_env();
    env.limactl = Some(crashing);
    let limactl = limabar_core::lima::locate::connect(&env, None, &env.limactl_workdir())
        .await
        .expect("--version still works");
    let m = Monitor::spawn(MonitorConfig::new(limactl)).unwrap();
    let mut rx = m.subscribe();
    let snap = within(Duration::from_secs(10), "the first listing", m.snapshot()).await;
    assert!(snap.is_empty());
    let warning = within(Duration::from_secs(10), "a warning", async {
        loop {
            if let Change::Warning { message, .. } = rx.recv().await.unwrap() {
                return message;
            }
        }
    })
    .await;
    assert!(warning.contains("could not list instances"), "{warning}");
}

#[tokio::test]
async fn the_end_of_an_operation_is_published_even_when_the_state_did_not_change() {
    // Regression: the ready event arrives before `limactl start` exits, so ending the
    // operation changed no state and nothing told the UI: it kept showing "Starting…".
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", FAST);
    let (m, mut rx) = monitor(&sim).await;
    m.begin("nixos", Operation::Start).await.unwrap();
    let mut last_operation = Some(Operation::Start);
    within(Duration::from_secs(20), "the start to end", async {
        loop {
            match rx.recv().await.unwrap() {
                Change::Upserted { instance } => last_operation = instance.operation,
                Change::OperationEnded { .. } => break,
                _ => {}
            }
        }
    })
    .await;
    assert_eq!(
        last_operation, None,
        "the UI was never told the operation ended"
    );
}

#[tokio::test]
async fn boot_times_are_remembered_across_launches_as_an_estimate() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.6, "stopSecs": 0.0}"#);
    let history = sim.root.path().join("data/boot-history.json");
    let config = |limactl| MonitorConfig {
        boot_history: Some(history.clone()),
        ..MonitorConfig::new(limactl)
    };
    let m = Monitor::spawn(config(sim.connect().await)).unwrap();
    assert_eq!(m.snapshot().await[0].boot_estimate_secs, None);
    m.run("nixos", Operation::Start).await.expect("start");
    let estimate = m.snapshot().await[0]
        .boot_estimate_secs
        .expect("an estimate after a boot");
    assert!((0.5..5.0).contains(&estimate), "{estimate}");
    m.run("nixos", Operation::ForceStop).await.expect("stop");
    drop(m);
    // A new launch of Limabar knows it before any boot.
    let again = Monitor::spawn(config(sim.connect().await)).unwrap();
    assert_eq!(again.snapshot().await[0].boot_estimate_secs, Some(estimate));
}

/// The states of `name` from now until one satisfies `done` (returned last), with a
/// deadline.
async fn states_until(
    rx: &mut Receiver<Change>,
    name: &str,
    max: Duration,
    what: &str,
    done: impl Fn(&VmState) -> bool,
) -> Vec<VmState> {
    within(max, what, async {
        let mut states = Vec::new();
        loop {
            if let Change::StateChanged { name: n, to, .. } = rx.recv().await.expect("changes") {
                if n == name {
                    let end = done(&to);
                    states.push(to);
                    if end {
                        return states;
                    }
                }
            }
        }
    })
    .await
}

fn ha_pid(dir: &std::path::Path) -> i32 {
    std::fs::read_to_string(dir.join("ha.pid"))
        .expect("ha.pid while the VM is up")
        .trim()
        .parse()
        .expect("a pid")
}

fn failed_reason(s: &VmState) -> Option<&str> {
    match s {
        VmState::Failed { reason } => Some(reason),
        _ => None,
    }
}

#[tokio::test]
async fn a_host_agent_killed_right_after_ready_is_failed_too() {
    // The exit is watched from the boot on: a kill before any listing says Running (the
    // user clicks Start, sees ready, the agent dies) is a failure, not a stop.
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("nixos", FAST);
    let (m, mut rx) = monitor(&sim).await;
    m.run("nixos", Operation::Start).await.expect("start");
    while rx.try_recv().is_ok() {}
    // SAFETY: kill(2) on the host agent this test's sim started.
    assert_eq!(unsafe { libc::kill(ha_pid(&dir), libc::SIGKILL) }, 0);
    let states = states_until(&mut rx, "nixos", Duration::from_secs(5), "failed", |s| {
        failed_reason(s).is_some()
    })
    .await;
    assert!(
        !states.iter().any(|s| matches!(s, VmState::Stopped)),
        "{states:?}"
    );
}

#[tokio::test]
async fn a_host_agent_killed_with_sigkill_is_failed_at_once() {
    // A3: SIGKILL (OOM, jetsam, a Go panic) writes no `exiting` event and leaves ha.pid;
    // nothing in the instance directory changes. The monitor watches the process itself.
    for version in ["2.2.0", "2.0.2"] {
        let sim = SimLima::new(version);
        let dir = sim.create("nixos", FAST);
        let (m, mut rx) = monitor(&sim).await;
        m.run("nixos", Operation::Start).await.expect("start");
        // The watch on the process is armed after the listing that follows the start.
        let ready = m.snapshot().await[0].state.clone();
        assert!(matches!(ready, VmState::Ready { .. }), "{ready:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        while rx.try_recv().is_ok() {}
        let pid = ha_pid(&dir);
        // SAFETY: kill(2) on the host agent this test's sim started.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
        let killed = std::time::Instant::now();
        let states = states_until(&mut rx, "nixos", Duration::from_secs(5), "failed", |s| {
            failed_reason(s).is_some()
        })
        .await;
        let reason = failed_reason(states.last().unwrap()).unwrap();
        assert!(
            reason.starts_with("the VM stopped unexpectedly"),
            "Lima {version}: {reason}"
        );
        assert!(
            killed.elapsed() < Duration::from_secs(2),
            "Lima {version}: took {:?}",
            killed.elapsed()
        );
        // Lima leaves ha.pid behind; the relist after the exit removes it (ReadPIDFile).
        assert!(
            !states.iter().any(|s| matches!(s, VmState::Stopped)),
            "{states:?}"
        );
        let change = Change::StateChanged {
            name: "nixos".into(),
            from: ready.clone(),
            to: states.last().unwrap().clone(),
            by_limabar: false,
        };
        assert!(limabar_core::live::tray::notice_for(&change, true, 0).is_some());
        // The failure survives the listing that follows: Stopped, once Lima's
        // ReadPIDFile found the agent dead and removed ha.pid. Where nothing reaps
        // orphans (a container whose init does not), the killed agent stays a zombie,
        // which kill(pid, 0) calls alive: Lima then lists it Broken, and so does the sim.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let snap = m.snapshot().await;
        if is_zombie(pid) {
            assert!(
                matches!(
                    snap[0].state,
                    VmState::Broken { .. } | VmState::Failed { .. }
                ),
                "{:?}",
                snap[0].state
            );
        } else {
            assert!(
                failed_reason(&snap[0].state).is_some(),
                "{:?}",
                snap[0].state
            );
            assert!(!dir.join("ha.pid").exists(), "the relist cleans up ha.pid");
        }
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| rest.starts_with('Z')))
        .unwrap_or(false)
}

#[tokio::test]
async fn stops_from_a_terminal_end_stopped_not_failed() {
    // `limactl stop` (SIGINT: `Received SIGINT…`, then the exiting event) and
    // `limactl stop -f` (SIGKILL, then limactl removes the pid files) are requested stops.
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", FAST);
    let (m, mut rx) = monitor(&sim).await;
    for args in [["stop", "nixos"].as_slice(), &["stop", "-f", "nixos"]] {
        m.run("nixos", Operation::Start).await.expect("start");
        tokio::time::sleep(Duration::from_millis(300)).await;
        while rx.try_recv().is_ok() {}
        assert_succeeded(&sim.limactl_cmd(args).output().unwrap());
        let states = states_until(&mut rx, "nixos", Duration::from_secs(10), "stopped", |s| {
            matches!(s, VmState::Stopped | VmState::Failed { .. })
        })
        .await;
        assert_eq!(
            states.last(),
            Some(&VmState::Stopped),
            "{args:?}: {states:?}"
        );
        // Nothing flips it afterwards.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(m.snapshot().await[0].state, VmState::Stopped, "{args:?}");
    }
}

#[tokio::test]
async fn a_guest_poweroff_is_a_failure_with_the_drivers_error() {
    // A4: Lima logs `Driver stopped due to error: …`, then `Shutting down the host agent`
    // (as on every shutdown), then writes the exiting event.
    for version in ["2.2.0", "2.0.2"] {
        let sim = SimLima::new(version);
        sim.create(
            "nixos",
            r#"{"bootSecs": 1.0, "stopSecs": 0.1, "poweroffAfter": 1.0}"#,
        );
        let (m, mut rx) = monitor(&sim).await;
        m.run("nixos", Operation::Start).await.expect("start");
        let states = states_until(
            &mut rx,
            "nixos",
            Duration::from_secs(10),
            "the poweroff",
            |s| matches!(s, VmState::Stopped | VmState::Failed { .. }),
        )
        .await;
        let last = states.last().unwrap();
        let reason = failed_reason(last).unwrap_or_else(|| panic!("Lima {version}: {states:?}"));
        assert!(
            reason.starts_with("the VM stopped unexpectedly")
                && reason.contains("vz driver state stopped"),
            "Lima {version}: {reason}"
        );
        assert!(
            !states.iter().any(|s| matches!(s, VmState::Stopping { .. })),
            "Lima {version}: not a requested stop: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(failed_reason(&m.snapshot().await[0].state).is_some());
    }
}

#[tokio::test]
async fn a_malformed_event_line_makes_the_monitor_follow_the_log_itself() {
    // A8: Lima's watch (2.1+) logs ``Watcher for instance `X` stopped`` on stderr and
    // keeps running; the monitor must notice and read ha.stdout.log itself.
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("nixos", FAST);
    let (m, mut rx) = monitor(&sim).await;
    m.run("nixos", Operation::Start).await.expect("start");
    tokio::time::sleep(Duration::from_millis(300)).await;
    while rx.try_recv().is_ok() {}
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("ha.stdout.log"))
        .unwrap();
    writeln!(f, "this is not an event").unwrap();
    drop(f);
    within(Duration::from_secs(5), "the fallback warning", async {
        loop {
            if let Change::Warning { message, .. } = rx.recv().await.unwrap() {
                if message.contains("following ha.stdout.log") {
                    return;
                }
            }
        }
    })
    .await;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("ha.stdout.log"))
        .unwrap();
    writeln!(f, r#"{{"time":"2026-08-21T10:15:09Z","status":{{"running":true,"degraded":true,"errors":["late trouble"]}}}}"#).unwrap();
    drop(f);
    let states = states_until(&mut rx, "nixos", Duration::from_secs(5), "degraded", |s| {
        matches!(s, VmState::Degraded { .. })
    })
    .await;
    // The events the watch had delivered are not replayed (no flicker through starting).
    assert_eq!(states.len(), 1, "{states:?}");
}

#[tokio::test]
async fn a_failed_requirement_is_one_error_with_its_hint() {
    // Lima joins the failures with `\n`, and a requirement's debug hint has line breaks
    // of its own (`pkg/hostagent/requirements.go`).
    let sim = SimLima::new("2.2.0");
    sim.create(
        "nixos",
        r#"{"scenario": "degraded", "bootSecs": 1.0, "failAt": "user session is ready for ssh"}"#,
    );
    let (m, mut rx) = monitor(&sim).await;
    m.begin("nixos", Operation::Start).await.unwrap();
    let (states, _) = within(
        Duration::from_secs(20),
        "degraded start",
        states_until_op_end(&mut rx, "nixos"),
    )
    .await;
    let Some(VmState::Degraded { errors, .. }) = states.last() else {
        panic!("{states:?}")
    };
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].starts_with("failed to satisfy the essential requirement 2 of 3")
            && errors[0].contains("it must not be created until the session reset is done.")
            && errors[0].ends_with("exit status 1"),
        "{errors:#?}"
    );
    assert!(errors[1].starts_with("guest agent does not seem to be running"));
}

#[tokio::test]
async fn a_delete_is_an_operation_that_ends_with_the_vm_gone() {
    // Issue 9: deletes go through the monitor like start and stop (one at a time, shown
    // as busy), and the instance's disappearance is the delete's success, not an error.
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("old", FAST);
    let (m, mut rx) = monitor(&sim).await;
    let done = m.begin("old", Operation::Delete).await.expect("accepted");
    let busy = m.begin("old", Operation::Start).await.unwrap_err();
    assert_eq!(busy.code(), limabar_core::ErrorCode::Busy);
    done.await.unwrap().expect("deleted");
    assert!(!dir.exists());
    let mut ended = None;
    let mut removed = false;
    within(Duration::from_secs(5), "the delete's changes", async {
        while ended.is_none() || !removed {
            match rx.recv().await.unwrap() {
                Change::OperationEnded {
                    operation: Operation::Delete,
                    error,
                    ..
                } => ended = Some(error),
                Change::Removed { name } if name == "old" => removed = true,
                _ => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Some(None), "the delete ended without an error");
    assert!(m.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_vm_being_created_is_a_busy_row_until_lima_is_done() {
    // Issue 9 A7: Lima writes lima.yaml before it downloads the image, so the VM is listed
    // (Stopped) for minutes; the monitor shows it as being created and refuses the rest.
    let sim = SimLima::new("2.2.0");
    sim.export("LIMACTL_SIM_CREATE_SECS", "2");
    let file = sim.root.path().join("new.yaml");
    std::fs::write(&file, limabar_tests::NIXOS_YAML).unwrap();
    let (m, mut rx) = monitor(&sim).await;
    let creating = {
        let m = m.clone();
        let file = file.clone();
        tokio::spawn(async move { m.create("fresh", &file, |_, _| {}).await })
    };
    let row = within(Duration::from_secs(10), "the new row", async {
        loop {
            if let Change::Upserted { instance } = rx.recv().await.unwrap() {
                if instance.instance.name == "fresh" {
                    return instance;
                }
            }
        }
    })
    .await;
    assert_eq!(row.operation, Some(Operation::Create), "{row:?}");
    let busy = m.begin("fresh", Operation::Start).await.unwrap_err();
    assert_eq!(busy.code(), ErrorCode::Busy);
    let again = m.create("fresh", &file, |_, _| {}).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::AlreadyExists);
    creating.await.unwrap().expect("created");
    let view = m.snapshot().await.remove(0);
    assert_eq!(view.operation, None);
    m.run("fresh", Operation::Start)
        .await
        .expect("starts once created");
}
