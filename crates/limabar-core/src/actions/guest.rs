//! The doctor's look inside a running guest (`features::doctor::guest`): probed when a
//! VM becomes ready and when asked ("Check again", `limabar doctor`), remembered while
//! the VM stays up, and added to its diagnosis. Opening an editor in a NixOS guest
//! without nix-ld says why the editor's server will not start, with the fix.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{Push, Session};
use crate::error::{CoreError, Result};
use crate::features::doctor::guest::{self, GuestFacts};
use crate::features::doctor::Finding;
use crate::lima::guest as lima_guest;
use crate::lima::locate::Limactl;

/// What the last probe of each running VM saw.
#[derive(Default)]
pub(super) struct GuestChecks(Mutex<BTreeMap<String, GuestFacts>>);

impl GuestChecks {
    pub(super) fn forget(&self, name: &str) {
        self.0.lock().unwrap().remove(name);
    }

    fn remember(&self, name: &str, facts: GuestFacts) {
        self.0.lock().unwrap().insert(name.to_string(), facts);
    }

    pub(super) fn facts(&self, name: &str) -> Option<GuestFacts> {
        self.0.lock().unwrap().get(name).cloned()
    }

    /// The findings of `name`'s last probe (none before one ran).
    pub(super) fn findings(&self, name: &str) -> Vec<Finding> {
        self.facts(name)
            .map(|f| guest::examine(&f, name))
            .unwrap_or_default()
    }
}

/// Runs the doctor's probe inside `name`, which must be up (`limabar doctor` too).
pub async fn probe(limactl: &Limactl, name: &str) -> Result<GuestFacts> {
    let out = lima_guest::run(&limactl.runner, limactl.features, name, &guest::call(name)).await?;
    if !out.success() {
        return Err(CoreError::Failed {
            command: format!("check inside {name}"),
            detail: out.failure_message(),
        });
    }
    Ok(GuestFacts::parse(&out.stdout))
}

impl Session {
    /// Runs the probe in `name` (which must be up) and remembers what it saw.
    pub async fn probe_guest(&self, name: &str) -> Result<GuestFacts> {
        let facts = probe(self.monitor.limactl(), name).await?;
        // The VM may have stopped while the probe ran: then nothing is remembered.
        if self.view(name).await.is_ok_and(|v| v.vm_up()) {
            self.guest.remember(name, facts.clone());
        }
        Ok(facts)
    }

    /// "Check again": probes `name` now and returns its diagnosis with what it found
    /// (also pushed, for every window showing it).
    pub async fn check_guest(&self, name: &str) -> Result<super::Diagnosis> {
        let v = self.view(name).await?;
        if !v.vm_up() {
            return Err(CoreError::NotRunning { name: name.into() });
        }
        self.probe_guest(name).await?;
        let d = self.diagnosis(name).await?;
        self.push(Push::Diagnosis(d.clone()));
        Ok(d)
    }

    /// Probes a VM that just became ready, then pushes its diagnosis again.
    pub(super) fn probe_in_background(&self, name: String) {
        let me = self.me.clone();
        tokio::spawn(async move {
            let Some(s) = me.upgrade() else { return };
            match s.probe_guest(&name).await {
                Ok(_) => {
                    if let Ok(d) = s.diagnosis(&name).await {
                        s.push(Push::Diagnosis(d));
                    }
                }
                Err(e) => tracing::debug!(instance = %name, error = %e, "guest check failed"),
            }
        });
    }

    /// The guest findings an editor opened in `name` runs into (nix-ld first), from the
    /// last probe or a new one.
    pub(super) async fn editor_findings(&self, name: &str) -> Vec<Finding> {
        let facts = match self.guest.facts(name) {
            Some(f) => f,
            None => match self.probe_guest(name).await {
                Ok(f) => {
                    // New news for the doctor too: what the page shows agrees with it.
                    if let Ok(d) = self.diagnosis(name).await {
                        self.push(Push::Diagnosis(d));
                    }
                    f
                }
                Err(_) => return Vec::new(),
            },
        };
        guest::examine(&facts, name)
    }
}
