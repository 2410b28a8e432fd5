//! `limactl hostagent` as the simulator plays it: a detached process that writes
//! `ha.pid`, `cidata.iso`, `ssh.config`, serves `GET /v1/info` on `ha.sock`, writes the
//! driver PID file when the "VM" runs, logs logrus JSON to stderr (→ `ha.stderr.log`),
//! appends events to stdout (→ `ha.stdout.log`), and shuts down on SIGINT/SIGTERM.
//! Timings scale with the scenario's `bootSecs` (contract §3).

use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::env::SimEnv;
use crate::log::{json_line, now, rfc3339_nano};
use crate::scenario::{Kind, Scenario};
use crate::store::Inst;

struct Agent {
    env: SimEnv,
    inst: Inst,
    vm_type: String,
    port: u16,
    stop: Arc<StopFlag>,
    /// The last status emitted: port-forward events are snapshots of it
    /// (`emitPortForwardEvent` in `pkg/hostagent/hostagent.go`).
    status: Mutex<Value>,
    /// The guest's sshd while the "VM" runs (`sshd`).
    sshd: Mutex<Option<std::process::Child>>,
}

/// Set by the signal thread; `pause` waits on it instead of polling.
#[derive(Default)]
struct StopFlag {
    set: Mutex<bool>,
    cv: Condvar,
}

/// How a requirement ended.
enum Req {
    Satisfied,
    /// Never satisfied: Lima's error text.
    Failed(String),
    /// A stop was requested meanwhile.
    Stopped,
}

/// The `debugHint` of the requirements the sim checks (`pkg/hostagent/requirements.go`
/// `essentialRequirements`, `finalRequirements`, Linux guest).
fn debug_hint(desc: &str) -> &'static str {
    match desc {
        "ssh" => "Failed to SSH into the guest.\nMake sure that the YAML field \"ssh.localPort\" is not used by other processes on the host.\nIf any private key under ~/.ssh is protected with a passphrase, you need to have ssh-agent to be running.\n",
        "user session is ready for ssh" => "The boot sequence will terminate any existing user session after updating\n/etc/environment to make sure the session includes the new values.\nTerminating the session will break the persistent SSH tunnel, so\nit must not be created until the session reset is done.\n",
        "Explicitly start ssh ControlMaster" => "The persistent ssh ControlMaster should be started immediately.",
        "boot scripts must have finished" => "All boot scripts, provisioning scripts, and readiness probes must\nfinish before the instance is considered \"ready\".\nCheck \"/var/log/cloud-init-output.log in the guest\" to see where the process is blocked!\n",
        _ => "",
    }
}

fn err(msg: &str) {
    eprintln!("{}", json_line("error", msg));
}

fn info(msg: &str) {
    eprintln!("{}", json_line("info", msg));
}

fn debug(msg: &str) {
    eprintln!("{}", json_line("debug", msg));
}

fn event(status: Value) {
    let line = json!({"time": rfc3339_nano(now()), "status": status}).to_string();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub fn run(env: SimEnv, args: &[String]) {
    let name = args
        .iter()
        .rev()
        .find(|a| !a.starts_with('-'))
        .cloned()
        .unwrap_or_default();
    let inst = Inst::new(&env, &name);
    let cfg = inst.load_yaml().unwrap_or(Value::Null);
    let vm_type = inst.vm_type(&cfg);
    let scenario = Scenario::load(&inst.dir);
    let stop = Arc::new(StopFlag::default());
    block_and_wait_for_signals(stop.clone());
    let agent = Agent {
        port: scenario.ssh_port(&name),
        env,
        inst,
        vm_type,
        stop,
        status: Mutex::new(json!({})),
        sshd: Mutex::new(None),
    };
    std::process::exit(agent.boot_and_serve(&scenario));
}

/// SIGINT/SIGTERM are blocked in every thread and received by one waiting thread.
fn block_and_wait_for_signals(stop: Arc<StopFlag>) {
    // SAFETY: plain libc signal-mask calls on a zeroed sigset owned by this frame.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        std::thread::spawn(move || {
            let mut sig: libc::c_int = 0;
            libc::sigwait(&set, &mut sig);
            let name = if sig == libc::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            info(&format!("Received {name}, shutting down the host agent"));
            *stop.set.lock().unwrap_or_else(|e| e.into_inner()) = true;
            stop.cv.notify_all();
        });
    }
}

