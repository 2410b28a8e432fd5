//! `limabar flakes NAME` and `limabar develop NAME DIR`: the flakes in an instance's
//! mounts, and a dev shell opened in the user's terminal (or, with `--dry-run`, what
//! would be spawned: `{"terminal", "argv", "command"}`).

use limabar_core::env::HostEnv;
use limabar_core::features::develop::catalog::FlakeView;
use limabar_core::features::develop::{discover, pick_terminal, plan_open, DevShells};
use limabar_core::features::terminal;
use limabar_core::lima::inventory::Instance;
use limabar_core::lima::locate::Limactl;
use limabar_core::live::readiness::VmState;
use limabar_core::live::snapshot::list_views;
use limabar_core::settings::{self, Settings};
use limabar_core::{CoreError, Operation};

fn dev_shells(limactl: &Limactl, env: &HostEnv) -> DevShells {
    DevShells::new(limactl.runner.clone(), limactl.features, &env.data_dir)
}

async fn instance(limactl: &Limactl, name: &str) -> Result<(Instance, VmState), CoreError> {
    let (views, _) = list_views(limactl).await?;
    views
        .into_iter()
        .find(|v| v.instance.name == name)
        .map(|v| (v.instance, v.state))
        .ok_or_else(|| CoreError::InstanceNotFound { name: name.into() })
}

pub async fn flakes(
    limactl: &Limactl,
    env: &HostEnv,
    name: &str,
    json: bool,
) -> Result<(), CoreError> {
    let (inst, state) = instance(limactl, name).await?;
    let dev = dev_shells(limactl, env);
    let found = {
        let mounts = inst.mounts.clone();
        tokio::task::spawn_blocking(move || discover(&mounts))
            .await
            .map_err(|e| CoreError::io("discovering flakes", e))?
    };
    // A running VM can tell the real shell lists; a stopped one shows `default`.
    if state.is_up() {
        dev.refresh_shell_lists(&inst, &found.flakes, &|| {}).await;
    }
    let views = dev.views_of(&inst.name, &found);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&views).expect("JSON of plain data")
        );
    } else {
        print!("{}", table(&views));
    }
    if found.truncated {
        eprintln!("warning: a mount holds too many folders; deeper flakes may be missing");
    }
    Ok(())
}

fn table(views: &[FlakeView]) -> String {
    let mut out = String::new();
    for v in views {
        let names: Vec<&str> = v.shells.iter().map(|s| s.name.as_str()).collect();
        out.push_str(&format!("{}\t{}\n", v.dir, names.join(", ")));
        for note in v.error.iter().chain(v.warning.iter()) {
            out.push_str(&format!("  {}\n", note.replace('\n', "\n  ")));
        }
    }
    out
}

pub struct DevelopArgs {
    pub name: String,
    pub dir: String,
    pub shell: String,
    pub terminal: Option<String>,
    pub dry_run: bool,
}

pub async fn develop(
    limactl: &Limactl,
    env: &HostEnv,
    args: DevelopArgs,
    json: bool,
) -> Result<(), CoreError> {
    let (inst, state) = instance(limactl, &args.name).await?;
    let dir = std::path::absolute(&args.dir)
        .map_err(|e| CoreError::io(format!("resolving {}", args.dir), e))?
        .to_string_lossy()
        .into_owned();
    let dev = dev_shells(limactl, env);
    let setting = args
        .terminal
        .clone()
        .or_else(|| Settings::load(&settings::path(&env.config_dir)).terminal);
    let term = pick_terminal(setting.as_deref(), env)?;
    let scratch = env.data_dir.join("terminal");
    let plan = plan_open(&dev, &inst, &dir, &args.shell, term, &scratch)?;
    if args.dry_run {
        let out = serde_json::json!({
            "terminal": plan.terminal.id(),
            "argv": plan.launch.argv,
            "command": plan.command.argv,
        });
        if json {
            println!("{out}");
        } else {
            println!("{}", limabar_core::quote::join(&plan.launch.argv));
        }
        return Ok(());
    }
    if !state.is_up() {
        eprintln!("{} is stopped: starting it first", args.name);
        crate::lifecycle(limactl.clone(), env, &args.name, Operation::Start, json).await?;
    }
    terminal::open(&plan.launch, &scratch.join("terminal.log"), || {}).await?;
    dev.record_use(&args.name, &plan.guest_dir, &args.shell);
    if !json {
        eprintln!("Opened {} in {}", args.shell, plan.terminal.label());
    }
    Ok(())
}
