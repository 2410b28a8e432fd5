//! Flakes and dev shells: each instance's flakes (pushed when its mounts change, when it
//! becomes ready — then shell lists are evaluated and recent shells pre-built in the
//! guest — and when a watched folder changes), and the one-click open: start the VM if
//! needed, then spawn the chosen terminal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use notify::EventKind;
use serde::Serialize;
use ts_rs::TS;

use super::{Push, Session};
use crate::error::Result;
use crate::features::develop::catalog::FlakeView;
use crate::features::develop::{discover, guest_dir_of, plan_open, DevShells, Discovery, OpenPlan};
use crate::features::terminal::{self, Platform, SystemProbe, TerminalChoice};
use crate::fswatch::FsWatch;
use crate::lima::locate::Limactl;
use crate::live::change::InstanceView;

/// Editors write a file in several steps: one refresh per burst.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// One instance's flakes, as pushed to the UI.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct InstanceFlakes {
    pub name: String,
    pub flakes: Vec<FlakeView>,
    /// A mount held too many folders: deeper flakes may be missing.
    pub truncated: bool,
}

/// What the UI says after opening: "Opened rust in XTerm".
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenedShell {
    pub terminal: String,
    /// A pre-built environment was opened (no evaluation).
    pub prebuilt: bool,
    /// The app's own time from the request to the terminal process spawned.
    pub spawn_ms: f64,
    /// The VM was started first.
    pub started_vm: bool,
}

#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TerminalSettings {
    /// Installed terminals, most preferred first.
    pub choices: Vec<TerminalChoice>,
    /// The one dev shells open in.
    pub selected: Option<TerminalChoice>,
}

/// The dev-shell service and the watches on the folders its discovery looked at.
pub(super) struct FlakeWatch {
    pub(super) core: DevShells,
    data_dir: PathBuf,
    /// Which folders are watched for which instance.
    watched: Mutex<BTreeMap<String, Vec<PathBuf>>>,
    watcher: Mutex<Option<FsWatch>>,
}

impl FlakeWatch {
    pub(super) fn new(limactl: &Limactl, data_dir: &Path) -> Arc<FlakeWatch> {
        Arc::new(FlakeWatch {
            core: DevShells::new(limactl.runner.clone(), limactl.features, data_dir),
            data_dir: data_dir.to_path_buf(),
            watched: Mutex::default(),
            watcher: Mutex::default(),
        })
    }

    /// Watches folders from now on: the task sleeps until one changes, then refreshes
    /// each affected instance once per burst. It ends with the session (the watcher,
    /// and so the channel's sender, goes with it).
    pub(super) fn start_watching(&self, session: Weak<Session>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
        let watcher = FsWatch::new(&[], move |ev| {
            // Reading a folder is not a change (and walking it would loop on itself).
            if !matches!(ev.kind, EventKind::Access(_)) {
                for p in ev.paths.into_iter().filter(|p| may_change_flakes(p)) {
                    let _ = tx.send(p);
                }
            }
        });
        match watcher {
            Ok(w) => *self.watcher.lock().unwrap() = Some(w),
            Err(e) => tracing::warn!(error = %e, "no file watching for flakes"),
        }
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut paths = vec![first];
                tokio::time::sleep(DEBOUNCE).await;
                while let Ok(p) = rx.try_recv() {
                    paths.push(p);
                }
                let Some(s) = session.upgrade() else { return };
                // A new or edited flake.nix needs its shells (re-)evaluated in the
                // guest, not just listed: the same refresh as after a mount change.
                for name in s.flakes.watching(&paths) {
                    if let Ok(v) = s.view(&name).await {
                        s.refresh_flakes(&v);
                    }
                }
            }
        });
    }

    /// The instances that watch a folder among `paths` (or one of their parents).
    fn watching(&self, paths: &[PathBuf]) -> Vec<String> {
        let watched = self.watched.lock().unwrap();
        watched
            .iter()
            .filter(|(_, dirs)| {
                paths
                    .iter()
                    .any(|p| dirs.iter().any(|d| p.parent() == Some(d) || p == d))
            })
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn rewatch(&self, name: &str, dirs: Vec<PathBuf>) {
        let mut watched = self.watched.lock().unwrap();
        let mut guard = self.watcher.lock().unwrap();
        let Some(w) = guard.as_mut() else { return };
        let old = watched.remove(name).unwrap_or_default();
        let still_wanted = |d: &PathBuf| watched.values().any(|ds| ds.contains(d));
        for d in old.iter().filter(|d| !dirs.contains(d) && !still_wanted(d)) {
            w.unwatch_dir(d);
        }
        for d in dirs.iter().filter(|d| !old.contains(d)) {
            let _ = w.watch_dir(d);
        }
        watched.insert(name.to_string(), dirs);
    }
}

