//! Finding the flakes in an instance's writable mounts: every `flake.nix` at most three
//! levels below a mount, skipping folders that hold build output or dependencies, and
//! stopping after a fixed number of directory entries so that mounting a huge tree (a
//! home folder) cannot stall the app. Symlinks are not followed, so loops cannot form.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::git::{self, GitTracking};
use crate::lima::inventory::Mount;

/// How deep below a mount a `flake.nix` may be (the mount itself is depth 0).
pub const MAX_DEPTH: usize = 3;
/// Directory entries looked at per instance before discovery gives up on the rest.
pub const ENTRY_BUDGET: usize = 20_000;
const SKIPPED: &[&str] = &[".git", "node_modules", "target", ".direnv", "dist"];

/// A flake found in a mount.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Flake {
    /// The directory holding `flake.nix` on the host.
    pub dir: String,
    /// The same directory in the guest (equal to `dir` for Limabar's same-path mounts).
    pub guest_dir: String,
    /// The mount it was found in.
    pub mount: String,
    /// nix may need to write `flake.lock` next to it.
    pub writable: bool,
    pub git: GitTracking,
    /// The folder has a `.envrc` (direnv's): Limabar offers `use flake` only without one.
    pub envrc: bool,
}

/// What discovery found, and whether it stopped early.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Discovery {
    pub flakes: Vec<Flake>,
    /// The entry budget ran out: flakes deeper in big trees may be missing.
    pub truncated: bool,
    /// Every directory looked into: watching these (not recursively) is enough to see a
    /// `flake.nix` appear anywhere discovery would find it. Also the `.git` folder of a
    /// repository whose `flake.nix` is untracked: `git add flake.nix` rewrites its
    /// `index`, and the warning can go at once.
    #[serde(skip)]
    #[ts(skip)]
    pub visited: Vec<PathBuf>,
}

/// Flakes in the writable mounts, in mount order then path order.
pub fn discover(mounts: &[Mount]) -> Discovery {
    discover_with_budget(mounts, ENTRY_BUDGET)
}

pub fn discover_with_budget(mounts: &[Mount], budget: usize) -> Discovery {
    let mut out = Discovery::default();
    let mut left = budget;
    for m in mounts.iter().filter(|m| m.writable) {
        let root = PathBuf::from(&m.location);
        let mut dirs = Vec::new();
        walk(&root, 0, &mut left, &mut dirs, &mut out);
        dirs.sort();
        for dir in dirs {
            let git = git::tracking(&dir);
            if git == GitTracking::Untracked {
                if let Some(dot_git) = git::repository_of(&dir)
                    .map(|r| r.join(".git"))
                    .filter(|g| g.is_dir() && !out.visited.contains(g))
                {
                    out.visited.push(dot_git);
                }
            }
            let rel = dir.strip_prefix(&root).unwrap_or(Path::new(""));
            let guest_dir = Path::new(&m.mount_point).join(rel);
            out.flakes.push(Flake {
                dir: dir.to_string_lossy().into_owned(),
                guest_dir: trim_slash(&guest_dir),
                mount: m.mount_point.clone(),
                writable: m.writable,
                git,
                envrc: dir.join(".envrc").exists(),
            });
        }
    }
    out
}

fn trim_slash(p: &Path) -> String {
    let s = p.to_string_lossy();
    match s.strip_suffix('/') {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => s.into_owned(),
    }
}

fn is_skipped(name: &str) -> bool {
    SKIPPED.contains(&name) || name.starts_with("result")
}

fn walk(dir: &Path, depth: usize, left: &mut usize, found: &mut Vec<PathBuf>, out: &mut Discovery) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    out.visited.push(dir.to_path_buf());
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        if *left == 0 {
            out.truncated = true;
            return;
        }
        *left -= 1;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        // file_type() does not follow symlinks: a linked folder is never entered.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_file() && name == "flake.nix" {
            found.push(dir.to_path_buf());
        } else if kind.is_dir() && depth < MAX_DEPTH && !is_skipped(name) {
            subdirs.push(entry.path());
        }
    }
    subdirs.sort();
    for sub in subdirs {
        walk(&sub, depth + 1, left, found, out);
        if out.truncated {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(dir: &Path, writable: bool) -> Mount {
        Mount {
            location: dir.to_string_lossy().into_owned(),
            mount_point: dir.to_string_lossy().into_owned(),
            writable,
        }
    }

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "{ outputs = _: { }; }").unwrap();
    }

    fn dirs(d: &Discovery, root: &Path) -> Vec<String> {
        d.flakes
            .iter()
            .map(|f| {
                Path::new(&f.dir)
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    #[test]
    fn finds_flakes_down_to_depth_three_and_skips_build_and_dependency_folders() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("mount ü");
        touch(&root, "flake.nix");
        touch(&root, "a/flake.nix");
        touch(&root, "a/b/c/flake.nix");
        touch(&root, "a/b/c/d/flake.nix"); // depth 4
        for skipped in [
            ".git",
            "node_modules",
            "target",
            "result",
            "result-dev",
            ".direnv",
            "dist",
        ] {
            touch(&root, &format!("{skipped}/flake.nix"));
        }
        touch(&root, "x/flake.nix.bak");
        let d = discover(&[mount(&root, true)]);
        assert_eq!(dirs(&d, &root), ["", "a", "a/b/c"]);
        assert!(!d.truncated);
        assert!(d.flakes.iter().all(|f| f.writable));
    }

    #[test]
    fn a_mount_at_another_guest_path_maps_each_flake_to_its_guest_directory() {
        let t = tempfile::tempdir().unwrap();
        touch(t.path(), "p q/flake.nix");
        let m = Mount {
            location: t.path().to_string_lossy().into_owned(),
            mount_point: "/mnt/work".into(),
            writable: true,
        };
        let d = discover(&[m]);
        assert_eq!(d.flakes[0].guest_dir, "/mnt/work/p q");
        assert_eq!(d.flakes[0].dir, t.path().join("p q").to_string_lossy());
    }

    #[test]
    fn read_only_mounts_are_not_searched() {
        let t = tempfile::tempdir().unwrap();
        touch(t.path(), "p/flake.nix");
        assert!(discover(&[mount(t.path(), false)]).flakes.is_empty());
    }

    #[test]
    fn a_symlink_loop_is_not_followed() {
        let t = tempfile::tempdir().unwrap();
        touch(t.path(), "p/flake.nix");
        std::os::unix::fs::symlink(t.path(), t.path().join("p/loop")).unwrap();
        std::os::unix::fs::symlink(t.path().join("p"), t.path().join("linked")).unwrap();
        let d = discover(&[mount(t.path(), true)]);
        assert_eq!(dirs(&d, t.path()), ["p"]);
    }

    #[test]
    fn the_entry_budget_bounds_a_huge_tree_and_says_so() {
        let t = tempfile::tempdir().unwrap();
        for i in 0..50 {
            std::fs::create_dir_all(t.path().join(format!("d{i:02}"))).unwrap();
        }
        touch(t.path(), "zz/flake.nix");
        let d = discover_with_budget(&[mount(t.path(), true)], 20);
        assert!(d.truncated);
        assert!(d.visited.len() <= 21, "{}", d.visited.len());
        let full = discover(&[mount(t.path(), true)]);
        assert!(!full.truncated);
        assert_eq!(dirs(&full, t.path()), ["zz"]);
    }

    #[test]
    fn a_missing_mount_point_finds_nothing() {
        let d = discover(&[mount(Path::new("/nonexistent/limabar ü"), true)]);
        assert_eq!(d, Discovery::default());
    }
}
