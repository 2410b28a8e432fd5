//! The simulated guest's mounts, made the way a nixos-lima guest makes them, so a folder
//! the real guest would not mount is not mounted here either.
//!
//! At boot Lima renders each mount into cloud-init `user-data`, unquoted and unescaped
//! (`pkg/cidata/cidata.TEMPLATE.d/user-data`: `- [TAG, MOUNTPOINT, TYPE, "OPTIONS", "0",
//! "0"]`, tags from `pkg/limayaml/defaults.go` `MountTag`, options from
//! `pkg/cidata/cidata.go`). nixos-lima's `lima-init.nix` (v0.2.1, 46b73698) copies those
//! lines into `/etc/fstab` between `#LIMA-START` and `#LIMA-END` with an awk program
//! (the core's verbatim copy), runs lima.yaml's system provision scripts, then restarts
//! `local-fs.target`. libmount splits fstab fields on any whitespace, so a mount point
//! with a space leaves a line it cannot parse and skips (lima-vm/lima#5136).
//!
//! The sim writes that fstab at each start (`guest-fstab` in the instance directory) and
//! `shell` sees only the mounts it can parse. Provision scripts would run on this host, so
//! only those that say they act on `$LIMABAR_FSTAB` (Limabar's fstab fix) are run, with
//! it pointing at the simulated fstab. Only a real guest proves a mount: the contract
//! suite against real Lima on a Mac.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::env::SimEnv;
use crate::store::{fill_defaults, Inst};

/// nixos-lima `lima-init.nix`, the awk program that turns user-data into fstab lines:
/// the verbatim copy the core's fstab-script tests run too.
const LIMA_INIT_AWK: &str =
    include_str!("../../limabar-core/src/features/mounts/guest_fstab/lima-init-fstab.awk");

pub const FSTAB: &str = "guest-fstab";

/// `pkg/limayaml/defaults.go` `MountTag`.
fn mount_tag(location: &str, mount_point: &str) -> String {
    let sha = Sha256::digest(format!("{location}:{mount_point}").as_bytes());
    let hex: String = sha[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("lima-{hex}")
}

/// The mount type Lima resolves: the setting, else virtiofs on VZ and 9p on QEMU
/// (`pkg/driver/vz/vz_driver_darwin.go`, `pkg/driver/qemu/qemu_driver.go` `fillConfig`).
fn mount_type(cfg: &Value, vm_type: &str) -> String {
    cfg.get("mountType")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| if vm_type == "vz" { "virtiofs" } else { "9p" }.into())
}

/// The `mounts:` section of user-data, as Lima's template renders it.
pub fn user_data(filled: &Value, fstype: &str) -> String {
    let mut out = String::from("#cloud-config\nmounts:\n");
    for m in filled["mounts"].as_array().into_iter().flatten() {
        let loc = m["location"].as_str().unwrap_or("");
        let mp = m["mountPoint"].as_str().unwrap_or(loc);
        let rw = if m["writable"].as_bool().unwrap_or(false) {
            "rw"
        } else {
            "ro"
        };
        let options = if fstype == "9p" {
            format!("{rw},trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail")
        } else {
            format!("{rw},nofail")
        };
        out.push_str(&format!(
            "- [{}, {mp}, {fstype}, \"{options}\", \"0\", \"0\"]\n",
            mount_tag(loc, mp)
        ));
    }
    out.push_str("\nusers:\n  - name: \"sim\"\n");
    out
}

/// Runs nixos-lima's awk on `user_data`.
fn lima_init_fstab(user_data: &str) -> String {
    let run = || -> std::io::Result<String> {
        let mut child = Command::new("awk")
            .arg(LIMA_INIT_AWK)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(user_data.as_bytes())?;
        Ok(String::from_utf8_lossy(&child.wait_with_output()?.stdout).into_owned())
    };
    run().unwrap_or_default()
}

