//! A real drag and drop: a GTK drag source offers a folder (a space and a non-ASCII
//! character in its name) as text/uri-list, xdotool drags it onto the running VM's row,
//! the popover plans it, "Restart to apply" restarts the VM through Lima's own edit, and
//! the mount ends up in lima.yaml, in the UI, and verified inside the guest.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::{
    dump_screen, tray, visible_windows, wait_popover_visible, window_geometry, AppSession,
    DragSource,
};
use limabar_tests::SimLima;

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

/// A running `nixos` in a new sim, the app showing it ready, and the folder to drop.
async fn launch_running_vm() -> (AppSession, PathBuf, PathBuf) {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 1.0, "stopSecs": 0.1}"#);
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .status()
        .unwrap()
        .success());
    let folder = sim.root.path().join("drop dir/projekt ü");
    std::fs::create_dir_all(&folder).unwrap();
    let lima_yaml = sim.lima_home.join("nixos/lima.yaml");
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    wait_popover_visible(true, Duration::from_secs(5)).await;
    (app, folder, lima_yaml)
}

/// Drags `folder` onto the nixos row until the drop highlight shows (then the button is
/// released over it) or `attempts` drags have failed. GTK sometimes completes a
/// synthetic (xdotool) drag before the button is released: such an early drop is
/// discarded in the UI before the next attempt. Returns the source that succeeded: it
/// must live on, since the drop's data is asked from it after the release.
async fn drag_until_highlighted(
    app: &AppSession,
    folder: &Path,
    attempts: u32,
) -> Option<DragSource> {
    // Where the nixos row is on screen: the popover's position plus the row's rect.
    let popover = visible_windows("Limabar").remove(0);
    let (wx, wy) = window_geometry(&popover);
    let row = app.client.find(AppSession::row("nixos")).await.unwrap();
    let (rx, ry, rw, rh) = row.rectangle().await.unwrap();
    let (tx, ty) = (wx + (rx + rw / 2.0) as i64, wy + (ry + rh / 2.0) as i64);
    let log = app.sim.root.path().join("drag-source.log");
    for attempt in 1..=attempts {
        if visible_windows("Limabar").is_empty() {
            eprintln!("drag attempt {attempt}: the popover is hidden; reopening it");
            tray(&["click", "Open Limabar"]);
            wait_popover_visible(true, Duration::from_secs(5)).await;
        }
        let source = DragSource::open(&[folder], &log).await;
        source.drag_to(tx, ty).await;
        let hint = app
            .client
            .wait()
            .at_most(Duration::from_secs(3))
            .for_element(Locator::Css("[data-testid=drop-hint]"))
            .await;
        if let Ok(hint) = hint {
            assert_eq!(
                hint.text().await.unwrap(),
                "Drop to share this folder with nixos"
            );
            app.screenshot("mount-drop-highlight.png").await;
            source.release();
            return Some(source);
        }
        source.release();
        eprintln!(
            "drag attempt {attempt} failed: {}",
            source.events().replace('\n', " ")
        );
        drop(source);
        if let Ok(discard) = app
            .client
            .wait()
            .at_most(Duration::from_secs(3))
            .for_element(Locator::Css("[data-testid=pending] button.link"))
            .await
        {
            discard.click().await.unwrap();
        }
    }
    dump_screen("drop-failure.png");
    None
}

#[tokio::test]
async fn dropping_a_folder_on_a_running_vm_mounts_it_writable_and_verified() {
    // Under Xvfb an app launch now and then never becomes an XDND target (GTK's drags
    // end with "no target" for every source process, while XdndAware is set): seen in
    // about one launch in five here, never for a launch that accepted one drag. Such a
    // launch is replaced by a new one, three launches at most.
    let mut ready = None;
    for launch in 1..=3 {
        let (app, folder, lima_yaml) = launch_running_vm().await;
        if let Some(source) = drag_until_highlighted(&app, &folder, 2).await {
            ready = Some((app, folder, lima_yaml, source));
            break;
        }
        eprintln!("launch {launch}: no drag reached the app; launching it again");
        app.close().await;
    }
    let (app, folder, lima_yaml, _source) =
        ready.expect("the drop highlight never showed in three launches");

    let p = folder.to_str().unwrap();
    let pending = app
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=pending]"))
        .await
        .expect("pending change");
    // The exact command, for the user's own terminal.
    pending
        .find(Locator::Css("[data-action=mount-commands]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let line = app
        .client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("input.cmd"))
        .await
        .unwrap();
    let line = line.prop("value").await.unwrap().unwrap_or_default();
    assert!(line.contains(" restart --tty=false nixos --set "), "{line}");
    assert!(line.contains("projekt ü"), "{line}");
    let apply = pending
        .find(Locator::Css("[data-action=apply-mounts]"))
        .await
        .unwrap();
    assert!(apply.text().await.unwrap().starts_with("Restart to apply"));
    let mount_css = format!(r#"[data-mount="{p}"]"#);
    let m = app
        .client
        .find(Locator::Css(&mount_css))
        .await
        .expect("the dropped folder is listed");
    assert_eq!(
        m.attr("data-pending").await.unwrap().as_deref(),
        Some("true")
    );
    app.screenshot("mount-pending.png").await;

    let clicked_us = now_us();
    apply.click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot("mount-applying.png").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let verified_us = loop {
        let check = match app.client.find(Locator::Css(&mount_css)).await {
            Ok(el) => el.attr("data-check").await.unwrap().unwrap_or_default(),
            Err(_) => String::new(),
        };
        if check == "verified" {
            break now_us();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never verified (last check: {check:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The operation is over: the row offers Stop and Restart again.
    app.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(
            r#"li[data-name="nixos"] button[data-action="stop"]"#,
        ))
        .await
        .expect("operation ended");
    app.screenshot("mount-verified.png").await;
    // Measured, not asserted: the app's own time from the click to its first limactl
    // call, and to the mount verified in the guest (BENCHMARKS.md).
    let first_call = app
        .sim
        .timed_calls()
        .into_iter()
        .find(|(us, _)| *us >= clicked_us)
        .expect("a limactl call after the click");
    eprintln!(
        "BENCH click → first limactl call ({}): {:.1} ms (WebDriver click included); click → verified: {:.2} s",
        first_call.1[0],
        (first_call.0 - clicked_us) as f64 / 1000.0,
        (verified_us - clicked_us) as f64 / 1e6
    );
    // One restart, through Lima's own edit (2.2: `restart --set`).
    let restarts: Vec<Vec<String>> = app
        .sim
        .calls()
        .into_iter()
        .filter(|c| c[0] == "restart")
        .collect();
    assert_eq!(restarts.len(), 1, "{restarts:?}");
    assert!(
        restarts[0].iter().any(|a| a.starts_with(".mounts += ")),
        "{:?}",
        restarts[0]
    );
    let yaml = std::fs::read_to_string(&lima_yaml).unwrap();
    assert!(
        yaml.contains(&format!(
            "mountPoint: {}",
            serde_json::to_string(p).unwrap()
        )),
        "{yaml}"
    );
    app.close().await;
}
