//! A running VM's forwarded ports, from its host agent's own reports: no polling.
//!
//! Lima's host agent emits a `portForward` event for each guest port it sees opened or
//! closed (`pkg/portfwd/forward.go` `OnEvent`; `pkg/hostagent/port.go` for ssh
//! forwarding): `forwarding` (guest → host address), `not-forwarding` (no rule maps it),
//! `stopping` (the guest closed it). It emits `forwarding` *before* it listens on the host
//! address, and a listen that fails (the port is taken: by another VM, or by a host
//! process) is only a warning in `ha.stderr.log`: `failed to listen tcp: 127.0.0.1:8080`
//! with the error in its `error` field (`pkg/portfwd/listener.go` `logListenError`;
//! privileged and DNS-like ports are logged at debug level and "Not forwarding" instead).
//! So a port is `Forwarding` from its event and becomes `Failed` when that warning names
//! its host address. The `failed` event type exists (`pkg/hostagent/events/events.go`) but
//! no code emits it in Lima 2.2/main; it is read all the same.
//!
//! Two VMs forwarding the same host address: the one whose listen failed says so and
//! names the other ([`PortConflict`]); the other says who else wants it.

use serde::Serialize;
use ts_rs::TS;

use crate::features::port_holder::PortHolder;
use crate::lima::events::PortForwardEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum PortState {
    /// The host address forwards to the guest's.
    Forwarding,
    /// The `portForwards` rules give it no host address (a rule ignores it).
    NotForwarding,
    /// The host agent could not listen on the host address.
    Failed,
}

/// Another VM, or a program, on the same host address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum PortConflict {
    /// This VM's forward failed: `owner` holds the host address.
    HeldBy { owner: String },
    /// This VM's forward failed and no VM holds the address: a program on this machine
    /// does (`program` and `pid` when this user may read them).
    HeldByProgram {
        program: Option<String>,
        pid: Option<u32>,
    },
    /// This VM holds it; `others` wanted it too and could not forward.
    WantedBy { others: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PortView {
    pub protocol: String,
    /// `127.0.0.1:8080` as the guest listens on it (`0.0.0.0:8080` for any address).
    pub guest_addr: String,
    /// Where it is reachable on this machine, when forwarded.
    pub host_addr: Option<String>,
    pub state: PortState,
    /// Why it failed, in Lima's words (`listen tcp 127.0.0.1:8080: bind: address already
    /// in use`).
    pub error: Option<String>,
    pub conflict: Option<PortConflict>,
}

impl PortView {
    /// The host port, for "localhost:PORT".
    pub fn host_port(&self) -> Option<u16> {
        self.host_addr.as_deref()?.rsplit_once(':')?.1.parse().ok()
    }
}

/// One VM's ports, in the order they appeared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ports(Vec<PortView>, Vec<ListenFailure>);

/// A "failed to listen" warning read before the `forwarding` event it follows in Lima's
/// order: the log file and the event stream arrive separately.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListenFailure {
    protocol: String,
    host_addr: String,
    error: String,
}

impl Ports {
    pub fn list(&self) -> &[PortView] {
        &self.0
    }

    pub fn clear(&mut self) {
        self.0.clear();
        self.1.clear();
    }

    /// Applies a `portForward` event; true if anything changed.
    pub fn apply(&mut self, ev: &PortForwardEvent) -> bool {
        let before = self.0.clone();
        let protocol = ev.protocol.clone().unwrap_or_else(|| "tcp".into());
        let Some(guest) = ev.guest_addr.clone() else {
            return false;
        };
        // The guest's sshd: the VM's row shows its ssh port already.
        if guest.ends_with(":22") {
            return false;
        }
        let at = self
            .0
            .iter()
            .position(|p| p.protocol == protocol && p.guest_addr == guest);
        let state = match ev.kind.as_str() {
            "forwarding" => Some(PortState::Forwarding),
            "not-forwarding" => Some(PortState::NotForwarding),
            "failed" => Some(PortState::Failed),
            // `stopping`: the guest closed it.
            _ => None,
        };
        match (state, at) {
            (None, Some(i)) => {
                self.0.remove(i);
            }
            (None, None) => {}
            (Some(state), at) => {
                let mut port = PortView {
                    protocol,
                    guest_addr: guest,
                    host_addr: ev.host_addr.clone().filter(|h| !h.is_empty()),
                    state,
                    error: ev.error.clone().filter(|e| !e.is_empty()),
                    conflict: None,
                };
                // The line Lima logs just before this event, read first: not a failure.
                if state == PortState::NotForwarding {
                    self.1.retain(|f| {
                        !(f.protocol == port.protocol && f.host_addr == port.guest_addr)
                    });
                }
                // Its listen already failed: the warning came first.
                if state == PortState::Forwarding {
                    if let Some(i) = self.1.iter().position(|f| {
                        f.protocol == port.protocol && Some(&f.host_addr) == port.host_addr.as_ref()
                    }) {
                        let failure = self.1.remove(i);
                        port.state = PortState::Failed;
                        port.error = Some(failure.error);
                    }
                }
                match at {
                    Some(i) => self.0[i] = port,
                    None => self.0.push(port),
                }
            }
        }
        self.0 != before
    }

