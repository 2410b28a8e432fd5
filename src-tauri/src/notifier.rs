//! Desktop notifications behind a trait, so the relay can be tested with a fake and a
//! missing notification server is logged instead of crashing anything.

use limabar_core::live::tray::Notice;

pub trait Notifier: Send + Sync {
    fn notify(&self, notice: Notice);
}

pub struct DesktopNotifier {
    pub app_name: String,
}

impl DesktopNotifier {
    pub fn new(identifier: &str) -> Self {
        #[cfg(target_os = "macos")]
        {
            // Attribute notifications to our bundle (dev builds to Terminal), once.
            let id = if tauri::is_dev() {
                "com.apple.Terminal"
            } else {
                identifier
            };
            let _ = notify_rust::set_application(id);
        }
        let _ = identifier;
        DesktopNotifier {
            app_name: "Limabar".into(),
        }
    }
}

impl Notifier for DesktopNotifier {
    fn notify(&self, notice: Notice) {
        let app_name = self.app_name.clone();
        // `show` blocks on D-Bus; keep it off the async runtime's workers.
        std::thread::spawn(move || {
            let shown = notify_rust::Notification::new()
                .appname(&app_name)
                .summary(&notice.title)
                .body(&notice.body)
                .timeout(notify_rust::Timeout::Milliseconds(8000))
                .show();
            match shown {
                Ok(_) => tracing::info!(title = %notice.title, "notification shown"),
                Err(e) => {
                    tracing::warn!(error = %e, title = %notice.title, "no notification server; notice not shown")
                }
            }
        });
    }
}
