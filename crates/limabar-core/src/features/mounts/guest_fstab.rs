//! Mount points that nixos-lima guests cannot mount as Lima hands them over, and the
//! system provision script that fixes the ones that can be fixed.
//!
//! Lima writes each mount into cloud-init user-data unquoted, as one YAML flow sequence
//! per mount (`- [lima-<tag>, <mountPoint>, virtiofs, "rw,nofail", "0", "0"]`), and
//! nixos-lima's `lima-init.nix` turns those lines into `/etc/fstab` with awk, leaving the
//! mount point verbatim. A space then breaks the fstab line and the mount silently never
//! appears (lima-vm/lima#5136). [`SCRIPT`] escapes those lines (see its comments); other
//! characters break Lima's YAML or nixos-lima's awk before any script runs, and
//! [`refusal`] says which.

use serde_json::Value;

/// A POSIX sh script for lima.yaml's `provision` (mode `system`) that octal-escapes
/// mount points with spaces in the `#LIMA-START`…`#LIMA-END` block of the guest's
/// fstab. nixos-lima runs it right after writing that block, before systemd mounts it.
pub const SCRIPT: &str = include_str!("guest_fstab.sh");

/// The comment line in [`SCRIPT`] that shows it is already in a lima.yaml.
pub const MARKER: &str = "# limabar-guest-fstab v1";

/// The mount point only mounts in a nixos-lima guest if [`SCRIPT`] runs: it holds a
/// space. A backslash alone needs nothing: libmount reads `\` literally unless three
/// octal digits follow (and [`refusal`] refuses those).
pub fn needs_fix(mount_point: &str) -> bool {
    mount_point.contains(' ')
}

/// Why the mount point cannot be mounted in a nixos-lima guest even with [`SCRIPT`], as a
/// sentence for the user, or `None` if it can. Checked against what Lima renders into
/// user-data (a plain scalar in a YAML flow sequence: YAML 1.2 and PyYAML, which
/// cloud-init uses) and against nixos-lima's awk program, which has the last word in a
/// NixOS guest. Quotes inside the path, `$(…)`, backquotes, `&`, `*`, `!`, `|`, `%`, `@`,
/// `#` not after a space, and non-ASCII letters all pass through both unchanged.
pub fn refusal(mount_point: &str) -> Option<String> {
    let why = problem(mount_point)?;
    Some(format!(
        "The guest path {mount_point:?} can't be mounted in a NixOS guest: it {why}. \
         Rename the folder, or mount a folder higher up whose path does not have it."
    ))
}

/// What breaks, as the end of "it …".
fn problem(mp: &str) -> Option<String> {
    if let Some(c) = mp.chars().find(|c| c.is_control()) {
        // A tab or line break splits Lima's one-line YAML entry and nixos-lima's
        // tab-separated fields; the other C0 and C1 controls and DEL are not allowed in
        // YAML, and PyYAML reads NEL (U+0085) as a line break. (U+2028 and U+2029 pass
        // through PyYAML, libyaml and awk unchanged.)
        let name = match c {
            '\t' => "a tab".to_string(),
            '\n' | '\r' | '\u{85}' => "a line break".to_string(),
            _ => format!("the control character U+{:04X}", c as u32),
        };
        return Some(format!(
            "contains {name}, which Lima's mount list for the guest cannot hold"
        ));
    }
    if mp.contains(':') {
        // lima-init.nix's awk ends the mount list at the first line with a colon
        // (`/^[^:]*:/ { flag = 0 }`): this mount and every one after it are dropped.
        return Some(
            "contains a colon (\":\", a \"/\" in Finder), which makes the guest drop this \
             mount and every mount after it"
                .into(),
        );
    }
    if let Some(c) = mp.chars().find(|c| ",[]{}?".contains(*c)) {
        // Flow indicators end a plain scalar in a flow sequence (a comma also splits
        // nixos-lima's fields when a space follows); PyYAML ends one at "?" too.
        return Some(format!(
            "contains \"{c}\", which breaks the YAML list Lima writes for the guest's mounts"
        ));
    }
    if mp.contains(" #") {
        return Some(
            "contains a space followed by \"#\", which starts a comment in the YAML Lima \
             writes for the guest's mounts"
                .into(),
        );
    }
    if mp.ends_with(' ') {
        return Some(
            "ends with a space, which YAML drops from the mount list Lima writes for the guest"
                .into(),
        );
    }
    if mp.ends_with('"') {
        // `gsub("\"?, \"?", "\t")` takes the quote before ", " for one around a quoted field.
        return Some(
            "ends with a double quote, which the guest's fstab set-up strips from the path".into(),
        );
    }
    let b = mp.as_bytes();
    if b.windows(4)
        .any(|w| w[0] == b'\\' && w[1..].iter().all(|d| (b'0'..=b'7').contains(d)))
    {
        // fstab(5) escapes: libmount would read e.g. "\040" as a space.
        return Some(
            "contains a backslash followed by three digits 0-7, which the guest reads as \
             an escaped character"
                .into(),
        );
    }
    None
}

/// The lima.yaml `provision` entry that runs [`SCRIPT`].
pub fn provision_entry() -> Value {
    serde_json::json!({ "mode": "system", "script": SCRIPT })
}

/// Whether lima.yaml (as JSON) already runs a copy of [`SCRIPT`]: a system provision
/// entry (Lima's default mode) whose script carries [`MARKER`].
pub fn is_installed(raw_lima_yaml: &Value) -> bool {
    raw_lima_yaml
        .get("provision")
        .and_then(Value::as_array)
        .is_some_and(|entries| {
            entries.iter().any(|e| {
                let system = e.get("mode").is_none_or(|m| m.as_str() == Some("system"));
                let marked = e
                    .get("script")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.contains(MARKER));
                system && marked
            })
        })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests run real programs and read the real environment
mod tests;
