//! Limabar's app shell: tray, popover, notifications and IPC over `limabar-core`.
//! Wiring only — no parsing and no branching on limactl output here.

mod autostart;
mod commands;
mod events;
mod notifier;
mod page_out;
mod picker;
mod popover;
mod relay;
#[cfg(unix)]
mod single_instance;
mod state;
mod tray;
mod update_status;
mod updates;
mod webkit_network;

pub use state::AppSnapshot;
pub use state::LimaConnection;

use limabar_core::env::HostEnv;
use tauri::{Manager, WindowEvent};

pub fn run() {
    quiet_webkit_when_idle();
    // The tray item's StatusNotifierItem Title (what panels and their settings list)
    // is GLib's application name, which defaults to the binary's name, "limabar-app".
    #[cfg(target_os = "linux")]
    gtk::glib::set_application_name("Limabar");
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIMABAR_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let env = HostEnv::capture();
    // Before Tauri: a second launch hands over without loading GTK or WebKit.
    #[cfg(unix)]
    let primary = match single_instance::claim(&env.data_dir, single_instance::HANDOVER_TIMEOUT) {
        Ok(single_instance::Claim::First(primary)) => primary,
        Ok(single_instance::Claim::HandedOver) => {
            tracing::info!("Limabar is already running: asked it to open its popover");
            return;
        }
        Err(e) => {
            tracing::error!("{e}");
            std::process::exit(1);
        }
    };
    let context = tauri::generate_context!();
    let takes_updates = updates::configured(context.config());
    let mut builder = tauri::Builder::default();
    if takes_updates {
        builder = builder.plugin(tauri_plugin_updater::Builder::new().build());
    }
    builder
        // Used from Rust only (the folder picker); the webview has no dialog permission.
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .manage(state::AppState {
            env: env.clone(),
            webview_grace: webview_grace(),
            keep_network_process: keep_network_process(),
            ..Default::default()
        })
        .manage(updates::Updates::new(takes_updates))
        .invoke_handler(tauri::generate_handler![
            commands::snapshot,
            commands::reconnect,
            commands::run_operation,
            commands::limactl_command,
            commands::hide_popover,
            commands::page_ready,
            commands::remember_ui,
            commands::set_pinned,
            commands::delete_vm,
            commands::share_folders,
            commands::apply_pending_mounts,
            commands::pending_mount_commands,
            commands::discard_pending_mounts,
            commands::remove_mount,
            commands::pick_folders,
            commands::flakes,
            commands::open_dev_shell,
            commands::dev_shell_command,
            commands::terminals,
            commands::set_terminal,
            commands::pick_flake_folder,
            commands::diagnosis,
            commands::apply_fix,
            commands::check_guest,
            commands::add_envrc,
            commands::http_ports,
            commands::open_port,
            commands::memory,
            commands::open_logs,
            commands::close_logs,
            commands::diagnostics,
            commands::new_vm_yaml,
            commands::create_vm,
            commands::get_settings,
            commands::save_settings,
            commands::install_cli,
            commands::open_in_editor,
            commands::editors,
            commands::set_editor,
            commands::ssh_config,
            commands::update_status,
            commands::check_for_updates,
            commands::install_update
        ])
        .on_window_event(|window, event| {
            if window.label() == popover::LABEL {
                match event {
                    WindowEvent::Focused(false) => popover::on_blur(window.app_handle()),
                    WindowEvent::Focused(true) => popover::cancel_blur_hide(window.app_handle()),
                    WindowEvent::DragDrop(drag) => popover::on_drag(window.app_handle(), drag),
                    _ => {}
                }
            }
        })
        .setup(move |app| {
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            tray::build(app.handle())?;
            #[cfg(unix)]
            {
                let app = app.handle().clone();
                single_instance::serve(primary, move || popover::show(&app, None));
            }
            relay::connect(app.handle().clone());
            updates::check_daily(app.handle());
            tracing::info!(version = %app.package_info().version, takes_updates, "Limabar started");
            // Tests and screenshots need the window mapped (a hidden window cannot be
            // screenshotted); honoured in debug builds only.
            if cfg!(debug_assertions) && show_at_start() {
                popover::show(app.handle(), None);
            }
            // GDK's GL probe at start loaded Mesa; with no popover yet, it goes back.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                popover::page_out_when_closed(&handle);
            });
            Ok(())
        })
        .build(context)
        .expect("Limabar failed to start")
        .run(|_, event| {
            // A menu-bar app lives on without windows: releasing the popover's webview
            // closes the last one. Quit (the tray menu's, `app.exit`) carries a code.
            if let tauri::RunEvent::ExitRequested {
                api, code: None, ..
            } = event
            {
                api.prevent_exit();
            }
        });
}

