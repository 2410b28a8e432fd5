//! The simulator's settings: the Lima version it pretends to be and where `$LIMA_HOME` is.
//!
//! - `LIMACTL_SIM_VERSION` — e.g. `2.0.2`, `2.1.4`, `2.2.0` (default `2.2.0`).
//! - `LIMA_HOME` — default `~/.lima`.
//! - `LIMACTL_SIM_BOOT_SECS` — default boot time of the healthy scenario (3.0).
//! - `LIMACTL_SIM_REFUSE_ROOT=1` — refuse to run as root like real limactl (off by
//!   default because CI runs as root).

use std::path::PathBuf;

pub struct SimEnv {
    pub version: (u32, u32, u32),
    pub version_string: String,
    pub lima_home: PathBuf,
    pub home: PathBuf,
}

impl SimEnv {
    pub fn capture() -> Self {
        let version_string =
            std::env::var("LIMACTL_SIM_VERSION").unwrap_or_else(|_| "2.2.0".into());
        let mut parts = version_string
            .split(['.', '-'])
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let version = (
            parts.next().unwrap_or(2),
            parts.next().unwrap_or(2),
            parts.next().unwrap_or(0),
        );
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        let lima_home = std::env::var_os("LIMA_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".lima"));
        let lima_home = lima_home.canonicalize().unwrap_or(lima_home);
        SimEnv {
            version,
            version_string,
            lima_home,
            home,
        }
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.version.0, self.version.1) >= (major, minor)
    }

    pub fn q(&self, s: &str) -> String {
        crate::log::q(self.version, s)
    }

    /// Quoting of a message from Lima's `pkg/` (see `log::q_pkg`).
    pub fn q_pkg(&self, s: &str) -> String {
        crate::log::q_pkg(self.version, s)
    }
}

pub fn host_os() -> &'static str {
    if cfg!(target_os = "macos") {
        "darwin"
    } else {
        "linux"
    }
}

pub fn host_arch() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "aarch64"
    } else {
        "x86_64"
    }
}

pub fn user_name() -> String {
    let name = std::env::var("USER").unwrap_or_default();
    let ok = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok && name != "admin" {
        name
    } else {
        "lima".into()
    }
}

pub fn uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}
