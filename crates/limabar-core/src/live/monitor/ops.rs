//! Running one lifecycle operation: check that the instance exists (`limactl start` of
//! an unknown name would create an Ubuntu VM), then run it. The result goes back to the
//! monitor as `Msg::OpFinished`.

use std::time::Duration;

use crate::error::{CoreError, Result};
use crate::features::mounts::{apply, verify};
use crate::lima::inventory::{parse_list, LimaStatus, Mount};
use crate::lima::limactl;
use crate::lima::locate::Limactl;
use crate::live::change::{MountStatus, Operation};

pub(super) struct OpPlan {
    pub limactl: Limactl,
    pub name: String,
    pub op: Operation,
    pub start_timeout: Duration,
    pub mounts: Option<MountsJob>,
    /// Released when the plan is dropped, at the end of `run` (removed with a VM that
    /// was deleted).
    pub lock: Option<crate::live::oplock::OpLock>,
}

/// A mount change: the limactl calls, and the writable mounts to check afterwards
/// (when the change restarted the VM).
pub(super) struct MountsJob {
    pub invocations: Vec<limactl::Call>,
    pub verify: Vec<Mount>,
}

/// Runs the operation; a mount change returns its in-guest checks.
pub(super) async fn run(mut plan: OpPlan) -> Result<Vec<MountStatus>> {
    let runner = &plan.limactl.runner;
    let listed = runner.run(&limactl::list(Some(&plan.name))).await?;
    if !listed.success() || listed.stdout.trim().is_empty() {
        return Err(CoreError::InstanceNotFound { name: plan.name });
    }
    if let Some(job) = &plan.mounts {
        apply::apply(&plan.limactl, &job.invocations).await?;
        let checks = verify::verify(&plan.limactl, &plan.name, &job.verify).await;
        return Ok(checks
            .into_iter()
            .map(|(m, check)| MountStatus {
                explanation: check.explain(&m.mount_point),
                mount_point: m.mount_point,
                check,
            })
            .collect());
    }
    // Delete is decided on the listing just made: Lima refuses anything but Stopped
    // without -f.
    let stopped = parse_list(&listed.stdout, &listed.stderr)
        .instances
        .iter()
        .any(|i| i.name == plan.name && i.status == LimaStatus::Stopped);
    // `begin` refuses Create and routes Mounts above: every other operation is one call.
    let call = limactl::operation(plan.op, &plan.name, plan.start_timeout, stopped)
        .ok_or_else(|| CoreError::io("monitor", format!("{:?} is not one call", plan.op)))?;
    let out = runner.run(&call).await?;
    if out.success() {
        if plan.op == Operation::Delete {
            // The VM is gone: so is its lock file.
            if let Some(lock) = plan.lock.take() {
                lock.release_and_remove();
            }
        }
        return Ok(Vec::new());
    }
    let detail = out.failure_message();
    Err(CoreError::Failed {
        command: format!("{} {}", plan.op.verb(), plan.name),
        detail: if detail.is_empty() {
            format!("exit status {}", out.code)
        } else {
            detail
        },
    })
}
