//! "Copy as limactl command" shows exactly what runs: for each lifecycle operation the
//! line the app copies (`Monitor::call_for`) is compared with the argv limactl-sim
//! received when the monitor ran that operation (the sim logs every invocation).

use std::time::Duration;

use limabar_core::live::change::Operation;
use limabar_core::{Monitor, MonitorConfig};
use limabar_tests::{within, SimLima};

/// Runs `op` on `name` through the monitor after taking the line the app would copy,
/// and returns (copied line, the line limactl received).
async fn copied_and_run(sim: &SimLima, m: &Monitor, name: &str, op: Operation) -> (String, String) {
    let call = m
        .call_for(name, op)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{op:?} is one call"));
    let copied = call.line(&m.limactl().runner.program);
    let before = sim.calls().len();
    let done = m.begin(name, op).await.unwrap();
    within(Duration::from_secs(20), "the operation", done)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{op:?}: {e}"));
    let verb = call.subcommand().to_string();
    let ran = sim.calls()[before..]
        .iter()
        .find(|argv| argv.first() == Some(&verb))
        .cloned()
        .unwrap_or_else(|| panic!("no `limactl {verb}` reached the sim"));
    let mut full = vec![m.limactl().runner.program.display().to_string()];
    full.extend(ran);
    (copied, limabar_core::quote::join(&full))
}

#[tokio::test]
async fn the_copied_limactl_line_is_the_one_that_runs() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos-dev", r#"{"bootSecs": 0.2, "stopSecs": 0.1}"#);
    let m = Monitor::spawn(MonitorConfig {
        // Not the default: the copied `--timeout` must follow the configured one.
        start_timeout: Duration::from_secs(90),
        ..MonitorConfig::new(sim.connect().await)
    })
    .unwrap();
    m.snapshot().await;

    for op in [
        Operation::Start,
        Operation::Restart,
        Operation::Stop,
        Operation::Start,
        Operation::ForceStop,
        Operation::Delete,
    ] {
        let (copied, ran) = copied_and_run(&sim, &m, "nixos-dev", op).await;
        assert_eq!(copied, ran, "{op:?}");
        if op == Operation::Start {
            assert!(copied.contains("--timeout 90s"), "{copied}");
        }
        // Let the monitor see the new state before the next operation is refused as
        // "already in that state".
        within(Duration::from_secs(10), "the listing to follow", async {
            loop {
                let listed = m.snapshot().await;
                let status = listed
                    .iter()
                    .find(|v| v.instance.name == "nixos-dev")
                    .map(|v| v.instance.status);
                let want_running = matches!(op, Operation::Start | Operation::Restart);
                match (op, status) {
                    (Operation::Delete, None) => return,
                    (Operation::Delete, Some(_)) => {}
                    (_, Some(s))
                        if (s == limabar_core::lima::inventory::LimaStatus::Running)
                            == want_running =>
                    {
                        return
                    }
                    _ => {}
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
}
