use super::*;
use crate::lima::events::parse_event_line;
use crate::lima::halog::parse_line;

fn ev(line: &str) -> Input {
    Input::Event(parse_event_line(line).expect("fixture event parses"))
}

fn log(msg: &str, at: Millis) -> Input {
    Input::Log {
        line: parse_line(&format!(
            r#"{{"level":"info","msg":"{msg}","time":"2026-08-21T10:15:04Z"}}"#
        )),
        at,
    }
}

fn ready_at_t0() -> VmState {
    VmState::Ready {
        ssh_port: Some(1),
        boot_secs: None,
        since: T0,
    }
}

// 2026-08-21T10:15:00Z = 1787307300000 ms.
const T0: Millis = 1_787_307_300_000;

#[test]
fn healthy_boot_goes_through_phases_to_ready_with_boot_time() {
    let inputs = vec![
        Input::StartRequested { at: T0 },
        log(
            "Starting VZ (hint: to watch the boot progress, see serialv.log)",
            T0 + 500,
        ),
        ev(r#"{"time":"2026-08-21T10:15:01Z","status":{"sshLocalPort":50122}}"#),
        log(
            "Waiting for the essential requirement 1 of 3: `ssh`",
            T0 + 1200,
        ),
    ];
    let s = fold(VmState::Stopped, &inputs);
    assert_eq!(
        s,
        VmState::Starting {
            phase: Some("waiting for ssh".into()),
            since: T0
        }
    );
    let s = apply(
        &s,
        &log(
            "Waiting for the final requirement 1 of 1: `boot scripts must have finished`",
            T0 + 8000,
        ),
    );
    assert_eq!(s.phase(), Some("boot scripts"));
    let s = apply(
        &s,
        &ev(r#"{"time":"2026-08-21T10:15:09.8Z","status":{"running":true,"sshLocalPort":50122}}"#),
    );
    assert_eq!(
        s,
        VmState::Ready {
            ssh_port: Some(50122),
            boot_secs: Some(9.8),
            since: T0 + 9800
        }
    );
    // Port-forward snapshots repeat running:true: nothing changes.
    let again = apply(
        &s,
        &ev(
            r#"{"time":"2026-08-21T10:16:00Z","status":{"running":true,"sshLocalPort":50122,"portForward":{"type":"forwarding"}}}"#,
        ),
    );
    assert_eq!(again, s);
    // limactl start exit 0 afterwards keeps the measured boot time.
    assert_eq!(
        apply(
            &again,
            &Input::StartFinished {
                error: None,
                at: T0 + 9900
            }
        ),
        s
    );
}

#[test]
fn a_running_event_after_limactls_exit_brings_the_ssh_port() {
    let starting = VmState::Starting {
        phase: Some("boot scripts".into()),
        since: T0,
    };
    let exited = apply(
        &starting,
        &Input::StartFinished {
            error: None,
            at: T0 + 9800,
        },
    );
    assert_eq!(
        exited,
        VmState::Ready {
            ssh_port: None,
            boot_secs: Some(9.8),
            since: T0 + 9800
        }
    );
    let with_port = apply(
        &exited,
        &ev(r#"{"time":"2026-08-21T10:15:09Z","status":{"running":true,"sshLocalPort":50122}}"#),
    );
    assert_eq!(
        with_port,
        VmState::Ready {
            ssh_port: Some(50122),
            boot_secs: Some(9.8),
            since: T0 + 9800
        }
    );
}

#[test]
fn degraded_boot_stays_degraded_when_limactl_exits_1() {
    let s = fold(
        VmState::Stopped,
        &[
            Input::StartRequested { at: T0 },
            ev(r#"{"time":"2026-08-21T10:15:01Z","status":{"sshLocalPort":50122}}"#),
            ev(
                r#"{"time":"2026-08-21T10:16:05Z","status":{"running":true,"degraded":true,"errors":["guest agent does not seem to be running; port forwards will not work"],"sshLocalPort":50122}}"#,
            ),
            Input::StartFinished {
                error: Some("degraded, status={…}".into()),
                at: T0 + 66_000,
            },
        ],
    );
    match s {
        VmState::Degraded { errors, .. } => assert_eq!(
            errors,
            vec![
                "guest agent does not seem to be running; port forwards will not work".to_string()
            ]
        ),
        other => panic!("expected degraded, got {other:?}"),
    }
}

#[test]
fn exiting_during_boot_fails_and_the_reason_sticks_after_list_says_stopped() {
    let s = fold(
        VmState::Stopped,
        &[
            Input::StartRequested { at: T0 },
            ev(r#"{"time":"2026-08-21T10:15:01Z","status":{"exiting":true}}"#),
        ],
    );
    assert!(matches!(s, VmState::Failed { .. }), "{s:?}");
    let s = apply(
        &s,
        &Input::StartFinished {
            error: Some("exiting, status={Running:false Errors:[]}".into()),
            at: T0 + 1500,
        },
    );
    assert_eq!(
        s,
        VmState::Failed {
            reason: "exiting, status={Running:false Errors:[]}".into()
        }
    );
    let s = apply(
        &s,
        &Input::Listed {
            status: LimaStatus::Stopped,
            errors: vec![],
        },
    );
    assert!(matches!(s, VmState::Failed { .. }));
    // The next start clears it.
    assert!(matches!(
        apply(&s, &Input::StartRequested { at: T0 + 5000 }),
        VmState::Starting { .. }
    ));
}

#[test]
fn never_running_then_timeout_is_a_failure_not_stuck_starting() {
    let s = fold(
        VmState::Stopped,
        &[
            Input::StartRequested { at: T0 },
            ev(r#"{"time":"2026-08-21T10:15:01Z","status":{"sshLocalPort":50122}}"#),
            log(
                "Waiting for the essential requirement 1 of 3: `ssh`",
                T0 + 2000,
            ),
            Input::StartFinished {
                error: Some("did not receive an event with the `running` status".into()),
                at: T0 + 900_000,
            },
        ],
    );
    assert_eq!(
        s,
        VmState::Failed {
            reason: "did not receive an event with the `running` status".into()
        }
    );
}

#[test]
fn stop_from_anywhere_goes_through_stopping_to_stopped() {
    let ready = ready_at_t0();
    let s = apply(
        &ready,
        &log("Received SIGINT, shutting down the host agent", T0 + 10),
    );
    assert_eq!(s, VmState::Stopping { since: T0 + 10 });
    // running:true snapshots keep coming during shutdown.
    let s = apply(
        &s,
        &ev(
            r#"{"time":"2026-08-21T10:15:01Z","status":{"running":true,"portForward":{"type":"stopping"}}}"#,
        ),
    );
    assert!(matches!(s, VmState::Stopping { .. }));
    let s = apply(
        &s,
        &ev(r#"{"time":"2026-08-21T10:15:02Z","status":{"exiting":true}}"#),
    );
    assert_eq!(s, VmState::Stopped);
}

#[test]
fn unexpected_exit_of_a_ready_vm_is_a_failure() {
    let ready = ready_at_t0();
    let s = apply(
        &ready,
        &ev(r#"{"time":"2026-08-21T10:15:02Z","status":{"exiting":true}}"#),
    );
    assert!(matches!(s, VmState::Failed { .. }));
}

#[test]
fn listing_running_is_not_ready_and_replayed_history_makes_it_ready_without_boot_time() {
    let s = apply(
        &VmState::Stopped,
        &Input::Listed {
            status: LimaStatus::Running,
            errors: vec![],
        },
    );
    assert_eq!(s, VmState::Unknown);
    let s = apply(
        &s,
        &ev(r#"{"time":"2026-08-21T10:15:09Z","status":{"running":true,"sshLocalPort":50122}}"#),
    );
    assert!(matches!(
        s,
        VmState::Ready {
            boot_secs: None,
            ..
        }
    ));
}

#[test]
fn transient_broken_during_start_is_ignored_but_broken_at_rest_is_shown() {
    let starting = VmState::Starting {
        phase: None,
        since: T0,
    };
    let broken = Input::Listed {
        status: LimaStatus::Broken,
        errors: vec!["host agent is running but driver is not".into()],
    };
    assert_eq!(apply(&starting, &broken), starting);
    assert_eq!(
        apply(&VmState::Stopped, &broken),
        VmState::Broken {
            reason: "host agent is running but driver is not".into()
        }
    );
    // A start that has not written ha.pid yet is listed Stopped: still starting.
    assert_eq!(
        apply(
            &starting,
            &Input::Listed {
                status: LimaStatus::Stopped,
                errors: vec![]
            }
        ),
        starting
    );
}

#[test]
fn boot_observed_from_a_terminal_start_and_failed_stop() {
    let s = apply(&VmState::Stopped, &Input::BootObserved { at: T0 });
    assert_eq!(
        s,
        VmState::Starting {
            phase: None,
            since: T0
        }
    );
    let stopping = apply(
        &VmState::Ready {
            ssh_port: None,
            boot_secs: None,
            since: T0,
        },
        &Input::StopRequested { at: T0 },
    );
    assert_eq!(
        apply(
            &stopping,
            &Input::StopFinished {
                error: Some("x".into())
            }
        ),
        VmState::Unknown
    );
}

#[test]
fn broken_listings_are_transient_only_while_starting_or_stopping() {
    let starting = VmState::Starting {
        phase: None,
        since: T0,
    };
    assert!(listing_is_transient(LimaStatus::Broken, &starting));
    assert!(listing_is_transient(
        LimaStatus::Broken,
        &VmState::Stopping { since: T0 }
    ));
    assert!(!listing_is_transient(LimaStatus::Broken, &VmState::Stopped));
    assert!(!listing_is_transient(LimaStatus::Running, &starting));
}

#[test]
fn a_poweroff_in_the_guest_is_a_failure_with_the_drivers_error_not_a_stop() {
    // Lima's order on that path (pkg/hostagent/hostagent.go startRoutinesAndWait, close):
    // the driver's error, `Shutting down the host agent`, then the exiting event.
    let s = fold(
        ready_at_t0(),
        &[
            log("[VZ] - vm state change: stopped", T0 + 10),
            log(
                "Driver stopped due to error: `vz driver state stopped`",
                T0 + 11,
            ),
            log("Shutting down the host agent", T0 + 12),
            log("Shutting down VZ", T0 + 13),
            ev(
                r#"{"time":"2026-08-21T10:15:01Z","status":{"running":true,"portForward":{"type":"stopping"}}}"#,
            ),
            ev(r#"{"time":"2026-08-21T10:15:02Z","status":{"exiting":true}}"#),
            Input::Listed {
                status: LimaStatus::Stopped,
                errors: vec![],
            },
        ],
    );
    let VmState::Failed { reason } = &s else {
        panic!("{s:?}")
    };
    assert!(reason.starts_with(STOPPED_UNEXPECTEDLY), "{reason}");
    assert!(reason.contains("`vz driver state stopped`"), "{reason}");
    let change = crate::live::change::Change::StateChanged {
        name: "nixos".into(),
        from: ready_at_t0(),
        to: s.clone(),
        by_limabar: false,
    };
    assert!(crate::live::tray::notice_for(&change, true, T0).is_some());
    // Lima ≤ 2.1 quotes with "…"; QEMU's clean exit is a nil error.
    let old = apply(
        &ready_at_t0(),
        &log(
            r#"Driver stopped due to error: \"vz driver state stopped\""#,
            T0,
        ),
    );
    assert_eq!(old, s);
    let qemu = apply(
        &ready_at_t0(),
        &log("Driver stopped due to error: %!q(<nil>)", T0),
    );
    assert!(
        matches!(&qemu, VmState::Failed { reason } if reason.starts_with(STOPPED_UNEXPECTEDLY) && reason.contains("process exited")),
        "{qemu:?}"
    );
    // The dead agent's last snapshots say running (a port forward stopping): still gone.
    let late = ev(
        r#"{"time":"2026-08-21T10:15:01Z","status":{"running":true,"degraded":true,"errors":["x"]}}"#,
    );
    assert_eq!(apply(&s, &late), s);
    // Unlike a start that timed out while the VM went on booting: that one may still
    // become ready.
    let timed_out = VmState::Failed {
        reason: "did not receive an event with the `running` status".into(),
    };
    assert!(matches!(
        apply(
            &timed_out,
            &ev(r#"{"time":"2026-08-21T10:25:00Z","status":{"running":true}}"#)
        ),
        VmState::Ready { .. }
    ));
    // During a boot.
    let booting = VmState::Starting {
        phase: Some("user session".into()),
        since: T0,
    };
    assert!(matches!(
        apply(&booting, &log("Driver stopped due to error: `vz driver state stopped`", T0)),
        VmState::Failed { reason } if reason.contains("during boot")
    ));
}

#[test]
fn shutting_down_alone_is_not_a_stop_request() {
    // `close()` logs it on every path; only the signal line says someone asked.
    assert_eq!(
        apply(
            &ready_at_t0(),
            &log("Shutting down the host agent", T0 + 10)
        ),
        ready_at_t0()
    );
    // A stop Limabar requested does not become a failure on that path either.
    let stopping = VmState::Stopping { since: T0 };
    assert_eq!(
        apply(
            &stopping,
            &log(
                "Driver stopped due to error: `vz driver state stopped`",
                T0 + 10
            )
        ),
        stopping
    );
}

#[test]
fn a_host_agent_gone_without_its_exiting_event() {
    let gone = |s: &VmState, left| apply(s, &Input::AgentGone { files_left: left });
    // Killed or crashed: ha.sock (and ha.pid) are left behind.
    let s = gone(&ready_at_t0(), true);
    assert!(
        matches!(&s, VmState::Failed { reason } if reason.starts_with(STOPPED_UNEXPECTEDLY)),
        "{s:?}"
    );
    let degraded = VmState::Degraded {
        errors: vec!["x".into()],
        since: T0,
    };
    assert!(matches!(gone(&degraded, true), VmState::Failed { .. }));
    assert!(matches!(
        gone(&VmState::Unknown, true),
        VmState::Failed { .. }
    ));
    let starting = VmState::Starting {
        phase: None,
        since: T0,
    };
    assert!(matches!(
        gone(&starting, true),
        VmState::Failed { reason } if reason.contains("during boot")
    ));
    // `limactl stop -f` from a terminal removed them: a requested stop.
    assert_eq!(gone(&ready_at_t0(), false), VmState::Stopped);
    // Limabar's own force stop.
    assert_eq!(
        gone(&VmState::Stopping { since: T0 }, true),
        VmState::Stopped
    );
    // A listing in between said Stopped (Lima removes a dead agent's ha.pid): still a
    // failure. A failure keeps its reason.
    assert!(matches!(
        gone(&VmState::Stopped, true),
        VmState::Failed { .. }
    ));
    assert_eq!(gone(&VmState::Stopped, false), VmState::Stopped);
    let failed = VmState::Failed {
        reason: "earlier".into(),
    };
    assert_eq!(gone(&failed, true), failed);
}
