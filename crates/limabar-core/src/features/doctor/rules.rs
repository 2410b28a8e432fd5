//! One function per rule: a config (lima.yaml, or the effective config of
//! `layers::effective`, as JSON values) and host facts in, findings out, each marked with
//! the settings it is about (`Blame`) so that `layers::attribute` can name a global file.
//! Ids are stable: the CLI's JSON and the UI use them.

use serde_json::Value;

use super::size::{self, GIB};
use super::{Arch, Blame, Finding, Host, Severity};
use crate::lima::version::LimaVersion;

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
    lima_guest_agent_vulnerable,
    nixos_lima_guest_agent_socket,
    ssh_forward_agent_nixos,
    vz_intel_new_kernel,
    port_forwards_empty,
    memory_held_until_restart,
];

/// Lima 2.1.3 gives the guest agent's UNIX socket to the main user, mode 0600 (it was
/// 0777): `8a458923` "guestagent: limit the socket access to the main user", merged as
/// `1285a6d7` "Merge commit from fork" (`git log v2.1.2..v2.1.3`), also in v2.2.0
/// (`b08cae8a`). nixos-lima's CHANGELOG.adoc [0.2.1] names it Lima security advisory
/// GHSA-2j9v-p4xj-cjw2.
const GUEST_AGENT_SOCKET_FIXED: LimaVersion = LimaVersion {
    major: 2,
    minor: 1,
    patch: 3,
};

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
        snippet: None,
        blame: Blame::Host,
    }
}

impl Finding {
    /// Which settings the finding is about (see `layers::attribute`).
    fn on(mut self, blame: Blame) -> Finding {
        self.blame = blame;
        self
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

/// The VM type Lima will use: `vmType`, else VZ on macOS (QEMU for a foreign `arch`)
/// and QEMU elsewhere (pkg/driverutil/vm.go `ResolveVMType`, pkg/limatype/lima_yaml.go
/// `DefaultDriver`, v2.2.0).
fn vm_type<'a>(c: &'a Value, host: &Host) -> &'a str {
    if let Some(t) = c.get("vmType").and_then(Value::as_str) {
        return t;
    }
    let foreign = match (c.get("arch").and_then(Value::as_str), host.arch) {
        (Some(a), Some(h)) => a != "default" && a != h.lima_name(),
        _ => false,
    };
    if host.macos && !foreign {
        "vz"
    } else {
        "qemu"
    }
}

fn plain(c: &Value) -> bool {
    c.get("plain").and_then(Value::as_bool) == Some(true)
}

/// The first image from a nixos-lima release matching `pred`, with its index.
fn nixos_lima_image(c: &Value, pred: impl Fn((u32, u32, u32)) -> bool) -> Option<(usize, &str)> {
    images(c)
        .into_iter()
        .map(location)
        .enumerate()
        .find(|(_, l)| nixos_lima_release(l).is_some_and(&pred))
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

/// What plain mode turns off (Lima v2.2.0): the guest agent (pkg/instance/start.go
/// `needsGuestAgent`, pkg/hostagent/hostagent.go `hasGuestAgentDaemon`) and with it the
/// host-to-guest clock sync (`go a.startTimeSync(ctx)` runs only with the guest agent;
/// pkg/hostagent/timesync.go, since v2.1.0, every 10 s, for the drift after the host
/// sleeps: commit 907f9e09); mounts, non-static port forwards, containerd and the
/// host's time zone (pkg/limayaml/defaults.go `fixUpForPlainMode`).
fn plain_mode(c: &Value, _: &Host) -> Vec<Finding> {
    if !plain(c) {
        return vec![];
    }
    vec![finding(
        "plain-mode",
        Severity::Error,
        "Plain mode is on (`plain: true`).",
        "Plain mode turns off the guest agent, mounts and port forwarding: your project \
         folders do not appear in the VM and `nix develop` cannot see them. Without the \
         guest agent Lima also stops syncing the VM's clock with the Mac's, so after the \
         Mac sleeps the VM's time lags behind (TLS certificates, nix caches and build \
         tools see the wrong time).",
        "Turn plain mode off.",
        Some(".plain = false"),
    )
    .on(Blame::Keys(&["plain"]))]
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
    )
    .on(Blame::Keys(&["mountType"]))]
}

