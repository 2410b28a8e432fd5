//! Dev shells in the app: each instance's flakes pushed to the UI (`limabar://flakes`)
//! when its mounts change, when it becomes ready (then shell lists are evaluated and
//! recent shells pre-built in the guest) and when a watched folder changes; and the
//! one-click open: start the VM if needed, then spawn the chosen terminal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use limabar_core::features::develop::catalog::FlakeView;
use limabar_core::features::develop::{discover, DevShells, Discovery};
use limabar_core::fswatch::FsWatch;
use limabar_core::lima::inventory::Instance;
use limabar_core::lima::runner::Runner;
use limabar_core::lima::version::Features;
use notify::EventKind;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use ts_rs::TS;

use crate::state::AppState;

pub const FLAKES_EVENT: &str = "limabar://flakes";
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

pub struct AppDevShells {
    pub core: DevShells,
    pub data_dir: PathBuf,
    /// Instances by name, as last seen (for refreshes from the file watcher).
    instances: Mutex<BTreeMap<String, Instance>>,
    /// Which folders are watched for which instance.
    watched: Mutex<BTreeMap<String, Vec<PathBuf>>>,
    watcher: Mutex<Option<FsWatch>>,
}

pub fn init(
    app: &AppHandle,
    runner: Runner,
    features: Features,
    data_dir: PathBuf,
) -> Arc<AppDevShells> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let dev = Arc::new(AppDevShells {
        core: DevShells::new(runner, features, &data_dir),
        data_dir,
        instances: Mutex::new(BTreeMap::new()),
        watched: Mutex::new(BTreeMap::new()),
        watcher: Mutex::new(None),
    });
    let watcher = FsWatch::new(&[], move |ev| {
        // Reading a folder is not a change (and walking it would loop on itself).
        if !matches!(ev.kind, EventKind::Access(_)) {
            for p in ev.paths.into_iter().filter(|p| may_change_flakes(p)) {
                let _ = tx.send(p);
            }
        }
    });
    match watcher {
        Ok(w) => *dev.watcher.lock().unwrap() = Some(w),
        Err(e) => tracing::warn!(error = %e, "no file watching for flakes"),
    }
    // Sleeps until a watched folder changes; then one refresh per affected instance.
    let (app2, dev2) = (app.clone(), dev.clone());
    tauri::async_runtime::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut paths = vec![first];
            tokio::time::sleep(DEBOUNCE).await;
            while let Ok(p) = rx.try_recv() {
                paths.push(p);
            }
            let names: Vec<String> = {
                let watched = dev2.watched.lock().unwrap();
                watched
                    .iter()
                    .filter(|(_, dirs)| {
                        paths
                            .iter()
                            .any(|p| dirs.iter().any(|d| p.parent() == Some(d) || p == d))
                    })
                    .map(|(n, _)| n.clone())
                    .collect()
            };
            // A new or edited flake.nix needs its shells (re-)evaluated in the guest,
            // not just listed: the same refresh as after a mount change.
            for name in names {
                let inst = dev2.instances.lock().unwrap().get(&name).cloned();
                let vm_up = app2
                    .state::<AppState>()
                    .view(&name)
                    .await
                    .is_ok_and(|v| v.vm_up());
                if let Some(inst) = inst {
                    refresh(&app2, inst, vm_up);
                }
            }
        }
    });
    dev
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

/// `instance`'s flakes now: discovered in its mounts (the watches follow what discovery
/// looked at), then viewed with the catalog.
pub async fn compute(dev: &Arc<AppDevShells>, instance: &Instance) -> InstanceFlakes {
    let found = discover_for(dev, instance).await;
    view(dev, &instance.name, found).await
}

/// Discovery in `instance`'s mounts; remembers the instance and re-arms the watches.
async fn discover_for(dev: &Arc<AppDevShells>, instance: &Instance) -> Arc<Discovery> {
    let mounts = instance.mounts.clone();
    let found = tauri::async_runtime::spawn_blocking(move || discover(&mounts))
        .await
        .unwrap_or_default();
    dev.instances
        .lock()
        .unwrap()
        .insert(instance.name.clone(), instance.clone());
    rewatch(dev, &instance.name, found.visited.clone());
    Arc::new(found)
}

/// The UI's view of flakes already discovered (the catalog may have moved on).
async fn view(dev: &Arc<AppDevShells>, name: &str, found: Arc<Discovery>) -> InstanceFlakes {
    let (d, n, f) = (dev.clone(), name.to_string(), found.clone());
    let flakes = tauri::async_runtime::spawn_blocking(move || d.core.views_of(&n, &f))
        .await
        .unwrap_or_default();
    InstanceFlakes {
        name: name.to_string(),
        flakes,
        truncated: found.truncated,
    }
}

async fn push(app: &AppHandle, dev: &Arc<AppDevShells>, name: &str, found: Arc<Discovery>) {
    let _ = app.emit(FLAKES_EVENT, view(dev, name, found).await);
}

fn rewatch(dev: &AppDevShells, name: &str, dirs: Vec<PathBuf>) {
    let mut watched = dev.watched.lock().unwrap();
    let mut guard = dev.watcher.lock().unwrap();
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

/// Pushes the flakes now; when the VM is up, evaluates stale shell lists and pre-builds
/// recent shells in the background, pushing again after each step. The mounts are
/// searched once per refresh; each push re-reads only the catalog and fingerprints.
pub fn refresh(app: &AppHandle, instance: Instance, vm_up: bool) {
    let Some(dev) = app.state::<AppState>().dev.get().cloned() else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let found = discover_for(&dev, &instance).await;
        push(&app, &dev, &instance.name, found.clone()).await;
        if !vm_up {
            return;
        }
        let progress = {
            let (app, dev, name, found) = (
                app.clone(),
                dev.clone(),
                instance.name.clone(),
                found.clone(),
            );
            move || {
                let (app, dev, name, found) =
                    (app.clone(), dev.clone(), name.clone(), found.clone());
                tauri::async_runtime::spawn(async move { push(&app, &dev, &name, found).await });
            }
        };
        dev.core
            .refresh_found(&instance, &found.flakes, &progress)
            .await;
        push(&app, &dev, &instance.name, found).await;
    });
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
