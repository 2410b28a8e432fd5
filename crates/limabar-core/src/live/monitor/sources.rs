//! Where a running instance's events and phases come from. Phases: `ha.stderr.log`,
//! followed on file-system notifications. Events: `limactl watch --json --history NAME`
//! on Lima ≥ 2.1, else a follower of `ha.stdout.log`. Each boot (a recreated
//! `ha.stdout.log`) gets new sources, a new generation, so that nothing the old boot's
//! log still delivers is taken for the new one.
//!
//! Lima's watch (2.1+, `pkg/hostagent/events/watcher.go`) follows the log by name and
//! waits for a missing one. A line that is not an event ends that instance's watcher
//! but not the process: it says ``Watcher for instance `X` stopped`` on stderr
//! (`cmd/limactl/watch.go` `watchInstance`). That line, like the process's end, makes
//! the monitor follow `ha.stdout.log` itself, past the events the watch delivered.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::Msg;
use crate::lima::events::{parse_event_line, parse_watch_line, HaEvent};
use crate::lima::halog::watcher_stopped;
use crate::lima::runner::Runner;
use crate::lima::tail::Follower;
use crate::live::snapshot::{HA_STDERR, HA_STDOUT};

pub(super) struct Sources {
    pub generation: u64,
    pub stdout_inode: Option<u64>,
    pub stderr: Follower,
    /// Set when events are read from the file (Lima 2.0, or after `watch` died).
    pub stdout: Option<Follower>,
    /// Events `watch` delivered: a follower taking over skips that many (the watch read
    /// the same file from its start, `--history`).
    pub watched_events: usize,
    /// Event lines the follower still has to skip.
    pub skip_events: usize,
    watch: Option<JoinHandle<()>>,
}

impl Drop for Sources {
    fn drop(&mut self) {
        // Aborting the task drops the child, which kills `limactl watch`.
        if let Some(w) = self.watch.take() {
            w.abort();
        }
    }
}

pub(super) fn inode_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// The pid a pid file (`ha.pid`: the number and `\n`) names.
pub(super) fn pid_in(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 0)
}

/// The last event in `ha.stdout.log` (read from its last 64 KiB): Lima's final one is
/// `exiting`, written in a `defer` of `HostAgent.Run` when the agent shuts down.
pub(super) fn last_event(path: &Path) -> Option<HaEvent> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))
        .ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    String::from_utf8_lossy(&buf)
        .lines()
        .rev()
        .find_map(parse_event_line)
}

impl Sources {
    pub fn new(dir: &Path, generation: u64) -> Self {
        Sources {
            generation,
            stdout_inode: inode_of(&dir.join(HA_STDOUT)),
            stderr: Follower::new(dir.join(HA_STDERR)),
            stdout: None,
            watched_events: 0,
            skip_events: 0,
            watch: None,
        }
    }

    pub fn follow_stdout(&mut self, dir: &Path) {
        self.stop_watch();
        self.skip_events = std::mem::take(&mut self.watched_events);
        self.stdout = Some(Follower::new(dir.join(HA_STDOUT)));
    }

    fn stop_watch(&mut self) {
        if let Some(w) = self.watch.take() {
            w.abort();
        }
    }

    /// Runs `limactl watch` for `name`; its lines come back as `Msg::Event`.
    pub fn spawn_watch(&mut self, runner: &Runner, name: &str, tx: UnboundedSender<Msg>) {
        let call = crate::lima::limactl::watch(name);
        let generation = self.generation;
        let name = name.to_string();
        let child = runner.spawn_lines(&call);
        self.watch = Some(tokio::spawn(async move {
            let mut child = match child {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Msg::WatchEnded {
                        name,
                        generation,
                        reason: e.to_string(),
                    });
                    return;
                }
            };
            let mut stderr_open = true;
            loop {
                let line = tokio::select! {
                    line = child.lines.next_line() => match line {
                        Ok(Some(line)) => line,
                        _ => break,
                    },
                    err = child.stderr.next_line(), if stderr_open => {
                        match err {
                            Ok(Some(err)) => {
                                if let Some((_, cause)) =
                                    watcher_stopped(&err).filter(|(n, _)| *n == name)
                                {
                                    let _ = tx.send(Msg::WatchEnded {
                                        name,
                                        generation,
                                        reason: format!("limactl watch stopped following it ({cause})"),
                                    });
                                    return;
                                }
                            }
                            _ => stderr_open = false,
                        }
                        continue;
                    }
                };
                match parse_watch_line(&line) {
                    Some((_, ev)) => {
                        let _ = tx.send(Msg::Event {
                            name: name.clone(),
                            generation,
                            ev,
                        });
                    }
                    None if line.trim().is_empty() => {}
                    None => {
                        let _ = tx.send(Msg::Warn {
                            name: Some(name.clone()),
                            message: format!(
                                "skipped a line of `limactl watch`: {}",
                                line.chars().take(120).collect::<String>()
                            ),
                        });
                    }
                }
            }
            let _ = tx.send(Msg::WatchEnded {
                name,
                generation,
                reason: "limactl watch exited".into(),
            });
        }));
    }
}
