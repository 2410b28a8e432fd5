use std::collections::{HashMap, HashSet};

use super::*;
use crate::mounts::probe::PathKind;

#[derive(Default)]
struct FakeFs {
    kinds: HashMap<PathBuf, PathKind>,
    links: HashMap<PathBuf, PathBuf>,
    huge: HashSet<PathBuf>,
}

impl FakeFs {
    fn dir(mut self, p: &str) -> Self {
        self.kinds.insert(p.into(), PathKind::Dir);
        self
    }
    fn file(mut self, p: &str) -> Self {
        self.kinds.insert(p.into(), PathKind::File);
        self
    }
    fn link(mut self, from: &str, to: &str) -> Self {
        let k = self.kinds.get(Path::new(to)).copied();
        if let Some(k) = k {
            self.kinds.insert(from.into(), k);
        }
        self.links.insert(from.into(), to.into());
        self
    }
    fn huge(mut self, p: &str) -> Self {
        self.huge.insert(p.into());
        self.dir(p)
    }
}

impl PathProbe for FakeFs {
    fn kind(&self, path: &Path) -> Option<PathKind> {
        self.kinds.get(path).copied()
    }
    fn resolve(&self, path: &Path) -> PathBuf {
        self.links
            .get(path)
            .cloned()
            .unwrap_or_else(|| path.to_path_buf())
    }
    fn is_huge(&self, path: &Path, _budget: usize) -> bool {
        self.huge.contains(path)
    }
}

fn m(p: &str, writable: bool) -> Mount {
    Mount {
        location: p.into(),
        mount_point: p.into(),
        writable,
    }
}

/// `~` read-only, as nixos-lima's template has it.
fn current() -> Vec<Mount> {
    vec![m("/Users/me", false), m("/Users/me/work", true)]
}

fn input(current: &[Mount]) -> PlanInput<'_> {
    PlanInput {
        current,
        home: Some(Path::new("/Users/me")),
        guest_home: Some("/home/me.guest"),
        writable: true,
        confirmed: false,
    }
}

fn paths(ps: &[&str]) -> Vec<PathBuf> {
    ps.iter().map(PathBuf::from).collect()
}

#[test]
fn a_folder_inside_the_read_only_home_is_added_after_it() {
    let fs = FakeFs::default().dir("/Users/me/src/app");
    let cur = current();
    let p = plan_add(&input(&cur), &paths(&["/Users/me/src/app"]), &fs);
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.added, vec![m("/Users/me/src/app", true)]);
    assert_eq!(
        p.mounts.last(),
        Some(&m("/Users/me/src/app", true)),
        "appended after the parent"
    );
    assert!(
        p.notes[0].contains("on top of the read-only `/Users/me`"),
        "{:?}",
        p.notes
    );
}

#[test]
fn errors_name_the_path() {
    let fs = FakeFs::default()
        .file("/Users/me/notes.txt")
        .dir("/tmp")
        .dir("/home/me.guest")
        .dir("/etc");
    let cur = current();
    let p = plan_add(
        &input(&cur),
        &paths(&[
            "relative/dir",
            "/Users/me/gone",
            "/Users/me/notes.txt",
            "/tmp",
            "/etc",
            "/home/me.guest",
        ]),
        &fs,
    );
    let codes: Vec<(&str, &str)> = p.errors.iter().map(|e| (e.code(), e.path())).collect();
    assert_eq!(
        codes,
        vec![
            ("not-absolute", "relative/dir"),
            ("does-not-exist", "/Users/me/gone"),
            ("not-a-directory", "/Users/me/notes.txt"),
            ("reserved", "/tmp"),
            ("reserved", "/etc"),
            ("guest-home", "/home/me.guest"),
        ]
    );
    assert!(!p.changes_anything());
}

#[test]
fn already_mounted_or_covered_is_nothing_to_do() {
    let fs = FakeFs::default()
        .dir("/Users/me/work")
        .dir("/Users/me/work/app");
    let cur = current();
    let p = plan_add(
        &input(&cur),
        &paths(&["/Users/me/work", "/Users/me/work/app"]),
        &fs,
    );
    assert!(!p.changes_anything());
    assert!(
        p.notes[0].contains("already mounted writable"),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes[1].contains("inside the mount `/Users/me/work`"),
        "{:?}",
        p.notes
    );
}

