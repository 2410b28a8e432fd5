//! Deleting an instance, after the user confirmed it. Lima deletes a `Stopped` instance
//! as asked, but refuses any other without `--force` (`pkg/instance/delete.go`:
//! ``expected status `Stopped`, got `Broken` ``, or got `` `` `` for an invalid lima.yaml):
//! exactly the broken VMs users most want gone. So a VM that is not running but not
//! `Stopped` either is deleted with `-f`, which first stops whatever is left of it
//! (`StopForcibly`). A running VM is refused before Lima is asked (stop it first), and
//! so is a protected one, with how to unprotect it.

use crate::error::{CoreError, Result};
use crate::live::change::{InstanceView, Operation};
use crate::live::monitor::Monitor;

/// Why Limabar will not ask Lima to delete `view` (a running VM is the monitor's to
/// refuse, as for every operation: `not-stopped`).
fn refusal(view: &InstanceView) -> Option<CoreError> {
    view.instance.protected.then(|| CoreError::Protected {
        name: view.instance.name.clone(),
    })
}

/// Deletes `view` through the monitor: one operation like Start and Stop (shown as
/// "Deleting…", under the per-VM lock, whose file goes with the VM). `-f` is decided on
/// a fresh listing when the operation runs.
pub async fn delete(monitor: &Monitor, view: &InstanceView) -> Result<()> {
    if let Some(e) = refusal(view) {
        return Err(e);
    }
    monitor.run(&view.instance.name, Operation::Delete).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lima::inventory::LimaStatus;
    use crate::live::readiness::VmState;

    fn view(status: LimaStatus, state: VmState, protected: bool) -> InstanceView {
        let mut v = crate::testutil::view("dev", status, state);
        v.instance.protected = protected;
        v
    }

    #[test]
    fn a_protected_vm_is_refused_with_its_own_code_and_the_way_out() {
        let protected = refusal(&view(LimaStatus::Stopped, VmState::Stopped, true)).unwrap();
        assert_eq!(protected.code(), crate::ErrorCode::Protected);
        assert!(!protected.to_string().contains("limactl"), "{protected}");
        assert!(protected.hint().unwrap().contains("limactl unprotect dev"));
        assert!(refusal(&view(LimaStatus::Broken, VmState::Stopped, false)).is_none());
    }
}
