//! The log view: one instance's host-agent and console logs, the recent window at
//! once and new lines pushed as `limabar://logs` while the view is open (a watch on the
//! instance's folder, dropped when the view closes: nothing runs while nobody looks).
//! "Copy diagnostics" gathers what a bug report needs, with the home folder as `~`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use limabar_core::features::doctor::Finding;
use limabar_core::features::logs::{recent, LogLine, LogView};
use limabar_core::fswatch::FsWatch;
use limabar_core::{CoreError, ErrorInfo, InstanceView};
use notify::EventKind;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::state::AppState;

pub const LOGS_EVENT: &str = "limabar://logs";

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LogBatch {
    pub name: String,
    pub lines: Vec<LogLine>,
}

/// The open log view (at most one: the popover shows one).
pub struct OpenLogs {
    _watcher: FsWatch,
}

#[tauri::command]
pub async fn open_logs(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<LogLine>, ErrorInfo> {
    let dir = PathBuf::from(state.view(&name).await?.instance.dir);
    let (view, lines) = {
        let dir = dir.clone();
        tauri::async_runtime::spawn_blocking(move || LogView::open(&dir))
            .await
            .map_err(|e| CoreError::io("opening logs", e).info())?
    };
    let paths = view.paths();
    let names: Vec<String> = paths
        .iter()
        .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let view = Arc::new(Mutex::new(view));
    let mut watcher = FsWatch::new(&names, move |ev| {
        // Our own reads show up as access events: reacting to them would loop.
        if matches!(ev.kind, EventKind::Access(_)) || !ev.paths.iter().any(|p| paths.contains(p)) {
            return;
        }
        let lines = view.lock().map(|mut v| v.read_new()).unwrap_or_default();
        if !lines.is_empty() {
            let _ = app.emit(
                LOGS_EVENT,
                LogBatch {
                    name: name.clone(),
                    lines,
                },
            );
        }
    })
    .map_err(|e| e.info())?;
    watcher.watch_dir(&dir).map_err(|e| e.info())?;
    *state.logs.lock().unwrap() = Some(OpenLogs { _watcher: watcher });
    Ok(lines)
}

#[tauri::command]
pub fn close_logs(state: State<'_, AppState>) {
    *state.logs.lock().unwrap() = None;
}

/// Everything a bug report needs about one instance, the home folder replaced by `~`.
#[tauri::command]
pub async fn diagnostics(state: State<'_, AppState>, name: String) -> Result<String, ErrorInfo> {
    let view = state.view(&name).await?;
    let m = state.monitor()?;
    let info = m.info().clone();
    let home = state.env.home.clone();
    let host = crate::diagnosis::host_facts(&state);
    tauri::async_runtime::spawn_blocking(move || {
        let d = crate::diagnosis::diagnose(&view, &host);
        let text = report(&view, &info.path, &info.version.to_string(), &d.findings);
        without_home(text, home.as_deref())
    })
    .await
    .map_err(|e| CoreError::io("gathering diagnostics", e).info())
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
    use limabar_core::lima::inventory::{Instance, LimaStatus};
    use limabar_core::VmState;

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
        let view = InstanceView {
            instance: Instance {
                name: "nixos".into(),
                status: LimaStatus::Stopped,
                dir: dir.to_string_lossy().into_owned(),
                vm_type: "vz".into(),
                arch: "aarch64".into(),
                cpus: Some(4),
                memory: None,
                disk: None,
                ssh_local_port: None,
                errors: vec![],
                mounts: vec![],
                guest_home: None,
                protected: false,
                lima_version: "2.2.0".into(),
            },
            state: VmState::Stopped,
            operation: None,
            boot_estimate_secs: None,
        };
        let host = limabar_core::features::doctor::Host::default();
        let d = crate::diagnosis::diagnose(&view, &host);
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
