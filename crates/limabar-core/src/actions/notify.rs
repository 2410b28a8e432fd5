//! Which changes become a desktop notification: the tray's policy (`notice_for`: what
//! is worth telling, not while the popover shows it) and the user's settings (ready
//! notifications and problem notifications can each be turned off).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::env::HostEnv;
use crate::live::change::Change;
use crate::live::readiness::VmState;
use crate::live::tray::{notice_for, Notice};

/// The notification for `change`, if the policy and the settings want one. The
/// settings file is read only when there is something to show.
pub fn notice(env: &HostEnv, change: &Change, popover_visible: bool) -> Option<Notice> {
    let notice = notice_for(change, popover_visible, now_ms())?;
    let s = super::settings::load(env);
    let ready = matches!(
        change,
        Change::StateChanged {
            to: VmState::Ready { .. },
            ..
        }
    );
    let wanted = if ready {
        s.notify_ready
    } else {
        s.notify_problems
    };
    wanted.then_some(notice)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
