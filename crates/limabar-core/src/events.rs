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
    /// Lima joins all failures into one string with `\n`; split back into lines here.
    pub errors: Vec<String>,
    pub ssh_local_port: Option<u16>,
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
            .flat_map(|e| e.lines())
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        ssh_local_port: raw.status.ssh_local_port.filter(|p| *p != 0),
    }
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
