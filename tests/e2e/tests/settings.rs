//! Settings take effect: "Open at login" writes and removes the desktop's autostart
//! entry (in a HOME of the test's own), and with "Notify when a VM is ready" off a
//! start ends without a notification while a failing start still notifies.

use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::{dunst_summaries, wait_notification, AppSession};
use limabar_tests::SimLima;

#[tokio::test]
async fn open_at_login_and_notification_choices_take_effect() {
    let sim = SimLima::new("2.2.0");
    sim.create("quiet", r#"{"bootSecs": 0.5}"#);
    sim.create("loud", r#"{"scenario": "exit-early", "bootSecs": 0.5}"#);
    let home = sim.root.path().join("app home");
    std::fs::create_dir_all(&home).unwrap();
    let autostart = home.join(".config/autostart");
    let app = AppSession::launch_with(sim, &[("HOME", home.as_os_str())]).await;
    app.wait_state("quiet", "stopped", Duration::from_secs(30))
        .await;
    app.client
        .find(Locator::Css("[data-action=settings]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let toggle = |id: &'static str| {
        let client = app.client.clone();
        async move {
            client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(&format!("[data-testid={id}]")))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    };
    toggle("setting-open-at-login").await;
    let entry = wait_for(|| {
        std::fs::read_dir(&autostart)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "desktop"))
    })
    .await
    .expect("an autostart entry");
    let desktop = std::fs::read_to_string(&entry).unwrap();
    assert!(desktop.contains("limabar-app"), "{desktop}");
    app.screenshot("settings.png").await;
    toggle("setting-open-at-login").await;
    wait_for(|| (!entry.exists()).then_some(()))
        .await
        .expect("the entry removed");

    toggle("setting-notify-ready").await;
    wait_for(|| {
        std::fs::read_to_string(
            app.sim
                .root
                .path()
                .join("home/config/limabar/settings.json"),
        )
        .ok()
        .filter(|s| s.contains("\"notifyReady\": false"))
    })
    .await
    .expect("saved");
    app.click("quiet", "start").await;
    app.wait_state("quiet", "ready", Duration::from_secs(20))
        .await;
    app.click("loud", "start").await;
    app.wait_state("loud", "failed", Duration::from_secs(20))
        .await;
    // Problems still notify; by then a ready notification would have come too.
    wait_notification("loud failed", Duration::from_secs(10)).await;
    let summaries = dunst_summaries();
    assert!(
        !summaries.iter().any(|s| s.starts_with("quiet is ready")),
        "{summaries:?}"
    );
    // One failure, one notification (its reason is refined once limactl exits).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let failed = dunst_summaries()
        .into_iter()
        .filter(|s| s == "loud failed")
        .count();
    assert_eq!(failed, 1);
    app.close().await;
}

async fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
