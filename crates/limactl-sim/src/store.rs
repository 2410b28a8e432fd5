//! Instance directories under `$LIMA_HOME` and how Lima inspects them (contract §1.3, §2).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::env::{host_arch, host_os, uid, user_name, SimEnv};

pub struct Inst {
    pub name: String,
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Stopped,
    Broken,
    Invalid,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "Running",
            Status::Stopped => "Stopped",
            Status::Broken => "Broken",
            Status::Invalid => "",
        }
    }
}

pub struct Inspection {
    pub status: Status,
    pub errors: Vec<String>,
    /// Structured form of the errors as `list --json` prints them (lossy, §1.5).
    pub error_values: Vec<Value>,
    pub config: Option<Value>,
    pub ha_pid: u32,
    pub driver_pid: u32,
    pub ssh_port: Option<u16>,
}

pub fn valid_name(name: &str) -> bool {
    let mut prev_sep = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            prev_sep = false;
        } else if matches!(c, '.' | '_' | '-') && !prev_sep {
            prev_sep = true;
        } else {
            return false;
        }
    }
    !name.is_empty()
        && !prev_sep
        && name.len() <= 76
        && !name.ends_with(".yaml")
        && !name.ends_with(".yml")
}

impl Inst {
    pub fn new(env: &SimEnv, name: &str) -> Inst {
        Inst {
            name: name.to_string(),
            dir: env.lima_home.join(name),
        }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The instance, or Lima's error for a missing `lima.yaml` (exit 1).
    pub fn existing_or_exit(env: &SimEnv, name: &str) -> Inst {
        let inst = Inst::new(env, name);
        if !inst.exists() {
            crate::log::fatal(&format!(
                "open {}: no such file or directory",
                inst.path("lima.yaml").display()
            ));
        }
        inst
    }

    pub fn exists(&self) -> bool {
        self.path("lima.yaml").is_file()
    }

    pub fn load_yaml(&self) -> Result<Value, String> {
        let text = std::fs::read_to_string(self.path("lima.yaml")).map_err(|e| e.to_string())?;
        let v: Value =
            serde_norway::from_str(&text).map_err(|e| format!("failed to parse YAML: {e}"))?;
        if !v.is_object() {
            return Err("lima.yaml is not a mapping".into());
        }
        validate(&v)?;
        Ok(v)
    }

    pub fn vm_type(&self, cfg: &Value) -> String {
        cfg.get("vmType")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(default_vm_type)
    }

    pub fn inspect(&self, env: &SimEnv) -> Inspection {
        let raw = match self.load_yaml() {
            Ok(v) => v,
            Err(e) => {
                return Inspection {
                    status: Status::Invalid,
                    errors: vec![e],
                    error_values: vec![],
                    config: None,
                    ha_pid: 0,
                    driver_pid: 0,
                    ssh_port: None,
                }
            }
        };
        let config = fill_defaults(env, &raw, &self.name);
        let vm_type = self.vm_type(&raw);
        let mut errors = Vec::new();
        let ha_pid = read_pid(&self.path("ha.pid"));
        let driver_pid = read_pid(&self.path(&format!("{vm_type}.pid")));
        let mut ssh_port = None;
        let (ha, drv) = match (ha_pid, driver_pid) {
            (Err(e), _) | (_, Err(e)) => {
                errors.push(e);
                (0, 0)
            }
            (Ok(h), Ok(d)) => (h, d),
        };
        if ha != 0 {
            match get_info(&self.path("ha.sock")) {
                Ok(port) => ssh_port = Some(port),
                Err(e) => errors.push(format!(
                    "failed to get Info from {}: {e}",
                    env.q_pkg(&self.path("ha.sock").display().to_string())
                )),
            }
        }
        let status = if !errors.is_empty() {
            Status::Broken
        } else {
            match (ha, drv) {
                (0, 0) => Status::Stopped,
                (_, 0) => {
                    errors.push("host agent is running but driver is not".into());
                    Status::Broken
                }
                (0, _) => {
                    errors.push(format!("{vm_type} driver is running but host agent is not"));
                    Status::Broken
                }
                _ => Status::Running,
            }
        };
        if ssh_port.is_none() {
            ssh_port =
                last_ssh_config_port(&self.path("ssh.config")).filter(|_| env.at_least(2, 1));
        }
        Inspection {
            status,
            error_values: errors.iter().map(|_| json!({})).collect(),
            errors,
            config: Some(config),
            ha_pid: ha,
            driver_pid: drv,
            ssh_port,
        }
    }
}

pub fn default_vm_type() -> String {
    if cfg!(target_os = "macos") {
        "vz"
    } else {
        "qemu"
    }
    .into()
}

/// Mount checks Lima makes at load time (§5.1): relative locations and system mount
/// points are errors. A missing directory is only a warning, given at start.
pub fn validate(cfg: &Value) -> Result<(), String> {
    let mut errs = Vec::new();
    if let Some(mounts) = cfg.get("mounts").and_then(Value::as_array) {
        for (i, m) in mounts.iter().enumerate() {
            let loc = m.get("location").and_then(Value::as_str).unwrap_or("");
            if !(loc.starts_with('/')
                || loc == "~"
                || loc.starts_with("~/")
                || loc.starts_with("{{"))
            {
                errs.push(format!(
                    "field `mounts[{i}].location` must be an absolute path, got `{loc}`"
                ));
            }
            let mp = m.get("mountPoint").and_then(Value::as_str).unwrap_or(loc);
            // An exact `switch *f.MountPoint` (`pkg/limayaml/validate.go`): `/etc/` passes.
            if [
                "/", "/bin", "/dev", "/etc", "/home", "/opt", "/sbin", "/tmp", "/usr", "/var",
            ]
            .contains(&mp)
            {
                errs.push(format!(
                    "field `mounts[{i}].mountPoint` must not be a system path such as /etc or /usr"
                ));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n"))
    }
}

/// The driver's own checks (`pkg/driver/vz/vz_driver_darwin.go` `validateConfig`; its
/// messages switched to backticks in 2.1.2 with `cmd/limactl`, `e7847217`), made
/// by `start`, `edit` and `create` but not by `list` or `validate`: a VZ instance with
/// `mountType: 9p` is listed as Stopped and fails when started.
pub fn validate_driver(env: &SimEnv, cfg: &Value) -> Result<(), String> {
    let vm_type = cfg
        .get("vmType")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(default_vm_type);
    if vm_type == "vz" && cfg.get("mountType").and_then(Value::as_str) == Some("9p") {
        return Err(format!(
            "field {} must be {} or {} for VZ driver , got {}",
            env.q("mountType"),
            env.q("reverse-sshfs"),
            env.q("virtiofs"),
            env.q("9p")
        ));
    }
    Ok(())
}

/// The mounts `list` shows, as `pkg/limayaml/defaults.go` `FillDefault` makes them: the
/// entries of `$LIMA_HOME/_config/default.yaml`, lima.yaml and `_config/override.yaml`
/// in that order, each location's host template (`{{.Home}}`) and `~` expanded, the
/// mount point defaulted to the location, and entries with the same mount point merged
/// into the first (a later `writable` wins).
fn merged_mounts(env: &SimEnv, raw: &Value, instance: Option<&Path>) -> Vec<Value> {
    let config = |f: &str| -> Value {
        std::fs::read_to_string(env.lima_home.join("_config").join(f))
            .ok()
            .and_then(|t| serde_norway::from_str(&t).ok())
            .unwrap_or(Value::Null)
    };
    let (default, over) = (config("default.yaml"), config("override.yaml"));
    let mut out: Vec<Value> = Vec::new();
    for m in [&default, raw, &over]
        .into_iter()
        .filter_map(|v| v.get("mounts").and_then(Value::as_array))
        .flatten()
    {
        let loc = expand_home(env, m.get("location").and_then(Value::as_str).unwrap_or(""));
        let mp = m
            .get("mountPoint")
            .and_then(Value::as_str)
            .map(|mp| mp.replace("{{.Home}}", &guest_home(env, instance)))
            .unwrap_or_else(|| loc.clone());
        let writable = m.get("writable").and_then(Value::as_bool);
        if let Some(prev) = out.iter_mut().find(|p| p["mountPoint"] == mp.as_str()) {
            if let Some(w) = writable {
                prev["writable"] = json!(w);
            }
            continue;
        }
        out.push(json!({"location": loc, "mountPoint": mp, "writable": writable.unwrap_or(false),
               "sshfs": {"cache": true, "followSymlinks": false, "sftpDriver": ""},
               "9p": {"securityModel": "none", "protocolVersion": "9p2000.L", "msize": "128KiB", "cache": "mmap"}}));
    }
    out
}

/// A location as Lima expands it: the host template `{{.Home}}` (the only one the sim
/// knows), then a leading `~`.
pub fn expand_home(env: &SimEnv, loc: &str) -> String {
    let templated = loc.replace("{{.Home}}", &env.home.display().to_string());
    let loc = templated.as_str();
    if loc == "~" {
        env.home.display().to_string()
    } else if let Some(rest) = loc.strip_prefix("~/") {
        env.home.join(rest).display().to_string()
    } else {
        loc.to_string()
    }
}

/// The guest user's home, as `pkg/osutil/user.go` `LimaUser` decides it: `.guest` for an
/// instance created by Lima ≥ 2.1.0, `.linux` before — by the instance's own
/// `lima-version` file (`pkg/limayaml/defaults.go` `ExistingLimaVersion`: no file means
/// older than any release; no instance yet means the running version).
pub fn guest_home(env: &SimEnv, instance: Option<&Path>) -> String {
    let created_by = match instance.filter(|d| d.join("lima.yaml").exists()) {
        None => Some((env.version.0, env.version.1)),
        Some(dir) => std::fs::read_to_string(dir.join("lima-version"))
            .ok()
            .and_then(|v| {
                let mut parts = v.trim().trim_start_matches('v').split('.');
                Some((
                    parts.next()?.parse::<u32>().ok()?,
                    parts.next()?.parse::<u32>().ok()?,
                ))
            }),
    };
    let suffix = if created_by.is_some_and(|v| v >= (2, 1)) {
        "guest"
    } else {
        "linux"
    };
    format!("/home/{}.{suffix}", user_name())
}

/// The default-filled config `list --json` shows (a subset of Lima's, same shapes).
pub fn fill_defaults(env: &SimEnv, raw: &Value, name: &str) -> Value {
    let mut c = Map::new();
    let get = |k: &str| raw.get(k).cloned();
    c.insert(
        "vmType".into(),
        json!(raw
            .get("vmType")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(default_vm_type)),
    );
    c.insert("os".into(), get("os").unwrap_or(json!("Linux")));
    c.insert("arch".into(), get("arch").unwrap_or(json!(host_arch())));
    if let Some(images) = get("images") {
        c.insert("images".into(), images);
    }
    c.insert("cpus".into(), get("cpus").unwrap_or(json!(4)));
    c.insert("memory".into(), get("memory").unwrap_or(json!("4GiB")));
    c.insert("disk".into(), get("disk").unwrap_or(json!("100GiB")));
    let dir = env.lima_home.join(name);
    let mounts = merged_mounts(env, raw, Some(&dir));
    c.insert("mounts".into(), json!(mounts));
    if let Some(mt) = get("mountType") {
        c.insert("mountType".into(), mt);
    }
    c.insert("ssh".into(), json!({"localPort": 0, "loadDotSSHPubKeys": false, "forwardAgent": false, "forwardX11": false, "forwardX11Trusted": false}));
    let containerd = raw.get("containerd").cloned().unwrap_or(json!({}));
    c.insert(
        "containerd".into(),
        json!({
        "system": containerd.get("system").and_then(Value::as_bool).unwrap_or(false),
        "user": containerd.get("user").and_then(Value::as_bool).unwrap_or(true)}),
    );
    c.insert("plain".into(), get("plain").unwrap_or(json!(false)));
    c.insert("user".into(), json!({"name": user_name(), "comment": user_name(), "home": guest_home(env, Some(&dir)), "shell": "/bin/bash", "uid": uid(), "passwordlessSudo": true}));
    if let Some(pf) = get("portForwards") {
        c.insert("portForwards".into(), pf);
    }
    strip_empty_objects(Value::Object(c))
}

/// 2.x removes every empty object (repeatedly) from list output.
pub fn strip_empty_objects(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, strip_empty_objects(v)))
                .filter(|(_, v)| !matches!(v, Value::Object(o) if o.is_empty()))
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.into_iter()
                .map(strip_empty_objects)
                .filter(|v| !matches!(v, Value::Object(o) if o.is_empty()))
                .collect(),
        ),
        other => other,
    }
}

