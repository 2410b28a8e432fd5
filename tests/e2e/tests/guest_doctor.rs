//! The doctor inside a NixOS guest, in the real app: a running nixos-lima guest as it
//! ships (limactl-sim's NixOS guest without nix-ld or direnv) shows its findings with the
//! NixOS snippet; "Open in VS Code" opens the editor and says its server will not start
//! there, with the fix; after a "rebuild" with both modules, "Check again" clears them.

use std::time::Duration;

use limabar_e2e::AppSession;
use limabar_tests::{write_executable, SimLima};

#[tokio::test]
async fn a_guest_without_nix_ld_shows_why_editors_fail_and_check_again_clears_it() {
    let sim = SimLima::new("2.2.0");
    let vm = sim.create("nixos", r#"{"bootSecs": 0.5, "nixos": {}}"#);
    let projects = sim.root.path().join("projects");
    let dir = sim.flake_project("projects/web app");
    sim.share_and_start(&projects);
    let root = sim.root.path().to_path_buf();
    // A VS Code stand-in, so "Open in VS Code" is offered and runs.
    let ran = root.join("code.ran");
    std::fs::create_dir_all(root.join("editors")).unwrap();
    write_executable(
        &root.join("editors/code"),
        &format!("#!/bin/sh\ntouch '{}'\n", ran.display()),
    );
    let path = format!(
        "{}:{}",
        root.join("editors").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let app = AppSession::launch_with(sim, &[("PATH", path.as_ref())]).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;

    // The guest was looked at once the app saw it ready.
    let nix_ld = r#"li[data-name="nixos"] [data-testid=findings] [data-finding="guest-nix-ld"]"#;
    app.element(nix_ld, Duration::from_secs(20)).await;
    app.element(
        r#"li[data-name="nixos"] [data-testid=findings] [data-finding="guest-direnv"]"#,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        app.text_content(&format!("{nix_ld} [data-testid=guest-snippet]"))
            .await,
        "programs.nix-ld.enable = true;"
    );

    // Opening the editor says why its server will not start, with the fix.
    let css = format!(
        r#"[data-flake="{}"] [data-action=open-editor]"#,
        dir.display()
    );
    app.click_css(&css).await;
    let fix = app
        .element("[data-testid=guest-fix]", Duration::from_secs(20))
        .await;
    let text = fix.text().await.unwrap();
    assert!(
        text.contains("VS Code's server will not start in nixos: nix-ld is not enabled there."),
        "{text}"
    );
    assert!(text.contains("programs.nix-ld.enable = true;"), "{text}");
    assert!(ran.exists(), "the editor was still opened");
    app.screenshot("guest-doctor.png").await;

    // The user rebuilds the guest with nix-ld and direnv, then checks again.
    std::fs::write(
        vm.join("sim.json"),
        r#"{"bootSecs": 0.5, "nixos": {"nixLd": true, "direnv": true}}"#,
    )
    .unwrap();
    app.click_css(r#"li[data-name="nixos"] [data-action=check-guest]"#)
        .await;
    app.wait_gone(nix_ld, Duration::from_secs(20)).await;
    app.wait_gone(
        r#"li[data-name="nixos"] [data-testid=findings] [data-finding="guest-direnv"]"#,
        Duration::from_secs(5),
    )
    .await;
    app.close().await;
}