    /// The host agent's `failed to listen PROTO: ADDR` warning: that forward failed (or,
    /// not seen yet, the next `forwarding` event for the address will have).
    pub fn listen_failed(&mut self, protocol: &str, host_addr: &str, error: &str) -> bool {
        let known = self
            .0
            .iter()
            .any(|p| p.protocol == protocol && p.host_addr.as_deref() == Some(host_addr));
        if !known {
            self.1.push(ListenFailure {
                protocol: protocol.into(),
                host_addr: host_addr.into(),
                error: error.into(),
            });
            return false;
        }
        let mut changed = false;
        for p in self
            .0
            .iter_mut()
            .filter(|p| p.protocol == protocol && p.host_addr.as_deref() == Some(host_addr))
        {
            if p.state != PortState::Failed {
                p.state = PortState::Failed;
                p.error = Some(error.to_string());
                changed = true;
            }
        }
        changed
    }

    /// The host agent's `Not forwarding PROTO ADDR` line. With a guest address a rule
    /// ignores (its `not-forwarding` event says so) it is nothing new; with a host address
    /// Lima's listen failed and it skipped the failure as negligible: that forward failed,
    /// said in Lima's terms.
    pub fn not_forwarded(&mut self, protocol: &str, addr: &str) -> bool {
        let ignored = self.0.iter().any(|p| {
            p.state == PortState::NotForwarding && p.protocol == protocol && p.guest_addr == addr
        });
        if ignored {
            return false;
        }
        let error = format!(
            "Lima does not forward it: {}",
            negligible_reason(protocol, addr)
        );
        self.listen_failed(protocol, addr, &error)
    }

    fn set_conflicts(&mut self, conflicts: Vec<Option<PortConflict>>) -> bool {
        let mut changed = false;
        for (p, c) in self.0.iter_mut().zip(conflicts) {
            if p.conflict != c {
                p.conflict = c;
                changed = true;
            }
        }
        changed
    }
}

impl Ports {
    /// A running instance's ports from its logs (`limabar ports`, `limabar list`): the
    /// `portForward` events of `ha.stdout.log` and the "failed to listen" warnings of
    /// `ha.stderr.log`, both of the current boot (the host agent writes them anew).
    pub fn replay(dir: &std::path::Path) -> Ports {
        use crate::lima::{events::parse_event_line, halog::parse_line, tail::Follower};
        use crate::live::snapshot::{HA_STDERR, HA_STDOUT};
        let mut ports = Ports::default();
        for line in Follower::new(dir.join(HA_STDOUT)).read_new() {
            if let Some(pf) = parse_event_line(&line).and_then(|e| e.port_forward) {
                ports.apply(&pf);
            }
        }
        for line in Follower::new(dir.join(HA_STDERR)).read_new() {
            ports.read_log_line(&parse_line(&line));
        }
        ports
    }

    /// What a host agent's log line says about its forwards: a `failed to listen`
    /// warning, or a `Not forwarding` line. True if the ports changed.
    pub fn read_log_line(&mut self, line: &crate::lima::halog::HaLogLine) -> bool {
        match line.level.as_str() {
            "warning" => match listen_failure(&line.msg) {
                Some((protocol, addr)) => {
                    let error = line.error.as_deref().unwrap_or("the address is in use");
                    self.listen_failed(protocol, addr, error)
                }
                None => false,
            },
            "info" => match not_forwarding(&line.msg) {
                Some((protocol, addr)) => self.not_forwarded(&protocol, addr),
                None => false,
            },
            _ => false,
        }
    }
}

