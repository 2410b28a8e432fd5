//! How the CLI prints things: tables for people, JSON for scripts.

use serde::Serialize;
use serde_json::json;

use limabar_core::actions::MemoryView;
use limabar_core::live::tray::state_label;
use limabar_core::{Change, CoreError, InstanceView, VmState};

/// One object of `limabar list --json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListEntry<'a> {
    name: &'a str,
    status: limabar_core::lima::inventory::LimaStatus,
    state: &'static str,
    phase: Option<&'a str>,
    vm_type: &'a str,
    arch: &'a str,
    cpus: Option<u32>,
    memory: Option<u64>,
    disk: Option<u64>,
    ssh_local_port: Option<u16>,
    errors: Vec<String>,
    boot_secs: Option<f64>,
    dir: &'a str,
    /// A running VM's memory now (what it holds here, what its guest uses); null when
    /// it is not running.
    memory_now: Option<&'a MemoryView>,
}

/// `memories`: the figures of the running instances, by name.
pub fn list_json(views: &[InstanceView], memories: &[MemoryView]) -> serde_json::Value {
    let entries: Vec<ListEntry> = views
        .iter()
        .map(|v| {
            let i = &v.instance;
            let mut errors = i.errors.clone();
            match &v.state {
                VmState::Failed { reason } | VmState::Broken { reason }
                    if !errors.contains(reason) =>
                {
                    errors.push(reason.clone())
                }
                VmState::Degraded { errors: e, .. } => errors.extend(e.iter().cloned()),
                _ => {}
            }
            ListEntry {
                name: &i.name,
                status: i.status,
                state: v.state.kind(),
                phase: v.state.phase(),
                vm_type: &i.vm_type,
                arch: &i.arch,
                cpus: i.cpus,
                memory: i.memory,
                disk: i.disk,
                ssh_local_port: match &v.state {
                    VmState::Ready {
                        ssh_port: Some(p), ..
                    } => Some(*p),
                    _ => i.ssh_local_port,
                },
                errors,
                boot_secs: match &v.state {
                    VmState::Ready { boot_secs, .. } => *boot_secs,
                    _ => None,
                },
                dir: &i.dir,
                memory_now: memories.iter().find(|m| m.name == i.name),
            }
        })
        .collect();
    json!(entries)
}

pub fn gib(bytes: Option<u64>) -> String {
    bytes
        .map(|b| format!("{:.0}GiB", b as f64 / (1u64 << 30) as f64))
        .unwrap_or_else(|| "-".into())
}

pub fn table(views: &[InstanceView]) -> String {
    if views.is_empty() {
        return "No Lima instances. Create one with `limactl create`.\n".into();
    }
    let rows: Vec<[String; 7]> = views
        .iter()
        .map(|v| {
            let i = &v.instance;
            [
                i.name.clone(),
                state_label(&v.state),
                format!("{}/{}", i.vm_type, i.arch),
                i.cpus.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                gib(i.memory),
                gib(i.disk),
                i.ssh_local_port
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let head = ["NAME", "STATE", "VM", "CPUS", "MEMORY", "DISK", "SSH"].map(String::from);
    let widths: Vec<usize> = (0..7)
        .map(|c| {
            rows.iter()
                .chain([&head])
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let fmt = |r: &[String; 7]| {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        format!("{}\n", cells.join("  ").trim_end())
    };
    let mut out = fmt(&head);
    for r in &rows {
        out.push_str(&fmt(r));
    }
    out
}

pub fn state_line(name: &str, state: &VmState) -> String {
    match state {
        VmState::Failed { reason } => format!("{name}: failed — {reason}"),
        VmState::Degraded { errors, .. } => format!("{name}: degraded — {}", errors.join("; ")),
        other => format!("{name}: {}", state_label(other)),
    }
}

pub fn print_change(change: &Change, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(change).expect("JSON of plain data")
        );
        return;
    }
    match change {
        Change::StateChanged { name, to, .. } => println!("{}", state_line(name, to)),
        Change::Upserted { .. } => {}
        Change::Removed { name } => println!("{name}: removed"),
        Change::OperationEnded {
            name,
            operation,
            error: Some(e),
        } => println!("{name}: {} failed — {}", operation.verb(), e.message),
        Change::OperationEnded { .. } => {}
        Change::MountsChecked { name, checks } => {
            for c in checks {
                println!("{name}: {}", c.explanation);
            }
        }
        Change::Warning { instance, message } => eprintln!(
            "warning{}: {message}",
            instance
                .as_ref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default()
        ),
    }
}

pub fn error(e: &CoreError, json: bool) {
    if json {
        eprintln!(
            "{}",
            serde_json::to_string(&e.info()).expect("JSON of plain data")
        );
    } else {
        eprintln!("limabar: {e}");
        if let Some(h) = e.hint() {
            eprintln!("hint: {h}");
        }
    }
}