#[test]
fn adding_an_existing_read_only_mount_writable_toggles_it() {
    let fs = FakeFs::default().dir("/Users/me");
    let cur = current();
    let mut i = input(&cur);
    i.confirmed = true; // the home directory is broad
    let p = plan_add(&i, &paths(&["/Users/me"]), &fs);
    assert_eq!(p.toggled, vec![m("/Users/me", true)]);
    assert!(p.added.is_empty());
}

#[test]
fn a_symlink_mounts_the_resolved_path_and_says_so() {
    let fs = FakeFs::default()
        .dir("/Volumes/Data/proj")
        .link("/Users/me/proj", "/Volumes/Data/proj");
    let cur = current();
    let p = plan_add(&input(&cur), &paths(&["/Users/me/proj"]), &fs);
    assert_eq!(p.added, vec![m("/Volumes/Data/proj", true)]);
    assert!(
        p.notes[0].contains("the guest will see `/Volumes/Data/proj`"),
        "{:?}",
        p.notes
    );
}

#[test]
fn broad_folders_need_confirmation_then_are_allowed() {
    let fs = FakeFs::default()
        .dir("/Users")
        .dir("/Volumes")
        .huge("/Users/me/monorepo");
    let cur = vec![m("/Users/me/work", true)];
    let p = plan_add(
        &input(&cur),
        &paths(&["/Users", "/Volumes", "/Users/me/monorepo"]),
        &fs,
    );
    assert_eq!(
        p.errors.iter().map(|e| e.code()).collect::<Vec<_>>(),
        vec!["needs-confirmation"; 3]
    );
    assert!(p.errors[0].to_string().contains("slow"));
    let mut i = input(&cur);
    i.confirmed = true;
    let p = plan_add(&i, &paths(&["/Users/me/monorepo"]), &fs);
    assert_eq!(p.added.len(), 1);
    // The home directory itself is broad too.
    let fs = FakeFs::default().dir("/Users/me");
    let p = plan_add(&input(&[]), &paths(&["/Users/me"]), &fs);
    assert_eq!(p.errors[0].code(), "needs-confirmation");
}

#[test]
fn several_folders_at_once_are_one_change_and_duplicates_collapse() {
    let fs = FakeFs::default().dir("/Users/me/a").dir("/Users/me/b");
    let cur = current();
    let p = plan_add(
        &input(&cur),
        &paths(&["/Users/me/a", "/Users/me/b", "/Users/me/a"]),
        &fs,
    );
    assert_eq!(
        p.added,
        vec![m("/Users/me/a", true), m("/Users/me/b", true)]
    );
    assert!(p.notes.iter().any(|n| n.contains("already mounted")));
}

#[test]
fn a_parent_of_an_existing_mount_is_allowed_with_a_note() {
    let fs = FakeFs::default().dir("/Users/me/src");
    let cur = vec![m("/Users/me/src/app", true)];
    let p = plan_add(&input(&cur), &paths(&["/Users/me/src"]), &fs);
    assert_eq!(p.added.len(), 1);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("contains the existing mount `/Users/me/src/app`")),
        "{:?}",
        p.notes
    );
}

#[test]
fn removal_by_mount_point() {
    let cur = current();
    let p = plan_remove(&cur, &paths(&["/Users/me/work/", "/nope"]));
    assert_eq!(p.removed, vec!["/Users/me/work".to_string()]);
    assert_eq!(p.mounts, vec![m("/Users/me", false)]);
    assert_eq!(p.errors[0].code(), "does-not-exist");
}

#[test]
fn the_real_probe_sees_directories_files_links_and_size() {
    use crate::mounts::probe::HostFs;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("proj ü");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("f"), "x").unwrap();
    std::os::unix::fs::symlink(&d, dir.path().join("link")).unwrap();
    assert_eq!(HostFs.kind(&d), Some(PathKind::Dir));
    assert_eq!(HostFs.kind(&d.join("f")), Some(PathKind::File));
    assert_eq!(HostFs.kind(&dir.path().join("missing")), None);
    assert_eq!(
        HostFs.resolve(&dir.path().join("link")),
        d.canonicalize().unwrap()
    );
    assert!(HostFs.is_huge(dir.path(), 1));
    assert!(!HostFs.is_huge(dir.path(), 100));
}
