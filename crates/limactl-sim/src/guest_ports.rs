//! Guest ports (`"ports"` in `sim.json`) and their forwards, as Lima's host agent makes
//! them: for each port a guest program opens, a `forwarding` event (guest address →
//! host address) *before* it listens on the host (`pkg/portfwd/forward.go` `OnEvent`:
//! `emitEvent` then `closableListeners.Forward`); a listen that fails (the host port is
//! taken, by another VM or a host process) only logs a warning, `failed to listen tcp:
//! ADDR` with the error in logrus' `error` field (`pkg/portfwd/listener.go`
//! `logListenError`), and no event says so. Lima's default rule forwards a guest port to
//! the same port on 127.0.0.1 (`pkg/limayaml/defaults.go`, `FillPortForwardDefaults`).
//!
//! The guest program and the forward are one here: the host agent listens on the host
//! address itself and answers HTTP (`sim guest port N`), so "Open in browser" has a page.

use std::io::{Read, Write};
use std::net::TcpListener;

use serde_json::Value;

use crate::log::{now, rfc3339_secs};
use crate::scenario::GuestPort;

/// (guest address, host address) of a guest port: the first of lima.yaml's
/// `portForwards` rules that matches it decides, then Lima's default rule (every port,
/// guest 127.0.0.1, to the same port on 127.0.0.1) appended after them
/// (`pkg/hostagent/port.go` `portForwardRules`; matching as `pkg/portfwd/forward.go`
/// `forwardingAddresses`, defaults as `pkg/limayaml/defaults.go`
/// `FillPortForwardDefaults`). `None` for the host address: a rule ignores it. Handled:
/// `guestIP`, `guestIPMustBeZero`, `guestPort`/`guestPortRange`, `hostPort`/
/// `hostPortRange`, `hostIP`, `ignore`; sockets and `proto` are not.
pub fn addresses(p: &GuestPort, rules: &[Value]) -> (String, Option<String>) {
    let ip = if p.loopback { "127.0.0.1" } else { "0.0.0.0" };
    let guest = format!("{ip}:{}", p.guest_port);
    for rule in rules {
        if rule.get("guestSocket").is_some() {
            continue;
        }
        let (lo, hi) = range(rule, "guestPort", "guestPortRange");
        if p.guest_port < lo || p.guest_port > hi {
            continue;
        }
        let rule_ip = rule.get("guestIP").and_then(Value::as_str);
        let must_be_zero = rule
            .get("guestIPMustBeZero")
            .and_then(Value::as_bool)
            .unwrap_or(rule_ip == Some("0.0.0.0"));
        let rule_ip = rule_ip.unwrap_or(if must_be_zero { "0.0.0.0" } else { "127.0.0.1" });
        // forwardingAddresses: a guest on 0.0.0.0 matches any rule address; else the
        // same address, or a rule on 0.0.0.0 that need not be exact.
        let matches = ip == "0.0.0.0" || rule_ip == ip || (rule_ip == "0.0.0.0" && !must_be_zero);
        if !matches {
            continue;
        }
        if rule.get("ignore").and_then(Value::as_bool) == Some(true) {
            if ip == "0.0.0.0" && rule_ip != "0.0.0.0" {
                continue;
            }
            return (guest, None);
        }
        // The host range defaults to the guest's; the port keeps its offset in it.
        let host_lo = if rule.get("hostPort").is_some() || rule.get("hostPortRange").is_some() {
            range(rule, "hostPort", "hostPortRange").0
        } else {
            lo
        };
        let host_port = host_lo + (p.guest_port - lo);
        let host_ip = rule
            .get("hostIP")
            .and_then(Value::as_str)
            .unwrap_or("127.0.0.1");
        return (guest, Some(format!("{host_ip}:{host_port}")));
    }
    (guest, Some(format!("127.0.0.1:{}", p.guest_port)))
}

/// A rule's port range: `KEY` alone, `RANGE_KEY: [a, b]`, or every port.
fn range(rule: &Value, key: &str, range_key: &str) -> (u16, u16) {
    if let Some(r) = rule.get(range_key).and_then(Value::as_array) {
        let n = |i: usize| r.get(i).and_then(Value::as_u64).unwrap_or(0) as u16;
        return (n(0), n(1));
    }
    match rule.get(key).and_then(Value::as_u64) {
        Some(p) => (p as u16, p as u16),
        None => (1, 65535),
    }
}

/// Listens on `host` and answers every connection with a small HTTP page, on a thread
/// that lives as long as the host agent.
pub fn listen(host: &str, guest_port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(host)?;
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut conn = conn;
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let body = format!("sim guest port {guest_port}\n");
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(())
}

/// What Lima logs for a host address it could not listen on (`logListenError`), with
/// Go's `net.Listen` error text (`listen tcp 127.0.0.1:8080: bind: address already in
/// use`): a warning — except for a "negligible" failure (a privileged port, EACCES, or
/// TCP port 53), which is a debug line and `Not forwarding TCP ADDR` at info level.
pub fn listen_failure_lines(host: &str, e: &std::io::Error) -> Vec<String> {
    let reason = match e.kind() {
        std::io::ErrorKind::AddrInUse => "address already in use".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    let error = format!("listen tcp {host}: bind: {reason}");
    let negligible = if e.kind() == std::io::ErrorKind::PermissionDenied {
        Some("privileged port")
    } else if host.ends_with(":53") {
        Some("DNS port (often conflicts with the system resolver)")
    } else {
        None
    };
    // logrus: `WithError` adds `error`, `WithField` the negligible reason.
    let line = |level: &str, msg: String, fields: &[(&str, &str)]| {
        let mut v = serde_json::json!({"level": level, "msg": msg, "time": rfc3339_secs(now())});
        for (k, val) in fields {
            v[*k] = serde_json::json!(val);
        }
        v.to_string()
    };
    match negligible {
        Some(why) => vec![
            line(
                "debug",
                format!("failed to listen tcp: {host}"),
                &[("error", &error), ("negligible-reason", why)],
            ),
            line("info", format!("Not forwarding TCP {host}"), &[]),
        ],
        None => vec![line(
            "warning",
            format!("failed to listen tcp: {host}"),
            &[("error", &error)],
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(host: &str, kind: std::io::ErrorKind) -> Vec<Value> {
        listen_failure_lines(host, &std::io::Error::from(kind))
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn a_taken_port_is_a_warning_and_a_negligible_one_is_not() {
        let taken = lines("127.0.0.1:8080", std::io::ErrorKind::AddrInUse);
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0]["level"], "warning");
        assert_eq!(taken[0]["msg"], "failed to listen tcp: 127.0.0.1:8080");
        assert_eq!(
            taken[0]["error"],
            "listen tcp 127.0.0.1:8080: bind: address already in use"
        );
        // logListenError: EACCES and port 53 are logged at debug, then "Not forwarding".
        for (host, kind) in [
            ("127.0.0.1:80", std::io::ErrorKind::PermissionDenied),
            ("127.0.0.1:53", std::io::ErrorKind::AddrInUse),
        ] {
            let l = lines(host, kind);
            assert_eq!(l[0]["level"], "debug", "{host}");
            assert_eq!(l[1]["level"], "info");
            assert_eq!(l[1]["msg"], format!("Not forwarding TCP {host}"));
        }
    }
}
