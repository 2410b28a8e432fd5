//! What planning needs to know about host paths, behind a trait so the rules are tested
//! without a file system.

use std::path::{Path, PathBuf};

pub trait PathProbe {
    /// `None` if nothing is there (a dangling symlink counts as nothing).
    fn kind(&self, path: &Path) -> Option<PathKind>;
    /// The path with symlinks resolved.
    fn resolve(&self, path: &Path) -> PathBuf;
    /// More entries below than `budget` (counting stops there).
    fn is_huge(&self, path: &Path, budget: usize) -> bool;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Dir,
    File,
}

/// The real file system.
pub struct HostFs;

impl PathProbe for HostFs {
    fn kind(&self, path: &Path) -> Option<PathKind> {
        let meta = std::fs::metadata(path).ok()?;
        Some(if meta.is_dir() {
            PathKind::Dir
        } else {
            PathKind::File
        })
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
    }

    fn is_huge(&self, path: &Path, budget: usize) -> bool {
        // Breadth-first, not following symlinks, stopping at the budget: bounded work.
        let mut seen = 0usize;
        let mut queue = vec![path.to_path_buf()];
        while let Some(dir) = queue.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                seen += 1;
                if seen > budget {
                    return true;
                }
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    queue.push(e.path());
                }
            }
        }
        false
    }
}
