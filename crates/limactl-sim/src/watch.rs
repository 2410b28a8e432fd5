//! `limactl watch [--json] [--history] [NAME…]` (2.1+, contract §3.6), as
//! `cmd/limactl/watch.go` runs it:
//!
//! - each instance is inspected once (`startInstance`); one that cannot be (no
//!   lima.yaml) gets a warning and is skipped, and the command goes on;
//! - each instance's `ha.stdout.log` is followed by name (`pkg/hostagent/events/watcher.go`
//!   `Watch`: `ReOpen: true, MustExist: false`): a missing log is waited for and a
//!   recreated one (every `limactl start`) is read from its start;
//! - without `--history`, events whose `time` is before the command started are skipped
//!   (`ev.Time.Before(begin)`), wherever they are in the file;
//! - a line that is not an event ends that instance's watcher only: ``Watcher for
//!   instance `X` stopped`` is logged (logrus text on stderr, warning level, the error in
//!   an `error` field) and the process keeps running (`watchInstance`);
//! - with no NAME, every instance is watched, and so is each instance created later in
//!   `$LIMA_HOME` (`watchLimaDir`: a new directory that holds a lima.yaml);
//! - `printStatus` lines (`Watching for events...`) go to stderr; events to stdout as
//!   `{"instance":"NAME","event":{…}}`.
//!
//! It runs until it is killed.

use std::collections::HashSet;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::env::SimEnv;
use crate::log;
use crate::store::{instance_names, Inst};
use crate::tailer::Tail;

enum Msg {
    Event(String, Value),
    NewInstance(String),
}

struct Watcher {
    lima_home: std::path::PathBuf,
    version: (u32, u32, u32),
    begin: Option<OffsetDateTime>,
    watching: Arc<Mutex<HashSet<String>>>,
    tx: Sender<Msg>,
}

/// `printStatus`: `time.DateTime` and the message, on stderr.
fn print_status(msg: &str) {
    let now = log::now()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    eprintln!("{now} {msg}");
}

impl Watcher {
    fn q(&self, s: &str) -> String {
        log::q(self.version, s)
    }

    /// `eventWatcher.startInstance`.
    fn start_instance(&self, name: &str) {
        if !self
            .watching
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string())
        {
            return;
        }
        let inst = Inst {
            name: name.to_string(),
            dir: self.lima_home.join(name),
        };
        if !inst.exists() {
            // `store.Inspect` fails with the error of reading lima.yaml.
            log::text(
                "warning",
                &format!("Failed to inspect instance {}", self.q(name)),
                &[(
                    "error",
                    &format!(
                        "open {}: no such file or directory",
                        inst.path("lima.yaml").display()
                    ),
                )],
            );
            self.watching
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(name);
            return;
        }
        let path = inst.path("ha.stdout.log");
        let tx = self.tx.clone();
        let begin = self.begin;
        let version = self.version;
        let name = name.to_string();
        std::thread::spawn(move || {
            let mut tail = Tail::reopening(&path);
            loop {
                for line in tail.lines() {
                    if line.is_empty() {
                        continue;
                    }
                    let ev = match serde_json::from_str::<Value>(&line) {
                        Ok(ev) if ev.is_object() => ev,
                        other => {
                            // `Watch` returns `failed to unmarshal %q as %T: %w` (`%#q` from
                            // 2.2.0, pkg/); `watchInstance` logs it (`%#q` from 2.1.2, cmd/)
                            // and this goroutine ends.
                            let why = match other {
                                Err(e) => e.to_string(),
                                Ok(_) => "not an object".into(),
                            };
                            log::text(
                                "warning",
                                &format!("Watcher for instance {} stopped", log::q(version, &name)),
                                &[(
                                    "error",
                                    &format!(
                                        "failed to unmarshal {} as events.Event: {why}",
                                        log::q_pkg(version, &line)
                                    ),
                                )],
                            );
                            return;
                        }
                    };
                    let at = ev["time"]
                        .as_str()
                        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
                    if let (Some(begin), Some(at)) = (begin, at) {
                        if at < begin {
                            continue;
                        }
                    }
                    if tx.send(Msg::Event(name.clone(), ev)).is_err() {
                        return;
                    }
                }
                tail.wait(Duration::from_secs(3600));
            }
        });
    }
}

/// `watchLimaDir`: new directories directly in `$LIMA_HOME` that hold a lima.yaml when
/// their creation is seen (Lima checks once, on the `Create` event).
fn watch_lima_dir(lima_home: std::path::PathBuf, tx: Sender<Msg>) {
    use notify::{RecursiveMode, Watcher as _};
    std::thread::spawn(move || {
        let (ev_tx, ev_rx) = channel();
        let Ok(mut w) = notify::recommended_watcher(ev_tx) else {
            log::warn("Failed to watch lima directory for new instances");
            return;
        };
        if w.watch(&lima_home, RecursiveMode::NonRecursive).is_err() {
            log::warn("Failed to watch lima directory for new instances");
            return;
        }
        for ev in ev_rx.into_iter().flatten() {
            let ev: notify::Event = ev;
            if !matches!(ev.kind, notify::EventKind::Create(_)) {
                continue;
            }
            for p in ev.paths {
                let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if name.starts_with(['.', '_']) || !p.is_dir() || !p.join("lima.yaml").exists() {
                    continue;
                }
                if tx.send(Msg::NewInstance(name.to_string())).is_err() {
                    return;
                }
            }
        }
    });
}

pub fn run(env: &SimEnv, args: &[String]) {
    if !env.at_least(2, 1) {
        log::fatal("unknown command \"watch\" for \"limactl\"");
    }
    let as_json = args.iter().any(|a| a == "--json");
    let history = args.iter().any(|a| a == "--history");
    let names: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .cloned()
        .collect();
    let watch_all = names.is_empty();
    let names = if watch_all {
        let all = instance_names(env);
        if all.is_empty() {
            print_status("No instances found");
        }
        all
    } else {
        names
    };
    let (tx, rx) = channel::<Msg>();
    let w = Watcher {
        lima_home: env.lima_home.clone(),
        version: env.version,
        begin: (!history).then(log::now),
        watching: Arc::default(),
        tx: tx.clone(),
    };
    for name in &names {
        w.start_instance(name);
    }
    if watch_all {
        watch_lima_dir(env.lima_home.clone(), tx.clone());
    }
    print_status("Watching for events...");
    // `w` holds a sender, so this loop never ends on its own: like Lima's, it runs until
    // it is interrupted.
    for msg in rx {
        match msg {
            Msg::NewInstance(name) => {
                print_status(&format!("New instance detected: {name}"));
                w.start_instance(&name);
            }
            Msg::Event(name, ev) if as_json => {
                println!("{}", json!({"instance": name, "event": ev}))
            }
            Msg::Event(name, ev) => print_human(&name, &ev),
        }
    }
}

/// `printHumanReadableEvent`.
fn print_human(name: &str, ev: &Value) {
    let time = ev["time"]
        .as_str()
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .ok()
        })
        .unwrap_or_default();
    let st = &ev["status"];
    let say = |what: &str| println!("{time} {name} | {what}");
    if st["running"] == true {
        say(if st["degraded"] == true {
            "running (degraded)"
        } else {
            "running"
        });
    }
    if st["exiting"] == true {
        say("exiting");
    }
    if let Some(p) = st["sshLocalPort"].as_u64().filter(|p| *p != 0) {
        say(&format!("ssh available on port {p}"));
    }
    for e in st["errors"].as_array().into_iter().flatten() {
        say(&format!("error: {}", e.as_str().unwrap_or("")));
    }
}
