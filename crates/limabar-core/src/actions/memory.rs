//! A running VM's memory as the popover shows it (asked when it shows the VM, never on a
//! timer): what it holds of the host's, what its guest uses, and what a restart returns.

use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

use super::Session;
use crate::error::{CoreError, Result};
use crate::features::memory::{host_held, meminfo_call, parse_meminfo, returnable};

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
        let (dir, vm_type) = (v.instance.dir.clone(), v.instance.vm_type.clone());
        let held = tokio::task::spawn_blocking(move || host_held(Path::new(&dir), &vm_type))
            .await
            .ok()
            .flatten();
        let limactl = self.monitor.limactl();
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
        Ok(MemoryView {
            name: name.to_string(),
            held_bytes: held,
            guest_total_bytes: guest.map(|g| g.0),
            guest_used_bytes: guest.map(|(t, a)| t - a),
            returnable_bytes,
            restart_secs: v.boot_estimate_secs,
        })
    }
}
