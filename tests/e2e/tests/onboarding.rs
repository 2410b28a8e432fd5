//! Without a usable limactl the popover shows how to install Lima; once it is installed,
//! "Check again" connects without relaunching the app.

use std::time::Duration;

use limabar_e2e::AppSession;
use limabar_tests::SimLima;

#[tokio::test]
async fn check_again_connects_once_lima_is_installed() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", "{}");
    // "Not installed yet": the app is pointed at a limactl that is not there (an explicit
    // LIMACTL never falls back to the simulator).
    let installed = sim.limactl.with_extension("installed");
    std::fs::rename(&sim.limactl, &installed).unwrap();
    let app = AppSession::launch(sim).await;
    let onboarding = app
        .element("[data-testid=onboarding]", Duration::from_secs(20))
        .await;
    let text = onboarding.text().await.unwrap();
    // WebKitGTK's user agent says Linux: both ways to get Lima, and QEMU.
    assert!(
        text.contains("brew install lima") && text.contains("nix profile install nixpkgs#lima"),
        "{text}"
    );
    assert!(text.contains("sudo apt install qemu-system"), "{text}");

    let check_again = || async {
        app.element("[data-action=check-again]", Duration::from_secs(5))
            .await
            .click()
            .await
            .unwrap();
    };
    check_again().await;
    let still = app
        .element("[data-testid=recheck-result]", Duration::from_secs(10))
        .await;
    assert!(still.text().await.unwrap().contains("still not usable"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.screenshot("onboarding.png").await;

    std::fs::rename(&installed, &app.sim.limactl).unwrap();
    check_again().await;
    app.wait_state("nixos", "stopped", Duration::from_secs(20))
        .await;
    app.wait_gone("[data-testid=onboarding]", Duration::from_secs(5))
        .await;
    app.close().await;
}
