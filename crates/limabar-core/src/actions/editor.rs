//! Opening a VM's folder in the user's editor (features::editor): start the VM when it
//! is stopped, then spawn the editor's CLI with the folder at the same path in the
//! guest. And the one-time `~/.ssh/config` edit that lets editors reach `lima-NAME`.

use std::time::Instant;

use serde::Serialize;
use ts_rs::TS;

use super::Session;
use crate::env::HostEnv;
use crate::error::{CoreError, Result};
use crate::features::develop::guest_dir_of;
use crate::features::editor::{self, Editor, EditorChoice};
use crate::features::ssh_config::{self, SshConfigResult};
use crate::features::terminal::{self, Platform, SystemProbe};
use crate::live::change::InstanceView;

/// What opening would run (`limabar open --dry-run`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EditorPlan {
    pub editor: String,
    /// Empty for JetBrains Gateway: there is nothing to run, the host is to be copied.
    pub argv: Vec<String>,
    /// The ssh host the editor connects to (`lima-NAME`).
    pub host: String,
    pub guest_dir: String,
}

/// What the UI says after opening: "Opened in VS Code".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenedEditor {
    pub editor: String,
    pub host: String,
    /// Nothing was started: the host is for the user to paste (Gateway).
    pub copy_host: bool,
    /// The app's own time from the request to the editor process spawned.
    pub spawn_ms: f64,
    pub started_vm: bool,
    /// `~/.ssh/config` already makes `lima-NAME` known; if not, the UI offers to add it.
    pub ssh_hosts_ready: bool,
    /// What in the guest keeps the editor from working there (a NixOS guest without
    /// nix-ld: its server will not start), each with the fix.
    pub guest_findings: Vec<crate::features::doctor::Finding>,
}

/// The editors found here and the one folders open in.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EditorSettings {
    pub choices: Vec<EditorChoice>,
    pub selected: Option<EditorChoice>,
}

fn installed(env: &HostEnv) -> Vec<(Editor, String)> {
    editor::detect(Platform::current(), &SystemProbe::of(env))
}

/// As for terminals: the saved editor is the selected one even when it is gone (the
/// button then names what a click will try, and the error says it is not installed),
/// else the first one found.
pub fn editors(env: &HostEnv) -> EditorSettings {
    let found: Vec<Editor> = installed(env).into_iter().map(|(e, _)| e).collect();
    let selected = super::settings::load(env)
        .editor
        .as_deref()
        .and_then(Editor::from_id)
        .or_else(|| found.first().copied());
    let mut choices: Vec<EditorChoice> = found.iter().map(|e| EditorChoice::from(*e)).collect();
    if let Some(s) = selected.filter(|s| !found.contains(s)) {
        choices.push(s.into());
    }
    EditorSettings {
        choices,
        selected: selected.map(EditorChoice::from),
    }
}

/// Whether `~/.ssh/config` makes Lima's hosts known already.
pub fn ssh_hosts_ready(env: &HostEnv) -> bool {
    env.home.as_deref().is_some_and(|home| {
        ssh_config::includes(
            &ssh_config::config_path(home),
            &ssh_config::include_line(&env.lima_home),
        )
    })
}

/// Adds (`install`) or removes the `Include` of Lima's ssh hosts in `~/.ssh/config`.
pub fn ssh_config(env: &HostEnv, install: bool) -> Result<SshConfigResult> {
    let home = env.home.as_deref().ok_or_else(|| CoreError::InvalidInput {
        detail: "No home folder: there is no ~/.ssh/config to change.".into(),
    })?;
    let include = ssh_config::include_line(&env.lima_home);
    ssh_config::apply(&ssh_config::config_path(home), &include, install).map_err(|e| {
        CoreError::InvalidInput {
            detail: format!("~/.ssh/config was not changed: {e}"),
        }
    })
}

