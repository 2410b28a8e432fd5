//! `limabar open` and `limabar ssh-config` against limactl-sim, as real processes: the
//! editor found on PATH gets the folder of a hostile name exactly (its URI decodes back
//! to the path), a stopped VM is started first, and ~/.ssh/config gains Limabar's
//! Include once and loses exactly it again.

use limabar_tests::{assert_succeeded, percent_decode, write_executable, SimLima};
use serde_json::Value;

/// A stand-in editor CLI on PATH that records its argv, one per line, NUL-separated.
fn fake_editor(sim: &SimLima, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let bin = sim.root.path().join("editors");
    std::fs::create_dir_all(&bin).unwrap();
    let seen = sim.root.path().join(format!("{name}.argv"));
    write_executable(
        &bin.join(name),
        &format!(
            "#!/bin/sh\nprintf '%s\\0' \"$0\" \"$@\" > '{}'\n",
            seen.display()
        ),
    );
    (bin, seen)
}

#[test]
fn open_gives_the_editor_the_exact_folder_and_starts_a_stopped_vm() {
    let sim = SimLima::new("2.2.0");
    sim.create("nixos", r#"{"bootSecs": 0.3}"#);
    let hostile = sim
        .root
        .path()
        .join("it's a \"$(touch pwned)\" `x` %20 #1?&+;\nü 日本");
    std::fs::create_dir_all(&hostile).unwrap();
    let (bin, seen) = fake_editor(&sim, "code");
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let dir = hostile.to_str().unwrap();

    let dry = sim
        .limabar_cmd(&["open", "nixos", dir, "--dry-run", "--json"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let plan: Value = serde_json::from_str(&assert_succeeded(&dry)).unwrap();
    assert_eq!(plan["editor"], "VS Code", "{plan}");
    assert_eq!(plan["host"], "lima-nixos");
    let argv: Vec<&str> = plan["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(argv[..2], ["code", "--folder-uri"], "{plan}");
    let uri_path = argv[2]
        .strip_prefix("vscode-remote://ssh-remote+lima-nixos")
        .unwrap();
    assert_eq!(percent_decode(uri_path), dir);
    assert!(!seen.exists(), "a dry run spawns nothing");

    // For real: the VM is stopped, so it is started, then the editor runs.
    let out = sim
        .limabar_cmd(&["open", "nixos", dir, "--json"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let opened: Value = serde_json::from_str(&assert_succeeded(&out)).unwrap();
    assert_eq!(opened["startedVm"], true, "{opened}");
    let got = std::fs::read_to_string(&seen).unwrap();
    let got: Vec<&str> = got.trim_end_matches('\0').split('\0').skip(1).collect();
    assert_eq!(got, argv[1..], "the editor's own argv");
    assert!(!sim.root.path().join("pwned").exists());

    // Zed, asked for by name; an editor that is not installed is named.
    let (bin, _) = fake_editor(&sim, "zed");
    let zed = sim
        .limabar_cmd(&[
            "open",
            "nixos",
            "/home/me/a b",
            "--editor",
            "zed",
            "--dry-run",
            "--json",
        ])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    let plan: Value = serde_json::from_str(&assert_succeeded(&zed)).unwrap();
    assert_eq!(plan["argv"][1], "ssh://lima-nixos/home/me/a%20b", "{plan}");
    let missing = sim
        .limabar_cmd(&["open", "nixos", dir, "--editor", "cursor"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("Cursor could not be started: it is not installed"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[test]
fn ssh_config_install_is_idempotent_and_remove_restores_the_file() {
    let sim = SimLima::new("2.2.0");
    let config = sim.root.path().join(".ssh/config");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let user = "Host work\r\n  HostName work.example\r\n  User me";
    std::fs::write(&config, user).unwrap();

    let first: Value = serde_json::from_str(&assert_succeeded(&sim.limabar(&[
        "ssh-config",
        "install",
        "--json",
    ])))
    .unwrap();
    assert_eq!(first["changed"], true, "{first}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with("# Added by Limabar"), "{text:?}");
    // The test's LIMA_HOME has a space: quoted.
    let include = format!("Include \"{}/*/ssh.config\"\r\n", sim.lima_home.display());
    assert!(text.contains(&include), "{text:?}");
    assert!(text.ends_with(user));
    let backup = first["backup"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(backup).unwrap(), user);

    let again: Value = serde_json::from_str(&assert_succeeded(&sim.limabar(&[
        "ssh-config",
        "install",
        "--json",
    ])))
    .unwrap();
    assert_eq!(again["changed"], false, "{again}");
    let said = assert_succeeded(&sim.limabar(&["ssh-config", "remove"]));
    assert!(said.contains("Took Limabar's lines out"), "{said}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), user);
}

#[test]
fn ssh_lima_name_connects_for_real_through_the_managed_include() {
    let sim = SimLima::new("2.2.0");
    // Its own name: the sim's ssh port follows the name, and the other tests here
    // run their "nixos" (and its sshd) at the same time.
    sim.create("ssh-guest", r#"{"bootSecs": 0.3}"#);
    assert!(sim
        .limactl_cmd(&["start", "--tty=false", "ssh-guest"])
        .status()
        .unwrap()
        .success());
    // Lima writes ssh.config private (`os.WriteFile(…, 0o600)`).
    use std::os::unix::fs::PermissionsExt;
    let lima_config = sim.lima_home.join("ssh-guest/ssh.config");
    let mode = std::fs::metadata(&lima_config)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{}", lima_config.display());
    assert_succeeded(&sim.limabar(&["ssh-config", "install"]));
    let config = sim.root.path().join(".ssh/config");
    let ssh = |args: &[&str]| {
        std::process::Command::new("ssh")
            .arg("-F")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    // Lima's ssh.config, through the Include, to the guest's sshd, with Lima's user key.
    let out = ssh(&["lima-ssh-guest", "printf", "'%s'", "from-the-guest"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "from-the-guest",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its ControlPersist master ends with the test.
    let _ = ssh(&["-O", "exit", "lima-ssh-guest"]);
    // Without the Include the host is unknown.
    assert_succeeded(&sim.limabar(&["ssh-config", "remove"]));
    let out = ssh(&["-o", "ConnectTimeout=2", "lima-ssh-guest", "true"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lima-ssh-guest"));
}
