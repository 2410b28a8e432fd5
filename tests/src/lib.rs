//! Test fixtures shared by the integration and end-to-end tests.
//!
//! `SimLima` gives each test its own `$LIMA_HOME` and a `limactl-sim` wrapper pinned to
//! one Lima version (tests run in parallel threads, so nothing is set process-wide).
//! Host agents left running are killed when the fixture is dropped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use limabar_core::env::HostEnv;
use limabar_core::lima::locate::{connect, Limactl};

/// A binary built by this workspace (`cargo build --workspace` runs before the tests).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --workspace` (with `--release` for benches) first",
        p.display()
    );
    p
}

pub struct SimLima {
    pub root: tempfile::TempDir,
    pub lima_home: PathBuf,
    pub limactl: PathBuf,
    pub call_log: PathBuf,
    /// A real `limactl` (the contract suite on a Mac), not the sim.
    pub real: bool,
}

/// nix.conf lines for an offline guest (Debian's nix-bin plays the guest's nix).
/// `build-users-group =` lets root build without the `nixbld` group, which a freshly
/// installed nix-bin does not always have ("the group 'nixbld' specified in
/// 'build-users-group' does not exist" failed every dev-shell test on a new machine).
/// The flake registry has one entry, `nixpkgs` → tests/fixtures/offline-nixpkgs, for
/// the `bashInteractive` that `nix develop` looks up (without it a dev shell opens with
/// an "error (ignored)" line).
pub fn offline_nix_config() -> String {
    format!(
        "experimental-features = nix-command flakes\nsubstituters =\nflake-registry = {}\nsandbox = false\nbuild-users-group =",
        offline_registry().display()
    )
}

/// The registry file, written once per checkout in the temporary directory: nix.conf
/// values cannot be quoted, and a test's own directory has a space in its path.
fn offline_registry() -> PathBuf {
    static WRITTEN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    WRITTEN
        .get_or_init(|| {
            let flake = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/offline-nixpkgs");
            let registry = serde_json::json!({
                "version": 2,
                "flakes": [{
                    "from": {"type": "indirect", "id": "nixpkgs"},
                    "to": {"type": "path", "path": flake},
                }],
            });
            let key: u32 = flake
                .to_string_lossy()
                .bytes()
                .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
            let path = std::env::temp_dir().join(format!("limabar-nix-registry-{key:08x}.json"));
            // Whole or not at all: another test process may be reading it.
            let part = path.with_extension(format!("{}.part", std::process::id()));
            std::fs::write(&part, registry.to_string()).unwrap();
            std::fs::rename(&part, &path).unwrap();
            path
        })
        .clone()
}

pub const NIXOS_YAML: &str = "vmType: vz\ncpus: 4\nmemory: 8GiB\ndisk: 20GiB\nmounts:\n- location: \"~\"\n  writable: false\ncontainerd:\n  system: false\n  user: false\n";

impl SimLima {
    pub fn new(version: &str) -> SimLima {
        let root = tempfile::Builder::new()
            .prefix("limabar test ü-") // a space and non-ASCII in every path
            .tempdir()
            .expect("tempdir");
        let lima_home = root.path().join("lima");
        std::fs::create_dir_all(&lima_home).unwrap();
        let bin = root.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let limactl = bin.join("limactl-sim");
        let call_log = root.path().join("calls.jsonl");
        // The guest's nix has flakes on, like nixos-lima images, and works offline:
        // no substituters, a one-entry registry, no sandbox (the test flake builds with
        // the host's /bin/bash).
        let script = format!(
            "#!/bin/sh\nexport LIMACTL_SIM_VERSION='{version}' LIMACTL_SIM_CALL_LOG='{}' LIMACTL_SIM_CALL_TIMES='{}.times' LIMA_HOME='{}'\nexport NIX_CONFIG='{}'\nexec '{}' \"$@\"\n",
            call_log.display(),
            call_log.display(),
            lima_home.display(),
            offline_nix_config(),
            workspace_bin("limactl-sim").display()
        );
        write_executable(&limactl, &script);
        SimLima {
            root,
            lima_home,
            limactl,
            call_log,
            real: false,
        }
    }

