//! The log view follows a growing host-agent log: lines appended to ha.stderr.log show
//! up while it is open, with their level, and the text filter narrows them.

use std::io::Write;
use std::time::Duration;

use fantoccini::Locator;
use limabar_e2e::AppSession;
use limabar_tests::SimLima;

#[tokio::test]
async fn the_log_view_follows_a_growing_log() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.5}"#);
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .status()
        .unwrap()
        .success());
    let ha = sim.lima_home.join("nixos/ha.stderr.log");
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    app.click("nixos", "logs").await;
    let logs = app
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@data-testid='logs' and contains(., 'essential requirement')]",
        ))
        .await
        .expect("the host agent's log");
    let mut f = std::fs::OpenOptions::new().append(true).open(&ha).unwrap();
    for i in 0..3 {
        writeln!(
            f,
            r#"{{"level":"error","msg":"appended by the test {i} ü","time":"2026-11-25T10:00:00Z"}}"#
        )
        .unwrap();
    }
    drop(f);
    app.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@data-testid='logs']//li[contains(@class, 'error') and contains(., 'appended by the test 2 ü')]",
        ))
        .await
        .expect("the appended lines, live");
    let filter = logs
        .find(Locator::Css("[data-testid=log-filter]"))
        .await
        .unwrap();
    filter.send_keys("test 1").await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let count = logs
            .find(Locator::Css("ol"))
            .await
            .unwrap()
            .attr("data-count")
            .await
            .unwrap();
        if count.as_deref() == Some("1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "filtered to {count:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot("logs-filtered.png").await;
    app.close().await;
}
