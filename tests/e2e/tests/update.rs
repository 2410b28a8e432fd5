//! The installed Limabar updates itself (issue 12). `scripts/test-package.sh` installs a
//! current version's .deb built with a key made for this run and an endpoint on 127.0.0.1, builds a
//! signed next version beside it, and runs this test with LIMABAR_UPDATE_DIR holding:
//! `www/` (what the server serves), `latest-tampered.json` (the next version with its real
//! signature, pointing at a copy of the .deb with bytes changed) and `latest.json` (the
//! genuine one). The tray's "Check for Updates…" finds it and notifies; Settings'
//! "Install and Restart" refuses the tampered download with a clear message and leaves
//! the installed app as it was; the genuine one is installed (dpkg through sudo, as the
//! plugin does when pkexec and a graphical prompt are missing) and the app restarts
//! into it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use limabar_e2e::{tray, wait_notification, AppSession};
use limabar_tests::SimLima;

const APP: &str = "/usr/bin/limabar-app";

#[allow(clippy::disallowed_methods)] // the test's own inputs, from test-package.sh
fn input(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}: run by scripts/test-package.sh"))
}

fn installed_version() -> String {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", "limabar"])
        .output()
        .expect("dpkg-query");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The update server: plain files over HTTP on 127.0.0.1, killed with the test.
struct Server(std::process::Child);

impl Server {
    async fn start(www: &Path, port: &str) -> Server {
        let child = Command::new("/usr/bin/python3")
            .args([
                "-m",
                "http.server",
                port,
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(www)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err() {
            assert!(
                Instant::now() < deadline,
                "the update server did not listen"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, manifest: &str) {
    std::fs::copy(dir.join(manifest), dir.join("www/latest.json")).unwrap();
}

async fn settings_text(app: &AppSession, css: &str, max: Duration) -> String {
    app.element(css, max).await;
    app.text_content(css).await
}

/// The limabar-app processes in the session's process group, but `old`.
fn other_apps(app: &AppSession, old: u32) -> Vec<u32> {
    let out = Command::new("pgrep")
        .args(["-x", "-g", &app.process_group().to_string(), "limabar-app"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .filter(|p| *p != old)
        .collect()
}

/// Once the app runs, launches it again: the running one (single instance) opens its
/// popover. With the app's own data directory (`home`/data, as `launch_app` gives it):
/// one Limabar per data directory.
async fn open_the_popover_once_running(home: PathBuf) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !Command::new("pgrep")
        .args(["-x", "limabar-app"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(Instant::now() < deadline, "the installed app did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Its single-instance lock is taken first thing; a launch before it listens waits.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = Command::new(APP)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("a second launch");
    assert!(status.success(), "the second launch failed: {status}");
}

#[tokio::test]
async fn the_installed_app_refuses_a_tampered_update_and_installs_a_signed_one() {
    let dir = PathBuf::from(input("LIMABAR_UPDATE_DIR"));
    let port = input("LIMABAR_UPDATE_PORT");
    let (from, to) = (input("LIMABAR_UPDATE_FROM"), input("LIMABAR_UPDATE_TO"));
    assert_eq!(
        installed_version(),
        from,
        "test-package.sh installs {from} first"
    );
    let before = sha256(Path::new(APP));
    serve(&dir, "latest-tampered.json");
    let _server = Server::start(&dir.join("www"), &port).await;

    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.5}"#);
    // A release build starts with its popover closed, and WebDriver's session waits for
    // a webview: open the popover the way a user's second launch does.
    let opener = tokio::spawn(open_the_popover_once_running(sim.root.path().join("home")));
    let app =
        AppSession::launch_app(Path::new(APP), sim, &[("LIMABAR_LOG", "info".as_ref())]).await;
    opener.await.unwrap();
    app.wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;

    // The tray finds the update and says so; its menu then offers the install.
    let asked = Instant::now();
    tray(&["click", "Check for Updates…"]);
    wait_notification(
        &format!("Limabar {to} is available"),
        Duration::from_secs(30),
    )
    .await;
    let found_in = asked.elapsed();
    let labels = tray(&["layout"]).to_string();
    assert!(
        labels.contains(&format!("Install Limabar {to} and Restart")),
        "{labels}"
    );

    // Settings shows it; the tampered download is refused and nothing changes.
    app.click_css("[data-action=settings]").await;
    let offer = settings_text(
        &app,
        "[data-testid=update-available]",
        Duration::from_secs(10),
    )
    .await;
    assert!(
        offer.contains(&format!("Limabar {to} is available")),
        "{offer}"
    );
    app.element("[data-action=install-update]", Duration::from_secs(5))
        .await
        .click()
        .await
        .unwrap();
    let refusing = Instant::now();
    let refused = settings_text(&app, "[data-testid=update-error]", Duration::from_secs(60)).await;
    assert!(
        refused.contains("not signed with Limabar's key") && refused.contains("unchanged"),
        "{refused}"
    );
    let refused_in = refusing.elapsed();
    app.screenshot("update-refused.png").await;
    assert_eq!(installed_version(), from);
    assert_eq!(sha256(Path::new(APP)), before, "the installed app changed");

    // The genuine update: found again, installed, and the app restarts into it.
    serve(&dir, "latest.json");
    let old = app.app_pid();
    app.element("[data-action=check-updates]", Duration::from_secs(5))
        .await
        .click()
        .await
        .unwrap();
    app.element("[data-action=install-update]", Duration::from_secs(30))
        .await;
    app.screenshot("update-available.png").await;
    app.element("[data-action=install-update]", Duration::from_secs(5))
        .await
        .click()
        .await
        .unwrap();
    let installing = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(120);
    let new = loop {
        if installed_version() == to {
            if let Some(p) = other_apps(&app, old).first() {
                break *p;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no restart into {to}: installed {}, apps {:?}",
            installed_version(),
            other_apps(&app, old)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Reported, not asserted (BENCHMARKS.md "Updates").
    eprintln!(
        "BENCH update: tray check → notification {:.0} ms; tampered refused {:.0} ms; \
         install → restarted {:.1} s",
        found_in.as_secs_f64() * 1e3,
        refused_in.as_secs_f64() * 1e3,
        installing.elapsed().as_secs_f64(),
    );
    // The process that runs now is the installed new binary, not the replaced one.
    let exe = std::fs::read_link(format!("/proc/{new}/exe")).unwrap();
    assert_eq!(
        exe,
        Path::new(APP),
        "the restarted app runs {}",
        exe.display()
    );
    assert_ne!(sha256(Path::new(APP)), before);
    assert!(
        !Path::new(&format!("/proc/{old}")).exists()
            || std::fs::read_to_string(format!("/proc/{old}/stat"))
                .map(|s| s.contains(") Z "))
                .unwrap_or(true),
        "the old app is still running"
    );
    drop(app);
}
