//! The doctor over Lima's and nixos-lima's templates (each file: parse + examine), and
//! the log view on a 10 MB ha.stderr.log: opening it (the window of recent lines) and
//! following 1000 appended lines.
//! Run: cargo bench -p limabar-core --bench doctor_logs

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use limabar_core::features::doctor::{examine, parse, Host};
use limabar_core::features::logs::{LogView, WINDOW};
use std::hint::black_box;

fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/lima-templates");
    let mut files: Vec<PathBuf> = Vec::new();
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
    files
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap().display().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let host = Host {
        macos: true,
        macos_major: Some(15),
        lima: None,
        home: Some("/Users/me".into()),
        ..Host::default()
    };
    c.bench_function(
        &format!("doctor/whole corpus ({} files)", files.len()),
        |b| {
            b.iter(|| {
                for (_, text) in &files {
                    black_box(examine(&parse(black_box(text)).unwrap(), &host));
                }
            })
        },
    );
    for name in ["lima/default.yaml", "nixos-lima/nixos.yaml"] {
        let text = &files.iter().find(|(n, _)| n == name).unwrap().1;
        c.bench_function(&format!("doctor/{name}"), |b| {
            b.iter(|| black_box(examine(&parse(black_box(text)).unwrap(), &host)))
        });
    }

    let t = tempfile::tempdir().unwrap();
    let log = t.path().join("ha.stderr.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        let mut i = 0u64;
        while f.get_ref().metadata().unwrap().len() < 10 * 1024 * 1024 {
            for _ in 0..1000 {
                writeln!(f, r#"{{"level":"info","msg":"[hostagent] Waiting for the essential requirement 2 of 3: \"user session is ready for ssh\" ({i})","time":"2026-11-25T10:00:00Z"}}"#).unwrap();
                i += 1;
            }
            f.flush().unwrap();
        }
    }
    c.bench_function("logs/open a 10 MB ha.stderr.log", |b| {
        b.iter(|| {
            let (_view, lines) = LogView::open(black_box(t.path()));
            assert_eq!(lines.len(), WINDOW);
        })
    });
    let (mut view, _) = LogView::open(t.path());
    let batch: String = (0..1000)
        .map(|i| format!("{{\"level\":\"error\",\"msg\":\"appended {i}\",\"time\":\"t\"}}\n"))
        .collect();
    c.bench_function("logs/follow 1000 appended lines", |b| {
        b.iter(|| {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&log)
                .unwrap()
                .write_all(batch.as_bytes())
                .unwrap();
            assert_eq!(view.read_new().len(), 1000);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
