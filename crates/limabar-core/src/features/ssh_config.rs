//! `~/.ssh/config` with the user's consent: one `Include` of Lima's per-instance
//! `ssh.config` files, so `ssh lima-NAME` (and every editor's Remote-SSH) works from
//! anywhere. Lima writes `LIMA_HOME/NAME/ssh.config` with `Host lima-NAME`
//! (pkg/sshutil, `limactl show-ssh --format=config`) but never touches `~/.ssh/config`.
//!
//! The edit is ours alone: a marked block at the very top (an `Include` after a `Host`
//! line would only apply inside that host's block), every other byte of the user's file
//! kept, CRLF files answered in CRLF, a backup beside it, written atomically; removing
//! takes out exactly that block. A file that is a symlink (home-manager, nix-darwin: a
//! read-only file in the Nix store) or that we cannot rewrite in place is not changed:
//! the user gets the lines to add to their own configuration instead.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

const MARK: &str = "# Added by Limabar: Lima's VMs as ssh hosts lima-NAME (`limabar ssh-config remove` takes it out).";

/// The `Include` line for a Lima home: its absolute path (quoted when it has a space).
/// Not `~/…`: ssh expands `~` in an Include with the account's home from the password
/// database (OpenSSH `tilde_expand_filename`), not `$HOME`, and the two can differ.
pub fn include_line(lima_home: &Path) -> String {
    let pattern = format!("{}/*/ssh.config", lima_home.display());
    if pattern.contains([' ', '\t']) {
        format!("Include \"{pattern}\"")
    } else {
        format!("Include {pattern}")
    }
}

/// The lines to add by hand, for a file Limabar does not change.
pub fn snippet(include: &str) -> String {
    format!("{MARK}\n{include}\n")
}

/// The user's own `Include` of the same files, where it applies to every host: before
/// the first `Host` or `Match` line, or inside a `Match all` block.
fn included_by_user(text: &str, include: &str) -> bool {
    let mut global = true;
    for line in text.lines().map(str::trim) {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("host ") || lower.starts_with("host\t") {
            global = false;
        } else if lower.starts_with("match ") {
            global = lower.split_whitespace().nth(1) == Some("all");
        } else if global && line.eq_ignore_ascii_case(include) {
            return true;
        }
    }
    false
}

/// The file with our block at the top, or `None` when it is there already (ours, or
/// the user's own `Include` where it applies).
pub fn with_include(text: &str, include: &str) -> Option<String> {
    if text.lines().any(|l| l.trim_end_matches('\r') == MARK) || included_by_user(text, include) {
        return None;
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = format!("{MARK}{eol}{include}{eol}");
    if !text.is_empty() {
        out.push_str(eol);
    }
    out.push_str(text);
    Some(out)
}

/// The file without our block (the mark, the line after it, and the blank line we
/// added), or `None` when it has none. The user's bytes are kept exactly.
pub fn without_include(text: &str) -> Option<String> {
    let start = text
        .match_indices(MARK)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text[..i].ends_with('\n'))?;
    let mut end = start;
    // The mark's line, then the Include line after it.
    for _ in 0..2 {
        match text[end..].find('\n') {
            Some(n) => end += n + 1,
            None => end = text.len(),
        }
    }
    // The blank line that separated our block from the user's text.
    for blank in ["\r\n", "\n"] {
        if text[end..].starts_with(blank) && start == 0 {
            end += blank.len();
            break;
        }
    }
    Some(format!("{}{}", &text[..start], &text[end..]))
}

/// Whether `path` already makes Lima's hosts known (ours or the user's own Include;
/// read through a symlink). A file that cannot be read counts as not.
pub fn includes(path: &Path, include: &str) -> bool {
    std::fs::read_to_string(path)
        .map(|text| with_include(&text, include).is_none())
        .unwrap_or(false)
}

/// What an install or a removal did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SshConfigResult {
    pub path: String,
    /// The file was written (false: it already was as asked).
    pub changed: bool,
    /// The previous file, kept beside it.
    pub backup: Option<String>,
    /// The file is not Limabar's to change (a symlink, say): these lines, to add to the
    /// configuration that makes it.
    pub snippet: Option<String>,
    pub message: String,
}

pub fn config_path(home: &Path) -> PathBuf {
    home.join(".ssh/config")
}

/// Adds the `Include` (`install`) or takes it out, in `path`.
pub fn apply(path: &Path, include: &str, install: bool) -> std::io::Result<SshConfigResult> {
    let shown = path.display().to_string();
    let meta = std::fs::symlink_metadata(path);
    if let Ok(m) = &meta {
        if m.file_type().is_symlink() || !m.is_file() {
            let what = if m.file_type().is_symlink() {
                "is a symlink (home-manager or nix-darwin?)"
            } else {
                "is not a regular file"
            };
            return Ok(SshConfigResult {
                path: shown.clone(),
                changed: false,
                backup: None,
                snippet: install.then(|| snippet(include)),
                message: if install {
                    format!("{shown} {what}: Limabar leaves it alone. Add these lines at the top of the configuration that makes it.")
                } else {
                    format!("{shown} {what}: Limabar did not change it; remove its lines where you added them.")
                },
            });
        }
    }
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{shown} is not UTF-8 text: Limabar leaves it alone"),
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let next = if install {
        with_include(&text, include)
    } else {
        without_include(&text)
    };
    let Some(next) = next else {
        return Ok(SshConfigResult {
            path: shown.clone(),
            changed: false,
            backup: None,
            snippet: None,
            message: if install {
                format!("{shown} already includes Lima's hosts: `ssh lima-NAME` works.")
            } else {
                format!("{shown} has no lines of Limabar's.")
            },
        });
    };
    let backup = if meta.is_ok() {
        let b = path.with_file_name("config.limabar-backup");
        std::fs::copy(path, &b)?;
        Some(b.display().to_string())
    } else {
        None
    };
    write_private(path, next.as_bytes())?;
    Ok(SshConfigResult {
        path: shown.clone(),
        changed: true,
        backup,
        snippet: None,
        message: if install {
            format!(
                "Added `{include}` at the top of {shown}: `ssh lima-NAME` works from any terminal."
            )
        } else {
            format!("Took Limabar's lines out of {shown}.")
        },
    })
}

