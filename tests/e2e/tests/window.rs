//! The popover as a window: hides when another window is clicked, stays when pinned,
//! closes on Escape, and comes back from the tray menu (Linux trays give no clicks).

use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::{
    activate, other_window, tray, visible_windows, wait_popover_visible, AppSession,
};
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
    let other = other_window().await;
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
    app.press_escape().await;
    wait_popover_visible(false, Duration::from_secs(5)).await;
    app.close().await;
}

#[tokio::test]
async fn a_drag_that_starts_elsewhere_reaches_the_popover_before_it_hides() {
    use limabar_e2e::{window_geometry, DragSource};
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", "{}");
    let folder = sim.root.path().join("slow drag ü");
    std::fs::create_dir_all(&folder).unwrap();
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;
    // The "Finder" window exists first; then the user opens the popover.
    let source = DragSource::open(&[&folder], &folder.with_file_name("drag-source.log")).await;
    tray(&["click", "Open Limabar"]);
    wait_popover_visible(true, Duration::from_secs(5)).await;
    let popover = visible_windows("Limabar").remove(0);
    activate(&popover);
    let (wx, wy) = window_geometry(&popover);
    let row = app.client.find(AppSession::row("nixos")).await.unwrap();
    let (rx, ry, rw, rh) = row.rectangle().await.unwrap();
    // Pressing in the source blurs the popover; the drag takes over a second to arrive.
    source
        .drag_to(wx + (rx + rw / 2.0) as i64, wy + (ry + rh / 2.0) as i64)
        .await;
    assert!(
        !visible_windows("Limabar").is_empty(),
        "the popover hid while the drag was on its way"
    );
    source.release();
    let css = format!(r#"[data-mount="{}"]"#, folder.display());
    app.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&css))
        .await
        .expect("the dropped folder is mounted");
    app.close().await;
}
