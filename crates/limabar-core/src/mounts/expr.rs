//! yq expressions for `limactl edit|restart --set`. Values are JSON-encoded by serde_json
//! (JSON is valid yq), never pasted into the expression text, so any path — quotes,
//! backslashes, `$()`, newlines, emoji — arrives as exactly that path.

use serde_json::json;

use crate::inventory::Mount;

/// Appends entries; they land after every existing one, so a new folder inside the
/// read-only `~` mount is mounted on top of it (nested mounts, contract §5.1).
pub fn add(mounts: &[Mount]) -> String {
    let entries: Vec<serde_json::Value> = mounts
        .iter()
        .map(|m| json!({"location": m.location, "mountPoint": m.mount_point, "writable": m.writable}))
        .collect();
    format!(".mounts += {}", serde_json::Value::Array(entries))
}

fn selector(mount_point: &str) -> String {
    // Entries written by hand may have no mountPoint: it defaults to the location.
    format!(
        "select((.mountPoint // .location) == {})",
        json!(mount_point)
    )
}

pub fn remove(mount_point: &str) -> String {
    format!("del(.mounts[] | {})", selector(mount_point))
}

pub fn set_writable(mount_point: &str, writable: bool) -> String {
    format!(
        "(.mounts[] | {} | .writable) = {writable}",
        selector(mount_point)
    )
}

#[cfg(test)]
mod tests;