fn is_flake_file(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|f| f == "flake.nix" || f == "flake.lock")
}

/// Git's index, rewritten by `git add` (watched only while a flake is untracked).
fn is_git_index(p: &Path) -> bool {
    p.file_name().is_some_and(|f| f == "index")
        && p.parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d == ".git")
}

/// What can change the flakes found in a watched folder: `flake.nix` or `flake.lock`
/// written, a folder created, renamed or removed (a project cloned or deleted), git's
/// index rewritten (`git add flake.nix`). A dev server's log or a saved source file
/// cannot, and does not cost a refresh.
fn may_change_flakes(p: &Path) -> bool {
    is_flake_file(p) || is_git_index(p) || p.is_dir() || !p.exists()
}

impl Session {
    /// Discovery in `v`'s mounts (off the async threads); re-arms the watches to follow
    /// what discovery looked at.
    async fn discover(&self, v: &InstanceView) -> Arc<Discovery> {
        let mounts = v.instance.mounts.clone();
        let found = tokio::task::spawn_blocking(move || discover(&mounts))
            .await
            .unwrap_or_default();
        self.flakes.rewatch(&v.instance.name, found.visited.clone());
        Arc::new(found)
    }

    /// The UI's view of flakes already discovered (the catalog may have moved on).
    async fn flake_views(&self, name: &str, found: &Arc<Discovery>) -> InstanceFlakes {
        let (f, n, d) = (self.flakes.clone(), name.to_string(), found.clone());
        let flakes = tokio::task::spawn_blocking(move || f.core.views_of(&n, &d))
            .await
            .unwrap_or_default();
        InstanceFlakes {
            name: name.to_string(),
            flakes,
            truncated: found.truncated,
        }
    }

    /// `name`'s flakes now.
    pub async fn flakes(&self, name: &str) -> Result<InstanceFlakes> {
        let v = self.view(name).await?;
        let found = self.discover(&v).await;
        Ok(self.flake_views(name, &found).await)
    }

    /// Pushes `v`'s flakes now; when the VM is up, evaluates stale shell lists and
    /// pre-builds recent shells in the background (the service's `refresh`), pushing
    /// again after each step.
    pub(super) fn refresh_flakes(&self, v: &InstanceView) {
        let (me, v) = (self.me.clone(), v.clone());
        tokio::spawn(async move {
            let Some(s) = me.upgrade() else { return };
            let found = s.discover(&v).await;
            let name = v.instance.name.clone();
            s.push(Push::Flakes(s.flake_views(&name, &found).await));
            if !v.vm_up() {
                return;
            }
            let progress = {
                let (me, name, found) = (s.me.clone(), name.clone(), found.clone());
                move || {
                    let (me, name, found) = (me.clone(), name.clone(), found.clone());
                    tokio::spawn(async move {
                        if let Some(s) = me.upgrade() {
                            s.push(Push::Flakes(s.flake_views(&name, &found).await));
                        }
                    });
                }
            };
            s.flakes
                .core
                .refresh(&v.instance, &found.flakes, &progress)
                .await;
            s.push(Push::Flakes(s.flake_views(&name, &found).await));
        });
    }

    /// `name`'s flakes with their shell lists brought up to date first when the VM is
    /// up (a stopped one lists `default`): what `limabar flakes` prints.
    pub async fn flakes_evaluated(&self, name: &str) -> Result<InstanceFlakes> {
        let v = self.view(name).await?;
        let found = self.discover(&v).await;
        if v.vm_up() {
            self.flakes
                .core
                .refresh_shell_lists(&v.instance, &found.flakes, &|| {})
                .await;
        }
        Ok(self.flake_views(name, &found).await)
    }

