//! Limabar's domain core: find and run `limactl`, parse what it prints, fold host-agent
//! events into VM state, and publish every change. No Tauri, no GUI: the app and the
//! `limabar` CLI are two front ends over this crate.

pub mod boots;
pub mod change;
pub mod create;
pub mod delete;
pub mod develop;
pub mod doctor;
pub mod env;
pub mod error;
pub mod events;
pub mod explain;
pub mod fsutil;
pub mod fswatch;
pub mod guest;
pub mod halog;
pub mod inventory;
pub mod locate;
pub mod logs;
pub mod monitor;
pub mod mounts;
pub mod oplock;
pub mod procwatch;
pub mod quote;
pub mod readiness;
pub mod runner;
pub mod settings;
pub mod snapshot;
pub mod tail;
pub mod terminal;
#[cfg(test)]
mod testutil;
pub mod tray;
pub mod version;

pub use change::{Change, InstanceView, Operation};
pub use error::{CoreError, ErrorCode, ErrorInfo};
pub use monitor::{Monitor, MonitorConfig};
pub use readiness::VmState;
