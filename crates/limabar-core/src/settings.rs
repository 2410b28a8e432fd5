//! The user's settings, in Limabar's configuration directory as `settings.json`. Written
//! atomically; keys this version does not know (from a newer one) are kept.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The terminal dev shells open in (a terminal id, or a program path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<String>,
    /// The editor folders open in (an editor id: vscode, cursor, vscodium, zed, gateway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub editor: Option<String>,
    /// A limactl binary to use instead of searching (applies at the next launch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limactl: Option<String>,
    /// Notify when a VM Limabar started is ready.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub notify_ready: bool,
    /// Notify when a start fails or comes up degraded.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub notify_problems: bool,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            terminal: None,
            editor: None,
            limactl: None,
            notify_ready: true,
            notify_problems: true,
            other: Default::default(),
        }
    }
}

pub fn path(config_dir: &Path) -> PathBuf {
    config_dir.join("settings.json")
}

impl Settings {
    /// The saved settings; defaults when there are none or the file is unreadable
    /// (an unreadable file is left alone until the next save replaces it whole).
    pub fn load(path: &Path) -> Settings {
        crate::fsutil::load_json(path)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unknown_keys_and_survives_garbage() {
        let t = tempfile::tempdir().unwrap();
        let p = path(t.path());
        assert_eq!(Settings::load(&p), Settings::default());
        std::fs::write(&p, r#"{"terminal":"xterm","fromTheFuture":[1]}"#).unwrap();
        let mut s = Settings::load(&p);
        assert_eq!(s.terminal.as_deref(), Some("xterm"));
        s.terminal = Some("/opt/my term".into());
        s.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("fromTheFuture"), "{text}");
        assert_eq!(Settings::load(&p).terminal.as_deref(), Some("/opt/my term"));
        std::fs::write(&p, "{ trunc").unwrap();
        assert_eq!(Settings::load(&p), Settings::default());
        // Notifications are on unless turned off.
        assert!(Settings::default().notify_ready && Settings::default().notify_problems);
        let off = Settings {
            notify_problems: false,
            ..Settings::default()
        };
        off.save(&p).unwrap();
        assert!(!Settings::load(&p).notify_problems);
        assert!(Settings::load(&p).notify_ready);
    }
}
