//! Commands in the guest through `limactl shell`, with an exit status that can be trusted.
//! Lima 2.0.x exits 0 without running anything when the instance is stopped
//! (`cmd/limactl/shell.go` v2.0.0–v2.0.3: `if !startNow { return nil }`); from 2.1.0 it
//! fails with ``instance `X` is stopped, run `limactl start X` to start the instance``.
//! So on 2.0.x an exit 0 with no output at all is checked against the instance's status,
//! and a stopped instance gets 2.1's failure: callers see one behaviour on every version.

use crate::error::Result;
use crate::lima::inventory::{parse_list, LimaStatus};
use crate::lima::limactl::{self, Call};
use crate::lima::runner::{Output, Runner};
use crate::lima::version::Features;

/// Runs `call` (a `limactl::shell`) and returns what a Lima ≥ 2.1 would have returned.
pub async fn run(runner: &Runner, features: Features, name: &str, call: &Call) -> Result<Output> {
    let out = runner.run(call).await?;
    if features.shell_fails_when_stopped
        || !out.success()
        || !out.stdout.is_empty()
        || !out.stderr.is_empty()
    {
        return Ok(out);
    }
    let listed = runner.run(&limactl::list(Some(name))).await?;
    let running = parse_list(&listed.stdout, &listed.stderr)
        .instances
        .iter()
        .any(|i| i.name == name && i.status == LimaStatus::Running);
    Ok(if running { out } else { stopped(name) })
}

/// Lima 2.1's answer for a stopped instance (`cmd/limactl/shell.go`).
pub fn stopped(name: &str) -> Output {
    Output {
        code: 1,
        stdout: String::new(),
        stderr: format!(
            "level=fatal msg=\"instance `{name}` is stopped, run `limactl start {name}` to start the instance\"\n"
        ),
    }
}