    /// Shares `folder` with `nixos` (through the `limabar` CLI) and starts it.
    pub fn share_and_start(&self, folder: &Path) {
        let out = self.limabar(&["mount", "add", "nixos", folder.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(self
            .limactl_cmd(&["start", "--tty=false", "nixos"])
            .status()
            .unwrap()
            .success());
    }

    /// The Lima the contract suite runs against: the real `limactl` that `LIMACTL`
    /// names (on a Mac with Lima), else limactl-sim at 2.2 with short boots, used only
    /// through what real Lima offers too (no scenario files).
    pub fn for_contract() -> SimLima {
        let Some(real) = std::env::var_os("LIMACTL") else {
            let sim = SimLima::new("2.2.0");
            sim.export("LIMACTL_SIM_BOOT_SECS", "0.5");
            sim.export("LIMACTL_SIM_CREATE_SECS", "0.2");
            return sim;
        };
        // A short, plain $LIMA_HOME: Lima's sockets live in it, and a Unix socket path
        // may not exceed 104 bytes on macOS.
        let root = tempfile::Builder::new()
            .prefix("lb-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let lima_home = root.path().join("lima");
        std::fs::create_dir_all(&lima_home).unwrap();
        let limactl = root.path().join("limactl");
        let script = format!(
            "#!/bin/sh\nexport LIMA_HOME='{}'\nexec '{}' \"$@\"\n",
            lima_home.display(),
            Path::new(&real).display()
        );
        write_executable(&limactl, &script);
        SimLima {
            call_log: root.path().join("no-call-log"),
            root,
            lima_home,
            limactl,
            real: true,
        }
    }

    pub fn host_env(&self) -> HostEnv {
        HostEnv {
            limactl: Some(self.limactl.clone()),
            lima_home: self.lima_home.clone(),
            home: Some(self.root.path().to_path_buf()),
            path: vec![PathBuf::from("/usr/bin"), PathBuf::from("/bin")],
            data_dir: self.root.path().join("data"),
            config_dir: self.root.path().join("config"),
            terminal: None,
        }
    }

    pub async fn connect(&self) -> Limactl {
        let env = self.host_env();
        connect(&env, None, &env.limactl_workdir())
            .await
            .expect("connect to limactl-sim")
    }

    /// Creates an instance through `limactl create`, with a scenario (`sim.json`).
    pub fn create(&self, name: &str, scenario: &str) -> PathBuf {
        let file = self.root.path().join(format!("{name}.yaml"));
        std::fs::write(&file, NIXOS_YAML).unwrap();
        let out = self
            .limactl_cmd(&["create", "--tty=false", "--name", name])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dir = self.lima_home.join(name);
        std::fs::write(dir.join("sim.json"), scenario).unwrap();
        dir
    }

    /// Sets an environment variable for every limactl call from now on (the wrapper
    /// script exports it), e.g. `LIMACTL_SIM_CREATE_SECS` for an app under test.
    pub fn export(&self, var: &str, value: &str) {
        let script = std::fs::read_to_string(&self.limactl).unwrap();
        let (head, exec) = script
            .rsplit_once("exec ")
            .expect("the wrapper execs the sim");
        let tmp = self.limactl.with_extension("new");
        write_executable(&tmp, &format!("{head}export {var}='{value}'\nexec {exec}"));
        std::fs::rename(&tmp, &self.limactl).unwrap();
    }

    /// A project folder at `rel` under the test's root holding the offline test flake
    /// (tests/fixtures/offline-flake).
    pub fn flake_project(&self, rel: &str) -> PathBuf {
        let dir = self.root.path().join(rel);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(offline_flake_nix(), dir.join("flake.nix")).unwrap();
        dir
    }

    /// The lines the test flake's shells appended to `dir/.limabar-marker`.
    pub fn markers(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join(".limabar-marker"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// A terminal without a window (tests/fixtures/pty_terminal.py): runs its command on
    /// a pseudo-terminal, types `exit`, and returns when the command does.
    pub fn pty_terminal() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pty_terminal.py")
    }

    /// Runs `argv` the way a terminal would (on a pseudo-terminal, then `exit`) and
    /// asserts it succeeded.
    pub fn run_on_pty(argv: &[String]) {
        let out = Command::new(Self::pty_terminal())
            .args(argv)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{argv:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    pub fn limactl_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.limactl);
        c.args(args);
        c
    }

    /// Runs the `limabar` CLI against this Lima.
    pub fn limabar(&self, args: &[&str]) -> std::process::Output {
        self.limabar_cmd(args).output().expect("limabar runs")
    }

    /// The `limabar` CLI command against this Lima, to add environment or stdin.
    pub fn limabar_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(workspace_bin("limabar"));
        c.args(args)
            .env("LIMACTL", &self.limactl)
            .env("LIMA_HOME", &self.lima_home)
            .env("HOME", self.root.path())
            // Its data and settings stay under the test's home.
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME");
        c
    }

    /// Where the `limabar` CLI run by `limabar_cmd` keeps its data (and its locks).
    pub fn cli_data_dir(&self) -> PathBuf {
        limabar_core::env::data_dir(Some(self.root.path()), None)
    }

    /// Every limactl invocation so far with its Unix time in µs.
    pub fn timed_calls(&self) -> Vec<(u64, Vec<String>)> {
        std::fs::read_to_string(format!("{}.times", self.call_log.display()))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| {
                Some((
                    v["us"].as_u64()?,
                    serde_json::from_value(v["argv"].clone()).ok()?,
                ))
            })
            .collect()
    }

    /// Every limactl invocation so far, as argv vectors.
    pub fn calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(&self.call_log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl Drop for SimLima {
    fn drop(&mut self) {
        if self.real {
            // Real VMs: let Lima stop and remove what the test made.
            for dir in std::fs::read_dir(&self.lima_home)
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = dir.file_name().to_string_lossy().into_owned();
                if !name.starts_with(['_', '.']) {
                    let _ = self
                        .limactl_cmd(&["delete", "--force", &name])
                        .stdin(std::process::Stdio::null())
                        .status();
                }
            }
            return;
        }
        // Kill every host agent and driver this test left running.
        for pidfile in glob_pids(&self.lima_home) {
            if let Ok(pid) = std::fs::read_to_string(&pidfile)
                .unwrap_or_default()
                .trim()
                .parse::<i32>()
            {
                // SAFETY: kill(2) on a PID this test's own sim wrote.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

fn glob_pids(lima_home: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(lima_home)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pid"))
        .collect()
}

/// The offline test flake (tests/fixtures/offline-flake/flake.nix).
fn offline_flake_nix() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/offline-flake/flake.nix")
}

/// A git repository holding the offline test flake, with `flake.nix` not yet added
/// (the untracked-flake case). It lives at a plain path: Debian's nix 2.8, the guest's
/// nix here, cannot fetch a git flake from a path with a space ("… is not a valid URL").
pub struct FlakeRepo {
    dir: tempfile::TempDir,
}

impl FlakeRepo {
    pub fn untracked() -> FlakeRepo {
        let dir = tempfile::Builder::new()
            .prefix("limabar-repo-")
            .tempdir()
            .unwrap();
        std::fs::copy(offline_flake_nix(), dir.path().join("flake.nix")).unwrap();
        let repo = FlakeRepo { dir };
        repo.git(&["init", "-q"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the repository and asserts it succeeded.
    pub fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .expect("git");
        assert_succeeded(&out);
    }
}

/// A TCP port nothing listens on right now, on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Writes an executable script. The writing happens in a child process: a descriptor
/// open for writing in this (multi-threaded) test process could be inherited by another
/// thread's fork, and exec of the script would then fail with "text file busy".
pub fn write_executable(path: &Path, text: &str) {
    use std::io::Write;
    let mut child = Command::new("/bin/sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(std::process::Stdio::piped())
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

/// Waits until `name` is no longer up in `session` (after a stop the test asked Lima for).
pub async fn wait_until_down(session: &limabar_core::actions::Session, name: &str) {
    within(Duration::from_secs(20), "stopped", async {
        while session.view(name).await.unwrap().vm_up() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

/// Waits for a condition driven by events, failing the test with `what` after `max`.
pub async fn within<T>(max: Duration, what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(max, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out after {max:?} waiting for {what}"))
}

/// Panics unless the command succeeded, showing its exit status, stderr and stdout
/// (the reason a CLI or limactl call failed is what a failing test must show); returns
/// its stdout.
#[track_caller]
pub fn assert_succeeded(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed ({:?}):\nstderr: {}\nstdout: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// RFC 3986 percent-decoding, to read back the URI an editor was given.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("two hex digits"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}