/// Atomically, with the file's own mode (0600 for a new one; ~/.ssh 0700).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o600);
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".limabar-{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    const INC: &str = "Include ~/.lima/*/ssh.config";

    /// Install then remove gives back the user's exact bytes.
    fn round_trip(user: &str) {
        let added = with_include(user, INC).unwrap();
        assert!(added.ends_with(user), "{added:?}");
        assert!(added.contains(INC));
        assert_eq!(with_include(&added, INC), None, "idempotent");
        assert_eq!(without_include(&added).as_deref(), Some(user), "{added:?}");
    }

    #[test]
    fn every_kind_of_file_keeps_every_byte() {
        round_trip("");
        round_trip("Host work\n  HostName work.example\n  User me\n");
        round_trip("Host a\r\n  User b\r\n");
        round_trip("Host nonl\n  User x");
        round_trip("\n\n# only comments\n");
        // The user's own Include after a Host line applies only to that host: ours is
        // still needed.
        round_trip("Host old\n  User x\nInclude ~/.lima/*/ssh.config\n");
    }

    #[test]
    fn includes_reads_the_file_through_a_symlink() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("config");
        assert!(!includes(&p, INC), "no file");
        let store = t.path().join("managed");
        std::fs::write(&store, format!("{INC}\nHost x\n")).unwrap();
        std::os::unix::fs::symlink(&store, &p).unwrap();
        assert!(includes(&p, INC));
    }

    #[test]
    fn the_users_own_include_where_it_applies_is_enough() {
        assert_eq!(
            with_include("Include ~/.lima/*/ssh.config\nHost old\n", INC),
            None
        );
        assert_eq!(
            with_include(
                "Host a\n  User b\nMatch all\n  Include ~/.lima/*/ssh.config\n",
                INC
            ),
            None
        );
    }

    #[test]
    fn the_block_goes_first_and_crlf_files_get_crlf() {
        let added = with_include("Host a\r\n  User b\r\n", INC).unwrap();
        assert!(
            added.starts_with(&format!("{MARK}\r\n{INC}\r\n\r\nHost a")),
            "{added:?}"
        );
        let plain = with_include("Host a\n", INC).unwrap();
        assert_eq!(plain, format!("{MARK}\n{INC}\n\nHost a\n"));
    }

    #[test]
    fn the_lima_home_is_named_absolutely_and_quoted_with_a_space() {
        assert_eq!(
            include_line(Path::new("/Users/me/.lima")),
            "Include /Users/me/.lima/*/ssh.config"
        );
        assert_eq!(
            include_line(Path::new("/Volumes/VMs/my lima")),
            "Include \"/Volumes/VMs/my lima/*/ssh.config\""
        );
    }

    #[test]
    fn the_file_is_rewritten_with_a_backup_and_its_mode_and_removed_again() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join(".ssh/config");
        // No file yet: made, private, in a private ~/.ssh.
        let r = apply(&p, INC, true).unwrap();
        assert!(r.changed && r.backup.is_none(), "{r:?}");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(p.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        // A user's file: kept byte for byte around our block, backed up first.
        let user = "Host work\r\n  User me";
        std::fs::write(&p, user).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = apply(&p, INC, true).unwrap();
        assert!(r.changed, "{r:?}");
        assert_eq!(std::fs::read_to_string(r.backup.unwrap()).unwrap(), user);
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert!(!apply(&p, INC, true).unwrap().changed);
        assert!(apply(&p, INC, false).unwrap().changed);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), user);
        assert!(!apply(&p, INC, false).unwrap().changed);
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_symlinked_or_foreign_file_is_left_alone_with_the_lines_to_add() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path().join("nix-store-ssh-config");
        std::fs::write(&store, "Host managed\n").unwrap();
        let p = t.path().join("config");
        std::os::unix::fs::symlink(&store, &p).unwrap();
        let r = apply(&p, INC, true).unwrap();
        assert!(!r.changed, "{r:?}");
        assert_eq!(r.snippet.as_deref(), Some(snippet(INC).as_str()));
        assert!(r.message.contains("symlink"), "{}", r.message);
        assert_eq!(std::fs::read_to_string(&store).unwrap(), "Host managed\n");
        // Not text: refused, untouched.
        let bin = t.path().join("binary");
        std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
        let e = apply(&bin, INC, true).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
        assert_eq!(std::fs::read(&bin).unwrap(), [0xff, 0xfe, 0x00]);
    }
}
