//! Why a start failed or came up degraded, in plain words with a fix: known patterns in
//! the host agent's log (`ha.stderr.log`), the event `errors`, limactl's stderr and the
//! console log, combined with the doctor's findings on the instance's lima.yaml (a
//! missing guest agent means something different in plain mode than with containerd on).

use serde::Serialize;
use ts_rs::TS;

use crate::features::doctor::Finding;
use crate::lima::halog::{human_message, requirement};

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Explanation {
    /// Stable id of the pattern (`guest-agent-not-running`, `start-timeout`, …).
    pub id: &'static str,
    pub cause: String,
    pub fix: String,
}

/// What is known about a failed or degraded start.
#[derive(Debug, Default)]
pub struct Evidence<'a> {
    pub name: &'a str,
    /// `ha.stderr.log` (its tail is enough).
    pub ha_log: &'a str,
    /// The console log's tail (`serialv.log` on VZ, `serial.log` on QEMU).
    pub console: &'a str,
    /// The degraded event's `errors`, or the failure reason Limabar showed.
    pub errors: &'a [String],
    /// limactl's own stderr, when Limabar ran the start.
    pub limactl_stderr: &'a str,
    /// The doctor's findings on the instance's lima.yaml.
    pub findings: &'a [Finding],
}

fn explanation(id: &'static str, cause: impl Into<String>, fix: impl Into<String>) -> Explanation {
    Explanation {
        id,
        cause: cause.into(),
        fix: fix.into(),
    }
}

/// The last requirement the host agent was waiting for and never saw satisfied.
fn stuck_requirement(ha_log: &str) -> Option<String> {
    let mut waiting: Option<String> = None;
    for line in ha_log.lines() {
        let msg = human_message(line);
        if let Some(r) = requirement(&msg) {
            waiting = Some(r.description);
        } else if msg.contains(" requirement ") && msg.ends_with("is satisfied") {
            waiting = None;
        }
    }
    waiting
}

/// The last error-level messages of a logrus log, newest last.
fn last_errors(log: &str, n: usize) -> Vec<String> {
    let errs: Vec<String> = log
        .lines()
        .filter(|l| {
            l.contains("level=error")
                || l.contains("level=fatal")
                || l.contains("\"level\":\"error\"")
                || l.contains("\"level\":\"fatal\"")
        })
        .map(human_message)
        .collect();
    errs[errs.len().saturating_sub(n)..].to_vec()
}

