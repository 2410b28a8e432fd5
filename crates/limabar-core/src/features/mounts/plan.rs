//! What dropped folders become, as a pure function of the instance's current mounts
//! (from `limactl list --json`, `~` already expanded) and facts about the host paths.
//! Each path gets a verdict or a coded error; all additions become one edit (one restart).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::guest_fstab;
use super::probe::{PathKind, PathProbe};
use super::source::{RawEntry, Sources};
use crate::lima::inventory::Mount;
use crate::lima::version::Features;

/// Mount points Lima refuses (contract §5.1).
pub const RESERVED: &[&str] = &[
    "/", "/bin", "/dev", "/etc", "/home", "/opt", "/sbin", "/tmp", "/usr", "/var",
];

/// More entries than this below a folder makes it "very large" (slow on VirtioFS).
pub const HUGE_TREE: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[ts(export)]
pub enum PlanError {
    #[error("`{path}` is not an absolute path")]
    NotAbsolute { path: String },
    #[error("`{path}` does not exist")]
    DoesNotExist { path: String },
    #[error("`{path}` is not a folder")]
    NotADirectory { path: String },
    #[error("`{path}` cannot be mounted: Lima reserves {path} in the guest")]
    Reserved { path: String },
    #[error("`{path}` is the guest's home directory, which Lima reserves")]
    GuestHome { path: String },
    #[error("`{path}` is a very broad folder: {reason}. Confirm to mount it anyway")]
    NeedsConfirmation { path: String, reason: String },
    /// The guest would not mount it (Lima's user-data cannot carry the path). The
    /// reason is a whole sentence naming the path.
    #[error("{reason}")]
    Unmountable { path: String, reason: String },
    /// The mount is not (only) this VM's lima.yaml's to change.
    #[error("`{path}` cannot be changed here: {reason}")]
    NotInLimaYaml { path: String, reason: String },
}

impl PlanError {
    pub fn path(&self) -> &str {
        match self {
            PlanError::NotAbsolute { path }
            | PlanError::DoesNotExist { path }
            | PlanError::NotADirectory { path }
            | PlanError::Reserved { path }
            | PlanError::GuestHome { path }
            | PlanError::NeedsConfirmation { path, .. }
            | PlanError::Unmountable { path, .. }
            | PlanError::NotInLimaYaml { path, .. } => path,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            PlanError::NotAbsolute { .. } => "not-absolute",
            PlanError::DoesNotExist { .. } => "does-not-exist",
            PlanError::NotADirectory { .. } => "not-a-directory",
            PlanError::Reserved { .. } => "reserved",
            PlanError::GuestHome { .. } => "guest-home",
            PlanError::NeedsConfirmation { .. } => "needs-confirmation",
            PlanError::Unmountable { .. } => "unmountable",
            PlanError::NotInLimaYaml { .. } => "not-in-lima-yaml",
        }
    }
}

/// The outcome: the resulting mount list, what changes, and a sentence per path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Plan {
    /// The instance's mounts after the change.
    pub mounts: Vec<Mount>,
    /// Entries to append (one `.mounts += […]` edit).
    pub added: Vec<Mount>,
    /// Existing entries whose `writable` flips.
    pub toggled: Vec<Mount>,
    /// Mount points to delete.
    pub removed: Vec<String>,
    /// What happens to each path, in the user's words (nothing to do, symlink resolved…).
    pub notes: Vec<String>,
    pub errors: Vec<PlanError>,
    /// How lima.yaml writes each entry this plan toggles or removes, by mount point:
    /// the edit selects the entry as written (`source`).
    #[serde(skip)]
    #[ts(skip)]
    pub written: BTreeMap<String, RawEntry>,
    /// The edit also adds Limabar's fstab script (a mount point with a space).
    #[serde(skip)]
    #[ts(skip)]
    pub adds_fstab_fix: bool,
}

impl Plan {
    pub fn changes_anything(&self) -> bool {
        !(self.added.is_empty() && self.toggled.is_empty() && self.removed.is_empty())
    }

