//! `limabar mount ls|add|rm`: the mounts planner and Lima's own edit, from a terminal.

use std::path::PathBuf;

use clap::Subcommand;
use limabar_core::env::HostEnv;
use limabar_core::features::mounts::apply::{apply, invocations};
use limabar_core::features::mounts::probe::HostFs;
use limabar_core::features::mounts::source::Sources;
use limabar_core::features::mounts::verify::verify;
use limabar_core::features::mounts::{plan_add, plan_remove, Plan, PlanInput};
use limabar_core::lima::locate::Limactl;
use limabar_core::live::oplock;
use limabar_core::live::snapshot::list_views;
use limabar_core::{CoreError, InstanceView};
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

async fn instance(limactl: &Limactl, name: &str) -> Result<InstanceView, CoreError> {
    let (views, _) = list_views(limactl).await?;
    views
        .into_iter()
        .find(|v| v.instance.name == name)
        .ok_or_else(|| CoreError::InstanceNotFound {
            name: name.to_string(),
        })
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

pub async fn run(
    limactl: &Limactl,
    env: &HostEnv,
    cmd: MountCommand,
    json: bool,
) -> Result<bool, CoreError> {
    // Held from reading the instance to the end of the change, so the app (or another
    // `limabar`) cannot restart the VM under this one; a dry run changes nothing.
    let lock = |name: &str, dry_run: bool| {
        (!dry_run)
            .then(|| oplock::acquire(&env.op_locks_dir(), &env.lima_home, name, "mount change"))
            .transpose()
    };
    let _lock;
    let (view, plan, dry_run) = match cmd {
        MountCommand::Ls { name } => {
            let v = instance(limactl, &name).await?;
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
            _lock = lock(&name, dry_run)?;
            let v = instance(limactl, &name).await?;
            // Relative paths are relative to where the command runs.
            let paths: Vec<PathBuf> = paths
                .iter()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
                .collect();
            let sources = Sources::of_instance(&v.instance, &env.lima_home, env.home.as_deref())?;
            let input = PlanInput {
                current: &v.instance.mounts,
                sources: &sources,
                lima: Some(limactl.features),
                home: env.home.as_deref(),
                guest_home: v.instance.guest_home.as_deref(),
                writable: !read_only,
                confirmed: yes,
            };
            let plan = plan_add(&input, &paths, &HostFs);
            (v, plan, dry_run)
        }
        MountCommand::Rm {
            name,
            paths,
            dry_run,
        } => {
            _lock = lock(&name, dry_run)?;
            let v = instance(limactl, &name).await?;
            let sources = Sources::of_instance(&v.instance, &env.lima_home, env.home.as_deref())?;
            let plan = plan_remove(&v.instance.mounts, &sources, &paths);
            (v, plan, dry_run)
        }
    };
    if rejected(&plan, json) {
        return Ok(false);
    }
    let running = view.vm_up();
    let calls = invocations(limactl, &view.instance.name, &plan, running);
    let actions: Vec<serde_json::Value> = calls
        .iter()
        .map(|call| json!({"argv": call.argv(&limactl.runner.program)}))
        .collect();
    if dry_run {
        if json {
            println!("{}", json!({"mounts": plan.mounts, "actions": actions}));
        } else {
            for n in &plan.notes {
                println!("{n}");
            }
            for a in &calls {
                println!("would run: {}", a.line(&limactl.runner.program));
            }
        }
        return Ok(true);
    }
    for n in &plan.notes {
        eprintln!("{n}");
    }
    if running && !calls.is_empty() {
        eprintln!("{} restarts to apply the change…", view.instance.name);
    }
    apply(limactl, &calls).await?;
    // After a restart, check inside the guest that each new writable mount works.
    let mut checks = Vec::new();
    if running {
        let fresh: Vec<_> = plan.added.iter().chain(&plan.toggled).cloned().collect();
        for (m, check) in verify(limactl, &view.instance.name, &fresh).await {
            if !json {
                eprintln!("{}", check.explain(&m.mount_point));
            }
            checks.push(json!({"mountPoint": m.mount_point, "check": check}));
        }
    }
    if json {
        println!(
            "{}",
            json!({"mounts": plan.mounts, "actions": actions, "verified": checks})
        );
    }
    Ok(true)
}