pub fn explain(e: &Evidence) -> Option<Explanation> {
    let all = format!(
        "{}\n{}\n{}",
        e.ha_log,
        e.errors.join("\n"),
        e.limactl_stderr
    );
    let has = |id: &str| e.findings.iter().any(|f| f.id == id);
    let name = crate::quote::quote(e.name);
    // What Lima really prints for a host agent that left its pid file (a crash, a forced
    // quit, a reboot that reused the pid): `limactl start` stops at the inspection's
    // errors (`cmd/limactl/start.go`: "errors inspecting instance: [failed to get Info
    // from `…/ha.sock`: …]", `pkg/store/instance.go` `Inspect`), or at an unreadable
    // pid file (`ReadPIDFile`: "strconv.Atoi: …"). "seems running" is a race's.
    let inspect_failed = all.lines().any(|l| {
        l.contains("errors inspecting instance")
            && (l.contains("ha.sock") || l.contains("strconv.Atoi"))
    });
    if inspect_failed || all.contains("seems running (hint: remove") {
        return Some(explanation(
            "stale-ha-pid",
            "Lima cannot reach the VM's host agent: its pid file names a process that does \
             not answer, or cannot be read (left behind by a crash, a forced quit, or a \
             reboot that gave the pid to another process).",
            format!("Force stop it (`limactl stop -f {name}`), then start it again."),
        ));
    }
    if all.contains("in use by instance") {
        return Some(explanation(
            "disk-in-use",
            "One of its disks is locked by another instance.",
            "Stop the other instance, or unlock the disk with `limactl disk unlock DISK`.",
        ));
    }
    // Only virtiofsd's own failures (`pkg/driver/qemu/qemu.go` "failed to locate
    // virtiofsd", `qemu_driver.go` "virtiofsd never created vhost socket" and "Error from
    // virtiofsd instance"): QEMU's virtiofs mounts log `virtiofsd-N[stdout]` lines on every
    // boot, so the name alone says nothing.
    let virtiofsd_failed = [
        "failed to locate virtiofsd",
        "failed to find virtiofsd",
        "virtiofsd never created vhost socket",
        "Error from virtiofsd instance",
    ]
    .iter()
    .any(|p| all.contains(p));
    if virtiofsd_failed {
        return Some(explanation(
            "virtiofsd-missing",
            "Lima could not start virtiofsd, which VirtioFS mounts need on Linux hosts.",
            "Install virtiofsd (`sudo apt install virtiofsd`), or use `mountType: 9p` on this Linux host.",
        ));
    }
    if all.contains("guest agent does not seem to be running") {
        let (cause, fix) = if has("plain-mode") {
            (
                "Plain mode is on: there is no guest agent, so no mounts and no port forwarding.",
                "Turn plain mode off (the doctor can do it), then restart.",
            )
        } else if has("nixos-lima-guest-agent-socket") {
            (
                "Lima 2.1.3+ gives the guest agent's socket to the VM's user, but nixos-lima images before v0.2.1 start the agent without that option: the socket stays root's and the host cannot reach it.",
                "Create a new VM from nixos-lima v0.2.1 (New NixOS VM…), or use Lima 2.1.2 for this one.",
            )
        } else if has("ssh-forward-agent-nixos") {
            (
                "ssh.forwardAgent is on: Lima 2.2 expects the guest to have /run/host-services, which nixos-lima (up to v0.2.1) does not create, so the boot comes up degraded.",
                "Turn ssh.forwardAgent off (the doctor can do it), then restart.",
            )
        } else if has("nixos-lima-image-too-old") {
            (
                "The nixos-lima image is older than v0.0.5, whose boot does not fit Lima 2.1+.",
                "Create a new VM from nixos-lima v0.2.1 (New NixOS VM…).",
            )
        } else if has("containerd-on-nixos") {
            (
                "containerd is on, but nixos-lima has no containerd setup: the boot waited for it.",
                "Turn containerd off (the doctor can do it), then restart.",
            )
        } else {
            ("The guest agent did not answer within a minute, so port forwarding (and mount checks) do not work.",
             "Restart the VM; if it happens again, look at the console log for a failed lima-guestagent service.")
        };
        return Some(explanation("guest-agent-not-running", cause, fix));
    }
    if all.contains("containerd binaries to be installed") {
        return Some(explanation(
            "containerd-on-nixos",
            "The boot waited ~10 minutes for containerd, which nixos-lima does not install.",
            "Turn containerd off (`.containerd.system = false | .containerd.user = false`), then restart.",
        ));
    }
    if all.contains("did not receive an event with the") {
        let stuck = stuck_requirement(e.ha_log);
        let cause = match &stuck {
            Some(r) => format!("The start timed out while the VM was still waiting for “{r}”."),
            None => "The start timed out before the VM reported it was running.".to_string(),
        };
        let fix = if has("nixos-lima-image-too-old") {
            "The image is older than nixos-lima v0.0.5 and hangs on Lima 2.1+: create a new VM from v0.2.1."
        } else {
            "Force stop and start again; after sleep or a VPN change the VM's network can stall."
        };
        return Some(explanation("start-timeout", cause, fix));
    }
    let exited = e.ha_log.contains("\"exiting\":true") || e.ha_log.contains("exiting");
    let errs = last_errors(e.ha_log, 3);
    if exited || !errs.is_empty() {
        let mut detail = errs.join("; ");
        if detail.is_empty() {
            detail = e
                .console
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
        }
        if !detail.is_empty() {
            return Some(explanation(
                "exited",
                format!("The VM stopped during boot: {detail}"),
                "See the host agent and console logs, fix the cause, then start again.",
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests;
