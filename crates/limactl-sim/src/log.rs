//! Lima's output formats: limactl's own stderr is logrus text
//! (`time="…" level=info msg="…"`), the host agent's stderr is logrus JSON with sorted
//! keys, events carry RFC 3339 times with nanoseconds and the local offset.

use std::io::Write;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_local().unwrap_or_else(|_| OffsetDateTime::now_utc())
}

/// RFC 3339 with nanoseconds (trailing zeros trimmed), like Go's `time.RFC3339Nano`.
pub fn rfc3339_nano(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// RFC 3339 to the second, like logrus' default.
pub fn rfc3339_secs(t: OffsetDateTime) -> String {
    rfc3339_nano(t.replace_nanosecond(0).unwrap_or(t))
}

/// Go's `%q`-like quoting used by logrus text for values with spaces or quotes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One logrus text line on stderr.
pub fn text(level: &str, msg: &str, fields: &[(&str, &str)]) {
    let mut line = format!(
        "time={} level={level} msg={}",
        go_quote(&rfc3339_secs(now())),
        go_quote(msg)
    );
    for (k, v) in fields {
        line.push_str(&format!(" {k}={}", go_quote(v)));
    }
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn info(msg: &str) {
    text("info", msg, &[]);
}

pub fn warn(msg: &str) {
    text("warning", msg, &[]);
}

/// A fatal error: logged, exit status 1 (Lima's only error status).
pub fn fatal(msg: &str) -> ! {
    text("fatal", msg, &[]);
    std::process::exit(1);
}

/// One logrus JSON line (keys sorted: level, msg, time) for `ha.stderr.log`.
pub fn json_line(level: &str, msg: &str) -> String {
    let v = serde_json::json!({"level": level, "msg": msg, "time": rfc3339_secs(now())});
    v.to_string()
}

/// Messages of `cmd/limactl` quote values in backticks from Lima 2.1.2 (`7d9a2769`,
/// `%q` → `%#q`), in double quotes before.
pub fn q(version: (u32, u32, u32), s: &str) -> String {
    quote_from(version, (2, 1, 2), s)
}

/// Messages of `pkg/hostagent`, `pkg/instance` and `pkg/store` (requirement lines, "did
/// not receive an event …", "seems running", the inspection's errors) switched only in
/// Lima 2.2.0; `pkg/limayaml`, `pkg/driver`, `pkg/cidata` with `cmd/limactl` in 2.1.2.
pub fn q_pkg(version: (u32, u32, u32), s: &str) -> String {
    quote_from(version, (2, 2, 0), s)
}

fn quote_from(version: (u32, u32, u32), since: (u32, u32, u32), s: &str) -> String {
    if version >= since {
        format!("`{s}`")
    } else {
        format!("\"{s}\"")
    }
}
