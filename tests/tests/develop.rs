//! Dev shells against limactl-sim and a real nix (Debian's nix-bin, offline): flakes
//! found in mounts, shell lists evaluated "in the guest", `limabar develop` and its
//! dry run, and pre-built environments.

use std::path::Path;
use std::process::Command;

use limabar_core::features::develop::catalog::PrebuiltState;
use limabar_core::features::develop::{discover, DevShells, GitTracking};
use limabar_core::lima::inventory::Instance;
use limabar_core::live::snapshot::list_views;
use limabar_tests::{assert_succeeded, FlakeRepo, SimLima};
use serde_json::Value;

/// A running `nixos` whose mount is `root/projects`, holding the test flake in
/// `projects/<project>`.
fn running_vm_with_flake(project: &str) -> (SimLima, std::path::PathBuf) {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.3, "stopSecs": 0.1}"#);
    let projects = sim.root.path().join("projects");
    let dir = sim.flake_project(&format!("projects/{project}"));
    let out = sim.limabar(&["mount", "add", "nixos", projects.to_str().unwrap()]);
    assert_succeeded(&out);
    assert_succeeded(&sim.limabar(&["start", "nixos"]));
    (sim, dir)
}

/// The core's dev-shell service against `sim`, and the instance `nixos` as listed.
async fn dev_shells_of(sim: &SimLima) -> (DevShells, Instance) {
    let limactl = sim.connect().await;
    let dev = DevShells::new(
        limactl.runner.clone(),
        limactl.features,
        &sim.host_env().data_dir,
    );
    let (views, _) = list_views(&limactl).await.unwrap();
    let inst = views
        .into_iter()
        .find(|v| v.instance.name == "nixos")
        .unwrap()
        .instance;
    (dev, inst)
}

