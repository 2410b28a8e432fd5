//! Lima's sizes (`memory: 8GiB`, `disk: "100 GB"`, plain numbers of bytes).

use serde_json::Value;

/// Bytes in `v`, when it is a size Lima accepts (units: B, KiB/MiB/GiB/TiB, KB/MB/GB/TB,
/// K/M/G/T as binary).
pub fn bytes(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => parse(s),
        _ => None,
    }
}

fn parse(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return None,
    };
    Some((num * mult) as u64)
}

pub const GIB: u64 = 1024 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_lima_sizes() {
        assert_eq!(bytes(&json!("8GiB")), Some(8 * GIB));
        assert_eq!(bytes(&json!("4 GiB")), Some(4 * GIB));
        assert_eq!(bytes(&json!("512MiB")), Some(512 * 1024 * 1024));
        assert_eq!(bytes(&json!("100GB")), Some(100_000_000_000));
        assert_eq!(bytes(&json!("1.5GiB")), Some(3 * GIB / 2));
        assert_eq!(bytes(&json!(1024)), Some(1024));
        assert_eq!(bytes(&json!("lots")), None);
        assert_eq!(bytes(&json!(null)), None);
    }
}
