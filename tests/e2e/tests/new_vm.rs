//! "New VM…": the form creates a NixOS VM from Limabar's template through `limactl
//! create` (stages shown while the sim "downloads" and "converts"), boots it and ends
//! in the ready notification.

use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::{wait_notification, AppSession};
use limabar_tests::SimLima;

#[tokio::test]
async fn the_new_vm_form_creates_and_boots_a_nixos_vm_to_ready() {
    let sim = SimLima::new("2.2.0");
    sim.export("LIMACTL_SIM_CREATE_SECS", "2");
    sim.export("LIMACTL_SIM_BOOT_SECS", "1");
    let lima_home = sim.lima_home.clone();
    let app = AppSession::launch(sim).await;
    let new = app
        .element("[data-action=new-vm]", Duration::from_secs(20))
        .await;
    new.click().await.unwrap();
    let name = app
        .element(
            "[data-testid=new-vm] input[name=name]",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(name.prop("value").await.unwrap().as_deref(), Some("nixos"));
    name.clear().await.unwrap();
    name.send_keys("dev").await.unwrap();
    app.screenshot("new-vm-form.png").await;
    app.client
        .find(Locator::Css("[data-testid=new-vm] [data-action=create]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Stages while Lima downloads and converts the image.
    let converting = app
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[(@data-testid='creating' or @data-creating) and contains(., 'image')]",
        ))
        .await
        .expect("a creation stage");
    let text = converting.text().await.unwrap();
    assert!(
        text.contains("downloading the image") || text.contains("converting the image"),
        "{text}"
    );
    app.screenshot("new-vm-creating.png").await;
    app.wait_state("dev", "ready", Duration::from_secs(30))
        .await;
    let n = wait_notification("dev is ready", Duration::from_secs(10)).await;
    assert!(n.starts_with("dev is ready — booted in"), "{n}");
    app.screenshot("new-vm-ready.png").await;
    let yaml = std::fs::read_to_string(lima_home.join("dev/lima.yaml")).unwrap();
    assert!(yaml.contains("nixos-lima-v0.2.1"), "{yaml}");
    assert!(
        yaml.contains("containerd:\n  system: false\n  user: false"),
        "{yaml}"
    );
    let calls = app.sim.calls();
    assert!(calls
        .iter()
        .any(|c| c[0] == "create" && c.contains(&"dev".to_string())));
    app.close().await;
}
