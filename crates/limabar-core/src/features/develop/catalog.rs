//! What Limabar remembers about dev shells, in `devshells.json`: each flake's shell list
//! (by fingerprint, so an edit to `flake.nix`/`flake.lock` makes it stale), which shells
//! are pre-built in which instance, and which were used recently. Pure data plus the
//! views the UI shows; the work that fills it is in `service`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Flake, GitTracking};

/// How many recently used dev shells per instance are kept pre-built.
pub const RECENT_PER_INSTANCE: usize = 5;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShellList {
    pub fingerprint: String,
    pub system: String,
    pub names: Vec<String>,
    #[serde(default)]
    pub error: Option<String>,
    /// `flake.nix` was not tracked by git when this was evaluated (nix could not see
    /// it): once added, the flake is evaluated again even though its files did not change.
    #[serde(default)]
    pub untracked: bool,
}

impl ShellList {
    /// Evaluated from the flake as it is now: same files, same system, and git showed
    /// nix the same `flake.nix` (an untracked one is invisible to nix).
    pub fn is_current(&self, fingerprint: &str, system: &str, git: GitTracking) -> bool {
        self.fingerprint == fingerprint
            && self.system == system
            && self.untracked == (git == GitTracking::Untracked)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prebuilt {
    pub fingerprint: String,
    pub key: String,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recent {
    pub instance: String,
    pub dir: String,
    pub shell: String,
}

/// A pre-built profile Limabar no longer uses, still to delete in the guest (each
/// profile is a GC root that keeps its whole environment in the guest's store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retired {
    pub instance: String,
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    /// By guest directory.
    #[serde(default)]
    pub shells: BTreeMap<String, ShellList>,
    /// By [`prebuilt_id`].
    #[serde(default)]
    pub prebuilt: BTreeMap<String, Prebuilt>,
    /// Most recent first.
    #[serde(default)]
    pub recent: Vec<Recent>,
    /// Profiles to delete in the guest when it is next up.
    #[serde(default)]
    pub retired: Vec<Retired>,
}

pub fn prebuilt_id(instance: &str, guest_dir: &str, shell: &str) -> String {
    format!("{instance}\u{0}{guest_dir}\u{0}{shell}")
}

/// A dev shell's pre-built environment, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum PrebuiltState {
    /// Not pre-built (not used recently): opening evaluates the flake.
    None,
    Building,
    /// Opens without evaluating anything.
    Ready,
    /// Built from an older `flake.nix`/`flake.lock`: opening evaluates; rebuilt soon.
    Stale,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DevShellView {
    pub name: String,
    pub prebuilt: PrebuiltState,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FlakeView {
    pub dir: String,
    pub guest_dir: String,
    pub writable: bool,
    pub git: GitTracking,
    pub shells: Vec<DevShellView>,
    /// The shell list is still `default` only: the flake has not been evaluated in the
    /// guest for its current fingerprint yet.
    pub evaluated: bool,
    /// nix's own words when evaluating the flake failed.
    pub error: Option<String>,
    /// What to tell the user before they try (an untracked `flake.nix`).
    pub warning: Option<String>,
    /// It has a `.envrc`; without one, "Add .envrc" (`use flake`) is offered.
    pub envrc: bool,
}

impl Catalog {
    pub fn load(path: &Path) -> Catalog {
        crate::fsutil::load_json(path)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::fsutil::write_atomic(path, &serde_json::to_vec(self)?)
    }

    pub fn record_use(&mut self, instance: &str, dir: &str, shell: &str) {
        let used = Recent {
            instance: instance.into(),
            dir: dir.into(),
            shell: shell.into(),
        };
        self.recent.retain(|r| r != &used);
        self.recent.insert(0, used);
        let mut per: BTreeMap<String, usize> = BTreeMap::new();
        let (kept, evicted): (Vec<Recent>, Vec<Recent>) =
            std::mem::take(&mut self.recent).into_iter().partition(|r| {
                let n = per.entry(r.instance.clone()).or_default();
                *n += 1;
                *n <= RECENT_PER_INSTANCE
            });
        self.recent = kept;
        // A shell no longer among the recent ones stops being kept pre-built.
        for r in evicted {
            if let Some(p) = self
                .prebuilt
                .remove(&prebuilt_id(&r.instance, &r.dir, &r.shell))
            {
                self.retire(&r.instance, p.key);
            }
        }
    }

    /// Records a (re)built profile; the one it replaces (built from an older flake) is
    /// retired.
    pub fn set_prebuilt(&mut self, instance: &str, id: String, built: Prebuilt) {
        if let Some(old) = self.prebuilt.insert(id, built.clone()) {
            if old.key != built.key {
                self.retire(instance, old.key);
            }
        }
    }

    fn retire(&mut self, instance: &str, key: String) {
        let r = Retired {
            instance: instance.into(),
            key,
        };
        if !self.retired.contains(&r) {
            self.retired.push(r);
        }
    }

    /// Profile keys of `instance` waiting to be deleted in its guest.
    pub fn retired_for(&self, instance: &str) -> Vec<String> {
        self.retired
            .iter()
            .filter(|r| r.instance == instance)
            .map(|r| r.key.clone())
            .collect()
    }

    /// The guest deleted these profiles.
    pub fn forget_retired(&mut self, instance: &str, keys: &[String]) {
        self.retired
            .retain(|r| r.instance != instance || !keys.contains(&r.key));
    }

    pub fn recent_for(&self, instance: &str) -> Vec<Recent> {
        self.recent
            .iter()
            .filter(|r| r.instance == instance)
            .cloned()
            .collect()
    }

    /// The pre-built profile key to open, when it matches the flake as it is now.
    pub fn ready_key(
        &self,
        instance: &str,
        guest_dir: &str,
        shell: &str,
        fp: &str,
    ) -> Option<String> {
        self.prebuilt
            .get(&prebuilt_id(instance, guest_dir, shell))
            .filter(|p| p.fingerprint == fp && p.error.is_none())
            .map(|p| p.key.clone())
    }

    /// The view of `flake` in `instance`, its fingerprint being `fp`.
    pub fn view(
        &self,
        instance: &str,
        flake: &Flake,
        fp: &str,
        building: &dyn Fn(&str) -> bool,
    ) -> FlakeView {
        let list = self.shells.get(&flake.guest_dir);
        let current = list.filter(|l| {
            l.fingerprint == fp && l.untracked == (flake.git == GitTracking::Untracked)
        });
        let names = match list {
            // Current, or the last good list while the changed flake is re-evaluated.
            Some(l) if l.error.is_none() => l.names.clone(),
            // Shown at once, before (or without) evaluation.
            _ => vec!["default".to_string()],
        };
        let shells = names
            .into_iter()
            .map(|name| {
                let id = prebuilt_id(instance, &flake.guest_dir, &name);
                let prebuilt = if building(&id) {
                    PrebuiltState::Building
                } else {
                    match self.prebuilt.get(&id) {
                        None => PrebuiltState::None,
                        Some(p) if p.fingerprint != fp => PrebuiltState::Stale,
                        Some(p) if p.error.is_some() => PrebuiltState::Failed,
                        Some(_) => PrebuiltState::Ready,
                    }
                };
                DevShellView { name, prebuilt }
            })
            .collect();
        let warning = match flake.git {
            GitTracking::Untracked => Some(
                "flake.nix is not tracked by git, so nix will not see it: run `git add flake.nix`"
                    .to_string(),
            ),
            _ if !flake.writable => {
                Some("The folder is read-only in the VM: nix cannot write flake.lock".to_string())
            }
            _ => None,
        };
        FlakeView {
            dir: flake.dir.clone(),
            guest_dir: flake.guest_dir.clone(),
            writable: flake.writable,
            git: flake.git,
            shells,
            evaluated: current.is_some(),
            error: current.and_then(|l| l.error.clone()),
            warning,
            envrc: flake.envrc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flake(git: GitTracking) -> Flake {
        Flake {
            dir: "/p".into(),
            guest_dir: "/p".into(),
            mount: "/p".into(),
            writable: true,
            git,
            envrc: false,
        }
    }

    #[test]
    fn shows_default_until_evaluated_then_the_list_and_goes_stale_on_change() {
        let mut c = Catalog::default();
        let no = |_: &str| false;
        let v = c.view("vm", &flake(GitTracking::NotInRepo), "f1", &no);
        assert_eq!(v.shells.len(), 1);
        assert_eq!(v.shells[0].name, "default");
        assert!(!v.evaluated);
        c.shells.insert(
            "/p".into(),
            ShellList {
                fingerprint: "f1".into(),
                system: "x86_64-linux".into(),
                names: vec!["default".into(), "rust".into()],
                error: None,
                untracked: false,
            },
        );
        c.prebuilt.insert(
            prebuilt_id("vm", "/p", "rust"),
            Prebuilt {
                fingerprint: "f1".into(),
                key: "k".into(),
                error: None,
            },
        );
        let v = c.view("vm", &flake(GitTracking::Tracked), "f1", &no);
        assert!(v.evaluated);
        let states: Vec<_> = v
            .shells
            .iter()
            .map(|s| (s.name.as_str(), s.prebuilt))
            .collect();
        assert_eq!(
            states,
            [
                ("default", PrebuiltState::None),
                ("rust", PrebuiltState::Ready)
            ]
        );
        assert_eq!(c.ready_key("vm", "/p", "rust", "f1").as_deref(), Some("k"));
        // flake.nix changed: the last list shows until it is re-evaluated, and the
        // pre-built shell is stale.
        let v = c.view("vm", &flake(GitTracking::Tracked), "f2", &no);
        assert!(!v.evaluated);
        assert_eq!(v.shells[1].name, "rust");
        assert_eq!(v.shells[1].prebuilt, PrebuiltState::Stale);
        assert_eq!(c.ready_key("vm", "/p", "rust", "f2"), None);
        let building = |id: &str| id == prebuilt_id("vm", "/p", "default");
        let v = c.view("vm", &flake(GitTracking::Tracked), "f2", &building);
        assert_eq!(v.shells[0].prebuilt, PrebuiltState::Building);
    }

    #[test]
    fn an_untracked_flake_says_what_to_run() {
        let v = Catalog::default().view("vm", &flake(GitTracking::Untracked), "f", &|_| false);
        assert!(v.warning.unwrap().contains("git add flake.nix"));
    }

    #[test]
    fn keeps_the_five_most_recent_per_instance() {
        let mut c = Catalog::default();
        for i in 0..7 {
            c.record_use("a", &format!("/p{i}"), "default");
            c.record_use("b", "/q", "default");
        }
        c.record_use("a", "/p3", "default");
        let a: Vec<String> = c.recent_for("a").into_iter().map(|r| r.dir).collect();
        assert_eq!(a, ["/p3", "/p6", "/p5", "/p4", "/p2"]);
        assert_eq!(c.recent_for("b").len(), 1);
    }

    fn built(key: &str) -> Prebuilt {
        Prebuilt {
            fingerprint: key.into(),
            key: key.into(),
            error: None,
        }
    }

    #[test]
    fn profiles_no_longer_used_are_retired_for_deletion_in_the_guest() {
        let mut c = Catalog::default();
        c.record_use("a", "/p", "rust");
        c.set_prebuilt("a", prebuilt_id("a", "/p", "rust"), built("k1"));
        // Rebuilt from a changed flake: the old profile goes.
        c.set_prebuilt("a", prebuilt_id("a", "/p", "rust"), built("k2"));
        // Rebuilt with the same key (a retry): nothing to delete.
        c.set_prebuilt("a", prebuilt_id("a", "/p", "rust"), built("k2"));
        assert_eq!(c.retired_for("a"), ["k1"]);
        // Five other shells used since: /p#rust is no longer kept pre-built.
        for i in 0..5 {
            c.record_use("a", &format!("/o{i}"), "default");
        }
        assert!(!c.prebuilt.contains_key(&prebuilt_id("a", "/p", "rust")));
        assert_eq!(c.retired_for("a"), ["k1", "k2"]);
        assert!(c.retired_for("b").is_empty());
        c.forget_retired("a", &["k1".to_string()]);
        assert_eq!(c.retired_for("a"), ["k2"]);
    }
}
