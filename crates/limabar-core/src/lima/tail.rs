//! Follows a log file that grows and may be truncated or recreated (`limactl start`
//! deletes and recreates the host-agent logs). Reading is driven by file-system
//! notifications in `monitor`; this type only remembers where it was.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    offset: u64,
    inode: Option<u64>,
    partial: Vec<u8>,
}

/// Upper bound read per call, so a huge log cannot stall the caller for long.
const MAX_CHUNK: u64 = 4 * 1024 * 1024;

impl Follower {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Follower {
            path: path.into(),
            offset: 0,
            inode: None,
            partial: Vec::new(),
        }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// A follower that starts at the current end of the file: only lines written from
    /// now on are read (a log view shows the existing tail by other means).
    pub fn at_end(path: impl Into<PathBuf>) -> Self {
        let mut f = Follower::new(path);
        if let Ok(meta) = std::fs::metadata(&f.path) {
            f.inode = Some(meta.ino());
            f.offset = meta.len();
        }
        f
    }

    /// Complete new lines since the last call. A recreated or truncated file is read
    /// from its start; a trailing line without `\n` waits for the rest.
    pub fn read_new(&mut self) -> Vec<String> {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let Ok(meta) = file.metadata() else {
            return Vec::new();
        };
        if self.inode != Some(meta.ino()) || meta.len() < self.offset {
            self.inode = Some(meta.ino());
            self.offset = 0;
            self.partial.clear();
        }
        let mut lines = Vec::new();
        while meta.len() > self.offset {
            let want = (meta.len() - self.offset).min(MAX_CHUNK);
            let mut buf = vec![0u8; want as usize];
            if file.seek(SeekFrom::Start(self.offset)).is_err() {
                break;
            }
            let Ok(n) = file.read(&mut buf) else { break };
            if n == 0 {
                break;
            }
            self.offset += n as u64;
            self.partial.extend_from_slice(&buf[..n]);
            while let Some(pos) = self.partial.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.partial.drain(..=pos).collect();
                lines.push(String::from_utf8_lossy(&line[..line.len() - 1]).into_owned());
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn follows_appends_partial_lines_truncation_and_recreation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ha.stdout.log");
        let mut f = Follower::new(&p);
        assert!(f.read_new().is_empty(), "missing file reads nothing");
        std::fs::write(&p, "one\ntw").unwrap();
        assert_eq!(f.read_new(), vec!["one"]);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"o\nthree\n")
            .unwrap();
        assert_eq!(f.read_new(), vec!["two", "three"]);
        std::fs::write(&p, "x\n").unwrap(); // truncated and rewritten
        assert_eq!(f.read_new(), vec!["x"]);
        // Replaced by another file (a new inode), longer than what was read.
        let other = dir.path().join("next");
        std::fs::write(&other, "fresh run line one\n").unwrap();
        std::fs::rename(&other, &p).unwrap();
        assert_eq!(f.read_new(), vec!["fresh run line one"]);
    }
}
