//! One Limabar per user: a second launch (the user opening the app again, the package's
//! post-install launch, a login item racing a click) hands itself to the running app,
//! which opens its popover, and exits.
//!
//! The running app holds an advisory lock (`flock`) on `DATA/app.lock` for its life — the
//! kernel drops it with the process, so a crash leaves nothing stale — and listens on the
//! Unix socket `DATA/app.sock` (mode 0600). A launch that cannot take the lock connects and
//! says `show`. The check runs before Tauri starts, so a second launch never loads GTK or
//! WebKit.
//!
//! This replaces tauri-plugin-single-instance, whose Linux side (zbus 5 on async-io) kept
//! a `blocking` pool thread waking every 500 ms for the app's whole life — the idle app's
//! largest timer (BENCHMARKS.md, "Idle cost"). Here the listener is a descriptor in
//! tokio's reactor: nothing wakes until someone connects.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const REQUEST: &[u8] = b"show\n";
const ANSWER: &[u8] = b"shown\n";
/// How long a second launch waits for the running app: it may have just taken the lock
/// and not yet be listening, or be busy starting (its first listing).
pub const HANDOVER_TIMEOUT: Duration = Duration::from_secs(5);

/// One attempt: a live app answers at once (before it opens the popover); one that is
/// exiting may have stopped accepting while its socket still takes connections.
const ASK_TIMEOUT: Duration = Duration::from_secs(1);

/// What this launch is.
pub enum Claim {
    /// The only Limabar: keep this for the app's life and [`serve`] it.
    First(Primary),
    /// Another Limabar was running and has been asked to show its popover.
    HandedOver,
}

/// The running app's hold: the lock, and the socket second launches talk to.
pub struct Primary {
    _lock: File,
    listener: Option<UnixListener>,
}

/// Why this launch could neither run nor hand over.
#[derive(Debug)]
pub struct ClaimError(pub String);

impl std::fmt::Display for ClaimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    (data_dir.join("app.lock"), data_dir.join("app.sock"))
}

