//! The one platform-specific step: writing the `.command` file if there is one, and
//! spawning the terminal detached from Limabar (its own process group, so quitting the
//! app does not close the user's shells). A terminal that exits with an error right
//! away (no display, bad option) is reported with its own words, naming it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use super::Launch;
use crate::error::CoreError;

/// How long a terminal has to fail before it counts as started.
pub const EARLY_EXIT: Duration = Duration::from_millis(400);

/// Spawns `launch`; returns once the process exists (the caller's "spawned" moment is
/// reported through `spawned`) and it has not failed within [`EARLY_EXIT`].
/// The terminal's stderr goes to `log`, read back when it fails.
pub async fn open(launch: &Launch, log: &Path, spawned: impl FnOnce()) -> Result<(), CoreError> {
    if let Some(file) = &launch.file {
        write_private(&file.path, &file.contents).map_err(|e| CoreError::TerminalFailed {
            terminal: launch.terminal.label(),
            detail: e.to_string(),
        })?;
    }
    spawn_detached(&launch.terminal.label(), &launch.argv, log, spawned).await
}

/// Starts a desktop program the user keeps (a terminal, an editor) detached from
/// Limabar, named `name` in errors; see [`open`].
#[allow(clippy::disallowed_methods)] // the one spawn of the user's desktop programs
pub async fn spawn_detached(
    name: &str,
    argv: &[String],
    log: &Path,
    spawned: impl FnOnce(),
) -> Result<(), CoreError> {
    let fail = |detail: String| CoreError::TerminalFailed {
        terminal: name.to_string(),
        detail,
    };
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let stderr = std::fs::File::create(log).map_err(|e| fail(e.to_string()))?;
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .process_group(0)
        .kill_on_drop(false);
    let mut child = cmd.spawn().map_err(|e| {
        fail(if e.kind() == std::io::ErrorKind::NotFound {
            format!("`{}` is not installed", argv[0])
        } else {
            e.to_string()
        })
    })?;
    spawned();
    match tokio::time::timeout(EARLY_EXIT, child.wait()).await {
        Ok(Ok(status)) if !status.success() => {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let last: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            let tail = last[last.len().saturating_sub(3)..].join("\n");
            Err(fail(if tail.is_empty() {
                format!("it exited with {status}")
            } else {
                tail
            }))
        }
        Ok(_) => Ok(()),
        Err(_) => {
            // Still running: the window is up. Reap it whenever it ends.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            Ok(())
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, contents)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::terminal::{Platform, Terminal};

    fn script(dir: &Path, name: &str, body: &str) -> String {
        let path = dir.join(name);
        crate::testutil::write_script(&path, &format!("#!/bin/sh\n{body}"));
        path.to_string_lossy().into_owned()
    }

    fn launch_of(program: &str) -> Launch {
        crate::features::terminal::launch(
            &Terminal::Custom(program.into()),
            Platform::Linux,
            &["true".to_string()],
            Path::new("/tmp"),
            "x",
        )
    }

    #[tokio::test]
    async fn a_missing_terminal_is_named_in_the_error() {
        let t = tempfile::tempdir().unwrap();
        let err = open(
            &launch_of("/nonexistent/limabar-term"),
            &t.path().join("log"),
            || {},
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "limabar-term could not be started: `/nonexistent/limabar-term` is not installed"
        );
    }

    #[tokio::test]
    async fn a_terminal_that_fails_at_once_reports_its_own_words() {
        let t = tempfile::tempdir().unwrap();
        let term = script(
            t.path(),
            "bad term",
            "echo 'cannot open display' >&2\nexit 2\n",
        );
        let err = open(&launch_of(&term), &t.path().join("log"), || {})
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad term could not be started: cannot open display"
        );
    }

    #[tokio::test]
    async fn a_running_terminal_counts_as_opened_and_gets_its_arguments() {
        let t = tempfile::tempdir().unwrap();
        let seen = t.path().join("seen");
        let body = format!("printf '%s\\n' \"$@\" > '{}'\nsleep 1\n", seen.display());
        let term = script(t.path(), "term", &body);
        let mut called = false;
        open(&launch_of(&term), &t.path().join("log"), || called = true)
            .await
            .unwrap();
        assert!(called);
        let args = std::fs::read_to_string(&seen).unwrap();
        assert!(args.starts_with("-e\n/bin/sh\n-c\n"), "{args}");
    }
}
