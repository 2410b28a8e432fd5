//! Where each of an instance's mounts is written. `limactl list --json` shows mounts
//! default-filled: `~` and host templates expanded, `mountPoint` filled from the location,
//! and the mounts of `$LIMA_HOME/_config/default.yaml` and `override.yaml` merged in
//! (Lima `pkg/limayaml/defaults.go` `FillDefault`). But `limactl edit|restart --set`
//! evaluates yq on the raw lima.yaml bytes (`cmd/limactl/edit.go` `editAction`,
//! `cmd/limactl/restart.go` `restartAction`): a selector on the expanded path matches
//! nothing there, and Lima exits 0 ("Aborting, no changes made") — or, for `restart`,
//! restarts the VM for nothing. So every edit of an existing mount selects the entry as
//! it is written in lima.yaml, found here, and a mount that lima.yaml does not hold is
//! refused with the file that does.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::CoreError;
use crate::features::doctor::{Global, Layer};
use crate::lima::inventory::Instance;

/// A `mounts:` entry as written, before Lima's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawEntry {
    pub location: String,
    #[serde(default)]
    pub mount_point: Option<String>,
    #[serde(default)]
    pub writable: Option<bool>,
}

/// What the expansion needs to know (Lima's host and guest template data).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The instance directory (`{{.Dir}}`; its name is `{{.Name}}`).
    pub dir: PathBuf,
    pub lima_home: PathBuf,
    /// The host user's home (`~`, host `{{.Home}}`).
    pub home: Option<PathBuf>,
    /// `config.user.home` (guest `{{.Home}}` in a `mountPoint`).
    pub guest_home: Option<String>,
}

#[derive(Debug, Clone)]
struct Located {
    file: Layer,
    raw: RawEntry,
    /// The mount point Lima derives; None when it uses a template Limabar cannot expand.
    mount_point: Option<String>,
}

/// The mount entries of all three files, and whether lima.yaml has the fstab script.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    entries: Vec<Located>,
    /// lima.yaml already runs Limabar's fstab script (`guest_fstab::is_installed`).
    pub fstab_fix_installed: bool,
}

