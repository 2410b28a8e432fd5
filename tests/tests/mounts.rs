//! Mount changes through Lima's own edit (`limactl edit|restart --set`) against
//! limactl-sim: comments survive, running instances restart, rejected edits change
//! nothing, and the mount is really usable by `limactl shell` afterwards.

use std::path::PathBuf;

use limabar_core::features::mounts::apply::{apply, invocations};
use limabar_core::features::mounts::source::Sources;
use limabar_core::features::mounts::Plan;
use limabar_core::lima::inventory::Mount;
use limabar_tests::{assert_succeeded, SimLima};
use serde_json::Value;

const TEMPLATE: &str = include_str!("../fixtures/nixos-lima.yaml");

/// An instance made from nixos-lima's template, and a project folder with awkward name.
fn setup(version: &str) -> (SimLima, PathBuf) {
    let sim = SimLima::new(version);
    let file = sim.root.path().join("nixos.yaml");
    std::fs::write(&file, TEMPLATE).unwrap();
    assert!(sim
        .limactl_cmd(&["create", "--tty=false", "--name", "nixos"])
        .arg(&file)
        .status()
        .unwrap()
        .success());
    std::fs::write(
        sim.lima_home.join("nixos/sim.json"),
        r#"{"bootSecs": 0.5, "stopSecs": 0.0}"#,
    )
    .unwrap();
    // Hostile to shells, not to Lima: quotes, `$()`, backquotes, non-ASCII (spaces get
    // their own tests: nixos-lima needs Limabar's fstab script for them).
    let project = sim.root.path().join("src/app'ü'$(x)`id`\"q\"-1");
    std::fs::create_dir_all(&project).unwrap();
    (sim, project)
}

fn lima_yaml(sim: &SimLima) -> String {
    std::fs::read_to_string(sim.lima_home.join("nixos/lima.yaml")).unwrap()
}

#[test]
fn adding_to_a_stopped_instance_keeps_the_templates_comments() {
    let (sim, project) = setup("2.2.0");
    let before = lima_yaml(&sim);
    let p = project.to_str().unwrap();
    let out = sim.limabar(&["mount", "add", "nixos", p]);
    assert_succeeded(&out);
    let after = lima_yaml(&sim);
    assert!(
        after.contains("# Try choosing \"mmap\" or \"none\" if you see a stability issue"),
        "comment lost:\n{after}"
    );
    // The new entry's three lines were added, and (the test's folders are under a path
    // with a space) Limabar's fstab script once; every original line is kept, in order.
    let fix = limabar_core::features::mounts::guest_fstab::SCRIPT;
    assert_eq!(
        after
            .matches(limabar_core::features::mounts::guest_fstab::MARKER)
            .count(),
        1
    );
    assert_eq!(
        after.lines().count(),
        before.lines().count()
            + 3
            + "provision:\n- mode: system\n  script: |\n".lines().count()
            + fix.lines().count(),
        "{after}"
    );
    let mut rest = after.lines();
    for line in before.lines() {
        assert!(
            rest.any(|l| l == line),
            "line {line:?} lost or moved:\n{after}"
        );
    }
    let listed: Value =
        serde_json::from_slice(&sim.limabar(&["mount", "ls", "nixos", "--json"]).stdout).unwrap();
    let last = listed.as_array().unwrap().last().unwrap();
    assert_eq!(
        (
            last["location"].as_str(),
            last["mountPoint"].as_str(),
            last["writable"].as_bool()
        ),
        (Some(p), Some(p), Some(true))
    );
    // One edit, through Lima.
    let edits: Vec<Vec<String>> = sim.calls().into_iter().filter(|c| c[0] == "edit").collect();
    assert_eq!(edits.len(), 1);
    // Toggle and remove; removing restores the file exactly.
    assert!(sim
        .limabar(&["mount", "add", "nixos", p, "--read-only"])
        .status
        .success());
    assert!(
        lima_yaml(&sim).contains("writable: false\n")
            && lima_yaml(&sim).matches("writable: true").count() == 1
    );
    assert_succeeded(&sim.limabar(&["mount", "rm", "nixos", p]));
    // Removing restores the file exactly, but for the script (harmless without spaces).
    let entry = format!(
        "- location: {q}\n  mountPoint: {q}\n  writable: true\n",
        q = serde_json::to_string(p).unwrap()
    );
    assert!(after.contains(&entry), "{after}");
    assert_eq!(lima_yaml(&sim), after.replace(&entry, ""));
}

