//! One operation per instance across processes: while the `limabar` command boots a VM,
//! the app's monitor (another process in real life, another lock holder here) and a
//! second `limabar` are refused with what is in progress, and nothing reaches Lima.

use std::process::Stdio;
use std::time::Duration;

use limabar_core::error::CoreError;
use limabar_core::live::change::{Change, Operation};
use limabar_core::{Monitor, MonitorConfig, VmState};
use limabar_tests::{assert_succeeded, within, SimLima};
use serde_json::Value;

/// An instance `nixos` that a `limabar start` process is booting (2 s), and the app's
/// side: a monitor sharing the CLI's lock directory.
async fn cli_booting() -> (SimLima, Monitor, tokio::process::Child) {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 2.0, "stopSecs": 0.1}"#);
    let config = MonitorConfig {
        op_locks: Some(sim.cli_data_dir().join("locks")),
        ..MonitorConfig::new(sim.connect().await)
    };
    let app = Monitor::spawn(config).unwrap();
    let mut changes = app.subscribe();
    app.snapshot().await;
    let cli_start = tokio::process::Command::from(sim.limabar_cmd(&["start", "nixos"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    within(Duration::from_secs(10), "the CLI's boot to begin", async {
        loop {
            if let Change::StateChanged { to, .. } = changes.recv().await.unwrap() {
                if matches!(to, VmState::Starting { .. }) {
                    return;
                }
            }
        }
    })
    .await;
    (sim, app, cli_start)
}

#[tokio::test]
async fn a_vm_the_cli_is_starting_cannot_be_changed_by_the_app_or_another_cli() {
    let (sim, app, mut cli_start) = cli_booting().await;
    let project = sim.root.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let calls_before = sim.calls().len();

    match app.begin("nixos", Operation::Stop).await {
        Err(CoreError::Busy { operation, .. }) => {
            assert!(
                operation.starts_with("start (Limabar process "),
                "{operation}"
            )
        }
        other => panic!("the app's Stop during the CLI's start: {other:?}"),
    }
    let out = sim.limabar(&["mount", "add", "nixos", project.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).expect("a JSON error");
    assert_eq!(err["code"], "busy", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("start (Limabar"),
        "{err}"
    );
    let meanwhile: Vec<String> = sim.calls()[calls_before..]
        .iter()
        .map(|c| c[0].clone())
        .collect();
    assert!(
        !meanwhile.iter().any(|verb| {
            ["start", "stop", "restart", "edit", "delete", "shell"].contains(&verb.as_str())
        }),
        "a refused change reached Lima: {meanwhile:?}"
    );

    // Once the CLI's start is over the lock is free again (also had it crashed: the
    // kernel drops it with the process).
    assert!(
        within(Duration::from_secs(20), "the CLI's start", cli_start.wait())
            .await
            .unwrap()
            .success()
    );
    let out = sim.limabar(&["mount", "add", "nixos", project.to_str().unwrap()]);
    assert_succeeded(&out);
}

/// A `limabar` killed mid-operation leaves no lock behind: the kernel releases it with
/// the process, so the next change goes through at once.
#[tokio::test]
async fn a_killed_cli_leaves_the_vm_unlocked() {
    let (_sim, app, mut cli_start) = cli_booting().await;
    assert!(matches!(
        app.begin("nixos", Operation::Stop).await,
        Err(CoreError::Busy { .. })
    ));
    cli_start.kill().await.unwrap(); // SIGKILL: no destructor runs
                                     // (Its `limactl start` died with it, so the VM is half up: force stop it.)
    let done = app
        .begin("nixos", Operation::ForceStop)
        .await
        .expect("not busy once the holder is gone");
    within(Duration::from_secs(20), "the stop", done)
        .await
        .unwrap()
        .unwrap();
}
