//! The popover as a window: hides when another window is clicked, stays when pinned,
//! closes on Escape, and comes back from the tray menu (Linux trays give no clicks).

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::Locator;
use limabar_e2e::{activate, tray, visible_windows, wait_popover_visible, AppSession, OtherWindow};
use limabar_tests::SimLima;

#[tokio::test]
async fn popover_hides_on_blur_unless_pinned_closes_on_escape_and_reopens_from_the_tray() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", "{}");
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;
    wait_popover_visible(true, Duration::from_secs(5)).await;
    let popover = visible_windows("Limabar").remove(0);

    // Clicking into another window hides it.
    let other = OtherWindow::open().await;
    activate(&popover);
    activate(&other.id);
    wait_popover_visible(false, Duration::from_secs(5)).await;

    // The tray menu brings it back.
    tray(&["click", "Open Limabar"]);
    wait_popover_visible(true, Duration::from_secs(5)).await;

    // Pinned, it stays when another window takes the focus.
    app.client
        .find(Locator::Css("button.pin"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    activate(&popover);
    activate(&other.id);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !visible_windows("Limabar").is_empty(),
        "a pinned popover stays open"
    );

    // Escape closes it, pinned or not.
    activate(&popover);
    app.client
        .find(Locator::Css("button.pin"))
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    wait_popover_visible(false, Duration::from_secs(5)).await;
    app.close().await;
}
