//! One operation per instance across processes. The monitor already refuses a second
//! operation within one process; the app and the `limabar` command are separate
//! processes, so a restart begun in one while the other edits mounts would interleave
//! `limactl` calls on the same VM. Each operation holds an advisory lock (`flock`) on a
//! file named after the instance and its `$LIMA_HOME`, released when the operation ends
//! or its process dies (the kernel drops the lock with the descriptor, so a crash never
//! leaves an instance locked). The holder writes what it is doing into the file, so the
//! refused side can say what is in progress.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::CoreError;
use crate::features::develop::shells::fnv1a_hex;

/// How long a held lock is tried again before it is reported busy (see `acquire`).
const FORK_WINDOW: Duration = Duration::from_millis(150);

/// Held for the duration of one operation; dropping it releases the lock.
#[derive(Debug)]
pub struct OpLock {
    file: File,
    path: PathBuf,
}

impl OpLock {
    /// Releases the lock and removes its file: for an operation that deleted the
    /// instance, so lock files do not pile up for VMs that are gone. Safe against a
    /// process that opened the file just before: `acquire` only trusts a lock on the
    /// file still at the path, so a lock taken on the removed file is retried.
    pub fn release_and_remove(self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

/// Takes the lock for `name` in `lima_home`, or says who holds it. `locks_dir` is
/// created when missing.
pub fn acquire(
    locks_dir: &Path,
    lima_home: &Path,
    name: &str,
    verb: &str,
) -> Result<OpLock, CoreError> {
    let io = |e: std::io::Error| CoreError::io(format!("lock {}", locks_dir.display()), e);
    std::fs::create_dir_all(locks_dir).map_err(io)?;
    // Instance names are `[A-Za-z0-9][A-Za-z0-9._-]*` (Lima's rule), so they are safe in a
    // file name; the hash keeps two Lima homes with the same instance name apart. The
    // home is resolved first: the monitor and the CLI may spell it differently.
    let lima_home = lima_home
        .canonicalize()
        .unwrap_or_else(|_| lima_home.to_path_buf());
    let home = fnv1a_hex([lima_home.as_os_str().as_encoded_bytes()]);
    let path = locks_dir.join(format!("{name}.{home}.lock"));
    let patience = Instant::now() + FORK_WINDOW;
    let mut file = loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) if is_still_at(&file, &path) => break file,
            // The holder removed the file between our open and our lock
            // (`release_and_remove`): that lock guards nothing, open the path again.
            Ok(()) => continue,
            // A descriptor inherited by a child between its fork and its exec keeps
            // the lock for that moment after its holder dropped it (the monitor spawns
            // limactl all the time; on a loaded machine the moment grows to
            // milliseconds, and CI saw a restart refused with "start" right after the
            // start ended). So a lock is only called busy once it stays held.
            Err(TryLockError::WouldBlock) if Instant::now() < patience => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(CoreError::Busy {
                    name: name.to_string(),
                    operation: if holder.is_empty() {
                        "an operation in another Limabar process".to_string()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
    };
    // Only the holder writes, after locking; a reader sees the old or the new text.
    let who = format!(
        "{verb} (Limabar process {}, {})",
        std::process::id(),
        process_label()
    );
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = file.write_all(who.as_bytes());
    Ok(OpLock { file, path })
}

/// Whether `file` is the file now at `path` (same device and inode).
fn is_still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(now)) => open.dev() == now.dev() && open.ino() == now.ino(),
        _ => false,
    }
}

fn process_label() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lock a child holds between its fork and its exec, just after its holder let
    /// go: taken once it comes free within the window, not refused.
    #[test]
    fn a_lock_released_a_moment_later_is_taken_not_refused() {
        let dir = tempfile::tempdir().unwrap();
        let home = Path::new("/lima home");
        let first = acquire(dir.path(), home, "nixos", "start").unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            drop(first);
        });
        let second = acquire(dir.path(), home, "nixos", "restart");
        releaser.join().unwrap();
        assert!(second.is_ok(), "{second:?}");
    }

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_operation_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let home = Path::new("/lima home");
        let first = acquire(dir.path(), home, "nixos", "restart").unwrap();
        match acquire(dir.path(), home, "nixos", "stop") {
            Err(CoreError::Busy { name, operation }) => {
                assert_eq!(name, "nixos");
                assert!(
                    operation.starts_with("restart (Limabar process "),
                    "{operation}"
                );
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        // Other instances, and the same name in another Lima home, are independent.
        let _other = acquire(dir.path(), home, "default", "start").unwrap();
        let _elsewhere = acquire(dir.path(), Path::new("/other"), "nixos", "start").unwrap();
        drop(first);
        eventually("the lock outlived its holder", || {
            acquire(dir.path(), home, "nixos", "stop").is_ok()
        });
    }

    /// A released lock is free at once, unless another test of this process forked a
    /// child meanwhile: the child shares the open file (and its flock) until it execs,
    /// when close-on-exec lets go of it. Under load that took long enough to fail these
    /// tests twice; `cond` gets two seconds.
    fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !cond() {
            assert!(std::time::Instant::now() < deadline, "{what}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn a_lock_released_with_its_file_leaves_nothing_and_cannot_be_shared() {
        let dir = tempfile::tempdir().unwrap();
        let home = Path::new("/lima home");
        let deleting = acquire(dir.path(), home, "nixos", "delete").unwrap();
        let path = deleting.path.clone();
        // Another process opened the file just before the delete finished.
        let early = File::open(&path).unwrap();
        deleting.release_and_remove();
        assert!(!path.exists(), "the lock file is removed");
        // That process's lock would be on the removed file: not a lock on `nixos`.
        eventually("the removed file stayed locked", || {
            early.try_lock().is_ok()
        });
        assert!(!is_still_at(&early, &path));
        // The next operation gets a fresh file, and a third is refused as usual.
        let next = acquire(dir.path(), home, "nixos", "create").unwrap();
        assert!(is_still_at(&next.file, &path));
        assert!(matches!(
            acquire(dir.path(), home, "nixos", "start"),
            Err(CoreError::Busy { .. })
        ));
    }
}
