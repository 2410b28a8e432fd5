//! Running one lifecycle operation: check that the instance exists (`limactl start` of
//! an unknown name would create an Ubuntu VM), then run it. The result goes back to the
//! monitor as `Msg::OpFinished`.

use std::time::Duration;

use crate::change::Operation;
use crate::error::{CoreError, Result};
use crate::runner::Runner;

pub(super) struct OpPlan {
    pub runner: Runner,
    pub name: String,
    pub op: Operation,
    pub start_timeout: Duration,
}

fn go_duration(d: Duration) -> String {
    format!("{}s", d.as_secs().max(1))
}

pub(super) async fn run(plan: OpPlan) -> Result<()> {
    let list = Runner::argv("list", &["--json", &plan.name]);
    let listed = plan.runner.run(&list, Duration::from_secs(30)).await?;
    if !listed.success() || listed.stdout.trim().is_empty() {
        return Err(CoreError::InstanceNotFound { name: plan.name });
    }
    let argv = plan.op.argv(&plan.name, &go_duration(plan.start_timeout));
    // Our own deadline is past limactl's, so its clearer message normally wins.
    let deadline = match plan.op {
        Operation::Start | Operation::Restart => plan.start_timeout + Duration::from_secs(60),
        Operation::Stop => Duration::from_secs(4 * 60),
        Operation::ForceStop => Duration::from_secs(60),
    };
    let out = plan.runner.run(&argv, deadline).await?;
    if out.success() {
        return Ok(());
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
