//! `limabar ports [NAME] [--json]`: each running instance's forwarded ports, read from
//! its host agent's logs (`live::ports`), with collisions between instances named.
//! `--json`: `{"instances": [{"name", "ports": [PortView…]}]}`.

use limabar_core::lima::locate::Limactl;
use limabar_core::live::ports::{PortConflict, PortState, PortView};
use limabar_core::live::snapshot::list_views;
use limabar_core::CoreError;
use serde::Serialize;

#[derive(Serialize)]
struct Listed {
    name: String,
    ports: Vec<PortView>,
}

pub async fn run(limactl: &Limactl, name: Option<String>, json: bool) -> Result<(), CoreError> {
    let (views, _) = list_views(limactl).await?;
    if let Some(n) = &name {
        if !views.iter().any(|v| &v.instance.name == n) {
            return Err(CoreError::InstanceNotFound { name: n.clone() });
        }
    }
    let listed: Vec<Listed> = views
        .into_iter()
        .filter(|v| name.as_ref().is_none_or(|n| *n == v.instance.name))
        .filter(|v| name.is_some() || !v.ports.is_empty())
        .map(|v| Listed {
            name: v.instance.name,
            ports: v.ports,
        })
        .collect();
    if json {
        let out = serde_json::json!({ "instances": listed });
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
        return Ok(());
    }
    if listed.iter().all(|l| l.ports.is_empty()) {
        println!("no forwarded ports");
        return Ok(());
    }
    for l in &listed {
        for p in &l.ports {
            println!("{}\t{}", l.name, line(p));
        }
    }
    Ok(())
}

/// `localhost:8080 ← 0.0.0.0:8080 (tcp)`, with what went wrong.
fn line(p: &PortView) -> String {
    let host = p.host_port().map(|h| format!("localhost:{h}"));
    let what = match p.state {
        PortState::Forwarding => format!("{} ← {}", host.unwrap_or_default(), p.guest_addr),
        PortState::NotForwarding => {
            format!("{} not forwarded (by the portForwards rules)", p.guest_addr)
        }
        PortState::Failed => format!(
            "{} ← {} failed: {}",
            host.unwrap_or_default(),
            p.guest_addr,
            p.error.as_deref().unwrap_or("no reason given")
        ),
    };
    let conflict = match &p.conflict {
        Some(PortConflict::HeldBy { owner }) => format!(" (held by {owner})"),
        Some(PortConflict::HeldByProgram { program, pid }) => {
            format!(" (held by {} on this computer)", program_text(program, pid))
        }
        Some(PortConflict::WantedBy { others }) => {
            format!(" (also wanted by {})", others.join(", "))
        }
        None => String::new(),
    };
    format!("{what}{conflict} ({})", p.protocol)
}

/// `python3 (pid 4242)`, or what is known of it.
fn program_text(program: &Option<String>, pid: &Option<u32>) -> String {
    match (program, pid) {
        (Some(p), Some(pid)) => format!("{p} (pid {pid})"),
        (Some(p), None) => p.clone(),
        (None, Some(pid)) => format!("pid {pid}"),
        (None, None) => "another user's program".into(),
    }
}
