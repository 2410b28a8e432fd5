//! The argv that opens each terminal with a command. Pure: no file is written and
//! nothing is spawned here. The command always travels as separate arguments; where a
//! shell is in between (the keep-open wrapper, `.command` files) the script text is
//! constant and the command is its positional parameters, or POSIX-quoted word by word.

use std::path::{Path, PathBuf};

use super::{Platform, Terminal};
use crate::quote::join;

/// Runs its arguments; when they fail, keeps the window open with the status instead of
/// letting it vanish with the error.
pub const HOLD_SCRIPT: &str = r#""$@"
status=$?
if [ "$status" -ne 0 ]; then
  printf '\n[Limabar] The command ended with status %s. Press Return to close this window.\n' "$status"
  read -r _
fi
exit "$status""#;

/// `/bin/sh -c HOLD_SCRIPT limabar COMMAND…`
pub fn hold(command: &[String]) -> Vec<String> {
    let mut argv = vec![
        "/bin/sh".to_string(),
        "-c".into(),
        HOLD_SCRIPT.into(),
        "limabar".into(),
    ];
    argv.extend(command.iter().cloned());
    argv
}

/// A script macOS Terminal or iTerm2 runs: `open -a Terminal FILE.command`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandFile {
    pub path: PathBuf,
    pub contents: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub terminal: Terminal,
    /// The process to spawn.
    pub argv: Vec<String>,
    /// Written (mode 0700) before spawning, when the terminal needs one.
    pub file: Option<CommandFile>,
}

fn command_file(command: &[String], dir: &Path, stem: &str) -> CommandFile {
    // The file removes itself first, so none are left behind whatever happens next.
    let contents = format!(
        "#!/bin/sh\nrm -f -- \"$0\"\nset -- {}\n{HOLD_SCRIPT}\n",
        join(command)
    );
    CommandFile {
        path: dir.join(format!("{stem}.command")),
        contents,
    }
}

fn v(words: &[&str], rest: Vec<String>) -> Vec<String> {
    words.iter().map(|w| w.to_string()).chain(rest).collect()
}

/// How to open `terminal` running `command`. `scratch` is a private directory for a
/// `.command` file and `stem` its unique name.
pub fn launch(
    terminal: &Terminal,
    platform: Platform,
    command: &[String],
    scratch: &Path,
    stem: &str,
) -> Launch {
    let held = hold(command);
    let (argv, file) = match (platform, terminal) {
        (Platform::MacOs, Terminal::Terminal | Terminal::Iterm) => {
            let file = command_file(command, scratch, stem);
            let app = if *terminal == Terminal::Terminal {
                "Terminal"
            } else {
                "iTerm"
            };
            let argv = v(
                &["open", "-a", app],
                vec![file.path.to_string_lossy().into()],
            );
            (argv, Some(file))
        }
        (Platform::MacOs, Terminal::Ghostty) => {
            (v(&["open", "-na", "Ghostty", "--args", "-e"], held), None)
        }
        (Platform::MacOs, Terminal::Wezterm) => (
            v(&["open", "-na", "WezTerm", "--args", "start", "--"], held),
            None,
        ),
        (Platform::MacOs, Terminal::Kitty) => (v(&["open", "-na", "kitty", "--args"], held), None),
        (Platform::MacOs, Terminal::Alacritty) => {
            (v(&["open", "-na", "Alacritty", "--args", "-e"], held), None)
        }
        (_, Terminal::GnomeTerminal) => (v(&["gnome-terminal", "--"], held), None),
        (_, Terminal::Konsole) => (v(&["konsole", "-e"], held), None),
        (_, Terminal::Xterm) => (v(&["xterm", "-e"], held), None),
        (_, Terminal::Foot) => (v(&["foot"], held), None),
        (_, Terminal::Kitty) => (v(&["kitty"], held), None),
        (_, Terminal::Alacritty) => (v(&["alacritty", "-e"], held), None),
        (_, Terminal::Wezterm) => (v(&["wezterm", "start", "--"], held), None),
        (_, Terminal::Ghostty) => (v(&["ghostty", "-e"], held), None),
        (_, Terminal::XTerminalEmulator) => (v(&["x-terminal-emulator", "-e"], held), None),
        (_, Terminal::Custom(program)) => (v(&[program.as_str(), "-e"], held), None),
        // Terminal and iTerm2 exist only on macOS; elsewhere use the system default.
        (Platform::Linux, Terminal::Terminal | Terminal::Iterm) => {
            (v(&["x-terminal-emulator", "-e"], held), None)
        }
    };
    Launch {
        terminal: terminal.clone(),
        argv,
        file,
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests run real programs and read the real environment
mod tests;
