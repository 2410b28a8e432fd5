//! `effective` against FillDefault's rules (pkg/limayaml/defaults.go, v2.2.0), and the
//! findings that come from the global files.

use serde_json::{json, Value};

use super::super::{examine_layers, examine_with, parse, Global, Host, Severity};
use super::effective;
use crate::lima::version::LimaVersion;

fn y(text: &str) -> Value {
    parse(text).unwrap()
}

fn host() -> Host {
    Host {
        macos: true,
        macos_major: Some(15),
        macos_minor: Some(5),
        arch: None,
        lima: Some(LimaVersion {
            major: 2,
            minor: 2,
            patch: 0,
        }),
        home: Some("/Users/me".into()),
        memory_bytes: Some(32 * (1 << 30)),
    }
}

#[test]
fn scalars_override_wins_then_instance_then_default() {
    let d =
        y("plain: true\nmemory: 2GiB\nmountType: 9p\nssh: {forwardAgent: true, localPort: 1}\n");
    let i = y("memory: 8GiB\nssh: {forwardAgent: false}\nvmType: ~\n");
    let o = y("mountType: virtiofs\nssh: {localPort: 3}\n");
    let e = effective(&i, Some(&d), Some(&o));
    assert_eq!(e["plain"], true, "from default.yaml");
    assert_eq!(e["memory"], "8GiB", "lima.yaml over default.yaml");
    assert_eq!(e["mountType"], "virtiofs", "override.yaml over both");
    assert_eq!(e["ssh"], json!({"forwardAgent": false, "localPort": 3}));
    assert!(e.get("vmType").is_none(), "a null is unset");
    // Without global files, lima.yaml as it is.
    assert_eq!(effective(&i, None, None)["memory"], "8GiB");
    assert_eq!(effective(&y("{}"), None, None), json!({}));
}

#[test]
fn images_and_provision_come_override_first() {
    let d = y("images: [{location: d.img}]\nprovision: [{script: d}]\n");
    let i = y("images: [{location: y.img}]\n");
    let o = y("images: [{location: o.img}]\nprovision: [{script: o}]\n");
    let e = effective(&i, Some(&d), Some(&o));
    let locs: Vec<&str> = e["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location"].as_str().unwrap())
        .collect();
    assert_eq!(locs, ["o.img", "y.img", "d.img"]);
    assert_eq!(e["provision"], json!([{"script": "o"}, {"script": "d"}]));
}

#[test]
fn mounts_are_appended_default_first_and_merged_by_mount_point() {
    let d = y("mounts:\n- location: /Users/me/src/\n- location: /opt/d\n");
    let i = y("mounts:\n- location: /Users/me/src\n  writable: true\n- location: /tmp/x\n  mountPoint: /mnt/x\n");
    let o = y("mounts:\n- location: /elsewhere\n  mountPoint: /mnt/x\n  writable: false\n  9p: {cache: mmap}\n");
    let e = effective(&i, Some(&d), Some(&o));
    assert_eq!(
        e["mounts"],
        json!([
            // default.yaml's entry, lima.yaml's `writable` merged in (same cleaned point).
            {"location": "/Users/me/src/", "writable": true},
            {"location": "/opt/d"},
            // override.yaml's settings win, the first location stays.
            {"location": "/tmp/x", "mountPoint": "/mnt/x", "writable": false, "9p": {"cache": "mmap"}},
        ])
    );
}

#[test]
fn maps_merge_key_by_key_and_dns_is_not_combined() {
    let d = y("env: {A: d, B: d}\ndns: [1.1.1.1]\nnetworks: [{interface: lima0, lima: shared}]\n");
    let i =
        y("env: {B: y}\ndns: []\nnetworks: [{interface: lima0, socket: /s}, {lima: bridged}]\n");
    let o = y("env: {C: o}\n");
    let e = effective(&i, Some(&d), Some(&o));
    assert_eq!(e["env"], json!({"A": "d", "B": "y", "C": "o"}));
    assert_eq!(e["dns"], json!(["1.1.1.1"]), "an empty list is unset");
    assert_eq!(
        e["networks"],
        json!([{"interface": "lima0", "socket": "/s"}, {"lima": "bridged"}])
    );
}

