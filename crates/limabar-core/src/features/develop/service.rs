//! The dev-shell work: discovering flakes, evaluating their shell lists in the guest,
//! pre-building recently used shells there, and choosing the command that opens one.
//! Shared by the app and the CLI; everything slow runs in the guest through
//! `limactl shell`, in the background, one evaluation or build per flake at a time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::catalog::{prebuilt_id, Catalog, FlakeView, Prebuilt, ShellList};
use super::{command, discover, shells, Discovery, Flake, GitTracking};
use crate::error::CoreError;
use crate::lima::inventory::Instance;
use crate::lima::runner::Runner;
use crate::lima::version::Features;

pub struct DevShells {
    runner: Runner,
    /// Lima 2.0's `shell` exits 0 on a stopped VM (`guest`).
    features: Features,
    path: PathBuf,
    catalog: Mutex<Catalog>,
    busy: Mutex<HashSet<String>>,
}

/// What opening a dev shell runs.
#[derive(Debug, Clone, PartialEq)]
pub struct DevelopCommand {
    /// The limactl argv the terminal runs.
    pub argv: Vec<String>,
    /// The plain `limactl shell … nix develop .#SHELL`, for the user's own terminal.
    pub copyable: Vec<String>,
    /// It opens a pre-built environment.
    pub prebuilt: bool,
}

impl DevShells {
    pub fn new(runner: Runner, features: Features, data_dir: &Path) -> DevShells {
        let path = data_dir.join("devshells.json");
        DevShells {
            catalog: Mutex::new(Catalog::load(&path)),
            runner,
            features,
            path,
            busy: Mutex::new(HashSet::new()),
        }
    }

    pub fn limactl(&self) -> &Path {
        &self.runner.program
    }

    async fn in_guest(
        &self,
        name: &str,
        call: &crate::lima::limactl::Call,
    ) -> crate::error::Result<crate::lima::runner::Output> {
        crate::lima::guest::run(&self.runner, self.features, name, call).await
    }

    fn save(&self, catalog: &Catalog) {
        if let Err(e) = catalog.save(&self.path) {
            tracing::warn!(error = %e, "could not save {}", self.path.display());
        }
    }

    fn is_busy(&self, id: &str) -> bool {
        self.busy.lock().unwrap().contains(id)
    }

    /// Claims `id` for one job; false when it is already running.
    fn claim(&self, id: &str) -> bool {
        self.busy.lock().unwrap().insert(id.to_string())
    }

    fn release(&self, id: &str) {
        self.busy.lock().unwrap().remove(id);
    }

    /// The flakes of `instance` as the UI shows them (file-system work: call it off the
    /// async threads), and what discovery looked at.
    pub fn views(&self, instance: &Instance) -> (Vec<FlakeView>, Discovery) {
        let found = discover(&instance.mounts);
        (self.views_of(&instance.name, &found), found)
    }

    /// The views of flakes already discovered: the catalog as it is now, and each flake's
    /// fingerprint (reads `flake.nix` and `flake.lock`).
    pub fn views_of(&self, instance: &str, found: &Discovery) -> Vec<FlakeView> {
        let catalog = self.catalog.lock().unwrap().clone();
        found
            .flakes
            .iter()
            .map(|f| {
                let fp = shells::fingerprint(Path::new(&f.dir));
                catalog.view(instance, f, &fp, &|id| self.is_busy(id))
            })
            .collect()
    }

    /// Evaluates in the guest the shell lists of `flakes` that are not current.
    pub async fn refresh_shell_lists(
        &self,
        instance: &Instance,
        flakes: &[Flake],
        progress: &(dyn Fn() + Send + Sync),
    ) {
        let system = shells::guest_system(&instance.arch);
        for f in flakes {
            let fp = shells::fingerprint(Path::new(&f.dir));
            let current = self
                .catalog
                .lock()
                .unwrap()
                .shells
                .get(&f.guest_dir)
                .is_some_and(|l| l.is_current(&fp, &system, f.git));
            if !current {
                self.evaluate(&instance.name, &system, f, &fp).await;
                progress();
            }
        }
    }

    /// Brings the shell lists of `flakes` (discovered in `instance`'s mounts) up to date,
    /// then pre-builds the recently used shells that are not ready. `progress` is called
    /// after each step. The one refresh: the app's and the CLI's.
    pub async fn refresh(
        &self,
        instance: &Instance,
        flakes: &[Flake],
        progress: &(dyn Fn() + Send + Sync),
    ) {
        self.prune(&instance.name).await;
        self.refresh_shell_lists(instance, flakes, progress).await;
        let recent = self.catalog.lock().unwrap().recent_for(&instance.name);
        for r in recent {
            let Some(f) = flakes.iter().find(|f| f.guest_dir == r.dir) else {
                continue;
            };
            let fp = shells::fingerprint(Path::new(&f.dir));
            let ready = self
                .catalog
                .lock()
                .unwrap()
                .prebuilt
                .get(&prebuilt_id(&instance.name, &r.dir, &r.shell))
                .is_some_and(|p| p.fingerprint == fp);
            if !ready {
                self.prebuild(&instance.name, f, &r.shell, &fp, progress)
                    .await;
            }
        }
    }

