//! The doctor and failure explanations: an instance's findings (from its lima.yaml and
//! the global files Lima mixes in), why its last start failed or came up degraded (from
//! the logs' tails), the one-click safe fixes, and "Copy diagnostics" for a bug report.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use super::{Push, Session};
use crate::error::{CoreError, Result};
use crate::features::doctor::{examine_with, parse, Finding, Global, Host};
use crate::features::explain::{explain, Evidence, Explanation};
use crate::features::logs::recent;
use crate::fsutil::read_tail;
use crate::lima::limactl;
use crate::live::change::InstanceView;
use crate::live::readiness::VmState;

const HA_LOG_TAIL: u64 = 256 * 1024;
const CONSOLE_TAIL: u64 = 16 * 1024;

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Diagnosis {
    pub name: String,
    pub findings: Vec<Finding>,
    /// Why the last start failed or came up degraded (only then).
    pub explanation: Option<Explanation>,
}

/// Reads the instance's files: lima.yaml for the doctor, with the global
/// `_config/default.yaml` and `override.yaml` Lima mixes in; for a failed or degraded
/// state also the logs' tails for the explanation.
pub fn diagnose(view: &InstanceView, host: &Host) -> Diagnosis {
    let dir = Path::new(&view.instance.dir);
    // An instance's directory is `$LIMA_HOME/NAME` (pkg/limatype/dirnames/dirnames.go
    // `InstanceDir`), so its parent is the LIMA_HOME limactl loads it with.
    let global = dir.parent().map(Global::read).unwrap_or_default();
    let findings = match std::fs::read_to_string(dir.join("lima.yaml"))
        .ok()
        .and_then(|t| parse(&t).ok())
    {
        Some(c) => examine_with(&c, &global, host),
        // Without a readable lima.yaml, still what is wrong with the global files.
        None => global.problems,
    };
    let errors: Vec<String> = match &view.state {
        VmState::Failed { reason } => vec![reason.clone()],
        VmState::Degraded { errors, .. } => errors.clone(),
        _ => vec![],
    };
    let explanation = if errors.is_empty() {
        None
    } else {
        let console = read_tail(&crate::features::logs::console_file(dir), CONSOLE_TAIL);
        explain(&Evidence {
            name: &view.instance.name,
            ha_log: &read_tail(&dir.join("ha.stderr.log"), HA_LOG_TAIL),
            console: &console,
            errors: &errors,
            limactl_stderr: "",
            findings: &findings,
        })
    };
    Diagnosis {
        name: view.instance.name.clone(),
        findings,
        explanation,
    }
}

impl Session {
    /// What the doctor's rules know about this machine, read once per session (on macOS
    /// it runs `sw_vers`), off the async threads.
    async fn host(&self) -> Result<Host> {
        if let Some(h) = self.host.get() {
            return Ok(h.clone());
        }
        let lima = Some(self.monitor.info().version);
        let home = self
            .env
            .home
            .as_ref()
            .map(|h| h.to_string_lossy().into_owned());
        let h = tokio::task::spawn_blocking(move || Host::current(lima, home))
            .await
            .map_err(|e| CoreError::io("reading the host", e))?;
        Ok(self.host.get_or_init(|| h).clone())
    }

    /// The files' findings, and for a VM that is up what the guest check last saw.
    async fn diagnose_off_thread(&self, view: InstanceView) -> Result<Diagnosis> {
        let h = self.host().await?;
        let guest = if view.vm_up() {
            self.guest.findings(&view.instance.name)
        } else {
            Vec::new()
        };
        let mut d = tokio::task::spawn_blocking(move || diagnose(&view, &h))
            .await
            .map_err(|e| CoreError::io("diagnosing", e))?;
        d.findings.extend(guest);
        d.findings.sort_by_key(|f| f.severity);
        Ok(d)
    }

    /// `name`'s findings now (and the explanation, when its state is a failure).
    pub async fn diagnosis(&self, name: &str) -> Result<Diagnosis> {
        let v = self.view(name).await?;
        self.diagnose_off_thread(v).await
    }

    /// Diagnoses `view` in the background and pushes the result.
    pub(super) fn push_diagnosis(&self, view: InstanceView) {
        let me = self.me.clone();
        tokio::spawn(async move {
            let Some(s) = me.upgrade() else { return };
            if let Ok(d) = s.diagnose_off_thread(view).await {
                s.push(Push::Diagnosis(d));
            }
        });
    }

