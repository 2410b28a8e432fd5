//! Host-agent events: lines of `ha.stdout.log` (`{"time","status":{…}}`) and of
//! `limactl watch --json` (`{"instance","event":{…}}`). Events are snapshots of the
//! agent's status, so `running:true` repeats; the fold in `readiness` makes sense of it.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HaEvent {
    /// Unix milliseconds of the event's `time` (None if it did not parse).
    pub at_ms: Option<i64>,
    pub running: bool,
    pub degraded: bool,
    pub exiting: bool,
    /// Lima joins all failures into one string with `\n`; split back into one entry per
    /// failure here (`split_errors`), a requirement's multi-line hint kept with it.
    pub errors: Vec<String>,
    pub ssh_local_port: Option<u16>,
    /// The port forward this event reports, if it is one (`emitPortForwardEvent`: the
    /// agent's current status with this added).
    pub port_forward: Option<PortForwardEvent>,
}

/// `status.portForward` (`pkg/hostagent/events/events.go` `PortForwardEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForwardEvent {
    /// `forwarding`, `not-forwarding`, `stopping`, `failed`.
    #[serde(rename = "type", default)]
    pub kind: String,
    pub protocol: Option<String>,
    pub guest_addr: Option<String>,
    pub host_addr: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    time: Option<String>,
    #[serde(default)]
    status: RawStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawStatus {
    #[serde(default)]
    running: bool,
    #[serde(default)]
    degraded: bool,
    #[serde(default)]
    exiting: bool,
    #[serde(default)]
    errors: Option<Vec<String>>,
    #[serde(default)]
    ssh_local_port: Option<u16>,
    #[serde(default)]
    port_forward: Option<PortForwardEvent>,
}

#[derive(Deserialize)]
struct RawWatchLine {
    instance: String,
    event: RawEvent,
}

/// RFC 3339 (with or without fractional seconds, any offset) → Unix milliseconds.
pub fn rfc3339_ms(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn convert(raw: RawEvent) -> HaEvent {
    HaEvent {
        at_ms: raw.time.as_deref().and_then(rfc3339_ms),
        running: raw.status.running,
        degraded: raw.status.degraded,
        exiting: raw.status.exiting,
        errors: raw
            .status
            .errors
            .unwrap_or_default()
            .iter()
            .flat_map(|e| split_errors(e))
            .collect(),
        ssh_local_port: raw.status.ssh_local_port.filter(|p| *p != 0),
        port_forward: raw.status.port_forward,
    }
}

/// The failures in one `errors` entry. `startHostAgentRoutines`
/// (`pkg/hostagent/hostagent.go`) joins them with `errors.Join`, i.e. `\n`, but a
/// requirement's failure is itself several lines: `waitForRequirements`
/// (`pkg/hostagent/requirements.go`) formats it as
/// `failed to satisfy the %s requirement %d of %d %q: %s: %w` (or `…: %s; skipping
/// further checks: %w`) with a `debugHint` that ends in `\n`, so its last line starts
/// with `: ` (or `; skipping further checks`). Such a line closes the failure begun by
/// the last `failed to satisfy` line, and the hint lines between belong to it.
pub fn split_errors(joined: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Where the last requirement failure began in `out`.
    let mut open: Option<usize> = None;
    for line in joined.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let closes = line.starts_with(": ") || line.starts_with("; skipping further checks");
        if closes && !out.is_empty() {
            let start = open.unwrap_or(out.len() - 1);
            let mut merged = out.drain(start..).collect::<Vec<_>>().join("\n");
            merged.push('\n');
            merged.push_str(line);
            out.push(merged);
            open = None;
            continue;
        }
        if line.starts_with("failed to satisfy the ") {
            open = Some(out.len());
        }
        out.push(line.to_string());
    }
    out
}

/// One line of `ha.stdout.log`. `None` for a line that is not an event.
pub fn parse_event_line(line: &str) -> Option<HaEvent> {
    serde_json::from_str::<RawEvent>(line.trim())
        .ok()
        .map(convert)
}