#[test]
fn adding_to_a_running_instance_restarts_it_and_the_guest_can_use_the_folder() {
    for (version, expected_calls) in [
        ("2.2.0", vec!["restart"]),
        ("2.1.4", vec!["stop", "edit", "start"]),
    ] {
        let (sim, project) = setup(version);
        assert!(sim
            .limactl_cmd(&["start", "--tty=false", "nixos"])
            .status()
            .unwrap()
            .success());
        let p = project.to_str().unwrap();
        let shell = |sim: &SimLima| {
            sim.limactl_cmd(&["shell", "--workdir", p, "nixos", "pwd"])
                .output()
                .unwrap()
        };
        let before = shell(&sim);
        assert_eq!(
            before.status.code(),
            Some(1),
            "not mounted yet: the guest cannot cd there"
        );
        let first_call = sim.calls().len();
        let out = sim.limabar(&["mount", "add", "nixos", p]);
        assert_succeeded(&out);
        let verbs: Vec<String> = sim.calls()[first_call..]
            .iter()
            .map(|c| c[0].clone())
            .filter(|v| ["restart", "stop", "edit", "start"].contains(&v.as_str()))
            .collect();
        assert_eq!(verbs, expected_calls, "Lima {version}");
        let after = shell(&sim);
        assert_succeeded(&after);
        assert_eq!(String::from_utf8_lossy(&after.stdout).trim(), p);
    }
}

#[tokio::test]
async fn an_edit_lima_rejects_changes_nothing_and_says_why() {
    let (sim, _) = setup("2.2.0");
    let before = lima_yaml(&sim);
    let limactl = sim.connect().await;
    let bad = Plan {
        added: vec![Mount {
            location: "relative/dir".into(),
            mount_point: "relative/dir".into(),
            writable: true,
        }],
        ..Plan::default()
    };
    let calls = invocations(&limactl, "nixos", &bad, false);
    let err = apply(&limactl, &calls).await.unwrap_err();
    assert!(
        err.to_string().contains("must be an absolute path"),
        "{err}"
    );
    assert_eq!(lima_yaml(&sim), before, "lima.yaml untouched");
    // Lima saves the rejected buffer in its cwd: Limabar's own directory, not the user's.
    assert!(limactl.runner.workdir.join("lima.REJECTED.yaml").exists());
}

#[test]
fn the_sims_mount_flag_prepends_like_lima_2() {
    // Why Limabar uses `--set '.mounts += …'`: `--mount` puts the entry first, before the
    // read-only `~` it would have to sit on top of.
    let (sim, project) = setup("2.2.0");
    let out = sim
        .limactl_cmd(&["edit", "--tty=false", "nixos", "--mount"])
        .arg(format!("{}:w", project.display()))
        .output()
        .unwrap();
    assert_succeeded(&out);
    let listed: Value =
        serde_json::from_slice(&sim.limabar(&["mount", "ls", "nixos", "--json"]).stdout).unwrap();
    assert_eq!(listed[0]["location"], project.to_str().unwrap());
    assert_eq!(listed[0]["writable"], true);
    assert!(lima_yaml(&sim).contains("# Try choosing"), "comments kept");
}

