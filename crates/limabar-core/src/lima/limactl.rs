//! Every limactl command line Limabar runs, and how long each may take: one function per
//! call, nothing else in the workspace builds a limactl argv. A `Call` is what the
//! runner runs and what "Copy as limactl command" shows (`Call::line`), so the two
//! cannot differ (tests/tests/one_home.rs runs one and compares).
//!
//! `--tty=false` goes right after the subcommand: `limactl shell` stops parsing flags at
//! the instance name. Deadlines are Limabar's own and lie past limactl's `--timeout`, so
//! Lima's clearer message normally wins.

use std::path::Path;
use std::time::Duration;

use crate::live::change::Operation;

/// One limactl invocation: the arguments after the program, and Limabar's deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub args: Vec<String>,
    /// After this the runner kills the call. Long-running calls (`watch`, an
    /// interactive shell) have none: they end with their owner.
    pub timeout: Option<Duration>,
}

impl Call {
    fn new(subcommand: &str, rest: &[&str], timeout: Option<Duration>) -> Call {
        let mut args = vec![subcommand.to_string(), "--tty=false".to_string()];
        args.extend(rest.iter().map(|s| s.to_string()));
        Call { args, timeout }
    }

    /// The subcommand (`start`, `edit`, …), for messages.
    pub fn subcommand(&self) -> &str {
        self.args.first().map(String::as_str).unwrap_or_default()
    }

