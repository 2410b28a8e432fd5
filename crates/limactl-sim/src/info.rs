//! `limactl info`: one JSON object indented with 4 spaces, multi-line even on a pipe.

use serde_json::json;

use crate::env::{host_arch, host_os, SimEnv};
use crate::store::{default_vm_type, guest_home};

pub fn run(env: &SimEnv) {
    let v = json!({
        "version": env.version_string,
        "templates": [{"name": "default", "location": "/usr/local/share/lima/templates/default.yaml"}],
        "defaultTemplate": {"vmType": default_vm_type(), "os": "Linux", "arch": host_arch(), "cpus": 4, "memory": "4GiB", "disk": "100GiB", "user": {"home": guest_home(env, None)}},
        "limaHome": env.lima_home.display().to_string(),
        "vmTypes": ["qemu", "vz"],
        "vmTypesEx": {"qemu": {"location": "internal"}, "vz": {"location": "internal"}},
        "guestAgents": {host_arch(): {"location": format!("/usr/local/share/lima/lima-guestagent.Linux-{}.gz", host_arch())}},
        "hostOS": host_os(),
        "hostArch": host_arch(),
        "identityFile": env.lima_home.join("_config/user").display().to_string(),
    });
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(&v, &mut ser).expect("serializing JSON to memory");
    println!("{}", String::from_utf8_lossy(&buf));
}
