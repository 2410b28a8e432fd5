use std::collections::{HashMap, HashSet};

use super::*;
use crate::features::mounts::probe::PathKind;
use crate::features::mounts::source::Sources;

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

/// lima.yaml of `current()`, written as Limabar's template and nixos-lima's write it.
const LIMA_YAML: &str = "mounts:\n- location: \"~\"\n- location: \"~/work\"\n  writable: true\n";

fn sources_of(lima_yaml: &str, default: Option<&str>, over: Option<&str>) -> Sources {
    let ctx = crate::features::mounts::source::context(
        Path::new("/Users/me/.lima/nixos"),
        Path::new("/Users/me/.lima"),
        Some(Path::new("/Users/me")),
        Some("/home/me.guest"),
    );
    Sources::from_texts(&ctx, lima_yaml, default, over)
}

static SOURCES: std::sync::LazyLock<Sources> =
    std::sync::LazyLock::new(|| sources_of(LIMA_YAML, None, None));

fn input(current: &[Mount]) -> PlanInput<'_> {
    PlanInput {
        current,
        sources: &SOURCES,
        lima: None,
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
    let p = plan_remove(&cur, &SOURCES, &paths(&["/Users/me/work/", "/nope"]));
    assert_eq!(p.removed, vec!["/Users/me/work".to_string()]);
    assert_eq!(p.mounts, vec![m("/Users/me", false)]);
    assert_eq!(p.errors[0].code(), "does-not-exist");
    assert_eq!(p.written["/Users/me/work"].location, "~/work");
}

#[test]
fn the_home_mount_is_edited_as_lima_yaml_writes_it() {
    let cur = current();
    let p = plan_remove(&cur, &SOURCES, &paths(&["/Users/me"]));
    assert_eq!(
        crate::features::mounts::apply::expressions(&p),
        vec![r#"del(.mounts[] | select(.location == "~" and .mountPoint == null))"#.to_string()]
    );
    let fs = FakeFs::default().dir("/Users/me");
    let i = PlanInput {
        confirmed: true,
        ..input(&cur)
    };
    let p = plan_add(&i, &paths(&["/Users/me"]), &fs);
    assert_eq!(
        crate::features::mounts::apply::expressions(&p),
        vec![
            r#"(.mounts[] | select(.location == "~" and .mountPoint == null) | .writable) = true"#
                .to_string()
        ]
    );
}

#[test]
fn mounts_of_the_global_config_files_are_refused_with_the_file() {
    let cur = vec![m("/Users/me", false), m("/opt/shared", false)];
    let sources = sources_of(
        LIMA_YAML,
        Some("mounts:\n- location: /opt/shared\n"),
        Some("mounts:\n- location: \"~\"\n  writable: false\n"),
    );
    let p = plan_remove(&cur, &sources, &paths(&["/opt/shared"]));
    assert!(p.removed.is_empty());
    assert_eq!(p.errors[0].code(), "not-in-lima-yaml");
    assert!(
        p.errors[0].to_string().contains("_config/default.yaml"),
        "{}",
        p.errors[0]
    );
    let fs = FakeFs::default().dir("/Users/me");
    let i = PlanInput {
        sources: &sources,
        confirmed: true,
        ..input(&cur)
    };
    let p = plan_add(&i, &paths(&["/Users/me"]), &fs);
    assert!(p.toggled.is_empty());
    assert!(
        p.errors[0]
            .to_string()
            .contains("override.yaml makes it read-only"),
        "{}",
        p.errors[0]
    );
    // Also removing `~` from lima.yaml would leave override.yaml's.
    let p = plan_remove(&cur, &sources, &paths(&["/Users/me"]));
    assert_eq!(p.errors[0].code(), "not-in-lima-yaml");
}

#[test]
fn a_mount_lima_yaml_does_not_hold_is_refused() {
    let cur = vec![m("/elsewhere", true)];
    let p = plan_remove(&cur, &SOURCES, &paths(&["/elsewhere"]));
    assert!(!p.changes_anything());
    assert_eq!(p.errors[0].code(), "not-in-lima-yaml");
}

#[test]
fn folders_the_guest_cannot_mount_are_refused_before_anything_changes() {
    let fs = FakeFs::default()
        .dir("/Users/me/a, b")
        .dir("/Users/me/x [1]")
        .dir("/Users/me/My Projects")
        .dir("/Users/me/it's $(x) `y` ü");
    let p = plan_add(
        &input(&current()),
        &paths(&[
            "/Users/me/a, b",
            "/Users/me/x [1]",
            "/Users/me/My Projects",
            "/Users/me/it's $(x) `y` ü",
        ]),
        &fs,
    );
    let refused: Vec<&str> = p
        .errors
        .iter()
        .filter(|e| e.code() == "unmountable")
        .map(|e| e.path())
        .collect();
    assert_eq!(refused, vec!["/Users/me/a, b", "/Users/me/x [1]"]);
    assert_eq!(p.added.len(), 2);
}

#[test]
fn a_folder_with_a_space_brings_the_fstab_fix_once() {
    let fs = FakeFs::default()
        .dir("/Users/me/My Projects")
        .dir("/Users/me/plain");
    let p = plan_add(&input(&current()), &paths(&["/Users/me/My Projects"]), &fs);
    assert!(p.adds_fstab_fix);
    let exprs = crate::features::mounts::apply::expressions(&p);
    assert_eq!(exprs.len(), 2, "{exprs:?}");
    assert!(exprs[1].starts_with(".provision += [{"), "{}", exprs[1]);
    assert!(exprs[1].contains(crate::features::mounts::guest_fstab::MARKER));
    // Not for plain paths, and not again once lima.yaml has it.
    let p = plan_add(&input(&current()), &paths(&["/Users/me/plain"]), &fs);
    assert!(!p.adds_fstab_fix);
    let with_fix = format!(
        "{LIMA_YAML}provision:\n- mode: system\n  script: |\n    {}\n",
        crate::features::mounts::guest_fstab::MARKER
    );
    let sources = sources_of(&with_fix, None, None);
    let cur = current();
    let i = PlanInput {
        sources: &sources,
        ..input(&cur)
    };
    let p = plan_add(&i, &paths(&["/Users/me/My Projects"]), &fs);
    assert!(!p.adds_fstab_fix);
}

#[test]
fn the_real_probe_sees_directories_files_links_and_size() {
    use crate::features::mounts::probe::HostFs;
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

#[test]
fn backslashes_are_refused_only_where_lima_s_yq_would_change_them() {
    use crate::lima::version::LimaVersion;
    let (one, two, before_n) = (
        "/Users/me/back\\slash",
        "/Users/me/two\\\\back",
        "/Users/me/a\\new",
    );
    let fs = FakeFs::default().dir(one).dir(two).dir(before_n);
    let cur = current();
    for (version, path, refused) in [
        ("2.0.2", one, false),
        ("2.0.2", two, false),
        ("2.0.2", before_n, true),
        ("2.0.3", two, true),
        ("2.2.0", two, true),
        ("2.2.0", one, false),
        ("2.2.0", before_n, false),
    ] {
        let i = PlanInput {
            lima: Some(LimaVersion::parse(version).unwrap().features()),
            ..input(&cur)
        };
        let p = plan_add(&i, &paths(&[path]), &fs);
        assert_eq!(p.added.is_empty(), refused, "Lima {version} {path}: {p:?}");
        if refused {
            assert_eq!(p.errors[0].code(), "unmountable");
        }
    }
}