/// `Not forwarding TCP 127.0.0.1:53` → (`tcp`, `127.0.0.1:53`). Lima logs this line at
/// info level in two places: before a `not-forwarding` event, with the guest address
/// (`pkg/portfwd/forward.go`), and after a listen it deems negligible, with the host
/// address (`pkg/portfwd/listener.go` `logListenError`).
pub fn not_forwarding(msg: &str) -> Option<(String, &str)> {
    let rest = msg.strip_prefix("Not forwarding ")?;
    let (protocol, addr) = rest.split_once(' ')?;
    let addr = addr.trim();
    (!addr.is_empty() && !addr.contains(' ')).then(|| (protocol.to_ascii_lowercase(), addr))
}

/// Why Lima skipped a listen failure, as `logListenError` decides it: its system ports,
/// else the port was privileged (EACCES).
fn negligible_reason(protocol: &str, host_addr: &str) -> &'static str {
    let port = host_addr.rsplit_once(':').map(|(_, p)| p).unwrap_or("");
    match (protocol, port) {
        ("tcp" | "udp", "53") => "DNS port (often conflicts with the system resolver)",
        ("udp", "323") => "NTP port (often conflicts with the system NTP server)",
        ("udp", "5353") => "mDNS port (often conflicts with the system mDNS responder)",
        ("udp", "5355") => "LLMNR port (often conflicts with the system LLMNR responder)",
        _ => "privileged port",
    }
}

/// `failed to listen tcp: 127.0.0.1:8080` → (`tcp`, `127.0.0.1:8080`).
pub fn listen_failure(msg: &str) -> Option<(&str, &str)> {
    let rest = msg.strip_prefix("failed to listen ")?;
    let (protocol, addr) = rest.split_once(": ")?;
    (!addr.is_empty() && !protocol.contains(' ')).then_some((protocol, addr.trim()))
}

/// Names the other VM of each shared host address, for every VM's ports, and for a failed
/// forward no VM holds, the program that does (`program_holding(protocol, host_addr)`,
/// asked once per failure: a name found is kept); returns the names of the VMs whose
/// ports changed.
pub fn mark_conflicts<'a>(
    vms: impl Iterator<Item = (&'a str, &'a mut Ports)>,
    program_holding: impl Fn(&str, &str) -> Option<PortHolder>,
) -> Vec<String> {
    let mut all: Vec<(&str, &mut Ports)> = vms.collect();
    let holders = |all: &[(&str, &mut Ports)], me: &str, proto: &str, addr: &str, st: PortState| {
        all.iter()
            .filter(|(n, _)| *n != me)
            .filter(|(_, ps)| {
                ps.0.iter().any(|p| {
                    p.protocol == proto && p.host_addr.as_deref() == Some(addr) && p.state == st
                })
            })
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>()
    };
    let mut found: Vec<Vec<Option<PortConflict>>> = Vec::new();
    for (name, ports) in all.iter() {
        let mut mine = Vec::new();
        for p in ports.0.iter() {
            let Some(addr) = p.host_addr.as_deref() else {
                mine.push(None);
                continue;
            };
            mine.push(match p.state {
                PortState::Failed => {
                    match holders(&all, name, &p.protocol, addr, PortState::Forwarding)
                        .into_iter()
                        .next()
                    {
                        Some(owner) => Some(PortConflict::HeldBy { owner }),
                        None if matches!(p.conflict, Some(PortConflict::HeldByProgram { .. })) => {
                            p.conflict.clone()
                        }
                        None => program_holding(&p.protocol, addr).map(|h| {
                            PortConflict::HeldByProgram {
                                program: h.program,
                                pid: h.pid,
                            }
                        }),
                    }
                }
                PortState::Forwarding => {
                    let others = holders(&all, name, &p.protocol, addr, PortState::Failed);
                    (!others.is_empty()).then_some(PortConflict::WantedBy { others })
                }
                PortState::NotForwarding => None,
            });
        }
        found.push(mine);
    }
    let mut changed = Vec::new();
    for ((name, ports), conflicts) in all.iter_mut().zip(found) {
        if ports.set_conflicts(conflicts) {
            changed.push(name.to_string());
        }
    }
    changed
}

#[cfg(test)]
mod tests;
