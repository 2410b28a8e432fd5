//! One click on a dev shell: the real app lists the flake found in a mount with the
//! shells a real `nix flake show` reported "in the guest", opens a real xterm running
//! `limactl shell --workdir DIR nixos nix develop .#rust`, and the dev shell's own hook
//! proves it ran interactively in that folder. Then the shell is pre-built and reopens
//! instantly, and a click on a stopped VM starts it first.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use limabar_e2e::{choose_in_dialog, dump_screen, AppSession};
use limabar_tests::{write_executable, FlakeRepo, SimLima};

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

async fn wait_marker(dir: &Path, line: &str, max: Duration) {
    let deadline = Instant::now() + max;
    while !SimLima::markers(dir).iter().any(|l| l == line) {
        if Instant::now() > deadline {
            dump_screen("develop-failure.png");
            panic!("no {line:?} in {:?}", SimLima::markers(dir));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click_shell(app: &AppSession, dir: &str, shell: &str) -> u64 {
    let css = format!(r#"[data-flake="{dir}"] [data-shell="{shell}"]"#);
    let button = app.element(&css, Duration::from_secs(30)).await;
    let t = now_us();
    button.click().await.unwrap();
    t
}

/// The app under test opens dev shells in `terminal` (the app's settings.json).
fn use_terminal(sim: &SimLima, terminal: &str) {
    let config = sim.root.path().join("home/config/limabar");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("settings.json"),
        serde_json::json!({ "terminal": terminal }).to_string(),
    )
    .unwrap();
}

/// Closes the app, then the terminals it opened: they belong to the user, not the app,
/// so they outlive it; the test closes its own (their command lines hold `root`).
async fn close_with_terminals(app: AppSession, root: &Path) {
    app.close().await;
    let _ = std::process::Command::new("pkill")
        .arg("-f")
        .arg(root.to_str().unwrap())
        .status();
}

#[tokio::test]
async fn a_click_opens_xterm_in_the_real_dev_shell_then_prebuilt_and_from_a_stopped_vm() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 1.0, "stopSecs": 0.1}"#);
    let projects = sim.root.path().join("projects");
    let dir = sim.flake_project("projects/web app ü");
    let p = dir.to_str().unwrap().to_string();
    sim.share_and_start(&projects);
    // The chosen terminal: xterm, through a wrapper that notes when it was spawned.
    let stamps = sim.root.path().join("terminal-spawned");
    let term = sim.root.path().join("bin/stamped xterm");
    write_executable(
        &term,
        &format!(
            "#!/bin/sh\necho $(( $(date +%s%N) / 1000 )) >> '{}'\nexec xterm -title limabar-dev-shell \"$@\"\n",
            stamps.display()
        ),
    );
    use_terminal(&sim, term.to_str().unwrap());
    let root = sim.root.path().to_path_buf();
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;

    // Listed with the shells nix reported in the guest (rust appears after evaluation).
    let clicked = click_shell(&app, &p, "rust").await;
    wait_marker(
        &dir,
        &format!("limabar-marker-rust {p} tty"),
        Duration::from_secs(30),
    )
    .await;
    let spawned: u64 = std::fs::read_to_string(&stamps)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let message = app
        .element("[data-testid=devshell-message]", Duration::from_secs(10))
        .await;
    assert_eq!(
        message.text().await.unwrap(),
        "Opened rust in stamped xterm"
    );
    app.screenshot("devshell-opened.png").await;
    dump_screen("devshell-xterm-screen.png");
    eprintln!(
        "BENCH click → terminal spawned: {:.1} ms (WebDriver click and the wrapper's sh included)",
        (spawned.saturating_sub(clicked)) as f64 / 1000.0
    );

    // Used once, so pre-built in the guest; the next click opens the profile.
    let ready = format!(r#"[data-flake="{p}"] [data-shell="rust"][data-prebuilt="ready"]"#);
    app.element(&ready, Duration::from_secs(60)).await;
    app.screenshot("devshell-prebuilt.png").await;
    let shells = app
        .client
        .find_all(Locator::Css(&format!(r#"[data-flake="{p}"] [data-shell]"#)))
        .await
        .unwrap();
    let mut names = Vec::new();
    for s in shells {
        names.push(s.attr("data-shell").await.unwrap().unwrap_or_default());
    }
    assert_eq!(names, ["default", "heavy", "rust"], "the shells nix listed");
    std::fs::remove_file(dir.join(".limabar-marker")).unwrap();
    click_shell(&app, &p, "rust").await;
    wait_marker(
        &dir,
        &format!("limabar-marker-rust {p} tty"),
        Duration::from_secs(30),
    )
    .await;
    app.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@data-testid='devshell-message' and contains(., '(pre-built)')]",
        ))
        .await
        .expect("opened pre-built");

    // A stopped VM is started, then the shell opens.
    assert!(app
        .sim
        .limactl_cmd(&["stop", "--tty=false", "nixos"])
        .status()
        .unwrap()
        .success());
    app.wait_state("nixos", "stopped", Duration::from_secs(20))
        .await;
    let starts_before = app.sim.calls().iter().filter(|c| c[0] == "start").count();
    click_shell(&app, &p, "default").await;
    wait_marker(
        &dir,
        &format!("limabar-marker-default {p} tty"),
        Duration::from_secs(60),
    )
    .await;
    let starts = app.sim.calls().iter().filter(|c| c[0] == "start").count();
    assert_eq!(starts, starts_before + 1, "started before opening");
    app.wait_state("nixos", "ready", Duration::from_secs(10))
        .await;
    close_with_terminals(app, &root).await;
}

/// "Open flake…" on a folder the VM does not share: Limabar offers to mount it, the
/// mount flow restarts the running VM, and the dev shell opens once it is applied.
#[tokio::test]
async fn a_flake_outside_the_mounts_is_offered_a_mount_then_opened() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 1.0, "stopSecs": 0.1}"#);
    let dir = sim.flake_project("elsewhere/other app ü");
    let p = dir.to_str().unwrap().to_string();
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .status()
        .unwrap()
        .success());
    use_terminal(&sim, "xterm");
    let root = sim.root.path().to_path_buf();
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    app.element(
        r#"li[data-name="nixos"] [data-action="open-flake"]"#,
        Duration::from_secs(10),
    )
    .await
    .click()
    .await
    .unwrap();
    choose_in_dialog("Open a flake folder", &dir).await;
    let offer = app
        .element("[data-testid=mount-offer]", Duration::from_secs(10))
        .await;
    assert!(offer
        .text()
        .await
        .unwrap()
        .contains(&format!("{p} is not shared with nixos")));
    app.screenshot("devshell-mount-offer.png").await;
    offer
        .find(Locator::Css("[data-action=mount-and-open]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The mount flow: pending on the running VM until "Restart to apply".
    app.element(
        "[data-testid=pending] [data-action=apply-mounts]",
        Duration::from_secs(10),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_marker(
        &dir,
        &format!("limabar-marker-default {p} tty"),
        Duration::from_secs(60),
    )
    .await;
    let restarts = app.sim.calls().iter().filter(|c| c[0] == "restart").count();
    assert_eq!(restarts, 1);
    close_with_terminals(app, &root).await;
}

/// A project cloned into a shared folder while the VM runs: the watch on the folders
/// discovery read sees it, and its shells are evaluated in the guest without any click.
#[tokio::test]
async fn a_flake_that_appears_while_the_vm_runs_is_listed_with_its_shells() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 1.0, "stopSecs": 0.1}"#);
    let projects = sim.root.path().join("projects");
    std::fs::create_dir_all(&projects).unwrap();
    sim.share_and_start(&projects);
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    // The first listing happened with nothing to list.
    app.element(
        r#"li[data-name="nixos"] [data-action="open-flake"]"#,
        Duration::from_secs(10),
    )
    .await;
    assert!(app.client.find(Locator::Css("[data-flake]")).await.is_err());

    let dir = app.sim.flake_project("projects/cloned app ü");
    let p = dir.to_str().unwrap();
    app.element(
        &format!(r#"[data-flake="{p}"] [data-shell="rust"]"#),
        Duration::from_secs(30),
    )
    .await;
    assert!(
        app.sim
            .calls()
            .iter()
            .any(|c| c[0] == "shell" && c.iter().any(|a| a == "flake") && c.iter().any(|a| a == p)),
        "evaluated in the guest: {:?}",
        app.sim.calls()
    );
    app.close().await;
}

/// The untracked-flake warning goes by itself once the user runs `git add flake.nix`
/// (the repository's `.git` is watched while the warning shows), and the flake's shells
/// appear, evaluated again now that nix can see it.
#[tokio::test]
async fn the_untracked_warning_goes_once_flake_nix_is_added_to_git() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 1.0, "stopSecs": 0.1}"#);
    let repo = FlakeRepo::untracked();
    let dir = repo.path();
    let p = dir.to_str().unwrap();
    sim.share_and_start(dir);
    let app = AppSession::launch(sim).await;
    app.wait_state("nixos", "ready", Duration::from_secs(30))
        .await;
    let warning = app
        .element(
            &format!(r#"[data-flake="{p}"] [data-testid=flake-warning]"#),
            Duration::from_secs(30),
        )
        .await;
    assert!(warning.text().await.unwrap().contains("git add flake.nix"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.screenshot("devshell-untracked.png").await;

    repo.git(&["add", "flake.nix"]);
    app.wait_gone(
        &format!(r#"[data-flake="{p}"] [data-testid=flake-warning]"#),
        Duration::from_secs(30),
    )
    .await;
    app.element(
        &format!(r#"[data-flake="{p}"] [data-shell="rust"]"#),
        Duration::from_secs(30),
    )
    .await;
    app.close().await;
}
