//! The process environment, captured once. Nothing else in Limabar reads `std::env`:
//! the value is built at start-up and passed down, so tests build their own.

use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct HostEnv {
    /// `LIMACTL`: an explicit limactl binary.
    pub limactl: Option<PathBuf>,
    /// `LIMA_HOME`, or `~/.lima`.
    pub lima_home: PathBuf,
    /// The user's home directory.
    pub home: Option<PathBuf>,
    /// `PATH` split into directories.
    pub path: Vec<PathBuf>,
    /// Limabar's own data directory (boot history, caches, limactl's working directory).
    pub data_dir: PathBuf,
    /// Limabar's configuration directory (settings.json): `$XDG_CONFIG_HOME/limabar` or
    /// `~/.config/limabar` on Linux, Application Support on macOS.
    pub config_dir: PathBuf,
    /// `TERMINAL`: the user's preferred terminal on Linux, when set.
    pub terminal: Option<String>,
}

impl HostEnv {
    /// Reads the real environment. Called once by each front end.
    #[allow(clippy::disallowed_methods)] // the one reader of the process environment
    pub fn capture() -> Self {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        let lima_home = std::env::var_os("LIMA_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".lima")))
            .unwrap_or_else(|| PathBuf::from(".lima"));
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let limactl = std::env::var_os("LIMACTL")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        let data_dir = data_dir(
            home.as_deref(),
            std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        );
        let config_dir = config_dir(
            home.as_deref(),
            std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
        );
        let terminal = std::env::var("TERMINAL")
            .ok()
            .filter(|t| !t.trim().is_empty());
        HostEnv {
            limactl,
            lima_home,
            home,
            path,
            data_dir,
            config_dir,
            terminal,
        }
    }

    /// limactl runs here: Lima writes `lima.REJECTED.yaml` into its cwd, and a GUI
    /// process's cwd is often `/`.
    pub fn limactl_workdir(&self) -> PathBuf {
        self.data_dir.join("limactl-cwd")
    }

    /// Per-instance operation locks shared by the app and the `limabar` command (`oplock`).
    pub fn op_locks_dir(&self) -> PathBuf {
        self.data_dir.join("locks")
    }

    /// Fixed PATH handed to limactl: apps started from Finder get only `/usr/bin:/bin:…`,
    /// and limactl itself needs `ssh`, `qemu-img` and friends.
    pub fn child_path(&self) -> std::ffi::OsString {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for d in self
            .path
            .iter()
            .cloned()
            .chain(self.well_known_dirs())
            .chain(["/usr/bin", "/bin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        {
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        std::env::join_paths(dirs).unwrap_or_default()
    }

    /// Where Homebrew and user installs put limactl, in search order.
    pub fn well_known_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![
            PathBuf::from("/opt/homebrew/bin"),
            PathBuf::from("/usr/local/bin"),
        ];
        if let Some(home) = &self.home {
            dirs.push(home.join(".local/bin"));
        }
        dirs
    }
}

fn config_dir(home: Option<&std::path::Path>, xdg_config: Option<PathBuf>) -> PathBuf {
    let base = home.map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    // The bundle identifier (tauri.conf.json): not `….app`, which macOS reads as a
    // bundle extension (changed before any release, so nothing to migrate).
    if cfg!(target_os = "macos") {
        base.join("Library/Application Support/dev.limabar.Limabar")
    } else {
        xdg_config
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| base.join(".config"))
            .join("limabar")
    }
}

/// Where Limabar keeps its data for this home (and `$XDG_DATA_HOME`, on Linux).
pub fn data_dir(home: Option<&std::path::Path>, xdg_data: Option<PathBuf>) -> PathBuf {
    let home = home.map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    if cfg!(target_os = "macos") {
        home.join("Library/Application Support/dev.limabar.Limabar")
    } else {
        xdg_data
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".local/share"))
            .join("limabar")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    #[cfg(not(target_os = "macos"))]
    fn settings_go_to_the_config_dir_and_state_to_the_data_dir() {
        let home = Path::new("/home/me");
        assert_eq!(
            config_dir(Some(home), None),
            Path::new("/home/me/.config/limabar")
        );
        assert_eq!(
            config_dir(Some(home), Some("/xdg/config".into())),
            Path::new("/xdg/config/limabar")
        );
        // A relative XDG value is invalid per the spec and ignored.
        assert_eq!(
            config_dir(Some(home), Some("rel".into())),
            Path::new("/home/me/.config/limabar")
        );
        assert_eq!(
            data_dir(Some(home), None),
            Path::new("/home/me/.local/share/limabar")
        );
    }
}