impl Session {
    /// The editor and argv that open `dir` (a host folder inside one of the VM's mounts,
    /// or a guest path) of `v`; `choice` overrides the setting.
    pub fn plan_editor(
        &self,
        v: &InstanceView,
        dir: &str,
        choice: Option<&str>,
    ) -> Result<EditorPlan> {
        let found = installed(&self.env);
        let wanted = choice
            .map(str::to_string)
            .or_else(|| super::settings::load(&self.env).editor);
        let (ed, program) = match wanted.as_deref() {
            Some(id) => {
                let ed = Editor::from_id(id).ok_or_else(|| CoreError::InvalidInput {
                    detail: format!(
                        "`{id}` is not an editor Limabar knows: use vscode, cursor, vscodium, zed or gateway"
                    ),
                })?;
                let program = found.iter().find(|(e, _)| *e == ed).map(|(_, p)| p.clone());
                (ed, program.ok_or_else(|| CoreError::TerminalFailed {
                    terminal: ed.label().into(),
                    detail: "it is not installed (no app bundle, nothing on PATH)".into(),
                })?)
            }
            None => found.first().cloned().ok_or_else(|| CoreError::InvalidInput {
                detail: "No editor found: install VS Code, Cursor, VSCodium or Zed (or use JetBrains Gateway with the ssh host lima-NAME).".into(),
            })?,
        };
        // A path inside a mount is the same path in the guest; one outside any mount
        // is taken as a guest path.
        let guest_dir = guest_dir_of(&v.instance, dir).unwrap_or_else(|_| dir.to_string());
        Ok(EditorPlan {
            editor: ed.label().into(),
            argv: editor::argv(ed, &program, &v.instance.name, &guest_dir),
            host: editor::ssh_host(&v.instance.name),
            guest_dir,
        })
    }

    /// Opens `dir` of `name` in the editor, starting the VM first when it is not up.
    pub async fn open_in_editor(
        &self,
        name: &str,
        dir: &str,
        choice: Option<&str>,
    ) -> Result<OpenedEditor> {
        let t0 = Instant::now();
        let v = self.view(name).await?;
        let plan = self.plan_editor(&v, dir, choice)?;
        if plan.argv.is_empty() {
            return Ok(OpenedEditor {
                editor: plan.editor,
                host: plan.host,
                copy_host: true,
                spawn_ms: 0.0,
                started_vm: false,
                ssh_hosts_ready: ssh_hosts_ready(&self.env),
                // Gateway's backend needs nix-ld too; said only once the VM is up.
                guest_findings: if v.vm_up() {
                    self.editor_findings(name).await
                } else {
                    Vec::new()
                },
            });
        }
        let (t0, started_vm) = self.up_for_use(&v, t0).await?;
        let mut spawn_ms = 0.0;
        let log = self.env.data_dir.join("editor/editor.log");
        terminal::spawn_detached(&plan.editor, &plan.argv, &log, || {
            spawn_ms = t0.elapsed().as_secs_f64() * 1000.0
        })
        .await?;
        tracing::info!(instance = name, dir = %plan.guest_dir, editor = %plan.editor, spawn_ms, "editor opened");
        Ok(OpenedEditor {
            editor: plan.editor,
            host: plan.host,
            copy_host: false,
            spawn_ms,
            started_vm,
            ssh_hosts_ready: ssh_hosts_ready(&self.env),
            guest_findings: self.editor_findings(name).await,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_editor_that_is_gone_stays_selected_so_the_button_names_it() {
        let t = tempfile::tempdir().unwrap();
        crate::testutil::write_script(&t.path().join("code"), "#!/bin/sh\n");
        let env = HostEnv {
            path: vec![t.path().to_path_buf()],
            config_dir: t.path().join("config"),
            ..HostEnv::default()
        };
        let found = editors(&env);
        assert_eq!(
            found.selected.as_ref().map(|s| s.id.as_str()),
            Some("vscode")
        );
        super::super::settings::set_editor(&env, "zed").unwrap();
        let e = editors(&env);
        assert_eq!(e.selected.as_ref().map(|s| s.label.as_str()), Some("Zed"));
        let ids: Vec<&str> = e.choices.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["vscode", "zed"]);
    }
}
