//! `limabar create --name N [--cpus C] [--memory M] [--disk D] [--mount DIR]… [--dry-run]`:
//! a NixOS VM from Limabar's known-good template, created by Lima, then started and
//! followed to ready. `--dry-run` prints the YAML and changes nothing.

use limabar_core::actions::{new_vm_yaml, NewVmRequest, Session};
use limabar_core::env::HostEnv;
use limabar_core::{CoreError, Operation};

pub struct CreateArgs {
    pub name: String,
    pub cpus: u32,
    pub memory_gib: u32,
    pub disk_gib: u32,
    pub mounts: Vec<String>,
}

impl CreateArgs {
    fn request(&self) -> NewVmRequest {
        NewVmRequest {
            name: self.name.clone(),
            cpus: self.cpus,
            memory_gib: self.memory_gib,
            disk_gib: self.disk_gib,
            folders: self.mounts.clone(),
        }
    }
}

/// The same template as the app's New VM (one function: `actions::new_vm_yaml`).
pub fn yaml(env: &HostEnv, a: &CreateArgs) -> Result<String, CoreError> {
    new_vm_yaml(env, &a.request())
}

/// The app's New VM: created by Lima with each stage printed, then its first boot
/// followed to ready.
pub async fn run(session: &Session, a: CreateArgs, json: bool) -> Result<(), CoreError> {
    let changes = session.monitor().subscribe();
    let boot = session
        .create(&a.request(), |p| {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"type": "createStage", "name": p.name, "stage": p.stage, "secs": p.secs})
                );
            } else {
                eprintln!("{}: {} ({:.1} s)", p.name, p.label, p.secs);
            }
        })
        .await?;
    crate::follow(session, changes, boot, &a.name, Operation::Start, json).await
}
