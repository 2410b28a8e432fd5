//! `limactl list [--json|--format json] [NAME…]` (contract §1, §11.2–11.4).

use serde_json::{json, Map, Value};

use crate::env::SimEnv;
use crate::log;
use crate::store::{host_fields, instance_names, parse_bytes, strip_empty_objects, Inst, Status};

pub fn run(env: &SimEnv, args: &[String]) {
    let mut json_out = false;
    let mut format: Option<String> = None;
    let mut names = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json_out = true,
            "--format" | "-f" => format = it.next().cloned(),
            s if s.starts_with("--format=") => format = Some(s["--format=".len()..].to_string()),
            "-q" | "--quiet" => format = Some("quiet".into()),
            s if s.starts_with('-') => log::fatal(&format!("unknown flag: {s}")),
            s => names.push(s.to_string()),
        }
    }
    if json_out && format.is_some() {
        log::fatal("option --json conflicts with option --format");
    }
    let as_json = json_out || format.as_deref() == Some("json");
    let listed = if names.is_empty() {
        instance_names(env)
    } else {
        names.clone()
    };
    if names.is_empty() && listed.is_empty() {
        log::warn("No instance found. Run `limactl create` to create an instance.");
        return;
    }
    let mut unmatched = false;
    for name in &listed {
        let inst = Inst::new(env, name);
        if !inst.dir.is_dir() {
            log::warn(&format!("No instance matching {name} found."));
            unmatched = true;
            continue;
        }
        if !inst.exists() {
            if !env.at_least(2, 2) {
                log::fatal(&format!(
                    "unable to load instance {name}: open {}: no such file or directory",
                    inst.path("lima.yaml").display()
                ));
            }
            log::warn(&format!(
                "The directory {} does not look like a valid Lima directory: lima.yaml not found",
                env.q(&inst.dir.display().to_string())
            ));
        }
        let line = line_for(env, &inst);
        if as_json {
            println!("{line}");
        } else {
            let v: Value = serde_json::from_str(&line).unwrap_or_default();
            println!(
                "{}\t{}",
                name,
                v.get("status").and_then(Value::as_str).unwrap_or("")
            );
        }
    }
    if unmatched {
        log::fatal("unmatched instances");
    }
}

/// One compact JSON line with Lima's key order.
pub fn line_for(env: &SimEnv, inst: &Inst) -> String {
    let mut m = Map::new();
    m.insert("name".into(), json!(inst.name));
    if !inst.exists() {
        // 2.2+ (`cmd/limactl/list.go`; bats `hack/bats/tests/list.bats`): the warning
        // names the missing file like any other inspection error.
        log::text(
            "warning",
            &format!("instance {} has errors", env.q(&inst.name)),
            &[(
                "errors",
                &format!(
                    "[open {}: no such file or directory]",
                    inst.path("lima.yaml").display()
                ),
            )],
        );
        m.insert("hostname".into(), json!(""));
        m.insert("status".into(), json!("Broken"));
        m.insert("dir".into(), json!(inst.dir.display().to_string()));
        m.insert("vmType".into(), json!(""));
        m.insert("arch".into(), json!(""));
        m.insert(
            "errors".into(),
            json!([{"Op": "open", "Path": inst.path("lima.yaml").display().to_string(), "Err": 2}]),
        );
        m.insert("protected".into(), json!(false));
        m.insert("limaVersion".into(), json!(""));
        for (k, v) in host_fields(env) {
            m.insert(k.into(), v);
        }
        return Value::Object(m).to_string();
    }
    let insp = inst.inspect(env);
    if !insp.errors.is_empty() {
        log::text(
            "warning",
            &format!("instance {} has errors", env.q(&inst.name)),
            // logrus formats the []error field with fmt.Sprint: `[e1 e2]`.
            &[("errors", &format!("[{}]", insp.errors.join(" ")))],
        );
    }
    m.insert(
        "hostname".into(),
        json!(format!("lima-{}", inst.name.replace(['.', '_'], "-"))),
    );
    m.insert("status".into(), json!(insp.status.as_str()));
    m.insert("dir".into(), json!(inst.dir.display().to_string()));
    let cfg = insp.config.clone().unwrap_or(Value::Null);
    let s = |k: &str| cfg.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    m.insert(
        "vmType".into(),
        json!(if insp.status == Status::Invalid {
            String::new()
        } else {
            s("vmType")
        }),
    );
    m.insert(
        "arch".into(),
        json!(if insp.status == Status::Invalid {
            String::new()
        } else {
            s("arch")
        }),
    );
    if env.version.0 < 2 {
        m.insert("cpuType".into(), json!(""));
    }
    if let Some(c) = cfg.get("cpus") {
        m.insert("cpus".into(), c.clone());
    }
    for key in ["memory", "disk"] {
        if let Some(b) = cfg.get(key).and_then(Value::as_str).and_then(parse_bytes) {
            m.insert(key.into(), json!(b));
        }
    }
    if let Some(p) = insp.ssh_port {
        m.insert("sshLocalPort".into(), json!(p));
    }
    if insp.config.is_some() {
        m.insert(
            "sshConfigFile".into(),
            json!(inst.path("ssh.config").display().to_string()),
        );
    }
    if insp.ha_pid != 0 {
        m.insert("hostAgentPID".into(), json!(insp.ha_pid));
    }
    if insp.driver_pid != 0 {
        m.insert("driverPID".into(), json!(insp.driver_pid));
    }
    if !insp.errors.is_empty() {
        m.insert("errors".into(), json!(insp.error_values));
    }
    if let Some(c) = insp.config {
        m.insert("config".into(), c);
        m.insert("sshAddress".into(), json!("127.0.0.1"));
    }
    m.insert("protected".into(), json!(inst.path("protected").exists()));
    m.insert(
        "limaVersion".into(),
        json!(std::fs::read_to_string(inst.path("lima-version"))
            .unwrap_or_default()
            .trim()),
    );
    for (k, v) in host_fields(env) {
        m.insert(k.into(), v);
    }
    let v = Value::Object(m);
    if env.at_least(2, 0) {
        strip_empty_objects(v)
    } else {
        v
    }
    .to_string()
}
