//! `limactl shell [FLAGS] NAME [COMMAND…]` (contract §4.7). The "guest" is this host:
//! with same-path mounts a host directory inside a mount the guest really has (its
//! simulated fstab, `guest`) is valid in the guest, so the command runs locally in it. A workdir outside every mount fails like the guest's `cd`,
//! except `/`, which every guest has.
//! The command is passed the way Lima passes it: each argument shell-quoted and joined
//! into one script for the login shell, so quoting mistakes show up here as they would.
//! `HOME` is the instance's own `guest-home` folder. With `"nixos"` in `sim.json` the
//! guest is NixOS (`nixos_guest`).

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::env::SimEnv;
use crate::log;
use crate::scenario::Scenario;
use crate::store::{Inst, Status};

pub fn quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
    {
        return arg.to_string();
    }
    format!("'{}'", arg.replace('\'', "'\"'\"'"))
}

pub fn run(env: &SimEnv, args: &[String]) {
    let mut workdir: Option<String> = None;
    let mut shell: Option<String> = None;
    let mut start = false;
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        let a = &args[i];
        match a.as_str() {
            "--workdir" => {
                i += 1;
                workdir = args.get(i).cloned();
            }
            "--shell" => {
                i += 1;
                shell = args.get(i).cloned();
            }
            "--start" => start = true,
            s if s.starts_with("--workdir=") => workdir = Some(s[10..].to_string()),
            s if s.starts_with("--shell=") => shell = Some(s[8..].to_string()),
            _ => {}
        }
        i += 1;
    }
    let Some(name) = args.get(i).cloned() else {
        log::fatal("requires at least 1 arg(s), only received 0")
    };
    let mut cmd: Vec<String> = args[i + 1..].to_vec();
    if cmd.first().map(String::as_str) == Some("--") {
        cmd.remove(0);
    }
    let inst = Inst::new(env, &name);
    if !inst.exists() {
        log::fatal(&format!(
            "instance {} does not exist, run `limactl create {name}` to create a new instance",
            env.q(&name)
        ));
    }
    if inst.inspect(env).status != Status::Running {
        if start {
            crate::start::start_existing(env, &inst, std::time::Duration::from_secs(600));
        } else if env.at_least(2, 1) {
            log::fatal(&format!(
                "instance {} is stopped, run `limactl start {name}` to start the instance",
                env.q(&name)
            ));
        } else {
            std::process::exit(0); // 1.1–2.0.x exited 0 silently (lima-vm/lima#4692).
        }
    }
    let login_shell = shell.unwrap_or_else(|| "/bin/sh".into());
    let mut script = String::new();
    if let Some(dir) = &workdir {
        // The guest's own root exists in every guest; other guest-only folders are not
        // modelled (the "guest" is this host). Mounts are what the guest's fstab has.
        if !(dir == "/" || crate::guest::is_inside_mount(&inst, dir)) {
            eprintln!("bash: line 1: cd: {dir}: No such file or directory");
            std::process::exit(1);
        }
        script.push_str(&format!("cd {} || exit 1 ; ", quote(dir)));
    }
    // A login shell, as Lima's (`cmd/limactl/shell.go`: `exec "$SHELL" -l -c …`), so the
    // guest's /etc/profile sets the environment.
    script.push_str(&format!("exec {} -l", quote(&login_shell)));
    if !cmd.is_empty() {
        let joined: Vec<String> = cmd.iter().map(|a| quote(a)).collect();
        script.push_str(&format!(" -c {}", quote(&joined.join(" "))));
    }
    // The guest user's home is the guest's own: in the sim, a folder of the instance
    // (what the guest keeps there, such as pre-built dev environments, stays with it).
    let guest_home = inst.path("guest-home");
    let _ = std::fs::create_dir_all(&guest_home);
    let sc = Scenario::load(&inst.dir);
    let root = sc.nixos.as_ref().map(|config| {
        crate::nixos_guest::prepare(&inst, config)
            .unwrap_or_else(|e| log::fatal(&format!("the simulated NixOS guest: {e}")))
    });
    let meminfo = sc.guest_memory.as_ref().map(|m| {
        crate::guest_memory::meminfo_file(&inst, m)
            .unwrap_or_else(|e| log::fatal(&format!("the simulated guest's meminfo: {e}")))
    });
    let mut shell = if root.is_some() || meminfo.is_some() {
        crate::nixos_guest::command(root.as_deref(), meminfo.as_deref(), &script)
    } else {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(&script);
        c
    };
    let err = shell.env("HOME", &guest_home).exec();
    log::fatal(&format!("failed to run the shell: {err}"));
}
