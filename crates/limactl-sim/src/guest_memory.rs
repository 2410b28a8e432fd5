//! The VM's memory as the host and the guest see it.
//!
//! - Host: a QEMU VM is its own process, named by `qemu.pid` (QEMU's `-pidfile`,
//!   `pkg/driver/qemu/qemu.go`); its resident set is what the guest ever touched. The
//!   sim's driver process holds `vmRssMiB` of touched memory and, like a VM that keeps
//!   what it touched, only grows: SIGUSR1 makes it read `sim.json` again.
//! - Guest: with `guestMemory`, `shell`'s commands see a `/proc/meminfo` saying
//!   `MemTotal` and `MemAvailable` (bind-mounted over the host's in the guest's mount
//!   namespace, `nixos_guest::command`); without it, the host's own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::scenario::{GuestMemory, Scenario};
use crate::store::Inst;

/// Writes the guest's `/proc/meminfo` (in the kernel's format) for `m`.
pub fn meminfo_file(inst: &Inst, m: &GuestMemory) -> std::io::Result<PathBuf> {
    let path = inst.path("guest-meminfo");
    let kb = |mib: u64| mib * 1024;
    let text = format!(
        "MemTotal:       {:>8} kB\nMemFree:        {:>8} kB\nMemAvailable:   {:>8} kB\n\
         Buffers:               0 kB\nCached:                0 kB\n",
        kb(m.total_mib),
        kb(m.available_mib),
        kb(m.available_mib)
    );
    let tmp = inst.path(&format!("guest-meminfo.{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

static REREAD: AtomicBool = AtomicBool::new(false);

extern "C" fn on_usr1(_: libc::c_int) {
    REREAD.store(true, Ordering::SeqCst);
}

/// The QEMU stand-in: holds `vmRssMiB` of the instance in `dir`, touched, until its
/// stdin (the host agent's pipe) closes; SIGUSR1 grows it to a new `vmRssMiB`.
pub fn run_driver(dir: &Path) {
    // SAFETY: installs a handler that only stores to an atomic; no SA_RESTART, so the
    // blocking read below returns EINTR and the size is read again.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
    }
    let mut held: Vec<Vec<u8>> = Vec::new();
    let grow = |held: &mut Vec<Vec<u8>>| {
        let want = Scenario::load(dir).vm_rss_mib.unwrap_or(0) as usize;
        while held.len() < want {
            // Touched, so it is resident (a VM's guest wrote to it).
            held.push(vec![1u8; 1 << 20]);
        }
    };
    grow(&mut held);
    // Tell the host agent it holds it (then stdout is closed: nothing else is written).
    // SAFETY: writes one byte we own to our stdout, then closes it.
    unsafe {
        libc::write(1, b"\n".as_ptr().cast(), 1);
        libc::close(1);
    }
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reads into a buffer we own, from our stdin.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            continue;
        }
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            if REREAD.swap(false, Ordering::SeqCst) {
                grow(&mut held);
            }
            continue;
        }
        break; // EOF: the host agent is gone
    }
    std::hint::black_box(&held);
}
