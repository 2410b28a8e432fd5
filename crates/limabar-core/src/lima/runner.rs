//! The process boundary. Every limactl call is data (argv, timeout) and runs with stdin
//! closed, `--tty=false`, a fixed PATH and an app-owned working directory (Lima writes
//! `lima.REJECTED.yaml` into its cwd). A child is killed on timeout and when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::{CoreError, Result};
use crate::lima::limactl::Call;

/// What came back from a finished limactl call. `Err` from `run` only when it could not
/// run at all or timed out; a non-zero exit is an `Output` with `code != 0`.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// What limactl said when it gave up: its last `fatal` (else `error`) log message,
    /// else the last line. Earlier lines are context, not the reason.
    pub fn failure_message(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        for level in ["level=fatal", "level=error"] {
            if let Some(line) = lines.iter().rev().find(|l| l.contains(level)) {
                return crate::lima::halog::human_message(line);
            }
        }
        lines
            .last()
            .map(|l| crate::lima::halog::human_message(l))
            .unwrap_or_default()
    }

    /// The last meaningful lines of stderr, for error messages: logrus `msg="…"` values
    /// are unwrapped so the user reads Lima's sentence, not its log syntax.
    pub fn stderr_tail(&self, lines: usize) -> String {
        let msgs: Vec<String> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(crate::lima::halog::human_message)
            .collect();
        let start = msgs.len().saturating_sub(lines);
        msgs[start..].join("\n")
    }
}

/// Runs a host program Limabar asks a fact of (`git ls-files`, `sw_vers`) to its end,
/// with no input, on the calling thread (callers are already off the async threads).
/// With limactl's runs and the terminal's spawn, the only place a process starts.
#[allow(clippy::disallowed_methods)]
pub fn host_program(
    program: &str,
    args: &[&std::ffi::OsStr],
) -> std::io::Result<std::process::Output> {
    std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
}

/// How to run limactl: the binary, the environment it gets and where it runs.
#[derive(Debug, Clone)]
pub struct Runner {
    pub program: PathBuf,
    pub workdir: PathBuf,
    pub path_env: std::ffi::OsString,
    pub lima_home: PathBuf,
}

impl Runner {
    #[allow(clippy::disallowed_methods)] // limactl's one spawn
    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(args)
            .current_dir(&self.workdir)
            .env("PATH", &self.path_env)
            .env("LIMA_HOME", &self.lima_home)
            .env_remove("_LIMA_OUTPUT_IS_TTY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `call` to its end, or kills it at its deadline.
    pub async fn run(&self, call: &Call) -> Result<Output> {
        let args = &call.args;
        // Calls without a deadline are spawned, never run to their end here.
        let timeout = call.timeout.unwrap_or(Duration::from_secs(24 * 60 * 60));
        std::fs::create_dir_all(&self.workdir)
            .map_err(|e| CoreError::io(format!("creating {}", self.workdir.display()), e))?;
        let child = self
            .command(args)
            .spawn()
            .map_err(|e| spawn_error(&self.program, e))?;
        let label = args.first().cloned().unwrap_or_default();
        match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Ok(Ok(out)) => Ok(Output {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }),
            Ok(Err(e)) => Err(CoreError::io(format!("running limactl {label}"), e)),
            // Dropping the future drops the child, which kills it (kill_on_drop).
            Err(_) => Err(CoreError::Timeout {
                command: label,
                secs: timeout.as_secs(),
            }),
        }
    }

    /// Starts a call whose stderr (logrus lines) is read as it is written, e.g. `create`,
    /// whose stages show only there. Killed when the child is dropped.
    pub fn spawn_stderr(
        &self,
        call: &Call,
    ) -> Result<(
        Child,
        tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    )> {
        std::fs::create_dir_all(&self.workdir)
            .map_err(|e| CoreError::io(format!("creating {}", self.workdir.display()), e))?;
        let mut cmd = self.command(&call.args);
        cmd.stdout(Stdio::null());
        let mut child = cmd.spawn().map_err(|e| spawn_error(&self.program, e))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        Ok((child, BufReader::new(stderr).lines()))
    }

    /// Starts a long-running call (e.g. `watch`) whose stdout and stderr are read line by
    /// line. Both must be read: a pipe nobody drains blocks the child once it is full.
    pub fn spawn_lines(&self, call: &Call) -> Result<LineChild> {
        std::fs::create_dir_all(&self.workdir)
            .map_err(|e| CoreError::io(format!("creating {}", self.workdir.display()), e))?;
        let mut cmd = self.command(&call.args);
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn().map_err(|e| spawn_error(&self.program, e))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        Ok(LineChild {
            _child: child,
            lines: BufReader::new(stdout).lines(),
            stderr: BufReader::new(stderr).lines(),
        })
    }
}

/// A running child whose stdout and stderr lines can be awaited; killed when dropped.
pub struct LineChild {
    _child: Child,
    pub lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    /// `limactl watch` reports a watcher that stopped only here.
    pub stderr: tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
}

/// A long-running child (`limactl watch`) must not outlive Limabar when it is killed
/// (kill-on-drop does not run then). Linux can ask the kernel for that.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe and only affects the child being set up.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

fn spawn_error(program: &Path, e: std::io::Error) -> CoreError {
    if e.kind() == std::io::ErrorKind::NotFound {
        CoreError::LimactlNotFound {
            searched: program.display().to_string(),
        }
    } else {
        CoreError::io(format!("starting {}", program.display()), e)
    }
}

#[cfg(test)]
mod tests {
    use super::Output;

    #[test]
    fn the_failure_message_is_the_fatal_line_not_the_context_before_it() {
        let out = Output {
            code: 1,
            stdout: String::new(),
            stderr: concat!(
                "time=\"2026-08-21T10:15:04Z\" level=info msg=\"[hostagent] goroutine 1 [running]:\"\n",
                "time=\"2026-08-21T10:15:05Z\" level=fatal msg=\"exiting, status={Running:false Exiting:true Errors:[]} (hint: see `/x/ha.stderr.log`)\"\n",
            )
            .into(),
        };
        assert_eq!(
            out.failure_message(),
            "exiting, status={Running:false Exiting:true Errors:[]} (hint: see `/x/ha.stderr.log`)"
        );
        let plain = Output {
            code: 1,
            stdout: String::new(),
            stderr: "something broke\n".into(),
        };
        assert_eq!(plain.failure_message(), "something broke");
    }
}
