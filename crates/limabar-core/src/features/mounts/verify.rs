//! After a boot, check inside the guest that each writable mount is there, writable and
//! owned by the user's uid — "writable" in lima.yaml is not proof (VirtioFS ownership
//! surprises: Lima #1513, #2437, #4053). Runs `limactl shell --workdir MOUNT NAME sh -c
//! CHECK`: a missing mount fails at Lima's `cd`, and the path is never part of the script.

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

use crate::lima::inventory::Mount;
use crate::lima::limactl::{self, Call};
use crate::lima::locate::Limactl;

/// Prints `w=1 uid=501` (or `w=0 …`) for the current directory.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
const CHECK: &str = "if [ -w . ]; then w=1; else w=0; fi; echo \"w=$w uid=$(stat -c %u . 2>/dev/null || stat -f %u .)\"";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "status", rename_all = "camelCase")]
#[ts(export)]
pub enum MountCheck {
    /// Present and writable, owned by the host user's uid.
    Verified,
    NotMounted {
        detail: String,
    },
    NotWritable,
    /// Writable but owned by someone else: files created in the guest may not be
    /// editable on the Mac (or the other way round).
    #[serde(rename_all = "camelCase")]
    OwnerMismatch {
        guest_uid: u32,
        host_uid: u32,
    },
    /// The check itself could not run (VM not reachable).
    Unknown {
        detail: String,
    },
}

impl MountCheck {
    pub fn explain(&self, mount_point: &str) -> String {
        match self {
            MountCheck::Verified => format!("`{mount_point}` is mounted and writable in the guest"),
            // The check runs after the boot that applied the change: another restart
            // would not help, so say where the guest tells why.
            MountCheck::NotMounted { detail } => format!("`{mount_point}` is not mounted in the guest ({detail}), although the VM booted with it in lima.yaml: the guest could not mount it. Its console log (Logs…) shows why; folders whose path has a space need Limabar's fstab script in lima.yaml (Limabar adds it), and a colon, comma or bracket cannot be mounted at all"),
            MountCheck::NotWritable => format!("`{mount_point}` is mounted read-only in the guest although lima.yaml says writable: a read-only mount listed after it may cover it, or the guest mounted it read-only; `mount` in the guest shows which"),
            MountCheck::OwnerMismatch { guest_uid, host_uid } => format!(
                "`{mount_point}` is owned by uid {guest_uid} in the guest but {host_uid} on the host: VirtioFS passes ownership through, so the guest user (uid = your host uid by default) may not be able to write there"
            ),
            MountCheck::Unknown { detail } => format!("could not check `{mount_point}`: {detail}"),
        }
    }
}

/// The check's call: `sh -c CHECK` in the mount, which Lima's `cd` must reach first.
pub fn call(name: &str, mount_point: &str) -> Call {
    let words = ["sh", "-c", CHECK].map(String::from);
    limactl::shell(name, mount_point, &words, CHECK_TIMEOUT)
}

/// Interprets the check's result.
pub fn interpret(code: i32, stdout: &str, stderr: &str, host_uid: Option<u32>) -> MountCheck {
    if code != 0 {
        let detail = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output")
            .trim()
            .to_string();
        return if detail.contains("cd:") || detail.contains("No such file") {
            MountCheck::NotMounted { detail }
        } else {
            MountCheck::Unknown { detail }
        };
    }
    let field = |k: &str| {
        stdout
            .split_whitespace()
            .find_map(|f| f.strip_prefix(k))
            .map(str::to_string)
    };
    let (Some(w), Some(uid)) = (
        field("w="),
        field("uid=").and_then(|u| u.parse::<u32>().ok()),
    ) else {
        return MountCheck::Unknown {
            detail: format!("unexpected output {:?}", stdout.trim()),
        };
    };
    if w != "1" {
        return MountCheck::NotWritable;
    }
    match host_uid {
        Some(h) if h != uid => MountCheck::OwnerMismatch {
            guest_uid: uid,
            host_uid: h,
        },
        _ => MountCheck::Verified,
    }
}

/// Checks every writable mount of a running instance.
pub async fn verify(limactl: &Limactl, name: &str, mounts: &[Mount]) -> Vec<(Mount, MountCheck)> {
    let mut out = Vec::new();
    for m in mounts.iter().filter(|m| m.writable) {
        let host_uid = std::fs::metadata(&m.location).ok().map(|md| md.uid());
        let call = call(name, &m.mount_point);
        let check =
            match crate::lima::guest::run(&limactl.runner, limactl.features, name, &call).await {
                Ok(o) => interpret(o.code, &o.stdout, &o.stderr, host_uid),
                Err(e) => MountCheck::Unknown {
                    detail: e.to_string(),
                },
            };
        out.push((m.clone(), check));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interprets_every_outcome() {
        assert_eq!(
            interpret(0, "w=1 uid=501\n", "", Some(501)),
            MountCheck::Verified
        );
        assert_eq!(
            interpret(0, "w=0 uid=501\n", "", Some(501)),
            MountCheck::NotWritable
        );
        assert_eq!(
            interpret(0, "w=1 uid=0\n", "", Some(501)),
            MountCheck::OwnerMismatch {
                guest_uid: 0,
                host_uid: 501
            }
        );
        let missing = interpret(
            1,
            "",
            "bash: line 1: cd: /Users/me/app: No such file or directory\n",
            Some(501),
        );
        assert!(
            matches!(missing, MountCheck::NotMounted { .. }),
            "{missing:?}"
        );
        // The check follows a boot: a restart is never the advice.
        assert!(!missing.explain("/Users/me/app").contains("restart"));
        assert!(!MountCheck::NotWritable.explain("/x").contains("restart"));
        assert!(matches!(
            interpret(
                255,
                "",
                "ssh: connect to host 127.0.0.1 port 50122: Connection refused\n",
                None
            ),
            MountCheck::Unknown { .. }
        ));
        assert!(matches!(
            interpret(0, "garbage", "", None),
            MountCheck::Unknown { .. }
        ));
    }

    #[test]
    fn the_path_travels_as_the_workdir_not_in_the_script() {
        let a = call("nixos", "/Users/me/it's $(x)").args;
        assert_eq!(
            &a[..5],
            &[
                "shell",
                "--tty=false",
                "--workdir",
                "/Users/me/it's $(x)",
                "nixos"
            ]
        );
        assert!(!a[7].contains("it's"));
    }
}
