//! `limactl watch [--json] [--history] [NAME…]` (2.1+, contract §3.6): follows each
//! instance's `ha.stdout.log` (which must exist) and prints
//! `{"instance":"NAME","event":{…}}` per event. A malformed line ends the watch with an
//! error, as Lima's does.

use std::sync::mpsc::channel;
use std::time::Duration;

use serde_json::{json, Value};

use crate::env::SimEnv;
use crate::log;
use crate::store::{instance_names, Inst, Status};
use crate::tailer::Tail;

pub fn run(env: &SimEnv, args: &[String]) {
    if !env.at_least(2, 1) {
        log::fatal("unknown command \"watch\" for \"limactl\"");
    }
    let as_json = args.iter().any(|a| a == "--json");
    let history = args.iter().any(|a| a == "--history");
    let mut names: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .cloned()
        .collect();
    if names.is_empty() {
        names = instance_names(env);
        if names.is_empty() {
            log::warn("No instances found.");
            return;
        }
    }
    let (tx, rx) = channel::<Result<(String, Value), String>>();
    for name in names {
        let inst = Inst::existing_or_exit(env, &name);
        let st = inst.inspect(env).status;
        if st != Status::Running {
            log::warn(&format!(
                "Instance {} is not running (status: {}). Watching for events anyway...",
                env.q(&name),
                st.as_str()
            ));
        }
        let path = inst.path("ha.stdout.log");
        if !path.exists() {
            log::fatal(&format!(
                "open {}: no such file or directory",
                path.display()
            ));
        }
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut tail = Tail::open(&path);
            if !history {
                tail.seek_end();
            }
            loop {
                for line in tail.lines() {
                    if line.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Value>(&line) {
                        Ok(ev) => {
                            if tx.send(Ok((name.clone(), ev))).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(format!("instance {name}: {e}")));
                            return;
                        }
                    }
                }
                tail.wait(Duration::from_secs(3600));
            }
        });
    }
    drop(tx);
    for msg in rx {
        match msg {
            Ok((name, ev)) if as_json => println!("{}", json!({"instance": name, "event": ev})),
            Ok((name, ev)) => {
                let st = &ev["status"];
                let what = if st["exiting"] == true {
                    "exiting".to_string()
                } else if st["running"] == true {
                    if st["degraded"] == true {
                        "running (degraded)"
                    } else {
                        "running"
                    }
                    .to_string()
                } else {
                    format!("ssh available on port {}", st["sshLocalPort"])
                };
                println!("{} {name} | {what}", ev["time"].as_str().unwrap_or(""));
            }
            Err(e) => log::fatal(&e),
        }
    }
}
