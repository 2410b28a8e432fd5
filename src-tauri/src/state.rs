//! What the app shell keeps between events: the connection to Lima, the monitor, and the
//! popover's visibility. Domain state lives in the core's monitor, not here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use limabar_core::lima::locate::LimaInfo;
use limabar_core::{CoreError, ErrorInfo, InstanceView, Monitor};
use serde::Serialize;
use ts_rs::TS;

/// How the app is talking to Lima; the UI shows onboarding for `failed`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum LimaConnection {
    Connecting,
    Connected { info: LimaInfo },
    Failed { error: ErrorInfo },
}

#[derive(Default)]
pub struct AppState {
    pub monitor: OnceLock<Monitor>,
    /// Flakes and dev shells; set together with the monitor.
    pub dev: OnceLock<std::sync::Arc<crate::devshells::AppDevShells>>,
    pub lima: Mutex<Option<LimaConnection>>,
    pub popover_visible: AtomicBool,
    pub pinned: AtomicBool,
    pub last_blur_hide: Mutex<Option<Instant>>,
    /// A drag is over the popover: blur must not hide it (the user clicked in Finder).
    pub dragging: AtomicBool,
    /// A native dialog of ours (the folder picker) is open: blur must not hide.
    pub dialog_open: AtomicBool,
    /// Bumped on every blur and drag-enter; a delayed hide checks it is still current.
    pub blur_generation: std::sync::atomic::AtomicU64,
    /// The open log view, if any.
    pub logs: Mutex<Option<crate::logs::OpenLogs>>,
    /// The environment captured at launch: the user's home (the "broad folder" rule),
    /// the configuration directory (settings.json), and what connecting again needs.
    pub env: limabar_core::env::HostEnv,
    /// A connection attempt is under way: a second "Check again" waits for it.
    pub connecting: AtomicBool,
}

impl AppState {
    pub fn connection(&self) -> LimaConnection {
        self.lima
            .lock()
            .map(|l| l.clone())
            .ok()
            .flatten()
            .unwrap_or(LimaConnection::Connecting)
    }

    pub fn set_connection(&self, c: LimaConnection) {
        if let Ok(mut l) = self.lima.lock() {
            *l = Some(c);
        }
    }

    /// The monitor, or why there is none yet (still connecting, or no usable Lima).
    pub fn monitor(&self) -> Result<&Monitor, ErrorInfo> {
        self.monitor.get().ok_or_else(|| match self.connection() {
            LimaConnection::Failed { error } => error,
            _ => CoreError::io("Limabar", "still connecting to Lima").info(),
        })
    }

    /// The instance named `name` as the monitor sees it now.
    pub async fn view(&self, name: &str) -> Result<InstanceView, ErrorInfo> {
        self.monitor()?
            .snapshot()
            .await
            .into_iter()
            .find(|v| v.instance.name == name)
            .ok_or_else(|| CoreError::InstanceNotFound { name: name.into() }.info())
    }

    pub fn popover_visible(&self) -> bool {
        self.popover_visible.load(Ordering::SeqCst)
    }
}
