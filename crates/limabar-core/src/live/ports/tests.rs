use super::*;
use crate::features::port_holder::PortHolder;

fn ev(kind: &str, guest: &str, host: Option<&str>) -> PortForwardEvent {
    PortForwardEvent {
        kind: kind.into(),
        protocol: Some("tcp".into()),
        guest_addr: Some(guest.into()),
        host_addr: host.map(String::from),
        error: None,
    }
}

#[test]
fn forwarding_then_stopping_adds_and_removes_a_port() {
    let mut p = Ports::default();
    assert!(p.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080"))));
    assert_eq!(p.list().len(), 1);
    assert_eq!(p.list()[0].state, PortState::Forwarding);
    assert_eq!(p.list()[0].host_port(), Some(8080));
    // The same event again (events repeat the status): nothing changes.
    assert!(!p.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080"))));
    assert!(p.apply(&ev("not-forwarding", "127.0.0.1:53", None)));
    assert_eq!(p.list()[1].state, PortState::NotForwarding);
    assert!(p.apply(&ev("stopping", "0.0.0.0:8080", Some("127.0.0.1:8080"))));
    assert_eq!(p.list().len(), 1);
    // Guest port 22 is the VM's ssh, shown as such.
    assert!(!p.apply(&ev("forwarding", "127.0.0.1:22", Some("127.0.0.1:60022"))));
    // An event without a guest address says nothing about a port.
    let mut odd = ev("forwarding", "", None);
    odd.guest_addr = None;
    assert!(!p.apply(&odd));
}

#[test]
fn a_listen_warning_fails_the_forward_it_names() {
    let mut p = Ports::default();
    p.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    p.apply(&ev("forwarding", "0.0.0.0:3000", Some("127.0.0.1:3000")));
    // pkg/portfwd/listener.go logListenError: the address in the message, the error in
    // logrus' `error` field.
    let (proto, addr) = listen_failure("failed to listen tcp: 127.0.0.1:8080").unwrap();
    assert!(p.listen_failed(
        proto,
        addr,
        "listen tcp 127.0.0.1:8080: bind: address already in use"
    ));
    assert_eq!(p.list()[0].state, PortState::Failed);
    assert!(p.list()[0]
        .error
        .as_deref()
        .unwrap()
        .contains("address already in use"));
    assert_eq!(p.list()[1].state, PortState::Forwarding);
    assert!(!p.listen_failed(proto, addr, "again"), "already failed");
    // …and that repeated warning is not kept for a later forward of the address.
    p.apply(&ev("stopping", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    p.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    assert_eq!(p.list()[1].state, PortState::Forwarding);
    assert_eq!(listen_failure("failed to listen tcp 127.0.0.1:1"), None);
    assert_eq!(
        listen_failure("Forwarding TCP from 0.0.0.0:1 to 127.0.0.1:1"),
        None
    );
}

#[test]
fn a_listen_warning_read_before_its_event_still_fails_it() {
    // The warning comes from ha.stderr.log, the event from `limactl watch`: either first.
    let mut p = Ports::default();
    assert!(!p.listen_failed("tcp", "127.0.0.1:8080", "bind: address already in use"));
    p.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    assert_eq!(p.list()[0].state, PortState::Failed);
    // Used once: the port forwarded again later is forwarding.
    p.apply(&ev("stopping", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    p.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    assert_eq!(p.list()[0].state, PortState::Forwarding);
}

fn nobody(_: &str, _: &str) -> Option<PortHolder> {
    None
}

/// No VM holds the address a forward failed on: the program that does is named, asked
/// once; a VM that takes the address later is named instead.
#[test]
fn a_failed_forward_no_vm_holds_names_the_program() {
    let mut a = Ports::default();
    let mut b = Ports::default();
    b.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    b.listen_failed("tcp", "127.0.0.1:8080", "bind: address already in use");
    let asked = std::cell::Cell::new(0);
    let python = |proto: &str, addr: &str| {
        asked.set(asked.get() + 1);
        assert_eq!((proto, addr), ("tcp", "127.0.0.1:8080"));
        Some(PortHolder {
            program: Some("python3".into()),
            pid: Some(4242),
        })
    };
    assert_eq!(mark_conflicts([("b", &mut b)].into_iter(), python), ["b"]);
    let held = Some(PortConflict::HeldByProgram {
        program: Some("python3".into()),
        pid: Some(4242),
    });
    assert_eq!(b.list()[0].conflict, held);
    assert!(mark_conflicts([("b", &mut b)].into_iter(), python).is_empty());
    assert_eq!(asked.get(), 1, "asked once per failure");
    // Not found (it exited): nothing named.
    let mut c = Ports::default();
    c.apply(&ev("forwarding", "0.0.0.0:9090", Some("127.0.0.1:9090")));
    c.listen_failed("tcp", "127.0.0.1:9090", "bind: address already in use");
    mark_conflicts([("c", &mut c)].into_iter(), nobody);
    assert_eq!(c.list()[0].conflict, None);
    // A VM forwarding the address is the better answer.
    a.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    mark_conflicts([("a", &mut a), ("b", &mut b)].into_iter(), python);
    assert_eq!(
        b.list()[0].conflict,
        Some(PortConflict::HeldBy { owner: "a".into() })
    );
}

#[test]
fn two_vms_on_one_host_port_name_each_other() {
    let mut a = Ports::default();
    let mut b = Ports::default();
    let mut c = Ports::default();
    a.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    b.apply(&ev("forwarding", "0.0.0.0:8080", Some("127.0.0.1:8080")));
    b.listen_failed("tcp", "127.0.0.1:8080", "bind: address already in use");
    c.apply(&ev("forwarding", "0.0.0.0:9090", Some("127.0.0.1:9090")));
    let changed = mark_conflicts(
        [("a", &mut a), ("b", &mut b), ("c", &mut c)].into_iter(),
        nobody,
    );
    assert_eq!(changed, ["a", "b"]);
    assert_eq!(
        a.list()[0].conflict,
        Some(PortConflict::WantedBy {
            others: vec!["b".into()]
        })
    );
    assert_eq!(
        b.list()[0].conflict,
        Some(PortConflict::HeldBy { owner: "a".into() })
    );
    assert_eq!(c.list()[0].conflict, None);
    // Nothing new: nothing changed.
    assert!(mark_conflicts([("a", &mut a), ("b", &mut b)].into_iter(), nobody).is_empty());
    // `a` stops: `b`'s failure stays (Lima does not retry), but names no owner.
    a.clear();
    assert_eq!(
        mark_conflicts([("a", &mut a), ("b", &mut b)].into_iter(), nobody),
        ["b"]
    );
    assert_eq!(b.list()[0].conflict, None);
    assert_eq!(b.list()[0].state, PortState::Failed);
}

fn log(level: &str, msg: &str) -> crate::lima::halog::HaLogLine {
    crate::lima::halog::parse_line(
        &serde_json::json!({"level": level, "msg": msg, "time": "2026-12-03T10:00:00Z"})
            .to_string(),
    )
}

/// Lima skips a listen failure it deems negligible (a privileged port, DNS…) with only
/// `Not forwarding TCP HOSTADDR` at info level (`logListenError`): that forward failed,
/// whichever of the line and the `forwarding` event is read first.
#[test]
fn a_negligible_listen_failure_is_a_failed_forward_with_lima_s_reason() {
    let mut p = Ports::default();
    p.apply(&ev("forwarding", "0.0.0.0:80", Some("127.0.0.1:80")));
    assert!(p.read_log_line(&log("info", "Not forwarding TCP 127.0.0.1:80")));
    assert_eq!(p.list()[0].state, PortState::Failed);
    assert_eq!(
        p.list()[0].error.as_deref(),
        Some("Lima does not forward it: privileged port")
    );
    // The line first, then the event.
    let mut q = Ports::default();
    assert!(!q.read_log_line(&log("info", "Not forwarding TCP 127.0.0.1:53")));
    q.apply(&ev("forwarding", "127.0.0.1:53", Some("127.0.0.1:53")));
    assert_eq!(q.list()[0].state, PortState::Failed);
    assert!(q.list()[0].error.as_deref().unwrap().contains("DNS port"));
    // Other lines change nothing.
    assert!(!q.read_log_line(&log(
        "info",
        "Forwarding TCP from 127.0.0.1:53 to 127.0.0.1:53"
    )));
    assert!(!q.read_log_line(&log("debug", "Not forwarding TCP 127.0.0.1:9")));
}

/// The same words with a guest address come just before a rule's `not-forwarding`
/// event (`pkg/portfwd/forward.go`): no failure, in either order, and nothing left over
/// to mark a later forward failed.
#[test]
fn a_rule_ignoring_a_port_is_not_a_failure() {
    let mut p = Ports::default();
    p.read_log_line(&log("info", "Not forwarding TCP 127.0.0.1:5432"));
    p.apply(&ev("not-forwarding", "127.0.0.1:5432", None));
    p.apply(&ev("forwarding", "0.0.0.0:6000", Some("127.0.0.1:5432")));
    assert_eq!(p.list()[1].state, PortState::Forwarding, "{:?}", p.list());
    assert!(!p.read_log_line(&log("info", "Not forwarding TCP 127.0.0.1:5432")));
    assert_eq!(p.list()[0].state, PortState::NotForwarding);
}
