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

use crate::log::{now, rfc3339_secs};
use crate::scenario::GuestPort;

/// (guest address, host address) of a guest port under Lima's default rule.
pub fn addresses(p: &GuestPort) -> (String, String) {
    let ip = if p.loopback { "127.0.0.1" } else { "0.0.0.0" };
    (
        format!("{ip}:{}", p.guest_port),
        format!("127.0.0.1:{}", p.guest_port),
    )
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

/// Lima's warning for a host address it could not listen on: Go's `net.Listen` error
/// text (`listen tcp 127.0.0.1:8080: bind: address already in use`).
pub fn listen_warning(host: &str, e: &std::io::Error) -> String {
    let reason = match e.kind() {
        std::io::ErrorKind::AddrInUse => "address already in use".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    serde_json::json!({
        "error": format!("listen tcp {host}: bind: {reason}"),
        "level": "warning",
        "msg": format!("failed to listen tcp: {host}"),
        "time": rfc3339_secs(now()),
    })
    .to_string()
}
