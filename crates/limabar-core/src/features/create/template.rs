//! The seed's working configuration, brought up to date: nixos-lima v0.2.1 images with
//! their sha512 digests, VZ on macOS (Lima's default, QEMU, elsewhere), Lima's default
//! mount type (virtiofs on VZ), `~` read-only plus the chosen folders writable at the same
//! paths, containerd off, nixos-lima's UDP 68 port-forward rule, never plain mode.
//! Written with serde_norway; Lima creates the VM from it (`limactl create`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::features::mounts::guest_fstab;
use crate::features::mounts::probe::PathProbe;
use crate::features::mounts::source::Sources;
use crate::features::mounts::{plan_add, PlanInput};
use crate::lima::inventory::Mount;

pub const NIXOS_LIMA_RELEASE: &str = "v0.2.1";
const IMAGES: [(&str, &str); 2] = [
    (
        "aarch64",
        "sha512:748c723b69dbdec40a9acaf78cc9070ae784dcb64b0856ab906efdac822d9abcc65565b8f8dfa4cf8b49cc6c12c372072e83bb5ed9247330a7c22675d9e141ce",
    ),
    (
        "x86_64",
        "sha512:636c9c24d7aea340c808e72802cd05589d18c1bbeda45242e3c4725cdfdcc497cfdfd4dfecd76e4be7b8de3a688a1046f269c072bce487c0b06a60515262995e",
    ),
];

/// What the user asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVm {
    pub name: String,
    pub cpus: u32,
    pub memory_gib: u32,
    pub disk_gib: u32,
    /// Project folders, mounted writable at the same path.
    pub folders: Vec<PathBuf>,
    /// Where Lima will put it (`$LIMA_HOME`): its sockets' paths must fit.
    pub lima_home: Option<PathBuf>,
}

