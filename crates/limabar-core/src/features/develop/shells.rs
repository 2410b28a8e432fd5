//! A flake's dev shells: `default` is assumed at once; the real list comes from
//! `nix flake show --json` run in the guest, for the guest's system, and is cached by a
//! fingerprint of `flake.nix` and `flake.lock` so it is evaluated once per change.

use std::path::Path;

use serde_json::Value;

/// The nix system of a guest, from Lima's `arch` (`aarch64` on Apple Silicon).
pub fn guest_system(arch: &str) -> String {
    let arch = match arch {
        "arm64" => "aarch64",
        "amd64" | "" => "x86_64",
        other => other,
    };
    format!("{arch}-linux")
}

/// Dev shell names for `system` in `nix flake show --json` output, sorted with
/// `default` first. A flake without dev shells for that system has none.
pub fn parse_flake_show(json: &str, system: &str) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_str(json.trim())
        .map_err(|e| format!("`nix flake show --json` printed something unexpected: {e}"))?;
    let mut names: Vec<String> = v
        .get("devShells")
        .and_then(|d| d.get(system))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    names.sort_by_key(|n| (n != "default", n.clone()));
    Ok(names)
}

/// A stable fingerprint of a flake's definition: `flake.nix` and `flake.lock` (missing
/// files count as empty). FNV-1a, 64 bits, hex: stable across Rust versions, unlike
/// `DefaultHasher`, because it is stored on disk and in the guest.
pub fn fingerprint(dir: &Path) -> String {
    let files =
        ["flake.nix", "flake.lock"].map(|f| (f, std::fs::read(dir.join(f)).unwrap_or_default()));
    fnv1a_hex(
        files
            .iter()
            .flat_map(|(name, bytes)| [name.as_bytes(), bytes.as_slice()]),
    )
}

/// FNV-1a (64 bits) over `parts`, each followed by a NUL, as 16 hex digits.
pub fn fnv1a_hex<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.iter().chain(&[0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The last useful lines of nix's stderr: evaluation errors are shown, not swallowed,
/// but without nix's progress chatter.
pub fn nix_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim_end)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("evaluating ")
                && !l.starts_with("warning: Git tree")
                && !l.starts_with("error (ignored)")
        })
        .collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("error:"))
        .unwrap_or(lines.len().saturating_sub(6));
    lines[start..]
        .iter()
        .take(12)
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOW: &str = r#"{"devShells":{"aarch64-linux":{"rust":{"name":"r","type":"derivation"},"default":{"name":"d","type":"derivation"},"a b":{"type":"derivation"}},"x86_64-linux":{"default":{"name":"d","type":"derivation"}}},"packages":{}}"#;

    #[test]
    fn lists_the_guest_systems_shells_default_first() {
        assert_eq!(
            parse_flake_show(SHOW, "aarch64-linux").unwrap(),
            ["default", "a b", "rust"]
        );
        assert_eq!(parse_flake_show(SHOW, "x86_64-linux").unwrap(), ["default"]);
        assert!(parse_flake_show(r#"{"packages":{}}"#, "x86_64-linux")
            .unwrap()
            .is_empty());
        assert!(parse_flake_show("evaluating…", "x86_64-linux").is_err());
    }

    #[test]
    fn maps_lima_arch_to_nix_system() {
        assert_eq!(guest_system("aarch64"), "aarch64-linux");
        assert_eq!(guest_system("x86_64"), "x86_64-linux");
        assert_eq!(guest_system("arm64"), "aarch64-linux");
        assert_eq!(guest_system(""), "x86_64-linux");
    }

    #[test]
    fn the_fingerprint_changes_with_flake_nix_and_flake_lock_only() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("flake.nix"), "{ a }").unwrap();
        let first = fingerprint(t.path());
        std::fs::write(t.path().join("README"), "x").unwrap();
        assert_eq!(fingerprint(t.path()), first);
        std::fs::write(t.path().join("flake.lock"), "{}").unwrap();
        let locked = fingerprint(t.path());
        assert_ne!(locked, first);
        std::fs::write(t.path().join("flake.nix"), "{ b }").unwrap();
        assert_ne!(fingerprint(t.path()), locked);
        assert_eq!(first.len(), 16);
    }

    #[test]
    fn keeps_the_error_and_drops_progress_lines() {
        let stderr = "evaluating ''...\nwarning: Git tree '/p' is dirty\nerror: undefined variable 'pkgs'\n\n       at /p/flake.nix:3:5:\n";
        assert_eq!(
            nix_error(stderr),
            "error: undefined variable 'pkgs'\n       at /p/flake.nix:3:5:"
        );
    }
}