    /// What opening `shell` of the flake in `dir` would spawn: the terminal (`terminal`,
    /// else the setting, else the first installed), its argv and the command it runs.
    pub fn plan_dev_shell(
        &self,
        v: &InstanceView,
        dir: &str,
        shell: &str,
        terminal: Option<&str>,
    ) -> Result<OpenPlan> {
        let setting = terminal
            .map(str::to_string)
            .or_else(|| super::settings::load(&self.env).terminal);
        let term = crate::features::develop::pick_terminal(setting.as_deref(), &self.env)?;
        let scratch = self.flakes.data_dir.join("terminal");
        plan_open(&self.flakes.core, &v.instance, dir, shell, term, &scratch)
    }

    /// Opens `shell` of the flake in `dir` in the user's terminal (see `plan_dev_shell`),
    /// starting the VM first when it is not up.
    pub async fn open_dev_shell(
        &self,
        name: &str,
        dir: &str,
        shell: &str,
        terminal: Option<&str>,
    ) -> Result<OpenedShell> {
        let t0 = Instant::now();
        let v = self.view(name).await?;
        let plan = self.plan_dev_shell(&v, dir, shell, terminal)?;
        let scratch = self.flakes.data_dir.join("terminal");
        let (t0, started_vm) = self.up_for_use(&v, t0).await?;
        let mut spawn_ms = 0.0;
        terminal::open(&plan.launch, &scratch.join("terminal.log"), || {
            spawn_ms = t0.elapsed().as_secs_f64() * 1000.0
        })
        .await?;
        tracing::info!(instance = name, dir, shell, terminal = %plan.terminal.label(), spawn_ms, prebuilt = plan.command.prebuilt, "dev shell opened");
        self.flakes.core.record_use(name, &plan.guest_dir, shell);
        // Now recent: pre-build it (when it is not already) for next time.
        if let Ok(v) = self.view(name).await {
            self.refresh_flakes(&v);
        }
        Ok(OpenedShell {
            terminal: plan.terminal.label(),
            prebuilt: plan.command.prebuilt,
            spawn_ms,
            started_vm,
        })
    }

    /// `limactl shell --workdir DIR NAME nix develop .#SHELL`, for the user's terminal.
    pub async fn dev_shell_command(&self, name: &str, dir: &str, shell: &str) -> Result<String> {
        let v = self.view(name).await?;
        let guest_dir = guest_dir_of(&v.instance, dir)?;
        Ok(crate::quote::join(
            &self
                .flakes
                .core
                .command(name, dir, &guest_dir, shell)
                .copyable,
        ))
    }
}

/// The installed terminals and the one in use (the setting, even if not detected).
pub fn terminals(env: &crate::env::HostEnv) -> TerminalSettings {
    let detected = terminal::detect(Platform::current(), &SystemProbe::of(env));
    let selected = terminal::choose(super::settings::load(env).terminal.as_deref(), &detected);
    let mut choices: Vec<TerminalChoice> = detected.iter().map(TerminalChoice::from).collect();
    if let Some(s) = &selected {
        if !detected.contains(s) {
            choices.push(s.into());
        }
    }
    TerminalSettings {
        choices,
        selected: selected.as_ref().map(TerminalChoice::from),
    }
}

#[cfg(test)]
mod tests {
    use super::may_change_flakes;

    #[test]
    fn only_flake_files_and_folders_come_and_gone_refresh_the_flakes() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        std::fs::write(p.join("flake.nix"), "{}").unwrap();
        std::fs::write(p.join("flake.lock"), "{}").unwrap();
        std::fs::write(p.join("dev.log"), "GET / 200").unwrap();
        std::fs::write(p.join("main.rs"), "fn main() {}").unwrap();
        std::fs::create_dir(p.join("cloned app")).unwrap();
        assert!(may_change_flakes(&p.join("flake.nix")));
        assert!(may_change_flakes(&p.join("flake.lock")));
        assert!(may_change_flakes(&p.join("cloned app")));
        assert!(may_change_flakes(&p.join("deleted project")));
        std::fs::create_dir(p.join(".git")).unwrap();
        std::fs::write(p.join(".git/index"), "DIRC").unwrap();
        std::fs::write(p.join(".git/HEAD"), "ref: refs/heads/main").unwrap();
        assert!(may_change_flakes(&p.join(".git/index")));
        assert!(!may_change_flakes(&p.join(".git/HEAD")));
        assert!(!may_change_flakes(&p.join("dev.log")));
        assert!(!may_change_flakes(&p.join("main.rs")));
    }
}
