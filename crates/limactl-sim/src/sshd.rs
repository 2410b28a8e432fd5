//! The "guest's" SSH server and Lima's `ssh.config` for it, so `ssh lima-NAME` (and an
//! editor's Remote-SSH) connects for real.
//!
//! Lima: the user key is `$LIMA_HOME/_config/user` (ed25519, made on first use by
//! `pkg/sshutil` `DefaultPubKeys`), the guest authorizes its `.pub`; the host agent
//! writes `ssh.config` (`pkg/hostagent/hostagent.go` `writeSSHConfigFile`, through
//! `sshutil.Format(…, FormatConfig, …)`): `Host lima-NAME` then `CommonOpts` and
//! `SSHOpts` as `Key Value` lines, then `Hostname 127.0.0.1` and `Port`. The sim's
//! guest is this machine: Debian's OpenSSH server, on 127.0.0.1 at the instance's port,
//! with a host key of the instance's own, accepting only that user key. Without
//! `/usr/sbin/sshd` the ssh.config is still written and nothing listens. The sim's boot
//! does not wait for this server (its `ssh` requirement follows the scenario): kinder
//! than Lima, whose `ssh` requirement fails when the guest's sshd does not answer —
//! use the `hang` or `failAt` scenarios for that.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::env::SimEnv;

const SSHD: &str = "/usr/sbin/sshd";

/// `$LIMA_HOME/_config/user`, made when missing (Lima: `ssh-keygen -t ed25519 -q -N ""`).
pub fn user_key(env: &SimEnv) -> PathBuf {
    let key = env.lima_home.join("_config/user");
    if !key.exists() {
        if let Some(dir) = key.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = Command::new("ssh-keygen")
            .args(["-t", "ed25519", "-q", "-N", "", "-C", "lima", "-f"])
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    key
}

/// A value as `sshutil.Format` writes it: quoted when it has a space.
fn value(v: &str) -> String {
    if v.contains(' ') {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// Writes the instance's `ssh.config` with Lima's mode (`os.WriteFile(…, 0o600)`).
pub fn write_ssh_config(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// The `ssh.config` Lima writes for the instance.
pub fn ssh_config(name: &str, key: &Path, inst_dir: &Path, user: &str, port: u16) -> String {
    let mut opts: Vec<(String, String)> = vec![
        ("IdentityFile".into(), format!("\"{}\"", key.display())),
        ("StrictHostKeyChecking".into(), "no".into()),
        ("UserKnownHostsFile".into(), "/dev/null".into()),
        ("NoHostAuthenticationForLocalhost".into(), "yes".into()),
        ("PreferredAuthentications".into(), "publickey".into()),
        ("Compression".into(), "no".into()),
        ("BatchMode".into(), "yes".into()),
        ("IdentitiesOnly".into(), "yes".into()),
        ("User".into(), user.into()),
        ("ControlMaster".into(), "auto".into()),
        (
            "ControlPath".into(),
            value(&inst_dir.join("ssh.sock").display().to_string()),
        ),
        ("ControlPersist".into(), "yes".into()),
    ];
    opts.push(("Hostname".into(), "127.0.0.1".into()));
    opts.push(("Port".into(), port.to_string()));
    let mut out = format!("Host lima-{name}\n");
    for (k, v) in opts {
        out.push_str(&format!("  {k} {v}\n"));
    }
    out
}

/// Starts the guest's sshd on 127.0.0.1:`port`; `None` when there is none here.
/// It dies with the host agent (`PR_SET_PDEATHSIG`), as the guest dies with the VM.
pub fn start(inst_dir: &Path, key: &Path, port: u16) -> Option<Child> {
    if !Path::new(SSHD).exists() {
        return None;
    }
    let host_key = inst_dir.join("sim-ssh_host_ed25519_key");
    if !host_key.exists() {
        let _ = Command::new("ssh-keygen")
            .args(["-t", "ed25519", "-q", "-N", "", "-f"])
            .arg(&host_key)
            .status();
    }
    // OpenSSH's privilege separation directory (Debian's package makes it at boot).
    let _ = std::fs::create_dir_all("/run/sshd");
    let config = inst_dir.join("sim-sshd_config");
    let text = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey \"{}\"\nAuthorizedKeysFile \"{}.pub\"\n\
         PidFile none\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n\
         KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
        host_key.display(),
        key.display()
    );
    std::fs::write(&config, text).ok()?;
    let mut cmd = Command::new(SSHD);
    cmd.args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(target_os = "linux")]
    unsafe {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl only, between fork and exec.
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn().ok()
}
