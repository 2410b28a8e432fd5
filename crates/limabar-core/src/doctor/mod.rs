//! The doctor: reads a lima.yaml (any instance's, also one made elsewhere) and explains
//! what will go wrong with it for NixOS dev VMs, each finding with why it matters and a
//! fix — a `limactl edit --set` expression where the fix is safe to apply with one click
//! on a stopped instance. Rules are pure functions of the YAML and a few host facts.

mod rules;
pub mod size;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::error::CoreError;
use crate::version::LimaVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Finding {
    /// Stable id (`plain-mode`, `mount-type-9p`, …).
    pub id: &'static str,
    pub severity: Severity,
    /// What is wrong, in plain words.
    pub message: String,
    /// Why it matters.
    pub why: String,
    /// What to do.
    pub fix: String,
    /// A `limactl edit --set` expression that fixes it on a stopped instance, when that
    /// is safe (nothing is lost and nothing is moved).
    pub set: Option<String>,
}

/// What the rules know about the host.
#[derive(Debug, Clone, Default)]
pub struct Host {
    pub macos: bool,
    /// macOS major version, when on macOS and known.
    pub macos_major: Option<u32>,
    pub lima: Option<LimaVersion>,
    /// The user's home, for `~` and "too broad" mounts.
    pub home: Option<String>,
}

impl Host {
    /// This machine's facts, with the Lima version Limabar found.
    pub fn current(lima: Option<LimaVersion>, home: Option<String>) -> Host {
        let macos = cfg!(target_os = "macos");
        Host {
            macos,
            macos_major: if macos { macos_major() } else { None },
            lima,
            home,
        }
    }
}

fn macos_major() -> Option<u32> {
    let out = std::process::Command::new("sw_vers")
        .arg("-productVersion")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Parses lima.yaml text (any valid YAML; Lima's own validation is Lima's job).
pub fn parse(text: &str) -> Result<Value, CoreError> {
    let v: Value = serde_norway::from_str(text).map_err(|e| CoreError::UnexpectedOutput {
        detail: format!("lima.yaml is not valid YAML: {e}"),
    })?;
    Ok(if v.is_null() {
        Value::Object(Default::default())
    } else {
        v
    })
}

/// Every finding for `config`, errors first, in a stable order.
pub fn examine(config: &Value, host: &Host) -> Vec<Finding> {
    let mut found: Vec<Finding> = rules::ALL
        .iter()
        .flat_map(|rule| rule(config, host))
        .collect();
    found.sort_by_key(|f| f.severity);
    found
}

/// `{"findings": […]}`, the CLI's `--json`.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct Report {
    pub findings: Vec<Finding>,
}