    /// The whole argv: the limactl program first.
    pub fn argv(&self, program: &Path) -> Vec<String> {
        std::iter::once(program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect()
    }

    /// The command line for the user's own terminal, POSIX-quoted.
    pub fn line(&self, program: &Path) -> String {
        crate::quote::join(&self.argv(program))
    }
}

/// How long Lima may take to boot a VM (`limactl start --timeout`), unless configured.
pub const DEFAULT_BOOT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Past Lima's own boot timeout: Lima's message, not ours, says what went wrong.
const BOOT_GRACE: Duration = Duration::from_secs(60);
const LIST_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(4 * 60);
const FORCE_STOP_TIMEOUT: Duration = Duration::from_secs(60);
const EDIT_TIMEOUT: Duration = Duration::from_secs(60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(120);
/// A first boot downloads and converts an image: an hour on a slow line.
pub const CREATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// A Go duration for `--timeout`, in the unit a person would write (`15m`, `90s`).
pub fn go_duration(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// `limactl --version` (no subcommand, so no `--tty=false`).
pub fn version() -> Call {
    Call {
        args: vec!["--version".into()],
        timeout: Some(VERSION_TIMEOUT),
    }
}

/// `limactl list --json [NAME]`: JSON Lines, one instance per line.
pub fn list(name: Option<&str>) -> Call {
    let mut rest = vec!["--json"];
    rest.extend(name);
    Call::new("list", &rest, Some(LIST_TIMEOUT))
}

pub fn start(name: &str, boot: Duration) -> Call {
    let flag = go_duration(boot);
    Call::new(
        "start",
        &["--timeout", &flag, name],
        Some(boot + BOOT_GRACE),
    )
}

pub fn stop(name: &str) -> Call {
    Call::new("stop", &[name], Some(STOP_TIMEOUT))
}

pub fn force_stop(name: &str) -> Call {
    Call::new("stop", &["-f", name], Some(FORCE_STOP_TIMEOUT))
}

pub fn restart(name: &str, boot: Duration) -> Call {
    Call::new("restart", &[name], Some(boot + BOOT_GRACE))
}

fn with_sets<'a>(name: &'a str, exprs: &'a [String]) -> Vec<&'a str> {
    let mut rest = vec![name];
    for e in exprs {
        rest.extend(["--set", e.as_str()]);
    }
    rest
}

/// `limactl edit NAME --set EXPR…`: Lima edits its own YAML (stopped instances only).
pub fn edit(name: &str, exprs: &[String]) -> Call {
    Call::new("edit", &with_sets(name, exprs), Some(EDIT_TIMEOUT))
}

/// `limactl restart NAME --set EXPR…` (Lima ≥ 2.2): edit and reboot in one call.
pub fn restart_with_edits(name: &str, exprs: &[String], boot: Duration) -> Call {
    Call::new(
        "restart",
        &with_sets(name, exprs),
        Some(STOP_TIMEOUT + boot + BOOT_GRACE),
    )
}

/// `limactl delete [-f] NAME`: Lima refuses anything but a Stopped instance without `-f`
/// (`cmd/limactl/delete.go`), so a Broken or invalid one needs it.
pub fn delete(name: &str, force: bool) -> Call {
    let rest: Vec<&str> = if force { vec!["-f", name] } else { vec![name] };
    Call::new("delete", &rest, Some(DELETE_TIMEOUT))
}

/// `limactl create --name NAME FILE` (Limabar's template, kept in its data folder).
pub fn create(name: &str, file: &Path) -> Call {
    let file = file.to_string_lossy();
    Call::new("create", &["--name", name, &file], Some(CREATE_TIMEOUT))
}

/// `limactl watch --json --history NAME` (Lima ≥ 2.1): runs until the monitor stops it.
pub fn watch(name: &str) -> Call {
    Call::new("watch", &["--json", "--history", name], None)
}

/// `limactl shell --workdir DIR NAME WORD…`, run by Limabar: Lima quotes the words for
/// the guest's login shell itself, so each word arrives as it is.
pub fn shell(name: &str, workdir: &str, words: &[String], timeout: Duration) -> Call {
    let mut rest = vec!["--workdir", workdir, name];
    rest.extend(words.iter().map(String::as_str));
    Call::new("shell", &rest, Some(timeout))
}

/// The same in the user's terminal: interactive, so no `--tty=false`, and no deadline.
pub fn interactive_shell(name: &str, workdir: &str, words: &[String]) -> Call {
    let mut args: Vec<String> = vec!["shell".into(), "--workdir".into(), workdir.into()];
    args.push(name.into());
    args.extend(words.iter().cloned());
    Call {
        args,
        timeout: None,
    }
}

/// A lifecycle operation's call. `stopped` is what a fresh listing says (only `Delete`
/// asks); `Mounts` and `Create` are several calls or a streamed one, built by their
/// own functions (`edit`, `restart_with_edits`, `create`), so here they are `None`.
pub fn operation(op: Operation, name: &str, boot: Duration, stopped: bool) -> Option<Call> {
    Some(match op {
        Operation::Start => start(name, boot),
        Operation::Stop => stop(name),
        Operation::ForceStop => force_stop(name),
        Operation::Restart => restart(name, boot),
        Operation::Delete => delete(name, !stopped),
        Operation::Mounts | Operation::Create => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_written_as_a_person_would_and_ours_lie_past_limas() {
        assert_eq!(go_duration(Duration::from_secs(900)), "15m");
        assert_eq!(go_duration(Duration::from_secs(90)), "90s");
        assert_eq!(go_duration(Duration::from_millis(10)), "1s");
        let s = start("nixos", DEFAULT_BOOT_TIMEOUT);
        assert_eq!(
            s.args,
            ["start", "--tty=false", "--timeout", "15m", "nixos"]
        );
        assert!(s.timeout.unwrap() > DEFAULT_BOOT_TIMEOUT);
    }

    #[test]
    fn tty_false_comes_before_the_name_so_shell_words_stay_words() {
        let words = vec!["sh".to_string(), "-c".into(), "echo --tty=false".into()];
        let c = shell("nixos", "/a b", &words, Duration::from_secs(1));
        assert_eq!(
            c.args,
            [
                "shell",
                "--tty=false",
                "--workdir",
                "/a b",
                "nixos",
                "sh",
                "-c",
                "echo --tty=false"
            ]
        );
        let i = interactive_shell("nixos", "/a b", &words);
        assert_eq!(
            i.args,
            [
                "shell",
                "--workdir",
                "/a b",
                "nixos",
                "sh",
                "-c",
                "echo --tty=false"
            ]
        );
    }

    #[test]
    fn delete_forces_only_what_lima_would_refuse() {
        assert_eq!(delete("x", false).args, ["delete", "--tty=false", "x"]);
        assert_eq!(delete("x", true).args, ["delete", "--tty=false", "-f", "x"]);
        let op = operation(Operation::Delete, "x", DEFAULT_BOOT_TIMEOUT, false).unwrap();
        assert_eq!(op, delete("x", true));
        assert!(operation(Operation::Mounts, "x", DEFAULT_BOOT_TIMEOUT, true).is_none());
    }

    #[test]
    fn the_copied_line_is_the_argv_quoted() {
        let c = edit(
            "my vm",
            &[".mounts += [{\"location\": \"/a'b\"}]".to_string()],
        );
        let line = c.line(Path::new("/opt/homebrew/bin/limactl"));
        assert!(line.starts_with("/opt/homebrew/bin/limactl edit --tty=false 'my vm' --set "));
        assert_eq!(c.argv(Path::new("/l"))[1..], c.args[..]);
    }
}
