//! `limactl delete [-f] NAME…` (contract §4.4) and `limactl validate FILE…` (§4.9).

use crate::env::SimEnv;
use crate::log;
use crate::store::{Inst, Status};

pub fn delete(env: &SimEnv, args: &[String]) {
    let force = args.iter().any(|a| a == "-f" || a == "--force");
    for name in args.iter().filter(|a| !a.starts_with('-')) {
        let inst = Inst::new(env, name);
        if !inst.dir.exists() {
            log::warn(&format!("Ignoring non-existent instance {}", env.q(name)));
            continue;
        }
        if !inst.exists() && env.at_least(2, 2) {
            log::fatal(&format!(
                "failed to delete instance {}: {} is not an instance directory (no lima.yaml)",
                env.q(name),
                env.q(&inst.dir.to_string_lossy())
            ));
        }
        if inst.path("protected").exists() {
            log::fatal(&format!(
                "failed to delete instance {}: instance is protected (hint: use `limactl unprotect`)",
                env.q(name)
            ));
        }
        let status = inst.inspect(env).status;
        if status != Status::Stopped {
            if !force {
                log::fatal(&format!(
                    "failed to delete instance {}: expected status {}, got {}",
                    env.q(name),
                    env.q("Stopped"),
                    env.q(status.as_str())
                ));
            }
            crate::stop::force_stop(&inst);
        }
        if let Err(e) = std::fs::remove_dir_all(&inst.dir) {
            log::fatal(&format!("failed to delete instance {}: {e}", env.q(name)));
        }
        log::info(&format!(
            "Deleted {} ({})",
            env.q(name),
            env.q(&inst.dir.to_string_lossy())
        ));
    }
}

pub fn validate(env: &SimEnv, args: &[String]) {
    for file in args.iter().filter(|a| !a.starts_with('-')) {
        let checked = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                serde_norway::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string())
            })
            .and_then(|v| crate::store::validate(&v));
        match checked {
            Ok(()) => log::info(&format!("{}: OK", env.q(file))),
            Err(e) => log::fatal(&format!(
                "failed to validate YAML file {}: {e}",
                env.q(file)
            )),
        }
    }
}