#[test]
fn a_layer_that_is_not_a_mapping_is_ignored() {
    let i = y("memory: 8GiB\n");
    assert_eq!(effective(&i, Some(&json!([1])), Some(&json!("x"))), i);
}

fn find<'a>(f: &'a [super::super::Finding], id: &str) -> &'a super::super::Finding {
    f.iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("{id} in {f:?}"))
}

#[test]
fn a_finding_forced_by_override_yaml_says_so_and_has_no_set() {
    let over = y("plain: true\n");
    let f = examine_layers(&y("plain: false\n"), None, Some(&over), &host());
    let plain = find(&f, "plain-mode");
    assert!(
        plain
            .message
            .ends_with("set in `$LIMA_HOME/_config/override.yaml`."),
        "{plain:?}"
    );
    assert!(plain.fix.contains("`limactl edit` cannot change it"));
    assert_eq!(plain.set, None);
    // The same setting in lima.yaml keeps its one-click fix.
    let f = examine_layers(&y("plain: true\n"), None, None, &host());
    assert_eq!(
        find(&f, "plain-mode").set.as_deref(),
        Some(".plain = false")
    );
    assert!(!find(&f, "plain-mode").message.contains("_config"));
}

#[test]
fn a_finding_from_default_yaml_says_so_unless_lima_yaml_sets_it() {
    let d = y("mountType: 9p\nmemory: 2GiB\nmounts:\n- location: /\n");
    let i = y("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/n.qcow2\n  digest: sha512:x\ncontainerd: {user: false}\n");
    let f = examine_layers(&i, Some(&d), None, &host());
    for id in ["mount-type-9p", "memory-low-for-nixos", "mount-too-broad"] {
        let x = find(&f, id);
        assert!(
            x.message
                .contains("set in `$LIMA_HOME/_config/default.yaml`"),
            "{x:?}"
        );
        assert_eq!(x.set, None, "{id}");
    }
    // lima.yaml's own value wins over default.yaml's: an ordinary finding.
    let i2 = y("memory: 4GiB\nimages:\n- location: https://x/nixos.qcow2\n");
    let f = examine_layers(&i2, Some(&d), None, &host());
    let mem = find(&f, "memory-low-for-nixos");
    assert!(!mem.message.contains("default.yaml"));
    assert!(mem.set.is_some());
    // containerd: lima.yaml turned `user` off, override.yaml turns `system` on.
    let o = y("containerd: {system: true}\n");
    let f = examine_layers(&i, Some(&d), Some(&o), &host());
    let c = find(&f, "containerd-on-nixos");
    assert!(c.message.contains("override.yaml"), "{c:?}");
    assert_eq!(c.set, None);
}

#[test]
fn an_image_from_override_yaml_is_blamed_on_it() {
    let o = y("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.0.3/n.qcow2\n  digest: sha512:x\n");
    let f = examine_layers(&y("{}"), None, Some(&o), &host());
    assert!(find(&f, "nixos-lima-image-too-old")
        .message
        .contains("override.yaml"));
}

#[test]
fn examine_with_adds_the_global_files_problems_first() {
    let g = Global::from_reads(
        Ok("mounts: [".into()),
        Ok("ssh: {forwardAgent: true}\n".into()),
    );
    let i = y("images:\n- location: https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/n.qcow2\n  digest: sha512:x\nmemory: 8GiB\ncontainerd: {user: false}\n");
    let f = examine_with(&i, &g, &host());
    let ids: Vec<&str> = f.iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        ["lima-global-config-invalid", "ssh-forward-agent-nixos"],
        "{f:?}"
    );
    assert!(f.iter().all(|f| f.severity == Severity::Error));
    let fa = find(&f, "ssh-forward-agent-nixos");
    assert_eq!(fa.set, None, "override.yaml forces it");
}
