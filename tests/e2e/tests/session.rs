//! The harness itself: a WebDriver session with the app is made even when WebKitWebDriver
//! is slow to start listening (seen on a loaded machine: tauri-driver answered the first
//! request with an empty reply, and the test failed before it began).

use std::ffi::OsString;
use std::time::Duration;

use limabar_e2e::AppSession;
use limabar_tests::{write_executable, SimLima};

#[tokio::test]
async fn a_session_is_made_when_webkitwebdriver_is_slow_to_listen() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", "{}");
    // tauri-driver finds WebKitWebDriver on PATH: put a slow one first.
    let slow = sim.root.path().join("slow-webdriver");
    std::fs::create_dir_all(&slow).unwrap();
    write_executable(
        &slow.join("WebKitWebDriver"),
        "#!/bin/sh\nsleep 2\nexec /usr/bin/WebKitWebDriver \"$@\"\n",
    );
    let mut path = OsString::from(&slow);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let app = AppSession::launch_with(sim, &[("PATH", path.as_os_str())]).await;
    app.wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;
    app.close().await;
}
