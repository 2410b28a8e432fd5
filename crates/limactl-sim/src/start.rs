//! `limactl start NAME` (contract §3.1, §3.3, §4.2): launch the host agent detached with
//! its stdout/stderr in the logs, wait ≤5 s for `ha.pid`, then follow the logs until a
//! verdict: READY (exit 0), degraded / exiting / agent died / timeout (exit 1).

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::env::SimEnv;
use crate::log;
use crate::store::{Inst, Status};
use crate::tailer::Tail;

pub fn parse_go_duration(s: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
    }
    if !num.is_empty() {
        if num == "0" {
            return Some(Duration::ZERO);
        }
        return None;
    }
    Some(Duration::from_secs_f64(total))
}

pub fn run(env: &SimEnv, args: &[String]) {
    let mut timeout = Duration::from_secs(600);
    let mut name = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--timeout" => {
                timeout = it
                    .next()
                    .and_then(|v| parse_go_duration(v))
                    .unwrap_or_else(|| log::fatal("invalid argument for --timeout"))
            }
            s if s.starts_with("--timeout=") => {
                timeout = parse_go_duration(&s[10..])
                    .unwrap_or_else(|| log::fatal("invalid argument for --timeout"))
            }
            s if s.starts_with('-') => {}
            s => name = Some(s.to_string()),
        }
    }
    if timeout.is_zero() {
        timeout = Duration::from_secs(600);
    }
    let name = name.unwrap_or_else(|| "default".into());
    let inst = Inst::new(env, &name);
    if !inst.exists() {
        // The pitfall Limabar must avoid: an unknown name is created from the default template.
        // `cmd/limactl/start.go` `loadOrCreateInstance`.
        log::info(&format!(
            "Creating an instance {} from template:default (Not from template:{name})",
            env.q(&name)
        ));
        log::warn(&format!(
            "This form is deprecated. Use `limactl create --name={name} template:default` instead"
        ));
        crate::create::write_instance(env, &name, crate::create::DEFAULT_TEMPLATE);
    }
    start_existing(env, &inst, timeout);
}

