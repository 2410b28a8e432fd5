//! A VM's life: start, stop, restart, force-stop and delete (each a monitor operation
//! under the per-VM lock), its limactl line for "Copy as limactl command", and "New
//! NixOS VM": Limabar's known-good template, created by Lima, then started like any
//! Start (boot phases, then the ready notification).

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use ts_rs::TS;

use super::{Push, Session};
use crate::env::HostEnv;
use crate::error::{CoreError, Result};
use crate::features::create::{template_yaml, CreateStage, NewVm};
use crate::features::mounts::probe::HostFs;
use crate::live::change::{Change, InstanceView, Operation};
use crate::live::readiness::VmState;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewVmRequest {
    pub name: String,
    pub cpus: u32,
    pub memory_gib: u32,
    pub disk_gib: u32,
    pub folders: Vec<String>,
}

/// One stage of a creation, as the popover shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CreateProgress {
    pub name: String,
    pub stage: CreateStage,
    pub label: String,
    pub secs: f64,
}

/// The lima.yaml "New NixOS VM" would create for `r` ("Show configuration", `--dry-run`),
/// or why it cannot be made. Relative folders are taken from the current directory.
pub fn new_vm_yaml(env: &HostEnv, r: &NewVmRequest) -> Result<String> {
    let vm = NewVm {
        name: r.name.trim().to_string(),
        cpus: r.cpus,
        memory_gib: r.memory_gib,
        disk_gib: r.disk_gib,
        folders: r
            .folders
            .iter()
            .map(|m| std::path::absolute(m).unwrap_or_else(|_| PathBuf::from(m)))
            .collect(),
        lima_home: Some(env.lima_home.clone()),
    };
    template_yaml(&vm, cfg!(target_os = "macos"), env.home.as_deref(), &HostFs)
        .map_err(|e| CoreError::invalid(e.to_string()))
}

impl Session {
    /// Begins `op` on `name`; its progress and end arrive as changes.
    pub async fn begin(&self, name: &str, op: Operation) -> Result<()> {
        self.monitor.begin(name, op).await.map(|_| ())
    }

    /// The exact limactl line `begin(name, op)` runs, for the user's own terminal.
    pub async fn command_line(&self, name: &str, op: Operation) -> Result<String> {
        let call =
            self.monitor.call_for(name, op).await?.ok_or_else(|| {
                CoreError::invalid(format!("{} is several limactl calls", op.verb()))
            })?;
        Ok(call.line(&self.monitor.limactl().runner.program))
    }

    /// Deletes `name` (after the user confirmed): refused for a running or protected VM.
    pub async fn delete(&self, name: &str) -> Result<()> {
        let v = self.view(name).await?;
        crate::features::delete::delete(&self.monitor, &v).await
    }

    /// Creates a VM from Limabar's template (kept in Limabar's data folder: the user's
    /// folders never get a stray lima.yaml), pushing each stage, then begins its first
    /// boot. Returns once the boot has begun, with the receiver of its outcome;
    /// `on_stage` sees each stage too.
    pub async fn create(
        &self,
        r: &NewVmRequest,
        mut on_stage: impl FnMut(&CreateProgress) + Send,
    ) -> Result<oneshot::Receiver<Result<()>>> {
        let name = r.name.trim().to_string();
        let text = new_vm_yaml(&self.env, r)?;
        let file = self
            .env
            .data_dir
            .join("templates")
            .join(format!("{name}.yaml"));
        crate::fsutil::write_atomic(&file, text.as_bytes())
            .map_err(|e| CoreError::io(format!("writing {}", file.display()), e))?;
        self.monitor
            .create(&name, &file, |stage, t| {
                let p = CreateProgress {
                    name: name.clone(),
                    stage,
                    label: stage.label().to_string(),
                    secs: t.as_secs_f64(),
                };
                on_stage(&p);
                self.push(Push::Create(p));
            })
            .await?;
        // The monitor lists the new VM before `create` returns: start it like any Start.
        self.monitor.begin(&name, Operation::Start).await
    }

    /// For a click that opens something in `v` (a terminal, an editor), asked at `t0`:
    /// starts it first when it is not up — by its state, not Lima's listing, which lags
    /// behind a stop. The app's own time is then counted from when it is up. Returns
    /// that moment and whether the VM was started.
    pub async fn up_for_use(&self, v: &InstanceView, t0: Instant) -> Result<(Instant, bool)> {
        if v.state.is_up() {
            return Ok((t0, false));
        }
        self.start_and_wait(v).await?;
        Ok((Instant::now(), true))
    }

    /// Starts a stopped VM (or waits for the boot already under way) until it is up.
    pub async fn start_and_wait(&self, v: &InstanceView) -> Result<()> {
        let name = v.instance.name.clone();
        let mut changes = self.monitor.subscribe();
        let booting = matches!(v.state, VmState::Starting { .. }) || v.operation.is_some();
        if !booting {
            return self.monitor.run(&name, Operation::Start).await;
        }
        loop {
            match changes.recv().await {
                Ok(Change::StateChanged { name: n, to, .. }) if n == name => {
                    if to.is_up() {
                        return Ok(());
                    }
                    if let VmState::Failed { reason, .. } = &to {
                        return Err(CoreError::Failed {
                            command: "start".into(),
                            detail: reason.clone(),
                        });
                    }
                }
                Ok(Change::OperationEnded {
                    name: n,
                    error: Some(e),
                    ..
                }) if n == name => return Err(CoreError::Reported(e)),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return Err(CoreError::io("monitor", "stopped")),
            }
        }
    }
}
