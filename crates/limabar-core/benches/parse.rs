//! `limactl list --json` parsing of 100 instances, and folding a boot's events.
//! Run: cargo bench -p limabar-core --bench parse

use criterion::{criterion_group, criterion_main, Criterion};
use limabar_core::lima::events::parse_event_line;
use limabar_core::lima::inventory::parse_list;
use limabar_core::live::readiness::{fold, Input, VmState};
use std::hint::black_box;

const LINE: &str = r#"{"name":"NAME","hostname":"lima-NAME","status":"Running","dir":"/Users/alice/.lima/NAME","vmType":"vz","arch":"aarch64","cpus":4,"memory":8589934592,"disk":107374182400,"sshLocalPort":50122,"sshConfigFile":"/Users/alice/.lima/NAME/ssh.config","hostAgentPID":4711,"driverPID":4711,"config":{"vmType":"vz","os":"Linux","arch":"aarch64","images":[{"location":"https://github.com/nixos-lima/nixos-lima/releases/download/v0.2.1/nixos-lima-v0.2.1-aarch64.qcow2","arch":"aarch64","digest":"sha512:748c723b69dbdec40a9acaf78cc9070ae784dcb64b0856ab906efdac822d9abcc65565b8f8dfa4cf8b49cc6c12c372072e83bb5ed9247330a7c22675d9e141ce"}],"cpus":4,"memory":"8GiB","disk":"100GiB","mounts":[{"location":"/Users/alice","mountPoint":"/Users/alice","writable":false,"sshfs":{"cache":true,"followSymlinks":false,"sftpDriver":""},"9p":{"securityModel":"none","protocolVersion":"9p2000.L","msize":"128KiB","cache":"mmap"}},{"location":"/Users/alice/src/app","mountPoint":"/Users/alice/src/app","writable":true}],"mountInotify":false,"ssh":{"localPort":0,"loadDotSSHPubKeys":false,"forwardAgent":false},"containerd":{"system":false,"user":false},"plain":false,"user":{"name":"alice","comment":"Alice","home":"/home/alice.guest","shell":"/bin/bash","uid":501,"passwordlessSudo":true}},"sshAddress":"127.0.0.1","protected":false,"limaVersion":"2.2.0","HostOS":"darwin","HostArch":"aarch64","LimaHome":"/Users/alice/.lima","IdentityFile":"/Users/alice/.lima/_config/user"}"#;

fn bench(c: &mut Criterion) {
    let stdout: String = (0..100)
        .map(|i| LINE.replace("NAME", &format!("vm{i:03}")) + "\n")
        .collect();
    c.bench_function("parse_list/100 instances", |b| {
        b.iter(|| {
            let l = parse_list(black_box(&stdout), "");
            assert_eq!(l.instances.len(), 100);
        })
    });
    let events = [
        r#"{"time":"2026-08-21T10:15:01Z","status":{"sshLocalPort":50122}}"#,
        r#"{"time":"2026-08-21T10:15:09.8Z","status":{"running":true,"sshLocalPort":50122}}"#,
    ];
    c.bench_function("parse+fold/boot events", |b| {
        b.iter(|| {
            let mut inputs = vec![Input::StartRequested { at: 0 }];
            inputs.extend(
                events
                    .iter()
                    .filter_map(|l| parse_event_line(black_box(l)))
                    .map(Input::Event),
            );
            black_box(fold(VmState::Stopped, &inputs))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
