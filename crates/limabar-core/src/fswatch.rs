//! Watching directories for what Limabar reacts to: entries created, deleted, renamed or
//! rewritten, plus every write to a few named files (logs being followed).
//!
//! The folders Limabar watches hold files written continuously that it does not care
//! about: the VM's disk image in an instance directory (QEMU writes it all the time), a
//! dev server's log in a project folder. The notify crate watches a directory with a
//! fixed inotify mask that includes `IN_MODIFY` and `IN_OPEN`, so each such write would
//! wake a thread. On Linux this watches directories without them (creation, deletion,
//! renames, and a file closed after writing: pid files, `lima.yaml`, a saved
//! `flake.nix`) and the followed files with `IN_MODIFY` on the files themselves,
//! re-armed when one is recreated. Elsewhere (FSEvents on macOS) notify is used as it
//! is, and callers filter. Either way callers receive `notify::Event`s.

use crate::error::{CoreError, Result};

pub use imp::FsWatch;

#[cfg(target_os = "linux")]
mod imp {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
    use notify::event::{CreateKind, DataChange, Event, EventKind, ModifyKind, RemoveKind};

    use super::{CoreError, Result};

    #[derive(Default)]
    struct Table {
        dirs: HashMap<WatchDescriptor, PathBuf>,
        files: HashMap<WatchDescriptor, PathBuf>,
    }

    pub struct FsWatch {
        watches: Watches,
        table: Arc<Mutex<Table>>,
        closed: Arc<AtomicBool>,
        followed: Arc<Vec<String>>,
    }

    fn dir_mask() -> WatchMask {
        WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::CLOSE_WRITE
    }

    fn follow(watches: &mut Watches, table: &Mutex<Table>, file: PathBuf) {
        if let Ok(wd) = watches.add(&file, WatchMask::MODIFY) {
            table.lock().unwrap().files.insert(wd, file);
        }
    }

