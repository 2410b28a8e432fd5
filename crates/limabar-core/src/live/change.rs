//! `Change`: everything that happened, as one documented enum. The monitor emits it on a
//! broadcast channel; the app turns it into UI events, tray updates and notifications,
//! the CLI prints it (`limabar watch --json`), tests assert on it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorInfo;
use crate::features::mounts::verify::MountCheck;
use crate::lima::inventory::Instance;
use crate::live::readiness::VmState;

/// A lifecycle operation Limabar runs through limactl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Operation {
    Start,
    Stop,
    ForceStop,
    Restart,
    /// Applying mount changes (a restart when the VM runs).
    Mounts,
    /// Deleting the VM (`delete -f` when Lima lists it as anything but Stopped).
    Delete,
    /// `limactl create` is under way (Lima lists the VM as Stopped meanwhile).
    Create,
}

impl Operation {
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Start => "start",
            Operation::Stop | Operation::ForceStop => "stop",
            Operation::Restart => "restart",
            Operation::Mounts => "mount",
            Operation::Delete => "delete",
            Operation::Create => "create",
        }
    }
}

/// An instance as the UI and `limabar list --json` see it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct InstanceView {
    #[serde(flatten)]
    #[ts(flatten)]
    pub instance: Instance,
    pub state: VmState,
    /// The operation Limabar is running on it, if any.
    pub operation: Option<Operation>,
    /// Typical boot time of this instance on this machine (median of recent boots).
    pub boot_estimate_secs: Option<f64>,
    /// Its forwarded ports while it runs, from its host agent's events.
    pub ports: Vec<crate::live::ports::PortView>,
}

impl InstanceView {
    /// Whether the VM process runs, by our state or by Lima's last listing: a mount
    /// change then needs a restart (`limactl edit` refuses running instances).
    pub fn vm_up(&self) -> bool {
        self.state.is_up() || self.instance.status == crate::lima::inventory::LimaStatus::Running
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
#[ts(export)]
#[allow(clippy::large_enum_variant)] // a few per event, to a few subscribers: boxing would reach every match
pub enum Change {
    /// Added, or any of its fields or its state changed.
    Upserted { instance: InstanceView },
    /// Its directory is gone.
    Removed { name: String },
    /// The state's kind (or phase) changed. `byLimabar`: the boot or stop was begun here.
    #[serde(rename_all = "camelCase")]
    StateChanged {
        name: String,
        from: VmState,
        to: VmState,
        by_limabar: bool,
    },
    /// An operation ended; `error` is set when it failed.
    OperationEnded {
        name: String,
        operation: Operation,
        error: Option<ErrorInfo>,
    },
    /// Writable mounts checked inside the guest after a mount change and restart.
    #[serde(rename_all = "camelCase")]
    MountsChecked {
        name: String,
        checks: Vec<MountStatus>,
    },
    /// Something was skipped or could not be read (a garbage line, a vanished file).
    Warning {
        instance: Option<String>,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MountStatus {
    pub mount_point: String,
    pub check: MountCheck,
    /// The check in words, with what to do about it.
    pub explanation: String,
}
