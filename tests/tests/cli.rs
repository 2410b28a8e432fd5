//! The `limabar` command against `limactl-sim`: output shapes, exit codes, JSON errors.

use std::process::Command;

use limabar_tests::{assert_succeeded, workspace_bin, SimLima};
use serde_json::Value;

#[test]
fn list_json_has_the_documented_fields_and_start_stop_work() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 1.0, "stopSecs": 0.1}"#);
    sim.create("other", "{}");
    let out = sim.limabar(&["list", "--json"]);
    assert_succeeded(&out);
    let v: Value = serde_json::from_slice(&out.stdout).expect("a JSON array");
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    let n = &arr[0];
    for key in [
        "name",
        "status",
        "state",
        "phase",
        "vmType",
        "arch",
        "cpus",
        "memory",
        "disk",
        "sshLocalPort",
        "errors",
    ] {
        assert!(n.get(key).is_some(), "missing {key} in {n}");
    }
    assert_eq!(
        (
            n["name"].as_str(),
            n["state"].as_str(),
            n["status"].as_str()
        ),
        (Some("nixos"), Some("stopped"), Some("Stopped"))
    );
    assert_eq!(n["memory"].as_u64(), Some(8 << 30));

    let start = sim.limabar(&["start", "nixos"]);
    let err = String::from_utf8_lossy(&start.stderr);
    assert!(start.status.success(), "{err}");
    assert!(err.contains("nixos: starting: user session"), "{err}");
    assert!(err.contains("nixos is ready — booted in"), "{err}");
    let v: Value = serde_json::from_slice(&sim.limabar(&["list", "--json"]).stdout).unwrap();
    assert_eq!(v[0]["state"], "ready");
    assert!(v[0]["sshLocalPort"].as_u64().is_some());

    let again = sim.limabar(&["start", "nixos", "--json"]);
    assert_eq!(again.status.code(), Some(1));
    let e: Value = serde_json::from_slice(&again.stderr).expect("JSON error on stderr");
    assert_eq!(e["code"], "already-running");
    assert!(e["message"].as_str().unwrap().contains("nixos"));

    let stop = sim.limabar(&["stop", "nixos"]);
    assert_succeeded(&stop);
    let v: Value = serde_json::from_slice(&sim.limabar(&["list", "--json"]).stdout).unwrap();
    assert_eq!(v[0]["state"], "stopped");
}

#[test]
fn failures_exit_1_with_the_reason_and_usage_errors_exit_2() {
    let sim = SimLima::new("2.2.0");
    sim.create("broken", r#"{"scenario": "exit-early", "bootSecs": 0.5}"#);
    let out = sim.limabar(&["start", "broken"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken: failed"), "{err}");
    assert!(err.contains("exiting"), "{err}");

    let missing = sim.limabar(&["start", "nope", "--json"]);
    assert_eq!(missing.status.code(), Some(1));
    let e: Value = serde_json::from_slice(&missing.stderr).unwrap();
    assert_eq!(e["code"], "instance-not-found");

    assert_eq!(sim.limabar(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(sim.limabar(&["start"]).status.code(), Some(2));
}

#[test]
fn no_limactl_says_how_to_install_it() {
    let sim = SimLima::new("2.2.0");
    let out = Command::new(workspace_bin("limabar"))
        .args(["list", "--json"])
        .env("LIMACTL", sim.root.path().join("missing/limactl"))
        .env("HOME", sim.root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(e["code"], "limactl-not-found");
    assert!(e["hint"].as_str().unwrap().contains("brew install lima"));
}

#[test]
fn garbage_from_limactl_list_is_skipped_and_the_rest_is_shown() {
    let sim = SimLima::new("2.2.0");
    sim.create("good", "{}");
    // A limactl whose list output has a garbage line in the middle.
    let fake = sim.root.path().join("bin/limactl-garbage");
    limabar_tests::write_executable(
        &fake,
        &format!("#!/bin/sh\nif [ \"$1\" = list ]; then '{}' \"$@\" | sed 'a this is not json'; else exec '{}' \"$@\"; fi\n", sim.limactl.display(), sim.limactl.display()),
    );
    let out = Command::new(workspace_bin("limabar"))
        .args(["list", "--json"])
        .env("LIMACTL", &fake)
        .env("LIMA_HOME", &sim.lima_home)
        .env("HOME", sim.root.path())
        .output()
        .unwrap();
    assert_succeeded(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped line 2"));
}

#[test]
fn delete_forces_a_broken_vm_and_refuses_a_running_one() {
    let sim = SimLima::new("2.2.0");
    sim.create("broken", "{}");
    sim.create("up", r#"{"bootSecs": 0.3}"#);
    // A pid file that does not parse: Lima lists the VM as Broken, and its delete
    // without -f says "expected status `Stopped`, got `Broken`".
    std::fs::write(sim.lima_home.join("broken/ha.pid"), "12ab\n").unwrap();
    let plain = sim
        .limactl_cmd(&["delete", "--tty=false", "broken"])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("got `Broken`"));
    assert_succeeded(&sim.limabar(&["delete", "broken"]));
    assert!(!sim.lima_home.join("broken").exists());
    assert!(sim
        .calls()
        .iter()
        .any(|c| c[0] == "delete" && c.contains(&"-f".to_string())));

    assert_succeeded(&sim.limabar(&["start", "up"]));
    let out = sim.limabar(&["delete", "up", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "not-stopped", "{err}");
    assert!(sim.lima_home.join("up").exists());
    // Limabar refused before Lima was asked.
    assert!(!sim
        .calls()
        .iter()
        .any(|c| c[0] == "delete" && c.contains(&"up".to_string())));
}