/// At start: the guest's fstab, and the provision scripts that act on it.
pub fn boot(env: &SimEnv, inst: &Inst, raw: &Value) {
    let filled = fill_defaults(env, raw, &inst.name);
    let fstype = mount_type(raw, &inst.vm_type(raw));
    let path = inst.path(FSTAB);
    let body = if fstype == "reverse-sshfs" {
        // Mounted by the host agent over sshfs, not through fstab: every folder works.
        filled["mounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                format!(
                    "sshfs\t{}\tfuse.sshfs\trw\t0\t0\n",
                    escape(m["mountPoint"].as_str().unwrap_or(""))
                )
            })
            .collect()
    } else {
        lima_init_fstab(&user_data(&filled, &fstype))
    };
    let fstab = format!("# the simulated guest's /etc/fstab\n#LIMA-START\n{body}#LIMA-END\n");
    if std::fs::write(&path, fstab).is_err() {
        return;
    }
    for script in system_scripts(raw) {
        let _ = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("LIMABAR_FSTAB", &path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status();
    }
}

fn system_scripts(raw: &Value) -> Vec<String> {
    raw["provision"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["mode"].as_str().unwrap_or("system") == "system")
        .filter_map(|p| p["script"].as_str())
        .filter(|s| s.contains("LIMABAR_FSTAB"))
        .map(str::to_string)
        .collect()
}

fn escape(path: &str) -> String {
    path.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('\t', "\\011")
}

/// fstab(5) octal escapes, as libmount decodes them.
fn unescape(field: &str) -> String {
    let mut out = Vec::new();
    let b = field.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // `\ooo`, three octal digits (at most \377).
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d[0] <= b'3' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        if let (b'\\', Some(d)) = (b[i], octal) {
            out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mount points the guest has: the fstab lines libmount can parse (fields split on
/// whitespace, at most six, the last two numbers), decoded. None before a first boot.
pub fn mounted(inst: &Inst) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(inst.path(FSTAB)).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let numbers_ok = f.iter().skip(4).all(|n| n.parse::<u32>().is_ok());
                (f.len() >= 4 && f.len() <= 6 && numbers_ok).then(|| unescape(f[1]))
            })
            .collect(),
    )
}

/// Whether `dir` is inside one of the guest's mounts.
pub fn is_inside_mount(inst: &Inst, dir: &str) -> bool {
    mounted(inst).unwrap_or_default().iter().any(|m| {
        !m.is_empty() && (dir == m || dir.starts_with(&format!("{}/", m.trim_end_matches('/'))))
    }) && Path::new(dir).is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_limas() {
        // sha256("/Users/me:/Users/me")[0:8], as Lima's MountTag computes it.
        let t = mount_tag("/Users/me", "/Users/me");
        assert!(t.starts_with("lima-") && t.len() == 5 + 16, "{t}");
    }

    #[test]
    fn a_space_breaks_the_line_and_escaping_mends_it() {
        let filled = serde_json::json!({"mounts": [
            {"location": "/a b", "mountPoint": "/a b", "writable": true},
            {"location": "/plain", "mountPoint": "/plain", "writable": false},
        ]});
        let lines = lima_init_fstab(&user_data(&filled, "virtiofs"));
        assert_eq!(lines.lines().count(), 2, "{lines}");
        assert!(
            lines.contains("\t/a b\tvirtiofs\trw,nofail\t0\t0"),
            "{lines}"
        );
        let dir = std::env::temp_dir().join(format!("sim-guest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inst = Inst {
            name: "t".into(),
            dir: dir.clone(),
        };
        std::fs::write(inst.path(FSTAB), &lines).unwrap();
        assert_eq!(mounted(&inst).unwrap(), vec!["/plain".to_string()]);
        std::fs::write(inst.path(FSTAB), lines.replace("/a b", "/a\\040b")).unwrap();
        assert_eq!(
            mounted(&inst).unwrap(),
            vec!["/a b".to_string(), "/plain".into()]
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
