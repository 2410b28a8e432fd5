//! Following a log like Lima's `nxadm/tail` with `Follow` and without `ReOpen`: the file
//! handle stays open, so a deleted-and-recreated log is *not* followed (which is why
//! Limabar runs a new `limactl watch` per boot). Woken by file-system notifications.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

pub struct Tail {
    file: Option<File>,
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
        Tail {
            file: File::open(path).ok(),
            partial: Vec::new(),
            wake,
            _watcher: watcher,
        }
    }

    /// Skips what is already in the file (`watch` without `--history`).
    pub fn seek_end(&mut self) {
        if let Some(f) = self.file.as_mut() {
            let _ = f.seek(SeekFrom::End(0));
        }
    }

    pub fn lines(&mut self) -> Vec<String> {
        let Some(f) = self.file.as_mut() else {
            return Vec::new();
        };
        let mut buf = Vec::new();
        let _ = f.read_to_end(&mut buf);
        self.partial.extend_from_slice(&buf);
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
