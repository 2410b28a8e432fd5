//! The log view: one instance's host-agent and console logs, the recent window at once
//! and new lines pushed while the view is open (a watch on the instance's folder,
//! dropped when the view closes: nothing runs while nobody looks). One view at a time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use notify::EventKind;
use serde::Serialize;
use ts_rs::TS;

use super::{Push, Session};
use crate::error::{CoreError, Result};
use crate::features::logs::{LogLine, LogView};
use crate::fswatch::FsWatch;

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LogBatch {
    pub name: String,
    pub lines: Vec<LogLine>,
}

impl Session {
    /// Opens `name`'s logs: the recent lines now, later ones pushed as `Push::Logs`.
    pub async fn open_logs(&self, name: &str) -> Result<Vec<LogLine>> {
        let dir = PathBuf::from(self.view(name).await?.instance.dir);
        let (view, lines) = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || LogView::open(&dir))
                .await
                .map_err(|e| CoreError::io("opening logs", e))?
        };
        let paths = view.paths();
        let files: Vec<String> = paths
            .iter()
            .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let view = Arc::new(Mutex::new(view));
        let (pushes, name) = (self.pushes.clone(), name.to_string());
        let mut watcher = FsWatch::new(&files, move |ev| {
            // Our own reads show up as access events: reacting to them would loop.
            if matches!(ev.kind, EventKind::Access(_))
                || !ev.paths.iter().any(|p| paths.contains(p))
            {
                return;
            }
            let lines = view.lock().map(|mut v| v.read_new()).unwrap_or_default();
            if !lines.is_empty() {
                let _ = pushes.send(Push::Logs(LogBatch {
                    name: name.clone(),
                    lines,
                }));
            }
        })?;
        watcher.watch_dir(&dir)?;
        *self.logs.lock().unwrap() = Some(watcher);
        Ok(lines)
    }

    pub fn close_logs(&self) {
        *self.logs.lock().unwrap() = None;
    }
}
