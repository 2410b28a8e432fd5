//! Opening the user's terminal with a command: which terminals there are, which are
//! installed, the argv that opens each one (pure, snapshot-tested), and the spawn.
//! Recipes: platform notes §8. macOS Terminal and iTerm2 get a `.command` file opened
//! with `open -a` (no Apple Events, no permission prompt); the others their CLI forms.

mod argv;
mod detect;
mod spawn;

pub use argv::{hold, launch, CommandFile, Launch, HOLD_SCRIPT};
pub use detect::{choose, detect, Probe, SystemProbe};
pub use spawn::{open, spawn_detached};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    MacOs,
    Linux,
}

impl Platform {
    pub fn current() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }
}

/// A terminal Limabar knows how to open. `Custom` is a program from `$TERMINAL` (or the
/// setting) that follows the `x-terminal-emulator -e PROG ARGS…` convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    Terminal,
    Iterm,
    Ghostty,
    Wezterm,
    Kitty,
    Alacritty,
    XTerminalEmulator,
    GnomeTerminal,
    Konsole,
    Xterm,
    Foot,
    Custom(String),
}

const KNOWN: &[(Terminal, &str, &str)] = &[
    (Terminal::Terminal, "terminal", "Terminal"),
    (Terminal::Iterm, "iterm", "iTerm2"),
    (Terminal::Ghostty, "ghostty", "Ghostty"),
    (Terminal::Wezterm, "wezterm", "WezTerm"),
    (Terminal::Kitty, "kitty", "kitty"),
    (Terminal::Alacritty, "alacritty", "Alacritty"),
    (
        Terminal::XTerminalEmulator,
        "x-terminal-emulator",
        "Default terminal",
    ),
    (Terminal::GnomeTerminal, "gnome-terminal", "GNOME Terminal"),
    (Terminal::Konsole, "konsole", "Konsole"),
    (Terminal::Xterm, "xterm", "XTerm"),
    (Terminal::Foot, "foot", "foot"),
];

impl Terminal {
    /// The id used in settings and on the CLI (`--terminal`).
    pub fn id(&self) -> String {
        match self {
            Terminal::Custom(p) => p.clone(),
            t => KNOWN.iter().find(|k| &k.0 == t).unwrap().1.to_string(),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Terminal::Custom(p) => std::path::Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.clone()),
            t => KNOWN.iter().find(|k| &k.0 == t).unwrap().2.to_string(),
        }
    }

    /// A known id, or any other non-empty string as a custom program.
    pub fn from_id(id: &str) -> Option<Terminal> {
        let id = id.trim();
        if id.is_empty() {
            return None;
        }
        Some(
            KNOWN
                .iter()
                .find(|k| k.1.eq_ignore_ascii_case(id))
                .map(|k| k.0.clone())
                .unwrap_or_else(|| Terminal::Custom(id.to_string())),
        )
    }

    pub fn known() -> impl Iterator<Item = Terminal> {
        KNOWN.iter().map(|k| k.0.clone())
    }
}

/// A terminal as the UI and `--json` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TerminalChoice {
    pub id: String,
    pub label: String,
}

impl From<&Terminal> for TerminalChoice {
    fn from(t: &Terminal) -> Self {
        TerminalChoice {
            id: t.id(),
            label: t.label(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_custom_programs() {
        for t in Terminal::known() {
            assert_eq!(Terminal::from_id(&t.id()), Some(t.clone()));
        }
        assert_eq!(Terminal::from_id("XTerm"), Some(Terminal::Xterm));
        assert_eq!(
            Terminal::from_id("/usr/bin/st"),
            Some(Terminal::Custom("/usr/bin/st".into()))
        );
        assert_eq!(Terminal::Custom("/usr/bin/st".into()).label(), "st");
        assert_eq!(Terminal::from_id("  "), None);
    }
}
