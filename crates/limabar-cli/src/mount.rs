//! `limabar mount ls|add|rm`: the app's mount use cases (the session's plan, its limactl
//! calls, one monitor operation under the per-VM lock), from a terminal.

use std::path::PathBuf;

use clap::Subcommand;
use limabar_core::actions::Session;
use limabar_core::features::mounts::Plan;
use limabar_core::{Change, CoreError};
use serde_json::json;

#[derive(Subcommand)]
pub enum MountCommand {
    /// The instance's mounts.
    Ls { name: String },
    /// Mount folders at the same path in the guest (writable unless --read-only).
    Add {
        name: String,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        read_only: bool,
        /// Confirm broad folders (the home directory, /Users, very large trees).
        #[arg(long)]
        yes: bool,
        /// Print the resulting mounts and the limactl calls; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove mounts by their guest path.
    Rm {
        name: String,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        dry_run: bool,
    },
}

/// Rejected paths: one `{"code","message","path"}` per line with --json. Exit 1.
fn rejected(plan: &Plan, json: bool) -> bool {
    for e in &plan.errors {
        if json {
            eprintln!(
                "{}",
                json!({"code": e.code(), "message": e.to_string(), "path": e.path()})
            );
        } else {
            eprintln!("limabar: {e}");
        }
    }
    !plan.errors.is_empty()
}

pub async fn run(session: &Session, cmd: MountCommand, json: bool) -> Result<bool, CoreError> {
    let (name, plan, dry_run) = match cmd {
        MountCommand::Ls { name } => {
            let v = session.view(&name).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v.instance.mounts).expect("JSON of plain data")
                );
            } else {
                for m in &v.instance.mounts {
                    let at = if m.mount_point == m.location {
                        String::new()
                    } else {
                        format!(" at {}", m.mount_point)
                    };
                    println!(
                        "{}{at}  ({})",
                        m.location,
                        if m.writable { "writable" } else { "read-only" }
                    );
                }
            }
            return Ok(true);
        }
        MountCommand::Add {
            name,
            paths,
            read_only,
            yes,
            dry_run,
        } => {
            // Relative paths are relative to where the command runs.
            let paths: Vec<String> = paths
                .iter()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let plan = session.plan_share(&name, paths, !read_only, yes).await?;
            (name, plan, dry_run)
        }
        MountCommand::Rm {
            name,
            paths,
            dry_run,
        } => {
            let points: Vec<String> = paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let plan = session.plan_removal(&name, &points).await?;
            (name, plan, dry_run)
        }
    };
    if rejected(&plan, json) {
        return Ok(false);
    }
    let program = session.monitor().limactl().runner.program.clone();
    let calls = session.calls_for(&name, &plan).await?;
    let actions: Vec<serde_json::Value> = calls
        .iter()
        .map(|call| json!({"argv": call.argv(&program)}))
        .collect();
    if dry_run {
        if json {
            println!("{}", json!({"mounts": plan.mounts, "actions": actions}));
        } else {
            for n in &plan.notes {
                println!("{n}");
            }
            for a in &calls {
                println!("would run: {}", a.line(&program));
            }
        }
        return Ok(true);
    }
    let mut changes = session.monitor().subscribe();
    // The app's path: one monitor operation under the per-VM lock. A refusal (busy)
    // comes before anything is printed.
    let done = if plan.changes_anything() {
        Some(session.begin_plan(&name, plan.clone()).await?)
    } else {
        None
    };
    for n in &plan.notes {
        eprintln!("{n}");
    }
    if done.is_some() && calls.iter().any(|c| c.subcommand() != "edit") {
        eprintln!("{name} restarts to apply the change…");
    }
    if let Some(done) = done {
        done.await
            .unwrap_or_else(|_| Err(CoreError::io("monitor", "stopped")))?;
    }
    // After a restart the new writable mounts were checked in the guest.
    let mut checks = Vec::new();
    while let Ok(change) = changes.try_recv() {
        if let Change::MountsChecked { name: n, checks: c } = change {
            if n == name {
                checks = c;
            }
        }
    }
    for c in &checks {
        if !json {
            eprintln!("{}", c.explanation);
        }
    }
    if json {
        let verified: Vec<serde_json::Value> = checks
            .iter()
            .map(|c| json!({"mountPoint": c.mount_point, "check": c.check}))
            .collect();
        println!(
            "{}",
            json!({"mounts": plan.mounts, "actions": actions, "verified": verified})
        );
    }
    Ok(true)
}
