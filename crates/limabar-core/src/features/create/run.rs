//! Creating the VM: Lima does it (`limactl create --tty=false --name NAME FILE`, never
//! `start` of an unknown name, which would make an Ubuntu VM), and says what it is doing
//! only in its log lines on stderr. Those are turned into stages for the UI and the CLI.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

use crate::error::CoreError;
use crate::lima::halog::human_message;
use crate::lima::limactl::{self, CREATE_TIMEOUT};
use crate::lima::runner::{Output, Runner};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CreateStage {
    Checking,
    Downloading,
    Converting,
    Created,
}

impl CreateStage {
    pub fn label(self) -> &'static str {
        match self {
            CreateStage::Checking => "checking the configuration",
            CreateStage::Downloading => "downloading the image",
            CreateStage::Converting => "converting the image to a disk",
            CreateStage::Created => "created",
        }
    }
}

/// The stage a create log line announces, if any.
pub fn stage_of(line: &str) -> Option<CreateStage> {
    let msg = human_message(line).to_ascii_lowercase();
    if msg.contains("download") {
        Some(CreateStage::Downloading)
    } else if msg.contains("convert") {
        Some(CreateStage::Converting)
    } else if msg.contains("to start the instance") {
        Some(CreateStage::Created)
    } else {
        None
    }
}

/// Runs `limactl create` for `file`; `on_stage` gets each stage with the time since the
/// start. Fails with Lima's own reason (an existing name, a rejected template).
///
/// The whole create holds the instance's operation lock (`locks`: the lock directory):
/// Lima writes lima.yaml first and downloads the image afterwards
/// (`pkg/instance/create.go` `Create`, then `Prepare`, from `cmd/limactl/start.go`
/// `createAction`), so for minutes `limactl list` shows an ordinary Stopped instance
/// that a Start, Delete or mount edit would otherwise act on mid-download.
pub async fn create(
    runner: &Runner,
    locks: Option<&Path>,
    name: &str,
    file: &Path,
    mut on_stage: impl FnMut(CreateStage, Duration),
) -> Result<(), CoreError> {
    let _lock = locks
        .map(|dir| crate::live::oplock::acquire(dir, &runner.lima_home, name, "create"))
        .transpose()?;
    let t0 = Instant::now();
    let (mut child, mut lines) = runner.spawn_stderr(&limactl::create(name, file))?;
    on_stage(CreateStage::Checking, t0.elapsed());
    let mut stderr = String::new();
    let mut last = CreateStage::Checking;
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(stage) = stage_of(&line).filter(|s| *s != last) {
                last = stage;
                on_stage(stage, t0.elapsed());
            }
            stderr.push_str(&line);
            stderr.push('\n');
        }
        child.wait().await
    };
    let status = tokio::time::timeout(CREATE_TIMEOUT, read)
        .await
        .map_err(|_| CoreError::Timeout {
            command: "create".into(),
            secs: CREATE_TIMEOUT.as_secs(),
        })?
        .map_err(|e| CoreError::io("running limactl create", e))?;
    let out = Output {
        code: status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr,
    };
    if !out.success() {
        return Err(CoreError::Failed {
            command: "create".into(),
            detail: out.failure_message(),
        });
    }
    if last != CreateStage::Created {
        on_stage(CreateStage::Created, t0.elapsed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_come_from_limas_log_lines() {
        let l = |msg: &str| format!("time=\"2026-11-25T10:00:00Z\" level=info msg=\"{msg}\"");
        assert_eq!(
            stage_of(&l("Attempting to download the image")),
            Some(CreateStage::Downloading)
        );
        assert_eq!(
            stage_of(&l(
                "Converting \\\"/x/image\\\" (qcow2) to a raw disk \\\"/x/disk\\\""
            )),
            Some(CreateStage::Converting)
        );
        assert_eq!(
            stage_of(&l("Run `limactl start nixos` to start the instance.")),
            Some(CreateStage::Created)
        );
        assert_eq!(
            stage_of(&l(
                "Terminal is not available, proceeding without opening an editor"
            )),
            None
        );
    }
}