#[test]
fn the_sim_refuses_what_lima_refuses() {
    let (sim, _) = setup("2.2.0");
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .status()
        .unwrap()
        .success());
    let running = sim
        .limactl_cmd(&["edit", "--tty=false", "nixos", "--set", ".mounts += []"])
        .output()
        .unwrap();
    assert_eq!(running.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&running.stderr).contains("cannot edit a running instance"));
    let _ = sim.limactl_cmd(&["stop", "-f", "nixos"]).status();
    let unknown = sim
        .limactl_cmd(&["edit", "--tty=false", "nixos", "--set", ".cpus = 8"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unsupported expression"));
    // The doctor's fixes are known, on their keys only.
    let fix = sim
        .limactl_cmd(&[
            "edit",
            "--tty=false",
            "nixos",
            "--set",
            ".containerd.system = false | .containerd.user = false",
        ])
        .output()
        .unwrap();
    assert_succeeded(&fix);
    let yaml = std::fs::read_to_string(sim.lima_home.join("nixos/lima.yaml")).unwrap();
    assert!(
        yaml.contains("containerd:\n  system: false\n  user: false\n"),
        "{yaml}"
    );
}

mod through_the_monitor {
    use super::*;
    use limabar_core::error::ErrorCode;
    use limabar_core::features::mounts::probe::HostFs;
    use limabar_core::features::mounts::{plan_add, PlanInput};
    use limabar_core::live::change::{Change, Operation};
    use limabar_core::{Monitor, MonitorConfig, VmState};
    use limabar_tests::within;
    use std::time::Duration;

    async fn plan_for(m: &Monitor, sim: &SimLima, project: &std::path::Path) -> Plan {
        let view = m
            .snapshot()
            .await
            .into_iter()
            .find(|v| v.instance.name == "nixos")
            .unwrap();
        let sources = Sources::of_instance(&view.instance, &sim.lima_home, None).unwrap();
        let input = PlanInput {
            current: &view.instance.mounts,
            sources: &sources,
            lima: Some(m.limactl().features),
            home: None,
            guest_home: view.instance.guest_home.as_deref(),
            writable: true,
            confirmed: false,
        };
        plan_add(&input, &[project.to_path_buf()], &HostFs)
    }

    #[tokio::test]
    async fn a_running_vm_restarts_through_the_phases_and_the_mount_is_verified() {
        let (sim, project) = setup("2.2.0");
        let m = Monitor::spawn(MonitorConfig::new(sim.connect().await)).unwrap();
        m.snapshot().await;
        m.run("nixos", Operation::Start).await.expect("start");
        let plan = plan_for(&m, &sim, &project).await;
        assert_eq!(plan.added.len(), 1);
        let mut rx = m.subscribe();
        let done = m.begin_mounts("nixos", plan).await.expect("accepted");
        let busy = m
            .begin("nixos", Operation::Stop)
            .await
            .expect_err("one operation at a time");
        assert_eq!(busy.code(), ErrorCode::Busy);
        let (mut states, mut checks) = (Vec::new(), None);
        within(Duration::from_secs(20), "the mount change", async {
            loop {
                match rx.recv().await.unwrap() {
                    Change::StateChanged { to, .. } => states.push(to.kind()),
                    Change::MountsChecked { checks: c, .. } => checks = Some(c),
                    Change::OperationEnded {
                        operation: Operation::Mounts,
                        error,
                        ..
                    } => {
                        assert!(error.is_none(), "{error:?}");
                        break;
                    }
                    _ => {}
                }
            }
        })
        .await;
        done.await.unwrap().unwrap();
        assert_eq!(states.first(), Some(&"stopping"), "{states:?}");
        assert!(
            states.contains(&"starting") && states.last() == Some(&"ready"),
            "{states:?}"
        );
        let checks = checks.expect("mounts were checked");
        assert_eq!(checks[0].mount_point, project.to_str().unwrap());
        assert_eq!(
            serde_json::to_value(&checks[0].check).unwrap()["status"],
            "verified"
        );
        assert!(lima_yaml(&sim).contains(&format!(
            "mountPoint: {}",
            serde_json::to_string(project.to_str().unwrap()).unwrap()
        )));
    }

    #[tokio::test]
    async fn a_stopped_vm_is_only_edited() {
        let (sim, project) = setup("2.2.0");
        let m = Monitor::spawn(MonitorConfig::new(sim.connect().await)).unwrap();
        m.snapshot().await;
        let plan = plan_for(&m, &sim, &project).await;
        let mut rx = m.subscribe();
        m.begin_mounts("nixos", plan)
            .await
            .unwrap()
            .await
            .unwrap()
            .expect("edited");
        while let Ok(c) = rx.try_recv() {
            assert!(
                !matches!(
                    c,
                    Change::StateChanged { .. } | Change::MountsChecked { .. }
                ),
                "{c:?}"
            );
        }
        assert_eq!(m.snapshot().await[0].state, VmState::Stopped);
        assert!(!sim
            .calls()
            .iter()
            .any(|c| c[0] == "restart" || c[0] == "start"));
    }
}

#[tokio::test]
async fn a_restart_that_fails_keeps_the_edit_and_shows_the_failure() {
    use limabar_core::features::mounts::probe::HostFs;
    use limabar_core::features::mounts::{plan_add, PlanInput};
    use limabar_core::live::change::Operation;
    use limabar_core::{Monitor, MonitorConfig, VmState};

    let (sim, project) = setup("2.2.0");
    let m = Monitor::spawn(MonitorConfig::new(sim.connect().await)).unwrap();
    m.snapshot().await;
    m.run("nixos", Operation::Start).await.expect("start");
    // The next boot fails (the driver exits early).
    std::fs::write(
        sim.lima_home.join("nixos/sim.json"),
        r#"{"scenario": "exit-early", "bootSecs": 0.5, "stopSecs": 0.0}"#,
    )
    .unwrap();
    let view = m.snapshot().await.remove(0);
    let sources = Sources::of_instance(&view.instance, &sim.lima_home, None).unwrap();
    let input = PlanInput {
        current: &view.instance.mounts,
        sources: &sources,
        lima: Some(m.limactl().features),
        home: None,
        guest_home: None,
        writable: true,
        confirmed: false,
    };
    let plan = plan_add(&input, std::slice::from_ref(&project), &HostFs);
    let err = m
        .begin_mounts("nixos", plan)
        .await
        .unwrap()
        .await
        .unwrap()
        .expect_err("the restart fails");
    assert!(err.to_string().contains("exiting"), "{err}");
    // The edit stays applied (Lima wrote it before restarting); Start retries.
    assert!(lima_yaml(&sim).contains(&serde_json::to_string(project.to_str().unwrap()).unwrap()));
    let state = m.snapshot().await.remove(0).state;
    assert!(
        matches!(state, VmState::Failed { ref reason } if reason.contains("exiting")),
        "{state:?}"
    );
}

/// The instance's mounts as `limabar mount ls --json` lists them (Lima's expanded view).
fn listed_mounts(sim: &SimLima) -> Vec<Value> {
    let out = sim.limabar(&["mount", "ls", "nixos", "--json"]);
    assert_succeeded(&out);
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn home_of(sim: &SimLima) -> String {
    sim.root.path().display().to_string()
}

#[test]
fn the_home_mount_written_as_tilde_is_really_toggled_and_removed() {
    // nixos-lima's template (and Limabar's) writes `location: "~"` with no mountPoint;
    // Lima's yq runs on those raw bytes, not on the expanded path the listing shows.
    let (sim, _) = setup("2.2.0");
    let home = home_of(&sim);
    let home_entry = |sim: &SimLima| {
        listed_mounts(sim)
            .into_iter()
            .find(|m| m["mountPoint"] == home.as_str())
    };
    assert_eq!(home_entry(&sim).unwrap()["writable"], false);
    assert_succeeded(&sim.limabar(&["mount", "add", "nixos", &home, "--yes"]));
    assert_eq!(home_entry(&sim).expect("still mounted")["writable"], true);
    assert!(lima_yaml(&sim).contains("- location: \"~\"\n  writable: true\n"));
    assert_succeeded(&sim.limabar(&["mount", "rm", "nixos", &home]));
    assert!(home_entry(&sim).is_none(), "{:?}", listed_mounts(&sim));
    assert!(!lima_yaml(&sim).contains("\"~\""), "{}", lima_yaml(&sim));
}

#[test]
fn mounts_from_the_global_config_are_refused_and_a_running_vm_is_not_restarted() {
    let (sim, _) = setup("2.2.0");
    std::fs::create_dir_all(sim.lima_home.join("_config")).unwrap();
    std::fs::write(
        sim.lima_home.join("_config/default.yaml"),
        "mounts:\n- location: /opt/team-share\n",
    )
    .unwrap();
    assert!(listed_mounts(&sim)
        .iter()
        .any(|m| m["mountPoint"] == "/opt/team-share"));
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .status()
        .unwrap()
        .success());
    let before = (lima_yaml(&sim), sim.calls().len());
    let out = sim.limabar(&["mount", "rm", "nixos", "/opt/team-share"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("_config/default.yaml"), "{err}");
    assert_eq!(lima_yaml(&sim), before.0);
    assert!(
        !sim.calls()[before.1..]
            .iter()
            .any(|c| ["restart", "stop", "edit"].contains(&c[0].as_str())),
        "{:?}",
        &sim.calls()[before.1..]
    );
}

#[test]
fn a_folder_with_a_space_is_mounted_in_the_guest_through_the_fstab_script() {
    let (sim, _) = setup("2.2.0");
    let spaced = sim.root.path().join("My Projects/it's $(x) ü");
    std::fs::create_dir_all(&spaced).unwrap();
    let p = spaced.to_str().unwrap();
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .status()
        .unwrap()
        .success());
    let pwd = |sim: &SimLima| {
        sim.limactl_cmd(&["shell", "--workdir", p, "nixos", "pwd"])
            .output()
            .unwrap()
    };
    // Added the way Lima's own `--set` would, without the script: the guest drops it.
    let entry = serde_json::json!([{"location": p, "mountPoint": p, "writable": true}]);
    let set = format!(".mounts += {entry}");
    assert_succeeded(
        &sim.limactl_cmd(&["restart", "--tty=false", "nixos", "--set", &set])
            .output()
            .unwrap(),
    );
    assert_eq!(
        pwd(&sim).status.code(),
        Some(1),
        "nixos-lima skips the line"
    );
    // Limabar's toggle of that entry adds its script, and the guest mounts it.
    let out = sim.limabar(&["mount", "add", "nixos", p, "--read-only"]);
    assert_succeeded(&out);
    assert!(
        lima_yaml(&sim).contains(limabar_core::features::mounts::guest_fstab::MARKER),
        "{}",
        lima_yaml(&sim)
    );
    let after = pwd(&sim);
    assert_succeeded(&after);
    assert_eq!(String::from_utf8_lossy(&after.stdout).trim(), p);
    let fstab = std::fs::read_to_string(sim.lima_home.join("nixos/guest-fstab")).unwrap();
    assert!(
        fstab.contains("My\\040Projects/it's\\040$(x)\\040ü"),
        "{fstab}"
    );
    // Once there, the script is not added again.
    let other = sim.root.path().join("Other Projects");
    std::fs::create_dir_all(&other).unwrap();
    assert_succeeded(&sim.limabar(&["mount", "add", "nixos", other.to_str().unwrap()]));
    assert_eq!(
        lima_yaml(&sim)
            .matches(limabar_core::features::mounts::guest_fstab::MARKER)
            .count(),
        1
    );
}

#[test]
fn a_folder_the_guest_cannot_mount_is_refused_before_anything_changes() {
    let (sim, _) = setup("2.2.0");
    let bad = sim.root.path().join("clients, 2026");
    std::fs::create_dir_all(&bad).unwrap();
    let before = (lima_yaml(&sim), sim.calls().len());
    let out = sim.limabar(&["mount", "add", "nixos", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Rename the folder"), "{err}");
    assert_eq!(lima_yaml(&sim), before.0);
    assert!(!sim.calls()[before.1..].iter().any(|c| c[0] == "edit"));
}

#[test]
fn vz_with_9p_is_listed_stopped_and_refused_at_start_like_lima() {
    // `limactl list` only runs limayaml.Validate; the VZ driver's own check
    // (`vz_driver_darwin.go` validateConfig) comes at start and edit.
    let (sim, _) = setup("2.2.0");
    let yaml = sim.lima_home.join("nixos/lima.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, format!("vmType: vz\nmountType: 9p\n{text}")).unwrap();
    let listed = sim
        .limactl_cmd(&["list", "--json", "nixos"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v["status"], "Stopped", "{v}");
    let start = sim
        .limactl_cmd(&["start", "--tty=false", "nixos"])
        .output()
        .unwrap();
    assert_eq!(start.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&start.stderr).contains("for VZ driver"),
        "{}",
        String::from_utf8_lossy(&start.stderr)
    );
}

#[test]
fn two_backslashes_are_refused_because_lima_s_yq_would_write_one() {
    let (sim, _) = setup("2.2.0");
    let dir = sim.root.path().join("two\\\\back");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.to_str().unwrap();
    // What Lima itself does with the JSON-encoded path (yq decodes it twice).
    let entry = serde_json::json!([{"location": p, "mountPoint": p, "writable": true}]);
    let set = format!(".mounts += {entry}");
    assert_succeeded(
        &sim.limactl_cmd(&["edit", "--tty=false", "nixos", "--set", &set])
            .output()
            .unwrap(),
    );
    let written = lima_yaml(&sim);
    assert!(
        !written.contains(&serde_json::to_string(p).unwrap()),
        "{written}"
    );
    assert!(
        written.contains(&serde_json::to_string(&p.replace("\\\\", "\\")).unwrap()),
        "{written}"
    );
    // Limabar refuses it before anything changes.
    let out = sim.limabar(&["mount", "add", "nixos", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("two backslashes"));
    assert_eq!(lima_yaml(&sim), written);
}
