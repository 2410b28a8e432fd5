//! Each pattern on log lines in the formats Lima writes them (ha.stderr.log is logrus
//! JSON; limactl's own stderr is logrus text).

use super::*;
use crate::features::doctor::{examine, parse, Host};

fn j(level: &str, msg: &str) -> String {
    serde_json::json!({"level": level, "msg": msg, "time": "2026-11-25T10:00:00Z"}).to_string()
}

const BOOT: &[(&str, &str)] = &[
    (
        "info",
        "hostagent socket created at /Users/me/.lima/nixos/ha.sock",
    ),
    (
        "info",
        "Starting VZ (hint: to watch the boot progress, see \"/Users/me/.lima/nixos/serialv.log\")",
    ),
    (
        "info",
        "Waiting for the essential requirement 1 of 3: \"ssh\"",
    ),
    ("info", "The essential requirement 1 of 3 is satisfied"),
    (
        "info",
        "Waiting for the essential requirement 2 of 3: \"user session is ready for ssh\"",
    ),
];

fn log(extra: &[(&str, &str)]) -> String {
    BOOT.iter()
        .chain(extra)
        .map(|(l, m)| j(l, m))
        .collect::<Vec<_>>()
        .join("\n")
}

fn findings(yaml: &str) -> Vec<crate::features::doctor::Finding> {
    examine(&parse(yaml).unwrap(), &Host::default())
}

