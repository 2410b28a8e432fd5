//! The limactl boundary: finding limactl and its version, running it (the one place a
//! process is spawned), and parsing what it prints and what its host agents log.

pub mod events;
pub mod guest;
pub mod halog;
pub mod inventory;
pub mod limactl;
pub mod locate;
pub mod procwatch;
pub mod runner;
pub mod tail;
pub mod version;
