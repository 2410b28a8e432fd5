//! "Add folder…": the native GTK folder chooser, driven like a user with the keyboard
//! (type the path, confirm), ends with the folder mounted on the stopped VM.

use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::{choose_in_dialog, AppSession};
use limabar_tests::SimLima;

#[tokio::test]
async fn add_folder_uses_the_native_picker_and_mounts_the_choice() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", "{}");
    let folder = sim.root.path().join("picked dir ü");
    std::fs::create_dir_all(&folder).unwrap();
    let lima_yaml = sim.lima_home.join("nixos/lima.yaml");
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "stopped", Duration::from_secs(30))
        .await;

    app.client
        .find(Locator::Css(
            r#"li[data-name="nixos"] button[data-action="add-folder"]"#,
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    choose_in_dialog("Share folders with the VM", &folder).await;
    // A stopped VM is edited at once: the folder shows up as a writable mount.
    let p = folder.to_str().unwrap();
    let css = format!(r#"[data-mount="{p}"]"#);
    app.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&css))
        .await
        .expect("the picked folder is mounted");
    let yaml = std::fs::read_to_string(&lima_yaml).unwrap();
    assert!(yaml.contains(&serde_json::to_string(p).unwrap()), "{yaml}");
    app.close().await;
}
