//! `limabar`: Limabar's core from a terminal. Exit codes: 0 ok, 1 failure, 2 usage.
//! With `--json`, errors go to stderr as `{"code","message","hint"}`.

mod create;
mod develop;
mod doctor;
mod mount;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use limabar_core::env::HostEnv;
use limabar_core::lima::locate::{connect, Limactl};
use limabar_core::live::snapshot::list_views;
use limabar_core::{Change, CoreError, Monitor, MonitorConfig, Operation, VmState};

#[derive(Parser)]
#[command(
    name = "limabar",
    version,
    about = "NixOS dev VMs on Lima, from the menu bar and the terminal"
)]
struct Cli {
    /// Machine-readable output (JSON), and errors as JSON on stderr.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every Lima instance with its state.
    List,
    /// Start an instance and follow its boot until it is ready.
    Start { name: String },
    /// Stop an instance (`--force` kills it).
    Stop {
        name: String,
        #[arg(short, long)]
        force: bool,
    },
    /// Restart an instance.
    Restart { name: String },
    /// Follow every instance's state as it changes.
    Watch,
    /// Delete a stopped (or broken) instance and its disk.
    Delete { name: String },
    /// Folders shared with an instance at the same path.
    #[command(subcommand)]
    Mount(mount::MountCommand),
    /// Create a NixOS VM from Limabar's known-good configuration, then start it.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 4)]
        cpus: u32,
        /// Memory in GiB.
        #[arg(long, default_value_t = 8)]
        memory: u32,
        /// Disk in GiB.
        #[arg(long, default_value_t = 20)]
        disk: u32,
        /// A project folder, mounted writable at the same path (repeatable).
        #[arg(long = "mount")]
        mounts: Vec<String>,
        /// Print the lima.yaml and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Explain what is wrong with an instance's configuration (or a lima.yaml), with fixes.
    Doctor {
        name: Option<String>,
        #[arg(long, conflicts_with = "name")]
        file: Option<String>,
    },
    /// The flakes in an instance's writable mounts, with their dev shells.
    Flakes { name: String },
    /// Open a terminal in `nix develop` for the flake in DIR, inside the instance.
    Develop {
        name: String,
        dir: String,
        /// The dev shell (`devShells.<system>.SHELL`).
        #[arg(long, default_value = "default")]
        shell: String,
        /// A terminal id (xterm, gnome-terminal, terminal, iterm, ghostty, …) or program.
        #[arg(long)]
        terminal: Option<String>,
        /// Print what would be spawned instead of opening it.
        #[arg(long)]
        dry_run: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = HostEnv::capture();
    let json = cli.json;
    // A dry run of `create` needs no Lima: it only prints the template.
    if let Command::Create {
        name,
        cpus,
        memory,
        disk,
        mounts,
        dry_run: true,
    } = &cli.command
    {
        let args = create::CreateArgs {
            name: name.clone(),
            cpus: *cpus,
            memory_gib: *memory,
            disk_gib: *disk,
            mounts: mounts.clone(),
        };
        return match create::yaml(&env, &args) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                output::error(&e, json);
                ExitCode::from(1)
            }
        };
    }
    let result = async {
        let limactl = connect(&env, None, &env.limactl_workdir()).await?;
        match cli.command {
            Command::List => list(&limactl, json).await,
            Command::Start { name } => {
                lifecycle(limactl, &env, &name, Operation::Start, json).await
            }
            Command::Stop { name, force } => {
                let op = if force {
                    Operation::ForceStop
                } else {
                    Operation::Stop
                };
                lifecycle(limactl, &env, &name, op, json).await
            }
            Command::Restart { name } => {
                lifecycle(limactl, &env, &name, Operation::Restart, json).await
            }
            Command::Watch => watch(limactl, json).await,
            Command::Delete { name } => delete(&limactl, &env, &name).await,
            Command::Create {
                name,
                cpus,
                memory,
                disk,
                mounts,
                ..
            } => {
                let args = create::CreateArgs {
                    name,
                    cpus,
                    memory_gib: memory,
                    disk_gib: disk,
                    mounts,
                };
                create::run(&limactl, &env, args, json).await
            }
            Command::Doctor { name, file } => {
                if doctor::run(&limactl, &env, name, file, json).await? {
                    Ok(())
                } else {
                    std::process::exit(1)
                }
            }
            Command::Flakes { name } => develop::flakes(&limactl, &env, &name, json).await,
            Command::Develop {
                name,
                dir,
                shell,
                terminal,
                dry_run,
            } => {
                let args = develop::DevelopArgs {
                    name,
                    dir,
                    shell,
                    terminal,
                    dry_run,
                };
                develop::develop(&limactl, &env, args, json).await
            }
            Command::Mount(cmd) => {
                if mount::run(&limactl, &env, cmd, json).await? {
                    Ok(())
                } else {
                    // Rejected paths were already reported, one per line.
                    std::process::exit(1)
                }
            }
        }
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&e, json);
            ExitCode::from(1)
        }
    }
}

