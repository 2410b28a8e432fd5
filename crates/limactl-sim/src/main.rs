//! `limactl-sim`: a stand-in for Lima's `limactl`, used by Limabar's tests, benchmarks
//! and demo mode. It follows `docs/lima-contract.md`: the same argv, output formats,
//! files in `$LIMA_HOME/NAME`, processes, exit codes and (scaled) timings.
//! See README.md beside this crate for the scenario knob and what is simulated.

mod create;
mod delete;
mod edit;
mod env;
mod guest;
mod guest_memory;
mod guest_ports;
mod hostagent;
mod info;
mod list;
mod log;
mod nixos_guest;
mod scenario;
mod shell;
mod sshd;
mod start;
mod stop;
mod store;
mod tailer;
mod watch;

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some("__sim-driver") {
        let dir = raw.get(1).map(std::path::PathBuf::from).unwrap_or_default();
        return hostagent::driver_main(&dir);
    }
    log_call(&raw);
    let env = env::SimEnv::capture();
    if std::env::var("LIMACTL_SIM_REFUSE_ROOT").as_deref() == Ok("1") && env::uid() == 0 {
        eprintln!("limactl: must not run as the root user");
        std::process::exit(1);
    }
    // Global flags may appear anywhere before `shell`'s instance name.
    let mut args = Vec::new();
    let mut sub: Option<String> = None;
    let mut it = raw.into_iter().peekable();
    while let Some(a) = it.next() {
        let in_shell_command =
            sub.as_deref() == Some("shell") && args.iter().any(|x: &String| !x.starts_with('-'));
        if !in_shell_command {
            match a.as_str() {
                "--tty=false" | "--tty=true" | "--tty" | "-y" | "--yes" | "--debug" => continue,
                "--log-level" | "--log-format" => {
                    it.next();
                    continue;
                }
                s if s.starts_with("--log-level=") || s.starts_with("--log-format=") => continue,
                "--version" | "-v" if sub.is_none() => {
                    println!("limactl version {}", env.version_string);
                    return;
                }
                _ => {}
            }
        }
        if sub.is_none() && !a.starts_with('-') {
            sub = Some(a);
        } else {
            args.push(a);
        }
    }
    match sub.as_deref() {
        Some("list" | "ls") => list::run(&env, &args),
        Some("start") => start::run(&env, &args),
        Some("stop") => stop::run(&env, &args),
        Some("restart") => stop::restart(&env, &args),
        Some("watch") => watch::run(&env, &args),
        Some("shell") => shell::run(&env, &args),
        Some("info") => info::run(&env),
        Some("create") => create::run(&env, &args),
        Some("edit") => edit::run(&env, &args),
        Some("delete" | "rm" | "remove") => delete::delete(&env, &args),
        Some("validate") => delete::validate(&env, &args),
        Some("hostagent") => hostagent::run(env, &args),
        Some(other) => log::fatal(&format!("unknown command {other:?} for \"limactl\"")),
        None => {
            eprintln!("Usage: limactl [command]\n(limactl-sim: list, start, stop, restart, watch, shell, info, create, edit)");
            std::process::exit(1);
        }
    }
}

/// `LIMACTL_SIM_CALL_LOG=FILE`: append each invocation's argv as a JSON line, so tests
/// can check which limactl calls a client makes (and that an idle client makes none).
fn log_call(argv: &[String]) {
    use std::io::Write;
    let append = |var: &str, line: String| {
        if let Some(path) = std::env::var_os(var) {
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{line}");
            }
        }
    };
    append("LIMACTL_SIM_CALL_LOG", serde_json::json!(argv).to_string());
    // `LIMACTL_SIM_CALL_TIMES=FILE`: the same with the Unix time in µs, for benchmarks.
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    append(
        "LIMACTL_SIM_CALL_TIMES",
        serde_json::json!({"us": us, "argv": argv}).to_string(),
    );
}
