//! The log view's data: an instance's host-agent log (`ha.stderr.log`, logrus JSON; lines
//! that are not JSON kept as they are) and its console log (`serialv.log` on VZ,
//! `serial.log` on QEMU), as a bounded window of recent lines plus the lines written
//! after it. Opening a 10 MB log reads only its tail.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::lima::halog::{parse_line, text_fields};
use crate::lima::tail::Follower;

/// Lines the view keeps at most (older ones leave the window).
pub const WINDOW: usize = 1000;
/// Bytes read from the end of a log to fill the window.
const TAIL_BYTES: u64 = 512 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum LogSource {
    HostAgent,
    Console,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LogLine {
    pub source: LogSource,
    /// `debug`, `info`, `warning`, `error`, `fatal`; empty for lines without a level
    /// (console output, a Go panic's stack).
    pub level: String,
    pub time: Option<String>,
    pub msg: String,
}

pub fn parse(source: LogSource, line: &str) -> LogLine {
    if source == LogSource::HostAgent {
        let p = parse_line(line);
        if p.structured {
            return LogLine {
                source,
                level: p.level,
                time: p.time,
                msg: p.msg,
            };
        }
        let fields = text_fields(line);
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
        if let (Some(level), Some(msg)) = (get("level"), get("msg")) {
            return LogLine {
                source,
                level,
                time: get("time"),
                msg,
            };
        }
    }
    LogLine {
        source,
        level: String::new(),
        time: None,
        msg: line.to_string(),
    }
}

/// The console log: `serialv.log` on VZ, the only one it writes
/// (`pkg/driver/vz/vm_darwin.go`); `serial.log` on QEMU, which writes it next to
/// `serialv.log` (hvc0) and, on ARM, `serialp.log` (`pkg/driver/qemu/qemu.go`): its
/// default serial port is where a kernel console goes. So `serial.log` exists only on QEMU.
pub fn console_file(instance_dir: &Path) -> PathBuf {
    let qemu = instance_dir.join("serial.log");
    if qemu.exists() {
        qemu
    } else {
        instance_dir.join("serialv.log")
    }
}

/// The files of an instance's logs.
pub fn files(instance_dir: &Path) -> [(LogSource, PathBuf); 2] {
    let console = console_file(instance_dir);
    [
        (LogSource::HostAgent, instance_dir.join("ha.stderr.log")),
        (LogSource::Console, console),
    ]
}

/// A log view over one instance: the recent window now, new lines later.
pub struct LogView {
    followers: Vec<(LogSource, Follower)>,
}

impl LogView {
    /// Opens the logs of `instance_dir`; returns the view and the last `WINDOW` lines of
    /// each log (host agent first).
    pub fn open(instance_dir: &Path) -> (LogView, Vec<LogLine>) {
        let mut lines = Vec::new();
        let mut followers = Vec::new();
        for (source, path) in files(instance_dir) {
            let follower = Follower::at_end(&path);
            lines.extend(recent(&path, WINDOW).iter().map(|l| parse(source, l)));
            followers.push((source, follower));
        }
        (LogView { followers }, lines)
    }

    /// Lines written since the last call (or since `open`).
    pub fn read_new(&mut self) -> Vec<LogLine> {
        self.followers
            .iter_mut()
            .flat_map(|(source, f)| {
                let s = *source;
                f.read_new().into_iter().map(move |l| parse(s, &l))
            })
            .collect()
    }

    pub fn paths(&self) -> Vec<PathBuf> {
        self.followers
            .iter()
            .map(|(_, f)| f.path().to_path_buf())
            .collect()
    }
}

/// The last `n` complete lines of a file, reading at most its last 512 KiB.
pub fn recent(path: &Path, n: usize) -> Vec<String> {
    let text = crate::fsutil::read_tail(path, TAIL_BYTES);
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut lines: Vec<&str> = text.lines().collect();
    // The first line of a partial read is cut: drop it.
    if len > TAIL_BYTES && !lines.is_empty() {
        lines.remove(0);
    }
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_console_is_qemus_serial_port_when_it_has_one() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(super::console_file(t.path()), t.path().join("serialv.log"));
        std::fs::write(t.path().join("serialv.log"), "vz\n").unwrap();
        assert_eq!(super::console_file(t.path()), t.path().join("serialv.log"));
        // QEMU writes all three; the kernel console is on the default serial port.
        std::fs::write(t.path().join("serial.log"), "qemu\n").unwrap();
        std::fs::write(t.path().join("serialp.log"), "\n").unwrap();
        assert_eq!(super::console_file(t.path()), t.path().join("serial.log"));
    }

    use super::*;
    use std::io::Write;

    #[test]
    fn parses_json_text_and_raw_lines() {
        let j = parse(
            LogSource::HostAgent,
            r#"{"level":"warning","msg":"connection to the guest agent was closed unexpectedly","time":"2026-11-25T10:00:00Z"}"#,
        );
        assert_eq!(
            (j.level.as_str(), j.msg.as_str()),
            (
                "warning",
                "connection to the guest agent was closed unexpectedly"
            )
        );
        assert_eq!(j.time.as_deref(), Some("2026-11-25T10:00:00Z"));
        let t = parse(
            LogSource::HostAgent,
            r#"time="2026-11-25T10:00:00Z" level=fatal msg="boom \"x\"""#,
        );
        assert_eq!((t.level.as_str(), t.msg.as_str()), ("fatal", "boom \"x\""));
        let raw = parse(LogSource::HostAgent, "goroutine 1 [running]:");
        assert_eq!(
            (raw.level.as_str(), raw.msg.as_str()),
            ("", "goroutine 1 [running]:")
        );
        let c = parse(LogSource::Console, "[    0.1] level=info msg=x");
        assert_eq!(c.level, "", "console lines are kept as they are");
    }

    #[test]
    fn opens_a_big_log_at_its_tail_then_follows_new_lines() {
        let t = tempfile::tempdir().unwrap();
        let ha = t.path().join("ha.stderr.log");
        let mut f = std::fs::File::create(&ha).unwrap();
        for i in 0..100_000 {
            writeln!(f, r#"{{"level":"info","msg":"line {i}","time":"t"}}"#).unwrap();
        }
        std::fs::write(t.path().join("serial.log"), "[    0.0] Linux\n").unwrap();
        let (mut view, lines) = LogView::open(t.path());
        let ha_lines: Vec<&LogLine> = lines
            .iter()
            .filter(|l| l.source == LogSource::HostAgent)
            .collect();
        assert_eq!(ha_lines.len(), WINDOW);
        assert_eq!(ha_lines.last().unwrap().msg, "line 99999");
        assert_eq!(ha_lines[0].msg, format!("line {}", 100_000 - WINDOW));
        assert_eq!(lines.last().unwrap().msg, "[    0.0] Linux");
        assert!(view.read_new().is_empty());
        writeln!(f, r#"{{"level":"error","msg":"new","time":"t"}}"#).unwrap();
        let new = view.read_new();
        assert_eq!(new.len(), 1);
        assert_eq!(
            (new[0].level.as_str(), new[0].msg.as_str()),
            ("error", "new")
        );
    }

    #[test]
    fn missing_logs_are_empty_not_errors() {
        let t = tempfile::tempdir().unwrap();
        let (mut view, lines) = LogView::open(&t.path().join("gone"));
        assert!(lines.is_empty());
        assert!(view.read_new().is_empty());
    }
}
