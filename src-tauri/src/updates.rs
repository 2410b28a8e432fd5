//! Signed updates (tauri-plugin-updater): "Check for Updates…" in the tray menu and in
//! Settings, a notification when a newer Limabar is out, and "Install and Restart".
//!
//! A build takes updates when it was packaged with the project's public key and an
//! endpoint (`scripts/package.sh`, from `LIMABAR_UPDATER_PUBKEY`); a build from source
//! has no key and says so instead of checking. The plugin checks the download's
//! minisign signature against the key baked into this build before installing anything,
//! so a tampered download is refused and the app stays as it was.

use std::sync::Mutex;

use limabar_core::live::tray::Notice;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Error, Update, UpdaterExt};

use crate::events;
use crate::notifier::{DesktopNotifier, Notifier};
use crate::update_status::{notice_for, UpdateStatus, UpdateView};

/// Who asked: a check from the tray answers with a notification (the popover may be
/// closed); one from Settings answers in Settings; the daily one speaks only of news.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Asked {
    Tray,
    Settings,
    Daily,
}

/// The app's update state: the status shown, and the update found by the last check
/// (what "Install and Restart" installs).
pub struct Updates {
    status: Mutex<UpdateStatus>,
    found: Mutex<Option<Update>>,
}

impl Updates {
    pub fn new(configured: bool) -> Self {
        Updates {
            status: Mutex::new(if configured {
                UpdateStatus::Idle
            } else {
                UpdateStatus::NotConfigured
            }),
            found: Mutex::new(None),
        }
    }

    pub fn status(&self) -> UpdateStatus {
        self.status
            .lock()
            .map(|s| s.clone())
            .unwrap_or(UpdateStatus::Idle)
    }
}

/// Whether this build was packaged with an update key (`plugins.updater` in its
/// configuration). The plugin is registered only then: without a key it cannot start.
pub fn configured(config: &tauri::Config) -> bool {
    config.plugins.0.contains_key("updater")
}

pub fn view<R: Runtime>(app: &AppHandle<R>) -> UpdateView {
    UpdateView {
        current: app.package_info().version.to_string(),
        status: app.state::<Updates>().status(),
    }
}

fn set(app: &AppHandle, status: UpdateStatus) {
    if let Ok(mut s) = app.state::<Updates>().status.lock() {
        *s = status;
    }
    events::update(app, &view(app));
}

/// Asks the endpoint whether a newer, signed Limabar is out.
pub async fn check(app: AppHandle, asked: Asked) -> UpdateView {
    let before = app.state::<Updates>().status();
    match before {
        UpdateStatus::NotConfigured | UpdateStatus::Checking | UpdateStatus::Installing { .. } => {
            if asked == Asked::Tray {
                notify(&app, notice_for(&before, &view(&app).current));
            }
            return view(&app);
        }
        _ => {}
    }
    set(&app, UpdateStatus::Checking);
    let found = match app.updater() {
        Ok(updater) => updater.check().await,
        Err(e) => Err(e),
    };
    let status = match found {
        Ok(Some(update)) => {
            let status = UpdateStatus::Available {
                version: update.version.clone(),
                notes: update.body.clone(),
            };
            if let Ok(mut f) = app.state::<Updates>().found.lock() {
                *f = Some(update);
            }
            status
        }
        Ok(None) => UpdateStatus::UpToDate,
        Err(e) => {
            tracing::warn!(error = %e, "update check failed");
            UpdateStatus::Failed {
                message: explain(&e),
            }
        }
    };
    let news = matches!(&status, UpdateStatus::Available { .. }) && status != before;
    if asked == Asked::Tray || (asked == Asked::Daily && news) {
        notify(&app, notice_for(&status, &view(&app).current));
    }
    set(&app, status);
    view(&app)
}

/// Downloads the update found by the last check, verifies its signature, installs it
/// and restarts into it. A refused or failed install leaves the installed app alone.
pub async fn install(app: AppHandle) -> UpdateView {
    let found = app
        .state::<Updates>()
        .found
        .lock()
        .ok()
        .and_then(|f| f.clone());
    let Some(update) = found else {
        set(
            &app,
            UpdateStatus::Failed {
                message: "No update to install: check for updates first.".into(),
            },
        );
        return view(&app);
    };
    if matches!(
        app.state::<Updates>().status(),
        UpdateStatus::Installing { .. }
    ) {
        return view(&app); // a double click
    }
    let version = update.version.clone();
    set(
        &app,
        UpdateStatus::Installing {
            version: version.clone(),
        },
    );
    match update.download_and_install(|_, _| {}, || {}).await {
        Ok(()) => {
            tracing::info!(%version, "update installed; restarting");
            app.restart();
        }
        Err(e) => {
            tracing::warn!(error = %e, %version, "update not installed");
            set(
                &app,
                UpdateStatus::Failed {
                    message: explain(&e),
                },
            );
        }
    }
    view(&app)
}

/// What went wrong, in the user's terms, with what to do.
fn explain(e: &Error) -> String {
    match e {
        Error::Minisign(_) | Error::Base64(_) | Error::SignatureUtf8(_) => {
            "The downloaded update is not signed with Limabar's key, so it was not installed. \
             Limabar is unchanged; check again later or download it from the release page."
                .into()
        }
        Error::SignedVersionMismatch { signed, announced } => format!(
            "The update server announced {announced} but offered a download signed for \
             {signed}, so nothing was installed. Limabar is unchanged."
        ),
        Error::Reqwest(_) | Error::Network(_) | Error::ReleaseNotFound => {
            format!("Could not reach the update server ({e}). Check your connection and try again.")
        }
        Error::TargetNotFound(_) | Error::TargetsNotFound(_) => {
            "No update for this kind of installation is published yet.".into()
        }
        Error::AuthenticationFailed => {
            "Installing needs an administrator's password, and it was not given. \
             Limabar is unchanged."
                .into()
        }
        Error::DebInstallFailed | Error::PackageInstallFailed | Error::InvalidUpdaterFormat => {
            format!(
                "The update was verified but could not be installed ({e}). Limabar is unchanged."
            )
        }
        _ => format!("The update failed: {e}."),
    }
}

fn notify(app: &AppHandle, notice: Notice) {
    DesktopNotifier::new(&app.config().identifier).notify(notice);
}

/// A check a minute after launch and then once a day, for a build that takes updates:
/// one sleeping task, nothing polled in between.
pub fn check_daily(app: &AppHandle) {
    if matches!(app.state::<Updates>().status(), UpdateStatus::NotConfigured) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        loop {
            check(app.clone(), Asked::Daily).await;
            tokio::time::sleep(std::time::Duration::from_secs(24 * 60 * 60)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_signature_says_nothing_was_installed() {
        let e = Error::SignatureUtf8("x".into());
        let m = explain(&e);
        assert!(m.contains("not signed with Limabar's key"), "{m}");
        assert!(m.contains("unchanged"), "{m}");
    }

    #[test]
    fn the_version_swap_is_named() {
        let m = explain(&Error::SignedVersionMismatch {
            signed: "0.1.0".into(),
            announced: "9.0.0".into(),
        });
        assert!(
            m.contains("announced 9.0.0") && m.contains("signed for 0.1.0"),
            "{m}"
        );
    }

    #[test]
    fn a_build_without_a_key_is_not_configured() {
        let mut config = tauri::Config::default();
        assert!(!configured(&config));
        config
            .plugins
            .0
            .insert("updater".into(), serde_json::json!({"pubkey": "k"}));
        assert!(configured(&config));
    }
}