fn mount_path_differs(c: &Value, host: &Host) -> Vec<Finding> {
    mounts(c)
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
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
                .on(Blame::Mount(i))
            })
        })
        .collect()
}

fn mount_too_broad(c: &Value, host: &Host) -> Vec<Finding> {
    mounts(c)
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
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
                .on(Blame::Mount(i))
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
    // Lima's default is `user: true` (for Linux guests on x86_64/aarch64).
    let system = flag("system") == Some(true);
    let user = flag("user") != Some(false);
    let keys: &'static [&'static str] = match (system, user) {
        (false, false) => return vec![],
        (true, false) => &["containerd.system"],
        (false, true) => &["containerd.user"],
        (true, true) => &["containerd.system", "containerd.user"],
    };
    vec![finding(
        "containerd-on-nixos",
        Severity::Error,
        "containerd is on for a NixOS guest.",
        "nixos-lima does not run Lima's containerd setup, so the start waits ~10 minutes \
         for containerd and ends degraded.",
        "Turn containerd off.",
        Some(".containerd.system = false | .containerd.user = false"),
    )
    .on(Blame::Keys(keys))]
}

fn nixos_lima_image_too_old(c: &Value, host: &Host) -> Vec<Finding> {
    let Some((i, url)) = nixos_lima_image(c, |r| r < (0, 0, 5)) else {
        return vec![];
    };
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
    )
    .on(Blame::Image(i))]
}

fn image_without_digest(c: &Value, _: &Host) -> Vec<Finding> {
    let missing: Vec<(usize, &str)> = images(c)
        .into_iter()
        .enumerate()
        .filter(|(_, i)| i.get("digest").and_then(Value::as_str).is_none())
        .map(|(n, i)| (n, location(i)))
        .filter(|(_, l)| l.starts_with("http"))
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
            missing[0].1
        ),
        "Without a digest Lima cannot verify the download, and a changed file at the same \
         URL goes unnoticed.",
        "Add the `digest:` published with the release.",
        None,
    )
    .on(Blame::Image(missing[0].0))]
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
    )
    .on(Blame::Keys(&["vmType"]))]
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
    )
    .on(Blame::Keys(&["memory"]))]
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

/// Lima before 2.1.3: its guest agent (root) listens on a UNIX socket open to everyone
/// in the VM (`os.Chmod(socket, 0o777)`, cmd/lima-guestagent/daemon_linux.go v2.1.2);
/// 2.1.3 makes it the main user's, 0600 (same file, v2.1.3). The socket is used when
/// the driver has no vsock or virtio port: QEMU (pkg/driver/qemu/qemu_driver.go
/// `vSockPort: 0`); VZ listens on vsock 2222 (pkg/driver/vz/vz_driver_darwin.go).
/// Below 2.0 `lima-too-old` already says to upgrade.
fn lima_guest_agent_vulnerable(c: &Value, host: &Host) -> Vec<Finding> {
    let Some(v) = host.lima else { return vec![] };
    if v >= GUEST_AGENT_SOCKET_FIXED || !v.at_least(2, 0) {
        return vec![];
    }
    let qemu = vm_type(c, host) == "qemu";
    let mut fix = "Upgrade Lima to 2.1.3 or newer (`brew upgrade lima`).".to_string();
    if is_nixos(c) {
        fix.push_str(
            " NixOS VMs then need a nixos-lima image from v0.2.1 or newer for the guest \
             agent to work with it.",
        );
    }
    vec![finding(
        "lima-guest-agent-vulnerable",
        if qemu {
            Severity::Error
        } else {
            Severity::Warning
        },
        format!(
            "Lima {v} has a guest-agent privilege escalation (CVE-2026-53657), fixed in \
             2.1.3."
        ),
        if qemu {
            "Lima's guest agent runs as root in the VM. Before 2.1.3 its socket, which \
             QEMU VMs use, is open to every user and process in the VM (mode 0777); 2.1.3 \
             limits it to your user."
        } else {
            "Lima's guest agent runs as root in the VM. Before 2.1.3 its socket is open to \
             every user and process in the VM (mode 0777); 2.1.3 limits it to your user. \
             VZ VMs like this one reach the agent over vsock instead of that socket, but \
             any QEMU VM run by this Lima is exposed."
        },
        fix,
        None,
    )]
}

