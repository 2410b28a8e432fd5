use super::*;
use crate::lima::inventory::LimaStatus;

fn view(name: &str, state: VmState) -> InstanceView {
    let status = if state.is_running() {
        LimaStatus::Running
    } else {
        LimaStatus::Stopped
    };
    crate::testutil::view(name, status, state)
}

fn ready(secs: Option<f64>) -> VmState {
    VmState::Ready {
        ssh_port: Some(1),
        boot_secs: secs,
        since: 0,
    }
}

#[test]
fn icon_reflects_the_worst_state_and_title_counts_running_vms() {
    assert_eq!(tray_model(&[]).icon, TrayIcon::Idle);
    let m = tray_model(&[view("a", ready(None)), view("b", VmState::Stopped)]);
    assert_eq!((m.icon, m.title.as_str()), (TrayIcon::Ready, "1"));
    assert_eq!(
        m.items[0].actions,
        vec![Operation::Stop, Operation::Restart]
    );
    assert_eq!(m.items[1].actions, vec![Operation::Start]);
    assert_eq!(m.items[1].label, "b — stopped");
    let booting = tray_model(&[view(
        "a",
        VmState::Starting {
            phase: Some("boot scripts".into()),
            since: 0,
        },
    )]);
    assert_eq!(booting.icon, TrayIcon::Busy);
    assert_eq!(booting.items[0].label, "a — starting: boot scripts");
    let bad = tray_model(&[
        view("a", ready(None)),
        view("b", VmState::Failed { reason: "x".into() }),
    ]);
    assert_eq!(bad.icon, TrayIcon::Trouble);
}

fn changed(from: VmState, to: VmState, by_limabar: bool) -> Change {
    Change::StateChanged {
        name: "nixos".into(),
        from,
        to,
        by_limabar,
    }
}

#[test]
fn ready_notice_only_for_our_starts_or_long_unseen_boots() {
    let starting = VmState::Starting {
        phase: None,
        since: 0,
    };
    let n = notice_for(&changed(starting.clone(), ready(Some(9.8)), true), true, 0).unwrap();
    assert_eq!(n.title, "nixos is ready — booted in 9.8 s");
    assert!(notice_for(
        &changed(starting.clone(), ready(Some(9.8)), false),
        false,
        0
    )
    .is_none());
    assert!(notice_for(
        &changed(starting.clone(), ready(Some(20.0)), false),
        false,
        0
    )
    .is_some());
    assert!(notice_for(
        &changed(starting.clone(), ready(Some(20.0)), false),
        true,
        0
    )
    .is_none());
    // A VM that was already up when Limabar looked: no boot time, no notice.
    assert!(notice_for(&changed(VmState::Unknown, ready(None), false), false, 0).is_none());
}

#[test]
fn failures_and_degraded_always_notify_with_the_reason() {
    let f = notice_for(
        &changed(
            VmState::Starting {
                phase: None,
                since: 0,
            },
            VmState::Failed {
                reason: "disk in use".into(),
            },
            false,
        ),
        true,
        0,
    )
    .unwrap();
    assert_eq!(
        (f.title.as_str(), f.body.as_str()),
        ("nixos failed", "disk in use")
    );
    let d = notice_for(
        &changed(
            VmState::Starting {
                phase: None,
                since: 0,
            },
            VmState::Degraded {
                errors: vec!["guest agent does not seem to be running".into()],
                since: 0,
            },
            false,
        ),
        true,
        0,
    )
    .unwrap();
    assert!(d.body.contains("guest agent"));
}

#[test]
fn a_refined_failure_reason_does_not_notify_again() {
    let again = changed(
        VmState::Failed {
            reason: "exiting".into(),
        },
        VmState::Failed {
            reason: "exiting, status={…}".into(),
        },
        true,
    );
    assert_eq!(notice_for(&again, false, 0), None);
}
