//! The contract suite: a NixOS VM's whole life through Limabar, using only what real Lima
//! offers. It runs against a real `limactl` when `LIMACTL` names one (on a Mac:
//! `LIMACTL=$(command -v limactl) cargo test -p limabar-tests --test lima_contract`),
//! and otherwise against limactl-sim treated as a black box (no scenario files, no
//! call log), so CI keeps this path working and a Mac run checks the sim's fidelity.
//!
//! On real Lima it downloads the nixos-lima image once (Lima caches it) and boots a
//! 2-CPU, 2 GiB VM twice; expect a few minutes. Everything it makes lives in its own
//! `$LIMA_HOME` and is deleted at the end, even when an assertion fails.

use std::path::Path;
use std::process::Output;

use limabar_tests::{assert_succeeded, SimLima};
use serde_json::Value;

/// The stdout of a step that must succeed; `what` names the step in the failure.
#[track_caller]
fn ok(what: &str, out: &Output) -> String {
    eprintln!("contract step: {what}");
    assert_succeeded(out)
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn listed(lima: &SimLima, name: &str) -> Value {
    let out = ok("limabar list", &lima.limabar(&["list", "--json"]));
    let all: Value = serde_json::from_str(&out).expect("list --json is one JSON array");
    all.as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == name).cloned())
        .unwrap_or_else(|| panic!("{name} not listed: {all:#}"))
}

fn guest(lima: &SimLima, workdir: &Path, name: &str, script: &str) -> Output {
    lima.limactl_cmd(&["shell", "--workdir"])
        .arg(workdir)
        .args([name, "sh", "-c", script])
        .output()
        .expect("limactl shell runs")
}

