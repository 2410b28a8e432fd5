//! One-shot state of an instance from its files, for `limabar list` and as the seed of
//! the live monitor: the fold of `ha.stdout.log` events and `ha.stderr.log` phases of
//! the current run (contract §10: read the logs of an instance that is already running).

use std::path::Path;

use crate::error::{CoreError, Result};
use crate::lima::events::parse_event_line;
use crate::lima::halog::parse_line;
use crate::lima::inventory::parse_list;
use crate::lima::inventory::{Instance, LimaStatus};
use crate::lima::locate::Limactl;
use crate::lima::tail::Follower;
use crate::live::change::InstanceView;
use crate::live::ports::{mark_conflicts, Ports};
use crate::live::readiness::{apply, Input, VmState};

pub const HA_STDOUT: &str = "ha.stdout.log";
pub const HA_STDERR: &str = "ha.stderr.log";
pub const HA_PID: &str = "ha.pid";

/// The state of a listed instance, reading its logs only when Lima says it runs.
pub fn state_of(instance: &Instance) -> VmState {
    let listed = Input::Listed {
        status: instance.status,
        errors: instance.errors.clone(),
    };
    let state = apply(&VmState::Stopped, &listed);
    if instance.status != LimaStatus::Running {
        return state;
    }
    replay_logs(Path::new(&instance.dir), state)
}

/// Applies the events of `ha.stdout.log` to `state`, with the phases of
/// `ha.stderr.log` for a boot still in progress.
pub fn replay_logs(dir: &Path, mut state: VmState) -> VmState {
    for line in Follower::new(dir.join(HA_STDOUT)).read_new() {
        if let Some(ev) = parse_event_line(&line) {
            state = apply(&state, &Input::Event(ev));
        }
    }
    if matches!(state, VmState::Starting { .. } | VmState::Unknown) {
        for line in Follower::new(dir.join(HA_STDERR)).read_new() {
            let at = state_since(&state);
            state = apply(
                &state,
                &Input::Log {
                    line: parse_line(&line),
                    at,
                },
            );
        }
    }
    state
}

fn state_since(state: &VmState) -> i64 {
    match state {
        VmState::Starting { since, .. } => *since,
        _ => 0,
    }
}

/// `limactl list --json` once, with each instance's state read from its logs.
/// Returns the views and the warnings (skipped lines).
pub async fn list_views(limactl: &Limactl) -> Result<(Vec<InstanceView>, Vec<String>)> {
    let out = limactl
        .runner
        .run(&crate::lima::limactl::list(None))
        .await?;
    if !out.success() {
        return Err(CoreError::Failed {
            command: "list --json".into(),
            detail: out.stderr_tail(2),
        });
    }
    let listing = parse_list(&out.stdout, &out.stderr);
    let mut ports: Vec<(String, Ports)> = listing
        .instances
        .iter()
        .map(|i| {
            let p = if i.status == LimaStatus::Running {
                Ports::replay(Path::new(&i.dir))
            } else {
                Ports::default()
            };
            (i.name.clone(), p)
        })
        .collect();
    mark_conflicts(
        ports.iter_mut().map(|(n, p)| (n.as_str(), p)),
        crate::features::port_holder::holder,
    );
    let views = listing
        .instances
        .into_iter()
        .zip(ports)
        .map(|(instance, (_, ports))| InstanceView {
            state: state_of(&instance),
            instance,
            operation: None,
            boot_estimate_secs: None,
            ports: ports.list().to_vec(),
        })
        .collect();
    Ok((views, listing.warnings))
}
