//! Every event the app pushes to the popover: its name and payload type, defined here
//! once. `ui/src/bindings/events.ts` is generated from this list (the test below), so
//! the UI cannot listen for a name or expect a payload that Rust does not send.

use limabar_core::actions::Push;
use limabar_core::Change;
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use ts_rs::TS;

use crate::state::LimaConnection;
use crate::update_status::UpdateView;

const CHANGE: &str = "limabar://change";
const LIMA: &str = "limabar://lima";
const POPOVER: &str = "limabar://popover";
const DRAG: &str = "limabar://drag";
pub const FLAKES: &str = "limabar://flakes";
pub const DIAGNOSIS: &str = "limabar://diagnosis";
pub const CREATE: &str = "limabar://create";
pub const LOGS: &str = "limabar://logs";
/// Also heard in Rust: the tray menu follows the update status.
pub const UPDATE: &str = "limabar://update";

/// Folders dragged over the popover; `x`/`y` are physical pixels in the webview.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum DragPayload {
    Enter { paths: Vec<String>, x: f64, y: f64 },
    Over { x: f64, y: f64 },
    Drop { paths: Vec<String>, x: f64, y: f64 },
    Leave,
}

// Every event is sent through one of these, so each name goes with one payload type.

pub fn change(app: &AppHandle, c: &Change) {
    let _ = app.emit(CHANGE, c);
}

pub fn lima(app: &AppHandle, c: &LimaConnection) {
    let _ = app.emit(LIMA, c);
}

pub fn popover(app: &AppHandle, visible: bool) {
    let _ = app.emit(POPOVER, visible);
}

pub fn drag(app: &AppHandle, d: &DragPayload) {
    let _ = app.emit(DRAG, d);
}

pub fn update(app: &AppHandle, u: &UpdateView) {
    let _ = app.emit(UPDATE, u);
}

/// Sends what a session pushed under its event's name.
pub fn push(app: &AppHandle, push: &Push) {
    let _ = match push {
        Push::Flakes(f) => app.emit(FLAKES, f),
        Push::Diagnosis(d) => app.emit(DIAGNOSIS, d),
        Push::Create(c) => app.emit(CREATE, c),
        Push::Logs(l) => app.emit(LOGS, l),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One event: its key in `EVENTS`, its name on the wire, the TypeScript payload type
    /// (a generated binding, or a TypeScript primitive).
    struct EventDef {
        key: &'static str,
        name: &'static str,
        payload: &'static str,
    }

    const ALL: &[EventDef] = &[
        EventDef {
            key: "change",
            name: CHANGE,
            payload: "Change",
        },
        EventDef {
            key: "lima",
            name: LIMA,
            payload: "LimaConnection",
        },
        EventDef {
            key: "popover",
            name: POPOVER,
            payload: "boolean",
        },
        EventDef {
            key: "drag",
            name: DRAG,
            payload: "DragPayload",
        },
        EventDef {
            key: "flakes",
            name: FLAKES,
            payload: "InstanceFlakes",
        },
        EventDef {
            key: "diagnosis",
            name: DIAGNOSIS,
            payload: "Diagnosis",
        },
        EventDef {
            key: "create",
            name: CREATE,
            payload: "CreateProgress",
        },
        EventDef {
            key: "logs",
            name: LOGS,
            payload: "LogBatch",
        },
        EventDef {
            key: "update",
            name: UPDATE,
            payload: "UpdateView",
        },
    ];

    /// The TypeScript module: the names as a const object and the payload of each.
    fn typescript() -> String {
        let mut imports: Vec<&str> = ALL
            .iter()
            .map(|e| e.payload)
            .filter(|p| p.chars().next().is_some_and(char::is_uppercase))
            .collect();
        imports.sort_unstable();
        let mut out = String::from(
            "// Generated from src-tauri/src/events.rs by `cargo test export_bindings`. Do not edit.\n",
        );
        for t in imports {
            out.push_str(&format!("import type {{ {t} }} from \"./{t}\";\n"));
        }
        out.push_str(
            "\n/** Every event the app pushes to the popover, by name. */\nexport const EVENTS = {\n",
        );
        for e in ALL {
            out.push_str(&format!("  {}: \"{}\",\n", e.key, e.name));
        }
        out.push_str(
            "} as const;\n\n/** The payload each event carries. */\nexport type EventPayloads = {\n",
        );
        for e in ALL {
            out.push_str(&format!("  {}: {},\n", e.key, e.payload));
        }
        out.push_str("};\n");
        out
    }

    /// Named like ts-rs's generated tests, so `cargo test export_bindings` (what CI
    /// runs before checking ui/src/bindings for changes) writes this file too.
    #[test]
    fn export_bindings_events() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings/events.ts");
        std::fs::write(&path, typescript()).unwrap();
    }

    #[test]
    fn every_payload_type_is_a_generated_binding() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
        for e in ALL {
            if e.payload != "boolean" {
                assert!(
                    dir.join(format!("{}.ts", e.payload)).exists(),
                    "{}",
                    e.payload
                );
            }
        }
    }
}
