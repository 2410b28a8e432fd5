use super::*;

const RUNNING_2X: &str = r#"{"name":"nixos","hostname":"lima-nixos","status":"Running","dir":"/Users/alice/.lima/nixos","vmType":"vz","arch":"aarch64","cpus":4,"memory":8589934592,"disk":107374182400,"sshLocalPort":50122,"sshConfigFile":"/Users/alice/.lima/nixos/ssh.config","hostAgentPID":4711,"driverPID":4711,"config":{"vmType":"vz","os":"Linux","arch":"aarch64","cpus":4,"memory":"8GiB","disk":"100GiB","mounts":[{"location":"/Users/alice","mountPoint":"/Users/alice","writable":false,"sshfs":{"cache":true,"followSymlinks":false,"sftpDriver":""},"9p":{"securityModel":"none","protocolVersion":"9p2000.L","msize":"128KiB","cache":"mmap"}},{"location":"/Users/alice/src/app","mountPoint":"/Users/alice/src/app","writable":true}],"plain":false,"user":{"name":"alice","comment":"Alice","home":"/home/alice.guest","shell":"/bin/bash","uid":501,"passwordlessSudo":true}},"sshAddress":"127.0.0.1","protected":false,"limaVersion":"2.2.0","HostOS":"darwin","HostArch":"aarch64","LimaHome":"/Users/alice/.lima","IdentityFile":"/Users/alice/.lima/_config/user"}"#;

// 1.x: `cpuType`, empty objects not stripped, no autoStartedIdentifier.
const STOPPED_1X: &str = r#"{"name":"default","hostname":"lima-default","status":"Stopped","dir":"/Users/alice/.lima/default","vmType":"qemu","arch":"x86_64","cpuType":"","cpus":4,"memory":4294967296,"disk":107374182400,"sshConfigFile":"/Users/alice/.lima/default/ssh.config","config":{"rosetta":{},"mounts":[{"location":"/Users/alice","writable":false}]},"sshAddress":"127.0.0.1","protected":false,"limaVersion":"1.2.3","HostOS":"darwin","HostArch":"aarch64","LimaHome":"/Users/alice/.lima","IdentityFile":"/Users/alice/.lima/_config/user"}"#;

const BROKEN_NO_YAML: &str = r#"{"name":"probe","hostname":"","status":"Broken","dir":"/Users/alice/.lima/probe","vmType":"","arch":"","errors":[{"Op":"open","Path":"/Users/alice/.lima/probe/lima.yaml","Err":2}],"protected":false,"limaVersion":"","HostOS":"darwin","HostArch":"aarch64","LimaHome":"/Users/alice/.lima","IdentityFile":"/Users/alice/.lima/_config/user"}"#;

const INVALID_CONFIG: &str = r#"{"name":"bad","hostname":"lima-bad","status":"","dir":"/Users/alice/.lima/bad","vmType":"","arch":"","errors":[],"protected":true,"limaVersion":"2.2.0","HostOS":"darwin","HostArch":"aarch64","LimaHome":"/Users/alice/.lima","IdentityFile":"/Users/alice/.lima/_config/user"}"#;

#[test]
fn parses_a_running_2x_line() {
    let l = parse_list(&format!("{RUNNING_2X}\n"), "");
    assert!(l.warnings.is_empty());
    let i = &l.instances[0];
    assert_eq!(i.name, "nixos");
    assert_eq!(i.status, LimaStatus::Running);
    assert_eq!((i.vm_type.as_str(), i.arch.as_str()), ("vz", "aarch64"));
    assert_eq!(
        (i.cpus, i.memory, i.disk),
        (Some(4), Some(8589934592), Some(107374182400))
    );
    assert_eq!(i.ssh_local_port, Some(50122));
    assert_eq!(i.guest_home.as_deref(), Some("/home/alice.guest"));
    assert_eq!(i.mounts.len(), 2);
    assert!(i.mounts[1].writable);
    assert_eq!(i.mounts[1].mount_point, "/Users/alice/src/app");
    assert!(i.errors.is_empty());
}

#[test]
fn parses_1x_shape_with_cpu_type_and_empty_objects() {
    let l = parse_list(STOPPED_1X, "");
    let i = &l.instances[0];
    assert_eq!(i.status, LimaStatus::Stopped);
    assert_eq!(i.ssh_local_port, None);
    // 1.x has no mountPoint: it defaults to the location.
    assert_eq!(i.mounts[0].mount_point, "/Users/alice");
    assert!(!i.mounts[0].writable);
}

#[test]
fn broken_and_invalid_instances_get_readable_errors_from_stderr() {
    let stderr = concat!(
        "time=\"2026-08-21T10:15:31+02:00\" level=warning msg=\"The directory `/Users/alice/.lima/probe` does not look like a valid Lima directory\"\n",
        "time=\"2026-08-21T10:15:31+02:00\" level=warning msg=\"instance `bad` has errors\" errors=\"[field `images` must be set]\"\n",
    );
    let l = parse_list(&format!("{BROKEN_NO_YAML}\n{INVALID_CONFIG}\n"), stderr);
    assert_eq!(l.instances.len(), 2);
    assert_eq!(l.instances[0].status, LimaStatus::Broken);
    // `errors` held a structured Go error: we never show it as text.
    assert!(!l.instances[0].errors[0].contains("Op"));
    assert_eq!(l.instances[1].status, LimaStatus::Unknown);
    assert_eq!(
        l.instances[1].errors,
        vec!["field `images` must be set".to_string()]
    );
    assert!(l.instances[1].protected);
}

#[test]
fn garbage_lines_are_skipped_with_a_warning_and_the_rest_is_kept() {
    let out = format!("{RUNNING_2X}\nthis is not json\n{{\"name\":\n\n{STOPPED_1X}\n");
    let l = parse_list(&out, "");
    assert_eq!(l.instances.len(), 2);
    assert_eq!(l.warnings.len(), 2);
    assert!(l.warnings[0].contains("line 2"));
}

#[test]
fn unknown_status_and_unknown_keys_are_tolerated() {
    let line = r#"{"name":"w","status":"Installing","dir":"/d","vmType":"wsl2","arch":"x86_64","brandNew":{"x":1},"protected":false,"limaVersion":"2.2.0"}"#;
    let l = parse_list(line, "");
    assert_eq!(l.instances[0].status, LimaStatus::Unknown);
}

#[test]
fn empty_output_is_an_empty_list() {
    let l = parse_list("", "time=\"x\" level=warning msg=\"No instance found. Run `limactl create` to create an instance.\"\n");
    assert!(l.instances.is_empty() && l.warnings.is_empty());
}