fn json(out: &std::process::Output) -> Value {
    assert_succeeded(out);
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn flakes_lists_each_mounted_flake_with_the_shells_nix_reports_in_the_guest() {
    let (sim, dir) = running_vm_with_flake("web app ü");
    // A second flake, in a git repository where flake.nix is not added yet.
    let repo = sim.flake_project("projects/repo");
    assert!(Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["init", "-q"])
        .status()
        .unwrap()
        .success());
    let v = json(&sim.limabar(&["flakes", "nixos", "--json"]));
    let flakes = v.as_array().unwrap();
    assert_eq!(flakes.len(), 2, "{v:#}");
    let repo_view = &flakes[0];
    assert_eq!(repo_view["dir"], repo.to_str().unwrap());
    assert_eq!(repo_view["git"], "untracked");
    assert!(repo_view["warning"]
        .as_str()
        .unwrap()
        .contains("git add flake.nix"));
    // nix cannot see an untracked flake.nix: its evaluation error is shown.
    assert!(repo_view["error"].as_str().is_some(), "{repo_view:#}");
    let app = &flakes[1];
    assert_eq!(app["dir"], dir.to_str().unwrap());
    assert_eq!(app["evaluated"], true);
    assert_eq!(app["git"], "notInRepo");
    let names: Vec<&str> = app["shells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "heavy", "rust"]);
    // Evaluated through `limactl shell --workdir DIR nixos nix flake show --json`.
    assert!(sim.calls().iter().any(|c| c[0] == "shell"
        && c.contains(&dir.to_string_lossy().into_owned())
        && c.ends_with(&["nix".into(), "flake".into(), "show".into(), "--json".into()])));
}

#[test]
fn develop_dry_run_prints_the_terminal_argv_and_a_command_that_runs_unchanged() {
    let (sim, dir) = running_vm_with_flake("proj $(touch pwned) 'q' `x` ü");
    let p = dir.to_str().unwrap();
    let v = json(&sim.limabar(&[
        "develop",
        "nixos",
        p,
        "--shell",
        "rust",
        "--terminal",
        "xterm",
        "--dry-run",
        "--json",
    ]));
    assert_eq!(v["terminal"], "xterm");
    let argv: Vec<String> = serde_json::from_value(v["argv"].clone()).unwrap();
    let command: Vec<String> = serde_json::from_value(v["command"].clone()).unwrap();
    assert_eq!(argv[0], "xterm");
    assert_eq!(
        &command[1..],
        ["shell", "--workdir", p, "nixos", "nix", "develop", ".#rust"]
    );
    assert_eq!(command[0], sim.limactl.to_str().unwrap());
    assert!(argv.ends_with(&command), "{argv:?}");
    // The command, run as the terminal would, enters the real dev shell in that folder.
    SimLima::run_on_pty(&command);
    assert_eq!(
        SimLima::markers(&dir),
        [format!("limabar-marker-rust {p} tty")]
    );
    assert!(!dir.join("pwned").exists() && !Path::new("pwned").exists());
}

#[test]
fn develop_refuses_a_folder_outside_every_mount_and_says_how_to_mount_it() {
    let (sim, _) = running_vm_with_flake("p");
    // Outside the test's home too (the template mounts `~` read-only).
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = outside.path();
    let out = sim.limabar(&[
        "develop",
        "nixos",
        elsewhere.to_str().unwrap(),
        "--terminal",
        "xterm",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "not-mounted");
    assert!(err["hint"]
        .as_str()
        .unwrap()
        .contains("limabar mount add nixos"));
}

#[test]
fn develop_starts_a_stopped_vm_then_opens_the_shell_in_the_chosen_terminal() {
    let (sim, dir) = running_vm_with_flake("p q");
    assert_succeeded(&sim.limabar(&["stop", "nixos"]));
    let term = SimLima::pty_terminal();
    let term = term.to_str().unwrap();
    let out = sim.limabar(&[
        "develop",
        "nixos",
        dir.to_str().unwrap(),
        "--terminal",
        term,
    ]);
    assert_succeeded(&out);
    let starts = sim.calls().iter().filter(|c| c[0] == "start").count();
    assert_eq!(starts, 2, "started again before opening");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while SimLima::markers(&dir).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the dev shell never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        SimLima::markers(&dir),
        [format!("limabar-marker-default {} tty", dir.display())]
    );
}

#[tokio::test]
async fn a_recently_used_shell_is_prebuilt_then_opens_its_profile_and_goes_stale_on_edit() {
    let (sim, dir) = running_vm_with_flake("pre built");
    let (dev, inst) = dev_shells_of(&sim).await;
    let p = dir.to_str().unwrap();
    assert!(!dev.command("nixos", p, p, "rust").prebuilt);
    dev.record_use("nixos", p, "rust");
    dev.refresh(&inst, &discover(&inst.mounts).flakes, &|| {})
        .await;
    let (flakes, _) = dev.views(&inst);
    assert_eq!(flakes[0].git, GitTracking::NotInRepo);
    let rust = flakes[0].shells.iter().find(|s| s.name == "rust").unwrap();
    assert_eq!(rust.prebuilt, PrebuiltState::Ready);
    // The profile is in the guest's home, and opening it needs no evaluation.
    let cmd = dev.command("nixos", p, p, "rust");
    assert!(cmd.prebuilt);
    let profiles = sim
        .lima_home
        .join("nixos/guest-home/.cache/limabar/devshells");
    assert_eq!(
        std::fs::read_dir(&profiles).unwrap().count(),
        2,
        "profile + its generation"
    );
    std::fs::remove_file(dir.join(".limabar-marker")).unwrap();
    SimLima::run_on_pty(&cmd.argv);
    assert_eq!(
        SimLima::markers(&dir),
        [format!("limabar-marker-rust {p} tty")]
    );
    // Editing flake.nix makes it stale until rebuilt.
    let text = std::fs::read_to_string(dir.join("flake.nix")).unwrap();
    std::fs::write(dir.join("flake.nix"), format!("{text}\n# edited\n")).unwrap();
    let (flakes, _) = dev.views(&inst);
    let rust = flakes[0].shells.iter().find(|s| s.name == "rust").unwrap();
    assert_eq!(rust.prebuilt, PrebuiltState::Stale);
    assert!(!dev.command("nixos", p, p, "rust").prebuilt);
    // Rebuilt from the edited flake; the old profile is deleted in the guest, not left
    // behind as a GC root of an environment nothing opens any more.
    let names = |dir: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = names(&profiles);
    dev.refresh(&inst, &discover(&inst.mounts).flakes, &|| {})
        .await; // rebuilds
    dev.refresh(&inst, &discover(&inst.mounts).flakes, &|| {})
        .await; // deletes what the rebuild replaced
    let after = names(&profiles);
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(
        before.iter().all(|b| !after.contains(b)),
        "{before:?} {after:?}"
    );
    assert!(dev.command("nixos", p, p, "rust").prebuilt);
    // Five other shells used since: rust is no longer kept pre-built, and its profile
    // goes at the next refresh.
    for i in 0..5 {
        dev.record_use("nixos", &format!("/elsewhere/{i}"), "default");
    }
    dev.refresh(&inst, &discover(&inst.mounts).flakes, &|| {})
        .await;
    assert_eq!(names(&profiles), Vec::<String>::new());
    assert!(!dev.command("nixos", p, p, "rust").prebuilt);
}

/// `git add flake.nix` after the untracked-flake warning: the next refresh evaluates
/// the flake again (its files did not change, but now nix can see it), and discovery
/// asks for the repository's `.git` to be watched while the flake is untracked.
#[tokio::test]
async fn an_untracked_flake_is_evaluated_again_once_added_to_git() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.3, "stopSecs": 0.1}"#);
    let repo = FlakeRepo::untracked();
    let dir = repo.path().to_path_buf();
    assert_succeeded(&sim.limabar(&["mount", "add", "nixos", dir.to_str().unwrap()]));
    assert_succeeded(&sim.limabar(&["start", "nixos"]));
    let (dev, inst) = dev_shells_of(&sim).await;

    dev.refresh(&inst, &discover(&inst.mounts).flakes, &|| {})
        .await;
    let (flakes, found) = dev.views(&inst);
    assert_eq!(flakes[0].git, GitTracking::Untracked);
    assert!(flakes[0]
        .warning
        .as_deref()
        .unwrap()
        .contains("git add flake.nix"));
    assert!(
        found.visited.contains(&dir.join(".git")),
        "{:?}",
        found.visited
    );
    let names = |f: &limabar_core::features::develop::catalog::FlakeView| {
        f.shells.iter().map(|s| s.name.clone()).collect::<Vec<_>>()
    };
    // nix cannot see an untracked flake.nix: no shell list from the guest.
    assert_eq!(names(&flakes[0]), ["default"], "{:?}", flakes[0]);

    repo.git(&["add", "flake.nix"]);
    let evaluations = |sim: &SimLima| {
        sim.calls()
            .iter()
            .filter(|c| c.contains(&"flake".to_string()) && c.contains(&"show".to_string()))
            .count()
    };
    let before = evaluations(&sim);
    dev.refresh(&inst, &discover(&inst.mounts).flakes, &|| {})
        .await;
    assert_eq!(evaluations(&sim), before + 1, "evaluated again");
    let (flakes, found) = dev.views(&inst);
    assert_eq!(flakes[0].git, GitTracking::Tracked);
    assert_eq!(flakes[0].warning, None);
    assert_eq!(
        names(&flakes[0]),
        ["default", "heavy", "rust"],
        "{:?}",
        flakes[0]
    );
    assert!(!found.visited.contains(&dir.join(".git")));
}