/// A nixos-lima image before v0.2.1 with Lima 2.1.3+: nixos-lima starts the guest agent
/// itself (lima-init.nix `lima-guestagent daemon --vsock-port "$LIMA_CIDATA_VSOCK_PORT"`,
/// v0.2), not through Lima's boot script, which 2.1.3 changed to pass `--socket-owner
/// "${LIMA_CIDATA_UID}"` (pkg/cidata/cidata.TEMPLATE.d/boot.Linux/25-guestagent-base.sh,
/// v2.1.3). Without it the socket stays root's, 0600, and the host agent, which reaches
/// it over SSH as the user (pkg/hostagent/hostagent.go `forwardGuestAgentSock`,
/// `/run/lima-guestagent.sock`), is refused: "guest agent does not seem to be running"
/// (hostagent.go), degraded. nixos-lima v0.2.1 passes the flag (commit bff2d7d;
/// CHANGELOG.adoc [0.2.1]: "nixos-lima images may need to be updated for
/// `lima-guestagent` to start properly"). Only the UNIX socket changed: VZ's vsock
/// listener is untouched (cmd/lima-guestagent/daemon_linux.go, v2.1.3).
fn nixos_lima_guest_agent_socket(c: &Value, host: &Host) -> Vec<Finding> {
    if plain(c) || host.lima.is_some_and(|v| v < GUEST_AGENT_SOCKET_FIXED) {
        return vec![];
    }
    let Some((i, url)) = nixos_lima_image(c, |r| r < (0, 2, 1)) else {
        return vec![];
    };
    let qemu = vm_type(c, host) == "qemu";
    vec![finding(
        "nixos-lima-guest-agent-socket",
        if qemu {
            Severity::Error
        } else {
            Severity::Info
        },
        format!(
            "The image is a nixos-lima release older than v0.2.1 (`{url}`), made before \
             Lima 2.1.3 changed the guest agent's socket."
        ),
        if qemu {
            "Lima 2.1.3 and later hand the guest agent's socket to your user only when \
             the agent is started with `--socket-owner`, which nixos-lima does since \
             v0.2.1. Older images start it without: the socket stays root's, Lima cannot \
             reach the agent, and the start ends degraded (\"guest agent does not seem to \
             be running\") without port forwarding."
        } else {
            "Lima 2.1.3 and later hand the guest agent's socket to your user only when \
             the agent is started with `--socket-owner`, which nixos-lima does since \
             v0.2.1. VZ VMs reach the agent over vsock, which did not change, so this VM \
             should still work; nixos-lima advises updating the image."
        },
        "Create a new VM from nixos-lima v0.2.1 (\"New NixOS VM…\" or `limabar create`); \
         an existing disk keeps its old system until you rebuild it from nixos-lima v0.2.1 \
         or newer.",
        None,
    )
    .on(Blame::Image(i))]
}

