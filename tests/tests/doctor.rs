//! The doctor over real lima.yaml files (Lima's own templates and nixos-lima's, in
//! tests/fixtures/lima-templates): every file parses, and the findings of each match the
//! reviewed snapshot in tests/fixtures/doctor-findings.txt. After a deliberate change to
//! a rule, regenerate it with `UPDATE_SNAPSHOTS=1 cargo test -p limabar-tests --test doctor`
//! and review the diff.

use std::path::{Path, PathBuf};

use limabar_core::features::doctor::{examine, parse, Host};
use limabar_core::lima::version::LimaVersion;

fn corpus() -> (PathBuf, Vec<PathBuf>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lima-templates");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    (root, files)
}

/// A Mac with Lima 2.2 and the home `/Users/me`.
fn mac() -> Host {
    Host {
        macos: true,
        macos_major: Some(15),
        lima: Some(LimaVersion {
            major: 2,
            minor: 2,
            patch: 0,
        }),
        home: Some("/Users/me".into()),
        ..Host::default()
    }
}

#[test]
fn every_template_parses_and_gets_the_reviewed_findings() {
    let (root, files) = corpus();
    assert!(files.len() > 50, "the corpus is there ({})", files.len());
    let mut report = String::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let config = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let rel = f.strip_prefix(&root).unwrap().display();
        let ids: Vec<String> = examine(&config, &mac())
            .iter()
            .map(|x| format!("{}({:?})", x.id, x.severity).to_lowercase())
            .collect();
        report.push_str(&format!("{rel}: {}\n", ids.join(" ")));
    }
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/doctor-findings.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &report).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        report, expected,
        "findings changed: review, then UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn the_nixos_lima_template_only_lacks_what_limabar_adds() {
    let (root, _) = corpus();
    let text = std::fs::read_to_string(root.join("nixos-lima/nixos.yaml")).unwrap();
    let ids: Vec<&str> = examine(&parse(&text).unwrap(), &mac())
        .iter()
        .map(|f| f.id)
        .collect();
    // nixos-lima's own template is sound for a NixOS guest: no containerd, 8 GiB,
    // digests, `~` read-only.
    assert_eq!(ids, Vec::<&str>::new());
}
