//! Helpers for this crate's tests.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Writes an executable script from a child process. Tests run in parallel threads: a
/// descriptor open for writing here could be inherited by another thread's fork, and
/// exec of the script would then fail with "text file busy" until that fork execs.
pub fn write_script(path: &Path, text: &str) {
    let mut child = Command::new("/bin/sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("sh");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "writing {}",
        path.display()
    );
}

/// A listed instance in `state`, with Lima's `status`.
pub fn view(
    name: &str,
    status: crate::lima::inventory::LimaStatus,
    state: crate::VmState,
) -> crate::InstanceView {
    crate::InstanceView {
        instance: crate::lima::inventory::Instance {
            name: name.into(),
            status,
            dir: format!("/l/{name}"),
            vm_type: "vz".into(),
            arch: "aarch64".into(),
            cpus: Some(4),
            memory: None,
            disk: None,
            ssh_local_port: None,
            errors: vec![],
            mounts: vec![],
            guest_home: None,
            protected: false,
            lima_version: "2.2.0".into(),
        },
        state,
        operation: None,
        boot_estimate_secs: None,
        ports: Vec::new(),
    }
}
