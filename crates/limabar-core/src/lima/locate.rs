//! Finding limactl and checking its version. Order: `LIMACTL`, the user's setting,
//! `PATH`, then `/opt/homebrew/bin`, `/usr/local/bin`, `~/.local/bin` (apps started from
//! Finder get a minimal PATH, so the well-known places matter on macOS).

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::env::HostEnv;
use crate::error::{CoreError, Result};
use crate::lima::runner::Runner;
use crate::lima::version::{Features, LimaVersion, MINIMUM};

/// A limactl that was found and is new enough.
#[derive(Debug, Clone)]
pub struct Limactl {
    pub runner: Runner,
    pub version: LimaVersion,
    pub features: Features,
}

/// What the UI shows about the Lima it talks to.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LimaInfo {
    pub path: String,
    pub version: LimaVersion,
    pub features: Features,
    /// True when the binary is Limabar's own `limactl-sim` stand-in.
    pub simulated: bool,
}

impl Limactl {
    pub fn info(&self) -> LimaInfo {
        LimaInfo {
            path: self.runner.program.display().to_string(),
            version: self.version,
            features: self.features,
            simulated: is_simulator(&self.runner.program),
        }
    }
}

pub fn is_simulator(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()) == Some("limactl-sim")
}

/// Candidate paths in search order (existence is not checked here).
pub fn candidates(env: &HostEnv, setting: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    out.extend(env.limactl.clone());
    out.extend(setting.map(Path::to_path_buf));
    for dir in env.path.iter().cloned().chain(env.well_known_dirs()) {
        let p = dir.join("limactl");
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The first executable candidate. An explicit `LIMACTL` or setting that does not exist
/// is an error of its own: silently falling back would hide the typo.
pub fn find(env: &HostEnv, setting: Option<&Path>) -> Result<PathBuf> {
    if let Some(explicit) = env.limactl.as_deref().or(setting) {
        return if is_executable(explicit) {
            Ok(explicit.to_path_buf())
        } else {
            Err(CoreError::LimactlNotFound {
                searched: explicit.display().to_string(),
            })
        };
    }
    let all = candidates(env, None);
    all.iter()
        .find(|p| is_executable(p))
        .cloned()
        .ok_or_else(|| CoreError::LimactlNotFound {
            searched: all
                .iter()
                .filter_map(|p| p.parent())
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Finds limactl, runs `--version` and refuses anything below 2.0.
pub async fn connect(env: &HostEnv, setting: Option<&Path>, workdir: &Path) -> Result<Limactl> {
    let program = find(env, setting)?;
    let runner = Runner {
        program,
        workdir: workdir.to_path_buf(),
        path_env: env.child_path(),
        lima_home: env.lima_home.clone(),
    };
    let out = runner.run(&crate::lima::limactl::version()).await?;
    let version =
        LimaVersion::parse_output(&out.stdout).ok_or_else(|| CoreError::UnexpectedOutput {
            detail: format!(
                "`limactl --version` printed {:?}",
                out.stdout.trim().chars().take(80).collect::<String>()
            ),
        })?;
    if version < MINIMUM {
        return Err(CoreError::LimactlTooOld {
            found: version.to_string(),
        });
    }
    Ok(Limactl {
        features: version.features(),
        version,
        runner,
    })
}
