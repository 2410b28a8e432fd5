//! Settings as the front ends see them: read, and saved atomically with every key this
//! version does not know kept. Open at login is the OS's (the app's autostart entry),
//! so it is not stored here. Saving a different limactl path asks the app to connect
//! again at once (`Saved::reconnect`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::env::HostEnv;
use crate::error::{CoreError, Result};
use crate::settings::{self, Settings};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingsView {
    /// The limactl path the user set (empty: search for it).
    pub limactl: String,
    /// The limactl in use now.
    pub limactl_in_use: String,
    pub notify_ready: bool,
    pub notify_problems: bool,
    pub open_at_login: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingsUpdate {
    pub limactl: String,
    pub notify_ready: bool,
    pub notify_problems: bool,
    pub open_at_login: bool,
}

/// What saving changed that the app must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// The limactl setting changed: connect again with it now.
    pub reconnect: bool,
}

pub fn load(env: &HostEnv) -> Settings {
    Settings::load(&settings::path(&env.config_dir))
}

/// Changes settings.json: loaded, changed, written atomically.
pub fn update(env: &HostEnv, change: impl FnOnce(&mut Settings)) -> Result<()> {
    let path = settings::path(&env.config_dir);
    let mut s = Settings::load(&path);
    change(&mut s);
    s.save(&path)
        .map_err(|e| CoreError::io(format!("saving {}", path.display()), e))
}

/// The settings as the Settings pane shows them.
pub fn view(env: &HostEnv, limactl_in_use: Option<String>, open_at_login: bool) -> SettingsView {
    let s = load(env);
    SettingsView {
        limactl: s.limactl.unwrap_or_default(),
        limactl_in_use: limactl_in_use.unwrap_or_default(),
        notify_ready: s.notify_ready,
        notify_problems: s.notify_problems,
        open_at_login,
    }
}

/// Saves what the Settings pane sends; a limactl path that is not a file is refused
/// (nothing is written).
pub fn save(env: &HostEnv, u: &SettingsUpdate) -> Result<Saved> {
    let limactl = Some(u.limactl.trim().to_string()).filter(|l| !l.is_empty());
    if let Some(l) = &limactl {
        if !std::path::Path::new(l).is_file() {
            return Err(CoreError::invalid(format!("`{l}` is not a file")));
        }
    }
    let before = load(env).limactl;
    update(env, |s| {
        s.limactl = limactl.clone();
        s.notify_ready = u.notify_ready;
        s.notify_problems = u.notify_problems;
    })?;
    Ok(Saved {
        reconnect: before != limactl,
    })
}

/// Remembers the editor folders open in (empty: the first one installed).
pub fn set_editor(env: &HostEnv, id: &str) -> Result<()> {
    update(env, |s| {
        s.editor = Some(id.to_string()).filter(|i| !i.trim().is_empty())
    })
}

/// Remembers the terminal dev shells open in (empty: the first one installed).
pub fn set_terminal(env: &HostEnv, id: &str) -> Result<()> {
    update(env, |s| {
        s.terminal = Some(id.to_string()).filter(|i| !i.trim().is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(dir: &std::path::Path) -> HostEnv {
        HostEnv {
            config_dir: dir.to_path_buf(),
            ..HostEnv::default()
        }
    }

    fn update(limactl: &str) -> SettingsUpdate {
        SettingsUpdate {
            limactl: limactl.into(),
            notify_ready: false,
            notify_problems: true,
            open_at_login: false,
        }
    }

    #[test]
    fn a_new_limactl_path_asks_for_a_reconnect_and_a_bad_one_writes_nothing() {
        let t = tempfile::tempdir().unwrap();
        let env = env(t.path());
        let bin = t.path().join("limactl");
        std::fs::write(&bin, "").unwrap();
        let bad = save(&env, &update("/no/such/limactl")).unwrap_err();
        assert_eq!(bad.code(), crate::ErrorCode::InvalidInput);
        assert!(!settings::path(t.path()).exists(), "nothing written");
        let first = save(&env, &update(bin.to_str().unwrap())).unwrap();
        assert!(first.reconnect);
        assert!(!load(&env).notify_ready);
        let again = save(&env, &update(&format!(" {} ", bin.display()))).unwrap();
        assert!(!again.reconnect, "the same path, trimmed");
        assert!(save(&env, &update("")).unwrap().reconnect);
    }
}
