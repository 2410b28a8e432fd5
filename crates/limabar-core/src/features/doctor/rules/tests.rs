//! One test per rule, each on a minimal lima.yaml: it fires on the bad config and stays
//! quiet on the good one.

use super::super::size::GIB;
use super::super::{examine, parse, Arch, Finding, Host, Severity};
use crate::lima::version::LimaVersion;

const NIXOS_IMAGE: &str = "images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/nixos-lima-v0.2.1-aarch64.qcow2\n  arch: aarch64\n  digest: sha512:abc\n";
const GOOD: &str = "memory: 8GiB\ncontainerd: {system: false, user: false}\nmounts:\n- location: \"~\"\n  writable: false\n- location: /Users/me/src/app\n  writable: true\n";

fn mac() -> Host {
    Host {
        macos: true,
        macos_major: Some(15),
        macos_minor: Some(5),
        arch: Some(Arch::Aarch64),
        lima: Some(lima(2, 2, 0)),
        home: Some("/Users/me".into()),
        memory_bytes: Some(32 * (1 << 30)),
    }
}

fn lima(major: u32, minor: u32, patch: u32) -> LimaVersion {
    LimaVersion {
        major,
        minor,
        patch,
    }
}

fn with_lima(major: u32, minor: u32, patch: u32) -> Host {
    Host {
        lima: Some(lima(major, minor, patch)),
        ..mac()
    }
}

fn nixos_lima(release: &str) -> String {
    format!("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/{release}/nixos-lima-{release}-aarch64.qcow2\n  digest: sha512:x\n")
}

fn get(yaml: &str, host: &Host, id: &str) -> Option<Finding> {
    examine(&parse(yaml).unwrap(), host)
        .into_iter()
        .find(|f| f.id == id)
}

fn ids(yaml: &str, host: &Host) -> Vec<&'static str> {
    examine(&parse(yaml).unwrap(), host)
        .iter()
        .map(|f| f.id)
        .collect()
}

fn fires(id: &str, bad: &str, good: &str, host: &Host) {
    assert!(
        ids(bad, host).contains(&id),
        "{id} should fire on:\n{bad}\n{:?}",
        ids(bad, host)
    );
    assert!(
        !ids(good, host).contains(&id),
        "{id} should not fire on:\n{good}"
    );
}

#[test]
fn the_known_good_nixos_config_has_no_findings() {
    assert_eq!(
        ids(&format!("{NIXOS_IMAGE}{GOOD}"), &mac()),
        Vec::<&str>::new()
    );
}

#[test]
fn plain_mode() {
    fires("plain-mode", "plain: true\n", "plain: false\n", &mac());
    let f = &examine(&parse("plain: true").unwrap(), &mac())[0];
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.set.as_deref(), Some(".plain = false"));
}

#[test]
fn plain_mode_explains_the_lost_clock_sync() {
    let f = get("plain: true\n", &mac(), "plain-mode").unwrap();
    assert!(f.why.contains("clock"), "{}", f.why);
}

#[test]
fn mount_type_9p() {
    fires(
        "mount-type-9p",
        "mountType: 9p\n",
        "mountType: virtiofs\n",
        &mac(),
    );
}

#[test]
fn mount_path_differs() {
    fires(
        "mount-path-differs",
        "mounts:\n- location: /Users/me/src\n  mountPoint: /mnt/src\n",
        "mounts:\n- location: ~/src\n  mountPoint: /Users/me/src\n",
        &mac(),
    );
}

#[test]
fn mount_too_broad() {
    let host = mac();
    fires(
        "mount-too-broad",
        "mounts:\n- location: \"~\"\n  writable: true\n",
        GOOD,
        &host,
    );
    fires("mount-too-broad", "mounts:\n- location: /\n", GOOD, &host);
    fires(
        "mount-too-broad",
        "mounts:\n- location: /Volumes\n",
        GOOD,
        &host,
    );
    fires(
        "mount-too-broad",
        "mounts:\n- location: /Users/\n",
        GOOD,
        &host,
    );
}

#[test]
fn containerd_on_nixos() {
    let host = mac();
    // Lima's default is containerd.user = true.
    fires(
        "containerd-on-nixos",
        NIXOS_IMAGE,
        &format!("{NIXOS_IMAGE}containerd: {{system: false, user: false}}\n"),
        &host,
    );
    // Not a NixOS image: containerd is fine.
    assert!(
        !ids("images:\n- location: https://x/ubuntu.img\n", &host).contains(&"containerd-on-nixos")
    );
}

#[test]
fn nixos_lima_image_too_old() {
    let old = "images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.0.3/nixos-lima-v0.0.3-aarch64.qcow2\n  digest: sha512:x\n";
    fires("nixos-lima-image-too-old", old, NIXOS_IMAGE, &mac());
    let lima20 = Host {
        lima: Some(LimaVersion {
            major: 2,
            minor: 0,
            patch: 0,
        }),
        ..mac()
    };
    let f = examine(&parse(old).unwrap(), &lima20);
    let f = f
        .iter()
        .find(|f| f.id == "nixos-lima-image-too-old")
        .unwrap();
    assert_eq!(f.severity, Severity::Warning, "only hangs on Lima ≥ 2.1");
}

