//! Dev shells: the flakes in an instance's mounts, their dev shells (evaluated in the
//! guest), the `limactl shell … nix develop` command for one, and pre-built dev
//! environments that open without evaluating anything.

pub mod catalog;
pub mod command;
pub mod discover;
pub mod git;
pub mod open;
pub mod service;
pub mod shells;

pub use discover::{discover, Discovery, Flake};
pub use git::GitTracking;
pub use open::{pick_terminal, plan_open, OpenPlan};
pub use service::{guest_dir_of, DevShells, DevelopCommand};
