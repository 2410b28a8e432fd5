//! The real app, end to end: popover, boot phases, ready and failure notifications
//! received by dunst, and the tray menu driven over D-Bus like a panel would.

use std::time::Duration;

use limabar_e2e::{tray, wait_notification, AppSession};
use limabar_tests::SimLima;

#[tokio::test]
async fn start_from_the_popover_shows_phases_then_ready_and_notifies() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 4.0, "stopSecs": 0.2}"#);
    sim.create("web", r#"{"bootSecs": 1.5, "stopSecs": 0.2}"#);
    let app = AppSession::launch(sim).await;

    let text = app
        .wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;
    assert!(text.contains("Stopped"), "{text}");
    app.wait_state("web", "stopped", Duration::from_secs(5))
        .await;
    let badge = app
        .client
        .find(fantoccini::Locator::Css("[data-testid=lima-badge]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(badge, "Simulated Lima 2.2.0");
    app.screenshot("popover-stopped.png").await;

    app.click("nixos", "start").await;
    let booting = app
        .wait_state("nixos", "starting", Duration::from_secs(10))
        .await;
    assert!(booting.contains("Starting"), "{booting}");
    // Wait for a named phase to be on screen before the screenshot.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let t = app
            .wait_state("nixos", "starting", Duration::from_secs(5))
            .await;
        if t.contains("user session")
            || t.contains("waiting for ssh")
            || t.contains("boot scripts")
            || std::time::Instant::now() > deadline
        {
            assert!(t.contains("Starting —"), "no phase shown: {t}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.screenshot("popover-booting.png").await;

    let ready = app
        .wait_state("nixos", "ready", Duration::from_secs(20))
        .await;
    assert!(ready.contains("Ready · booted in"), "{ready}");
    assert!(
        !ready.contains("Starting…"),
        "a ready VM offers Stop, not a busy button: {ready}"
    );
    app.screenshot("popover-ready.png").await;
    let n = wait_notification("nixos is ready", Duration::from_secs(10)).await;
    assert!(n.starts_with("nixos is ready — booted in "), "{n}");

    // The tray, as a panel sees it: a StatusNotifierItem with the running count and a
    // dbusmenu whose Start item works.
    let props = tray(&["props"]);
    assert!(
        props["Id"].as_str().unwrap_or("").contains("tray"),
        "{props}"
    );
    assert_eq!(props["XAyatanaLabel"], "1", "{props}");
    assert_eq!(props["Title"], "Limabar", "the name panels list: {props}");
    let labels: Vec<String> = tray(&["layout"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap_or("").trim().to_string())
        .collect();
    assert!(labels.contains(&"nixos — ready".to_string()), "{labels:?}");
    assert!(labels.contains(&"web — stopped".to_string()), "{labels:?}");
    assert!(
        labels.contains(&"Open Limabar".to_string())
            && labels.contains(&"Quit Limabar".to_string())
    );
    assert!(
        labels.contains(&"Restart nixos".to_string()) && labels.contains(&"Stop nixos".to_string()),
        "{labels:?}"
    );
    tray(&["click", "Start web"]);
    app.wait_state("web", "ready", Duration::from_secs(20))
        .await;
    // Ready notifications are for starts begun in Limabar: the tray counts.
    wait_notification("web is ready", Duration::from_secs(10)).await;
    let props = tray(&["props"]);
    assert_eq!(props["XAyatanaLabel"], "2", "{props}");

    // A build from source takes no updates and says so, from the tray too.
    tray(&["click", "Check for Updates…"]);
    wait_notification(
        "Updates are not set up in this build",
        Duration::from_secs(10),
    )
    .await;

    app.close().await;
}

#[tokio::test]
async fn a_failed_start_shows_the_reason_and_notifies() {
    let sim = SimLima::new("2.2.0");
    sim.create("broken", r#"{"scenario": "exit-early", "bootSecs": 1.0}"#);
    sim.create("sick", r#"{"scenario": "degraded", "bootSecs": 1.0}"#);
    let app = AppSession::launch(sim).await;
    app.wait_state("broken", "stopped", Duration::from_secs(30))
        .await;

    app.click("broken", "start").await;
    let state = app
        .wait_state("broken", "failed", Duration::from_secs(20))
        .await;
    assert!(state.contains("Failed"), "{state}");
    // Lima's own message (folded away once the explanation below is there).
    let failed = app
        .text_content(r#"li[data-name="broken"] [data-testid="problems"]"#)
        .await;
    assert!(failed.contains("exiting"), "the reason is shown: {failed}");
    assert!(
        !failed.contains("goroutine"),
        "only Lima's fatal message, not earlier lines: {failed}"
    );
    assert_eq!(
        failed.matches("exiting, status=").count(),
        1,
        "the reason is shown once: {failed}"
    );
    // Explained from the host agent's log, not just "exiting".
    let why = app
        .element(
            r#"li[data-name="broken"] [data-testid="explanation"][data-id="exited"]"#,
            Duration::from_secs(10),
        )
        .await;
    assert!(
        why.text()
            .await
            .unwrap()
            .contains("the virtual machine failed to start"),
        "{}",
        why.text().await.unwrap()
    );
    app.screenshot("popover-failed.png").await;
    let n = wait_notification("broken failed", Duration::from_secs(10)).await;
    assert_eq!(n, "broken failed");

    app.click("sick", "start").await;
    app.wait_state("sick", "degraded", Duration::from_secs(20))
        .await;
    let degraded = app
        .text_content(r#"li[data-name="sick"] [data-testid="problems"]"#)
        .await;
    assert!(
        degraded.contains("guest agent does not seem to be running"),
        "{degraded}"
    );
    wait_notification("sick is running with problems", Duration::from_secs(10)).await;
    let why = app.element(r#"li[data-name="sick"] [data-testid="explanation"][data-id="guest-agent-not-running"]"#, Duration::from_secs(10)).await;
    assert!(why
        .text()
        .await
        .unwrap()
        .contains("did not answer within a minute"));
    app.screenshot("popover-degraded.png").await;
    app.close().await;
}
