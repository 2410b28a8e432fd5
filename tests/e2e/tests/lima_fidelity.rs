//! What issue 9 changed, as a user meets it in the popover: a folder with a space is
//! mounted (Limabar's fstab script goes into lima.yaml with it), a folder the guest cannot
//! mount is refused with the reason before anything changes, the home mount the template
//! writes as `~` really goes away, and a host agent killed with SIGKILL shows as failed
//! at once, with a notification.

use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::{choose_in_dialog, wait_notification, AppSession};
use limabar_tests::SimLima;

const MARKER: &str = limabar_core::features::mounts::guest_fstab::MARKER;

/// A stopped `nixos` from nixos-lima's template (`~` read-only), the app's home.
async fn launch() -> (AppSession, std::path::PathBuf) {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.8, "stopSecs": 0.1}"#);
    let home = sim.root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let app = AppSession::launch_with(sim, &[("HOME", home.as_os_str())]).await;
    app.wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;
    (app, home)
}

async fn add_folder(app: &AppSession, folder: &std::path::Path) {
    app.click("nixos", "add-folder").await;
    choose_in_dialog("Share folders with the VM", folder).await;
}

fn lima_yaml(app: &AppSession) -> String {
    std::fs::read_to_string(app.sim.lima_home.join("nixos/lima.yaml")).unwrap()
}

#[tokio::test]
async fn spaced_folders_mount_and_unmountable_ones_are_refused_with_the_reason() {
    let (app, home) = launch().await;
    let projects = home.join("My Projects");
    let comma = home.join("clients, 2026");
    std::fs::create_dir_all(&projects).unwrap();
    std::fs::create_dir_all(&comma).unwrap();

    // A folder the guest cannot mount: the reason, and lima.yaml untouched.
    let before = lima_yaml(&app);
    add_folder(&app, &comma).await;
    let pending = app
        .element("[data-testid=pending]", Duration::from_secs(10))
        .await;
    let text = pending.text().await.unwrap();
    assert!(text.contains("Rename the folder"), "{text}");
    assert!(text.contains(","), "{text}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.screenshot("mount-refused-comma.png").await;
    assert_eq!(lima_yaml(&app), before);

    // "My Projects": mounted on the stopped VM at once, with the fstab script.
    add_folder(&app, &projects).await;
    let p = projects.to_str().unwrap();
    app.element(&format!(r#"[data-mount="{p}"]"#), Duration::from_secs(10))
        .await;
    let yaml = lima_yaml(&app);
    assert!(yaml.contains(MARKER), "{yaml}");
    // Booted, the guest has it (the sim's guest drops the line without the script).
    app.click("nixos", "start").await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    let out = app
        .sim
        .limactl_cmd(&["shell", "--workdir", p, "nixos", "pwd"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.screenshot("mount-spaced-ready.png").await;

    // The home mount, written `location: "~"`, is removed from the running VM.
    let h = home.to_str().unwrap();
    let home_row = format!(r#"[data-mount="{h}"]"#);
    app.client
        .find(Locator::Css(&format!(r#"{home_row} button.x"#)))
        .await
        .expect("the home mount has a remove button")
        .click()
        .await
        .unwrap();
    app.wait_gone(&home_row, Duration::from_secs(30)).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    assert!(!lima_yaml(&app).contains("\"~\""), "{}", lima_yaml(&app));
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.screenshot("mount-home-removed.png").await;
    app.close().await;
}

#[tokio::test]
async fn a_host_agent_killed_with_sigkill_shows_as_failed_and_notifies() {
    let (app, _) = launch().await;
    app.click("nixos", "start").await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    let pid: i32 = std::fs::read_to_string(app.sim.lima_home.join("nixos/ha.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SIGKILL: no `exiting` event, the pid files stay (as after the OOM killer).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let text = app
        .wait_text("nixos", "stopped unexpectedly", Duration::from_secs(10))
        .await;
    assert!(text.contains("stopped unexpectedly"), "{text}");
    wait_notification("nixos failed", Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.screenshot("vm-killed-failed.png").await;
    app.close().await;
}
