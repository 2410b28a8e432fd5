//! With no webview, the app's resident memory is mostly library pages it no longer runs:
//! WebKitGTK and JavaScriptCore, and Mesa (its GL driver and, for software rendering,
//! libLLVM), which GDK's GL probe at start and WebKit's UI side load — about 65 MiB of
//! the closed app's 120 MiB PSS on Linux (BENCHMARKS.md, footprint). They are clean
//! file-backed pages: once no webview exists they are handed back to the kernel
//! (`MADV_PAGEOUT`, Linux ≥ 5.4), as Android compacts its cached apps; the next popover
//! reads them in again. The kernel only reclaims pages no other process maps, so a
//! desktop's shared copies are left alone. GTK, GLib and the app's own code stay: the
//! tray and the monitor run on them all day.

/// Whether a mapped file is one the closed app has no use for.
fn is_webview_only(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.starts_with("libwebkit2gtk-")
        || file.starts_with("libjavascriptcoregtk-")
        || file.starts_with("libLLVM")
        || file.starts_with("libgallium")
        || path.contains("/dri/")
}

/// The (start, length) of the read-only file mappings in a /proc/PID/maps text that
/// belong to [`is_webview_only`] libraries. Writable mappings (relocated data) are
/// anonymous memory once touched, and are left alone.
fn webview_only_ranges(maps: &str) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let range = fields.next()?;
            let perms = fields.next()?;
            let path = fields.nth(3)?;
            if perms.as_bytes().get(1) != Some(&b'-') || !is_webview_only(path) {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            (end > start).then(|| (start, end - start))
        })
        .collect()
}

/// Hands the webview-only library pages back to the kernel. Call only when no webview
/// exists; a page touched later is simply read in again. Returns the bytes advised.
#[cfg(target_os = "linux")]
pub fn webview_libraries() -> usize {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return 0;
    };
    let mut advised = 0;
    for (start, len) in webview_only_ranges(&maps) {
        // SAFETY: the range is one of this process's own mappings, just read from
        // /proc/self/maps; MADV_PAGEOUT changes no contents (file pages are re-read on
        // access) and fails harmlessly (EINVAL on older kernels, ENOMEM if unmapped
        // meanwhile).
        if unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_PAGEOUT) } == 0 {
            advised += len;
        }
    }
    tracing::info!(
        mib = advised / (1 << 20),
        "returned the closed webview's library pages"
    );
    advised
}

#[cfg(not(target_os = "linux"))]
pub fn webview_libraries() -> usize {
    0
}

/// A webview is about to be built: the kernel starts reading the pages handed back in
/// the background (`MADV_WILLNEED` readahead), while GTK builds the window, so building
/// the page does not wait on them one fault at a time.
#[cfg(target_os = "linux")]
pub fn read_back_webview_libraries() {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for (start, len) in webview_only_ranges(&maps) {
        // SAFETY: as in `webview_libraries`: our own mapping, advice only.
        unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_WILLNEED) };
    }
}

#[cfg(not(target_os = "linux"))]
pub fn read_back_webview_libraries() {}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c0000000-55d0c0a00000 r-xp 00000000 08:01 1 /opt/limabar/limabar-app
7f0000000000-7f0002000000 r-xp 00000000 08:01 2 /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0.19.9
7f0002000000-7f0002100000 rw-p 02000000 08:01 2 /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0.19.9
7f0003000000-7f0003800000 r--p 00000000 08:01 3 /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1
7f0004000000-7f0004400000 r-xp 00000000 08:01 4 /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so
7f0005000000-7f0005400000 r-xp 00000000 08:01 5 /usr/lib/x86_64-linux-gnu/libgtk-3.so.0.2406.32
7f0006000000-7f0006100000 rw-p 00000000 00:00 0
7f0007000000-7f0007100000 r-xp 00000000 08:01 6 /usr/lib/x86_64-linux-gnu/libjavascriptcoregtk-4.1.so.0.9.11
";

    #[test]
    fn only_webkit_and_mesa_read_only_pages_are_chosen() {
        let ranges = webview_only_ranges(MAPS);
        assert_eq!(
            ranges,
            vec![
                (0x7f00_0000_0000, 0x200_0000),
                (0x7f00_0300_0000, 0x80_0000),
                (0x7f00_0400_0000, 0x40_0000),
                (0x7f00_0700_0000, 0x10_0000),
            ],
            "not the app, GTK, anonymous memory or relocated data"
        );
        assert!(webview_only_ranges("garbage\n\n7f-7e r-xp 0 0 0 /x/libLLVM.so\n").is_empty());
    }

    /// The resident pages (kB) of this process's mapping of `path`, from smaps.
    #[cfg(target_os = "linux")]
    fn resident_kib(path: &std::path::Path) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        let mut kib = 0;
        for line in smaps.lines() {
            if line
                .split_whitespace()
                .next()
                .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
            {
                inside = line.ends_with(path.to_str().unwrap());
            } else if inside {
                if let Some(v) = line.strip_prefix("Rss:") {
                    kib += v
                        .trim()
                        .trim_end_matches(" kB")
                        .trim()
                        .parse::<u64>()
                        .unwrap();
                }
            }
        }
        kib
    }

    /// A file named like Mesa's LLVM, mapped read-only and read through, is resident;
    /// after the advice it is not (the kernel reclaimed the pages no one else maps).
    #[cfg(target_os = "linux")]
    #[test]
    fn the_chosen_pages_leave_the_resident_set() {
        // Next to the test binary: a disk, where /tmp may be tmpfs (whose pages need swap).
        let exe = std::env::current_exe().unwrap();
        let dir = tempfile::tempdir_in(exe.parent().unwrap()).unwrap();
        let path = dir.path().join("libLLVM-test.so.1");
        let len = 8 << 20;
        std::fs::write(&path, vec![7u8; len]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        use std::os::fd::AsRawFd;
        // SAFETY: a fresh read-only private mapping of a file this test owns, unmapped
        // below; only read through the pointer mmap returned.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let bytes = unsafe { std::slice::from_raw_parts(base as *const u8, len) };
        let sum: u64 = bytes.iter().step_by(4096).map(|&b| b as u64).sum();
        assert_eq!(sum, 7 * (len as u64 / 4096));
        let before = resident_kib(&path);
        assert!(before >= 8 * 1024 - 64, "read in: {before} kB");
        assert!(webview_libraries() >= len);
        let after = resident_kib(&path);
        // SAFETY: the mapping made above, no longer borrowed.
        unsafe { libc::munmap(base, len) };
        assert!(after < before / 4, "still resident: {after} of {before} kB");
    }
}
