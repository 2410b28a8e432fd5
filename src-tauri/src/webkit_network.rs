//! WebKitGTK keeps its network process after the last webview is gone (Tauri keeps one
//! `WebContext` for the app's life on Linux, tauri#14626), holding ~34 MiB PSS and
//! ~60 MiB RSS all day for a page that is not there. With no webview and no web
//! process left, nothing holds a connection to it: it is ended, and WebKit starts a new
//! one when the next popover's page asks for it (`WebsiteDataStore::networkProcess()`
//! makes one on demand once the old one has terminated). On macOS WebKit ends it itself.
//!
//! Not under WebDriver: WebKit ends the automation session with the network process
//! (`WebProcessPool::networkProcessDidTerminate`), so tests driving the page keep it;
//! `tests/e2e/tests/footprint.rs` checks the release without WebDriver.

/// Ends the app's idle WebKitNetworkProcess; `webview_exists` is asked on the main
/// thread, where webviews are made, so a popover being built meanwhile keeps it.
#[cfg(target_os = "linux")]
pub fn end_when_idle(app: &tauri::AppHandle, webview_exists: fn(&tauri::AppHandle) -> bool) {
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || {
        if webview_exists(&handle) {
            return;
        }
        let children = children_of(std::process::id());
        // A web process still exiting may still talk to it: left for the next release.
        if children
            .iter()
            .any(|(_, comm)| comm.starts_with("WebKitWebProces"))
        {
            return;
        }
        for (pid, _) in children.iter().filter(|(_, comm)| is_network_process(comm)) {
            tracing::info!(pid, "ending WebKit's idle network process");
            // SAFETY: kill takes no pointers; the pid is our own child, read just now.
            unsafe {
                libc::kill(*pid as libc::pid_t, libc::SIGTERM);
            }
        }
    });
}

#[cfg(not(target_os = "linux"))]
pub fn end_when_idle(_: &tauri::AppHandle, _: fn(&tauri::AppHandle) -> bool) {}

/// `comm` is cut at 15 bytes by the kernel: "WebKitNetworkProcess" reads "WebKitNetworkPr".
fn is_network_process(comm: &str) -> bool {
    comm.starts_with("WebKitNetworkPr")
}

/// The direct children of `parent`, with their `comm`, from /proc.
#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (ppid, comm) = parse_stat(&stat)?;
            (ppid == parent).then_some((pid, comm))
        })
        .collect()
}

/// `(ppid, comm)` from a /proc/PID/stat line: `pid (comm) state ppid …`. The comm may
/// hold spaces and parentheses, so it ends at the last `)`.
fn parse_stat(stat: &str) -> Option<(u32, String)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((ppid, comm))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // a test starts a real child to find
mod tests {
    use super::*;

    #[test]
    fn stat_lines_give_the_parent_and_the_name() {
        let line = "4242 (WebKitNetworkPr) S 4100 4100 4100 0 -1 4194560 1 0";
        assert_eq!(parse_stat(line), Some((4100, "WebKitNetworkPr".into())));
        // A name with spaces and a parenthesis ends at the last ')'.
        let odd = "7 (a) b (c)) R 1 7 7 0";
        assert_eq!(parse_stat(odd), Some((1, "a) b (c)".into())));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("9 (x) S notanumber"), None);
    }

    #[test]
    fn only_the_network_process_is_ended() {
        assert!(is_network_process("WebKitNetworkPr"));
        assert!(!is_network_process("WebKitWebProces"));
        assert!(!is_network_process("limactl"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn children_are_read_from_proc() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let found = children_of(std::process::id());
        child.kill().unwrap();
        let _ = child.wait();
        assert!(
            found
                .iter()
                .any(|(pid, comm)| *pid == child.id() && comm == "sleep"),
            "{found:?}"
        );
    }
}
