//! "Add folder…": the native GTK folder chooser, driven like a user with the keyboard
//! (type the path, confirm), ends with the folder mounted on the stopped VM.

use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use limabar_e2e::{visible_windows, wait_for_window, AppSession};
use limabar_tests::SimLima;

fn xdotool(args: &[&str]) {
    assert!(
        Command::new("xdotool")
            .args(args)
            .status()
            .unwrap()
            .success(),
        "xdotool {args:?}"
    );
}

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
    let dialog = wait_for_window("Share folders with the VM", Duration::from_secs(10)).await;

    xdotool(&["windowactivate", "--sync", &dialog]);
    // Type the location (GTK opens its location bar on a typed "/"), then confirm.
    xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
    xdotool(&["type", "--delay", "20", &folder.display().to_string()]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    xdotool(&["key", "Return"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !visible_windows("Share folders with the VM").is_empty() {
        if Instant::now() >= deadline {
            let shot = limabar_e2e::artifacts().join("picker-stuck.png");
            let _ = Command::new("import")
                .args(["-window", "root"])
                .arg(&shot)
                .status();
            panic!(
                "the folder chooser did not close (screen: {})",
                shot.display()
            );
        }
        // In folder mode Return may first enter the folder; a second one selects it.
        xdotool(&["key", "Return"]);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
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