#[test]
fn image_without_digest() {
    fires(
        "image-without-digest",
        "images:\n- location: https://example.org/a.qcow2\n",
        "images:\n- location: https://example.org/a.qcow2\n  digest: sha256:x\n",
        &mac(),
    );
}

#[test]
fn vm_type_not_vz_only_on_macos() {
    fires("vm-type-not-vz", "vmType: qemu\n", "vmType: vz\n", &mac());
    let linux = Host {
        macos: false,
        macos_major: None,
        ..mac()
    };
    assert!(!ids("vmType: qemu\n", &linux).contains(&"vm-type-not-vz"));
}

#[test]
fn memory_low_for_nixos() {
    fires(
        "memory-low-for-nixos",
        &format!("{NIXOS_IMAGE}memory: 4GiB\n"),
        &format!("{NIXOS_IMAGE}memory: 8GiB\n"),
        &mac(),
    );
    // Unset means Lima's default of 4 GiB.
    assert!(ids(NIXOS_IMAGE, &mac()).contains(&"memory-low-for-nixos"));
}

#[test]
fn lima_too_old() {
    let old = Host {
        lima: Some(LimaVersion {
            major: 1,
            minor: 2,
            patch: 0,
        }),
        ..mac()
    };
    assert!(ids("{}", &old).contains(&"lima-too-old"));
    assert!(!ids("{}", &mac()).contains(&"lima-too-old"));
}

#[test]
fn macos_too_old_for_vz() {
    let old = Host {
        macos_major: Some(12),
        ..mac()
    };
    assert!(ids("{}", &old).contains(&"macos-too-old-for-vz"));
    assert!(!ids("{}", &mac()).contains(&"macos-too-old-for-vz"));
}

#[test]
fn errors_come_first_and_bad_yaml_is_an_error_not_a_panic() {
    let f = examine(
        &parse("plain: true\nmounts:\n- location: /\n").unwrap(),
        &mac(),
    );
    assert_eq!(f[0].severity, Severity::Error);
    assert!(parse("mounts: [").is_err());
    assert!(examine(&parse("").unwrap(), &mac()).is_empty());
}

#[test]
fn lima_guest_agent_vulnerable() {
    let id = "lima-guest-agent-vulnerable";
    assert!(ids("{}", &with_lima(2, 1, 2)).contains(&id));
    assert!(ids("{}", &with_lima(2, 0, 0)).contains(&id));
    assert!(!ids("{}", &with_lima(2, 1, 3)).contains(&id));
    assert!(!ids("{}", &with_lima(2, 2, 0)).contains(&id));
    // Below 2.0 `lima-too-old` says it; unknown Lima: nothing.
    assert!(!ids("{}", &with_lima(1, 2, 0)).contains(&id));
    assert!(!ids(
        "{}",
        &Host {
            lima: None,
            ..mac()
        }
    )
    .contains(&id));
    // VZ (macOS default) uses vsock: a warning; QEMU uses the socket: an error.
    let vz = get("{}", &with_lima(2, 1, 2), id).unwrap();
    assert_eq!(vz.severity, Severity::Warning);
    assert!(vz.message.contains("CVE-2026-53657") && vz.fix.contains("upgrade lima"));
    let qemu = get("vmType: qemu\n", &with_lima(2, 1, 2), id).unwrap();
    assert_eq!(qemu.severity, Severity::Error);
    let linux = Host {
        macos: false,
        ..with_lima(2, 1, 2)
    };
    assert_eq!(get("{}", &linux, id).unwrap().severity, Severity::Error);
    assert_eq!(qemu.set, None);
}

#[test]
fn nixos_lima_guest_agent_socket() {
    let id = "nixos-lima-guest-agent-socket";
    let old = format!("{}vmType: qemu\n", nixos_lima("v0.2"));
    let new = format!("{}vmType: qemu\n", nixos_lima("v0.2.1"));
    fires(id, &old, &new, &with_lima(2, 1, 3));
    assert_eq!(
        get(&old, &mac(), id).unwrap().severity,
        Severity::Error,
        "QEMU: the socket stays root's"
    );
    // Lima before 2.1.3 does not pass --socket-owner either: fine.
    assert!(!ids(&old, &with_lima(2, 1, 2)).contains(&id));
    // VZ talks to the agent over vsock, which 2.1.3 did not change.
    let vz = get(&nixos_lima("v0.1"), &mac(), id).unwrap();
    assert_eq!(vz.severity, Severity::Info);
    // No guest agent in plain mode.
    assert!(!ids(&format!("{old}plain: true\n"), &mac()).contains(&id));
}