#[test]
fn a_nixos_vm_from_create_to_delete() {
    let lima = SimLima::for_contract();
    let name = "lbcontract";

    // An unknown name is refused before Lima sees it: `limactl start NAME` would create
    // an Ubuntu VM instead.
    let out = lima.limabar(&["start", "no-such-vm", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).expect("a JSON error on stderr");
    assert_eq!(err["code"], "instance-not-found", "{err}");
    assert!(!lima.lima_home.join("no-such-vm").exists());

    // Create from Limabar's known-good template; the command returns once it is ready.
    let out = ok(
        "limabar create",
        &lima.limabar(&[
            "create", "--name", name, "--cpus", "2", "--memory", "2", "--disk", "10", "--json",
        ]),
    );
    let changes = json_lines(&out);
    let stages: Vec<&str> = changes
        .iter()
        .filter(|v| v["type"] == "createStage")
        .filter_map(|v| v["stage"].as_str())
        .collect();
    assert_eq!(stages.last(), Some(&"created"), "{out}");
    let states: Vec<&str> = changes
        .iter()
        .filter(|v| v["type"] == "stateChanged")
        .filter_map(|v| v["to"]["kind"].as_str())
        .collect();
    assert!(states.contains(&"starting"), "no boot phases seen: {out}");
    assert_eq!(states.last(), Some(&"ready"), "{out}");

    let vm = listed(&lima, name);
    assert_eq!(vm["state"], "ready", "{vm:#}");
    assert_eq!(vm["cpus"], 2, "{vm:#}");
    assert_eq!(vm["memory"], 2u64 << 30, "{vm:#}");
    let expected_vm_type = if cfg!(target_os = "macos") {
        "vz"
    } else {
        "qemu"
    };
    assert_eq!(vm["vmType"], expected_vm_type, "{vm:#}");
    assert!(vm["sshLocalPort"].as_u64().is_some_and(|p| p > 0), "{vm:#}");
    assert_eq!(vm["errors"], Value::Array(vec![]), "{vm:#}");

    // The configuration Limabar wrote is one its own doctor finds sound.
    ok("limabar doctor", &lima.limabar(&["doctor", name, "--json"]));

    // A folder with an awkward name becomes a writable same-path mount: the running VM
    // restarts, and the check inside the guest passes.
    let project = lima.root.path().join("my project 'ü' $(x)");
    std::fs::create_dir_all(&project).unwrap();
    // macOS's /tmp is a symlink; the guest sees the resolved path.
    let project = std::fs::canonicalize(&project).unwrap();
    std::fs::write(project.join("from-host"), "hello\n").unwrap();
    let p = project.to_str().unwrap();
    let out = ok(
        "limabar mount add",
        &lima.limabar(&["mount", "add", name, p, "--yes", "--json"]),
    );
    let result: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(
        result["verified"][0]["check"]["status"], "verified",
        "{result:#}"
    );
    assert!(
        result["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mountPoint"] == p && m["writable"] == true),
        "{result:#}"
    );
    assert_eq!(listed(&lima, name)["state"], "ready");

    // Same path on both sides, both ways.
    let out = guest(
        &lima,
        &project,
        name,
        "cat from-host && echo guest > from-guest",
    );
    assert_eq!(ok("limactl shell", &out).trim(), "hello");
    assert_eq!(
        std::fs::read_to_string(project.join("from-guest")).unwrap(),
        "guest\n"
    );

    // The spaced folder reached the guest through Limabar's fstab script (nixos-lima
    // drops such fstab lines otherwise: lima-vm/lima#5136).
    let yaml = std::fs::read_to_string(lima.lima_home.join(name).join("lima.yaml")).unwrap();
    assert!(
        yaml.contains(limabar_core::features::mounts::guest_fstab::MARKER),
        "{yaml}"
    );

    // A folder the guest cannot mount is refused before anything changes.
    let comma = lima.root.path().join("clients, 2026");
    std::fs::create_dir_all(&comma).unwrap();
    let out = lima.limabar(&["mount", "add", name, comma.to_str().unwrap(), "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a folder with `, ` was accepted"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Rename the folder"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(lima.lima_home.join(name).join("lima.yaml")).unwrap(),
        yaml,
        "lima.yaml changed"
    );

    // The home mount, written `location: "~"` by the template, really goes (Lima edits
    // the raw file, where the listing's expanded path matches nothing).
    let home = std::fs::canonicalize(lima.root.path()).unwrap();
    let mounts = |lima: &SimLima| -> Vec<String> {
        let out = ok(
            "limabar mount ls",
            &lima.limabar(&["mount", "ls", name, "--json"]),
        );
        let all: Value = serde_json::from_str(&out).expect("mount ls --json is an array");
        all.as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["mountPoint"].as_str().map(str::to_string))
            .collect()
    };
    let home_mp = mounts(&lima)
        .into_iter()
        .find(|m| std::fs::canonicalize(m).ok().as_deref() == Some(home.as_path()))
        .expect("the template mounts ~");
    ok(
        "limabar mount rm ~",
        &lima.limabar(&["mount", "rm", name, &home_mp]),
    );
    assert!(!mounts(&lima).contains(&home_mp), "{:?}", mounts(&lima));
    assert!(mounts(&lima).iter().any(|m| m == p), "{:?}", mounts(&lima));
    assert_eq!(listed(&lima, name)["state"], "ready");

    // Stopped means stopped: the guest runs nothing.
    ok("limabar stop", &lima.limabar(&["stop", name]));
    assert_eq!(listed(&lima, name)["state"], "stopped");
    let out = guest(&lima, Path::new("/"), name, "true");
    assert!(!out.status.success(), "a stopped VM ran a command");

    // A host agent killed with SIGKILL (the OOM killer, a crash) writes no `exiting`
    // event: Limabar's monitor still says at once that the VM stopped unexpectedly.
    ok("limabar start", &lima.limabar(&["start", name]));
    let mut watch = lima
        .limabar_cmd(&["watch", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(watch.stdout.take().unwrap()));
    // The watch is listening once it has printed the instance's current state.
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["type"], "upserted", "{first}");
    let ha_pid = lima.lima_home.join(name).join("ha.pid");
    let pid: i32 = std::fs::read_to_string(&ha_pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill(2) on the host agent of this suite's own VM.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let v: Value = serde_json::from_str(&line).unwrap_or_default();
            if v["type"] == "stateChanged" && v["to"]["kind"] == "failed" {
                let _ = tx.send(v["to"]["reason"].as_str().unwrap_or("").to_string());
                return;
            }
        }
    });
    let reason = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the killed VM never showed as failed");
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(
        reason.starts_with("the VM stopped unexpectedly"),
        "{reason}"
    );

    // A broken VM (an unreadable ha.pid, as after a crash) is deleted too: Lima needs
    // `delete -f` for anything not Stopped, and Limabar passes it after the user said so.
    std::fs::write(&ha_pid, "12ab\n").unwrap();
    assert_eq!(listed(&lima, name)["state"], "broken");
    ok("limabar delete", &lima.limabar(&["delete", name]));
    let out = ok("limabar list", &lima.limabar(&["list", "--json"]));
    assert_eq!(out.trim(), "[]");
}
