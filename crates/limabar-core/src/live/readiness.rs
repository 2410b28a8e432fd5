//! Readiness as a pure fold. Inputs are what Limabar observes — host-agent events,
//! phase lines of `ha.stderr.log`, `limactl list` statuses, and the outcome of its own
//! operations — each carrying its timestamp; the clock stays outside. Rules follow
//! Lima's `pkg/instance/start.go`: the first `running` without `degraded` after a boot
//! began is ready; `degraded` is running with problems; `exiting` means the agent is gone.
//! `Running` in `limactl list` is *not* ready (the VM runs long before SSH works).

use serde::Serialize;
use ts_rs::TS;

use crate::lima::events::HaEvent;
use crate::lima::halog::{driver_stopped, is_shutdown, phase_of, HaLogLine};
use crate::lima::inventory::LimaStatus;

/// Unix milliseconds.
pub type Millis = i64;

/// How every failure of a VM that was up begins.
pub const STOPPED_UNEXPECTEDLY: &str = "the VM stopped unexpectedly";
/// How the failure of a VM that stopped by itself while booting begins.
const STOPPED_DURING_BOOT: &str = "the VM stopped during boot";

/// A failure after which the VM is gone for good (as opposed to, say, a start that timed
/// out while the VM went on booting): the dead agent's last snapshots, which still say
/// `running`, must not make it ready again.
fn vm_gone(reason: &str) -> bool {
    reason.starts_with(STOPPED_UNEXPECTEDLY) || reason.starts_with(STOPPED_DURING_BOOT)
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum VmState {
    Stopped,
    #[serde(rename_all = "camelCase")]
    Starting {
        phase: Option<String>,
        #[ts(type = "number")]
        since: Millis,
    },
    #[serde(rename_all = "camelCase")]
    Ready {
        ssh_port: Option<u16>,
        /// Seconds from the start of the boot to `running`, when the boot was observed.
        boot_secs: Option<f64>,
        #[ts(type = "number")]
        since: Millis,
    },
    #[serde(rename_all = "camelCase")]
    Degraded {
        errors: Vec<String>,
        #[ts(type = "number")]
        since: Millis,
    },
    Failed {
        reason: String,
    },
    #[serde(rename_all = "camelCase")]
    Stopping {
        #[ts(type = "number")]
        since: Millis,
    },
    Broken {
        reason: String,
    },
    Unknown,
}

/// The state's name, as used by `limabar list --json` and the tray.
impl VmState {
    pub fn kind(&self) -> &'static str {
        match self {
            VmState::Stopped => "stopped",
            VmState::Starting { .. } => "starting",
            VmState::Ready { .. } => "ready",
            VmState::Degraded { .. } => "degraded",
            VmState::Failed { .. } => "failed",
            VmState::Stopping { .. } => "stopping",
            VmState::Broken { .. } => "broken",
            VmState::Unknown => "unknown",
        }
    }

    pub fn phase(&self) -> Option<&str> {
        match self {
            VmState::Starting { phase, .. } => phase.as_deref(),
            _ => None,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, VmState::Ready { .. } | VmState::Degraded { .. })
    }

    /// The VM process is (or is becoming) up: ready, degraded, booting, or listed
    /// running without events yet. Starting it again makes no sense; editing it needs a
    /// restart.
    pub fn is_up(&self) -> bool {
        self.is_running() || matches!(self, VmState::Starting { .. } | VmState::Unknown)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Limabar asked limactl to start the instance.
    StartRequested {
        at: Millis,
    },
    /// A new host agent began writing its logs (a start from anywhere).
    BootObserved {
        at: Millis,
    },
    StopRequested {
        at: Millis,
    },
    Event(HaEvent),
    Log {
        line: HaLogLine,
        at: Millis,
    },
    Listed {
        status: LimaStatus,
        errors: Vec<String>,
    },
    /// `limactl start` ended; `error` is its message when it exited non-zero.
    StartFinished {
        error: Option<String>,
        at: Millis,
    },
    StopFinished {
        error: Option<String>,
    },
    /// The host-agent process is gone and its log has no `exiting` event: it was killed
    /// (SIGKILL, out of memory) or crashed, since Lima writes that event in a `defer`
    /// (`pkg/hostagent/hostagent.go` `Run`) — or `limactl stop -f` killed it.
    /// `files_left`: its `ha.sock` is still there, so nobody cleaned up after it. Its own
    /// exit removes it (`cmd/limactl/hostagent.go`, `defer srv.Close()`) and so does
    /// `limactl stop -f` after its SIGKILL (`pkg/instance/stop.go` `StopForcibly`).
    AgentGone {
        files_left: bool,
    },
}

pub fn apply(state: &VmState, input: &Input) -> VmState {
    use VmState::*;
    match input {
        Input::StartRequested { at } => Starting {
            phase: Some("starting".into()),
            since: *at,
        },
        Input::BootObserved { at } => match state {
            Starting { .. } => state.clone(),
            _ => Starting {
                phase: None,
                since: *at,
            },
        },
        Input::StopRequested { at } => Stopping { since: *at },
        Input::Event(ev) => on_event(state, ev),
        Input::Log { line, at } => on_log(state, line, *at),
        Input::Listed { status, errors } => on_listed(state, *status, errors),
        Input::StartFinished { error: None, at } => match state {
            // Exit 0 means READY even if the `running` event was not seen (yet).
            Starting { since, .. } => Ready {
                ssh_port: None,
                boot_secs: Some(secs_between(*since, *at)),
                since: *at,
            },
            _ => state.clone(),
        },
        Input::StartFinished {
            error: Some(msg), ..
        } => match state {
            // limactl exits 1 on a degraded start although the VM runs.
            Degraded { .. } => state.clone(),
            _ => Failed {
                reason: msg.clone(),
            },
        },
        Input::AgentGone { files_left } => on_agent_gone(state, *files_left),
        Input::StopFinished { error: None } => Stopped,
        Input::StopFinished { error: Some(_) } => match state {
            Stopping { .. } => Unknown,
            _ => state.clone(),
        },
    }
}

fn secs_between(from: Millis, to: Millis) -> f64 {
    ((to - from).max(0) as f64) / 1000.0
}

fn on_event(state: &VmState, ev: &HaEvent) -> VmState {
    use VmState::*;
    let at = ev.at_ms.unwrap_or(0);
    if ev.exiting {
        return match state {
            Starting { .. } => Failed {
                reason: if ev.errors.is_empty() {
                    "the host agent exited during boot (see ha.stderr.log)".into()
                } else {
                    ev.errors.join("\n")
                },
            },
            Ready { .. } | Degraded { .. } => Failed {
                reason: STOPPED_UNEXPECTEDLY.into(),
            },
            Failed { .. } => state.clone(),
            _ => Stopped,
        };
    }
    if ev.running {
        if matches!(state, Failed { reason } if vm_gone(reason)) {
            return state.clone();
        }
        if ev.degraded {
            return match state {
                Stopping { .. } | Degraded { .. } => state.clone(),
                _ => Degraded {
                    errors: ev.errors.clone(),
                    since: at,
                },
            };
        }
        return match state {
            Starting { since, .. } => Ready {
                ssh_port: ev.ssh_local_port,
                boot_secs: Some(secs_between(*since, at)),
                since: at,
            },
            // `limactl start` exited before its `running` event was seen: the event brings
            // the SSH port, the boot time stays the one measured at the exit.
            Ready {
                ssh_port: None,
                boot_secs,
                since,
            } if ev.ssh_local_port.is_some() => Ready {
                ssh_port: ev.ssh_local_port,
                boot_secs: *boot_secs,
                since: *since,
            },
            // Repeats of the snapshot (port-forward events, shutdown) change nothing.
            Ready { .. } | Degraded { .. } | Stopping { .. } => state.clone(),
            // Replayed history of a VM that was already up when Limabar looked.
            _ => Ready {
                ssh_port: ev.ssh_local_port,
                boot_secs: None,
                since: at,
            },
        };
    }
    // The "booting" event: only sshLocalPort.
    match state {
        Starting { .. } | Stopping { .. } => state.clone(),
        _ => Starting {
            phase: Some("waiting for ssh".into()),
            since: at,
        },
    }
}

fn on_log(state: &VmState, line: &HaLogLine, at: Millis) -> VmState {
    use VmState::*;
    if is_shutdown(&line.msg) {
        return match state {
            Stopped | Failed { .. } | Stopping { .. } => state.clone(),
            _ => Stopping { since: at },
        };
    }
    if let Some(error) = driver_stopped(&line.msg) {
        // Nobody asked: the guest powered off or rebooted, or the VM process died.
        let what = if error.is_empty() {
            "the VM process exited (a poweroff in the guest?)".to_string()
        } else {
            format!("the driver reported `{error}` (a poweroff or reboot in the guest, or a driver failure)")
        };
        return match state {
            Starting { .. } => Failed {
                reason: format!("{STOPPED_DURING_BOOT}: {what}"),
            },
            Ready { .. } | Degraded { .. } | Unknown => Failed {
                reason: format!("{STOPPED_UNEXPECTEDLY}: {what}"),
            },
            Stopped | Stopping { .. } | Failed { .. } | Broken { .. } => state.clone(),
        };
    }
    match (state, phase_of(&line.msg)) {
        (Starting { since, .. }, Some(phase)) => Starting {
            phase: Some(phase),
            since: *since,
        },
        _ => state.clone(),
    }
}

fn on_agent_gone(state: &VmState, files_left: bool) -> VmState {
    use VmState::*;
    match state {
        // A stop Limabar asked for (`stop -f` kills without an exiting event).
        Stopping { .. } => Stopped,
        Failed { .. } | Broken { .. } => state.clone(),
        Starting { .. } if files_left => Failed {
            reason: "the host agent died during boot without shutting down (killed or crashed; see ha.stderr.log)".into(),
        },
        // Stopped too: a listing right after the death says so (Lima removes the dead
        // agent's ha.pid) although nobody asked.
        Ready { .. } | Degraded { .. } | Unknown | Stopped if files_left => Failed {
            reason: format!(
                "{STOPPED_UNEXPECTEDLY}: its host agent died without shutting down (killed or crashed; see ha.stderr.log)"
            ),
        },
        // Cleaned up: `limactl stop -f` from elsewhere.
        Starting { .. } | Ready { .. } | Degraded { .. } | Unknown | Stopped => Stopped,
    }
}

fn on_listed(state: &VmState, status: LimaStatus, errors: &[String]) -> VmState {
    use VmState::*;
    match status {
        LimaStatus::Running => match state {
            // Running only says the VM process is up; readiness comes from events.
            Stopped | Broken { .. } => Unknown,
            _ => state.clone(),
        },
        LimaStatus::Stopped => match state {
            // A start that has not written ha.pid yet; a failure whose reason matters.
            Starting { .. } | Failed { .. } => state.clone(),
            _ => Stopped,
        },
        LimaStatus::Broken if listing_is_transient(status, state) => state.clone(),
        LimaStatus::Broken => Broken {
            reason: errors
                .first()
                .cloned()
                .unwrap_or_else(|| "Lima reports this instance as broken".into()),
        },
        LimaStatus::Unknown => Broken {
            reason: errors
                .first()
                .cloned()
                .unwrap_or_else(|| "Lima could not load this instance".into()),
        },
    }
}

/// A listing taken while an agent starts or stops can say `Broken` (ha.pid written
/// before the driver runs); its errors are not news then and must not stick.
pub fn listing_is_transient(status: LimaStatus, state: &VmState) -> bool {
    status == LimaStatus::Broken
        && matches!(state, VmState::Starting { .. } | VmState::Stopping { .. })
}

/// Folds a whole log (e.g. `ha.stdout.log` read at once) from `initial`.
pub fn fold<'a>(initial: VmState, inputs: impl IntoIterator<Item = &'a Input>) -> VmState {
    inputs.into_iter().fold(initial, |s, i| apply(&s, i))
}

#[cfg(test)]
mod tests;