#[test]
fn ssh_forward_agent_nixos() {
    let id = "ssh-forward-agent-nixos";
    let on = format!("{}ssh: {{forwardAgent: true}}\n", nixos_lima("v0.2.1"));
    fires(
        id,
        &on,
        &format!("{}ssh: {{forwardAgent: false}}\n", nixos_lima("v0.2.1")),
        &mac(),
    );
    let f = get(&on, &mac(), id).unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.set.as_deref(), Some(".ssh.forwardAgent = false"));
    // Lima 2.1 still made /run/host-services with sudo.
    assert!(!ids(&on, &with_lima(2, 1, 4)).contains(&id));
    // Not nixos-lima, or a newer nixos-lima: not this problem.
    assert!(!ids("ssh: {forwardAgent: true}\n", &mac()).contains(&id));
    assert!(!ids(
        &format!("{}ssh: {{forwardAgent: true}}\n", nixos_lima("v0.2.2")),
        &mac()
    )
    .contains(&id));
    // Lima ignores forwardAgent in plain mode.
    assert!(!ids(&format!("{on}plain: true\n"), &mac()).contains(&id));
}

#[test]
fn vz_intel_new_kernel() {
    let id = "vz-intel-new-kernel";
    let intel = |major, minor| Host {
        arch: Some(Arch::X8664),
        macos_major: Some(major),
        macos_minor: Some(minor),
        ..mac()
    };
    let nixos = nixos_lima("v0.2.1");
    fires(id, &nixos, &format!("{nixos}vmType: qemu\n"), &intel(15, 4));
    let f = get(&nixos, &intel(14, 7), id).unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("macOS 14.7"), "{}", f.message);
    // Another guest may run an older kernel: info.
    assert_eq!(
        get("vmType: vz\n", &intel(15, 0), id).unwrap().severity,
        Severity::Info
    );
    // macOS 15.5+, Apple silicon, or an unknown minor of 15: quiet.
    assert!(!ids(&nixos, &intel(15, 5)).contains(&id));
    assert!(!ids(&nixos, &intel(26, 0)).contains(&id));
    assert!(!ids(
        &nixos,
        &Host {
            macos_major: Some(14),
            ..mac()
        }
    )
    .contains(&id));
    let unknown = Host {
        macos_minor: None,
        ..intel(15, 0)
    };
    assert!(!ids(&nixos, &unknown).contains(&id));
    // A foreign arch runs on QEMU.
    assert!(!ids(&format!("{nixos}arch: aarch64\n"), &intel(15, 0)).contains(&id));
}

#[test]
fn an_empty_port_forwards_list_is_explained() {
    fires(
        "port-forwards-empty",
        "portForwards: []\n",
        "portForwards:\n- guestPort: 8080\n",
        &mac(),
    );
    let f = get("portForwards: []\n", &mac(), "port-forwards-empty").unwrap();
    assert_eq!(f.severity, Severity::Info);
    assert!(f.set.as_deref().unwrap().contains("\"ignore\": true"));
    // No list at all is Lima's default, not a mistake.
    assert!(get("memory: 8GiB\n", &mac(), "port-forwards-empty").is_none());
}

#[test]
fn memory_near_the_hosts_is_held_until_restart() {
    let host = |gib: u64| Host {
        memory_bytes: Some(gib * GIB),
        ..mac()
    };
    // 24 of 32 GiB: warned, with a fix to a quarter of the host (8 GiB).
    let f = get("memory: 24GiB\n", &host(32), "memory-held-until-restart").unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("24 GiB of this computer's 32 GiB"),
        "{}",
        f.message
    );
    assert!(f.why.contains("only a restart returns it"), "{}", f.why);
    assert_eq!(f.set.as_deref(), Some(".memory = \"8GiB\""));
    // A quarter of the host is fine.
    assert!(get("memory: 8GiB\n", &host(32), "memory-held-until-restart").is_none());
    // Half is not more than half.
    assert!(get("memory: 16GiB\n", &host(32), "memory-held-until-restart").is_none());
    // 8 GiB on a 12 GiB machine for NixOS: warned, but nothing lower to offer
    // (nixos-lima needs 8).
    let nixos = format!("{}memory: 8GiB\n", nixos_lima("v0.2.1"));
    let f = get(&nixos, &host(12), "memory-held-until-restart").unwrap();
    assert_eq!(f.set, None);
    assert!(
        f.fix.starts_with("Restart it after big builds"),
        "{}",
        f.fix
    );
    // Lima's default (half the host, at most 4 GiB) is never more than half.
    assert!(get("cpus: 2\n", &host(6), "memory-held-until-restart").is_none());
    // Unknown host memory: nothing said.
    let unknown = Host {
        memory_bytes: None,
        ..mac()
    };
    assert!(get("memory: 24GiB\n", &unknown, "memory-held-until-restart").is_none());
}
