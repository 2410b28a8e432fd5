//! Which program on this machine holds a host port a VM could not forward: Lima only says
//! `bind: address already in use`, and when no other VM holds it the user has to find
//! the program (a dev server left running, another VM manager). Asked once per failed
//! forward, never on a timer.
//!
//! - Linux: the listening socket's inode from `/proc/net/{tcp,tcp6,udp,udp6}` (state
//!   `0A` LISTEN for TCP; any bound UDP socket), then the process whose `/proc/PID/fd`
//!   links to `socket:[INODE]`. Another user's processes cannot be read: the holder is
//!   then known to exist but not named.
//! - macOS: `lsof -nP -iTCP:PORT -sTCP:LISTEN -Fpc` (lsof ships with macOS; argv only).
//!
//! A Lima host agent (`limactl hostagent`) is not a program to name: a port another VM
//! forwards is named after that VM (`live::ports::mark_conflicts`), and a host agent
//! that is stopping still holds its ports for a moment — naming it then would stick
//! (Lima does not retry a failed listen, so nothing asks again).

use serde::Serialize;
use ts_rs::TS;

/// The program holding a host port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PortHolder {
    /// Its command name (`/proc/PID/comm`, lsof's `c`), when this user may read it.
    pub program: Option<String>,
    pub pid: Option<u32>,
}

/// The port of `127.0.0.1:8080` or `[::1]:8080`.
fn port_of(host_addr: &str) -> Option<u16> {
    host_addr.rsplit_once(':')?.1.parse().ok()
}

/// Who holds `host_addr` for `protocol` (`tcp`/`udp`), if anyone this platform can see.
pub fn holder(protocol: &str, host_addr: &str) -> Option<PortHolder> {
    let port = port_of(host_addr)?;
    platform_holder(protocol, port)
}

#[cfg(target_os = "linux")]
fn platform_holder(protocol: &str, port: u16) -> Option<PortHolder> {
    let tables: &[&str] = match protocol {
        "udp" => &["/proc/net/udp", "/proc/net/udp6"],
        _ => &["/proc/net/tcp", "/proc/net/tcp6"],
    };
    let inodes: Vec<u64> = tables
        .iter()
        .filter_map(|t| std::fs::read_to_string(t).ok())
        .flat_map(|text| listening_inodes(&text, port, protocol != "udp"))
        .collect();
    if inodes.is_empty() {
        return None;
    }
    match process_with_socket(&inodes) {
        Some(h) if is_lima_host_agent(&h) => None,
        Some(h) => Some(h),
        None => Some(PortHolder {
            program: None,
            pid: None,
        }),
    }
}

/// `limactl` (and limactl-sim, which stands in for it here).
fn is_lima_host_agent(h: &PortHolder) -> bool {
    h.program
        .as_deref()
        .is_some_and(|p| p.starts_with("limactl"))
}

/// Inodes of the sockets bound to `port` in a `/proc/net/tcp`-style table (`listen_only`:
/// in state LISTEN, `0A`). Columns: `sl local_address rem_address st … inode`, the
/// address as `HEXIP:HEXPORT`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn listening_inodes(table: &str, port: u16, listen_only: bool) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = u16::from_str_radix(f.get(1)?.rsplit_once(':')?.1, 16).ok()?;
            let listening = !listen_only || *f.get(3)? == "0A";
            let inode: u64 = f.get(9)?.parse().ok()?;
            (local_port == port && listening && inode != 0).then_some(inode)
        })
        .collect()
}

/// The first process (by pid) with a descriptor on one of `inodes`, among those this
/// user may read.
#[cfg(target_os = "linux")]
fn process_with_socket(inodes: &[u64]) -> Option<PortHolder> {
    let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    pids.into_iter().find_map(|pid| {
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| wanted.iter().any(|w| target.as_os_str() == w.as_str()))
        });
        holds.then(|| PortHolder {
            program: std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .ok()
                .map(|c| c.trim().to_string()),
            pid: Some(pid),
        })
    })
}

#[cfg(target_os = "macos")]
fn platform_holder(protocol: &str, port: u16) -> Option<PortHolder> {
    let selector = match protocol {
        "udp" => format!("-iUDP:{port}"),
        _ => format!("-iTCP:{port}"),
    };
    let mut args = vec!["-nP".to_string(), selector];
    if protocol != "udp" {
        args.push("-sTCP:LISTEN".into());
    }
    args.push("-Fpc".into());
    #[allow(clippy::disallowed_methods)] // a fixed system tool, argv only, no shell
    let out = std::process::Command::new("/usr/sbin/lsof")
        .args(&args)
        .output()
        .ok()?;
    parse_lsof(&String::from_utf8_lossy(&out.stdout)).filter(|h| !is_lima_host_agent(h))
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn platform_holder(_: &str, _: u16) -> Option<PortHolder> {
    None
}

/// lsof's `-F pc` output: `p1234` then `cpython3` per process; the first one.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
fn parse_lsof(text: &str) -> Option<PortHolder> {
    let mut pid = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix('p') {
            pid = p.parse().ok();
        } else if let Some(c) = line.strip_prefix('c') {
            return Some(PortHolder {
                program: Some(c.to_string()),
                pid,
            });
        }
    }
    pid.map(|pid| PortHolder {
        program: None,
        pid: Some(pid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 515151 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn the_table_gives_the_listening_socket_of_the_port() {
        // 0x1F90 = 8080: the listener, not the connection to it.
        assert_eq!(listening_inodes(TCP, 8080, true), vec![424242]);
        assert_eq!(listening_inodes(TCP, 22, true), vec![1111]);
        assert!(listening_inodes(TCP, 9090, true).is_empty());
        // UDP has no LISTEN state: any bound socket counts.
        assert_eq!(listening_inodes(TCP, 8080, false), vec![424242, 515151]);
        assert!(listening_inodes("garbage\nmore garbage here\n", 8080, true).is_empty());
    }

    #[test]
    fn lsof_names_the_first_process() {
        assert_eq!(
            parse_lsof("p4242\ncpython3\nf5\np99\ncnode\n"),
            Some(PortHolder {
                program: Some("python3".into()),
                pid: Some(4242)
            })
        );
        assert_eq!(parse_lsof(""), None);
    }

    #[test]
    fn lima_host_agents_are_not_named_as_programs() {
        let named = |p: &str| PortHolder {
            program: Some(p.into()),
            pid: Some(1),
        };
        assert!(is_lima_host_agent(&named("limactl")));
        assert!(is_lima_host_agent(&named("limactl-sim")));
        assert!(!is_lima_host_agent(&named("python3")));
        assert!(!is_lima_host_agent(&PortHolder {
            program: None,
            pid: None
        }));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_listener_of_this_process_is_found_and_named() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let found = holder("tcp", &addr).expect("the test's own listener");
        assert_eq!(found.pid, Some(std::process::id()));
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
        assert_eq!(found.program.as_deref(), Some(comm.trim()));
        drop(listener);
        assert_eq!(holder("tcp", &addr), None, "closed: no one holds it");
        assert_eq!(holder("tcp", "no port"), None);
    }
}
