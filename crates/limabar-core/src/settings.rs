//! The user's settings, in Limabar's data directory as `settings.json`. Written
//! atomically; keys this version does not know (from a newer one) are kept.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The terminal dev shells open in (a terminal id, or a program path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
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
    }
}
