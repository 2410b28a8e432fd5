//! "Install command-line tool": puts the `limabar` that ships beside the app on the
//! user's PATH as a symlink, asking for nothing more than that needs — `/usr/local/bin`
//! when the user may write there (Homebrew on Intel Macs makes it so), else
//! `~/.local/bin` (created). Never replaces a file that is not a link to a Limabar CLI,
//! never asks for an administrator password. The Linux packages put it in `/usr/bin`.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::env::HostEnv;
use crate::error::{CoreError, Result};

/// What "Install command-line tool" did, for the Settings pane to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CliLink {
    /// The link made (or found), e.g. `~/.local/bin/limabar`.
    pub link: String,
    /// The bundled CLI it points to.
    pub target: String,
    /// It was there already, pointing at the same CLI.
    pub already: bool,
    /// The link's folder is on PATH: `limabar` works in a new terminal as is.
    pub on_path: bool,
}

/// Where the link may go, in order of preference.
fn candidates(env: &HostEnv) -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("/usr/local/bin")];
    dirs.extend(env.home.as_ref().map(|h| h.join(".local/bin")));
    dirs
}

/// A folder the user may create files in (without asking for more rights).
fn writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".limabar-write-test-{}", std::process::id()));
    let ok = std::fs::File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

/// Links `bundled` (the CLI beside the app) as `limabar` in the first folder of `dirs`
/// that is writable or can be made (the last one, in the home folder, is created).
pub fn install_in(env: &HostEnv, bundled: &Path, dirs: &[PathBuf]) -> Result<CliLink> {
    if !bundled.is_file() {
        return Err(CoreError::invalid(format!(
            "no limabar command beside the app (looked for {})",
            bundled.display()
        )));
    }
    let on_path = |d: &Path| env.path.iter().any(|p| p == d);
    let mut last_err = None;
    for (i, dir) in dirs.iter().enumerate() {
        let last = i + 1 == dirs.len();
        if last {
            if let Err(e) = std::fs::create_dir_all(dir) {
                last_err = Some(CoreError::io(format!("creating {}", dir.display()), e));
                continue;
            }
        }
        if !dir.is_dir() || !writable(dir) {
            continue;
        }
        let link = dir.join("limabar");
        let shown = CliLink {
            link: link.display().to_string(),
            target: bundled.display().to_string(),
            already: false,
            on_path: on_path(dir),
        };
        match std::fs::read_link(&link) {
            Ok(to) if to == bundled => {
                return Ok(CliLink {
                    already: true,
                    ..shown
                })
            }
            // A link to another Limabar (an older copy of the app): pointed here instead.
            Ok(to) if to.file_name().is_some_and(|f| f == "limabar") => {
                std::fs::remove_file(&link)
                    .map_err(|e| CoreError::io(format!("replacing {}", link.display()), e))?;
            }
            Ok(_) | Err(_) if link.symlink_metadata().is_ok() => {
                return Err(CoreError::invalid(format!(
                    "{} already exists and is not Limabar's: remove it first, or run {} directly",
                    link.display(),
                    bundled.display()
                )));
            }
            _ => {}
        }
        std::os::unix::fs::symlink(bundled, &link)
            .map_err(|e| CoreError::io(format!("linking {}", link.display()), e))?;
        return Ok(shown);
    }
    Err(last_err.unwrap_or_else(|| {
        CoreError::invalid("no folder on PATH that Limabar may write to".to_string())
    }))
}

/// `install_in` with the usual folders (`/usr/local/bin`, then `~/.local/bin`).
pub fn install(env: &HostEnv, bundled: &Path) -> Result<CliLink> {
    install_in(env, bundled, &candidates(env))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, HostEnv, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let app = t.path().join("Limabar.app/Contents/MacOS");
        std::fs::create_dir_all(&app).unwrap();
        let cli = app.join("limabar");
        std::fs::write(&cli, "#!/bin/sh\n").unwrap();
        let env = HostEnv {
            home: Some(t.path().join("home")),
            path: vec![t.path().join("home/.local/bin")],
            ..HostEnv::default()
        };
        (t, env, cli)
    }

    #[test]
    fn links_into_the_first_writable_folder_and_again_is_a_no_op() {
        let (t, env, cli) = setup();
        // Not there (not writable for the test): the home folder's is made.
        let dirs = [
            t.path().join("no such dir"),
            t.path().join("home/.local/bin"),
        ];
        let first = install_in(&env, &cli, &dirs).unwrap();
        assert_eq!(
            first.link,
            t.path()
                .join("home/.local/bin/limabar")
                .display()
                .to_string()
        );
        assert!(first.on_path && !first.already);
        assert_eq!(std::fs::read_link(&first.link).unwrap(), cli);
        let again = install_in(&env, &cli, &dirs).unwrap();
        assert!(again.already);
    }

    #[test]
    fn never_replaces_what_is_not_limabars_but_repoints_an_old_copy() {
        let (t, env, cli) = setup();
        let bin = t.path().join("home/.local/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("limabar"), "someone else's").unwrap();
        let refused = install_in(&env, &cli, std::slice::from_ref(&bin)).unwrap_err();
        assert_eq!(refused.code(), crate::ErrorCode::InvalidInput);
        assert_eq!(
            std::fs::read_to_string(bin.join("limabar")).unwrap(),
            "someone else's"
        );

        std::fs::remove_file(bin.join("limabar")).unwrap();
        std::os::unix::fs::symlink(
            "/Applications/Old Limabar.app/Contents/MacOS/limabar",
            bin.join("limabar"),
        )
        .unwrap();
        let moved = install_in(&env, &cli, std::slice::from_ref(&bin)).unwrap();
        assert!(!moved.already);
        assert_eq!(std::fs::read_link(bin.join("limabar")).unwrap(), cli);
    }

    #[test]
    fn without_the_bundled_cli_nothing_is_made() {
        let (t, env, _) = setup();
        let missing = t.path().join("nowhere/limabar");
        let e = install_in(&env, &missing, &[t.path().join("home/.local/bin")]).unwrap_err();
        assert!(e.to_string().contains("no limabar command"), "{e}");
        assert!(!t.path().join("home/.local/bin/limabar").exists());
    }
}
