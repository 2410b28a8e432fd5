//! What Limabar does with a VM besides starting and stopping it: shared folders, dev
//! shells and terminals, creating and deleting VMs, the doctor, failure explanations,
//! logs, and forwarded ports. Each is planned as data and run through the `lima` floor.

pub mod create;
pub mod delete;
pub mod develop;
pub mod doctor;
pub mod editor;
pub mod explain;
pub mod logs;
pub mod memory;
pub mod mounts;
pub mod port_holder;
pub mod ports;
pub mod ssh_config;
pub mod terminal;
pub mod vz_memory;
