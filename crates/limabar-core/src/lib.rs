//! Limabar's domain core: find and run `limactl`, parse what it prints, fold host-agent
//! events into VM state, and publish every change. No Tauri, no GUI: the app and the
//! `limabar` CLI are two front ends over this crate.
//!
//! Its folders are its floors, each using only the ones below it:
//! - `lima`: the limactl boundary (find it, run it, parse what it prints and logs);
//! - `live`: live state (the readiness fold, the monitor, what changed, boot history);
//! - `features`: mounts, dev shells, terminals, creation, the doctor, explanations, logs;
//! - `actions`: the use cases both front ends call, one function each.
//!
//! Beside them, what every floor may use: the captured environment, errors, settings,
//! quoting, atomic files and file watching.

pub mod actions;
pub mod env;
pub mod error;
pub mod features;
pub mod fsutil;
pub mod fswatch;
pub mod lima;
pub mod live;
pub mod quote;
pub mod settings;
#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests run real programs and read the real environment
mod testutil;

pub use error::{CoreError, ErrorCode, ErrorInfo};
pub use live::change::{Change, InstanceView, Operation};
pub use live::monitor::{Monitor, MonitorConfig};
pub use live::readiness::VmState;
