//! Memory in the real app: a QEMU VM (limactl-sim's stand-in process holds a known size)
//! whose guest uses little shows both figures; the restart offer appears for the large
//! gap, restarts the VM, and is gone once the new boot holds little again; the header
//! sums what the running VMs hold.

use std::time::Duration;

use limabar_e2e::AppSession;
use limabar_tests::SimLima;

#[tokio::test]
async fn a_vm_holding_much_more_than_it_uses_offers_the_restart_that_returns_it() {
    let sim = SimLima::new("2.2.0");
    let guest = r#""guestMemory": {"totalMiB": 4096, "availableMiB": 3900}"#;
    let dir = sim.create(
        "build",
        &format!(r#"{{"bootSecs": 0.3, "vmRssMiB": 1400, {guest}}}"#),
    );
    let yaml = dir.join("lima.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, text.replace("vmType: vz", "vmType: qemu")).unwrap();
    let app = AppSession::launch(sim).await;
    app.wait_state("build", "stopped", Duration::from_secs(30))
        .await;
    app.click("build", "start").await;
    app.wait_state("build", "ready", Duration::from_secs(30))
        .await;

    let memory = r#"li[data-name="build"] [data-testid=memory]"#;
    let offer = format!("{memory} [data-action=restart-to-return]");
    app.element(&offer, Duration::from_secs(20)).await;
    let m = app.element(memory, Duration::from_secs(5)).await;
    let held: u64 = m.attr("data-held").await.unwrap().unwrap().parse().unwrap();
    assert!(held >= 1400 << 20, "the stand-in's 1400 MiB: {held}");
    assert_eq!(
        m.attr("data-used").await.unwrap().as_deref(),
        Some(&*(196u64 << 20).to_string())
    );
    let text = m.text().await.unwrap();
    assert!(
        text.contains("196 MiB of 4 GiB used in the guest"),
        "{text}"
    );
    // The header sums what the running VMs hold: here the one.
    let total = app
        .element("[data-testid=memory-total]", Duration::from_secs(5))
        .await;
    assert_eq!(
        total.attr("data-bytes").await.unwrap(),
        Some(held.to_string())
    );
    app.screenshot("memory.png").await;

    // The new boot touches little: after the restart there is nothing to return.
    std::fs::write(
        dir.join("sim.json"),
        format!(r#"{{"bootSecs": 0.3, "vmRssMiB": 32, {guest}}}"#),
    )
    .unwrap();
    app.click_css(&offer).await;
    app.wait_state("build", "ready", Duration::from_secs(30))
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let held = app
            .element(memory, Duration::from_secs(20))
            .await
            .attr("data-held")
            .await
            .unwrap()
            .and_then(|h| h.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        if held < 100 << 20 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still holds {held}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.wait_gone(&offer, Duration::from_secs(5)).await;
    app.close().await;
}
