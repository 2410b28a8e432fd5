//! `limabar open NAME DIR` (the folder in an editor, over SSH, at the same path) and
//! `limabar ssh-config install|remove` (the `~/.ssh/config` Include editors rely on).

use clap::Subcommand;
use limabar_core::actions::{self, Session};
use limabar_core::env::HostEnv;
use limabar_core::CoreError;

pub struct OpenArgs {
    pub name: String,
    pub dir: String,
    pub editor: Option<String>,
    pub dry_run: bool,
}

pub async fn open(session: &Session, args: OpenArgs, json: bool) -> Result<(), CoreError> {
    let v = session.view(&args.name).await?;
    let dir = crate::absolute(&args.dir)?;
    let editor = args.editor.as_deref();
    if args.dry_run {
        let plan = session.plan_editor(&v, &dir, editor)?;
        if json {
            let out =
                serde_json::json!({ "editor": plan.editor, "argv": plan.argv, "host": plan.host });
            println!("{out}");
        } else if plan.argv.is_empty() {
            println!(
                "{}: connect to the ssh host {}, folder {}",
                plan.editor, plan.host, plan.guest_dir
            );
        } else {
            println!("{}", limabar_core::quote::join(&plan.argv));
        }
        return Ok(());
    }
    if !v.state.is_up() {
        eprintln!("{} is stopped: starting it first", args.name);
    }
    let opened = session.open_in_editor(&args.name, &dir, editor).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&opened).expect("JSON of plain data")
        );
    } else if opened.copy_host {
        println!("{}", opened.host);
        eprintln!("{}: connect to the ssh host above", opened.editor);
    } else {
        eprintln!("Opened in {}", opened.editor);
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum SshConfigCommand {
    /// Add `Include LIMA_HOME/*/ssh.config` at the top of ~/.ssh/config (with a backup).
    Install,
    /// Take Limabar's lines out of ~/.ssh/config again.
    Remove,
}

pub fn ssh_config(env: &HostEnv, cmd: SshConfigCommand, json: bool) -> Result<(), CoreError> {
    let r = actions::ssh_config(env, matches!(cmd, SshConfigCommand::Install))?;
    if json {
        println!("{}", serde_json::to_string(&r).expect("JSON of plain data"));
        return Ok(());
    }
    println!("{}", r.message);
    if let Some(b) = &r.backup {
        println!("The previous file is kept as {b}.");
    }
    if let Some(s) = &r.snippet {
        print!("\n{s}");
    }
    Ok(())
}
