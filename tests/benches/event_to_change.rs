//! Event → Change latency: from limactl-sim appending the `running` event to
//! `ha.stdout.log` to the core emitting `ready`, over N boots (default 100), for both
//! event sources (Lima 2.2 `limactl watch`, Lima 2.0 file tail).
//! Run: cargo bench -p limabar-tests --bench event_to_change   (N: LIMABAR_BENCH_BOOTS)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use limabar_core::lima::events::rfc3339_ms;
use limabar_core::live::change::{Change, Operation};
use limabar_core::{Monitor, MonitorConfig, VmState};
use limabar_tests::SimLima;

fn now_us() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i128
}

/// Microseconds since the epoch of the first `running` event in the log.
fn running_event_us(log: &std::path::Path) -> i128 {
    let text = std::fs::read_to_string(log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("\"running\":true"))
        .expect("a running event");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let t = v["time"].as_str().unwrap();
    let parsed =
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap();
    let _ = rfc3339_ms(t);
    parsed.unix_timestamp_nanos() / 1000
}

async fn measure(version: &str, boots: usize) -> Vec<f64> {
    let sim = SimLima::new(version);
    let dir = sim.create("bench", r#"{"bootSecs": 0.3, "stopSecs": 0.0}"#);
    let m = Monitor::spawn(MonitorConfig::new(sim.connect().await)).unwrap();
    let mut rx = m.subscribe();
    m.snapshot().await;
    let mut out = Vec::with_capacity(boots);
    for _ in 0..boots {
        m.begin("bench", Operation::Start).await.unwrap();
        let received = loop {
            if let Ok(Change::StateChanged {
                to: VmState::Ready { .. },
                ..
            }) = rx.recv().await
            {
                break now_us();
            }
        };
        out.push((received - running_event_us(&dir.join("ha.stdout.log"))) as f64 / 1000.0);
        // Let the start operation finish, then stop for the next round.
        tokio::time::sleep(Duration::from_millis(100)).await;
        while m.begin("bench", Operation::ForceStop).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        loop {
            if let Ok(Change::OperationEnded {
                operation: Operation::ForceStop,
                ..
            }) = rx.recv().await
            {
                break;
            }
        }
        while m.snapshot().await[0].state != VmState::Stopped {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    out
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` discovery
    }
    let boots: usize = std::env::var("LIMABAR_BENCH_BOOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    for (version, source) in [("2.2.0", "limactl watch"), ("2.0.2", "ha.stdout.log tail")] {
        let mut ms = measure(version, boots).await;
        ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "event→ready, Lima {version} ({source}), {boots} boots: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            pct(&ms, 0.5),
            pct(&ms, 0.95),
            ms.last().unwrap()
        );
    }
}