fn entries_of(v: &Value) -> Vec<RawEntry> {
    v.get("mounts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| serde_json::from_value(m.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn parse_yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or(Value::Null)
}

/// `{{.Key}}` (spaces allowed inside the braces) replaced from `data`; None when a
/// template key is not in `data` (Lima would know it; Limabar does not).
fn execute_template(format: &str, data: &[(&str, Option<String>)]) -> Option<String> {
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let key = after[..end].trim().strip_prefix('.')?;
        let value = data.iter().find(|(k, _)| *k == key)?.1.clone()?;
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

impl Context {
    fn name(&self) -> Option<String> {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    }

    /// The location as Lima expands it: host template, `filepath.Clean`, then `~`.
    fn location(&self, raw: &str) -> Option<String> {
        let dir = Some(self.dir.display().to_string());
        let home = self.home.as_ref().map(|h| h.display().to_string());
        let data = [
            ("Dir", dir),
            ("Name", self.name()),
            ("Instance", self.name()),
            ("Home", home.clone()),
            ("LimaHome", Some(self.lima_home.display().to_string())),
            ("GlobalTempDir", Some("/tmp".into())),
        ];
        let expanded = crate::fsutil::go_clean(&execute_template(raw, &data)?);
        if expanded == "~" {
            return home;
        }
        match expanded.strip_prefix("~/") {
            Some(rest) => Some(format!("{}/{rest}", home?.trim_end_matches('/'))),
            None => Some(expanded),
        }
    }

    /// The mount point Lima derives: the expanded location, or the guest template.
    fn mount_point(&self, raw: &RawEntry) -> Option<String> {
        match &raw.mount_point {
            None => self.location(&raw.location),
            Some(mp) => {
                let data = [
                    ("Name", self.name()),
                    ("Hostname", self.name().map(|n| format!("lima-{n}"))),
                    ("Home", self.guest_home.clone()),
                ];
                execute_template(mp, &data)
            }
        }
    }
}

impl Sources {
    /// From lima.yaml and the global files as the doctor reads them (`Global`: a
    /// missing or unusable file holds no mounts).
    pub fn from_values(ctx: &Context, own: &Value, global: &Global) -> Sources {
        let mut entries = Vec::new();
        for (file, v) in [
            (Layer::Default, global.default.as_ref()),
            (Layer::Instance, Some(own)),
            (Layer::Override, global.over.as_ref()),
        ] {
            let Some(v) = v else { continue };
            entries.extend(entries_of(v).into_iter().map(|raw| Located {
                mount_point: ctx.mount_point(&raw),
                file,
                raw,
            }));
        }
        Sources {
            entries,
            fstab_fix_installed: super::guest_fstab::is_installed(own),
        }
    }

    /// From the three files' texts.
    pub fn from_texts(
        ctx: &Context,
        lima_yaml: &str,
        default: Option<&str>,
        over: Option<&str>,
    ) -> Sources {
        let read = |t: Option<&str>| {
            t.map(str::to_string)
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        };
        let global = Global::from_reads(read(default), read(over));
        Sources::from_values(ctx, &parse_yaml(lima_yaml), &global)
    }

    /// Reads `DIR/lima.yaml` and `LIMA_HOME/_config/{default,override}.yaml`.
    pub fn read(ctx: &Context) -> std::io::Result<Sources> {
        let own = std::fs::read_to_string(ctx.dir.join("lima.yaml"))?;
        Ok(Sources::from_values(
            ctx,
            &parse_yaml(&own),
            &Global::read(&ctx.lima_home),
        ))
    }

    fn at<'a>(&'a self, mount_point: &'a str) -> impl Iterator<Item = &'a Located> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.mount_point.as_deref() == Some(mount_point))
    }

    /// The lima.yaml entry Lima turned into this mount point, as written.
    pub fn lima_yaml_entry<'a>(&'a self, mount_point: &'a str) -> Option<&'a RawEntry> {
        self.at(mount_point)
            .filter(|e| e.file == Layer::Instance)
            .map(|e| &e.raw)
            .last()
    }

    /// The `_config` files that also hold this mount point.
    pub fn config_files_with(&self, mount_point: &str) -> Vec<Layer> {
        let mut files: Vec<Layer> = self
            .at(mount_point)
            .map(|e| e.file)
            .filter(|f| *f != Layer::Instance)
            .collect();
        files.dedup();
        files
    }

    /// `writable` as override.yaml forces it (it wins over lima.yaml).
    pub fn forced_writable(&self, mount_point: &str) -> Option<bool> {
        self.at(mount_point)
            .filter(|e| e.file == Layer::Override)
            .filter_map(|e| e.raw.writable)
            .last()
    }

    /// Whether an entry of some file uses a template Limabar cannot expand (so a mount
    /// it cannot place may still be that entry's).
    pub fn has_unknown_templates(&self) -> bool {
        self.entries.iter().any(|e| e.mount_point.is_none())
    }
}

impl Sources {
    /// The sources of a listed instance (its lima.yaml must be readable: every edit of
    /// an existing mount is planned against it).
    pub fn of_instance(
        inst: &Instance,
        lima_home: &Path,
        home: Option<&Path>,
    ) -> Result<Sources, CoreError> {
        let ctx = context(
            Path::new(&inst.dir),
            lima_home,
            home,
            inst.guest_home.as_deref(),
        );
        Sources::read(&ctx)
            .map_err(|e| CoreError::io(format!("could not read {}/lima.yaml", inst.dir), e))
    }
}

/// The context of an instance from its directory and listing.
pub fn context(
    dir: &Path,
    lima_home: &Path,
    home: Option<&Path>,
    guest_home: Option<&str>,
) -> Context {
    Context {
        dir: dir.to_path_buf(),
        lima_home: lima_home.to_path_buf(),
        home: home.map(Path::to_path_buf),
        guest_home: guest_home.map(str::to_string),
    }
}

#[cfg(test)]
mod tests;