    /// Applies the finding `id`'s safe fix with Lima's own edit (`limactl edit --set`),
    /// which only works on a stopped instance; the changed lima.yaml is picked up like
    /// any edit. Under the per-VM lock, like every change.
    pub async fn apply_fix(&self, name: &str, id: &str) -> Result<()> {
        let view = self.view(name).await?;
        if view.vm_up() {
            return Err(CoreError::NotStopped { name: name.into() });
        }
        let d = self.diagnose_off_thread(view).await?;
        let set = d
            .findings
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.set.clone())
            .ok_or_else(|| CoreError::invalid(format!("`{id}` has no one-click fix")))?;
        let _lock = self.monitor.lock(name, "doctor fix")?;
        let out = self
            .monitor
            .limactl()
            .runner
            .run(&limactl::edit(name, &[set]))
            .await?;
        if out.success() {
            Ok(())
        } else {
            Err(CoreError::Failed {
                command: "edit".into(),
                detail: out.failure_message(),
            })
        }
    }

    /// Everything a bug report needs about `name`, the home folder written `~`.
    pub async fn diagnostics_report(&self, name: &str) -> Result<String> {
        let view = self.view(name).await?;
        let info = self.monitor.info().clone();
        let home = self.env.home.clone();
        let host = self.host().await?;
        tokio::task::spawn_blocking(move || {
            let d = diagnose(&view, &host);
            let text = report(&view, &info.path, &info.version.to_string(), &d.findings);
            without_home(text, home.as_deref())
        })
        .await
        .map_err(|e| CoreError::io("gathering diagnostics", e))
    }
}

/// The report with the user's home folder written `~` (it names the user).
fn without_home(text: String, home: Option<&std::path::Path>) -> String {
    match home.map(|h| h.to_string_lossy()) {
        Some(h) if h.len() > 1 => text.replace(&*h, "~"),
        _ => text,
    }
}

fn report(view: &InstanceView, limactl: &str, lima_version: &str, findings: &[Finding]) -> String {
    let dir = PathBuf::from(&view.instance.dir);
    let yaml = std::fs::read_to_string(dir.join("lima.yaml"))
        .unwrap_or_else(|e| format!("(unreadable: {e})"));
    let mut out = format!(
        "Limabar {} · Lima {lima_version} ({limactl}) · {} {}\n\n## Instance\n{}\n\n## lima.yaml\n{yaml}\n## Doctor\n",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        serde_json::to_string_pretty(view).unwrap_or_default(),
    );
    if findings.is_empty() {
        out.push_str("no findings\n");
    }
    for f in findings {
        out.push_str(&format!("- {:?} {}: {}\n", f.severity, f.id, f.message));
    }
    for (title, file) in [
        ("ha.stderr.log", "ha.stderr.log"),
        ("console", "serialv.log"),
        ("console", "serial.log"),
    ] {
        let lines = recent(&dir.join(file), 200);
        if !lines.is_empty() {
            out.push_str(&format!(
                "\n## {title} (last {} lines)\n{}\n",
                lines.len(),
                lines.join("\n")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lima::inventory::LimaStatus;
    use crate::live::readiness::VmState;

    #[test]
    fn the_report_has_what_a_bug_report_needs_and_no_home_folder() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("Users/alice");
        let dir = home.join(".lima/nixos");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("lima.yaml"), "plain: true\n").unwrap();
        let lines: Vec<String> = (0..300)
            .map(|i| format!("{{\"level\":\"info\",\"msg\":\"line {i}\"}}"))
            .collect();
        std::fs::write(dir.join("ha.stderr.log"), lines.join("\n") + "\n").unwrap();
        let mut view = crate::testutil::view("nixos", LimaStatus::Stopped, VmState::Stopped);
        view.instance.dir = dir.to_string_lossy().into_owned();
        let host = Host::default();
        let d = diagnose(&view, &host);
        let text = without_home(
            report(&view, "/opt/homebrew/bin/limactl", "2.2.0", &d.findings),
            Some(&home),
        );
        assert!(
            text.contains("Lima 2.2.0 (/opt/homebrew/bin/limactl)"),
            "{text}"
        );
        assert!(text.contains("## lima.yaml\nplain: true"), "{text}");
        assert!(text.contains("- Error plain-mode"), "{text}");
        assert!(text.contains("## ha.stderr.log (last 200 lines)"), "{text}");
        assert!(
            text.contains("line 299") && !text.contains("\"msg\":\"line 99\""),
            "only the last 200"
        );
        assert!(text.contains("~/.lima/nixos"), "{text}");
        assert!(
            !text.contains(&*home.to_string_lossy()),
            "the home folder is not named"
        );
    }
}
