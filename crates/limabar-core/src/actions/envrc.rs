//! "Add .envrc": a flake folder without one gets direnv's `use flake`, so the editor's
//! terminals (and its direnv extension, for language servers) load the flake's dev shell
//! in the guest. The file is the user's from then on: it is only ever created, never
//! changed or replaced, and appears whole. In a guest with direnv the new file is
//! allowed (`direnv allow`), since asking for it was the user's consent; otherwise the
//! doctor's direnv finding says what to add.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

use super::Session;
use crate::error::{CoreError, Result};
use crate::lima::limactl;

pub const ENVRC: &str = "use flake\n";
const ALLOW_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EnvrcAdded {
    /// What was done, in words ("Added .envrc (use flake); direnv allowed it in dev").
    pub message: String,
    /// `direnv allow` ran in the guest.
    pub allowed: bool,
}

/// Creates `dir/.envrc` with [`ENVRC`], whole or not at all, and never over an existing
/// one: written beside it, then linked into place (a link fails if the name exists).
pub fn create_envrc(dir: &Path) -> std::io::Result<()> {
    let target = dir.join(".envrc");
    let tmp = dir.join(format!(".envrc.limabar-{}.tmp", std::process::id()));
    let written = std::fs::File::create_new(&tmp).and_then(|mut f| {
        f.write_all(ENVRC.as_bytes())?;
        f.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, &target));
    let _ = std::fs::remove_file(&tmp);
    linked
}

impl Session {
    /// Adds `.envrc` to `dir`, one of `name`'s flake folders, and allows it in the guest
    /// when direnv is there.
    pub async fn add_envrc(&self, name: &str, dir: &str) -> Result<EnvrcAdded> {
        let flakes = self.flakes(name).await?;
        let flake = flakes.flakes.iter().find(|f| f.dir == dir).ok_or_else(|| {
            CoreError::invalid(format!("`{dir}` is not a flake folder of {name}"))
        })?;
        if flake.envrc {
            return Err(CoreError::invalid(format!(
                "`{dir}` already has a .envrc: Limabar leaves it as it is"
            )));
        }
        create_envrc(Path::new(dir)).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => CoreError::invalid(format!(
                "`{dir}` already has a .envrc: Limabar leaves it as it is"
            )),
            _ => CoreError::io(format!("writing {dir}/.envrc"), e),
        })?;
        let v = self.view(name).await?;
        let direnv = v.vm_up()
            && match self.guest.facts(name) {
                Some(f) => f.direnv.is_some(),
                None => self
                    .probe_guest(name)
                    .await
                    .is_ok_and(|f| f.direnv.is_some()),
            };
        let allowed = direnv && self.direnv_allow(name, &flake.guest_dir).await;
        let message = if allowed {
            format!("Added .envrc (use flake); direnv allowed it in {name}")
        } else if v.vm_up() {
            format!(
                "Added .envrc (use flake); {name} has no direnv to load it yet (see the doctor's finding)"
            )
        } else {
            format!("Added .envrc (use flake); direnv in {name} asks to allow it the first time")
        };
        Ok(EnvrcAdded { message, allowed })
    }

    /// `direnv allow` in the folder, in the guest.
    async fn direnv_allow(&self, name: &str, guest_dir: &str) -> bool {
        let limactl = self.monitor.limactl();
        let words = ["direnv", "allow"].map(String::from);
        let call = limactl::shell(name, guest_dir, &words, ALLOW_TIMEOUT);
        match crate::lima::guest::run(&limactl.runner, limactl.features, name, &call).await {
            Ok(out) if out.success() => true,
            Ok(out) => {
                tracing::warn!(instance = name, detail = %out.failure_message(), "direnv allow failed");
                false
            }
            Err(e) => {
                tracing::warn!(instance = name, error = %e, "direnv allow failed");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envrc_is_created_whole_and_never_replaced() {
        let t = tempfile::tempdir().unwrap();
        create_envrc(t.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(t.path().join(".envrc")).unwrap(),
            "use flake\n"
        );
        // The user's own stays as it is, and nothing is left beside it.
        std::fs::write(t.path().join(".envrc"), "use nix\nexport X=1\n").unwrap();
        let e = create_envrc(t.path()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(
            std::fs::read_to_string(t.path().join(".envrc")).unwrap(),
            "use nix\nexport X=1\n"
        );
        let names: Vec<_> = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [".envrc"]);
    }

    #[test]
    fn a_folder_that_cannot_be_written_gets_nothing() {
        let e = create_envrc(Path::new("/nonexistent-limabar-folder")).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }
}