    /// nixos-lima drops a mount point with a space from fstab (lima-vm/lima#5136):
    /// when the VM will have one and its lima.yaml lacks the fix, the edit adds it.
    fn add_fstab_fix_if_needed(&mut self, sources: &Sources) {
        let needed = self
            .mounts
            .iter()
            .any(|m| guest_fstab::needs_fix(&m.mount_point));
        if self.changes_anything() && needed && !sources.fstab_fix_installed {
            self.adds_fstab_fix = true;
            self.notes.push("a folder's path has a space, which nixos-lima cannot write into the guest's fstab (lima-vm/lima#5136): Limabar adds a small boot script to the VM's lima.yaml that escapes it, so the folder is mounted".into());
        }
    }
}

/// Why Lima's yq would not write `path` into lima.yaml as it is (docs/lima-contract.md
/// §4.11): from Lima 2.0.3 the `--set` literal is decoded twice (`\\\\` becomes `\`), and
/// Lima 2.0.0–2.0.2 turn a backslash before `n` into a line break.
fn set_literal_problem(path: &str, lima: Features) -> Option<String> {
    let (broken, what) = if lima.set_literals_decoded_twice {
        (
            path.contains("\\\\"),
            "two backslashes in a row would arrive as one",
        )
    } else {
        (
            path.contains("\\n"),
            "a backslash before `n` would arrive as a line break (Lima 2.0.0–2.0.2)",
        )
    };
    broken.then(|| format!("`{path}` cannot be mounted through Lima's `limactl edit --set`: {what}. Rename the folder, or mount a folder higher up whose path does not have it."))
}

/// Why an existing mount cannot be edited through lima.yaml, or how lima.yaml writes it.
fn written_entry(
    sources: &Sources,
    mount_point: &str,
    writable: Option<bool>,
) -> Result<RawEntry, String> {
    let elsewhere = sources.config_files_with(mount_point);
    if let Some(forced) = writable.and(sources.forced_writable(mount_point)) {
        return Err(format!(
            "$LIMA_HOME/_config/override.yaml makes it {}, and Lima lets that file win over lima.yaml: change it there",
            if forced { "writable" } else { "read-only" }
        ));
    }
    match sources.lima_yaml_entry(mount_point) {
        Some(raw) if writable.is_some() || elsewhere.is_empty() => Ok(raw.clone()),
        Some(_) => Err(format!(
            "{} mounts it too, for every VM: remove it there",
            elsewhere[0].file()
        )),
        None if !elsewhere.is_empty() => Err(format!(
            "it comes from {}, which Lima merges into every VM, not from this VM's lima.yaml: change it there",
            elsewhere[0].file()
        )),
        None if sources.has_unknown_templates() => Err("Limabar cannot tell which lima.yaml entry it is (an entry uses a template Limabar does not expand): edit lima.yaml with `limactl edit`".into()),
        None => Err("lima.yaml has no entry for it: edit lima.yaml with `limactl edit`".into()),
    }
}

pub struct PlanInput<'a> {
    pub current: &'a [Mount],
    /// How the instance's config files write its mounts (empty for a new VM).
    pub sources: &'a Sources,
    /// The Lima that will make the edit (None: a new VM, written by Limabar).
    pub lima: Option<Features>,
    /// The host user's home (mounting it whole is broad).
    pub home: Option<&'a Path>,
    /// `config.user.home` of the instance (`/home/<user>.guest`).
    pub guest_home: Option<&'a str>,
    pub writable: bool,
    /// The user confirmed broad folders.
    pub confirmed: bool,
}

