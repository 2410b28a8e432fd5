//! `ha.stderr.log` and limactl's own stderr. The host agent logs logrus JSON
//! (`{"level","msg","time",…}`), but Go's standard logger and panics add plain lines, so
//! every parser here tolerates non-JSON input. limactl's stderr is logrus *text*
//! (`time="…" level=info msg="…"`). Boot phases come from requirement lines.

use serde::Deserialize;

/// One line of `ha.stderr.log`.
#[derive(Debug, Clone, PartialEq)]
pub struct HaLogLine {
    pub level: String,
    pub msg: String,
    pub time: Option<String>,
    /// logrus' `error` field (`WithError`), when it has one.
    pub error: Option<String>,
    /// False for lines that were not logrus JSON (kept verbatim in `msg`).
    pub structured: bool,
}

#[derive(Deserialize)]
struct RawJsonLine {
    #[serde(default)]
    level: String,
    #[serde(default)]
    msg: String,
    time: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub fn parse_line(line: &str) -> HaLogLine {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.starts_with('{') {
        if let Ok(raw) = serde_json::from_str::<RawJsonLine>(trimmed) {
            return HaLogLine {
                level: raw.level,
                msg: raw.msg,
                time: raw.time,
                error: raw.error,
                structured: true,
            };
        }
    }
    HaLogLine {
        level: "info".into(),
        msg: trimmed.to_string(),
        time: None,
        error: None,
        structured: false,
    }
}

/// `Waiting for the essential requirement 1 of 3: `ssh``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub kind: String,
    pub index: u32,
    pub total: u32,
    pub description: String,
}

pub fn requirement(msg: &str) -> Option<Requirement> {
    let rest = msg.strip_prefix("Waiting for the ")?;
    let (kind, rest) = rest.split_once(" requirement ")?;
    let (counts, desc) = rest.split_once(": ")?;
    let (index, total) = counts.split_once(" of ")?;
    Some(Requirement {
        kind: kind.to_string(),
        index: index.trim().parse().ok()?,
        total: total.trim().parse().ok()?,
        // Lima ≤2.1.0 quoted with "…", later with `…`; never match on the quotes.
        description: desc.trim().trim_matches(['`', '"']).to_string(),
    })
}

/// The boot phase a host-agent message announces, in the words the popover shows.
pub fn phase_of(msg: &str) -> Option<String> {
    if let Some(req) = requirement(msg) {
        let named = match req.description.as_str() {
            "ssh" => "waiting for ssh",
            "user session is ready for ssh" => "user session",
            "Explicitly start ssh ControlMaster" => "ssh connection",
            "boot scripts must have finished" => "boot scripts",
            "containerd binaries to be installed" | "systemd must be available" => "containerd",
            "sshfs binary to be installed" | "fuse to allow_other as user" => "sshfs mounts",
            other => return Some(other.to_string()),
        };
        return Some(named.to_string());
    }
    if msg.starts_with("Waiting for the guest agent") {
        return Some("guest agent".into());
    }
    if msg.starts_with("Starting VZ") || msg.starts_with("Starting QEMU") {
        return Some("booting VM".into());
    }
    None
}

/// Messages that mean the host agent was asked to shut down (a stop from anywhere):
/// `Received SIGINT|SIGTERM, shutting down the host agent` (`startRoutinesAndWait` in
/// `pkg/hostagent/hostagent.go`). Not `Shutting down the host agent`: `close()` logs it on
/// every shutdown path, also when the VM stopped by itself.
pub fn is_shutdown(msg: &str) -> bool {
    msg.starts_with("Received SIGINT") || msg.starts_with("Received SIGTERM")
}

/// The driver's error when the VM stopped without being asked: a guest `poweroff` (on
/// VZ also a `reboot`), a crash of the VM process, a driver failure. Lima logs
/// `Driver stopped due to error: %q` (`%#q` from 2.2.0) in `startRoutinesAndWait`, e.g.
/// ``Driver stopped due to error: `vz driver state stopped` `` (`pkg/driver/vz/vm_darwin.go`).
/// QEMU reports `qCmd.Wait()`'s result, nil after a clean poweroff, which Go prints as
/// `%!q(<nil>)`: then the error is empty.
pub fn driver_stopped(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("Driver stopped due to error:")?.trim();
    if rest.starts_with("%!q(") || rest.starts_with("%!v(") {
        return Some(String::new());
    }
    let unquoted = if let Some(inner) = rest.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        inner.to_string()
    } else if let Some(inner) = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        go_unquote(inner)
    } else {
        rest.to_string()
    };
    Some(unquoted)
}

/// The common escapes of a Go `%q` string.
fn go_unquote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Key/value fields of a logrus text line (`time="…" level=info msg="…" errors="[…]"`).
/// Values are bare words or Go-quoted strings.
pub fn text_fields(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ' ' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() || chars.next() != Some('=') {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some(other) => value.push(other),
                        None => break,
                    },
                    '"' => break,
                    _ => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key, value));
    }
    out
}

/// ``Watcher for instance `X` stopped`` on `limactl watch`'s stderr: that instance's
/// events stopped while the command goes on (Lima ≥ 2.1, `cmd/limactl/watch.go`
/// `watchInstance`, logrus text with the cause in `error`, e.g. a line of ha.stdout.log
/// that is not an event). Returns the instance and the cause.
pub fn watcher_stopped(line: &str) -> Option<(String, String)> {
    let fields = text_fields(line);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let msg = field("msg").unwrap_or_else(|| line.trim().to_string());
    let name = msg
        .strip_prefix("Watcher for instance ")?
        .strip_suffix(" stopped")?
        .trim_matches(['`', '"']);
    Some((name.to_string(), field("error").unwrap_or_default()))
}

