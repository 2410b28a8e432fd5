//! Driving the real Limabar binary in its real WebKitGTK webview: one `tauri-driver` per
//! test (the app inherits its environment, so each test has its own `$LIMA_HOME`), a
//! fantoccini client, and helpers for the notification server and the tray protocol.
//! Run inside `scripts/e2e-session.sh` (Xvfb, D-Bus session, window manager, SNI watcher).

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use limabar_tests::{free_port, workspace_bin, SimLima};
use serde_json::{json, Value};

pub struct AppSession {
    pub client: Client,
    driver: Child,
    pub sim: SimLima,
}

pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl AppSession {
    pub async fn launch(sim: SimLima) -> AppSession {
        Self::launch_with(sim, &[]).await
    }

    /// Like `launch`, with extra environment for the app (e.g. its own `HOME`).
    pub async fn launch_with(sim: SimLima, env: &[(&str, &std::ffi::OsStr)]) -> AppSession {
        Self::launch_app(&workspace_bin("limabar-app"), sim, env).await
    }

    /// Like `launch_with`, for another build of the app (the installed package's).
    pub async fn launch_app(
        application: &std::path::Path,
        sim: SimLima,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> AppSession {
        let (port, native_port) = (free_port(), free_port());
        let home = sim.root.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let driver = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("LIMACTL", &sim.limactl)
            .env("LIMA_HOME", &sim.lima_home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("LIMABAR_SHOW_AT_START", "1")
            // The test's own values win (an empty LIMACTL: none set).
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group: WebKitWebDriver and the app are killed with it.
            .process_group(0)
            .spawn()
            .expect("tauri-driver on PATH (scripts/test.sh installs it)");
        // tauri-driver listens at once but forwards to WebKitWebDriver, which it starts
        // at the same time; a session asked for before that one listens fails with an
        // empty reply ("IncompleteMessage", seen on a loaded machine). Wait for both.
        let deadline = Instant::now() + Duration::from_secs(20);
        for p in [port, native_port] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "tauri-driver or WebKitWebDriver did not listen on {p}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": application }),
        );
        caps.insert("browserName".into(), json!("wry"));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session with the app");
        AppSession {
            client,
            driver,
            sim,
        }
    }

    /// The process group of tauri-driver, WebKitWebDriver and the app (and of an app the
    /// app restarted: it keeps its parent's group).
    pub fn process_group(&self) -> u32 {
        self.driver.id()
    }

    /// Switches WebDriver to the popover's newest page: once a released webview was
    /// built again, the old page's handle is gone.
    pub async fn follow_the_new_page(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(handles) = self.client.windows().await {
                if let Some(h) = handles.last() {
                    if self.client.switch_to_window(h.clone()).await.is_ok()
                        && self.client.find(Locator::Css("main")).await.is_ok()
                    {
                        return;
                    }
                }
            }
            assert!(Instant::now() < deadline, "no new page to drive");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The pid of the app process itself (tauri-driver → WebKitWebDriver → limabar-app).
    pub fn app_pid(&self) -> u32 {
        let mut todo = vec![self.driver.id()];
        while let Some(pid) = todo.pop() {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "limabar-app" {
                return pid;
            }
            let children = Command::new("pgrep")
                .args(["-P", &pid.to_string()])
                .output()
                .expect("pgrep");
            todo.extend(
                String::from_utf8_lossy(&children.stdout)
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
        panic!("no limabar-app process under tauri-driver");
    }

    pub fn row(name: &str) -> Locator<'static> {
        Locator::Css(Box::leak(
            format!(r#"li[data-name="{name}"]"#).into_boxed_str(),
        ))
    }

    /// Waits until the row of `name` has `data-state` = `state`; returns its text.
    pub async fn wait_state(&self, name: &str, state: &str, max: Duration) -> String {
        let deadline = Instant::now() + max;
        let mut last = String::new();
        loop {
            if let Ok(row) = self.client.find(Self::row(name)).await {
                last = row
                    .attr("data-state")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                if last == state {
                    return row.text().await.unwrap_or_default();
                }
            }
            assert!(
                Instant::now() < deadline,
                "{name} never became {state} (last state: {last:?})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the row of `name` contains `text`; returns the row's text.
    pub async fn wait_text(&self, name: &str, text: &str, max: Duration) -> String {
        let deadline = Instant::now() + max;
        loop {
            let row = self.client.find(Self::row(name)).await.ok();
            let t = match row {
                Some(r) => r.text().await.unwrap_or_default(),
                None => String::new(),
            };
            if t.contains(text) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never showed {text:?} (last: {t:?})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first element matching `css`, waiting up to `max` for it.
    pub async fn element(&self, css: &str, max: Duration) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(max)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} within {max:?}: {e}"))
    }

    /// All text of the element matching `css`, also what a closed `<details>` hides.
    pub async fn text_content(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"))
            .prop("textContent")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Waits until nothing matches `css` any more.
    pub async fn wait_gone(&self, css: &str, max: Duration) {
        let deadline = Instant::now() + max;
        while self.client.find(Locator::Css(css)).await.is_ok() {
            assert!(Instant::now() < deadline, "{css} still there after {max:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, name: &str, action: &str) {
        let css = format!(r#"li[data-name="{name}"] button[data-action="{action}"]"#);
        self.client
            .find(Locator::Css(&css))
            .await
            .unwrap_or_else(|_| panic!("no {action} button for {name}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks the first element matching `css`, waiting up to 10 s for it.
    pub async fn click_css(&self, css: &str) {
        self.element(css, Duration::from_secs(10))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Escape, as the user presses it in the popover (it closes, pinned or not).
    pub async fn press_escape(&self) {
        self.client
            .find(Locator::Css("button.pin"))
            .await
            .unwrap()
            .send_keys(&fantoccini::key::Key::Escape.to_string())
            .await
            .unwrap();
    }

    pub async fn screenshot(&self, file: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(artifacts().join(file), png).unwrap();
    }

    /// Ends the session. A menu-bar app outlives its window, so the whole process group
    /// (tauri-driver, WebKitWebDriver, the app) is killed, also when a test panics.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for AppSession {
    fn drop(&mut self) {
        // SAFETY: killpg on the group this session created for tauri-driver.
        unsafe { libc::killpg(self.driver.id() as i32, libc::SIGKILL) };
        let _ = self.driver.wait();
        // The next app would hand itself over to this one (single instance) while it
        // lives, and its tray item would linger: wait until the whole group has gone.
        let deadline = Instant::now() + Duration::from_secs(10);
        while group_alive(self.driver.id()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn group_alive(pgid: u32) -> bool {
    Command::new("pgrep")
        .args(["-g", &pgid.to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Summaries of notifications dunst received (closing the displayed ones moves them to
/// its history, which `dunstctl` prints as JSON).
pub fn dunst_summaries() -> Vec<String> {
    let _ = Command::new("dunstctl").arg("close-all").status();
    let out = Command::new("dunstctl")
        .arg("history")
        .output()
        .expect("dunstctl");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    v["data"][0]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["summary"]["data"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn wait_notification(containing: &str, max: Duration) -> String {
    let deadline = Instant::now() + max;
    loop {
        if let Some(s) = dunst_summaries()
            .into_iter()
            .find(|s| s.contains(containing))
        {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "no notification containing {containing:?}; dunst has {:?}",
            dunst_summaries()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `tests/e2e/tray.py CMD …` against the last registered tray item.
pub fn tray(args: &[&str]) -> Value {
    let log = std::env::var("LIMABAR_SNI_LOG").expect("run inside scripts/e2e-session.sh");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tray.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(args[0])
        .arg(log)
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tray.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// X window ids of visible windows titled exactly `title` (the popover is "Limabar").
pub fn visible_windows(title: &str) -> Vec<String> {
    visible_windows_where(&["--name", &format!("^{title}$")])
}

/// Ids of the visible windows `xdotool search` finds with `criteria`.
fn visible_windows_where(criteria: &[&str]) -> Vec<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible"])
        .args(criteria)
        .output()
        .expect("xdotool");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

pub fn activate(window: &str) {
    let _ = Command::new("xdotool")
        .args(["windowactivate", "--sync", window])
        .status();
}

/// The names (`comm`) of `root`'s process tree, `root` first.
pub fn process_tree(root: u32) -> Vec<String> {
    let mut todo = vec![root];
    let mut names = Vec::new();
    while let Some(pid) = todo.pop() {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        names.push(comm.trim().to_string());
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        todo.extend(
            children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    names
}

/// Waits until the popover's visibility is `visible`.
pub async fn wait_popover_visible(visible: bool, max: Duration) {
    let deadline = Instant::now() + max;
    while visible_windows("Limabar").is_empty() == visible {
        assert!(
            Instant::now() < deadline,
            "the popover did not become {}",
            if visible { "visible" } else { "hidden" }
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until a window titled exactly `title` is visible; returns its X id.
pub async fn wait_for_window(title: &str, max: Duration) -> String {
    let deadline = Instant::now() + max;
    loop {
        if let Some(id) = visible_windows(title).into_iter().next() {
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "no visible window titled {title:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A helper program's window, killed and reaped on drop.
pub struct HelperWindow {
    child: Child,
    pub id: String,
}

impl HelperWindow {
    /// Starts `cmd` and waits for its window `title` (the guard exists before anything
    /// can panic, so the child is always reaped).
    pub async fn spawn(mut cmd: Command, title: &str) -> HelperWindow {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        let mut w = HelperWindow {
            child,
            id: String::new(),
        };
        w.id = wait_for_window(title, Duration::from_secs(10)).await;
        w
    }
}

impl Drop for HelperWindow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Another window to click into: an xterm.
pub async fn other_window() -> HelperWindow {
    let mut cmd = Command::new("xterm");
    cmd.args(["-title", "elsewhere"]);
    HelperWindow::spawn(cmd, "elsewhere").await
}

/// A GTK drag source offering `paths` (tests/e2e/drag_source.py).
pub struct DragSource(HelperWindow, PathBuf);

impl DragSource {
    /// A new drag-source process. A fresh one per attempt: a GTK process whose drag
    /// once found no target (`drag-failed no-target`, seen in CI now and then) kept
    /// finding none for its later drags.
    pub async fn open(paths: &[&std::path::Path], log: &std::path::Path) -> DragSource {
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("drag_source.py"))
            .args(["40", "300"])
            .arg(log)
            .args(paths);
        DragSource(
            HelperWindow::spawn(cmd, "drag-source").await,
            log.to_path_buf(),
        )
    }

    /// What GTK did with the drags so far (press, drag-begin, drag-failed …, drag-end).
    pub fn events(&self) -> String {
        std::fs::read_to_string(&self.1).unwrap_or_default()
    }

    /// Presses the mouse on the source and moves, in steps, to screen point (x, y);
    /// the button stays down so a test can look at the drop highlight.
    pub async fn drag_to(&self, x: i64, y: i64) {
        xdotool(&["mouseup", "1"]); // nothing held over from an earlier attempt
        let geo = window_geometry(&self.0.id);
        let (sx, sy) = (geo.0 + 40, geo.1 + 30);
        xdotool(&["mousemove", &sx.to_string(), &sy.to_string()]);
        tokio::time::sleep(Duration::from_millis(200)).await;
        xdotool(&["mousedown", "1"]);
        tokio::time::sleep(Duration::from_millis(200)).await;
        for i in 1..=40 {
            let px = sx + (x - sx) * i / 40;
            let py = sy + (y - sy) * i / 40;
            xdotool(&["mousemove", &px.to_string(), &py.to_string()]);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        // XDND only tells the target where the pointer is when the pointer moves. On a
        // loaded machine GTK can start the drag after the path above is already done, so
        // keep moving a little over the target for a while.
        for i in 0..10 {
            let d = if i % 2 == 0 { 2 } else { -2 };
            xdotool(&["mousemove", &(x + d).to_string(), &y.to_string()]);
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    }

    pub fn release(&self) {
        xdotool(&["mouseup", "1"]);
    }
}

fn xdotool(args: &[&str]) {
    let ok = Command::new("xdotool")
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "xdotool {args:?} failed");
}

/// What is on the X screen (every visible window's title and geometry, and a picture
/// of the whole screen in the artifacts), for a test that is about to fail.
pub fn dump_screen(name: &str) {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", "."])
        .output()
        .expect("xdotool");
    for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        let title = Command::new("xdotool")
            .args(["getwindowname", id])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        eprintln!("window {id} {title:?} at {:?}", window_geometry(id));
    }
    let png = artifacts().join(name);
    let _ = Command::new("import")
        .args(["-window", "root"])
        .arg(&png)
        .status();
    eprintln!("screen saved to {}", png.display());
}

/// Chooses `path` in the GTK file chooser titled `title`, like a user with the keyboard:
/// Ctrl+L, type the path, Return until the chooser closes (in folder mode the first
/// Return may only enter the folder).
///
/// xdotool types a non-ASCII character by remapping a spare keycode, and now and then
/// the character is lost on the way (seen: "limabar test ü-" arrived as "limabar test
/// -"). GTK then opens a "could not be displayed" error, a new window of the app: it is
/// dismissed and the path typed again, three attempts at most.
pub async fn choose_in_dialog(title: &str, path: &std::path::Path) {
    let dialog = wait_for_window(title, Duration::from_secs(10)).await;
    let windows_of_app = || windows_of_pid(&window_pid(&dialog)).len();
    let usual = windows_of_app();
    for _attempt in 0..3 {
        xdotool(&["windowactivate", "--sync", &dialog]);
        xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
        xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
        xdotool(&["type", "--delay", "20", &path.display().to_string()]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        xdotool(&["key", "Return"]);
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if visible_windows(title).is_empty() {
                return;
            }
            if windows_of_app() > usual {
                xdotool(&["key", "Return"]); // OK on the error
                tokio::time::sleep(Duration::from_millis(300)).await;
                break;
            }
            xdotool(&["key", "Return"]);
        }
    }
    dump_screen("chooser-stuck.png");
    panic!("the chooser {title:?} did not close");
}

fn window_pid(window: &str) -> String {
    let out = Command::new("xdotool")
        .args(["getwindowpid", window])
        .output()
        .expect("xdotool");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn windows_of_pid(pid: &str) -> Vec<String> {
    visible_windows_where(&["--pid", pid])
}

/// Screen position (x, y) of a window's top-left corner.
pub fn window_geometry(id: &str) -> (i64, i64) {
    let out = Command::new("xdotool")
        .args(["getwindowgeometry", "--shell", id])
        .output()
        .expect("xdotool");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("X="), field("Y="))
}