pub fn start_existing(env: &SimEnv, inst: &Inst, timeout: Duration) {
    let name = &inst.name;
    match inst.load_yaml() {
        Err(e) => log::fatal(&e),
        Ok(cfg) => {
            if let Err(e) = crate::store::validate_driver(env, &cfg) {
                log::fatal(&e);
            }
        }
    }
    let insp = inst.inspect(env);
    if insp.status == Status::Running {
        log::info(&format!(
            "The instance {} is already running. Run {} to open the shell.",
            env.q(name),
            env.q(&format!("limactl shell {name}"))
        ));
        std::process::exit(0);
    }
    // `cmd/limactl/start.go` `startAction` stops on the inspection's errors before
    // `instance.StartWithPaths` could say "seems running": a live `ha.pid` whose
    // `ha.sock` does not answer, or an `ha.pid` that does not parse
    // (`pkg/store/instance.go` `Inspect`, `ReadPIDFile`). `%+v` of the []error.
    if !insp.errors.is_empty() {
        log::fatal(&format!(
            "errors inspecting instance: [{}]",
            insp.errors.join(" ")
        ));
    }
    if insp.ha_pid != 0 {
        // Reachable only in a race (the agent answered the inspection): the message of
        // `pkg/instance/start.go` `StartWithPaths`.
        log::fatal(&format!(
            "instance {} seems running (hint: remove {} if the instance is not actually running)",
            env.q_pkg(name),
            env.q_pkg(&inst.path("ha.pid").display().to_string())
        ));
    }
    if insp.status != Status::Stopped {
        log::warn(&format!(
            "expected status {}, got {}",
            env.q("Stopped"),
            env.q(insp.status.as_str())
        ));
    }
    log::info(&format!("Using the existing instance {}", env.q(name)));
    let cfg = inst.load_yaml().unwrap_or(Value::Null);
    let vm_type = inst.vm_type(&cfg);
    warn_missing_mounts(env, &cfg);
    crate::guest::boot(env, inst, &cfg);
    log::info(&format!(
        "Starting the instance {} with internal VM driver {}",
        env.q(name),
        env.q(&vm_type)
    ));
    let (out_path, err_path) = crate::hostagent::ha_paths(&inst.dir);
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    let open = |p| OpenOptions::new().create(true).append(true).open(p);
    let (Ok(out), Ok(err)) = (open(&out_path), open(&err_path)) else {
        log::fatal("failed to create the host agent logs");
    };
    let exe = std::env::current_exe().unwrap_or_else(|_| "limactl".into());
    let mut child = Command::new(exe)
        .args(["hostagent", "--pidfile"])
        .arg(inst.path("ha.pid"))
        .arg("--socket")
        .arg(inst.path("ha.sock"))
        .arg(name)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| log::fatal(&format!("failed to start the host agent: {e}")));
    let launched = Instant::now();
    while !inst.path("ha.pid").exists() {
        if launched.elapsed() > Duration::from_secs(5) {
            log::fatal(&format!(
                "hostagent ({}) did not start up in 5s (hint: see {})",
                env.q(&inst.path("ha.pid").display().to_string()),
                env.q(&err_path.display().to_string())
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let hint = format!("(hint: see {})", env.q(&err_path.display().to_string()));
    let mut events = Tail::open(&out_path);
    let mut logs = Tail::open(&err_path);
    let mut port_logged = false;
    loop {
        for line in logs.lines() {
            let parsed: Option<Value> = serde_json::from_str(&line).ok();
            match parsed {
                Some(v) => log::text(
                    v["level"].as_str().unwrap_or("info"),
                    &format!("[hostagent] {}", v["msg"].as_str().unwrap_or("")),
                    &[],
                ),
                None => log::info(&format!("[hostagent] {line}")),
            }
        }
        for line in events.lines() {
            let Ok(ev) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let st = &ev["status"];
            if let (false, Some(p)) = (port_logged, st["sshLocalPort"].as_u64()) {
                port_logged = true;
                log::info(&format!("SSH Local Port: {p}"));
            }
            let errors: Vec<String> = st["errors"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            for e in &errors {
                log::text("error", e, &[]);
            }
            let status_text = format!(
                "status={{Running:{} Degraded:{} Exiting:{} Errors:[{}] SSHLocalPort:{}}}",
                st["running"].as_bool().unwrap_or(false),
                st["degraded"].as_bool().unwrap_or(false),
                st["exiting"].as_bool().unwrap_or(false),
                errors.join(" "),
                st["sshLocalPort"].as_u64().unwrap_or(0)
            );
            if st["exiting"].as_bool() == Some(true) {
                log::fatal(&format!("exiting, {status_text} {hint}"));
            }
            if st["running"].as_bool() == Some(true) {
                if st["degraded"].as_bool() == Some(true) {
                    log::warn(&format!("DEGRADED. The VM seems running, but file sharing and port forwarding may not work. {hint}"));
                    log::fatal(&format!("degraded, {status_text}"));
                }
                log::info(&format!(
                    "READY. Run {} to open the shell.",
                    env.q(&format!("limactl shell {name}"))
                ));
                std::process::exit(0);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            log::fatal(&format!("host agent process has exited: {status}"));
        }
        if launched.elapsed() > timeout {
            log::fatal(&format!(
                "did not receive an event with the {} status",
                env.q_pkg("running")
            ));
        }
        events.wait(Duration::from_millis(200));
    }
}

fn warn_missing_mounts(env: &SimEnv, cfg: &Value) {
    let Some(mounts) = cfg.get("mounts").and_then(Value::as_array) else {
        return;
    };
    for (i, m) in mounts.iter().enumerate() {
        let loc =
            crate::store::expand_home(env, m.get("location").and_then(Value::as_str).unwrap_or(""));
        if !std::path::Path::new(&loc).exists() {
            log::warn(&format!(
                "field `mounts[{i}].location` refers to a non-existent directory: {}:",
                env.q(&loc)
            ));
            let _ = std::fs::create_dir_all(&loc);
        }
    }
}