#[test]
fn degraded_without_guest_agent_is_explained_by_the_config() {
    let ha = log(&[
        ("info", "The essential requirement 2 of 3 is satisfied"),
        ("info", "Waiting for the guest agent to be running"),
        (
            "warning",
            "connection to the guest agent was closed unexpectedly",
        ),
    ]);
    let errors =
        vec!["guest agent does not seem to be running; port forwards will not work".to_string()];
    let plain = findings("plain: true");
    let e = explain(&Evidence {
        name: "nixos",
        ha_log: &ha,
        errors: &errors,
        findings: &plain,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(e.id, "guest-agent-not-running");
    assert!(e.cause.contains("Plain mode"), "{e:?}");
    let nixos_containerd = findings("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/x.qcow2\n  digest: sha512:x\nmemory: 8GiB\n");
    let e = explain(&Evidence {
        name: "nixos",
        ha_log: &ha,
        errors: &errors,
        findings: &nixos_containerd,
        ..Default::default()
    })
    .unwrap();
    assert!(e.cause.contains("containerd"), "{e:?}");
    let e = explain(&Evidence {
        name: "nixos",
        ha_log: &ha,
        errors: &errors,
        ..Default::default()
    })
    .unwrap();
    assert!(e.cause.contains("did not answer within a minute"), "{e:?}");
    // The doctor's Lima-and-image rules explain it too.
    let host = Host {
        lima: crate::lima::version::LimaVersion::parse("2.2.0"),
        ..Host::default()
    };
    for (yaml, cause) in [
        ("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.0/x.qcow2\n  digest: sha512:x\ncontainerd: {system: false, user: false}\nmemory: 8GiB\n", "socket stays root's"),
        ("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/x.qcow2\n  digest: sha512:x\ncontainerd: {system: false, user: false}\nmemory: 8GiB\nssh: {forwardAgent: true}\n", "forwardAgent"),
    ] {
        let found = examine(&parse(yaml).unwrap(), &host);
        let e = explain(&Evidence {
            name: "nixos",
            ha_log: &ha,
            errors: &errors,
            findings: &found,
            ..Default::default()
        })
        .unwrap();
        assert!(e.cause.contains(cause), "{e:?} {found:?}");
    }
}

#[test]
fn a_timeout_names_the_requirement_it_was_stuck_at() {
    let ha = log(&[]);
    let stderr = "time=\"2026-11-25T10:10:00Z\" level=fatal msg=\"did not receive an event with the `running` status\"";
    let e = explain(&Evidence {
        name: "nixos",
        ha_log: &ha,
        limactl_stderr: stderr,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(e.id, "start-timeout");
    assert_eq!(
        e.cause,
        "The start timed out while the VM was still waiting for “user session is ready for ssh”."
    );
    let old = findings("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.0.3/x.qcow2\n");
    let e = explain(&Evidence {
        name: "nixos",
        ha_log: &ha,
        limactl_stderr: stderr,
        findings: &old,
        ..Default::default()
    })
    .unwrap();
    assert!(e.fix.contains("older than nixos-lima v0.0.5"), "{e:?}");
}

#[test]
fn an_exit_with_empty_errors_shows_the_last_errors_or_the_console() {
    let ha = format!(
        "{}\n{}",
        log(&[(
            "error",
            "failed to start VZ: the virtual machine failed to start"
        )]),
        "{\"exiting\":true}"
    );
    let e = explain(&Evidence {
        name: "nixos",
        ha_log: &ha,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(e.id, "exited");
    assert!(
        e.cause
            .ends_with("failed to start VZ: the virtual machine failed to start"),
        "{e:?}"
    );
    let quiet = format!("{}\n{{\"exiting\":true}}", log(&[]));
    let console = "[    3.1] EXT4-fs (vda1): mounted filesystem\n[    9.9] Kernel panic - not syncing: VFS: Unable to mount root fs\n";
    let e = explain(&Evidence {
        name: "nixos",
        ha_log: &quiet,
        console,
        ..Default::default()
    })
    .unwrap();
    assert!(
        e.cause
            .ends_with("Kernel panic - not syncing: VFS: Unable to mount root fs"),
        "{e:?}"
    );
}

#[test]
fn disk_in_use_virtiofsd_and_stale_pid_files() {
    let disk = log(&[(
        "fatal",
        "failed to run attach disk \"data\", in use by instance \"other\"",
    )]);
    assert_eq!(
        explain(&Evidence {
            name: "a",
            ha_log: &disk,
            ..Default::default()
        })
        .unwrap()
        .id,
        "disk-in-use"
    );
    let vfs = log(&[(
        "fatal",
        "failed to find virtiofsd: exec: \"virtiofsd\": executable file not found in $PATH",
    )]);
    assert_eq!(
        explain(&Evidence {
            name: "a",
            ha_log: &vfs,
            ..Default::default()
        })
        .unwrap()
        .id,
        "virtiofsd-missing"
    );
    // QEMU's virtiofs pipes name virtiofsd on every boot: not a diagnosis by itself.
    let piped = log(&[
        (
            "debug",
            "virtiofsd-0[stderr]: [INFO virtiofsd] Waiting for vhost-user socket connection...",
        ),
        (
            "error",
            "exiting, status={Running:false Degraded:false Exiting:true}",
        ),
    ]);
    assert_ne!(
        explain(&Evidence {
            name: "a",
            ha_log: &piped,
            ..Default::default()
        })
        .unwrap()
        .id,
        "virtiofsd-missing"
    );
    // Lima's own words for a pid file left behind: the inspection fails first.
    for (version, stderr) in [
        ("2.2", "time=\"2026-11-25T10:00:00Z\" level=fatal msg=\"errors inspecting instance: [failed to get Info from `/Users/me/.lima/my vm/ha.sock`: Get \\\"http://lima-hostagent/v1/info\\\": dial unix /Users/me/.lima/my vm/ha.sock: connect: connection refused]\""),
        ("2.1", "time=\"2026-11-25T10:00:00Z\" level=fatal msg=\"errors inspecting instance: [failed to get Info from \\\"/Users/me/.lima/my vm/ha.sock\\\": dial unix: connect: no such file or directory]\""),
        ("garbage pid", "time=\"2026-11-25T10:00:00Z\" level=fatal msg=\"errors inspecting instance: [strconv.Atoi: parsing \\\"12ab\\\": invalid syntax]\""),
    ] {
        let e = explain(&Evidence {
            name: "my vm",
            limactl_stderr: stderr,
            ..Default::default()
        })
        .unwrap_or_else(|| panic!("{version}: no explanation"));
        assert_eq!(e.id, "stale-ha-pid", "{version}");
    }
    let stale = "time=\"2026-11-25T10:00:00Z\" level=fatal msg=\"instance `my vm` seems running (hint: remove `/Users/me/.lima/my vm/ha.pid` if the instance is not actually running)\"";
    let e = explain(&Evidence {
        name: "my vm",
        limactl_stderr: stale,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(e.id, "stale-ha-pid");
    assert!(e.fix.contains("`limactl stop -f 'my vm'`"), "{e:?}");
}

#[test]
fn a_healthy_log_explains_nothing() {
    let ha = log(&[
        ("info", "The essential requirement 2 of 3 is satisfied"),
        ("info", "Guest agent is running"),
    ]);
    assert_eq!(
        explain(&Evidence {
            name: "a",
            ha_log: &ha,
            ..Default::default()
        }),
        None
    );
}
