//! What the menu-bar icon and notifications should say, as pure functions of the
//! instances and changes, so they are tested without a tray or a notification server.

use serde::Serialize;

use crate::live::change::{Change, InstanceView, Operation};
use crate::live::readiness::VmState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TrayIcon {
    /// Nothing running.
    Idle,
    /// Something is starting or stopping.
    Busy,
    /// Everything that runs is ready.
    Ready,
    /// Something failed, is degraded or broken.
    Trouble,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayItem {
    pub name: String,
    /// e.g. `nixos — ready`, `nixos — starting: user session`.
    pub label: String,
    /// The actions offered under the label: Start, or Stop and Restart.
    pub actions: Vec<Operation>,
    pub enabled: bool,
    /// The host ports it forwards now ("Open localhost:PORT").
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    pub icon: TrayIcon,
    /// Shown next to the icon: the number of running VMs, empty when none.
    pub title: String,
    pub items: Vec<TrayItem>,
}

pub fn state_label(state: &VmState) -> String {
    match state {
        VmState::Starting { phase: Some(p), .. } => format!("starting: {p}"),
        other => other.kind().to_string(),
    }
}

pub fn tray_model(views: &[InstanceView]) -> TrayModel {
    let trouble = views.iter().any(|v| {
        matches!(
            v.state,
            VmState::Failed { .. } | VmState::Degraded { .. } | VmState::Broken { .. }
        )
    });
    let busy = views.iter().any(|v| {
        matches!(v.state, VmState::Starting { .. } | VmState::Stopping { .. })
            || v.operation.is_some()
    });
    let running = views.iter().filter(|v| v.state.is_running()).count();
    let icon = if trouble {
        TrayIcon::Trouble
    } else if busy {
        TrayIcon::Busy
    } else if running > 0 {
        TrayIcon::Ready
    } else {
        TrayIcon::Idle
    };
    let items = views
        .iter()
        .map(|v| {
            let up = v.state.is_up();
            TrayItem {
                name: v.instance.name.clone(),
                label: format!("{} — {}", v.instance.name, state_label(&v.state)),
                actions: if up {
                    vec![Operation::Stop, Operation::Restart]
                } else {
                    vec![Operation::Start]
                },
                enabled: v.operation.is_none() && !matches!(v.state, VmState::Stopping { .. }),
                ports: forwarded_ports(v),
            }
        })
        .collect();
    TrayModel {
        icon,
        title: if running > 0 {
            running.to_string()
        } else {
            String::new()
        },
        items,
    }
}

/// A running VM's forwarded host ports, each once, in order.
fn forwarded_ports(v: &InstanceView) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    if v.state.is_up() {
        for p in &v.ports {
            if p.state == crate::live::ports::PortState::Forwarding {
                if let Some(port) = p.host_port().filter(|port| !ports.contains(port)) {
                    ports.push(port);
                }
            }
        }
    }
    ports
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// Boots longer than this notify even when begun elsewhere (while the popover is closed).
pub const LONG_BOOT_SECS: f64 = 15.0;

/// A ready event older than this when processed is replayed history (Limabar started
/// while the VM was up), not news.
pub const STALE_MS: i64 = 30_000;

/// The notification a change deserves, if any: ready for starts begun in Limabar and for
/// long boots while the popover is closed; failure and degraded always. `now` is Unix ms.
pub fn notice_for(change: &Change, popover_visible: bool, now: i64) -> Option<Notice> {
    let Change::StateChanged {
        name,
        from,
        to,
        by_limabar,
    } = change
    else {
        return None;
    };
    match to {
        VmState::Ready {
            boot_secs: Some(secs),
            since,
            ..
        } if matches!(from, VmState::Starting { .. }) && now - since < STALE_MS => {
            (*by_limabar || (*secs > LONG_BOOT_SECS && !popover_visible)).then(|| Notice {
                title: format!("{name} is ready — booted in {secs:.1} s"),
                body: format!("Open a shell with `limactl shell {name}`."),
            })
        }
        VmState::Degraded { errors, .. } if !matches!(from, VmState::Degraded { .. }) => {
            Some(Notice {
                title: format!("{name} is running with problems"),
                body: if errors.is_empty() {
                    "File sharing and port forwarding may not work.".into()
                } else {
                    errors.join("\n")
                },
            })
        }
        // A failure whose reason is refined (the host agent's word, then limactl's)
        // is still one failure: one notification.
        VmState::Failed { reason } if !matches!(from, VmState::Failed { .. }) => Some(Notice {
            title: format!("{name} failed"),
            body: reason.clone(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