/// `ssh.forwardAgent: true` with Lima 2.2+ on nixos-lima: since 2.2 the host agent links
/// the agent socket without sudo (`ln -sf "${SSH_AUTH_SOCK}"
/// /run/host-services/ssh-auth.sock`, pkg/hostagent/hostagent.go v2.2.0; commit
/// a5a00f36 "refactor: drop sudo for SSH host-services setup") and leaves creating the
/// folder to a boot script (pkg/cidata/cidata.TEMPLATE.d/boot.Linux/26-host-services.sh,
/// v2.2.0). nixos-lima runs its own boot (lima-init.nix, v0.2.1 and main), which does
/// not create /run/host-services, so the link fails, its error is appended to the start
/// errors and the instance is degraded (hostagent.go `stRunning.Degraded = true`;
/// pkg/instance/start.go "DEGRADED"). Ignored in plain mode (hostagent.go).
fn ssh_forward_agent_nixos(c: &Value, host: &Host) -> Vec<Finding> {
    let on = c
        .get("ssh")
        .and_then(|s| s.get("forwardAgent"))
        .and_then(Value::as_bool)
        == Some(true);
    if !on || plain(c) || host.lima.is_some_and(|v| !v.at_least(2, 2)) {
        return vec![];
    }
    let Some((_, url)) = nixos_lima_image(c, |r| r <= (0, 2, 1)) else {
        return vec![];
    };
    vec![finding(
        "ssh-forward-agent-nixos",
        Severity::Error,
        format!(
            "SSH agent forwarding is on (`ssh.forwardAgent: true`) with a nixos-lima image \
             up to v0.2.1 (`{url}`)."
        ),
        "Lima 2.2 links the forwarded agent into /run/host-services, a folder its own boot \
         scripts create. nixos-lima (up to v0.2.1) boots without them, so the link fails \
         and the start ends degraded (nixos-lima#121).",
        "Turn agent forwarding off (it also stops it in `limactl shell`); turn it on again \
         once nixos-lima creates /run/host-services.",
        Some(".ssh.forwardAgent = false"),
    )
    .on(Blame::Keys(&["ssh.forwardAgent"]))]
}

/// VZ on an Intel Mac below macOS 15.5: Lima only warns, "On Intel Mac, macOS 15.5 or
/// later is required to run Linux 6.12 or later. Update macOS, or change vmType to
/// `qemu` if the VM does not start up. (https://github.com/lima-vm/lima/issues/3334)"
/// (pkg/driver/vz/vz_driver_darwin.go `validateConfig`: `runtime.GOARCH == "amd64" &&
/// macOSProductVersion.LessThan(15.5.0)`, v2.0.0–v2.2.0). nixos-lima boots
/// `pkgs.linuxPackages_latest` (lima.nix `boot.kernelPackages`, v0.0.5–v0.2.1). Below
/// macOS 13 VZ does not run at all (`macos-too-old-for-vz`).
fn vz_intel_new_kernel(c: &Value, host: &Host) -> Vec<Finding> {
    if !host.macos || host.arch != Some(Arch::X8664) || vm_type(c, host) != "vz" {
        return vec![];
    }
    let (version, old) = match (host.macos_major, host.macos_minor) {
        (Some(major), _) if major < 13 => return vec![],
        (Some(major), Some(minor)) => (format!("{major}.{minor}"), (major, minor) < (15, 5)),
        (Some(major), None) if major < 15 => (major.to_string(), true),
        _ => return vec![],
    };
    if !old {
        return vec![];
    }
    let nixos = is_nixos(c);
    vec![finding(
        "vz-intel-new-kernel",
        if nixos {
            Severity::Warning
        } else {
            Severity::Info
        },
        format!("VZ on an Intel Mac with macOS {version}: Linux 6.12 or later may not boot."),
        if nixos {
            "Lima warns that on Intel Macs VZ needs macOS 15.5 or later to run Linux 6.12 \
             or later (lima#3334), and nixos-lima boots NixOS's latest kernel, newer than \
             that."
        } else {
            "Lima warns that on Intel Macs VZ needs macOS 15.5 or later to run Linux 6.12 \
             or later (lima#3334): a guest with a recent kernel may not start."
        },
        "Update macOS to 15.5 or later, or create the VM with `vmType: qemu` (slower).",
        None,
    )
    .on(Blame::Keys(&["vmType"]))]
}

#[cfg(test)]
mod tests;