/// The human sentence of a log line: `msg` of logrus text or JSON, else the line.
pub fn human_message(line: &str) -> String {
    let parsed = parse_line(line);
    if parsed.structured {
        return parsed.msg;
    }
    let fields = text_fields(line);
    match fields.iter().find(|(k, _)| k == "msg") {
        Some((_, msg)) => {
            let extra: Vec<String> = fields
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "msg" | "time" | "level"))
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            if extra.is_empty() {
                msg.clone()
            } else {
                format!("{msg} ({})", extra.join("; "))
            }
        }
        None => line.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_and_keeps_plain_lines() {
        let j = parse_line(
            r#"{"level":"info","msg":"Waiting for the essential requirement 1 of 3: `ssh`","time":"2026-08-21T10:15:04+02:00"}"#,
        );
        assert!(j.structured);
        assert_eq!(j.level, "info");
        assert_eq!(phase_of(&j.msg).as_deref(), Some("waiting for ssh"));
        let plain = parse_line("2026/08/21 10:15:04 tcpproxy: for incoming conn 127.0.0.1:50122, error dialing \"192.168.5.15:22\": connect tcp 192.168.5.15:22: no route to host");
        assert!(!plain.structured);
        assert!(plain.msg.contains("no route to host"));
        let truncated = parse_line(r#"{"level":"info","msg":"Waiting for the ess"#);
        assert!(
            !truncated.structured,
            "a truncated JSON line is kept as text"
        );
    }

    #[test]
    fn requirement_lines_in_both_quote_styles() {
        let new = requirement(
            "Waiting for the final requirement 1 of 1: `boot scripts must have finished`",
        )
        .unwrap();
        assert_eq!((new.kind.as_str(), new.index, new.total), ("final", 1, 1));
        assert_eq!(new.description, "boot scripts must have finished");
        let old = requirement(
            "Waiting for the essential requirement 2 of 2: \"user session is ready for ssh\"",
        )
        .unwrap();
        assert_eq!(old.description, "user session is ready for ssh");
        assert_eq!(
            phase_of("Waiting for the optional requirement 1 of 2: `my probe`").as_deref(),
            Some("my probe")
        );
        assert_eq!(
            phase_of("Waiting for the guest agent to be running").as_deref(),
            Some("guest agent")
        );
        assert!(requirement("The essential requirement 1 of 3 is satisfied").is_none());
    }

    #[test]
    fn only_a_signal_is_a_requested_stop_and_driver_errors_are_read_in_every_quote_style() {
        assert!(is_shutdown("Received SIGINT, shutting down the host agent"));
        assert!(is_shutdown(
            "Received SIGTERM, shutting down the host agent"
        ));
        // Logged by close() on every path, a poweroff too.
        assert!(!is_shutdown("Shutting down the host agent"));
        assert_eq!(
            driver_stopped("Driver stopped due to error: `vz driver state stopped`").as_deref(),
            Some("vz driver state stopped")
        );
        assert_eq!(
            driver_stopped(r#"Driver stopped due to error: "vz driver state stopped""#).as_deref(),
            Some("vz driver state stopped")
        );
        assert_eq!(
            driver_stopped(r#"Driver stopped due to error: "signal: killed\n""#).as_deref(),
            Some("signal: killed\n")
        );
        assert_eq!(
            driver_stopped("Driver stopped due to error: %!q(<nil>)").as_deref(),
            Some("")
        );
        assert_eq!(driver_stopped("Shutting down the host agent"), None);
    }

    #[test]
    fn a_stopped_watcher_is_recognised_in_both_quote_styles() {
        let line = r#"time="2026-12-01T21:20:17Z" level=warning msg="Watcher for instance `nixos` stopped" error="failed to unmarshal `not json` as events.Event: invalid character 'o' in literal null (expecting 'u')""#;
        let (name, error) = watcher_stopped(line).unwrap();
        assert_eq!(name, "nixos");
        assert!(error.starts_with("failed to unmarshal"), "{error}");
        let old = r#"time="2026-12-01T21:20:17Z" level=warning msg="Watcher for instance \"nixos\" stopped" error="x""#;
        assert_eq!(watcher_stopped(old).unwrap().0, "nixos");
        assert!(watcher_stopped("2026-12-01 21:20:06 Watching for events...").is_none());
    }

    #[test]
    fn logrus_text_fields_and_human_message() {
        let line = r#"time="2026-08-21T10:15:31+02:00" level=warning msg="instance `nixos` has errors" errors="[lima.yaml: field `images` must be set]""#;
        let f = text_fields(line);
        assert_eq!(f[1], ("level".into(), "warning".into()));
        assert_eq!(f[2].1, "instance `nixos` has errors");
        assert_eq!(f[3].1, "[lima.yaml: field `images` must be set]");
        let fatal = r#"time="2026-08-21T10:15:31+02:00" level=fatal msg="exiting, status={Running:false Degraded:false Exiting:true Errors:[] SSHLocalPort:0} (hint: see \"/x/ha.stderr.log\")""#;
        assert!(human_message(fatal).starts_with("exiting, status={Running:false"));
        assert!(human_message(fatal).contains("\"/x/ha.stderr.log\""));
        assert_eq!(human_message("plain words"), "plain words");
    }
}
