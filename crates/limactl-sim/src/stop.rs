//! `limactl stop [-f] NAME` and `limactl restart NAME` (contract §3.7, §4.3, §4.6).

use std::time::{Duration, Instant};

use crate::env::SimEnv;
use crate::log;
use crate::store::{Inst, Status};
use crate::tailer::Tail;

pub fn run(env: &SimEnv, args: &[String]) {
    let force = args.iter().any(|a| a == "-f" || a == "--force");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let names = if names.is_empty() {
        vec!["default".to_string()]
    } else {
        names.into_iter().cloned().collect()
    };
    for name in names {
        let inst = Inst::existing_or_exit(env, &name);
        if force {
            force_stop(&inst);
        } else if let Err(e) = graceful_stop(env, &inst) {
            log::fatal(&e);
        }
    }
}

pub fn force_stop(inst: &Inst) {
    for pidfile in pid_files(inst) {
        if let Ok(pid) = std::fs::read_to_string(&pidfile)
            .unwrap_or_default()
            .trim()
            .parse::<i32>()
        {
            log::info(&format!("Sending SIGKILL to the process {pid}"));
            // SAFETY: kill(2) with a PID read from the instance's own pid file.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    if let Ok(rd) = std::fs::read_dir(&inst.dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if n.ends_with(".pid") || n.ends_with(".sock") || n.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn pid_files(inst: &Inst) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(&inst.dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pid"))
                .collect()
        })
        .unwrap_or_default()
}

pub fn graceful_stop(env: &SimEnv, inst: &Inst) -> Result<(), String> {
    let insp = inst.inspect(env);
    if insp.status != Status::Running {
        return Err(format!(
            "expected status {}, got {} (maybe use `limactl stop -f`?)",
            env.q("Running"),
            env.q(insp.status.as_str())
        ));
    }
    let mut events = Tail::open(&inst.path("ha.stdout.log"));
    events.seek_end();
    log::info(&format!(
        "Sending SIGINT to hostagent process {}",
        insp.ha_pid
    ));
    // SAFETY: kill(2) on the live host-agent PID Lima's inspection returned.
    unsafe { libc::kill(insp.ha_pid as i32, libc::SIGINT) };
    log::info("Waiting for the host agent and the driver processes to shut down");
    let began = Instant::now();
    'exiting: loop {
        for line in events.lines() {
            if line.contains("\"exiting\":true") {
                break 'exiting;
            }
        }
        if began.elapsed() > Duration::from_secs(190) {
            return Err(format!(
                "did not receive an event with the {} status",
                env.q_pkg("exiting")
            ));
        }
        events.wait(Duration::from_millis(200));
    }
    while inst.inspect(env).status != Status::Stopped {
        if began.elapsed() > Duration::from_secs(190 + 180) {
            return Err("timed out waiting for instance to shut down after 3 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    log::info(&format!("The instance {} has shut down", inst.name));
    Ok(())
}

pub fn restart(env: &SimEnv, args: &[String]) {
    let force = args.iter().any(|a| a == "-f" || a == "--force");
    let name = crate::edit::positional(args).unwrap_or_else(|| "default".into());
    let inst = Inst::existing_or_exit(env, &name);
    // 2.2+ applies edit flags before restarting; older versions do not know them.
    let sets = crate::edit::set_args(args);
    let mounts = crate::edit::mount_args(env, args);
    if !sets.is_empty() || !mounts.is_empty() {
        if !env.at_least(2, 2) {
            log::fatal(&format!(
                "unknown flag: {}",
                if sets.is_empty() { "--mount" } else { "--set" }
            ));
        }
        if crate::edit::apply_edits(env, &inst, &sets, mounts) {
            log::info(&format!("Instance {} configuration edited", env.q(&name)));
        }
    }
    if inst.inspect(env).status == Status::Running {
        if force {
            force_stop(&inst);
        } else if let Err(e) = graceful_stop(env, &inst) {
            log::fatal(&e);
        }
    }
    crate::start::start_existing(env, &inst, Duration::from_secs(600));
}