/// Takes the single-instance lock in `data_dir`, or hands this launch over to the app
/// holding it, trying both until `timeout`: the holder may have just taken the lock and
/// not be listening yet, or be on its way out (an update's restart starts the new app
/// before the old one has exited), in which case the lock comes free.
pub fn claim(data_dir: &Path, timeout: Duration) -> Result<Claim, ClaimError> {
    std::fs::create_dir_all(data_dir).map_err(|e| failed("create", data_dir, e))?;
    let (lock_path, socket_path) = paths(data_dir);
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| failed("open", &lock_path, e))?;
    let deadline = Instant::now() + timeout;
    loop {
        match lock.try_lock() {
            Ok(()) => return listen(lock, &socket_path),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(failed("lock", &lock_path, e)),
        }
        let asked = ask(&socket_path, timeout.min(ASK_TIMEOUT));
        if asked.is_ok() {
            return Ok(Claim::HandedOver);
        }
        if Instant::now() >= deadline {
            return Err(ClaimError(format!(
                "Limabar is already running (it holds {}) but did not answer within {:.1} s: {}",
                lock_path.display(),
                timeout.as_secs_f32(),
                asked.unwrap_err()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn failed(what: &str, path: &Path, e: std::io::Error) -> ClaimError {
    ClaimError(format!("could not {what} {}: {e}", path.display()))
}

/// Holding the lock: any socket file left is a dead app's, replaced by this one's. A
/// socket that cannot be made (a data directory whose path is too long for a Unix
/// socket, ~104 bytes) does not stop the app: it runs, and a second launch is told it
/// did not answer.
fn listen(lock: File, socket_path: &Path) -> Result<Claim, ClaimError> {
    match std::fs::remove_file(socket_path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(failed("remove the stale", socket_path, e)),
    }
    let listener = bind_private(socket_path)
        .map_err(|e| tracing::warn!("second launches cannot reach this app: {e}"))
        .ok();
    Ok(Claim::First(Primary {
        _lock: lock,
        listener,
    }))
}

fn bind_private(socket_path: &Path) -> Result<UnixListener, ClaimError> {
    let listener =
        UnixListener::bind(socket_path).map_err(|e| failed("listen on", socket_path, e))?;
    // Only this user may ask (connecting to a Unix socket needs write permission on it).
    std::fs::set_permissions(socket_path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| failed("protect", socket_path, e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| failed("listen on", socket_path, e))?;
    Ok(listener)
}

fn ask(socket_path: &Path, timeout: Duration) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(socket_path)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(REQUEST)?;
    let mut answer = Vec::new();
    stream.take(ANSWER.len() as u64).read_to_end(&mut answer)?;
    if answer == ANSWER {
        Ok(())
    } else {
        Err(std::io::Error::new(
            ErrorKind::InvalidData,
            "it answered something else",
        ))
    }
}

/// Serves second launches for the app's life: each `show` request calls `on_show` once,
/// then is answered. Runs on the app's async runtime.
pub fn serve(primary: Primary, on_show: impl Fn() + Send + Sync + 'static) {
    let on_show = std::sync::Arc::new(on_show);
    let Primary { _lock, listener } = primary;
    let Some(listener) = listener else {
        // No socket: the lock is still this app's for its whole life.
        std::mem::forget(_lock);
        return;
    };
    tauri::async_runtime::spawn(async move {
        // The lock lives as long as this task: the app's life.
        let _lock = _lock;
        let listener = match tokio::net::UnixListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "second launches cannot reach this app");
                return;
            }
        };
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, say: try again later rather than spin.
                    tracing::warn!(error = %e, "could not accept a second launch");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let on_show = on_show.clone();
            // One task per caller: a client that connects and says nothing holds up no one.
            tokio::spawn(async move { answer(stream, on_show.as_ref()).await });
        }
    });
}

async fn answer(mut stream: tokio::net::UnixStream, on_show: &(dyn Fn() + Send + Sync)) {
    let mut request = [0u8; REQUEST.len()];
    let read = tokio::time::timeout(HANDOVER_TIMEOUT, stream.read_exact(&mut request)).await;
    if matches!(read, Ok(Ok(_))) && request == REQUEST {
        // Answered first: opening the popover waits on the main thread (building a
        // webview), and the caller only needs to know it was heard.
        let _ = stream.write_all(ANSWER).await;
        drop(stream);
        on_show();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn first(dir: &Path) -> Primary {
        match claim(dir, Duration::from_secs(1)) {
            Ok(Claim::First(p)) => p,
            Ok(Claim::HandedOver) => panic!("handed over with no app running"),
            Err(e) => panic!("{e}"),
        }
    }

    async fn second(dir: &Path, timeout: Duration) -> Result<Claim, ClaimError> {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || claim(&dir, timeout))
            .await
            .unwrap()
    }

    /// Serves `primary`, counting the popovers it is asked to show.
    fn serve_counting(primary: Primary) -> Arc<AtomicUsize> {
        let shown = Arc::new(AtomicUsize::new(0));
        let counter = shown.clone();
        serve(primary, move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        shown
    }

    /// The count once it reaches `n` (the popover is opened just after the answer), or
    /// what it is after a second.
    async fn shown_count(shown: &AtomicUsize, n: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(1);
        while shown.load(Ordering::SeqCst) < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        shown.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_second_launch_asks_the_first_to_show_and_does_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let shown = serve_counting(first(dir.path()));
        for n in 1..=2 {
            let claim = second(dir.path(), Duration::from_secs(2)).await;
            assert!(matches!(claim, Ok(Claim::HandedOver)), "launch {n}");
            assert_eq!(shown_count(&shown, n).await, n);
        }
        let mode = std::fs::metadata(dir.path().join("app.sock"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the user may ask");
    }

    #[tokio::test]
    async fn a_dead_apps_socket_does_not_stop_the_next_from_running() {
        let dir = tempfile::tempdir().unwrap();
        // What a crashed app leaves: the socket file, no listener, no lock.
        drop(UnixListener::bind(dir.path().join("app.sock")).unwrap());
        let primary = first(dir.path());
        let shown = serve_counting(primary);
        let claim = second(dir.path(), Duration::from_secs(2)).await;
        assert!(matches!(claim, Ok(Claim::HandedOver)));
        assert_eq!(shown_count(&shown, 1).await, 1);
    }

    #[tokio::test]
    async fn the_lock_goes_with_the_app() {
        let dir = tempfile::tempdir().unwrap();
        drop(first(dir.path()));
        // Dropped (the app ended): the next launch is the first again.
        drop(first(dir.path()));
    }

    #[tokio::test]
    async fn a_data_directory_too_long_for_a_socket_still_runs_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("x".repeat(120));
        let primary = first(&deep);
        assert!(primary.listener.is_none());
        serve(primary, || panic!("nothing can ask"));
        // The lock is held all the same: a second launch does not start a second app.
        let claim = second(&deep, Duration::from_millis(300)).await;
        assert!(matches!(claim, Err(ClaimError(e)) if e.contains("already running")));
    }

    #[tokio::test]
    async fn a_launch_while_the_app_exits_becomes_the_app() {
        let dir = tempfile::tempdir().unwrap();
        // An update's restart: the old app, not answering, ends 300 ms into the wait.
        let old = first(dir.path());
        let waiting = second(dir.path(), Duration::from_secs(3));
        let exiting = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(old);
        };
        let (claim, ()) = tokio::join!(waiting, exiting);
        assert!(matches!(claim, Ok(Claim::First(_))), "it did not take over");
    }

    #[tokio::test]
    async fn an_app_that_never_answers_is_reported_not_waited_on_forever() {
        let dir = tempfile::tempdir().unwrap();
        // Holds the lock and the socket but never serves it (a hung app).
        let _hung = first(dir.path());
        let started = Instant::now();
        let claim = second(dir.path(), Duration::from_millis(300)).await;
        let Err(e) = claim else {
            panic!("handed over to an app that never answered")
        };
        assert!(e.0.contains("already running"), "{e}");
        assert!(e.0.contains("app.lock"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn a_caller_that_says_something_else_shows_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let shown = serve_counting(first(dir.path()));
        let mut stream = UnixStream::connect(dir.path().join("app.sock")).unwrap();
        stream.write_all(b"quit\n").unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        assert!(answer.is_empty());
        assert_eq!(shown.load(Ordering::SeqCst), 0);
    }
}
