//! The popover's webview exists only while it is open (and a grace after): once closed
//! past the grace the app's process tree has no WebKit web process; a notification still
//! arrives; the tray menu brings the popover back with the live state (a VM that became
//! ready meanwhile), a pending mount still pending and the log view still open.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use limabar_e2e::{
    choose_in_dialog, process_tree, tray, wait_notification, wait_popover_visible, AppSession,
};
use limabar_tests::SimLima;

fn tree(app: &AppSession) -> Vec<String> {
    process_tree(app.app_pid())
}

async fn wait_tree(app: &AppSession, web: bool, max: Duration) {
    let deadline = Instant::now() + max;
    loop {
        let names = tree(app);
        let has_web = names.iter().any(|n| n.starts_with("WebKitWebProces"));
        if has_web == web {
            return;
        }
        assert!(Instant::now() < deadline, "web process {web}: {names:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_closed_popover_holds_no_webview_and_comes_back_as_it_was() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.3}"#);
    sim.create("later", r#"{"bootSecs": 0.5}"#);
    let project = sim.root.path().join("pending ü");
    std::fs::create_dir_all(&project).unwrap();
    let grace = std::ffi::OsString::from("1500");
    let app =
        AppSession::launch_with(sim, &[("LIMABAR_WEBVIEW_GRACE_MS", grace.as_os_str())]).await;
    app.wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;
    app.click("nixos", "start").await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    wait_tree(&app, true, Duration::from_secs(5)).await;

    // A change left pending ("Restart to apply" on a running VM), and the log view of
    // `nixos` open.
    app.click("nixos", "add-folder").await;
    choose_in_dialog("Share folders with the VM", &project).await;
    app.element("[data-testid=pending]", Duration::from_secs(5))
        .await;
    app.client
        .find(Locator::Css(r#"li[data-name="nixos"] [data-action=logs]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.element("[data-testid=logs]", Duration::from_secs(5))
        .await;

    // Closed: past the grace the web process is gone; the tray and the monitor go on.
    app.press_escape().await;
    wait_popover_visible(false, Duration::from_secs(5)).await;
    wait_tree(&app, false, Duration::from_secs(10)).await;
    tray(&["click", "Start later"]);
    wait_notification("later is ready", Duration::from_secs(20)).await;

    // Back from the tray menu: the live state, the pending change, the log view.
    tray(&["click", "Open Limabar"]);
    wait_popover_visible(true, Duration::from_secs(5)).await;
    app.follow_the_new_page().await;
    app.wait_state("later", "ready", Duration::from_secs(5))
        .await;
    app.element("[data-testid=pending]", Duration::from_secs(5))
        .await;
    let logs = app
        .element("[data-testid=logs]", Duration::from_secs(5))
        .await;
    assert_eq!(
        logs.attr("aria-label").await.unwrap().as_deref(),
        Some("Logs of nixos")
    );
    wait_tree(&app, true, Duration::from_secs(5)).await;
    app.screenshot("popover-reopened.png").await;
    app.close().await;
}
