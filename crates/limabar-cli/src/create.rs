//! `limabar create --name N [--cpus C] [--memory M] [--disk D] [--mount DIR]… [--dry-run]`:
//! a NixOS VM from Limabar's known-good template, created by Lima, then started and
//! followed to ready. `--dry-run` prints the YAML and changes nothing.

use limabar_core::actions::{new_vm_yaml, NewVmRequest};
use limabar_core::env::HostEnv;
use limabar_core::features::create;
use limabar_core::lima::locate::Limactl;
use limabar_core::{CoreError, Operation};

pub struct CreateArgs {
    pub name: String,
    pub cpus: u32,
    pub memory_gib: u32,
    pub disk_gib: u32,
    pub mounts: Vec<String>,
}

/// The same template as the app's New VM (one function: `actions::new_vm_yaml`).
pub fn yaml(env: &HostEnv, a: &CreateArgs) -> Result<String, CoreError> {
    let request = NewVmRequest {
        name: a.name.clone(),
        cpus: a.cpus,
        memory_gib: a.memory_gib,
        disk_gib: a.disk_gib,
        folders: a.mounts.clone(),
    };
    new_vm_yaml(env, &request)
}

pub async fn run(
    limactl: &Limactl,
    env: &HostEnv,
    a: CreateArgs,
    json: bool,
) -> Result<(), CoreError> {
    let text = yaml(env, &a)?;
    // Kept in Limabar's own folder: the user's folders never get a stray lima.yaml.
    let file = env
        .data_dir
        .join("templates")
        .join(format!("{}.yaml", a.name));
    limabar_core::fsutil::write_atomic(&file, text.as_bytes())
        .map_err(|e| CoreError::io(format!("writing {}", file.display()), e))?;
    let locks = env.op_locks_dir();
    create::create(&limactl.runner, Some(&locks), &a.name, &file, |stage, t| {
        if json {
            println!(
                "{}",
                serde_json::json!({"type": "createStage", "name": a.name, "stage": stage, "secs": t.as_secs_f64()})
            );
        } else {
            eprintln!("{}: {} ({:.1} s)", a.name, stage.label(), t.as_secs_f64());
        }
    })
    .await?;
    crate::lifecycle(limactl.clone(), env, &a.name, Operation::Start, json).await
}
