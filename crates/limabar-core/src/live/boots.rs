//! Past boot times per instance, for estimates ("about 11 s"). Kept in Limabar's data
//! directory as a small JSON file, written atomically (temp file + rename) so a crash
//! never leaves it half-written; an unreadable file is treated as empty, not an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many recent boots are kept per instance.
const KEEP: usize = 10;

#[derive(Debug, Default)]
pub struct BootHistory {
    path: Option<PathBuf>,
    boots: BTreeMap<String, Vec<f64>>,
}

impl BootHistory {
    /// Loads the file; `None` keeps the history in memory only.
    pub fn load(path: Option<PathBuf>) -> BootHistory {
        let boots = path
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        BootHistory { path, boots }
    }

    pub fn record(&mut self, name: &str, secs: f64) {
        if !secs.is_finite() || secs <= 0.0 {
            return;
        }
        let list = self.boots.entry(name.to_string()).or_default();
        list.push(secs);
        let excess = list.len().saturating_sub(KEEP);
        list.drain(..excess);
        if let Some(p) = &self.path {
            if let Err(e) = save(p, &self.boots) {
                tracing::warn!(error = %e, path = %p.display(), "could not save boot history");
            }
        }
    }

    /// The median of the recent boots, if any.
    pub fn estimate(&self, name: &str) -> Option<f64> {
        let mut v = self.boots.get(name)?.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        Some(v[v.len() / 2])
    }
}

fn save(path: &Path, boots: &BTreeMap<String, Vec<f64>>) -> std::io::Result<()> {
    crate::fsutil::write_atomic(path, &serde_json::to_vec(boots)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_ten_and_estimates_the_median() {
        let mut h = BootHistory::load(None);
        assert_eq!(h.estimate("nixos"), None);
        for s in [30.0, 9.0, 11.0, 10.0] {
            h.record("nixos", s);
        }
        assert_eq!(h.estimate("nixos"), Some(11.0));
        for _ in 0..10 {
            h.record("nixos", 5.0);
        }
        assert_eq!(h.estimate("nixos"), Some(5.0), "old boots fall out");
        h.record("nixos", f64::NAN);
        h.record("nixos", -1.0);
        assert_eq!(h.boots["nixos"].len(), 10);
    }

    #[test]
    fn survives_a_restart_and_a_garbage_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub dir ü/boot-history.json");
        let mut h = BootHistory::load(Some(p.clone()));
        h.record("nixos", 9.8);
        assert_eq!(
            BootHistory::load(Some(p.clone())).estimate("nixos"),
            Some(9.8)
        );
        let files = std::fs::read_dir(p.parent().unwrap()).unwrap().count();
        assert_eq!(files, 1, "no temporary file left");
        std::fs::write(&p, "{ truncated").unwrap();
        let h = BootHistory::load(Some(p));
        assert_eq!(h.estimate("nixos"), None);
    }
}
