//! Turning a plan into limactl invocations, as data (shown by `--dry-run`, run by
//! `apply`). Lima edits its own YAML: `edit --set` on a stopped instance; on a running
//! one `restart --set` (Lima ≥ 2.2) or stop → edit → start. Mount changes only take
//! effect at boot (contract §5.1).

use std::time::Duration;

use super::expr;
use super::plan::Plan;
use crate::error::{CoreError, Result};
use crate::locate::Limactl;
use crate::runner::Runner;

/// The `--set` expressions of a plan, in order: removals, toggles, then one append.
pub fn expressions(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = plan.removed.iter().map(|mp| expr::remove(mp)).collect();
    out.extend(
        plan.toggled
            .iter()
            .map(|m| expr::set_writable(&m.mount_point, m.writable)),
    );
    if !plan.added.is_empty() {
        out.push(expr::add(&plan.added));
    }
    out
}

/// The limactl argv lists (without the program) that apply `plan` to `name`.
pub fn invocations(limactl: &Limactl, name: &str, plan: &Plan, running: bool) -> Vec<Vec<String>> {
    let exprs = expressions(plan);
    if exprs.is_empty() {
        return Vec::new();
    }
    let mut edit_args: Vec<&str> = vec![name];
    for e in &exprs {
        edit_args.extend(["--set", e.as_str()]);
    }
    if !running {
        vec![Runner::argv("edit", &edit_args)]
    } else if limactl.features.restart_with_edits {
        vec![Runner::argv("restart", &edit_args)]
    } else {
        vec![
            Runner::argv("stop", &[name]),
            Runner::argv("edit", &edit_args),
            Runner::argv("start", &["--timeout", "15m", name]),
        ]
    }
}

/// An invocation as the full command: the absolute limactl path, then the arguments.
pub fn with_program(limactl: &Limactl, argv: &[String]) -> Vec<String> {
    std::iter::once(limactl.runner.program.display().to_string())
        .chain(argv.iter().cloned())
        .collect()
}

/// Runs the invocations in order; the first failure stops and is returned with Lima's
/// message (lima.yaml is then exactly as Lima left it: Lima writes it, Limabar does not).
pub async fn apply(limactl: &Limactl, invocations: &[Vec<String>]) -> Result<()> {
    for argv in invocations {
        let out = limactl
            .runner
            .run(argv, Duration::from_secs(16 * 60))
            .await?;
        if !out.success() {
            return Err(CoreError::Failed {
                command: argv.join(" "),
                detail: out.failure_message(),
            });
        }
    }
    Ok(())
}
