//! Deleting an instance, after the user confirmed it. Lima deletes a `Stopped` instance
//! as asked, but refuses any other without `--force` (`pkg/instance/delete.go`:
//! ``expected status `Stopped`, got `Broken` ``, or got `` `` `` for an invalid lima.yaml):
//! exactly the broken VMs users most want gone. So a VM that is not running but not
//! `Stopped` either is deleted with `-f`, which first stops whatever is left of it
//! (`StopForcibly`). A running VM is refused before Lima is asked (stop it first); a
//! protected one is refused by Lima, with how to unprotect it.

use std::path::Path;
use std::time::Duration;

use crate::change::InstanceView;
use crate::error::{CoreError, Result};
use crate::inventory::LimaStatus;
use crate::locate::Limactl;
use crate::oplock;
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
    Ok(if view.instance.status == LimaStatus::Stopped {
        Runner::argv("delete", &[name])
    } else {
        Runner::argv("delete", &["-f", name])
    })
}

/// Deletes `view` under its operation lock (`locks`: the cross-process lock directory),
/// and removes the lock file with the VM.
pub async fn delete(limactl: &Limactl, locks: Option<&Path>, view: &InstanceView) -> Result<()> {
    let args = argv(view)?;
    let name = &view.instance.name;
    let lock = locks
        .map(|dir| oplock::acquire(dir, &limactl.runner.lima_home, name, "delete"))
        .transpose()?;
    let out = limactl.runner.run(&args, Duration::from_secs(120)).await?;
    if !out.success() {
        return Err(CoreError::Failed {
            command: args.join(" "),
            detail: out.failure_message(),
        });
    }
    if let Some(lock) = lock {
        lock.release_and_remove();
    }
    Ok(())
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