fn is_within(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

fn broad_reason(path: &str, input: &PlanInput, probe: &impl PathProbe) -> Option<String> {
    let home = input.home.map(|h| h.display().to_string());
    if home.as_deref() == Some(path) {
        return Some("it is your whole home directory; broad VirtioFS traversals are slow (25 s+), mount only your projects".into());
    }
    if matches!(path, "/Users" | "/Volumes") {
        return Some(format!("{path} holds every user's or volume's files; broad VirtioFS traversals are slow (25 s+)"));
    }
    if probe.is_huge(Path::new(path), HUGE_TREE) {
        return Some(format!(
            "it holds more than {HUGE_TREE} files; broad VirtioFS traversals are slow (25 s+)"
        ));
    }
    None
}

pub fn plan_add(input: &PlanInput, paths: &[PathBuf], probe: &impl PathProbe) -> Plan {
    let mut plan = Plan {
        mounts: input.current.to_vec(),
        ..Plan::default()
    };
    for raw in paths {
        let shown = raw.display().to_string();
        if !raw.is_absolute() {
            plan.errors.push(PlanError::NotAbsolute { path: shown });
            continue;
        }
        let Some(kind) = probe.kind(raw) else {
            plan.errors.push(PlanError::DoesNotExist { path: shown });
            continue;
        };
        let resolved = probe.resolve(raw).display().to_string();
        if kind != PathKind::Dir {
            plan.errors.push(PlanError::NotADirectory { path: shown });
            continue;
        }
        if resolved != shown {
            plan.notes.push(format!(
                "`{shown}` is a link: the guest will see `{resolved}`"
            ));
        }
        let path = resolved;
        if let Some(reason) = guest_fstab::refusal(&path) {
            plan.errors.push(PlanError::Unmountable { path, reason });
            continue;
        }
        if let Some(reason) = input.lima.and_then(|f| set_literal_problem(&path, f)) {
            plan.errors.push(PlanError::Unmountable { reason, path });
            continue;
        }
        if RESERVED.contains(&path.as_str()) {
            plan.errors.push(PlanError::Reserved { path });
            continue;
        }
        if input.guest_home == Some(path.as_str()) {
            plan.errors.push(PlanError::GuestHome { path });
            continue;
        }
        if let Some(m) = plan.mounts.iter_mut().find(|m| m.mount_point == path) {
            if m.writable == input.writable {
                plan.notes.push(format!(
                    "`{path}` is already mounted {}: nothing to do",
                    if m.writable { "writable" } else { "read-only" }
                ));
            } else {
                match written_entry(input.sources, &path, Some(input.writable)) {
                    Ok(raw) => {
                        plan.written.insert(path.clone(), raw);
                    }
                    Err(reason) => {
                        plan.errors.push(PlanError::NotInLimaYaml { path, reason });
                        continue;
                    }
                }
                m.writable = input.writable;
                plan.toggled.push(m.clone());
                plan.notes.push(format!(
                    "`{path}` becomes {}",
                    if input.writable {
                        "writable"
                    } else {
                        "read-only"
                    }
                ));
            }
            continue;
        }
        if let Some(cover) = plan
            .mounts
            .iter()
            .find(|m| m.writable && is_within(&path, &m.mount_point))
        {
            if input.writable {
                plan.notes.push(format!(
                    "`{path}` is already writable inside the mount `{}`: nothing to do",
                    cover.mount_point
                ));
                continue;
            }
        }
        if !input.confirmed {
            if let Some(reason) = broad_reason(&path, input, probe) {
                plan.errors
                    .push(PlanError::NeedsConfirmation { path, reason });
                continue;
            }
        }
        if let Some(parent) = plan
            .mounts
            .iter()
            .find(|m| !m.writable && is_within(&path, &m.mount_point))
        {
            plan.notes.push(format!(
                "`{path}` will be mounted {} on top of the read-only `{}`",
                if input.writable {
                    "writable"
                } else {
                    "read-only"
                },
                parent.mount_point
            ));
        }
        for inner in plan
            .mounts
            .iter()
            .filter(|m| is_within(&m.mount_point, &path))
        {
            plan.notes.push(format!(
                "`{path}` contains the existing mount `{}`",
                inner.mount_point
            ));
        }
        let m = Mount {
            location: path.clone(),
            mount_point: path,
            writable: input.writable,
        };
        plan.added.push(m.clone());
        plan.mounts.push(m);
    }
    plan.add_fstab_fix_if_needed(input.sources);
    plan
}

pub fn plan_remove(current: &[Mount], sources: &Sources, paths: &[PathBuf]) -> Plan {
    let mut plan = Plan {
        mounts: current.to_vec(),
        ..Plan::default()
    };
    for p in paths {
        let p = p.display().to_string();
        let p = if p.len() > 1 {
            p.trim_end_matches('/').to_string()
        } else {
            p
        };
        if !plan.mounts.iter().any(|m| m.mount_point == p) {
            plan.errors.push(PlanError::DoesNotExist { path: p });
            continue;
        }
        match written_entry(sources, &p, None) {
            Ok(raw) => {
                plan.written.insert(p.clone(), raw);
                plan.mounts.retain(|m| m.mount_point != p);
                plan.removed.push(p);
            }
            Err(reason) => plan
                .errors
                .push(PlanError::NotInLimaYaml { path: p, reason }),
        }
    }
    plan
}

#[cfg(test)]
mod tests;
