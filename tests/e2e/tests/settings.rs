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
    toggle_settings(&app).await;
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

/// One Lima connection as a value: a new limactl path saved in Settings connects at once
/// (no relaunch), and the popover lists what that Lima has — not what the old one had.
#[tokio::test]
async fn a_new_limactl_path_reconnects_at_once() {
    let old = SimLima::new("2.2.0");
    old.create("first", "{}");
    let new = SimLima::new("2.1.0");
    new.create("second", "{}");
    // No $LIMACTL (it would win over the setting): the app uses the saved path.
    let settings = old.root.path().join("home/config/limabar/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let saved = serde_json::json!({ "limactl": old.limactl });
    std::fs::write(&settings, saved.to_string()).unwrap();
    let app = AppSession::launch_with(old, &[("LIMACTL", "".as_ref())]).await;
    app.wait_state("first", "stopped", Duration::from_secs(30))
        .await;
    toggle_settings(&app).await;
    let field = app
        .element("[data-testid=setting-limactl]", Duration::from_secs(10))
        .await;
    field.clear().await.unwrap();
    // The path, then Tab: the field saves on change, as when the user leaves it.
    field
        .send_keys(&format!("{}\u{E004}", new.limactl.display()))
        .await
        .unwrap();
    app.element("[data-testid=settings-saved]", Duration::from_secs(10))
        .await;
    let in_use = new.limactl.display().to_string();
    let shown = wait_for_text(&app, "[data-testid=settings]", &in_use).await;
    assert!(!shown.contains("not in use yet"), "{shown}");
    app.screenshot("settings-reconnected.png").await;
    toggle_settings(&app).await;
    app.wait_state("second", "stopped", Duration::from_secs(20))
        .await;
    app.wait_gone(r#"li[data-name="first"]"#, Duration::from_secs(5))
        .await;
    let header = app.text_content("header").await;
    assert!(header.contains("2.1.0"), "{header}");
    let saved = std::fs::read_to_string(&settings).unwrap();
    assert!(saved.contains(&*in_use), "{saved}");
    app.close().await;
    drop(new);
}

async fn wait_for_text(app: &AppSession, css: &str, text: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let now = app.text_content(css).await;
        if now.contains(text) {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "`{text}` never shown in {css}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens (or closes) the Settings pane.
async fn toggle_settings(app: &AppSession) {
    app.click_css("[data-action=settings]").await;
}
