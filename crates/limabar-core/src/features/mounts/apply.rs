//! Turning a plan into limactl invocations, as data (shown by `--dry-run`, run by
//! `apply`). Lima edits its own YAML: `edit --set` on a stopped instance; on a running
//! one `restart --set` (Lima ≥ 2.2) or stop → edit → start. Mount changes only take
//! effect at boot (contract §5.1).

use std::time::Duration;

use super::expr;
use super::guest_fstab;
use super::plan::Plan;
use super::source::RawEntry;
use crate::error::{CoreError, Result};
use crate::lima::locate::Limactl;
use crate::lima::runner::Runner;

/// The `--set` expressions of a plan, in order: removals, toggles, one append, and the
/// fstab script when the plan needs it. Removals and toggles select the entries as
/// lima.yaml writes them (`Plan::written`, from `source`).
pub fn expressions(plan: &Plan) -> Vec<String> {
    let written = |mount_point: &str| {
        plan.written
            .get(mount_point)
            .cloned()
            // Only a plan built by hand lacks it: then the entry is one Limabar wrote.
            .unwrap_or_else(|| RawEntry {
                location: mount_point.to_string(),
                mount_point: Some(mount_point.to_string()),
                writable: None,
            })
    };
    let mut out: Vec<String> = plan
        .removed
        .iter()
        .map(|mp| expr::remove(&written(mp)))
        .collect();
    out.extend(
        plan.toggled
            .iter()
            .map(|m| expr::set_writable(&written(&m.mount_point), m.writable)),
    );
    if !plan.added.is_empty() {
        out.push(expr::add(&plan.added));
    }
    if plan.adds_fstab_fix {
        out.push(expr::add_provision(&guest_fstab::provision_entry()));
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

/// What `limactl edit` logs when the expressions changed nothing (`cmd/limactl/edit.go`).
const NO_CHANGES: &str = "Aborting, no changes made to the instance";

/// Runs the invocations in order; the first failure stops and is returned with Lima's
/// message (lima.yaml is then exactly as Lima left it: Lima writes it, Limabar does not).
pub async fn apply(limactl: &Limactl, invocations: &[Vec<String>]) -> Result<()> {
    let mut unchanged = None;
    for argv in invocations {
        if unchanged.is_some() && argv.first().map(String::as_str) != Some("start") {
            break;
        }
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
        // An edit whose selectors matched nothing exits 0 (`cmd/limactl/edit.go`): the
        // user must hear that nothing happened. Only the start that brings back a VM
        // stopped for the edit still runs.
        if out.stderr.contains(NO_CHANGES) {
            unchanged = Some(CoreError::NothingChanged {
                command: argv.join(" "),
                detail: format!("Lima says \"{NO_CHANGES}\""),
            });
        }
    }
    unchanged.map_or(Ok(()), Err)
}
