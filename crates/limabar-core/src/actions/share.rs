//! Sharing folders: a drop is planned once, here, and remembered as the instance's
//! pending change. A stopped VM is edited at once (nothing to wait for); a running one
//! keeps the change pending until the user chooses "Restart to apply" (Lima applies
//! mounts only at boot). The pending change ends when its operation does.

use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

use super::Session;
use crate::error::Result;
use crate::features::mounts::apply::invocations;
use crate::features::mounts::probe::HostFs;
use crate::features::mounts::source::Sources;
use crate::features::mounts::{plan_add, plan_remove, Plan, PlanInput};
use crate::lima::limactl::Call;
use crate::live::change::InstanceView;
use crate::live::readiness::VmState;

/// What sharing folders did: the plan, and whether it is already being applied (a
/// stopped VM is edited at once; a running one waits for "Restart to apply").
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MountProposal {
    pub plan: Plan,
    pub applied: bool,
}

/// A change waiting for "Restart to apply": what was asked, so applying plans again
/// against the instance as it is then (it may have changed meanwhile).
#[derive(Debug, Clone)]
pub(super) struct Pending {
    paths: Vec<PathBuf>,
    writable: bool,
    confirmed: bool,
    plan: Plan,
}

impl Session {
    fn plan_for(&self, v: &InstanceView, p: &Pending) -> Result<Plan> {
        let sources =
            Sources::of_instance(&v.instance, &self.env.lima_home, self.env.home.as_deref())?;
        let input = PlanInput {
            current: &v.instance.mounts,
            sources: &sources,
            lima: Some(self.monitor.limactl().features),
            home: self.env.home.as_deref(),
            guest_home: v.instance.guest_home.as_deref(),
            writable: p.writable,
            confirmed: p.confirmed,
        };
        Ok(plan_add(&input, &p.paths, &HostFs))
    }

    /// Folders dropped on `name` (or a mount's writability flipped: its mount point
    /// with `confirmed`): planned, remembered as pending, and applied at once when the
    /// VM is stopped and the plan is clean.
    pub async fn share_folders(
        &self,
        name: &str,
        paths: Vec<String>,
        writable: bool,
        confirmed: bool,
    ) -> Result<MountProposal> {
        let v = self.view(name).await?;
        let mut pending = Pending {
            paths: paths.into_iter().map(PathBuf::from).collect(),
            writable,
            confirmed,
            plan: Plan::default(),
        };
        pending.plan = self.plan_for(&v, &pending)?;
        let at_once = v.state == VmState::Stopped && pending.plan.errors.is_empty();
        if at_once && pending.plan.changes_anything() {
            return self.begin_pending(name, pending).await;
        }
        let plan = pending.plan.clone();
        self.pending
            .lock()
            .unwrap()
            .insert(name.to_string(), pending);
        Ok(MountProposal {
            plan,
            applied: false,
        })
    }

    /// Applies `name`'s pending change, planned again (`confirmed`: the user accepted a
    /// broad folder). Nothing left to change: the pending change is dropped.
    pub async fn apply_pending_mounts(&self, name: &str, confirmed: bool) -> Result<MountProposal> {
        let v = self.view(name).await?;
        let Some(mut p) = self.pending.lock().unwrap().get(name).cloned() else {
            return Ok(MountProposal {
                plan: Plan::default(),
                applied: false,
            });
        };
        p.confirmed |= confirmed;
        p.plan = self.plan_for(&v, &p)?;
        if !p.plan.changes_anything() {
            self.discard_pending_mounts(name);
            return Ok(MountProposal {
                plan: p.plan,
                applied: false,
            });
        }
        self.begin_pending(name, p).await
    }

    /// Begins the monitor operation applying `p`; it stays pending (shown, with its
    /// commands) until the operation ends.
    async fn begin_pending(&self, name: &str, p: Pending) -> Result<MountProposal> {
        let plan = p.plan.clone();
        let done = self.monitor.begin_mounts(name, plan.clone()).await?;
        self.pending.lock().unwrap().insert(name.to_string(), p);
        self.forget_when_done(name, plan.clone(), done);
        Ok(MountProposal {
            plan,
            applied: true,
        })
    }