/// `portForwards: []` does not turn forwarding off: the host agent always appends Lima's
/// default rule (every port the guest opens on 127.0.0.1 or ::1, to the same port on the
/// host's 127.0.0.1) after the configured ones (`pkg/hostagent/port.go`
/// `portForwardRules`, lima-vm/lima 183a60d7). What turns it off is a first rule that
/// matches every guest address and port and ignores them: guest IP 0.0.0.0 with
/// `guestIPMustBeZero: false` matches any address (`pkg/portfwd/forward.go`
/// `forwardingAddresses`), the port range defaults to 1–65535
/// (`pkg/limayaml/defaults.go` `FillPortForwardDefaults`).
fn port_forwards_empty(c: &Value, _: &Host) -> Vec<Finding> {
    let empty = c
        .get("portForwards")
        .and_then(Value::as_array)
        .is_some_and(|a| a.is_empty());
    if !empty {
        return vec![];
    }
    vec![finding(
        "port-forwards-empty",
        Severity::Info,
        "`portForwards: []` does not turn port forwarding off.",
        "Lima always adds its default rule after yours: every port a guest program opens \
         on 127.0.0.1 (or ::1) is still forwarded to the same port on this machine, and \
         an empty list changes nothing.",
        "To forward nothing, ignore every port with one rule (the fix does this); to \
         forward some, list them and end with that rule. Or remove the empty list.",
        Some(r#".portForwards = [{"guestIP": "0.0.0.0", "guestIPMustBeZero": false, "ignore": true}]"#),
    )
    .on(Blame::Keys(&["portForwards"]))]
}

/// `memory:` is the most the guest may use, and what it has touched the VM keeps: Lima's
/// VZ VM has a balloon device whose target it never sets (`pkg/driver/vz/vm_darwin.go`
/// `attachOtherDevices`, lima-vm/lima 183a60d7), and its QEMU VM has none, so memory freed
/// in the guest (a nix build's page cache) goes back to this machine only when the VM
/// restarts. A VM allowed more than half of this machine's memory can hold that much all
/// day. Lima's default is half of it, at most 4 GiB, so never more (`pkg/limayaml/defaults.go`
/// `defaultMemory`).
fn memory_held_until_restart(c: &Value, host: &Host) -> Vec<Finding> {
    let Some(total) = host.memory_bytes.filter(|t| *t > 0) else {
        return vec![];
    };
    let mem = c
        .get("memory")
        .and_then(size::bytes)
        .unwrap_or((total / 2).min(4 * GIB));
    if mem * 2 <= total {
        return vec![];
    }
    let gib = |b: u64| b as f64 / GIB as f64;
    // A quarter of this machine, not below what the guest needs (nixos-lima asks 8 GiB).
    let floor = if is_nixos(c) { 8 * GIB } else { 4 * GIB };
    let lower = (total / 4 / GIB * GIB).max(floor);
    let set =
        (lower < mem && lower * 2 < total).then(|| format!(".memory = \"{}GiB\"", lower / GIB));
    let fix = match &set {
        Some(_) => format!(
            "Give it {:.0} GiB (the fix), or restart it after big builds: Limabar shows what \
             each running VM holds and offers the restart when it holds much more than it uses.",
            gib(lower)
        ),
        None => "Restart it after big builds: Limabar shows what each running VM holds and \
                 offers the restart when it holds much more than it uses."
            .into(),
    };
    let f = finding(
        "memory-held-until-restart",
        Severity::Warning,
        format!(
            "This VM can keep {:.0} GiB of this computer's {:.0} GiB until it restarts.",
            gib(mem),
            gib(total)
        ),
        "`memory:` is the most the guest may use, and what it once used the VM keeps: \
         memory the guest frees (after a nix build, say) is not given back to this computer \
         while the VM runs — Lima's VZ VM never inflates its balloon and its QEMU VM has \
         none — only a restart returns it.",
        fix,
        set.as_deref(),
    );
    vec![f.on(Blame::Keys(&["memory"]))]
}