/// WebKitGTK's memory-pressure monitor re-reads /proc/meminfo and cgroup files every
/// 5 s in the UI process, and has the web process read its smaps: the idle app's only
/// timer that is ours to turn off (the tree's idle CPU goes from 0.07 to 0.03 s per
/// minute; the timers left are in dependencies, BENCHMARKS.md). For a resident
/// menu-bar app whose page is one small list,
/// the caches it would shed under pressure are worth far less than waking all day. A
/// value the user set is kept. Linux only: WKWebView on macOS has no such poll.
#[allow(clippy::disallowed_methods)] // sets the process environment before any thread
fn quiet_webkit_when_idle() {
    const VAR: &str = "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR";
    // Set before any thread exists: WebKit reads it once, when its first web view is
    // made, and the environment must not change under another thread.
    if cfg!(target_os = "linux") && std::env::var_os(VAR).is_none() {
        std::env::set_var(VAR, "1");
    }
}

/// `LIMABAR_WEBVIEW_GRACE_MS`: how long a closed popover keeps its webview, when not
/// the default 15 s (tests and scripts/bench-footprint.sh shorten it).
#[allow(clippy::disallowed_methods)] // a start-up flag of the app itself, not the host's
fn webview_grace() -> Option<std::time::Duration> {
    let ms = std::env::var("LIMABAR_WEBVIEW_GRACE_MS")
        .ok()?
        .parse()
        .ok()?;
    Some(std::time::Duration::from_millis(ms))
}

/// Whether WebKit's idle network process is kept: under WebDriver
/// (`TAURI_WEBVIEW_AUTOMATION=true`, read as tauri-runtime-wry reads it), and with
/// `LIMABAR_KEEP_NETWORK_PROCESS=1` (scripts/bench-footprint.sh's comparison).
#[allow(clippy::disallowed_methods)] // start-up flags of Tauri and of the app, not the host's
fn keep_network_process() -> bool {
    std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true")
        || std::env::var_os("LIMABAR_KEEP_NETWORK_PROCESS").is_some_and(|v| v == "1")
}

/// `LIMABAR_SHOW_AT_START`: the test and screenshot hook (debug builds only).
#[allow(clippy::disallowed_methods)] // a start-up flag of the app itself, not the host's
fn show_at_start() -> bool {
    std::env::var_os("LIMABAR_SHOW_AT_START").is_some()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The shell's modules use each other without a cycle (ARCHITECTURE.md): a module
    /// names another as `crate::NAME` or in `use crate::{…}`.
    #[test]
    fn the_shells_modules_have_no_import_cycle() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        let modules: BTreeSet<String> = files
            .iter()
            .filter_map(|f| Some(f.path().file_stem()?.to_str()?.to_string()))
            .filter(|m| m != "lib" && m != "main")
            .collect();
        for m in &modules {
            let text = std::fs::read_to_string(dir.join(format!("{m}.rs"))).unwrap();
            // `crate::NAME…` anywhere, and each NAME inside `use crate::{…}`.
            let mut named: BTreeSet<String> = BTreeSet::new();
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                let list = match rest.strip_prefix('{') {
                    Some(r) => &r[..r.find('}').unwrap_or(r.len())],
                    None => rest,
                };
                for part in list.split(',') {
                    let head: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if modules.contains(&head) && head != *m {
                        named.insert(head);
                    }
                    if !rest.starts_with('{') {
                        break;
                    }
                }
            }
            uses.insert(m.clone(), named);
        }
        fn visit(m: &str, g: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>) {
            assert!(
                !path.iter().any(|p| p == m),
                "import cycle: {path:?} -> {m}"
            );
            path.push(m.to_string());
            for n in &g[m] {
                visit(n, g, path);
            }
            path.pop();
        }
        for m in uses.keys() {
            visit(m, &uses, &mut Vec::new());
        }
        assert!(
            uses["relay"].contains("tray"),
            "the test sees imports: {uses:?}"
        );
    }

    /// Every IPC command is one action in a few lines (issue 10: at most five): logic
    /// belongs in the core's session, where the CLI shares it.
    #[test]
    fn every_command_is_at_most_five_lines() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands.rs");
        let text = std::fs::read_to_string(path).unwrap();
        let mut count = 0;
        for chunk in text.split("#[tauri::command]\n").skip(1) {
            let name = chunk
                .split(['(', '<'])
                .next()
                .unwrap_or_default()
                .to_string();
            // The signature ends at the first line ending in `{`; the body at `}` alone.
            let body: Vec<&str> = chunk
                .lines()
                .skip_while(|l| !l.ends_with('{'))
                .skip(1)
                .take_while(|l| *l != "}")
                .collect();
            assert!(body.len() <= 5, "{name}: {} lines", body.len());
            count += 1;
        }
        assert!(count > 20, "the test sees the commands ({count})");
    }
}