impl NewVm {
    pub fn named(name: &str) -> NewVm {
        NewVm {
            name: name.into(),
            cpus: 4,
            memory_gib: 8,
            disk_gib: 20,
            folders: vec![],
            lima_home: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NewVmError {
    #[error("`{0}` is not a valid instance name: use letters, digits and single `.`, `_` or `-` between them, not ending in .yml or .yaml")]
    Name(String),
    #[error("`{name}` is too long for this Lima folder: Lima's socket `{socket}` would be {len} bytes, and a socket path must be shorter than {max}")]
    NameTooLong {
        name: String,
        socket: String,
        len: usize,
        max: usize,
    },
    #[error("{0}")]
    Size(String),
    #[error("{0}")]
    Folder(String),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Template {
    #[serde(skip_serializing_if = "Option::is_none")]
    vm_type: Option<&'static str>,
    images: Vec<Image>,
    cpus: u32,
    memory: String,
    disk: String,
    mounts: Vec<TemplateMount>,
    containerd: Containerd,
    port_forwards: Vec<PortForward>,
    /// Limabar's fstab script, when a folder's path has a space (`guest_fstab`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    provision: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct Image {
    location: String,
    arch: &'static str,
    digest: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateMount {
    location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    mount_point: Option<String>,
    writable: bool,
}

#[derive(Serialize)]
struct Containerd {
    system: bool,
    user: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PortForward {
    proto: &'static str,
    guest_port: u16,
    #[serde(rename = "guestIP")]
    guest_ip: &'static str,
    ignore: bool,
}

/// Lima's instance-name rule: letters and digits, single `.`/`_`/`-` between them.
pub fn valid_name(name: &str) -> bool {
    let mut prev_sep = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            prev_sep = false;
        } else if matches!(c, '.' | '_' | '-') && !prev_sep {
            prev_sep = true;
        } else {
            return false;
        }
    }
    // `pkg/limatype/dirnames/dirnames.go` `ValidateInstName`: not `.yml`/`.yaml`, in any case.
    let lower = name.to_ascii_lowercase();
    !name.is_empty()
        && !prev_sep
        && name.len() <= 76
        && !lower.ends_with(".yml")
        && !lower.ends_with(".yaml")
}

/// `pkg/instance/create.go`: `$LIMA_HOME/NAME/ssh.sock.1234567890123456` (the longest
/// socket, `filenames.LongestSock`) must be shorter than UNIX_PATH_MAX, 104 bytes on
/// macOS and 108 on Linux (`pkg/osutil`).
fn check_socket_path(name: &str, lima_home: &Path, macos: bool) -> Result<(), NewVmError> {
    let socket = lima_home.join(name).join("ssh.sock.1234567890123456");
    let len = socket.as_os_str().len();
    let max = if macos { 104 } else { 108 };
    if len >= max {
        return Err(NewVmError::NameTooLong {
            name: name.into(),
            socket: socket.display().to_string(),
            len,
            max,
        });
    }
    Ok(())
}

/// The lima.yaml for `vm`, or why it cannot be made. Folders go through the same rules
/// as dropped folders (reserved paths, the home itself, files, missing folders).
pub fn template_yaml(
    vm: &NewVm,
    macos: bool,
    home: Option<&Path>,
    probe: &impl PathProbe,
) -> Result<String, NewVmError> {
    if !valid_name(&vm.name) {
        return Err(NewVmError::Name(vm.name.clone()));
    }
    if let Some(lima_home) = &vm.lima_home {
        check_socket_path(&vm.name, lima_home, macos)?;
    }
    if !(1..=64).contains(&vm.cpus)
        || !(2..=512).contains(&vm.memory_gib)
        || !(10..=4096).contains(&vm.disk_gib)
    {
        return Err(NewVmError::Size(
            "CPUs must be 1–64, memory 2–512 GiB and disk 10–4096 GiB".into(),
        ));
    }
    let home_ro = Mount {
        location: "~".into(),
        mount_point: "~".into(),
        writable: false,
    };
    let input = PlanInput {
        current: std::slice::from_ref(&home_ro),
        sources: &Sources::default(),
        lima: None,
        home,
        guest_home: None,
        writable: true,
        confirmed: false,
    };
    let plan = plan_add(&input, &vm.folders, probe);
    if let Some(e) = plan.errors.first() {
        return Err(NewVmError::Folder(e.to_string()));
    }
    let mut mounts = vec![TemplateMount {
        location: "~".into(),
        mount_point: None,
        writable: false,
    }];
    mounts.extend(plan.added.iter().map(|m| TemplateMount {
        location: m.location.clone(),
        mount_point: Some(m.location.clone()),
        writable: true,
    }));
    let t = Template {
        vm_type: macos.then_some("vz"),
        images: IMAGES
            .iter()
            .map(|(arch, digest)| Image {
                location: format!(
                    "https://github.com/nixos-lima/nixos-lima/releases/download/{NIXOS_LIMA_RELEASE}/nixos-lima-{NIXOS_LIMA_RELEASE}-{arch}.qcow2"
                ),
                arch,
                digest,
            })
            .collect(),
        cpus: vm.cpus,
        memory: format!("{}GiB", vm.memory_gib),
        disk: format!("{}GiB", vm.disk_gib),
        mounts,
        containerd: Containerd {
            system: false,
            user: false,
        },
        port_forwards: vec![PortForward {
            proto: "udp",
            guest_port: 68,
            guest_ip: "0.0.0.0",
            ignore: true,
        }],
        provision: if plan.adds_fstab_fix {
            vec![guest_fstab::provision_entry()]
        } else {
            vec![]
        },
    };
    let body = serde_norway::to_string(&t).expect("a plain struct serializes");
    Ok(format!(
        "# A NixOS dev VM, created by Limabar from a configuration known to work\n\
         # (nixos-lima {NIXOS_LIMA_RELEASE}; containerd off: nixos-lima has no containerd setup;\n\
         # UDP 68 ignored: nixos-lima#50).\n{body}"
    ))
}

#[cfg(test)]
mod tests;
