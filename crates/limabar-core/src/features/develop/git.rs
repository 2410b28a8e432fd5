//! Whether a flake's `flake.nix` is tracked by git. nix copies only tracked files of a
//! git flake, so an untracked `flake.nix` makes `nix develop` fail with a confusing
//! "does not exist" error: Limabar warns "run `git add flake.nix`" instead.

use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum GitTracking {
    NotInRepo,
    Tracked,
    /// In a git repository, but `flake.nix` is not added: nix will not see it.
    Untracked,
    /// In a git repository, but git could not tell (not installed, broken repository).
    Unknown,
}

/// The repository `dir` is in: the nearest ancestor holding `.git` (a directory, or a
/// file for worktrees and submodules).
pub fn repository_of(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.join(".git").exists())
}

pub fn tracking(dir: &Path) -> GitTracking {
    if repository_of(dir).is_none() {
        return GitTracking::NotInRepo;
    }
    // `--error-unmatch` makes git exit 1 for a path it does not track.
    let args = [
        "-C".as_ref(),
        dir.as_os_str(),
        "ls-files".as_ref(),
        "--error-unmatch".as_ref(),
        "--".as_ref(),
        "flake.nix".as_ref(),
    ];
    let out = crate::lima::runner::host_program("git", &args);
    match out.map(|o| o.status.code()) {
        Ok(Some(0)) => GitTracking::Tracked,
        Ok(Some(1)) => GitTracking::Untracked,
        _ => GitTracking::Unknown,
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make repositories with git itself
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn tells_tracked_from_untracked_and_outside_a_repository() {
        let t = tempfile::tempdir().unwrap();
        let repo = t.path().join("repo ü");
        let flake_dir = repo.join("sub $(x)");
        std::fs::create_dir_all(&flake_dir).unwrap();
        std::fs::write(flake_dir.join("flake.nix"), "{}").unwrap();
        assert_eq!(tracking(&flake_dir), GitTracking::NotInRepo);
        git(&repo, &["init", "-q"]);
        assert_eq!(repository_of(&flake_dir), Some(repo.as_path()));
        assert_eq!(tracking(&flake_dir), GitTracking::Untracked);
        git(&repo, &["add", "sub $(x)/flake.nix"]);
        assert_eq!(tracking(&flake_dir), GitTracking::Tracked);
    }
}
