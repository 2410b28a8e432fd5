//! The app's session in the background: flakes are refreshed when an instance's mounts
//! change, not on every change of its listing (each refresh walks the mounts and may
//! evaluate in the guest).

use std::time::Duration;

use limabar_core::actions::{Push, Session};
use limabar_core::Change;
use limabar_tests::{within, SimLima};

#[tokio::test]
async fn a_listing_change_that_keeps_the_mounts_refreshes_no_flakes() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", "{}");
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    let mut pushes = session.subscribe();
    let mut changes = session.monitor().subscribe();
    // The refresh `open` made for the instance.
    within(Duration::from_secs(10), "the first flakes", async {
        while !matches!(pushes.recv().await.unwrap(), Push::Flakes(f) if f.name == "nixos") {}
    })
    .await;

    // Another listing of the same mounts: fewer CPUs, written to lima.yaml as an editor
    // would (limactl-sim's edit knows only the expressions Limabar makes).
    let yaml = sim.lima_home.join("nixos/lima.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert!(text.contains("cpus: 4"), "{text}");
    std::fs::write(&yaml, text.replace("cpus: 4", "cpus: 2")).unwrap();
    within(Duration::from_secs(10), "the new listing", async {
        loop {
            if let Change::Upserted { instance } = changes.recv().await.unwrap() {
                if instance.instance.cpus == Some(2) {
                    return;
                }
            }
        }
    })
    .await;
    // What a refresh would push comes within milliseconds; give it ample time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut refreshed = 0;
    while let Ok(p) = pushes.try_recv() {
        refreshed += matches!(p, Push::Flakes(_)) as usize;
    }
    assert_eq!(refreshed, 0, "the mounts did not change");
}
