//! Everything opening a dev shell decides before the spawn: the guest directory (the
//! folder must be in a mount), the terminal (the setting, else the first installed),
//! the command (pre-built or not) and the terminal's argv. The CLI's `--dry-run` prints
//! exactly this; the app and the CLI then hand it to `terminal::open`.

use std::path::Path;

use super::{guest_dir_of, DevShells, DevelopCommand};
use crate::error::CoreError;
use crate::features::terminal::{self, Launch, Platform, Terminal};
use crate::lima::inventory::Instance;

#[derive(Debug, Clone)]
pub struct OpenPlan {
    pub guest_dir: String,
    pub terminal: Terminal,
    pub command: DevelopCommand,
    pub launch: Launch,
}

/// The terminal to use: the setting, else the first one installed here.
pub fn pick_terminal(
    setting: Option<&str>,
    env: &crate::env::HostEnv,
) -> Result<Terminal, CoreError> {
    let detected = terminal::detect(Platform::current(), &terminal::SystemProbe::of(env));
    terminal::choose(setting, &detected).ok_or(CoreError::NoTerminal)
}

pub fn plan_open(
    dev: &DevShells,
    instance: &Instance,
    dir: &str,
    shell: &str,
    terminal: Terminal,
    scratch: &Path,
) -> Result<OpenPlan, CoreError> {
    let guest_dir = guest_dir_of(instance, dir)?;
    let command = dev.command(&instance.name, dir, &guest_dir, shell);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let launch = terminal::launch(
        &terminal,
        Platform::current(),
        &command.argv,
        scratch,
        &format!("limabar-develop-{nanos}"),
    );
    Ok(OpenPlan {
        guest_dir,
        terminal,
        command,
        launch,
    })
}
