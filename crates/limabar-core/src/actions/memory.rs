//! A running VM's memory as the popover shows it (asked when it shows the VM, never on a
//! timer): what it holds of the host's, what its guest uses, and what a restart returns.

use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

use super::Session;
use crate::error::{CoreError, Result};
use crate::features::memory::{host_held, meminfo_call, parse_meminfo, returnable};
use crate::lima::locate::Limactl;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MemoryView {
    pub name: String,
    /// What the VM process holds of this machine's memory, when this platform can say.
    #[ts(type = "number | null")]
    pub held_bytes: Option<u64>,
    /// The guest's `MemTotal` and `MemTotal − MemAvailable`.
    #[ts(type = "number | null")]
    pub guest_total_bytes: Option<u64>,
    #[ts(type = "number | null")]
    pub guest_used_bytes: Option<u64>,
    /// What a restart would give back, when that is worth one.
    #[ts(type = "number | null")]
    pub returnable_bytes: Option<u64>,
    /// How long that restart takes here (its typical boot).
    pub restart_secs: Option<f64>,
}

impl Session {
    /// `name`'s memory now; its guest is asked over `limactl shell`.
    pub async fn memory(&self, name: &str) -> Result<MemoryView> {
        let v = self.view(name).await?;
        if !v.vm_up() {
            return Err(CoreError::NotRunning { name: name.into() });
        }
        Ok(measure(
            self.monitor.limactl(),
            name,
            &v.instance.dir,
            &v.instance.vm_type,
            v.boot_estimate_secs,
        )
        .await)
    }
}

/// A running instance's memory (its directory and `vmType` as Lima lists them): the VM
/// process's resident set and the guest's meminfo, for the session and `limabar list`.
pub async fn measure(
    limactl: &Limactl,
    name: &str,
    dir: &str,
    vm_type: &str,
    restart_secs: Option<f64>,
) -> MemoryView {
    let (dir, vm) = (dir.to_string(), vm_type.to_string());
    let held = tokio::task::spawn_blocking(move || host_held(Path::new(&dir), &vm))
        .await
        .ok()
        .flatten();
    let guest =
        crate::lima::guest::run(&limactl.runner, limactl.features, name, &meminfo_call(name))
            .await
            .ok()
            .filter(|out| out.success())
            .and_then(|out| parse_meminfo(&out.stdout));
    let returnable_bytes = match (held, guest) {
        (Some(h), Some((total, available))) => returnable(h, total, available),
        _ => None,
    };
    MemoryView {
        name: name.to_string(),
        held_bytes: held,
        guest_total_bytes: guest.map(|g| g.0),
        guest_used_bytes: guest.map(|(t, a)| t - a),
        returnable_bytes,
        restart_secs,
    }
}