async fn list(limactl: &Limactl, json: bool) -> Result<(), CoreError> {
    let (views, warnings) = list_views(limactl).await?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&output::list_json(&views)).expect("JSON of plain data")
        );
    } else {
        print!("{}", output::table(&views));
    }
    Ok(())
}

/// `limabar delete NAME`: the app's delete (a broken VM is forced, a running one refused).
async fn delete(limactl: &Limactl, env: &HostEnv, name: &str) -> Result<(), CoreError> {
    let (views, _) = list_views(limactl).await?;
    let view = views
        .into_iter()
        .find(|v| v.instance.name == name)
        .ok_or_else(|| CoreError::InstanceNotFound { name: name.into() })?;
    let config = MonitorConfig {
        op_locks: Some(env.op_locks_dir()),
        ..MonitorConfig::new(limactl.clone())
    };
    let monitor = Monitor::spawn(config)?;
    monitor.snapshot().await;
    limabar_core::features::delete::delete(&monitor, &view).await?;
    eprintln!("deleted {name}");
    Ok(())
}

/// Runs one operation, printing the instance's state changes as they happen.
pub(crate) async fn lifecycle(
    limactl: Limactl,
    env: &HostEnv,
    name: &str,
    op: Operation,
    json: bool,
) -> Result<(), CoreError> {
    // Boots started here count towards the app's estimates too.
    let config = MonitorConfig {
        boot_history: Some(env.data_dir.join("boot-history.json")),
        op_locks: Some(env.op_locks_dir()),
        ..MonitorConfig::new(limactl)
    };
    let monitor = Monitor::spawn(config)?;
    let mut changes = monitor.subscribe();
    monitor.snapshot().await;
    let done = monitor.begin(name, op).await?;
    let printer = {
        let name = name.to_string();
        tokio::spawn(async move {
            while let Ok(change) = changes.recv().await {
                match &change {
                    Change::StateChanged { name: n, to, .. } if *n == name => {
                        if json {
                            println!(
                                "{}",
                                serde_json::to_string(&change).expect("JSON of plain data")
                            );
                        } else {
                            eprintln!("{}", output::state_line(&name, to));
                        }
                    }
                    Change::OperationEnded { name: n, .. } if *n == name => break,
                    _ => {}
                }
            }
        })
    };
    let result = done
        .await
        .unwrap_or_else(|_| Err(CoreError::io("monitor", "stopped")));
    let _ = printer.await;
    let final_state = monitor
        .snapshot()
        .await
        .into_iter()
        .find(|v| v.instance.name == name)
        .map(|v| v.state);
    if let (
        Ok(()),
        Some(VmState::Ready {
            boot_secs: Some(s), ..
        }),
        false,
    ) = (&result, &final_state, json)
    {
        eprintln!("{name} is ready — booted in {s:.1} s");
    }
    result
}

async fn watch(limactl: Limactl, json: bool) -> Result<(), CoreError> {
    let monitor = Monitor::spawn(MonitorConfig::new(limactl))?;
    let mut changes = monitor.subscribe();
    for view in monitor.snapshot().await {
        if json {
            output::print_change(&Change::Upserted { instance: view }, true);
        } else {
            println!("{}", output::state_line(&view.instance.name, &view.state));
        }
    }
    loop {
        match changes.recv().await {
            Ok(change) => output::print_change(&change, json),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                eprintln!("warning: {n} changes were dropped")
            }
            Err(_) => return Ok(()),
        }
    }
}
