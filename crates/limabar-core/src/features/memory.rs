//! What a running VM costs the host in memory, against what its guest really uses, and
//! whether a restart would give much of it back.
//!
//! A VM keeps the host memory its guest ever touched: the guest's free pages stay
//! resident in the VM process (QEMU's RSS; VZ's VirtualMachine process), the balloon
//! returns nothing (lima-vm/lima#2789, #4220), and nix evaluations and builds fill the
//! guest's page cache. Only a restart returns it. So Limabar shows both figures and, when
//! the gap is large, offers the restart.
//!
//! - Held: the VM process Lima names in `<vmType>.pid` in the instance directory
//!   (`pkg/limatype/filenames` `PIDFile`; QEMU writes it with `-pidfile`,
//!   `pkg/driver/qemu/qemu.go`), its resident set from `/proc/PID/status` on Linux. On
//!   macOS with VZ that file names the host agent itself (`pkg/driver/vz/vm_darwin.go`
//!   writes `os.Getpid()`), not the VirtualMachine process that holds the guest's
//!   memory: `vz_memory` finds that process and reads its physical footprint.
//! - In use: the guest's `MemTotal − MemAvailable` from `/proc/meminfo`, read over
//!   `limactl shell` when asked (the popover shows the VM), never on a timer.

use std::path::Path;
use std::time::Duration;

use crate::lima::limactl::{self, Call};

pub const MEMINFO_TIMEOUT: Duration = Duration::from_secs(20);
const GIB: u64 = 1 << 30;

/// The guest's `/proc/meminfo`, read in its root.
pub fn meminfo_call(name: &str) -> Call {
    let words = ["cat", "/proc/meminfo"].map(String::from);
    limactl::shell(name, "/", &words, MEMINFO_TIMEOUT)
}

/// (`MemTotal`, `MemAvailable`) in bytes, from `/proc/meminfo` (values in kB).
pub fn parse_meminfo(text: &str) -> Option<(u64, u64)> {
    let field = |key: &str| -> Option<u64> {
        text.lines().find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            let kb: u64 = rest.split_whitespace().next()?.parse().ok()?;
            Some(kb * 1024)
        })
    };
    let total = field("MemTotal")?;
    let available = field("MemAvailable")?.min(total);
    Some((total, available))
}

/// The resident memory of the VM process of the instance in `dir` (`vm_type` as Lima
/// names it), when this platform can say.
pub fn host_held(dir: &Path, vm_type: &str) -> Option<u64> {
    #[cfg(target_os = "macos")]
    if vm_type == "vz" {
        return crate::features::vz_memory::held(dir);
    }
    if !cfg!(target_os = "linux") || vm_type == "vz" {
        return None;
    }
    let pid: u32 = std::fs::read_to_string(dir.join(format!("{vm_type}.pid")))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    resident_bytes(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// `VmRSS` of a `/proc/PID/status` text, in bytes.
fn resident_bytes(status: &str) -> Option<u64> {
    status.lines().find_map(|l| {
        let kb: u64 = l
            .strip_prefix("VmRSS:")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(kb * 1024)
    })
}

/// What a restart would give back, when it is worth one: the VM holds at least 1 GiB
/// and a quarter more than its guest uses.
pub fn returnable(held: u64, guest_total: u64, guest_available: u64) -> Option<u64> {
    let used = guest_total.saturating_sub(guest_available);
    let gap = held.saturating_sub(used);
    (gap >= GIB && gap * 4 >= held).then_some(gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:        8131436 kB\nMemFree:          120000 kB\nMemAvailable:    6000000 kB\nBuffers:            2000 kB\n";

    #[test]
    fn meminfo_gives_total_and_available_in_bytes() {
        assert_eq!(
            parse_meminfo(MEMINFO),
            Some((8131436 * 1024, 6000000 * 1024))
        );
        assert_eq!(parse_meminfo("MemTotal: 100 kB\n"), None, "no MemAvailable");
        assert_eq!(parse_meminfo("garbage"), None);
        // Never more available than there is.
        assert_eq!(
            parse_meminfo("MemTotal: 10 kB\nMemAvailable: 20 kB\n"),
            Some((10240, 10240))
        );
    }

    #[test]
    fn status_gives_the_resident_set() {
        let status = "Name:\tqemu-system-x86\nVmPeak:\t 9000000 kB\nVmRSS:\t 3145728 kB\n";
        assert_eq!(resident_bytes(status), Some(3 * GIB));
        assert_eq!(resident_bytes("Name:\tx\n"), None);
    }

    #[test]
    fn a_restart_is_offered_only_for_a_large_gap() {
        // Holds 6 GiB, the guest uses 1: 5 GiB back.
        assert_eq!(returnable(6 * GIB, 8 * GIB, 7 * GIB), Some(5 * GIB));
        // Under 1 GiB of gap: not worth a restart.
        assert_eq!(returnable(2 * GIB, 8 * GIB, 6 * GIB + GIB / 2), None);
        // A big VM using most of what it holds: the gap is small next to it.
        assert_eq!(returnable(16 * GIB, 32 * GIB, 19 * GIB), None);
        assert_eq!(returnable(0, 8 * GIB, 8 * GIB), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_pid_file_names_the_process_whose_memory_is_read() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("qemu.pid"),
            format!("{}\n", std::process::id()),
        )
        .unwrap();
        let held = host_held(t.path(), "qemu").unwrap();
        assert!(
            held > 1 << 20,
            "this test process holds more than 1 MiB: {held}"
        );
        assert_eq!(host_held(t.path(), "vz"), None, "VZ names the host agent");
        assert_eq!(host_held(&t.path().join("gone"), "qemu"), None);
    }
}
