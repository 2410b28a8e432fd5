//! One function per rule: lima.yaml (as JSON values) and host facts in, findings out.
//! Ids are stable: the CLI's JSON and the UI use them.

use serde_json::Value;

use super::size::{self, GIB};
use super::{Finding, Host, Severity};

type Rule = fn(&Value, &Host) -> Vec<Finding>;

pub const ALL: &[Rule] = &[
    plain_mode,
    mount_type_9p,
    mount_path_differs,
    mount_too_broad,
    containerd_on_nixos,
    nixos_lima_image_too_old,
    image_without_digest,
    vm_type_not_vz,
    memory_low_for_nixos,
    lima_too_old,
    macos_too_old_for_vz,
];

fn finding(
    id: &'static str,
    severity: Severity,
    message: impl Into<String>,
    why: &str,
    fix: impl Into<String>,
    set: Option<&str>,
) -> Finding {
    Finding {
        id,
        severity,
        message: message.into(),
        why: why.into(),
        fix: fix.into(),
        set: set.map(String::from),
    }
}

fn images(c: &Value) -> Vec<&Value> {
    c.get("images")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn location(v: &Value) -> &str {
    v.get("location").and_then(Value::as_str).unwrap_or("")
}

/// The nixos-lima release of an image URL (`…/download/v0.2.1/…` → (0, 2, 1)).
fn nixos_lima_release(url: &str) -> Option<(u32, u32, u32)> {
    if !url.contains("nixos-lima") {
        return None;
    }
    let tag = url.split("/download/").nth(1)?.split('/').next()?;
    let mut parts = tag
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

/// A NixOS guest: an image from nixos-lima (or any image with "nixos" in its name).
fn is_nixos(c: &Value) -> bool {
    images(c)
        .iter()
        .any(|i| location(i).to_ascii_lowercase().contains("nixos"))
}

fn mounts(c: &Value) -> Vec<&Value> {
    c.get("mounts")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn expand(path: &str, host: &Host) -> String {
    match (path.strip_prefix('~'), &host.home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => path.to_string(),
    }
}

fn plain_mode(c: &Value, _: &Host) -> Vec<Finding> {
    if c.get("plain").and_then(Value::as_bool) != Some(true) {
        return vec![];
    }
    vec![finding(
        "plain-mode",
        Severity::Error,
        "Plain mode is on (`plain: true`).",
        "Plain mode turns off the guest agent, mounts and port forwarding: your project \
         folders do not appear in the VM and `nix develop` cannot see them.",
        "Turn plain mode off.",
        Some(".plain = false"),
    )]
}

fn mount_type_9p(c: &Value, _: &Host) -> Vec<Finding> {
    if c.get("mountType").and_then(Value::as_str) != Some("9p") {
        return vec![];
    }
    vec![finding(
        "mount-type-9p",
        Severity::Error,
        "Mounts use 9p (`mountType: 9p`).",
        "9p is broken with Linux 6.9–6.11 guests and the VZ driver rejects it; NixOS \
         images run recent kernels.",
        "Let Lima choose (virtiofs on VZ).",
        Some("del(.mountType)"),
    )]
}

fn mount_path_differs(c: &Value, host: &Host) -> Vec<Finding> {
    mounts(c)
        .iter()
        .filter_map(|m| {
            let point = m.get("mountPoint").and_then(Value::as_str)?;
            let loc = location(m);
            (expand(point, host) != expand(loc, host)).then(|| {
                finding(
                    "mount-path-differs",
                    Severity::Warning,
                    format!("`{loc}` is mounted at `{point}` in the VM."),
                    "Flakes and their lock files record absolute paths: `nix develop` and \
                     editors work best when a folder has the same path on the Mac and in \
                     the VM.",
                    format!("Mount `{loc}` at the same path (remove its `mountPoint`)."),
                    None,
                )
            })
        })
        .collect()
}

fn mount_too_broad(c: &Value, host: &Host) -> Vec<Finding> {
    mounts(c)
        .iter()
        .filter_map(|m| {
            let loc = location(m);
            let path = expand(loc, host);
            let path = path.trim_end_matches('/');
            let writable = m.get("writable").and_then(Value::as_bool) == Some(true);
            let is_home = host.home.as_deref().map(|h| h.trim_end_matches('/')) == Some(path);
            let system = matches!(path, "" | "/Users" | "/Volumes" | "/home");
            (system || (is_home && writable)).then(|| {
                finding(
                    "mount-too-broad",
                    Severity::Warning,
                    format!(
                        "`{loc}` is mounted{}.",
                        if writable { " writable" } else { "" }
                    ),
                    "A whole disk or home folder over VirtioFS makes every tool that walks \
                     it (git, nix, editors' file watchers) slow, and a writable home lets \
                     the VM change everything you own.",
                    "Mount only your project folders writable (keep `~` read-only).",
                    None,
                )
            })
        })
        .collect()
}

fn containerd_on_nixos(c: &Value, _: &Host) -> Vec<Finding> {
    if !is_nixos(c) {
        return vec![];
    }
    let flag = |k: &str| {
        c.get("containerd")
            .and_then(|v| v.get(k))
            .and_then(Value::as_bool)
    };
    // Lima's default is `user: true`.
    let on = flag("system") == Some(true) || flag("user") != Some(false);
    if !on {
        return vec![];
    }
    vec![finding(
        "containerd-on-nixos",
        Severity::Error,
        "containerd is on for a NixOS guest.",
        "nixos-lima does not run Lima's containerd setup, so the start waits ~10 minutes \
         for containerd and ends degraded.",
        "Turn containerd off.",
        Some(".containerd.system = false | .containerd.user = false"),
    )]
}

fn nixos_lima_image_too_old(c: &Value, host: &Host) -> Vec<Finding> {
    let old = images(c)
        .into_iter()
        .map(location)
        .find(|l| nixos_lima_release(l).is_some_and(|r| r < (0, 0, 5)));
    let Some(url) = old else { return vec![] };
    let hangs = host.lima.is_none_or(|v| v.at_least(2, 1));
    vec![finding(
        "nixos-lima-image-too-old",
        if hangs {
            Severity::Error
        } else {
            Severity::Warning
        },
        format!("The image is a nixos-lima release older than v0.0.5 (`{url}`)."),
        "Those images wait for boot markers that Lima 2.1 and later no longer write: the \
         start hangs at \"boot scripts must have finished\".",
        "Create a new VM from nixos-lima v0.2.1 (\"New NixOS VM…\" or `limabar create`); \
         an existing disk keeps its old system.",
        None,
    )]
}

fn image_without_digest(c: &Value, _: &Host) -> Vec<Finding> {
    let missing: Vec<&str> = images(c)
        .into_iter()
        .filter(|i| i.get("digest").and_then(Value::as_str).is_none())
        .map(location)
        .filter(|l| l.starts_with("http"))
        .collect();
    if missing.is_empty() {
        return vec![];
    }
    vec![finding(
        "image-without-digest",
        Severity::Info,
        format!(
            "{} image(s) have no digest ({}).",
            missing.len(),
            missing[0]
        ),
        "Without a digest Lima cannot verify the download, and a changed file at the same \
         URL goes unnoticed.",
        "Add the `digest:` published with the release.",
        None,
    )]
}

fn vm_type_not_vz(c: &Value, host: &Host) -> Vec<Finding> {
    let vm = c.get("vmType").and_then(Value::as_str);
    if !host.macos || matches!(vm, None | Some("vz")) {
        return vec![];
    }
    vec![finding(
        "vm-type-not-vz",
        Severity::Warning,
        format!(
            "The VM uses `{}`, not Apple's Virtualization framework.",
            vm.unwrap_or("")
        ),
        "On macOS 13+ VZ boots faster and shares folders with VirtioFS, much faster than \
         the alternatives.",
        "Create the VM with `vmType: vz` (an existing VM keeps its type).",
        None,
    )]
}

fn memory_low_for_nixos(c: &Value, _: &Host) -> Vec<Finding> {
    if !is_nixos(c) {
        return vec![];
    }
    // Lima's default is 4 GiB (or half the host's memory, whichever is smaller).
    let mem = c.get("memory").and_then(size::bytes).unwrap_or(4 * GIB);
    if mem >= 8 * GIB {
        return vec![];
    }
    vec![finding(
        "memory-low-for-nixos",
        Severity::Warning,
        format!("The VM has {:.1} GiB of memory.", mem as f64 / GIB as f64),
        "nixos-lima asks for 8 GiB: evaluating nixpkgs and building derivations run out of \
         memory below that.",
        "Give it 8 GiB.",
        Some(".memory = \"8GiB\""),
    )]
}

fn lima_too_old(_: &Value, host: &Host) -> Vec<Finding> {
    match host.lima {
        Some(v) if !v.at_least(2, 0) => vec![finding(
            "lima-too-old",
            Severity::Error,
            format!("Lima {v} is installed."),
            "Limabar needs Lima 2.0 or newer.",
            "brew upgrade lima",
            None,
        )],
        _ => vec![],
    }
}

fn macos_too_old_for_vz(_: &Value, host: &Host) -> Vec<Finding> {
    match host.macos_major {
        Some(v) if host.macos && v < 13 => vec![finding(
            "macos-too-old-for-vz",
            Severity::Error,
            format!("macOS {v} is too old for VZ with VirtioFS."),
            "Lima's VZ driver and VirtioFS mounts need macOS 13 (Ventura) or newer.",
            "Update macOS, or use `vmType: qemu` (slower).",
            None,
        )],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests;
