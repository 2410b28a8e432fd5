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
}

/// Set by the signal thread; `pause` waits on it instead of polling.
#[derive(Default)]
struct StopFlag {
    set: Mutex<bool>,
    cv: Condvar,
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
    fn q(&self, s: &str) -> String {
        self.env.q(s)
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
        let _ = std::fs::write(
            self.path("ssh.config"),
            format!(
                "Host lima-{}\n  IdentityFile \"{}\"\n  Hostname 127.0.0.1\n  Port {}\n",
                self.inst.name,
                self.env.lima_home.join("_config/user").display(),
                self.port
            ),
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
        info(&format!(
            "Starting {driver} (hint: to watch the boot progress, see {})",
            self.q(&self.path(console).display().to_string())
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
            event(json!({"exiting": true}));
            return self.cleanup(1);
        }
        let driver_child = self.start_driver();
        if self.vm_type == "vz" {
            info("[VZ] - vm state change: running");
        }
        if self.env.at_least(2, 1) {
            event(
                json!({"vsock": {"type": "started", "hostAddr": format!("127.0.0.1:{}", self.port), "vsockPort": 22}}),
            );
        }
        event(json!({"sshLocalPort": self.port}));
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
        for (kind, i, n, desc, share) in reqs {
            if self.requirement(sc, kind, i, n, desc, share * b) {
                return self.finish(sc, driver_child);
            }
        }
        info("No further essential requirements will be checked");
        let mut errors = Vec::new();
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
        if self.requirement(
            sc,
            "final",
            1,
            1,
            "boot scripts must have finished",
            0.15 * b,
        ) {
            return self.finish(sc, driver_child);
        }
        info("No further final requirements will be checked");
        if errors.is_empty() {
            event(json!({"running": true, "sshLocalPort": self.port}));
        } else {
            event(
                json!({"running": true, "degraded": true, "errors": [errors.join("\n")], "sshLocalPort": self.port}),
            );
        }
        if self.env.at_least(2, 1) {
            info(&format!(
                "Forwarding TCP from 127.0.0.1:{} to 127.0.0.1:22",
                self.port
            ));
            event(
                json!({"running": true, "sshLocalPort": self.port, "portForward": {"type": "forwarding", "protocol": "tcp", "guestAddr": "127.0.0.1:22", "hostAddr": format!("127.0.0.1:{}", self.port)}}),
            );
        }
        while !self.pause(3600.0) {}
        drop(listener);
        self.finish(sc, driver_child)
    }

    fn finish(&self, sc: &Scenario, driver: Option<std::process::Child>) -> i32 {
        self.shutdown_with(sc, driver);
        self.cleanup(0)
    }

    /// Logs one requirement; returns true when a stop interrupted it.
    fn requirement(
        &self,
        sc: &Scenario,
        kind: &str,
        i: u32,
        n: u32,
        desc: &str,
        secs: f64,
    ) -> bool {
        let line = format!(
            "Waiting for the {kind} requirement {i} of {n}: {}",
            self.q(desc)
        );
        info(&line);
        let hang = sc.scenario == Kind::Hang && sc.hang_at.as_deref().unwrap_or("ssh") == desc;
        let retries = if sc.scenario == Kind::Slow && desc == "ssh" {
            6
        } else {
            0
        };
        if hang {
            loop {
                if self.pause(1.0) {
                    return true;
                }
                // Go's standard logger writes plain lines into the same file.
                eprintln!("{} tcpproxy: for incoming conn 127.0.0.1:{}, error dialing \"192.168.5.15:22\": connect tcp 192.168.5.15:22: no route to host", now().format(time::macros::format_description!("[year]/[month]/[day] [hour]:[minute]:[second]")).unwrap_or_default(), self.port);
                debug(&format!("{line} (retrying)"));
                info(&line);
            }
        }
        for _ in 0..retries {
            if self.pause(secs / (retries + 1) as f64) {
                return true;
            }
            info(&line);
        }
        if self.pause(secs / (retries + 1) as f64) {
            return true;
        }
        info(&format!("The {kind} requirement {i} of {n} is satisfied"));
        false
    }

    fn start_driver(&self) -> Option<std::process::Child> {
        let pidfile = self.path(&format!("{}.pid", self.vm_type));
        if self.vm_type == "vz" {
            // For VZ the VM runs inside the host agent: driverPID = hostAgentPID.
            let _ = std::fs::write(&pidfile, format!("{}\n", std::process::id()));
            return None;
        }
        // QEMU is a separate process; ours ends when its stdin (our pipe) closes.
        let child = std::process::Command::new(std::env::current_exe().ok()?)
            .arg("__sim-driver")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
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

    fn shutdown_with(&self, sc: &Scenario, driver: Option<std::process::Child>) {
        info("Shutting down the host agent");
        if self.env.at_least(2, 1) {
            event(
                json!({"running": true, "sshLocalPort": self.port, "portForward": {"type": "stopping", "protocol": "tcp", "guestAddr": "127.0.0.1:22", "hostAddr": format!("127.0.0.1:{}", self.port)}}),
            );
        }
        let driver_name = if self.vm_type == "vz" { "VZ" } else { "QEMU" };
        info(&format!("Shutting down {driver_name}"));
        std::thread::sleep(Duration::from_secs_f64(sc.stop_secs.unwrap_or(0.5)));
        if let Some(mut d) = driver {
            let _ = d.kill();
            let _ = d.wait();
        }
        if self.vm_type == "vz" {
            info("[VZ] - vm state change: stopped");
        }
        let _ = std::fs::remove_file(self.path(&format!("{}.pid", self.vm_type)));
        event(json!({"exiting": true}));
    }

    fn cleanup(&self, code: i32) -> i32 {
        for f in ["ha.sock", "ha.pid", "default_ep.sock", "default_fd.sock"] {
            let _ = std::fs::remove_file(self.path(f));
        }
        code
    }
}

/// `__sim-driver`: a stand-in VM process that lives until its parent closes our stdin.
pub fn driver_main() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

pub fn ha_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("ha.stdout.log"), dir.join("ha.stderr.log"))
}
