//! `limabar flakes NAME` and `limabar develop NAME DIR`: the flakes in an instance's
//! mounts, and a dev shell opened in the user's terminal (or, with `--dry-run`, what
//! would be spawned: `{"terminal", "argv", "command"}`).

use limabar_core::actions::Session;
use limabar_core::features::develop::catalog::FlakeView;
use limabar_core::CoreError;

pub async fn flakes(session: &Session, name: &str, json: bool) -> Result<(), CoreError> {
    let found = session.flakes_evaluated(name).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found.flakes).expect("JSON of plain data")
        );
    } else {
        print!("{}", table(&found.flakes));
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

pub async fn develop(session: &Session, args: DevelopArgs, json: bool) -> Result<(), CoreError> {
    let v = session.view(&args.name).await?;
    let dir = crate::absolute(&args.dir)?;
    let terminal = args.terminal.as_deref();
    if args.dry_run {
        let plan = session.plan_dev_shell(&v, &dir, &args.shell, terminal)?;
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
    if !v.state.is_up() {
        eprintln!("{} is stopped: starting it first", args.name);
    }
    let opened = session
        .open_dev_shell(&args.name, &dir, &args.shell, terminal)
        .await?;
    if !json {
        eprintln!("Opened {} in {}", args.shell, opened.terminal);
    }
    Ok(())
}
