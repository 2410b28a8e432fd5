//! `limactl --version` parsing and what each version can do.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[ts(export)]
pub struct LimaVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// Capabilities that differ between Lima versions (contract §4.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Features {
    /// `limactl watch --json --history` (2.1+). Older versions: tail `ha.stdout.log`.
    pub watch: bool,
    /// `limactl restart NAME --set …` applies edits before restarting (2.2+).
    pub restart_with_edits: bool,
    /// `limactl shell` on a stopped instance fails instead of exiting 0 (2.1+).
    pub shell_fails_when_stopped: bool,
    /// `--set` string literals are decoded twice: yq ≥ 4.49.2, embedded from Lima 2.0.3
    /// (`go.mod`), runs `processEscapeCharacters` (`pkg/yqlib/lib.go`) and then string
    /// interpolation (`interpolate`, `pkg/yqlib/operator_strings.go`), which both turn
    /// `\\` into `\`: two backslashes in a row arrive as one. yq 4.48.x (Lima
    /// 2.0.0–2.0.2) decodes once, but replaces `\n` in the raw text first, so a backslash
    /// followed by `n` arrives as a backslash and a newline (docs/lima-contract.md §4.11).
    pub set_literals_decoded_twice: bool,
}

pub const MINIMUM: LimaVersion = LimaVersion {
    major: 2,
    minor: 0,
    patch: 0,
};

impl LimaVersion {
    /// Parses `limactl version 2.2.0` (also dev builds such as `2.2.0-153-g183a60d7`
    /// and a leading `v`). Returns `None` for anything else.
    pub fn parse_output(stdout: &str) -> Option<Self> {
        let line = stdout.lines().find(|l| !l.trim().is_empty())?;
        let raw = line.trim().strip_prefix("limactl version ")?;
        Self::parse(raw)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().trim_start_matches('v');
        let core = raw.split(['-', '+', ' ']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().unwrap_or("0").parse().ok()?;
        Some(LimaVersion {
            major,
            minor,
            patch,
        })
    }

    pub fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    pub fn features(self) -> Features {
        Features {
            watch: self.at_least(2, 1),
            restart_with_edits: self.at_least(2, 2),
            shell_fails_when_stopped: self.at_least(2, 1),
            set_literals_decoded_twice: (self.major, self.minor, self.patch) >= (2, 0, 3),
        }
    }
}

impl std::fmt::Display for LimaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_dev_and_v_prefixed_versions() {
        let v = LimaVersion::parse_output("limactl version 2.2.0\n").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (2, 2, 0));
        let dev = LimaVersion::parse_output("limactl version 2.2.0-153-g183a60d7\n").unwrap();
        assert_eq!(dev, v);
        assert_eq!(LimaVersion::parse("v1.2.3").unwrap().to_string(), "1.2.3");
    }

    #[test]
    fn rejects_garbage() {
        assert!(LimaVersion::parse_output("").is_none());
        assert!(LimaVersion::parse_output("lima 2.0").is_none());
        assert!(LimaVersion::parse_output("limactl version banana").is_none());
    }

    #[test]
    fn features_follow_the_version_table() {
        let f20 = LimaVersion::parse("2.0.3").unwrap().features();
        assert!(!f20.watch && !f20.restart_with_edits && !f20.shell_fails_when_stopped);
        assert!(
            !LimaVersion::parse("2.0.2")
                .unwrap()
                .features()
                .set_literals_decoded_twice
        );
        assert!(f20.set_literals_decoded_twice, "2.0.3 embeds yq 4.49.2");
        let f21 = LimaVersion::parse("2.1.4").unwrap().features();
        assert!(f21.watch && !f21.restart_with_edits);
        let f22 = LimaVersion::parse("2.2.0").unwrap().features();
        assert!(f22.watch && f22.restart_with_edits);
        assert!(LimaVersion::parse("1.2.3").unwrap() < MINIMUM);
    }
}