impl Agent {
    /// `emitEvent`: the status becomes the current one.
    fn emit(&self, status: Value) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status.clone();
        event(status);
    }

    /// `emitPortForwardEvent`: the current status plus the port forward.
    fn port_forward(&self, kind: &str) {
        let mut st = self
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if st["running"] != true {
            return; // nothing was forwarded yet
        }
        st["portForward"] = json!({"type": kind, "protocol": "tcp", "guestAddr": "127.0.0.1:22", "hostAddr": format!("127.0.0.1:{}", self.port)});
        event(st);
    }

    /// `emitPortForwardEvent` for a guest port (`pkg/portfwd/forward.go` `OnEvent`).
    fn forward_event(&self, kind: &str, guest: &str, host: Option<&str>) {
        let mut st = self
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut pf = json!({"type": kind, "protocol": "tcp", "guestAddr": guest});
        if let Some(h) = host {
            pf["hostAddr"] = json!(h);
        }
        st["portForward"] = pf;
        event(st);
    }

    /// Quoting in `pkg/hostagent` messages (`%q`, `%#q` from 2.2.0).
    fn q(&self, s: &str) -> String {
        self.env.q_pkg(s)
    }

    fn path(&self, f: &str) -> PathBuf {
        self.inst.path(f)
    }

    /// Sleeps `secs`, returning early (true) when a stop was requested.
    fn pause(&self, secs: f64) -> bool {
        let until = Instant::now() + Duration::from_secs_f64(secs.max(0.0));
        let mut stopped = self.stop.set.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            let now = Instant::now();
            if now >= until {
                break;
            }
            stopped = self
                .stop
                .cv
                .wait_timeout(stopped, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *stopped
    }

    fn boot_and_serve(&self, sc: &Scenario) -> i32 {
        let _ = std::fs::write(self.path("ha.pid"), format!("{}\n", std::process::id()));
        let _ = std::fs::write(self.path("cidata.iso"), b"CD001 cidata (simulated)\n");
        let key = crate::sshd::user_key(&self.env);
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let _ = crate::sshd::write_ssh_config(
            &self.path("ssh.config"),
            &crate::sshd::ssh_config(&self.inst.name, &key, &self.inst.dir, &user, self.port),
        );
        let listener = self.serve_socket();
        info(&format!(
            "hostagent socket created at {}",
            self.path("ha.sock").display()
        ));
        let b = sc.boot_secs();
        let console = if self.vm_type == "vz" {
            "serialv.log"
        } else {
            "serial.log"
        };
        let driver = if self.vm_type == "vz" { "VZ" } else { "QEMU" };
        // `pkg/driver/{vz,qemu}`: the glob, not the file; `%#q` from 2.1.2 (`e7847217`).
        info(&format!(
            "Starting {driver} (hint: to watch the boot progress, see {})",
            self.env.q(&self.path("serial*.log").display().to_string())
        ));
        let _ = std::fs::write(
            self.path(console),
            "[    0.000000] Linux version 6.12 (nixbld@localhost) (simulated)\n",
        );
        if self.pause(0.1 * b) {
            return self.shutdown(sc);
        }
        if sc.scenario == Kind::ExitEarly {
            err(&format!(
                "failed to start {driver}: the virtual machine failed to start (simulated)"
            ));
            eprintln!("panic: simulated driver failure\n\ngoroutine 1 [running]:");
            self.emit(json!({"exiting": true}));
            return self.cleanup(1);
        }
        let driver_child = self.start_driver();
        if let Ok(mut s) = self.sshd.lock() {
            *s = crate::sshd::start(&self.inst.dir, &key, self.port);
        }
        if self.vm_type == "vz" {
            info("[VZ] - vm state change: running");
        }
        if self.env.at_least(2, 1) {
            self.emit(
                json!({"vsock": {"type": "started", "hostAddr": format!("127.0.0.1:{}", self.port), "vsockPort": 22}}),
            );
        }
        self.emit(json!({"sshLocalPort": self.port}));
        let reqs = [
            ("essential", 1, 3, "ssh", 0.3),
            ("essential", 2, 3, "user session is ready for ssh", 0.2),
            (
                "essential",
                3,
                3,
                "Explicitly start ssh ControlMaster",
                0.05,
            ),
        ];
        // `startHostAgentRoutines` (pkg/hostagent/hostagent.go) collects the failures of
        // each group into one error (`errors.Join`), the guest agent's after them.
        let mut errors = Vec::new();
        let mut essential = Vec::new();
        for (kind, i, n, desc, share) in reqs {
            match self.requirement(sc, kind, i, n, desc, share * b) {
                Req::Stopped => return self.finish(sc, driver_child),
                Req::Failed(e) => essential.push(e),
                Req::Satisfied => {}
            }
        }
        if !essential.is_empty() {
            errors.push(essential.join("\n"));
        }
        info("Waiting for the guest agent to be running");
        if sc.scenario == Kind::Degraded {
            if self.pause(0.2 * b) {
                return self.finish(sc, driver_child);
            }
            let msg = "guest agent does not seem to be running; port forwards will not work";
            eprintln!(
                "{}",
                json_line(
                    "warning",
                    "connection to the guest agent was closed unexpectedly"
                )
            );
            errors.push(msg.to_string());
        } else {
            if self.pause(0.15 * b) {
                return self.finish(sc, driver_child);
            }
            info("Guest agent is running");
        }
        match self.requirement(
            sc,
            "final",
            1,
            1,
            "boot scripts must have finished",
            0.15 * b,
        ) {
            Req::Stopped => return self.finish(sc, driver_child),
            Req::Failed(e) => errors.push(e),
            Req::Satisfied => {}
        }
        if errors.is_empty() {
            self.emit(json!({"running": true, "sshLocalPort": self.port}));
        } else {
            self.emit(
                json!({"running": true, "degraded": true, "errors": [errors.join("\n")], "sshLocalPort": self.port}),
            );
        }
        if self.env.at_least(2, 1) {
            info(&format!(
                "Forwarding TCP from 127.0.0.1:{} to 127.0.0.1:22",
                self.port
            ));
            self.port_forward("forwarding");
        }
        let rules: Vec<Value> = self
            .inst
            .load_yaml()
            .ok()
            .and_then(|c| c.get("portForwards").and_then(Value::as_array).cloned())
            .unwrap_or_default();
        let mut waited = 0.0;
        let mut ports = sc.ports.clone();
        ports.sort_by(|a, b| a.after_secs.total_cmp(&b.after_secs));
        for p in &ports {
            if self.pause(p.after_secs - waited) {
                drop(listener);
                return self.finish(sc, driver_child);
            }
            waited = p.after_secs.max(waited);
            let (guest, host) = crate::guest_ports::addresses(p, &rules);
            let Some(host) = host else {
                info(&format!("Not forwarding TCP {guest}"));
                self.forward_event("not-forwarding", &guest, None);
                continue;
            };
            info(&format!("Forwarding TCP from {guest} to {host}"));
            self.forward_event("forwarding", &guest, Some(&host));
            if let Err(e) = crate::guest_ports::listen(&host, p.guest_port) {
                for line in crate::guest_ports::listen_failure_lines(&host, &e) {
                    eprintln!("{line}");
                }
            }
        }
        if let Some(after) = sc.poweroff_after {
            if !self.pause(after) {
                drop(listener);
                return self.power_off(sc, driver_child);
            }
        }
        while !self.pause(3600.0) {}
        drop(listener);
        self.finish(sc, driver_child)
    }

    /// The guest stopped by itself (`poweroff`, on VZ also `reboot`) or the driver failed.
    /// Lima: the VZ driver logs the state change and sends `vz driver state stopped` on its
    /// error channel (`pkg/driver/vz/vm_darwin.go` `startVM`); QEMU's channel gets
    /// `qCmd.Wait()`'s result, nil after a clean poweroff
    /// (`pkg/driver/qemu/qemu_driver.go` `Start`). `startRoutinesAndWait`
    /// (`pkg/hostagent/hostagent.go`) logs `Driver stopped due to error: %q` (`%#q` from
    /// 2.2.0), then `close()` logs `Shutting down the host agent` — the same line as on a
    /// requested stop —, the driver is stopped, and `Run`'s deferred `exiting` event and
    /// `hostagentAction`'s deferred pidfile removal follow (`cmd/limactl/hostagent.go`).
    fn power_off(&self, sc: &Scenario, driver: Option<std::process::Child>) -> i32 {
        let driver_err = if self.vm_type == "vz" {
            info("[VZ] - vm state change: stopped");
            let e = "vz driver state stopped";
            if self.env.at_least(2, 2) {
                format!("`{e}`")
            } else {
                format!("\"{e}\"")
            }
        } else {
            // Go's fmt on a nil error with %q / %#q.
            "%!q(<nil>)".to_string()
        };
        info(&format!("Driver stopped due to error: {driver_err}"));
        self.shutdown_with(sc, driver, true);
        self.cleanup(0)
    }

    fn finish(&self, sc: &Scenario, driver: Option<std::process::Child>) -> i32 {
        self.shutdown_with(sc, driver, false);
        self.cleanup(0)
    }

    /// One requirement, as `waitForRequirements` (`pkg/hostagent/requirements.go`) runs
    /// it: from 2.1.0 the `Waiting for …` line is logged once, before the retry loop; on
    /// 2.0.x it is logged again before every attempt. Each attempt logs
    /// `executing script …` at debug level (`waitForRequirement`).
    fn requirement(&self, sc: &Scenario, kind: &str, i: u32, n: u32, desc: &str, secs: f64) -> Req {
        let line = format!(
            "Waiting for the {kind} requirement {i} of {n}: {}",
            self.q(desc)
        );
        let once = self.env.at_least(2, 1);
        if once {
            info(&line);
        }
        let attempt = || {
            if !once {
                info(&line);
            }
            debug(&format!("executing script {}", self.q(desc)));
        };
        let hang = sc.scenario == Kind::Hang && sc.hang_at.as_deref().unwrap_or("ssh") == desc;
        let fails = sc.fail_at.as_deref() == Some(desc);
        let retries = if sc.scenario == Kind::Slow && desc == "ssh" {
            6
        } else if fails {
            3
        } else {
            0
        };
        if hang {
            loop {
                attempt();
                if self.pause(1.0) {
                    return Req::Stopped;
                }
                // Go's standard logger writes plain lines into the same file.
                eprintln!("{} tcpproxy: for incoming conn 127.0.0.1:{}, error dialing \"192.168.5.15:22\": connect tcp 192.168.5.15:22: no route to host", now().format(time::macros::format_description!("[year]/[month]/[day] [hour]:[minute]:[second]")).unwrap_or_default(), self.port);
            }
        }
        for _ in 0..=retries {
            attempt();
            if self.pause(secs / (retries + 1) as f64) {
                return Req::Stopped;
            }
        }
        if fails {
            // `failed to satisfy the %s requirement %d of %d %q: %s: %w`, the debug hint
            // keeping its line breaks, the script's error (`stdout=%#q, stderr=%#q: %w`)
            // on one line.
            return Req::Failed(format!(
                "failed to satisfy the {kind} requirement {i} of {n} {}: {}: stdout={}, stderr={}: exit status 1",
                self.q(desc),
                debug_hint(desc),
                self.q(""),
                "\"+ cat /run/lima-ssh-ready\\n\"",
            ));
        }
        info(&format!("The {kind} requirement {i} of {n} is satisfied"));
        Req::Satisfied
    }

    fn start_driver(&self) -> Option<std::process::Child> {
        let pidfile = self.path(&format!("{}.pid", self.vm_type));
        if self.vm_type == "vz" {
            // For VZ the VM runs inside the host agent: driverPID = hostAgentPID.
            let _ = std::fs::write(&pidfile, format!("{}\n", std::process::id()));
            return None;
        }
        // QEMU is a separate process; ours ends when its stdin (our pipe) closes.
        let mut child = std::process::Command::new(std::env::current_exe().ok()?)
            .arg("__sim-driver")
            .arg(&self.inst.dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        // It says when it holds its memory (a VM's RAM is there before the guest boots).
        if let Some(mut out) = child.stdout.take() {
            let mut ready = [0u8; 1];
            let _ = out.read(&mut ready);
        }
        let _ = std::fs::write(&pidfile, format!("{}\n", child.id()));
        Some(child)
    }

    fn serve_socket(&self) -> Option<UnixListener> {
        let sock = self.path("ha.sock");
        let _ = std::fs::remove_file(&sock);
        let listener = UnixListener::bind(&sock).ok()?;
        let l = listener.try_clone().ok()?;
        let port = self.port;
        std::thread::spawn(move || {
            for mut conn in l.incoming().flatten() {
                let mut buf = [0u8; 2048];
                let n = conn.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]);
                let (code, body) = if req.starts_with("GET /v1/info") {
                    ("200 OK", json!({"sshLocalPort": port}).to_string())
                } else if req.starts_with("GET ") {
                    ("404 Not Found", json!({"message": "not found"}).to_string())
                } else {
                    (
                        "405 Method Not Allowed",
                        json!({"message": "method not allowed"}).to_string(),
                    )
                };
                let _ = write!(conn, "HTTP/1.1 {code}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
        });
        Some(listener)
    }

    fn shutdown(&self, sc: &Scenario) -> i32 {
        self.finish(sc, None)
    }

    /// `close()` and the driver's `Stop`; `vm_stopped`: the VM had already stopped.
    fn shutdown_with(&self, sc: &Scenario, driver: Option<std::process::Child>, vm_stopped: bool) {
        info("Shutting down the host agent");
        if self.env.at_least(2, 1) {
            self.port_forward("stopping");
        }
        let driver_name = if self.vm_type == "vz" { "VZ" } else { "QEMU" };
        info(&format!("Shutting down {driver_name}"));
        std::thread::sleep(Duration::from_secs_f64(sc.stop_secs.unwrap_or(0.5)));
        if let Some(mut d) = driver {
            let _ = d.kill();
            let _ = d.wait();
        }
        if self.vm_type == "vz" && !vm_stopped {
            info("[VZ] - vm state change: stopped");
        }
        let _ = std::fs::remove_file(self.path(&format!("{}.pid", self.vm_type)));
        self.emit(json!({"exiting": true}));
    }

    fn cleanup(&self, code: i32) -> i32 {
        if let Some(mut sshd) = self.sshd.lock().ok().and_then(|mut s| s.take()) {
            let _ = sshd.kill();
            let _ = sshd.wait();
        }
        for f in ["ha.sock", "ha.pid", "default_ep.sock", "default_fd.sock"] {
            let _ = std::fs::remove_file(self.path(f));
        }
        code
    }
}

/// `__sim-driver`: a stand-in VM process that lives until its parent closes our stdin.
pub fn driver_main(dir: &Path) {
    crate::guest_memory::run_driver(dir);
}

pub fn ha_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("ha.stdout.log"), dir.join("ha.stderr.log"))
}
