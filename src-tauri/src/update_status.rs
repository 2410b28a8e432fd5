//! Where an update stands, in words: the status Settings and the tray show, the tray's
//! update item and the notification for each status. Pure; `updates` drives the plugin.

use limabar_core::live::tray::Notice;
use serde::Serialize;
use ts_rs::TS;

/// Where an update stands, as Settings and the tray show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
#[ts(export)]
pub enum UpdateStatus {
    /// Built from source, or packaged without an update key: nothing to check.
    NotConfigured,
    /// Not checked yet in this run.
    Idle,
    Checking,
    UpToDate,
    Available {
        version: String,
        notes: Option<String>,
    },
    Installing {
        version: String,
    },
    Failed {
        message: String,
    },
}

/// What the popover shows: this build's version and the update's status.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UpdateView {
    pub current: String,
    pub status: UpdateStatus,
}

pub const CHECK_ITEM: &str = "update:check";
pub const INSTALL_ITEM: &str = "update:install";

/// The tray menu's update item for a status: its id, label, and whether it is enabled.
pub fn menu_item(status: &UpdateStatus) -> (&'static str, String, bool) {
    match status {
        UpdateStatus::Checking => (CHECK_ITEM, "Checking for Updates…".into(), false),
        UpdateStatus::Available { version, .. } => (
            INSTALL_ITEM,
            format!("Install Limabar {version} and Restart"),
            true,
        ),
        UpdateStatus::Installing { version } => (
            INSTALL_ITEM,
            format!("Installing Limabar {version}…"),
            false,
        ),
        _ => (CHECK_ITEM, "Check for Updates…".into(), true),
    }
}

/// The notification that reports a status (a check from the tray, a daily find).
pub fn notice_for(status: &UpdateStatus, current: &str) -> Notice {
    let (title, body) = match status {
        UpdateStatus::NotConfigured => (
            "Updates are not set up in this build".to_string(),
            "This Limabar was built from source; update it the way you built it.".to_string(),
        ),
        UpdateStatus::Idle | UpdateStatus::Checking => (
            "Checking for updates…".to_string(),
            format!("Limabar {current} is asking for news."),
        ),
        UpdateStatus::UpToDate => (
            "Limabar is up to date".to_string(),
            format!("{current} is the newest version."),
        ),
        UpdateStatus::Available { version, .. } => (
            format!("Limabar {version} is available"),
            "Choose \"Install Limabar and Restart\" in the tray menu or in Settings.".to_string(),
        ),
        UpdateStatus::Installing { version } => (
            format!("Installing Limabar {version}…"),
            "Limabar restarts when it is done.".to_string(),
        ),
        UpdateStatus::Failed { message } => ("Update failed".to_string(), message.clone()),
    };
    Notice { title, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_update_is_announced_with_its_version() {
        let n = notice_for(
            &UpdateStatus::Available {
                version: "0.2.0".into(),
                notes: None,
            },
            "0.1.0",
        );
        assert_eq!(n.title, "Limabar 0.2.0 is available");
    }

    #[test]
    fn the_tray_offers_the_install_once_an_update_is_found() {
        let (id, label, enabled) = menu_item(&UpdateStatus::Available {
            version: "0.2.0".into(),
            notes: None,
        });
        assert_eq!(
            (id, label.as_str(), enabled),
            (INSTALL_ITEM, "Install Limabar 0.2.0 and Restart", true)
        );
        assert!(!menu_item(&UpdateStatus::Checking).2);
        assert_eq!(menu_item(&UpdateStatus::UpToDate).0, CHECK_ITEM);
    }
}
