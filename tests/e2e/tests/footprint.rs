//! The app as a user runs it, without WebDriver (whose automation session WebKit ends
//! with its network process, so `release.rs` keeps that process): once the popover is
//! closed past the grace, the app's process tree has no WebKit process at all — neither
//! the web process nor the network process; a notification still arrives; the tray menu
//! brings the popover back with a new page that loads and says it is ready.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use limabar_e2e::{
    artifacts, process_tree, tray, visible_windows, wait_notification, wait_popover_visible,
};
use limabar_tests::{workspace_bin, SimLima};

struct App {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The app as a user launches it, on this test's Lima and data.
fn app_command(sim: &SimLima) -> Command {
    let home = sim.root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut command = Command::new(workspace_bin("limabar-app"));
    command
        .env("LIMACTL", &sim.limactl)
        .env("LIMA_HOME", &sim.lima_home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("LIMABAR_SHOW_AT_START", "1")
        .env("LIMABAR_WEBVIEW_GRACE_MS", "1000")
        .env("LIMABAR_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("TAURI_WEBVIEW_AUTOMATION");
    command
}

/// The names of a process's threads.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
                .map(|n| n.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

impl App {
    fn launch(sim: &SimLima) -> App {
        let log = sim.root.path().join("app.log");
        let child = app_command(sim)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        App { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until WebKit's web and network processes are both there or both gone.
    async fn wait_webkit(&self, there: bool, max: Duration) {
        let deadline = Instant::now() + max;
        loop {
            let names = process_tree(self.child.id());
            let web = names.iter().any(|n| n.starts_with("WebKitWebProces"));
            let network = names.iter().any(|n| n.starts_with("WebKitNetworkPr"));
            if web == there && network == there {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "WebKit processes {there}: {names:?}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_log(&self, needle: &str, after: usize, max: Duration) {
        let deadline = Instant::now() + max;
        while !self.log()[after.min(self.log().len())..].contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in the app's log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Escape closes the popover (retried: a key sent before the page has focus is lost).
async fn close_with_escape() {
    for _ in 0..50 {
        let Some(w) = visible_windows("Limabar").into_iter().next() else {
            return;
        };
        let _ = Command::new("xdotool")
            .args(["windowactivate", "--sync", &w, "key", "Escape"])
            .status();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the popover did not close");
}

#[tokio::test]
async fn a_closed_popover_leaves_no_webkit_process_and_a_new_page_loads() {
    let sim = SimLima::new("2.2.0");
    sim.create("later", r#"{"bootSecs": 0.5}"#);
    let app = App::launch(&sim);
    wait_popover_visible(true, Duration::from_secs(30)).await;
    app.wait_log("the page is ready", 0, Duration::from_secs(30))
        .await;
    app.wait_webkit(true, Duration::from_secs(10)).await;

    close_with_escape().await;
    wait_popover_visible(false, Duration::from_secs(5)).await;
    // The grace (1 s), the web process's exit, then the idle network process.
    app.wait_webkit(false, Duration::from_secs(15)).await;
    assert!(app.log().contains("ending WebKit's idle network process"));

    // No webview: the tray and the monitor go on.
    tray(&["click", "Start later"]);
    wait_notification("later is ready", Duration::from_secs(20)).await;

    // Back: WebKit starts its processes again and the new page loads and reports.
    let before = app.log().len();
    tray(&["click", "Open Limabar"]);
    wait_popover_visible(true, Duration::from_secs(10)).await;
    app.wait_log("the page is ready", before, Duration::from_secs(10))
        .await;
    app.wait_webkit(true, Duration::from_secs(5)).await;
    // For the eye (the screenshot): X gets the page's pixels a moment after it painted.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let w = visible_windows("Limabar").remove(0);
    let shot = artifacts().join("popover-after-network-process.png");
    let status = Command::new("import")
        .args(["-window", &w])
        .arg(&shot)
        .status()
        .unwrap();
    assert!(status.success(), "screenshot of the reopened popover");
}

/// A second launch (the user opening Limabar again) hands over to the running app and
/// exits at once (no second tray item or session), and the running app opens its popover. The handover is a Unix socket, not D-Bus: the app keeps no `blocking`
/// pool thread, which woke every 500 ms for its whole life (BENCHMARKS.md, idle cost).
#[tokio::test]
async fn a_second_launch_opens_the_running_apps_popover_and_exits() {
    let sim = SimLima::new("2.2.0");
    let app = App::launch(&sim);
    wait_popover_visible(true, Duration::from_secs(30)).await;
    app.wait_log("the page is ready", 0, Duration::from_secs(30))
        .await;
    close_with_escape().await;
    wait_popover_visible(false, Duration::from_secs(5)).await;

    let before = app.log().len();
    let started = Instant::now();
    let second = app_command(&sim)
        .env_remove("LIMABAR_SHOW_AT_START")
        .output()
        .unwrap();
    let took = started.elapsed();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "the second launch failed: {said}");
    assert!(said.contains("already running"), "{said}");
    assert!(
        took < Duration::from_secs(3),
        "the second launch took {took:?}"
    );
    wait_popover_visible(true, Duration::from_secs(10)).await;
    app.wait_log("popover shown", before, Duration::from_secs(10))
        .await;
    let threads = thread_names(app.child.id());
    assert!(
        !threads.iter().any(|t| t.starts_with("blocking")),
        "a thread pool that wakes while idle: {threads:?}"
    );
}