/// One line of `limactl watch --json`: the instance name and its event.
pub fn parse_watch_line(line: &str) -> Option<(String, HaEvent)> {
    serde_json::from_str::<RawWatchLine>(line.trim())
        .ok()
        .map(|raw| (raw.instance, convert(raw.event)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booting_running_degraded_exiting() {
        let boot = parse_event_line(
            r#"{"time":"2026-08-21T10:15:31.902311+02:00","status":{"sshLocalPort":50122}}"#,
        )
        .unwrap();
        assert_eq!(boot.ssh_local_port, Some(50122));
        assert!(!boot.running && !boot.exiting);
        assert_eq!(boot.at_ms, Some(1_787_300_131_902));
        let deg = parse_event_line(r#"{"time":"2026-08-21T10:15:41+02:00","status":{"running":true,"degraded":true,"errors":["guest agent does not seem to be running; port forwards will not work\nsecond"],"sshLocalPort":50122}}"#).unwrap();
        assert!(deg.running && deg.degraded);
        assert_eq!(deg.errors.len(), 2);
        let exit = parse_event_line(r#"{"time":"2026-08-21T10:20:00Z","status":{"exiting":true}}"#)
            .unwrap();
        assert!(exit.exiting && !exit.running);
    }

    #[test]
    fn a_requirements_multi_line_hint_stays_with_its_error() {
        // Lima 2.2's text: two failed requirements and the guest agent, joined with \n.
        let joined = concat!(
            "failed to satisfy the essential requirement 2 of 3 `user session is ready for ssh`: ",
            "The boot sequence will terminate any existing user session after updating\n",
            "/etc/environment to make sure the session includes the new values.\n",
            "Terminating the session will break the persistent SSH tunnel, so\n",
            "it must not be created until the session reset is done.\n",
            ": stdout=``, stderr=\"+ cat /run/lima-ssh-ready\\n\": exit status 1\n",
            "failed to satisfy the essential requirement 3 of 3 `Explicitly start ssh ControlMaster`: ",
            "The persistent ssh ControlMaster should be started immediately.: exit status 255\n",
            "guest agent does not seem to be running; port forwards will not work\n",
            "failed to satisfy the optional requirement 1 of 1 `systemd must be available`: ",
            "systemd is required to run containerd, but does not seem to be available.\n",
            "Make sure that you use an image that supports systemd.\n",
            "; skipping further checks: exit status 1",
        );
        let errors = split_errors(joined);
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors[0].starts_with("failed to satisfy the essential requirement 2 of 3"));
        assert!(errors[0].contains("\n/etc/environment to make sure"));
        assert!(errors[0].ends_with(": exit status 1"), "{}", errors[0]);
        assert!(errors[1].ends_with("immediately.: exit status 255"));
        assert_eq!(
            errors[2],
            "guest agent does not seem to be running; port forwards will not work"
        );
        assert!(errors[3].starts_with("failed to satisfy the optional requirement 1 of 1"));
        assert!(errors[3].ends_with("; skipping further checks: exit status 1"));
        // Through the event parser, as the monitor sees it.
        let line = serde_json::json!({"time": "2026-08-21T10:16:05Z", "status": {"running": true, "degraded": true, "errors": [joined]}}).to_string();
        assert_eq!(parse_event_line(&line).unwrap().errors, errors);
    }

    #[test]
    fn unknown_keys_are_ignored_and_garbage_is_rejected() {
        let pf = parse_event_line(r#"{"time":"2026-08-21T10:15:31Z","status":{"running":true,"sshLocalPort":1,"portForward":{"type":"forwarding","protocol":"tcp"},"vsock":{"type":"started"}},"extra":1}"#).unwrap();
        assert!(pf.running);
        assert!(parse_event_line("not json").is_none());
        assert!(parse_event_line(r#"{"time":"x","status":{"running":tr"#).is_none());
        let (name, ev) = parse_watch_line(r#"{"instance":"nixos","event":{"time":"2026-08-21T10:15:31Z","status":{"running":true}}}"#).unwrap();
        assert_eq!(name, "nixos");
        assert!(ev.running);
    }
}
