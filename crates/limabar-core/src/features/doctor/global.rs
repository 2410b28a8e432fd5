//! `$LIMA_HOME/_config/default.yaml` and `override.yaml`, which Lima mixes into every
//! instance's lima.yaml at every load (`pkg/limayaml/load.go` `load`, v2.2.0). A missing
//! file is normal (`errors.Is(err, os.ErrNotExist)` is skipped there); any other read or
//! parse error makes Lima's load fail (`return nil, err`), so every instance is listed
//! with errors (pkg/store/instance.go `inst.Errors`) and none starts.

use std::io;
use std::path::Path;

use serde_json::Value;

use super::{Finding, Layer, Severity};

/// The two global files, as far as they could be read, and what is wrong with them.
#[derive(Debug, Clone, Default)]
pub struct Global {
    /// default.yaml, when present and valid.
    pub default: Option<Value>,
    /// override.yaml, when present and valid.
    pub over: Option<Value>,
    /// A `lima-global-config-invalid` finding per file Lima cannot load.
    pub problems: Vec<Finding>,
}

impl Global {
    /// Reads `<lima_home>/_config/default.yaml` and `override.yaml`
    /// (pkg/limatype/dirnames/dirnames.go `LimaConfigDir`; pkg/limatype/filenames).
    /// Never fails: what cannot be read becomes a finding.
    pub fn read(lima_home: &Path) -> Global {
        let dir = lima_home.join("_config");
        Global::from_reads(
            std::fs::read_to_string(dir.join("default.yaml")),
            std::fs::read_to_string(dir.join("override.yaml")),
        )
    }

    /// From the results of reading the two files.
    pub fn from_reads(default: io::Result<String>, over: io::Result<String>) -> Global {
        let (default, p1) = layer(Layer::Default, default);
        let (over, p2) = layer(Layer::Override, over);
        Global {
            default,
            over,
            problems: p1.into_iter().chain(p2).collect(),
        }
    }
}

fn layer(which: Layer, read: io::Result<String>) -> (Option<Value>, Option<Finding>) {
    let text = match read {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return (None, None),
        Err(e) => return (None, Some(problem(which, format!("cannot be read: {e}")))),
    };
    match serde_norway::from_str::<Value>(&text) {
        // An empty file is an empty config.
        Ok(Value::Null) => (None, None),
        Ok(v @ Value::Object(_)) => (Some(v), None),
        Ok(_) => (None, Some(problem(which, "is not a YAML mapping".into()))),
        Err(e) => (
            None,
            Some(problem(which, format!("is not valid YAML: {e}"))),
        ),
    }
}

fn problem(which: Layer, detail: String) -> Finding {
    Finding {
        id: "lima-global-config-invalid",
        severity: Severity::Error,
        message: format!("`{}` {detail}.", which.file()),
        why: "Lima mixes this file into every instance's lima.yaml each time it loads one, \
              and stops when it cannot: every VM is listed with errors and none starts."
            .into(),
        fix: format!("Fix or remove `{}`.", which.file()),
        set: None,
        snippet: None,
        blame: super::Blame::Host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing() -> io::Result<String> {
        Err(io::Error::from(io::ErrorKind::NotFound))
    }

    #[test]
    fn missing_files_are_fine_and_bad_ones_are_findings() {
        let g = Global::from_reads(missing(), missing());
        assert!(g.default.is_none() && g.over.is_none() && g.problems.is_empty());

        let g = Global::from_reads(Ok("plain: true\n".into()), Ok(String::new()));
        assert_eq!(g.default.unwrap()["plain"], true);
        assert!(g.over.is_none() && g.problems.is_empty());

        let g = Global::from_reads(
            Err(io::Error::from(io::ErrorKind::PermissionDenied)),
            Ok("mounts: [".into()),
        );
        assert!(g.default.is_none() && g.over.is_none());
        let msgs: Vec<&str> = g.problems.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(g.problems.len(), 2, "{msgs:?}");
        assert!(g
            .problems
            .iter()
            .all(|f| f.id == "lima-global-config-invalid" && f.severity == Severity::Error));
        assert!(msgs[0].starts_with("`$LIMA_HOME/_config/default.yaml` cannot be read"));
        assert!(msgs[1].starts_with("`$LIMA_HOME/_config/override.yaml` is not valid YAML"));

        let g = Global::from_reads(Ok("- a\n".into()), missing());
        assert!(g.problems[0].message.contains("not a YAML mapping"));
    }

    #[test]
    fn reads_the_files_from_lima_home_config() {
        let home = tempfile::tempdir().unwrap();
        assert!(Global::read(home.path()).problems.is_empty());
        std::fs::create_dir(home.path().join("_config")).unwrap();
        std::fs::write(home.path().join("_config/override.yaml"), "plain: true\n").unwrap();
        // A directory where a file should be cannot be read.
        std::fs::create_dir(home.path().join("_config/default.yaml")).unwrap();
        let g = Global::read(home.path());
        assert_eq!(g.over.unwrap()["plain"], true);
        assert_eq!(g.problems.len(), 1);
        assert!(g.problems[0].message.contains("default.yaml"));
    }
}
