//! Turning a plan into limactl invocations, as data (shown by `--dry-run`, run by
//! `apply`). Lima edits its own YAML: `edit --set` on a stopped instance; on a running
//! one `restart --set` (Lima ≥ 2.2) or stop → edit → start. Mount changes only take
//! effect at boot (contract §5.1).

use super::expr;
use super::guest_fstab;
use super::plan::Plan;
use super::source::RawEntry;
use crate::error::{CoreError, Result};
use crate::lima::limactl::{self, Call};
use crate::lima::locate::Limactl;

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

/// The limactl calls that apply `plan` to `name`, in order. The boot they may cause
/// gets Lima's default boot timeout.
pub fn invocations(limactl: &Limactl, name: &str, plan: &Plan, running: bool) -> Vec<Call> {
    let exprs = expressions(plan);
    let boot = limactl::DEFAULT_BOOT_TIMEOUT;
    if exprs.is_empty() {
        Vec::new()
    } else if !running {
        vec![limactl::edit(name, &exprs)]
    } else if limactl.features.restart_with_edits {
        vec![limactl::restart_with_edits(name, &exprs, boot)]
    } else {
        vec![
            limactl::stop(name),
            limactl::edit(name, &exprs),
            limactl::start(name, boot),
        ]
    }
}

/// What `limactl edit` logs when the expressions changed nothing (`cmd/limactl/edit.go`).
const NO_CHANGES: &str = "Aborting, no changes made to the instance";

/// Runs the invocations in order; the first failure stops and is returned with Lima's
/// message (lima.yaml is then exactly as Lima left it: Lima writes it, Limabar does not).
pub async fn apply(limactl: &Limactl, invocations: &[Call]) -> Result<()> {
    let mut unchanged = None;
    for call in invocations {
        if unchanged.is_some() && call.subcommand() != "start" {
            break;
        }
        let out = limactl.runner.run(call).await?;
        if !out.success() {
            return Err(CoreError::Failed {
                command: call.args.join(" "),
                detail: out.failure_message(),
            });
        }
        // An edit whose selectors matched nothing exits 0 (`cmd/limactl/edit.go`): the
        // user must hear that nothing happened. Only the start that brings back a VM
        // stopped for the edit still runs.
        if out.stderr.contains(NO_CHANGES) {
            unchanged = Some(CoreError::NothingChanged {
                command: call.args.join(" "),
                detail: format!("Lima says \"{NO_CHANGES}\""),
            });
        }
    }
    unchanged.map_or(Ok(()), Err)
}
