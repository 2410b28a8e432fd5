//! Waiting for another process (not a child) to exit, without polling: the kernel makes
//! a descriptor readable when the process is gone, and tokio's reactor waits on it.
//!
//! - Linux (5.3+): a pidfd (`pidfd_open(2)`), readable once the process has exited.
//! - macOS: a kqueue holding one `EVFILT_PROC`/`NOTE_EXIT` filter for the pid; a kqueue
//!   descriptor is itself readable while it has a pending event. This path is written
//!   from the kqueue(2) man page and has not been compiled or run here (no macOS).
//!
//! The monitor uses it for the host agent named by `ha.pid`: a host agent killed with
//! SIGKILL, by the out-of-memory killer or jetsam, or by a Go panic writes no `exiting`
//! event and leaves its pid files, so nothing else would tell.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// A process whose exit can be awaited.
pub struct ProcessExit {
    /// None: it was already gone when the watch began.
    fd: Option<AsyncFd<OwnedFd>>,
}

impl ProcessExit {
    /// Starts watching `pid`. Call within a tokio runtime. An error means this system
    /// cannot watch it (e.g. a Linux older than 5.3); a process that no longer exists
    /// is not an error: `exited` returns at once.
    pub fn watch(pid: u32) -> io::Result<ProcessExit> {
        let pid = i32::try_from(pid)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a process id"))?;
        match open(pid) {
            Ok(fd) => {
                // SAFETY: `fd` is an open descriptor that the AsyncFd owns from here on
                // (an OwnedFd is closed only when dropped, with it).
                let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
                    .map_err(|e| e.into_parts().1)?;
                Ok(ProcessExit { fd: Some(fd) })
            }
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(ProcessExit { fd: None }),
            Err(e) => Err(e),
        }
    }

    /// Returns once the process has exited (a zombie counts as exited).
    pub async fn exited(&self) {
        let Some(fd) = &self.fd else {
            return;
        };
        // Readable means exited, for good: nothing to read or clear, so one wake-up is
        // the answer. An error from the reactor is taken as "gone" too, so that a
        // waiter is never left hanging.
        let _ = fd.readable().await;
    }
}

#[cfg(target_os = "linux")]
fn open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1; libc
    // has no wrapper on every libc version, so it is called by number. No flags: it is
    // never read (PIDFD_NONBLOCK needs Linux 5.10), only polled.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(target_os = "macos")]
fn open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: kqueue() returns a new descriptor or -1.
    let kq = unsafe { libc::kqueue() };
    if kq < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the descriptor was just created and is owned here (closed on error).
    let kq = unsafe { OwnedFd::from_raw_fd(kq) };
    // SAFETY: a zeroed kevent is a valid value; the fields set are the documented ones.
    let mut change: libc::kevent = unsafe { std::mem::zeroed() };
    change.ident = pid as libc::uintptr_t;
    change.filter = libc::EVFILT_PROC;
    change.flags = libc::EV_ADD | libc::EV_ONESHOT;
    change.fflags = libc::NOTE_EXIT;
    use std::os::fd::AsRawFd;
    // SAFETY: one change in, no events out, no timeout: registers the filter only. A
    // pid that does not exist fails with ESRCH.
    let r = unsafe {
        libc::kevent(
            kq.as_raw_fd(),
            &change,
            1,
            std::ptr::null_mut(),
            0,
            std::ptr::null(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(kq)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn open(_pid: i32) -> io::Result<OwnedFd> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "watching another process's exit is implemented for Linux and macOS",
    ))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests run real programs and read the real environment
mod tests {
    use super::ProcessExit;
    use std::time::Duration;

    #[tokio::test]
    async fn a_process_exit_is_noticed_and_a_gone_process_is_not_an_error() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let watch = ProcessExit::watch(child.id()).unwrap();
        // Still running: not readable.
        assert!(
            tokio::time::timeout(Duration::from_millis(100), watch.exited())
                .await
                .is_err()
        );
        child.kill().unwrap();
        // Not reaped yet: a zombie counts as exited.
        tokio::time::timeout(Duration::from_secs(5), watch.exited())
            .await
            .expect("the exit is noticed");
        child.wait().unwrap();
        let pid = child.id();
        // Reaped: the pid names nothing (unless reused at once, which is unlikely here).
        let gone = ProcessExit::watch(pid).unwrap();
        tokio::time::timeout(Duration::from_secs(1), gone.exited())
            .await
            .expect("a gone process has exited");
        assert!(ProcessExit::watch(0).is_err());
    }
}
