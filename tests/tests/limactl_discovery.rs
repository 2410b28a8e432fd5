//! Finding limactl and refusing unusable ones, with real (fake) executables.

use limabar_core::env::HostEnv;
use limabar_core::error::ErrorCode;
use limabar_core::lima::locate::connect;
use limabar_tests::{write_executable, SimLima};

fn env_with(
    limactl: Option<std::path::PathBuf>,
    path: Vec<std::path::PathBuf>,
    root: &std::path::Path,
) -> HostEnv {
    HostEnv {
        limactl,
        lima_home: root.join("lima"),
        home: Some(root.join("home")),
        path,
        data_dir: root.join("data"),
        config_dir: root.join("config"),
        terminal: None,
    }
}

#[tokio::test]
async fn missing_limactl_is_a_coded_error_with_an_install_hint() {
    let root = tempfile::tempdir().unwrap();
    let env = env_with(None, vec![root.path().join("empty")], root.path());
    let err = connect(&env, None, &root.path().join("cwd"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimactlNotFound);
    assert!(err.hint().unwrap().contains("brew install lima"));
    // An explicit LIMACTL that does not exist is reported as such, not silently skipped.
    let env = env_with(Some(root.path().join("nope/limactl")), vec![], root.path());
    let err = connect(&env, None, &root.path().join("cwd"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope/limactl"));
}

#[tokio::test]
async fn limactl_older_than_2_0_is_refused_with_the_upgrade_command() {
    let sim = SimLima::new("1.2.3");
    let err = connect(&sim.host_env(), None, &sim.root.path().join("cwd"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::LimactlTooOld);
    assert_eq!(
        err.to_string(),
        "Limabar needs Lima 2.0 or newer (found 1.2.3)"
    );
    assert_eq!(err.hint().as_deref(), Some("brew upgrade lima"));
}

#[tokio::test]
async fn limactl_found_on_path_and_unexpected_version_output() {
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    write_executable(
        &bin.join("limactl"),
        "#!/bin/sh\necho 'something else entirely'\n",
    );
    let env = env_with(None, vec![bin.clone()], root.path());
    let err = connect(&env, None, &root.path().join("cwd"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnexpectedOutput);
    write_executable(
        &bin.join("limactl"),
        "#!/bin/sh\necho 'limactl version 2.1.4'\n",
    );
    let l = connect(&env, None, &root.path().join("cwd")).await.unwrap();
    assert!(l.features.watch && !l.features.restart_with_edits);
    assert!(!l.info().simulated);
}

#[tokio::test]
async fn a_hanging_limactl_times_out_and_is_killed() {
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let marker = root.path().join("still-running");
    write_executable(
        &bin.join("limactl"),
        &format!("#!/bin/sh\nsleep 30; touch '{}'\n", marker.display()),
    );
    let env = env_with(None, vec![bin], root.path());
    let runner = limabar_core::lima::runner::Runner {
        program: env.path[0].join("limactl"),
        workdir: root.path().join("cwd"),
        path_env: env.child_path(),
        lima_home: env.lima_home.clone(),
    };
    let err = runner
        .run(&limabar_core::lima::limactl::Call {
            args: vec!["list".into()],
            timeout: Some(std::time::Duration::from_millis(300)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    // kill_on_drop: the shell is gone, so it never reaches `touch`.
    assert!(!marker.exists());
}
