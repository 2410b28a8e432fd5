//! What the app shell keeps between events: the current Lima session (replaceable: a
//! new limactl path in Settings connects again at once), how that connection stands,
//! and the popover's window state. Domain state lives in the core's session.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use limabar_core::actions::Session;
use limabar_core::features::mounts::Plan;
use limabar_core::lima::locate::LimaInfo;
use limabar_core::{CoreError, ErrorInfo, InstanceView};
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

#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppSnapshot {
    pub lima: LimaConnection,
    pub instances: Vec<InstanceView>,
    /// The UI's clock ticks only while the popover is visible.
    pub popover_visible: bool,
    /// Shared folders waiting for "Restart to apply", by instance.
    pub pending_mounts: BTreeMap<String, Plan>,
    /// What the page remembered before its webview was released (`remember_ui`).
    #[ts(type = "unknown")]
    pub ui_memory: Option<serde_json::Value>,
    /// The popover is pinned (stays open on blur).
    pub pinned: bool,
}

/// The session and the tasks relaying it; replaced together.
pub struct Connected {
    pub session: Arc<Session>,
    pub relays: Vec<tauri::async_runtime::JoinHandle<()>>,
}

impl Drop for Connected {
    fn drop(&mut self) {
        for r in &self.relays {
            r.abort();
        }
    }
}

#[derive(Default)]
pub struct AppState {
    pub connected: RwLock<Option<Connected>>,
    pub lima: Mutex<Option<LimaConnection>>,
    /// Bumped by every connection attempt: a slower, older attempt does not win.
    pub attempt: AtomicU64,
    pub popover_visible: AtomicBool,
    pub pinned: AtomicBool,
    pub last_blur_hide: Mutex<Option<Instant>>,
    /// A drag is over the popover: blur must not hide it (the user clicked in Finder).
    pub dragging: AtomicBool,
    /// A native dialog of ours (the folder picker) is open: blur must not hide.
    pub dialog_open: AtomicBool,
    /// Bumped on every blur and drag-enter; a delayed hide checks it is still current.
    pub blur_generation: AtomicU64,
    /// Bumped on every show and hide; a webview release after the grace checks it.
    pub webview_generation: AtomicU64,
    /// A popover being built waits for its page to paint: where to place it then.
    pub show_when_ready: Mutex<Option<(Option<tauri::Rect>, Instant)>>,
    /// The grace before a closed popover's webview is released (None: the default).
    pub webview_grace: Option<std::time::Duration>,
    /// WebKit's idle network process is kept: under WebDriver (tauri-driver), whose
    /// automation session ends with it (`webkit_network`), or when asked.
    pub keep_network_process: bool,
    /// What the page keeps while it may not exist (a form being filled, the open log
    /// view): opaque to Rust, given back with the snapshot.
    pub ui_memory: Mutex<Option<serde_json::Value>>,
    /// The environment captured at launch: the user's home (the "broad folder" rule),
    /// the configuration directory (settings.json), and what connecting again needs.
    pub env: limabar_core::env::HostEnv,
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

    /// The session, or why there is none (still connecting, or no usable Lima).
    pub fn session(&self) -> Result<Arc<Session>, ErrorInfo> {
        let current = self.connected.read().unwrap();
        current
            .as_ref()
            .map(|c| c.session.clone())
            .ok_or_else(|| match self.connection() {
                LimaConnection::Failed { error } => error,
                _ => CoreError::NotConnected.info(),
            })
    }

    /// What the popover shows: the connection, the monitor's list, pending mounts.
    pub async fn snapshot(&self) -> AppSnapshot {
        let (instances, pending_mounts) = match self.session() {
            Ok(s) => (s.list().await, s.pending_mounts()),
            Err(_) => Default::default(),
        };
        AppSnapshot {
            lima: self.connection(),
            instances,
            popover_visible: self.popover_visible(),
            pending_mounts,
            ui_memory: self.ui_memory.lock().ok().and_then(|m| m.clone()),
            pinned: self.pinned.load(Ordering::SeqCst),
        }
    }

    pub fn popover_visible(&self) -> bool {
        self.popover_visible.load(Ordering::SeqCst)
    }
}
