//! Following a log, woken by file-system notifications.
//!
//! - `Tail::open`: the file handle stays open, so a deleted-and-recreated log is not
//!   followed. `start` and `stop` use it on the log they just opened.
//! - `Tail::reopening`: what `limactl watch` does from Lima 2.1 on
//!   (`pkg/hostagent/events/watcher.go` `Watch`: nxadm/tail with `Follow: true,
//!   ReOpen: true, MustExist: false`): a missing log is waited for, a recreated one is
//!   reopened and read from its start, a truncated one is read again from its start.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

pub struct Tail {
    path: PathBuf,
    reopen: bool,
    file: Option<File>,
    inode: Option<u64>,
    partial: Vec<u8>,
    wake: Receiver<()>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Tail {
    pub fn open(path: &Path) -> Tail {
        let (tx, wake) = channel();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // Our own reads are reported as access events; waking on them would spin.
            if res.is_ok_and(|ev| !matches!(ev.kind, notify::EventKind::Access(_))) {
                let _ = tx.send(());
            }
        })
        .ok()
        .and_then(|mut w| w.watch(path, RecursiveMode::NonRecursive).ok().map(|_| w));
        let file = File::open(path).ok();
        Tail {
            path: path.to_path_buf(),
            reopen: false,
            inode: file
                .as_ref()
                .and_then(|f| f.metadata().ok())
                .map(|m| m.ino()),
            file,
            partial: Vec::new(),
            wake,
            _watcher: watcher,
        }
    }

    /// Follows `path` by name: watches its directory, so the file may be missing now,
    /// removed and created again.
    pub fn reopening(path: &Path) -> Tail {
        let (tx, wake) = channel();
        let target = path.to_path_buf();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if res.is_ok_and(|ev| {
                !matches!(ev.kind, notify::EventKind::Access(_)) && ev.paths.contains(&target)
            }) {
                let _ = tx.send(());
            }
        })
        .ok()
        .and_then(|mut w| {
            let dir = path.parent()?;
            w.watch(dir, RecursiveMode::NonRecursive).ok().map(|_| w)
        });
        let mut t = Tail {
            path: path.to_path_buf(),
            reopen: true,
            file: None,
            inode: None,
            partial: Vec::new(),
            wake,
            _watcher: watcher,
        };
        t.reopen_if_replaced();
        t
    }

    /// Skips what is already in the file.
    pub fn seek_end(&mut self) {
        if let Some(f) = self.file.as_mut() {
            let _ = f.seek(SeekFrom::End(0));
        }
    }

    /// With `reopening`: switches to the file now at the path if it is another one (or
    /// the first one), from its start.
    fn reopen_if_replaced(&mut self) -> bool {
        let now = std::fs::metadata(&self.path).ok().map(|m| m.ino());
        if now.is_none() || now == self.inode {
            return false;
        }
        match File::open(&self.path) {
            Ok(f) => {
                self.inode = f.metadata().ok().map(|m| m.ino());
                self.file = Some(f);
                self.partial.clear();
                true
            }
            Err(_) => false,
        }
    }

    fn read_available(&mut self) {
        let Some(f) = self.file.as_mut() else {
            return;
        };
        if self.reopen {
            // Truncated: read again from the start.
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if f.stream_position().is_ok_and(|pos| len < pos) {
                let _ = f.seek(SeekFrom::Start(0));
                self.partial.clear();
            }
        }
        let mut buf = Vec::new();
        let _ = f.read_to_end(&mut buf);
        self.partial.extend_from_slice(&buf);
    }

    pub fn lines(&mut self) -> Vec<String> {
        self.read_available();
        let mut out = self.split();
        // What the old file still had is read first, then the new one.
        if self.reopen && self.reopen_if_replaced() {
            self.read_available();
            out.extend(self.split());
        }
        out
    }

    fn split(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(pos) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=pos).collect();
            out.push(String::from_utf8_lossy(&line[..line.len() - 1]).into_owned());
        }
        out
    }

    /// Blocks until the file changes or `max` passes.
    pub fn wait(&self, max: Duration) {
        let _ = self.wake.recv_timeout(max);
        while self.wake.try_recv().is_ok() {}
    }
}
