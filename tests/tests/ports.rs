//! Forwarded ports against limactl-sim, whose host agent forwards guest ports as Lima's
//! does (a `forwarding` event, then a listen that may fail with only a warning in
//! ha.stderr.log): each VM's ports arrive live from its events; two VMs on one host port
//! name each other; a port a host program holds says why it failed; `limabar ports`
//! reads the same from the logs.

use std::time::Duration;

use limabar_core::actions::Session;
use limabar_core::live::ports::{PortConflict, PortState, PortView};
use limabar_tests::{assert_succeeded, free_port, wait_until_down, within, SimLima};

async fn ports_of(session: &Session, name: &str, want: usize) -> Vec<PortView> {
    within(Duration::from_secs(20), "the ports", async {
        loop {
            let v = session.view(name).await.unwrap();
            if v.ports.len() == want {
                return v.ports;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

#[tokio::test]
async fn two_vms_on_one_host_port_name_each_other_and_a_busy_port_says_why() {
    let sim = SimLima::new("2.2.0");
    let shared = free_port();
    let own = free_port();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held_port = held.local_addr().unwrap().port();
    sim.create(
        "first",
        &format!(r#"{{"bootSecs": 0.2, "ports": [{{"guestPort": {shared}}}, {{"guestPort": {own}, "afterSecs": 0.1}}]}}"#),
    );
    sim.create(
        "second",
        &format!(r#"{{"bootSecs": 0.2, "ports": [{{"guestPort": {shared}}}, {{"guestPort": {held_port}, "loopback": true}}]}}"#),
    );
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    for name in ["first", "second"] {
        let v = session.view(name).await.unwrap();
        session.start_and_wait(&v).await.unwrap();
    }
    let second = within(Duration::from_secs(20), "second's failures", async {
        loop {
            let v = session.view("second").await.unwrap();
            if v.ports.len() == 2 && v.ports.iter().all(|p| p.state == PortState::Failed) {
                return v.ports;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let first = ports_of(&session, "first", 2).await;

    // `first` got the shared port, and knows `second` wanted it.
    let mine = first
        .iter()
        .find(|p| p.host_port() == Some(shared))
        .unwrap();
    assert_eq!(mine.state, PortState::Forwarding);
    assert_eq!(mine.guest_addr, format!("0.0.0.0:{shared}"));
    assert_eq!(
        mine.conflict,
        Some(PortConflict::WantedBy {
            others: vec!["second".into()]
        })
    );
    // `second`'s forward failed in Lima's words, held by `first`.
    let lost = second
        .iter()
        .find(|p| p.host_port() == Some(shared))
        .unwrap();
    assert!(
        lost.error
            .as_deref()
            .unwrap()
            .contains("address already in use"),
        "{lost:?}"
    );
    assert_eq!(
        lost.conflict,
        Some(PortConflict::HeldBy {
            owner: "first".into()
        })
    );
    // A port a program on this machine holds (this test): failed, and the program named.
    let busy = second
        .iter()
        .find(|p| p.host_port() == Some(held_port))
        .unwrap();
    assert_eq!(busy.guest_addr, format!("127.0.0.1:{held_port}"));
    let me = std::fs::read_to_string("/proc/self/comm").unwrap();
    assert_eq!(
        busy.conflict,
        Some(PortConflict::HeldByProgram {
            program: Some(me.trim().to_string()),
            pid: Some(std::process::id()),
        })
    );

    // Only forwarded ports that answer HTTP are offered for the browser.
    let mut http = session.http_ports("first").await.unwrap();
    http.sort();
    let mut want = vec![shared, own];
    want.sort();
    assert_eq!(http, want);
    assert!(session.http_ports("second").await.unwrap().is_empty());
    assert!(
        session.open_port("second", shared).await.is_err(),
        "not forwarded by second"
    );

    // The CLI reads the same from the logs, conflicts included.
    let out = sim.limabar(&["ports", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&assert_succeeded(&out)).unwrap();
    let instances = listed["instances"].as_array().unwrap();
    let second_cli = instances.iter().find(|i| i["name"] == "second").unwrap();
    let lost_cli = second_cli["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["hostAddr"] == format!("127.0.0.1:{shared}"))
        .unwrap();
    assert_eq!(lost_cli["state"], "failed");
    assert_eq!(lost_cli["conflict"]["owner"], "first");
    let text = assert_succeeded(&sim.limabar(&["ports", "first"]));
    assert!(text.contains(&format!("localhost:{shared}")), "{text}");
    assert!(text.contains("also wanted by second"), "{text}");
    let text = assert_succeeded(&sim.limabar(&["ports", "second"]));
    assert!(
        text.contains(&format!(
            "held by {} (pid {}) on this computer",
            me.trim(),
            std::process::id()
        )),
        "{text}"
    );

    // Stopped: its ports are gone, and `second` no longer names it.
    assert!(sim
        .limactl_cmd(&["stop", "first"])
        .status()
        .unwrap()
        .success());
    within(Duration::from_secs(20), "first's ports gone", async {
        loop {
            let f = session.view("first").await.unwrap();
            let s = session.view("second").await.unwrap();
            let lost = s.ports.iter().find(|p| p.host_port() == Some(shared));
            if f.ports.is_empty() && lost.is_some_and(|p| p.conflict.is_none()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    drop(held);
}

/// `portForwards: []` forwards everything all the same (Lima appends its default rule);
/// the doctor says so, and its fix — one rule ignoring every port — forwards nothing.
#[tokio::test]
async fn an_empty_port_forwards_list_still_forwards_and_the_fix_stops_it() {
    let sim = SimLima::new("2.2.0");
    let port = free_port();
    let dir = sim.create(
        "quiet",
        &format!(r#"{{"bootSecs": 0.2, "ports": [{{"guestPort": {port}, "loopback": true}}]}}"#),
    );
    let yaml = dir.join("lima.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, format!("{text}portForwards: []\n")).unwrap();
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    let ids = |d: &limabar_core::actions::Diagnosis| -> Vec<String> {
        d.findings.iter().map(|f| f.id.to_string()).collect()
    };
    let d = within(Duration::from_secs(10), "the finding", async {
        loop {
            let d = session.diagnosis("quiet").await.unwrap();
            if ids(&d).iter().any(|i| i == "port-forwards-empty") {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(ids(&d).contains(&"port-forwards-empty".to_string()));
    let v = session.view("quiet").await.unwrap();
    session.start_and_wait(&v).await.unwrap();
    let ports = ports_of(&session, "quiet", 1).await;
    assert_eq!(
        ports[0].state,
        PortState::Forwarding,
        "the empty list changed nothing"
    );
    assert!(sim
        .limactl_cmd(&["stop", "quiet"])
        .status()
        .unwrap()
        .success());

    // The one-click fix, through Lima's edit: now the port is not forwarded.
    wait_until_down(&session, "quiet").await;
    session
        .apply_fix("quiet", "port-forwards-empty")
        .await
        .unwrap();
    let d = session.diagnosis("quiet").await.unwrap();
    assert!(
        !ids(&d).contains(&"port-forwards-empty".to_string()),
        "{:?}",
        ids(&d)
    );
    let v = session.view("quiet").await.unwrap();
    session.start_and_wait(&v).await.unwrap();
    let ports = ports_of(&session, "quiet", 1).await;
    assert_eq!(ports[0].state, PortState::NotForwarding);
    assert_eq!(ports[0].host_addr, None);
}

/// Lima skips some listen failures as negligible — the DNS port here, a privileged port
/// for a user who may not bind it — with only `Not forwarding TCP 127.0.0.1:53` at info
/// level (`pkg/portfwd/listener.go` `logListenError`): Limabar shows that forward as
/// failed with Lima's reason, where its events alone say "forwarding".
#[tokio::test]
async fn a_port_lima_skips_as_negligible_says_so() {
    let sim = SimLima::new("2.2.0");
    // Taken here when this user may (root); otherwise the sim's own bind is refused.
    let _dns = std::net::TcpListener::bind("127.0.0.1:53");
    sim.create(
        "dns",
        r#"{"bootSecs": 0.2, "ports": [{"guestPort": 53, "loopback": true}]}"#,
    );
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    let v = session.view("dns").await.unwrap();
    session.start_and_wait(&v).await.unwrap();
    let port = within(Duration::from_secs(20), "the skipped port", async {
        loop {
            let v = session.view("dns").await.unwrap();
            if let Some(p) = v.ports.iter().find(|p| p.state == PortState::Failed) {
                return p.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(port.host_addr.as_deref(), Some("127.0.0.1:53"));
    assert_eq!(
        port.error.as_deref(),
        Some("Lima does not forward it: DNS port (often conflicts with the system resolver)")
    );
    // The CLI reads the same from the logs.
    let text = assert_succeeded(&sim.limabar(&["ports", "dns"]));
    assert!(text.contains("Lima does not forward it"), "{text}");
}
