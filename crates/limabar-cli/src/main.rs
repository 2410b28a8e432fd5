//! `limabar`: Limabar's core from a terminal. Exit codes: 0 ok, 1 failure, 2 usage.
//! With `--json`, errors go to stderr as `{"code","message","hint"}`.

mod create;
mod develop;
mod doctor;
mod editor;
mod mount;
mod output;
mod ports;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use limabar_core::actions::{measure_memory, Session};
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
    /// Open DIR in your editor, inside the instance over SSH (host lima-NAME), at the
    /// same path; a stopped instance is started first.
    Open {
        name: String,
        dir: String,
        /// vscode, cursor, vscodium, zed, or gateway (prints the ssh host to use).
        #[arg(long)]
        editor: Option<String>,
        /// Print what would be spawned (`--json`: {"editor","argv","host"}).
        #[arg(long)]
        dry_run: bool,
    },
    /// The ports running instances forward to this machine, and the ones that failed.
    Ports { name: Option<String> },
    /// Lima's VMs as ssh hosts lima-NAME in ~/.ssh/config, for `ssh` and editors.
    #[command(subcommand, name = "ssh-config")]
    SshConfig(editor::SshConfigCommand),
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
    // Editing ~/.ssh/config needs no Lima either.
    if let Command::SshConfig(cmd) = cli.command {
        return match editor::ssh_config(&env, cmd, json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                output::error(&e, json);
                ExitCode::from(1)
            }
        };
    }
    let result = async {
        let limactl = connect(&env, None, &env.limactl_workdir()).await?;
        // The app's use cases, for one command.
        let session = || Session::open_for_command(env.clone(), limactl.clone());
        match cli.command {
            Command::List => list(&limactl, json).await,
            Command::Start { name } => {
                lifecycle(&*session().await?, &name, Operation::Start, json).await
            }
            Command::Stop { name, force } => {
                let op = if force {
                    Operation::ForceStop
                } else {
                    Operation::Stop
                };
                lifecycle(&*session().await?, &name, op, json).await
            }
            Command::Restart { name } => {
                lifecycle(&*session().await?, &name, Operation::Restart, json).await
            }
            Command::Watch => watch(limactl.clone(), json).await,
            Command::Delete { name } => {
                session().await?.delete(&name).await?;
                eprintln!("deleted {name}");
                Ok(())
            }
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
                create::run(&*session().await?, args, json).await
            }
            Command::Doctor { name, file } => {
                if doctor::run(&limactl, &env, name, file, json).await? {
                    Ok(())
                } else {
                    std::process::exit(1)
                }
            }
            Command::Flakes { name } => develop::flakes(&*session().await?, &name, json).await,
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
                develop::develop(&*session().await?, args, json).await
            }
            Command::Open {
                name,
                dir,
                editor,
                dry_run,
            } => {
                let args = editor::OpenArgs {
                    name,
                    dir,
                    editor,
                    dry_run,
                };
                editor::open(&*session().await?, args, json).await
            }
            Command::Ports { name } => ports::run(&limactl, name, json).await,
            Command::SshConfig(_) => unreachable!("handled before connecting"),
            Command::Mount(cmd) => {
                if mount::run(&*session().await?, cmd, json).await? {
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

/// A folder given on the command line, made absolute against the working directory.
pub(crate) fn absolute(dir: &str) -> Result<String, CoreError> {
    std::path::absolute(dir)
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| CoreError::io(format!("resolving {dir}"), e))
}

async fn list(limactl: &Limactl, json: bool) -> Result<(), CoreError> {
    let (views, warnings) = list_views(limactl).await?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if json {
        // Each running guest is asked at once (one `limactl shell` each); the table
        // stays a listing alone.
        let asks: Vec<_> = views
            .iter()
            .filter(|v| v.vm_up())
            .map(|v| {
                let (limactl, i) = (limactl.clone(), v.instance.clone());
                let restart = v.boot_estimate_secs;
                tokio::spawn(async move {
                    measure_memory(&limactl, &i.name, &i.dir, &i.vm_type, restart).await
                })
            })
            .collect();
        let mut memories = Vec::new();
        for ask in asks {
            memories.extend(ask.await.ok());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&output::list_json(&views, &memories))
                .expect("JSON of plain data")
        );
    } else {
        print!("{}", output::table(&views));
    }
    Ok(())
}

/// Runs one operation to its end through the session, printing the instance's state
/// changes as they happen (boots started here count towards the app's estimates too).
pub(crate) async fn lifecycle(
    session: &Session,
    name: &str,
    op: Operation,
    json: bool,
) -> Result<(), CoreError> {
    let changes = session.monitor().subscribe();
    let done = session.monitor().begin(name, op).await?;
    follow(session, changes, done, name, op, json).await
}

/// Prints `name`'s state changes until its operation `op` ends, and returns how it
/// ended.
pub(crate) async fn follow(
    session: &Session,
    mut changes: tokio::sync::broadcast::Receiver<Change>,
    done: tokio::sync::oneshot::Receiver<Result<(), CoreError>>,
    name: &str,
    op: Operation,
    json: bool,
) -> Result<(), CoreError> {
    loop {
        match changes.recv().await {
            Ok(change @ Change::StateChanged { .. }) => {
                let Change::StateChanged { name: n, to, .. } = &change else {
                    unreachable!()
                };
                if n == name && json {
                    println!(
                        "{}",
                        serde_json::to_string(&change).expect("JSON of plain data")
                    );
                } else if n == name {
                    eprintln!("{}", output::state_line(name, to));
                }
            }
            Ok(Change::OperationEnded {
                name: n, operation, ..
            }) if n == name && operation == op => break,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(_) => break,
        }
    }
    let result = done
        .await
        .unwrap_or_else(|_| Err(CoreError::io("monitor", "stopped")));
    let final_state = session.view(name).await.ok().map(|v| v.state);
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
