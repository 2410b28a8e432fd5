//! Creating a NixOS VM and the doctor, through the `limabar` CLI and the core against
//! limactl-sim as a real process.

use limabar_core::features::create::{create, CreateStage};
use limabar_tests::{assert_succeeded, SimLima};
use serde_json::Value;

#[test]
fn a_dry_run_prints_a_template_the_doctor_finds_sound_and_changes_nothing() {
    let sim = SimLima::new("2.2.0");
    let project = sim.root.path().join("src/my app ü");
    std::fs::create_dir_all(&project).unwrap();
    let out = sim.limabar(&[
        "create",
        "--name",
        "nixos",
        "--mount",
        project.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_succeeded(&out);
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("nixos-lima-v0.2.1"), "{yaml}");
    assert!(std::fs::read_dir(&sim.lima_home).unwrap().next().is_none());
    let file = sim.root.path().join("new.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let doc = sim.limabar(&["doctor", "--file", file.to_str().unwrap(), "--json"]);
    assert_succeeded(&doc);
    let v: Value = serde_json::from_slice(&doc.stdout).unwrap();
    assert_eq!(v, serde_json::json!({"findings": []}));
}

#[test]
fn create_shows_its_stages_then_boots_to_ready() {
    let sim = SimLima::new("2.2.0");
    let out = sim
        .limabar_cmd(&["create", "--name", "nixos", "--json"])
        .env("LIMACTL_SIM_CREATE_SECS", "0.4")
        .env("LIMACTL_SIM_BOOT_SECS", "0.3")
        .output()
        .unwrap();
    assert_succeeded(&out);
    let stages: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "createStage")
        .map(|v| v["stage"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stages, ["checking", "downloading", "converting", "created"]);
    // Created with `limactl create --name`, never `start` of an unknown name.
    let calls = sim.calls();
    let create_at = calls.iter().position(|c| c[0] == "create").unwrap();
    let start_at = calls.iter().position(|c| c[0] == "start").unwrap();
    assert!(create_at < start_at);
    assert!(calls[create_at].contains(&"--name".to_string()));
    let list: Value = serde_json::from_slice(&sim.limabar(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["state"], "ready", "{list:#}");
    assert!(
        !sim.lima_home.join("nixos/image").exists(),
        "the download is cleaned up"
    );
}

#[test]
fn create_with_an_existing_name_is_refused_before_lima_runs() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", "{}");
    let creates_before = sim.calls().iter().filter(|c| c[0] == "create").count();
    let out = sim.limabar(&["create", "--name", "nixos", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    // The app's path (the monitor knows the name), so the same code as in the popover.
    assert_eq!(err["code"], "already-exists", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("`nixos`"),
        "{err}"
    );
    let creates = sim.calls().iter().filter(|c| c[0] == "create").count();
    assert_eq!(creates, creates_before, "limactl create never ran");
}

#[tokio::test]
async fn a_template_lima_rejects_fails_with_the_validation_error() {
    let sim = SimLima::new("2.2.0");
    let limactl = sim.connect().await;
    let file = sim.root.path().join("bad.yaml");
    std::fs::write(&file, "vmType: vz\nmountType: 9p\n").unwrap();
    let mut stages = Vec::new();
    let err = create(&limactl.runner, None, "bad", &file, |s, _| stages.push(s))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("must be `reverse-sshfs` or `virtiofs` for VZ"),
        "{err}"
    );
    assert_eq!(stages, [CreateStage::Checking]);
    assert!(!sim.lima_home.join("bad").exists());
}

#[test]
fn doctor_explains_an_instance_made_elsewhere_and_exits_1_on_errors() {
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("old", "{}");
    std::fs::write(
        dir.join("lima.yaml"),
        "images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.0.3/nixos-lima-v0.0.3-x86_64.qcow2\nplain: true\nmemory: 4GiB\n",
    )
    .unwrap();
    let out = sim.limabar(&["doctor", "old", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "plain-mode",
            "containerd-on-nixos",
            "nixos-lima-image-too-old",
            "memory-low-for-nixos",
            "image-without-digest"
        ]
    );
    for f in v["findings"].as_array().unwrap() {
        for key in ["id", "severity", "message", "fix"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
    }
    let text = String::from_utf8(sim.limabar(&["doctor", "old"]).stdout).unwrap();
    assert!(
        text.contains("or: limactl edit --set '.plain = false'"),
        "{text}"
    );
}

#[test]
fn a_vm_being_created_is_busy_for_start_delete_and_mounts() {
    let sim = SimLima::new("2.2.0");
    // `limactl create` writes lima.yaml, then spends this long on the image: meanwhile
    // Lima lists an ordinary Stopped instance.
    let mut creating = sim
        .limabar_cmd(&["create", "--name", "nixos", "--json"])
        .env("LIMACTL_SIM_CREATE_SECS", "3")
        .env("LIMACTL_SIM_BOOT_SECS", "0.3")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sim.lima_home.join("nixos/lima.yaml").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "lima.yaml never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let project = sim.root.path().join("proj");
    std::fs::create_dir_all(&project).unwrap();
    for args in [
        vec!["start", "nixos", "--json"],
        vec!["delete", "nixos", "--json"],
        vec!["mount", "add", "nixos", project.to_str().unwrap(), "--json"],
    ] {
        let out = sim.limabar(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?} ran during the create");
        let err: Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(err["code"], "busy", "{args:?}: {err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("create (Limabar process"),
            "{err}"
        );
    }
    assert!(creating.wait().unwrap().success());
    assert!(
        sim.lima_home.join("nixos").exists(),
        "not deleted mid-create"
    );
    assert!(!sim
        .calls()
        .iter()
        .any(|c| c[0] == "delete" || c[0] == "edit"));
}

/// The app's New VM: `Session::create` returns once the monitor lists the new VM and
/// its first boot has begun — no polling for the listing (the monitor answers after a
/// listing begun once `limactl create` exited), so a Start right away is never refused
/// as an unknown instance.
#[tokio::test]
async fn the_app_creates_then_boots_at_once_with_every_stage_pushed() {
    use limabar_core::actions::{NewVmRequest, Push, Session};
    use limabar_core::{Change, VmState};
    let sim = SimLima::new("2.2.0");
    sim.export("LIMACTL_SIM_BOOT_SECS", "0.3");
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    let mut pushes = session.subscribe();
    let mut changes = session.monitor().subscribe();
    let request = NewVmRequest {
        name: "fresh".into(),
        cpus: 2,
        memory_gib: 4,
        disk_gib: 20,
        folders: vec![],
    };
    let mut seen = Vec::new();
    let mut created_at = None;
    let boot = session
        .create(&request, |p| {
            seen.push(p.stage);
            if p.stage == CreateStage::Created {
                created_at = Some(std::time::SystemTime::now());
            }
        })
        .await
        .expect("created and started");
    assert_eq!(seen.first(), Some(&CreateStage::Checking), "{seen:?}");
    assert_eq!(seen.last(), Some(&CreateStage::Created), "{seen:?}");
    let mut pushed = Vec::new();
    while let Ok(Push::Create(p)) = pushes.try_recv() {
        pushed.push(p.stage);
    }
    assert_eq!(pushed, seen, "every stage reaches the app too");
    limabar_tests::within(std::time::Duration::from_secs(20), "ready", async {
        loop {
            if let Change::StateChanged { name, to, .. } = changes.recv().await.unwrap() {
                if name == "fresh" && matches!(to, VmState::Ready { .. }) {
                    return;
                }
            }
        }
    })
    .await;
    boot.await.unwrap().expect("the first boot succeeded");
    let starts = sim.calls().iter().filter(|c| c[0] == "start").count();
    assert_eq!(starts, 1, "one start, begun once: {:?}", sim.calls());
    // Measured, not asserted (BENCHMARKS.md): Lima's "created" line → `limactl start`.
    let created_us = created_at
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    if let Some((start_us, _)) = sim.timed_calls().into_iter().find(|(_, c)| c[0] == "start") {
        let ms = start_us.saturating_sub(created_us) as f64 / 1000.0;
        println!("BENCH created → limactl start spawned: {ms:.1} ms");
    }
}
