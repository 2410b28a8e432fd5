//! The per-instance scenario knob: `<instance dir>/sim.json`, e.g.
//! `{"scenario": "degraded", "bootSecs": 2.0}`. Fields:
//!
//! - `scenario`: `healthy` (default), `slow` (the ssh requirement is retried for a long
//!   time), `degraded` (the guest agent never answers), `exit-early` (the driver fails
//!   and the host agent exits), `hang` (stuck at a requirement forever).
//! - `bootSecs`: seconds from agent start to `running` (default `LIMACTL_SIM_BOOT_SECS`
//!   or 3.0; `slow` defaults to 20).
//! - `hangAt`: the requirement description `hang` stops at (default `ssh`).
//! - `stopSecs`: graceful shutdown time (default 0.5).
//! - `sshPort`: the host port reported (default: derived from the name).
//! - `poweroffAfter`: seconds after `running` at which the guest powers itself off
//!   (`poweroff` in the guest, a `reboot` on VZ, a driver error): the driver stops and the
//!   host agent shuts down as Lima's does on that path, without being asked to.
//! - `failAt`: the description of a requirement that never succeeds; the boot goes on
//!   and ends degraded with Lima's `failed to satisfy …` error, debug hint included.
//! - `ports`: `[{"guestPort": 8080, "afterSecs": 0.5}]`, guest programs listening after
//!   the boot; the host agent forwards each to the same port on 127.0.0.1 as Lima's
//!   default rule does (`guest_ports.rs`), serving HTTP there.
//! - `vmRssMiB`: the QEMU process holds that much (it only grows: SIGUSR1 makes it
//!   read `sim.json` again); `guestMemory: {"totalMiB", "availableMiB"}`: the guest's
//!   `/proc/meminfo` (`guest_memory.rs`).
//! - `nixos`: the guest is NixOS (`nixos_guest.rs`): `{}` is nixos-lima's image as it
//!   ships (neither nix-ld nor direnv); `{"nixLd": true, "direnv": true,
//!   "nixDirenv": false}` is a guest rebuilt with those modules. Without it, the guest
//!   is this host.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    #[serde(default)]
    pub scenario: Kind,
    pub boot_secs: Option<f64>,
    pub hang_at: Option<String>,
    pub stop_secs: Option<f64>,
    pub ssh_port: Option<u16>,
    pub poweroff_after: Option<f64>,
    pub fail_at: Option<String>,
    pub nixos: Option<NixosConfig>,
    /// Guest ports that open after the boot (`guest_ports.rs`).
    #[serde(default)]
    pub ports: Vec<GuestPort>,
    /// The resident size of the QEMU process, in MiB (`guest_memory.rs`).
    #[serde(rename = "vmRssMiB")]
    pub vm_rss_mib: Option<u64>,
    /// What the guest's `/proc/meminfo` says (`guest_memory.rs`).
    pub guest_memory: Option<GuestMemory>,
}

/// The guest's `MemTotal` and `MemAvailable`, in MiB.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestMemory {
    #[serde(rename = "totalMiB")]
    pub total_mib: u64,
    #[serde(rename = "availableMiB")]
    pub available_mib: u64,
}

/// A port a guest program listens on, `afterSecs` after the VM is running.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestPort {
    pub guest_port: u16,
    #[serde(default)]
    pub after_secs: f64,
    /// The guest listens on 127.0.0.1 instead of 0.0.0.0.
    #[serde(default)]
    pub loopback: bool,
}

/// What the NixOS guest's configuration enables (nixpkgs module options).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NixosConfig {
    /// `programs.nix-ld.enable` (off in nixos-lima's `lima.nix`).
    #[serde(default)]
    pub nix_ld: bool,
    /// `programs.direnv.enable` (off in nixos-lima's `lima.nix`).
    #[serde(default)]
    pub direnv: bool,
    /// `programs.direnv.nix-direnv.enable`: `true` by default in nixpkgs'
    /// `nixos/modules/programs/direnv.nix`.
    #[serde(default = "yes")]
    pub nix_direnv: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    Healthy,
    Slow,
    Degraded,
    ExitEarly,
    Hang,
}

impl Scenario {
    pub fn load(dir: &Path) -> Scenario {
        std::fs::read_to_string(dir.join("sim.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    pub fn boot_secs(&self) -> f64 {
        let default = std::env::var("LIMACTL_SIM_BOOT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3.0);
        self.boot_secs.unwrap_or(if self.scenario == Kind::Slow {
            20.0
        } else {
            default
        })
    }

    pub fn ssh_port(&self, name: &str) -> u16 {
        self.ssh_port
            .unwrap_or_else(|| 50000 + (name.bytes().map(u32::from).sum::<u32>() % 10000) as u16)
    }
}