/// `8GiB` → bytes (binary units, as Lima parses `memory` and `disk`).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().trim_end_matches('B').trim_end_matches('i') {
        "" => 1,
        "K" | "k" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    Some((n * mult as f64) as u64)
}

/// A PID file: missing or dead → 0 (a dead PID's file is deleted); garbage → error.
pub fn read_pid(path: &Path) -> Result<u32, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(0);
    };
    // `pkg/store/instance.go` `ReadPIDFile`: strconv.Atoi's own error.
    let pid: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("strconv.Atoi: parsing {:?}: invalid syntax", text.trim()))?;
    if pid_alive(pid) {
        Ok(pid)
    } else {
        let _ = std::fs::remove_file(path);
        Ok(0)
    }
}

pub fn pid_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    pid != 0 && unsafe { libc::kill(pid as libc::pid_t, 0) } == 0
}

/// `GET /v1/info` over `ha.sock` with Lima's 3 s timeout.
pub fn get_info(sock: &Path) -> Result<u16, String> {
    let mut s = UnixStream::connect(sock).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok();
    s.set_write_timeout(Some(Duration::from_secs(3))).ok();
    s.write_all(b"GET /v1/info HTTP/1.1\r\nHost: lima-hostagent\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).map_err(|e| e.to_string())?;
    let body = resp.split("\r\n\r\n").nth(1).ok_or("malformed response")?;
    let v: Value = serde_json::from_str(body.trim()).map_err(|e| e.to_string())?;
    v.get("sshLocalPort")
        .and_then(Value::as_u64)
        .map(|p| p as u16)
        .ok_or_else(|| "no sshLocalPort".into())
}

fn last_ssh_config_port(path: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Port "))?
        .trim()
        .parse()
        .ok()
}

/// Instance names in directory order, skipping `.`/`_` entries and non-directories.
pub fn instance_names(env: &SimEnv) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(&env.lima_home)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| !n.starts_with(['.', '_']))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn host_fields(env: &SimEnv) -> [(&'static str, Value); 4] {
    [
        ("HostOS", json!(host_os())),
        ("HostArch", json!(host_arch())),
        ("LimaHome", json!(env.lima_home.display().to_string())),
        (
            "IdentityFile",
            json!(env.lima_home.join("_config/user").display().to_string()),
        ),
    ]
}
