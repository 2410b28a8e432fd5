//! Running one lifecycle operation: check that the instance exists (`limactl start` of
//! an unknown name would create an Ubuntu VM), then run it. The result goes back to the
//! monitor as `Msg::OpFinished`.

use std::time::Duration;

use crate::error::{CoreError, Result};
use crate::features::mounts::{apply, verify};
use crate::lima::inventory::{parse_list, LimaStatus, Mount};
use crate::lima::locate::Limactl;
use crate::lima::runner::Runner;
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
    pub invocations: Vec<Vec<String>>,
    pub verify: Vec<Mount>,
}

fn go_duration(d: Duration) -> String {
    format!("{}s", d.as_secs().max(1))
}

/// Runs the operation; a mount change returns its in-guest checks.
pub(super) async fn run(mut plan: OpPlan) -> Result<Vec<MountStatus>> {
    let runner = &plan.limactl.runner;
    let list = Runner::argv("list", &["--json", &plan.name]);
    let listed = runner.run(&list, Duration::from_secs(30)).await?;
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
    let argv = match plan.op {
        // Decided on the listing just made: Lima refuses anything but Stopped without -f.
        Operation::Delete => {
            let listed = parse_list(&listed.stdout, &listed.stderr);
            let stopped = listed
                .instances
                .iter()
                .any(|i| i.name == plan.name && i.status == LimaStatus::Stopped);
            crate::features::delete::argv(&plan.name, stopped)
        }
        op => op.argv(&plan.name, &go_duration(plan.start_timeout)),
    };
    // Our own deadline is past limactl's, so its clearer message normally wins.
    let deadline = match plan.op {
        Operation::Start | Operation::Restart => plan.start_timeout + Duration::from_secs(60),
        Operation::Stop => Duration::from_secs(4 * 60),
        Operation::ForceStop => Duration::from_secs(60),
        Operation::Mounts => plan.start_timeout + Duration::from_secs(4 * 60),
        Operation::Delete => Duration::from_secs(120),
        // Never run here: `Monitor::create` runs it, and `begin` refuses it.
        Operation::Create => crate::features::create::run::CREATE_TIMEOUT,
    };
    let out = runner.run(&argv, deadline).await?;
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
