//! Planning a dropped folder against a running instance, as the popover does for each
//! drop: reading lima.yaml and `$LIMA_HOME/_config/*.yaml` (`mounts::source`, so edits
//! select entries as lima.yaml writes them), then `plan_add`, then the `--set`
//! expressions. Files on a tmpfs-backed temp dir; nixos-lima's template as lima.yaml.
//! Run: cargo bench -p limabar-core --bench mount_plan

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use limabar_core::features::mounts::apply::expressions;
use limabar_core::features::mounts::probe::HostFs;
use limabar_core::features::mounts::source::{context, Sources};
use limabar_core::features::mounts::{plan_add, PlanInput};
use limabar_core::lima::inventory::Mount;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let lima_home = home.join(".lima");
    let dir = lima_home.join("nixos");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(lima_home.join("_config")).unwrap();
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/nixos-lima.yaml");
    std::fs::copy(&template, dir.join("lima.yaml")).unwrap();
    std::fs::write(
        lima_home.join("_config/default.yaml"),
        "mounts:\n- location: /opt/shared\n",
    )
    .unwrap();
    let project: PathBuf = home.join("src/My Projects/app");
    std::fs::create_dir_all(&project).unwrap();
    let current = vec![
        Mount {
            location: home.display().to_string(),
            mount_point: home.display().to_string(),
            writable: false,
        },
        Mount {
            location: "/opt/shared".into(),
            mount_point: "/opt/shared".into(),
            writable: false,
        },
    ];
    let ctx = context(&dir, &lima_home, Some(&home), Some("/home/me.guest"));
    c.bench_function("mounts/read sources (lima.yaml + _config)", |b| {
        b.iter(|| Sources::read(black_box(&ctx)).unwrap())
    });
    c.bench_function("mounts/read sources + plan + expressions", |b| {
        b.iter(|| {
            let sources = Sources::read(&ctx).unwrap();
            let input = PlanInput {
                current: &current,
                sources: &sources,
                lima: None,
                home: Some(&home),
                guest_home: Some("/home/me.guest"),
                writable: true,
                confirmed: false,
            };
            let plan = plan_add(&input, std::slice::from_ref(&project), &HostFs);
            black_box(expressions(&plan))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
