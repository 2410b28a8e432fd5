//! The doctor in the popover: an instance made elsewhere with plain mode on shows the
//! finding with why and a fix; one click on a stopped VM fixes it through Lima's edit.

use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::AppSession;
use limabar_tests::SimLima;

#[tokio::test]
async fn a_finding_is_explained_and_fixed_with_one_click() {
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("plain", "{}");
    let yaml = dir.join("lima.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, format!("# made elsewhere\nplain: true\n{text}")).unwrap();
    let app = AppSession::launch(sim).await;
    app.wait_state("plain", "stopped", Duration::from_secs(30))
        .await;
    let finding = app
        .element(
            r#"li[data-name="plain"] [data-finding="plain-mode"]"#,
            Duration::from_secs(10),
        )
        .await;
    assert!(finding
        .text()
        .await
        .unwrap()
        .contains("Plain mode is on (`plain: true`)."));
    app.screenshot("doctor-finding.png").await;
    finding
        .find(Locator::Css("[data-action=fix]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.wait_gone(
        r#"li[data-name="plain"] [data-finding="plain-mode"]"#,
        Duration::from_secs(10),
    )
    .await;
    let edited = std::fs::read_to_string(&yaml).unwrap();
    assert!(
        edited.starts_with("# made elsewhere\nplain: false\n"),
        "{edited}"
    );
    assert!(app
        .sim
        .calls()
        .iter()
        .any(|c| c[0] == "edit" && c.contains(&".plain = false".to_string())));
    app.close().await;
}
