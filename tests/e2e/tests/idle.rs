//! What the running app leaves behind while idle: nothing that wakes it on a timer.

use std::time::{Duration, Instant};

use limabar_e2e::AppSession;
use limabar_tests::SimLima;

/// The files a process keeps open, by the paths they point at.
fn open_files(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the app's fd table")
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

/// WebKitGTK's memory-pressure monitor keeps /proc/meminfo open and re-reads it every
/// 5 s: the idle app's only timer that is ours to remove (BENCHMARKS.md, "Idle cost"; the
/// ones left are in dependencies). The app turns
/// it off; a user's own WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR=0 turns it back on, which
/// shows this check sees the monitor when it runs.
#[tokio::test]
async fn webkit_does_not_poll_memory_while_the_app_idles_unless_the_user_asks() {
    for (user_value, polls) in [(None, false), (Some("0"), true)] {
        let sim = SimLima::new("2.2.0");
        sim.create("nixos", "{}");
        let env: Vec<(&str, &std::ffi::OsStr)> = user_value
            .iter()
            .map(|v| {
                (
                    "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR",
                    std::ffi::OsStr::new(*v),
                )
            })
            .collect();
        let app = AppSession::launch_with(sim, &env).await;
        app.wait_state("nixos", "stopped", Duration::from_secs(30))
            .await;
        // The monitor opens the file at its first poll: watch for two poll periods.
        let pid = app.app_pid();
        let deadline = Instant::now() + Duration::from_secs(11);
        let mut files = open_files(pid);
        while !files.iter().any(|f| f == "/proc/meminfo") && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            files = open_files(pid);
        }
        assert_eq!(
            files.iter().any(|f| f == "/proc/meminfo"),
            polls,
            "user value {user_value:?}; open files: {files:?}"
        );
        app.close().await;
    }
}