    impl FsWatch {
        /// `followed`: names of files in the watched directories whose every write is
        /// reported.
        pub fn new(
            followed: &[&str],
            on_event: impl Fn(Event) + Send + 'static,
        ) -> Result<FsWatch> {
            let followed: Arc<Vec<String>> =
                Arc::new(followed.iter().map(|f| f.to_string()).collect());
            let mut inotify =
                Inotify::init().map_err(|e| CoreError::io("watching the Lima directory", e))?;
            let watches = inotify.watches();
            let table = Arc::new(Mutex::new(Table::default()));
            let closed = Arc::new(AtomicBool::new(false));
            let (mut w, t, c) = (watches.clone(), table.clone(), closed.clone());
            let names = followed.clone();
            std::thread::Builder::new()
                .name("limabar-fswatch".into())
                .spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while !c.load(Ordering::SeqCst) {
                        let Ok(events) = inotify.read_events_blocking(&mut buf) else {
                            return;
                        };
                        let mut out = Vec::new();
                        for ev in events {
                            if ev.mask.contains(EventMask::Q_OVERFLOW) {
                                // Events were lost: say every directory changed (the
                                // monitor re-lists).
                                let mut all = Event::new(EventKind::Any);
                                all.paths = t.lock().unwrap().dirs.values().cloned().collect();
                                out.push(all);
                                continue;
                            }
                            let (dir, file) = {
                                let table = t.lock().unwrap();
                                (
                                    table.dirs.get(&ev.wd).cloned(),
                                    table.files.get(&ev.wd).cloned(),
                                )
                            };
                            if let (Some(dir), Some(name)) = (dir, ev.name) {
                                let path = dir.join(name);
                                let is_dir = ev.mask.contains(EventMask::ISDIR);
                                let kind = if ev
                                    .mask
                                    .intersects(EventMask::CREATE | EventMask::MOVED_TO)
                                {
                                    if !is_dir && names.iter().any(|f| name == f.as_str()) {
                                        follow(&mut w, &t, path.clone());
                                    }
                                    EventKind::Create(if is_dir {
                                        CreateKind::Folder
                                    } else {
                                        CreateKind::File
                                    })
                                } else if ev
                                    .mask
                                    .intersects(EventMask::DELETE | EventMask::MOVED_FROM)
                                {
                                    EventKind::Remove(if is_dir {
                                        RemoveKind::Folder
                                    } else {
                                        RemoveKind::File
                                    })
                                } else {
                                    EventKind::Modify(ModifyKind::Data(DataChange::Any))
                                };
                                out.push(Event::new(kind).add_path(path));
                            } else if let Some(file) = file {
                                if ev.mask.contains(EventMask::IGNORED) {
                                    // The file is gone; a new one is followed on creation.
                                    t.lock().unwrap().files.remove(&ev.wd);
                                } else if ev.mask.contains(EventMask::MODIFY) {
                                    out.push(
                                        Event::new(EventKind::Modify(ModifyKind::Data(
                                            DataChange::Any,
                                        )))
                                        .add_path(file),
                                    );
                                }
                            } else if ev.mask.contains(EventMask::IGNORED) {
                                t.lock().unwrap().dirs.remove(&ev.wd);
                            }
                        }
                        for ev in out {
                            on_event(ev);
                        }
                    }
                })
                .map_err(|e| CoreError::io("watching the Lima directory", e))?;
            Ok(FsWatch {
                watches,
                table,
                closed,
                followed,
            })
        }

        pub fn watch_dir(&mut self, dir: &Path) -> Result<()> {
            let wd = self
                .watches
                .add(dir, dir_mask())
                .map_err(|e| CoreError::io(format!("watching {}", dir.display()), e))?;
            self.table
                .lock()
                .unwrap()
                .dirs
                .insert(wd, dir.to_path_buf());
            for f in self.followed.iter() {
                let file = dir.join(f);
                if file.exists() {
                    follow(&mut self.watches, &self.table, file);
                }
            }
            Ok(())
        }

        pub fn unwatch_dir(&mut self, dir: &Path) {
            let wds: Vec<WatchDescriptor> = {
                let mut table = self.table.lock().unwrap();
                let mut wds: Vec<WatchDescriptor> = table
                    .dirs
                    .iter()
                    .filter(|(_, d)| d.as_path() == dir)
                    .map(|(wd, _)| wd.clone())
                    .collect();
                wds.extend(
                    table
                        .files
                        .iter()
                        .filter(|(_, f)| f.parent() == Some(dir))
                        .map(|(wd, _)| wd.clone()),
                );
                for wd in &wds {
                    table.dirs.remove(wd);
                    table.files.remove(wd);
                }
                wds
            };
            for wd in wds {
                let _ = self.watches.remove(wd);
            }
        }
    }

    impl Drop for FsWatch {
        fn drop(&mut self) {
            // Removing the watches queues IN_IGNORED events, which wake the reading
            // thread; it then sees `closed` and ends, closing the inotify descriptor.
            self.closed.store(true, Ordering::SeqCst);
            let wds: Vec<WatchDescriptor> = {
                let table = self.table.lock().unwrap();
                table
                    .dirs
                    .keys()
                    .chain(table.files.keys())
                    .cloned()
                    .collect()
            };
            for wd in wds {
                let _ = self.watches.remove(wd);
            }
            // Also when nothing was watched (a failed first watch): removing a throwaway
            // watch queues an IN_IGNORED as well.
            if let Ok(wd) = self.watches.add("/", WatchMask::DELETE_SELF) {
                let _ = self.watches.remove(wd);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::path::Path;

    use notify::{Event, RecursiveMode, Watcher};

    use super::{CoreError, Result};

    pub struct FsWatch(notify::RecommendedWatcher);

    impl FsWatch {
        /// Every event is reported here: `followed` only matters to the Linux watch.
        pub fn new(
            _followed: &[&str],
            on_event: impl Fn(Event) + Send + 'static,
        ) -> Result<FsWatch> {
            notify::recommended_watcher(move |res: notify::Result<Event>| {
                if let Ok(ev) = res {
                    on_event(ev);
                }
            })
            .map(FsWatch)
            .map_err(|e| CoreError::io("watching the Lima directory", e))
        }

        pub fn watch_dir(&mut self, dir: &Path) -> Result<()> {
            self.0
                .watch(dir, RecursiveMode::NonRecursive)
                .map_err(|e| CoreError::io(format!("watching {}", dir.display()), e))
        }

        pub fn unwatch_dir(&mut self, dir: &Path) {
            let _ = self.0.unwatch(dir);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::Write;
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::Duration;

    use notify::{Event, EventKind};

    use super::FsWatch;

    /// Creates the folder `marker` and returns every event before it, as
    /// "NAME KIND" (inotify keeps the order of events).
    fn until_marker(d: &Path, rx: &mpsc::Receiver<Event>, marker: &str) -> Vec<String> {
        std::fs::create_dir(d.join(marker)).unwrap();
        let mut seen = Vec::new();
        loop {
            let ev = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("an event within 10 s");
            let name = ev.paths[0]
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if name == marker {
                return seen;
            }
            let kind = match ev.kind {
                EventKind::Create(_) => "create",
                EventKind::Remove(_) => "remove",
                EventKind::Modify(_) => "modify",
                _ => "other",
            };
            seen.push(format!("{name} {kind}"));
        }
    }

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn watch_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|c| c.trim() == "limabar-fswatch")
            .count()
    }

    #[test]
    fn dropping_a_watch_ends_its_thread_even_when_it_watched_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let watches: Vec<FsWatch> = (0..10)
            .map(|i| {
                let mut w = FsWatch::new(&[], |_| {}).unwrap();
                if i % 2 == 0 {
                    w.watch_dir(dir.path()).unwrap();
                }
                w
            })
            .collect();
        // A thread names itself once it runs.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while watch_threads() < 10 {
            assert!(
                std::time::Instant::now() < deadline,
                "threads never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let peak = watch_threads();
        drop(watches);
        // (Another test's watch may start meanwhile: one more thread at most.)
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while watch_threads() > peak - 9 {
            assert!(std::time::Instant::now() < deadline, "threads left running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn disk_writes_are_not_seen_but_pids_configs_and_log_writes_are() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ha.stderr.log"), "").unwrap();
        std::fs::write(d.join("diffdisk"), "").unwrap();
        let (tx, rx) = mpsc::channel();
        let mut w = FsWatch::new(&["ha.stdout.log", "ha.stderr.log"], move |ev| {
            let _ = tx.send(ev);
        })
        .unwrap();
        w.watch_dir(d).unwrap();

        // The VM writing its disk image: not one event.
        let disk = std::fs::OpenOptions::new()
            .write(true)
            .open(d.join("diffdisk"))
            .unwrap();
        for i in 0..1000u64 {
            std::os::unix::fs::FileExt::write_at(&disk, b"block", i * 4096).unwrap();
        }
        assert_eq!(until_marker(d, &rx, "m1"), Vec::<String>::new());

        // A log that existed when the watch began is followed; a pid file appears;
        // lima.yaml is rewritten (closed after writing).
        append(&d.join("ha.stderr.log"), "line\n");
        assert!(until_marker(d, &rx, "m2").contains(&"ha.stderr.log modify".into()));
        std::fs::write(d.join("ha.pid"), "42").unwrap();
        assert!(until_marker(d, &rx, "m3").contains(&"ha.pid create".into()));
        std::fs::write(d.join("lima.yaml"), "cpus: 4\n").unwrap();
        assert!(until_marker(d, &rx, "m4").contains(&"lima.yaml modify".into()));

        // A log created later (a new host agent) is followed from its creation, also
        // after being deleted and created again.
        for round in 0..2 {
            append(&d.join("ha.stdout.log"), "");
            let created = until_marker(d, &rx, &format!("c{round}"));
            assert_eq!(
                created.first().map(String::as_str),
                Some("ha.stdout.log create")
            );
            // Written through a descriptor kept open: only the file's own watch sees it.
            let mut log = std::fs::OpenOptions::new()
                .append(true)
                .open(d.join("ha.stdout.log"))
                .unwrap();
            log.write_all(b"{}\n").unwrap();
            let written = until_marker(d, &rx, &format!("w{round}"));
            assert_eq!(written, ["ha.stdout.log modify"], "round {round}");
            drop(log);
            std::fs::remove_file(d.join("ha.stdout.log")).unwrap();
            assert!(
                until_marker(d, &rx, &format!("r{round}")).contains(&"ha.stdout.log remove".into())
            );
        }

        // Once unwatched, nothing more.
        w.unwatch_dir(d);
        append(&d.join("ha.stderr.log"), "line\n");
        std::fs::write(d.join("ha.pid"), "43").unwrap();
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    }
}