    /// `nix flake show --json` in the guest; the list (or nix's error) is remembered.
    pub async fn evaluate(&self, name: &str, system: &str, flake: &Flake, fp: &str) -> ShellList {
        let id = format!("eval\u{0}{}", flake.guest_dir);
        if !self.claim(&id) {
            return ShellList::default();
        }
        let call = command::flake_show(name, &flake.guest_dir);
        let mut list = match self.in_guest(name, &call).await {
            Ok(out) if out.success() => match shells::parse_flake_show(&out.stdout, system) {
                Ok(names) => ShellList {
                    fingerprint: fp.into(),
                    system: system.into(),
                    names,
                    error: None,
                    untracked: false,
                },
                Err(e) => failed_list(fp, system, e),
            },
            Ok(out) => failed_list(fp, system, shells::nix_error(&out.stderr)),
            Err(e) => failed_list(fp, system, e.to_string()),
        };
        list.untracked = flake.git == GitTracking::Untracked;
        {
            let mut c = self.catalog.lock().unwrap();
            c.shells.insert(flake.guest_dir.clone(), list.clone());
            self.save(&c);
        }
        self.release(&id);
        list
    }

    /// Deletes the guest's profiles Limabar no longer uses (replaced by a rebuild, or of
    /// shells no longer among the recent ones). Kept for the next boot when it fails.
    pub async fn prune(&self, name: &str) {
        let keys = self.catalog.lock().unwrap().retired_for(name);
        if keys.is_empty() {
            return;
        }
        match self
            .in_guest(name, &command::remove_profiles(name, &keys))
            .await
        {
            Ok(out) if out.success() => {
                let mut c = self.catalog.lock().unwrap();
                c.forget_retired(name, &keys);
                self.save(&c);
            }
            Ok(out) => {
                tracing::warn!(instance = name, error = %out.failure_message(), "could not delete old dev-shell profiles")
            }
            Err(e) => {
                tracing::warn!(instance = name, error = %e, "could not delete old dev-shell profiles")
            }
        }
    }

    /// Builds one dev shell's environment into its profile in the guest.
    pub async fn prebuild(
        &self,
        name: &str,
        flake: &Flake,
        shell: &str,
        fp: &str,
        progress: &(dyn Fn() + Send + Sync),
    ) {
        let id = prebuilt_id(name, &flake.guest_dir, shell);
        if !self.claim(&id) {
            return;
        }
        progress();
        let key = command::profile_key(&flake.guest_dir, shell, fp);
        let call = command::prebuild(name, &flake.guest_dir, shell, &key);
        let error = match self.in_guest(name, &call).await {
            Ok(out) if out.success() => None,
            Ok(out) => Some(shells::nix_error(&out.stderr)),
            Err(e) => Some(e.to_string()),
        };
        if let Some(e) = &error {
            tracing::warn!(
                instance = name,
                dir = flake.guest_dir,
                shell,
                error = e,
                "pre-build failed"
            );
        }
        {
            let mut c = self.catalog.lock().unwrap();
            c.set_prebuilt(
                name,
                id.clone(),
                Prebuilt {
                    fingerprint: fp.into(),
                    key,
                    error,
                },
            );
            self.save(&c);
        }
        self.release(&id);
        progress();
    }

    /// The command that opens `shell` of the flake in `guest_dir`: the pre-built
    /// environment when it matches the flake as it is now, else `nix develop`.
    pub fn command(&self, name: &str, dir: &str, guest_dir: &str, shell: &str) -> DevelopCommand {
        let limactl = &self.runner.program;
        let copyable = command::develop(limactl, name, guest_dir, shell);
        let fp = shells::fingerprint(Path::new(dir));
        match self
            .catalog
            .lock()
            .unwrap()
            .ready_key(name, guest_dir, shell, &fp)
        {
            Some(key) => DevelopCommand {
                argv: command::develop_prebuilt(limactl, name, guest_dir, shell, &key),
                copyable,
                prebuilt: true,
            },
            None => DevelopCommand {
                argv: copyable.clone(),
                copyable,
                prebuilt: false,
            },
        }
    }

    pub fn record_use(&self, name: &str, guest_dir: &str, shell: &str) {
        let mut c = self.catalog.lock().unwrap();
        c.record_use(name, guest_dir, shell);
        self.save(&c);
    }
}

fn failed_list(fp: &str, system: &str, error: String) -> ShellList {
    ShellList {
        fingerprint: fp.into(),
        system: system.into(),
        names: vec![],
        error: Some(error),
        untracked: false,
    }
}

/// The guest directory of host directory `dir` in `instance`'s mounts, when one holds
/// it: the deepest mount wins.
pub fn guest_dir_of(instance: &Instance, dir: &str) -> Result<String, CoreError> {
    let dir_path = Path::new(dir);
    instance
        .mounts
        .iter()
        .filter_map(|m| {
            let rel = dir_path.strip_prefix(&m.location).ok()?;
            Some((m.location.len(), Path::new(&m.mount_point).join(rel)))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, p)| {
            let s = p.to_string_lossy();
            s.strip_suffix('/')
                .filter(|t| !t.is_empty())
                .unwrap_or(&s)
                .to_string()
        })
        .ok_or_else(|| CoreError::NotMounted {
            name: instance.name.clone(),
            dir: dir.to_string(),
        })
}
