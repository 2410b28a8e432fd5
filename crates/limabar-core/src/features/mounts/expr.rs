//! yq expressions for `limactl edit|restart --set`. Values are JSON-encoded by serde_json
//! (JSON is valid yq), never pasted into the expression text, so any path — quotes,
//! backslashes, `$()`, newlines, emoji — arrives as exactly that path.

use serde_json::json;

use super::source::RawEntry;
use crate::lima::inventory::Mount;

/// Appends entries; they land after every existing one, so a new folder inside the
/// read-only `~` mount is mounted on top of it (nested mounts, contract §5.1).
pub fn add(mounts: &[Mount]) -> String {
    let entries: Vec<serde_json::Value> = mounts
        .iter()
        .map(|m| json!({"location": m.location, "mountPoint": m.mount_point, "writable": m.writable}))
        .collect();
    format!(".mounts += {}", serde_json::Value::Array(entries))
}

/// Selects an entry as lima.yaml writes it: Lima runs yq on the raw file, where the home
/// mount is `location: "~"` with no `mountPoint`, not the expanded path `limactl list`
/// shows (see `source`). A missing `mountPoint` is yq's `null`.
fn selector(entry: &RawEntry) -> String {
    format!(
        "select(.location == {} and .mountPoint == {})",
        json!(entry.location),
        json!(entry.mount_point)
    )
}

pub fn remove(entry: &RawEntry) -> String {
    format!("del(.mounts[] | {})", selector(entry))
}

pub fn set_writable(entry: &RawEntry, writable: bool) -> String {
    format!("(.mounts[] | {} | .writable) = {writable}", selector(entry))
}

/// Appends a system provision script (nixos-lima runs them after writing the mounts into
/// fstab and before mounting them; see `guest_fstab`).
pub fn add_provision(entry: &serde_json::Value) -> String {
    format!(".provision += [{entry}]")
}

#[cfg(test)]
mod tests;
