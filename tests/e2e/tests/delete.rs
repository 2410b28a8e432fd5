//! Deleting a stopped VM from the popover, after confirming: Lima deletes it and its
//! row goes away.

use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::AppSession;
use limabar_tests::SimLima;

#[tokio::test]
async fn a_stopped_vm_is_deleted_after_confirmation() {
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("old", "{}");
    sim.create("keep", "{}");
    let app = AppSession::launch(sim).await;
    app.wait_state("old", "stopped", Duration::from_secs(30))
        .await;
    app.click("old", "delete").await;
    let confirm = app
        .element("[data-testid=confirm-delete]", Duration::from_secs(5))
        .await;
    // Let the webview paint the new box before the picture.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.screenshot("delete-confirm.png").await;
    assert!(dir.exists(), "nothing happens before the confirmation");
    confirm
        .find(Locator::Css("[data-action=confirm-delete]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.wait_gone(r#"li[data-name="old"]"#, Duration::from_secs(10))
        .await;
    assert!(!dir.exists());
    // The operation lock of a deleted VM goes with it (XDG_DATA_HOME is the test's).
    let locks = app.sim.root.path().join("home/data/limabar/locks");
    let left: Vec<String> = std::fs::read_dir(&locks)
        .expect("the delete took its lock")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!left.iter().any(|f| f.starts_with("old.")), "{left:?}");
    assert!(app.client.find(AppSession::row("keep")).await.is_ok());
    assert!(app
        .sim
        .calls()
        .iter()
        .any(|c| c[0] == "delete" && c.ends_with(&["old".to_string()])));
    app.close().await;
}
