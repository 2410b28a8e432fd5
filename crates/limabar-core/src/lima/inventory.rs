//! `limactl list --json`: JSON Lines, one instance per line, 1.x and 2.x shapes.
//! Unknown keys are ignored, unknown statuses become `Unknown`, a garbage line is skipped
//! with a warning while the other lines are still used. `errors` is not text (contract
//! §1.5): it only says "something is wrong"; the words come from stderr warnings.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lima::halog::text_fields;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub enum LimaStatus {
    Running,
    Stopped,
    Broken,
    Unknown,
}

impl LimaStatus {
    fn parse(s: &str) -> Self {
        match s {
            "Running" => LimaStatus::Running,
            "Stopped" => LimaStatus::Stopped,
            "Broken" => LimaStatus::Broken,
            _ => LimaStatus::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Mount {
    pub location: String,
    pub mount_point: String,
    pub writable: bool,
}

/// One instance as `limactl list` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Instance {
    pub name: String,
    pub status: LimaStatus,
    pub dir: String,
    pub vm_type: String,
    pub arch: String,
    pub cpus: Option<u32>,
    #[ts(type = "number | null")]
    pub memory: Option<u64>,
    #[ts(type = "number | null")]
    pub disk: Option<u64>,
    pub ssh_local_port: Option<u16>,
    /// Human-readable problems (from limactl's stderr), empty when none.
    pub errors: Vec<String>,
    pub mounts: Vec<Mount>,
    /// The guest home (`/home/<user>.guest` since Lima 2.1).
    pub guest_home: Option<String>,
    pub protected: bool,
    pub lima_version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInstance {
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    vm_type: String,
    #[serde(default)]
    arch: String,
    cpus: Option<u32>,
    memory: Option<u64>,
    disk: Option<u64>,
    ssh_local_port: Option<u16>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
    config: Option<RawConfig>,
    #[serde(default)]
    protected: bool,
    #[serde(default)]
    lima_version: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    #[serde(default)]
    mounts: Vec<RawMount>,
    user: Option<RawUser>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMount {
    location: String,
    mount_point: Option<String>,
    #[serde(default)]
    writable: Option<bool>,
}

#[derive(Deserialize)]
struct RawUser {
    home: Option<String>,
}

/// The parsed list plus what could not be used.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub instances: Vec<Instance>,
    pub warnings: Vec<String>,
}

/// Parses stdout (JSON Lines) and stderr (logrus text) of `limactl list --json`.
pub fn parse_list(stdout: &str, stderr: &str) -> Listing {
    let messages = error_messages(stderr);
    let mut listing = Listing::default();
    for (n, line) in stdout.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<RawInstance>(line) {
            Ok(raw) => listing.instances.push(convert(raw, &messages)),
            Err(e) => listing.warnings.push(format!(
                "skipped line {} of `limactl list --json` ({e}): {}",
                n + 1,
                line.chars().take(120).collect::<String>()
            )),
        }
    }
    listing
}

fn convert(raw: RawInstance, messages: &HashMap<String, Vec<String>>) -> Instance {
    let config = raw.config.unwrap_or_default();
    let mut errors = messages.get(&raw.name).cloned().unwrap_or_default();
    if errors.is_empty() && !raw.errors.is_empty() {
        errors.push(
            "Lima reports a problem with this instance (run `limactl list` for details)".into(),
        );
    }
    if raw.status.is_empty() && errors.is_empty() {
        errors.push("lima.yaml could not be loaded".into());
    }
    Instance {
        status: LimaStatus::parse(&raw.status),
        mounts: config
            .mounts
            .into_iter()
            .map(|m| Mount {
                mount_point: m.mount_point.unwrap_or_else(|| m.location.clone()),
                location: m.location,
                writable: m.writable.unwrap_or(false),
            })
            .collect(),
        guest_home: config.user.and_then(|u| u.home),
        name: raw.name,
        dir: raw.dir,
        vm_type: raw.vm_type,
        arch: raw.arch,
        cpus: raw.cpus,
        memory: raw.memory,
        disk: raw.disk,
        ssh_local_port: raw.ssh_local_port.filter(|p| *p != 0),
        errors,
        protected: raw.protected,
        lima_version: raw.lima_version,
    }
}

/// `instance `NAME` has errors` warnings carry the readable text in `errors="[…]"`.
fn error_messages(stderr: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for line in stderr.lines() {
        let fields = text_fields(line);
        let msg = fields
            .iter()
            .find(|(k, _)| k == "msg")
            .map(|(_, v)| v.as_str());
        let Some(name) = msg
            .and_then(|m| m.strip_prefix("instance "))
            .and_then(|m| m.strip_suffix(" has errors"))
        else {
            continue;
        };
        let name = name.trim_matches(['`', '"']).to_string();
        // logrus formats the `[]error` field with fmt.Sprint (`cmd/limactl/list.go`
        // `logrus.WithField("errors", instance.Errors)`): `[e1 e2]`, separated by spaces
        // that the errors' own text also has. It cannot be split honestly: one message.
        if let Some((_, errs)) = fields.iter().find(|(k, _)| k == "errors") {
            let inner = errs.trim();
            let inner = inner
                .strip_prefix('[')
                .and_then(|i| i.strip_suffix(']'))
                .unwrap_or(inner)
                .trim();
            if !inner.is_empty() {
                out.entry(name).or_default().push(inner.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
