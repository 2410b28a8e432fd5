//! Deleting an instance, after the user confirmed it. Lima deletes a `Stopped` instance
//! as asked, but refuses any other without `--force` (`pkg/instance/delete.go`:
//! ``expected status `Stopped`, got `Broken` ``, or got `` `` `` for an invalid lima.yaml):
//! exactly the broken VMs users most want gone. So a VM that is not running but not
//! `Stopped` either is deleted with `-f`, which first stops whatever is left of it
//! (`StopForcibly`). A running VM is refused before Lima is asked (stop it first); a
//! protected one is refused by Lima, with how to unprotect it.

use crate::change::{InstanceView, Operation};
use crate::error::{CoreError, Result};
use crate::inventory::LimaStatus;
use crate::monitor::Monitor;
use crate::runner::Runner;

/// The argv that deletes `view`, or why Limabar will not ask Lima.
pub fn argv(view: &InstanceView) -> Result<Vec<String>> {
    let name = view.instance.name.as_str();
    if view.vm_up() {
        return Err(CoreError::NotStopped { name: name.into() });
    }
    if view.instance.protected {
        return Err(CoreError::Protected { name: name.into() });
    }
    Ok(argv_for(name, view.instance.status == LimaStatus::Stopped))
}

/// `delete NAME`, or `delete -f NAME` for an instance Lima does not list as Stopped.
pub fn argv_for(name: &str, stopped: bool) -> Vec<String> {
    if stopped {
        Runner::argv("delete", &[name])
    } else {
        Runner::argv("delete", &["-f", name])
    }
}

/// Deletes `view` through the monitor: one operation like Start and Stop (shown as
/// "Deleting…", under the per-VM lock, whose file goes with the VM), after Limabar's own
/// refusals. `-f` is decided on a fresh listing when the operation runs.
pub async fn delete(monitor: &Monitor, view: &InstanceView) -> Result<()> {
    argv(view)?;
    monitor.run(&view.instance.name, Operation::Delete).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::VmState;

    fn view(status: LimaStatus, state: VmState, protected: bool) -> InstanceView {
        let mut v = crate::testutil::view("dev", status, state);
        v.instance.protected = protected;
        v
    }

    #[test]
    fn broken_and_invalid_vms_are_forced_stopped_ones_are_not() {
        let stopped = argv(&view(LimaStatus::Stopped, VmState::Stopped, false)).unwrap();
        assert_eq!(stopped, vec!["delete", "--tty=false", "dev"]);
        for status in [LimaStatus::Broken, LimaStatus::Unknown] {
            let forced = argv(&view(status, VmState::Stopped, false)).unwrap();
            assert_eq!(forced, vec!["delete", "--tty=false", "-f", "dev"]);
        }
    }

    #[test]
    fn running_and_protected_vms_are_refused_with_their_own_codes() {
        let running = argv(&view(LimaStatus::Running, VmState::Stopped, false)).unwrap_err();
        assert_eq!(running.code(), crate::ErrorCode::NotStopped);
        assert!(!running.to_string().contains("limactl"), "{running}");
        let protected = argv(&view(LimaStatus::Stopped, VmState::Stopped, true)).unwrap_err();
        assert_eq!(protected.code(), crate::ErrorCode::Protected);
        assert!(protected.hint().unwrap().contains("limactl unprotect dev"));
    }
}
