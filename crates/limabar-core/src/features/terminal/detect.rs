//! Which terminals are installed, in order of preference, and which one to use: the
//! user's setting when it is installed, else the first one found.

use std::path::{Path, PathBuf};

use super::{Platform, Terminal};

/// What detection asks of the system (a trait so tests can describe any machine).
pub trait Probe {
    /// An executable named `program` on PATH (or the path itself, when it has a slash).
    fn has_program(&self, program: &str) -> bool;
    /// A macOS app bundle `NAME.app` in /Applications or ~/Applications.
    fn has_app(&self, app: &str) -> bool;
    /// `$TERMINAL`, when set.
    fn terminal_env(&self) -> Option<String>;
    /// Where the macOS app bundle `NAME.app` is, when installed.
    fn app_dir(&self, _app: &str) -> Option<PathBuf> {
        None
    }
}

/// This machine, as the captured environment describes it (PATH, home, `TERMINAL`).
pub struct SystemProbe {
    pub path: Vec<PathBuf>,
    pub home: Option<PathBuf>,
    pub terminal: Option<String>,
}

impl SystemProbe {
    pub fn of(env: &crate::env::HostEnv) -> SystemProbe {
        SystemProbe {
            path: env.path.clone(),
            home: env.home.clone(),
            terminal: env.terminal.clone(),
        }
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

impl Probe for SystemProbe {
    fn has_program(&self, program: &str) -> bool {
        if program.contains('/') {
            return is_executable(Path::new(program));
        }
        self.path.iter().any(|d| is_executable(&d.join(program)))
    }

    fn has_app(&self, app: &str) -> bool {
        self.app_dir(app).is_some()
    }

    fn app_dir(&self, app: &str) -> Option<PathBuf> {
        let mut dirs = vec![PathBuf::from("/Applications")];
        dirs.extend(self.home.as_ref().map(|h| h.join("Applications")));
        dirs.into_iter()
            .map(|d| d.join(format!("{app}.app")))
            .find(|d| d.is_dir())
    }

    fn terminal_env(&self) -> Option<String> {
        self.terminal.clone()
    }
}

fn installed(t: &Terminal, platform: Platform, probe: &dyn Probe) -> bool {
    match (platform, t) {
        (Platform::MacOs, Terminal::Terminal) => true,
        (Platform::MacOs, Terminal::Iterm) => probe.has_app("iTerm"),
        (Platform::MacOs, Terminal::Ghostty) => probe.has_app("Ghostty"),
        (Platform::MacOs, Terminal::Wezterm) => probe.has_app("WezTerm"),
        (Platform::MacOs, Terminal::Kitty) => probe.has_app("kitty"),
        (Platform::MacOs, Terminal::Alacritty) => probe.has_app("Alacritty"),
        (Platform::Linux, Terminal::Terminal | Terminal::Iterm) => false,
        (_, Terminal::Custom(p)) => probe.has_program(p),
        (_, t) => probe.has_program(&t.id()),
    }
}

/// Installed terminals, most preferred first: on Linux `$TERMINAL`, then the Debian
/// default `x-terminal-emulator`, then the common ones; on macOS Terminal first.
pub fn detect(platform: Platform, probe: &dyn Probe) -> Vec<Terminal> {
    let mut found: Vec<Terminal> = Vec::new();
    if platform == Platform::Linux {
        if let Some(t) = probe.terminal_env().and_then(|t| Terminal::from_id(&t)) {
            if installed(&t, platform, probe) {
                found.push(t);
            }
        }
    }
    let order: &[Terminal] = match platform {
        Platform::MacOs => &[
            Terminal::Terminal,
            Terminal::Iterm,
            Terminal::Ghostty,
            Terminal::Wezterm,
            Terminal::Kitty,
            Terminal::Alacritty,
        ],
        Platform::Linux => &[
            Terminal::XTerminalEmulator,
            Terminal::GnomeTerminal,
            Terminal::Konsole,
            Terminal::Xterm,
            Terminal::Foot,
            Terminal::Kitty,
            Terminal::Alacritty,
            Terminal::Wezterm,
            Terminal::Ghostty,
        ],
    };
    for t in order {
        if !found.contains(t) && installed(t, platform, probe) {
            found.push(t.clone());
        }
    }
    found
}

/// The terminal to open: the user's setting (even when it is gone: the error then
/// names it), else the first detected.
pub fn choose(setting: Option<&str>, detected: &[Terminal]) -> Option<Terminal> {
    setting
        .and_then(Terminal::from_id)
        .or_else(|| detected.first().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        programs: Vec<&'static str>,
        apps: Vec<&'static str>,
        env: Option<&'static str>,
    }

    impl Probe for Fake {
        fn has_program(&self, p: &str) -> bool {
            self.programs.contains(&p)
        }
        fn has_app(&self, a: &str) -> bool {
            self.apps.contains(&a)
        }
        fn terminal_env(&self) -> Option<String> {
            self.env.map(String::from)
        }
    }

    #[test]
    fn linux_prefers_terminal_env_then_the_debian_default() {
        let probe = Fake {
            programs: vec!["xterm", "x-terminal-emulator", "kitty", "foot"],
            apps: vec![],
            env: Some("foot"),
        };
        assert_eq!(
            detect(Platform::Linux, &probe),
            [
                Terminal::Foot,
                Terminal::XTerminalEmulator,
                Terminal::Xterm,
                Terminal::Kitty
            ]
        );
        let missing_env = Fake {
            env: Some("st"),
            ..probe
        };
        assert_eq!(
            detect(Platform::Linux, &missing_env)[0],
            Terminal::XTerminalEmulator
        );
    }

    #[test]
    fn macos_always_has_terminal_and_finds_app_bundles() {
        let probe = Fake {
            programs: vec!["xterm"],
            apps: vec!["Ghostty", "iTerm"],
            env: Some("xterm"),
        };
        assert_eq!(
            detect(Platform::MacOs, &probe),
            [Terminal::Terminal, Terminal::Iterm, Terminal::Ghostty]
        );
    }

    #[test]
    fn the_setting_wins_else_the_first_detected() {
        let detected = [Terminal::XTerminalEmulator, Terminal::Xterm];
        assert_eq!(choose(Some("xterm"), &detected), Some(Terminal::Xterm));
        assert_eq!(choose(Some("konsole"), &detected), Some(Terminal::Konsole));
        assert_eq!(choose(None, &detected), Some(Terminal::XTerminalEmulator));
        assert_eq!(choose(Some("konsole"), &[]), Some(Terminal::Konsole));
        assert_eq!(choose(None, &[]), None);
    }

    #[test]
    fn the_system_probe_finds_programs_on_path_only_when_executable() {
        let t = tempfile::tempdir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(t.path().join("term"), "").unwrap();
        std::fs::write(t.path().join("exe"), "").unwrap();
        std::fs::set_permissions(t.path().join("exe"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let probe = SystemProbe {
            path: vec![t.path().to_path_buf()],
            home: None,
            terminal: None,
        };
        assert!(probe.has_program("exe"));
        assert!(!probe.has_program("term"));
        assert!(probe.has_program(&t.path().join("exe").to_string_lossy()));
    }
}
