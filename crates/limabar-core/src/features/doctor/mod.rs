//! The doctor: reads a lima.yaml (any instance's, also one made elsewhere) and explains
//! what will go wrong with it for NixOS dev VMs, each finding with why it matters and a
//! fix — a `limactl edit --set` expression where the fix is safe to apply with one click
//! on a stopped instance. Rules are pure functions of the YAML and a few host facts.
//!
//! Lima never uses lima.yaml alone: every load mixes in `$LIMA_HOME/_config/default.yaml`
//! and `$LIMA_HOME/_config/override.yaml` (`pkg/limayaml/load.go` `load`, v2.2.0). The
//! callers read those with [`Global::read`] and examine the [`effective`] config with
//! [`examine_with`]; findings caused by the global files say so and have no `set`.

pub mod global;
pub mod guest;
pub mod layers;
mod rules;
pub mod size;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::error::CoreError;
use crate::lima::version::LimaVersion;

pub use global::Global;
pub use layers::{effective, Layer};

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
    /// Configuration to add to the guest's own NixOS configuration (the guest checks'
    /// fixes), shown to copy.
    pub snippet: Option<String>,
    /// Which settings caused it, to tell lima.yaml from the global files (internal).
    #[serde(skip)]
    #[ts(skip)]
    pub(crate) blame: Blame,
}

/// What a finding is about: a host fact or settings of the effective config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blame {
    /// A fact about the host (Lima's or macOS's version), or a global file itself.
    Host,
    /// These settings (dotted paths, e.g. `ssh.forwardAgent`).
    Keys(&'static [&'static str]),
    /// The effective config's `mounts[i]`.
    Mount(usize),
    /// The effective config's `images[i]`.
    Image(usize),
}

/// The CPU architecture, named as Lima names it (`limatype.X8664`, `limatype.AARCH64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X8664,
    Aarch64,
}

impl Arch {
    /// Lima's name (`x86_64`, `aarch64`), as in lima.yaml's `arch`.
    pub fn lima_name(self) -> &'static str {
        match self {
            Arch::X8664 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// What the rules know about the host.
#[derive(Debug, Clone, Default)]
pub struct Host {
    pub macos: bool,
    /// macOS major version, when on macOS and known.
    pub macos_major: Option<u32>,
    /// macOS minor version (`15.4.1` → 4), when on macOS and known.
    pub macos_minor: Option<u32>,
    /// The host's architecture, when known (an Intel Mac is `X8664`).
    pub arch: Option<Arch>,
    pub lima: Option<LimaVersion>,
    /// The user's home, for `~` and "too broad" mounts.
    pub home: Option<String>,
    /// This machine's physical memory, when known (Lima's default `memory:` is half of
    /// it, at most 4 GiB).
    pub memory_bytes: Option<u64>,
}

impl Host {
    /// This machine's facts, with the Lima version Limabar found. The only place that
    /// asks the system (`sw_vers`) and the build (the architecture).
    pub fn current(lima: Option<LimaVersion>, home: Option<String>) -> Host {
        let macos = cfg!(target_os = "macos");
        let version = if macos { macos_version() } else { None };
        // Limabar's own architecture: Lima checks its own (`runtime.GOARCH == "amd64"`,
        // pkg/driver/vz/vz_driver_darwin.go validateConfig, v2.2.0), and both are
        // native on a Mac unless run under Rosetta.
        let arch = if cfg!(target_arch = "x86_64") {
            Some(Arch::X8664)
        } else if cfg!(target_arch = "aarch64") {
            Some(Arch::Aarch64)
        } else {
            None
        };
        Host {
            macos,
            macos_major: version.map(|v| v.0),
            macos_minor: version.and_then(|v| v.1),
            arch,
            lima,
            home,
            memory_bytes: host_memory(),
        }
    }
}

/// Physical memory: `hw.memsize` on macOS, `MemTotal` on Linux.
fn host_memory() -> Option<u64> {
    if cfg!(target_os = "macos") {
        let out =
            crate::lima::runner::host_program("sysctl", &["-n".as_ref(), "hw.memsize".as_ref()])
                .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    } else {
        let text = std::fs::read_to_string("/proc/meminfo").ok()?;
        crate::features::memory::parse_meminfo(&text).map(|(total, _)| total)
    }
}

fn macos_version() -> Option<(u32, Option<u32>)> {
    let out = crate::lima::runner::host_program("sw_vers", &["-productVersion".as_ref()]).ok()?;
    parse_macos_version(&String::from_utf8_lossy(&out.stdout))
}

/// `15.4.1` → (15, Some(4)); a bare major (`26`) counts as `26.0`.
fn parse_macos_version(s: &str) -> Option<(u32, Option<u32>)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        None => Some(0),
        Some(m) => m.parse().ok(),
    };
    Some((major, minor))
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

/// Every finding for `config` (lima.yaml alone), errors first, in a stable order.
pub fn examine(config: &Value, host: &Host) -> Vec<Finding> {
    let mut found: Vec<Finding> = rules::ALL
        .iter()
        .flat_map(|rule| rule(config, host))
        .collect();
    found.sort_by_key(|f| f.severity);
    found
}

/// Every finding for the config Lima really uses: `instance` (lima.yaml) with
/// `default` (default.yaml) and `over` (override.yaml) mixed in. Findings caused by
/// the global files name the file and carry no `set`.
pub fn examine_layers(
    instance: &Value,
    default: Option<&Value>,
    over: Option<&Value>,
    host: &Host,
) -> Vec<Finding> {
    let config = effective(instance, default, over);
    let mut found = examine(&config, host);
    for f in &mut found {
        layers::attribute(f, instance, default, over);
    }
    found
}

/// [`examine_layers`] with the global files read by [`Global::read`], plus a finding
/// for each of them that Lima cannot read.
pub fn examine_with(instance: &Value, global: &Global, host: &Host) -> Vec<Finding> {
    let mut found = global.problems.clone();
    found.extend(examine_layers(
        instance,
        global.default.as_ref(),
        global.over.as_ref(),
        host,
    ));
    found.sort_by_key(|f| f.severity);
    found
}

/// `{"findings": […]}`, the CLI's `--json`.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct Report {
    pub findings: Vec<Finding>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sw_vers_output() {
        assert_eq!(parse_macos_version("15.4.1\n"), Some((15, Some(4))));
        assert_eq!(parse_macos_version("14.7"), Some((14, Some(7))));
        assert_eq!(parse_macos_version("26"), Some((26, Some(0))));
        assert_eq!(parse_macos_version(""), None);
    }
}