    /// Once the operation applying `applied` ends (whatever its outcome, which arrives
    /// as a change), that change is no longer pending. A folder dropped meanwhile is a
    /// new pending change, and stays.
    fn forget_when_done(
        &self,
        name: &str,
        applied: Plan,
        done: tokio::sync::oneshot::Receiver<Result<()>>,
    ) {
        let weak = self.me.clone();
        let name = name.to_string();
        tokio::spawn(async move {
            let _ = done.await;
            if let Some(s) = weak.upgrade() {
                let mut pending = s.pending.lock().unwrap();
                if pending.get(&name).is_some_and(|p| p.plan == applied) {
                    pending.remove(&name);
                }
            }
        });
    }

    pub fn discard_pending_mounts(&self, name: &str) {
        self.pending.lock().unwrap().remove(name);
    }

    /// Every pending change's plan, by instance (for the UI's snapshot).
    pub fn pending_mounts(&self) -> std::collections::BTreeMap<String, Plan> {
        self.pending
            .lock()
            .unwrap()
            .iter()
            .map(|(n, p)| (n.clone(), p.plan.clone()))
            .collect()
    }

    /// The limactl lines applying `name`'s pending change would run (the same calls).
    pub async fn pending_mount_commands(&self, name: &str) -> Result<Vec<String>> {
        let Some(p) = self.pending.lock().unwrap().get(name).cloned() else {
            return Ok(Vec::new());
        };
        let program = &self.monitor.limactl().runner.program;
        Ok(self
            .calls_for(name, &p.plan)
            .await?
            .iter()
            .map(|c| c.line(program))
            .collect())
    }

    /// Stops sharing `mount_point` (at once for a stopped VM; a running one restarts).
    pub async fn remove_mount(&self, name: &str, mount_point: &str) -> Result<Plan> {
        let plan = self.plan_removal(name, &[mount_point.into()]).await?;
        if plan.changes_anything() {
            self.monitor.begin_mounts(name, plan.clone()).await?;
        }
        Ok(plan)
    }

    /// What sharing `paths` with `name` would change; nothing is remembered or run
    /// (`limabar mount add --dry-run`, and what `share_folders` starts from).
    pub async fn plan_share(
        &self,
        name: &str,
        paths: Vec<String>,
        writable: bool,
        confirmed: bool,
    ) -> Result<Plan> {
        let v = self.view(name).await?;
        let p = Pending {
            paths: paths.into_iter().map(PathBuf::from).collect(),
            writable,
            confirmed,
            plan: Plan::default(),
        };
        self.plan_for(&v, &p)
    }

    /// What removing the mounts at `mount_points` would change.
    pub async fn plan_removal(&self, name: &str, mount_points: &[String]) -> Result<Plan> {
        let v = self.view(name).await?;
        let sources =
            Sources::of_instance(&v.instance, &self.env.lima_home, self.env.home.as_deref())?;
        let paths: Vec<PathBuf> = mount_points.iter().map(PathBuf::from).collect();
        Ok(plan_remove(&v.instance.mounts, &sources, &paths))
    }

    /// The limactl calls applying `plan` to `name` runs, as it is now (an edit when
    /// stopped; a restart with the edit when running).
    pub async fn calls_for(&self, name: &str, plan: &Plan) -> Result<Vec<Call>> {
        let v = self.view(name).await?;
        Ok(invocations(self.monitor.limactl(), name, plan, v.vm_up()))
    }

    /// Begins applying `plan` as one monitor operation (refused at once when busy); a
    /// running VM restarts and its new writable mounts are checked, reported as
    /// `MountsChecked` before the operation ends. Returns the receiver of its outcome.
    pub async fn begin_plan(
        &self,
        name: &str,
        plan: Plan,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<()>>> {
        self.monitor.begin_mounts(name, plan).await
    }
}
