//! `limactl edit NAME --set EXPR…` and the edit part of `restart NAME --set …` (2.2+),
//! for the yq expressions Limabar uses: its mount edits, and the doctor's fixes
//! (`.KEY = VALUE`, `.KEY.SUB = VALUE`, `del(.KEY)` on the keys they touch, joined with
//! ` | `).
//! Lima rewrites lima.yaml through yq keeping comments; the sim edits the text in place,
//! so comments and key order survive too. Any other expression fails as unsupported, so
//! a client drifting from what the sim knows is caught (contract §4.5).

use serde_json::Value;

use crate::env::SimEnv;
use crate::log;
use crate::store::{validate, validate_driver, Inst, Status};

/// Which `mounts` entries an expression selects, evaluated like yq on the raw file
/// (`cmd/limactl/edit.go`: before any `~` or template expansion).
enum Selector {
    /// `select(.location == L and .mountPoint == MP)`, `MP` null for no mountPoint:
    /// an entry as lima.yaml writes it.
    Written {
        location: String,
        mount_point: Option<String>,
    },
    /// `select((.mountPoint // .location) == P)`: matches a raw `~` entry only if P is
    /// `"~"` — what older Limabar sent for the expanded home, which matched nothing.
    MountPointOrLocation(String),
}

impl Selector {
    fn matches(&self, entry: &Raw) -> bool {
        match self {
            Selector::Written {
                location,
                mount_point,
            } => *location == entry.location && *mount_point == entry.mount_point,
            Selector::MountPointOrLocation(p) => {
                entry.mount_point.as_ref().unwrap_or(&entry.location) == p
            }
        }
    }
}

/// An entry's raw `location` and `mountPoint`.
struct Raw {
    location: String,
    mount_point: Option<String>,
}

enum Edit {
    Append(Vec<Value>),
    /// `--mount DIR[:w]` (2.x): entries go to the front of the list.
    Prepend(Vec<Value>),
    Delete(Selector),
    SetWritable(Selector, bool),
    /// `.provision += [JSON…]`
    AddProvision(Vec<Value>),
    /// `.KEY = VALUE` (or `.KEY.SUB = VALUE`): a top-level key, as YAML text.
    SetKey(String, Option<String>, String),
    /// `del(.KEY)`
    DelKey(String),
}

/// The keys the doctor's fixes touch; anything else stays unsupported, so a client
/// that starts editing other keys is caught here before it meets real Lima.
const FIXABLE: &[&str] = &[
    "plain",
    "memory",
    "mountType",
    "containerd.system",
    "containerd.user",
    // The doctor's `port-forwards-empty` fix: a JSON list is YAML flow.
    "portForwards",
];

fn key_name(k: &str) -> Option<&str> {
    (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(k)
}

/// The doctor's simple forms, one part of a ` | ` chain.
fn parse_simple(e: &str) -> Option<Edit> {
    let e = e.trim();
    if let Some(k) = e.strip_prefix("del(.").and_then(|r| r.strip_suffix(')')) {
        return key_name(k)
            .filter(|k| FIXABLE.contains(k))
            .map(|k| Edit::DelKey(k.into()));
    }
    let (path, value) = e.strip_prefix('.')?.split_once(" = ")?;
    if !FIXABLE.contains(&path) {
        return None;
    }
    // The value must be a YAML scalar (a JSON literal is one).
    serde_json::from_str::<Value>(value).ok()?;
    let (key, sub) = match path.split_once('.') {
        Some((k, s)) => (key_name(k)?, Some(key_name(s)?.to_string())),
        None => (key_name(path)?, None),
    };
    Some(Edit::SetKey(key.into(), sub, value.into()))
}

fn parse_all(expr: &str) -> Option<Vec<Edit>> {
    if let Some(edit) = parse(expr) {
        return Some(vec![edit]);
    }
    expr.split(" | ").map(parse_simple).collect()
}

fn parse_selector(s: &str) -> Option<Selector> {
    if let Some(lit) = s
        .strip_prefix("select((.mountPoint // .location) == ")
        .and_then(|r| r.strip_suffix(')'))
    {
        return serde_json::from_str(lit)
            .ok()
            .map(Selector::MountPointOrLocation);
    }
    let (loc, mp) = s
        .strip_prefix("select(.location == ")?
        .strip_suffix(')')?
        .rsplit_once(" and .mountPoint == ")?;
    Some(Selector::Written {
        location: serde_json::from_str(loc).ok()?,
        mount_point: serde_json::from_str(mp).ok()?,
    })
}

fn parse(expr: &str) -> Option<Edit> {
    let e = expr.trim();
    if let Some(rest) = e.strip_prefix(".mounts += ") {
        return serde_json::from_str::<Vec<Value>>(rest)
            .ok()
            .map(Edit::Append);
    }
    if let Some(rest) = e.strip_prefix(".provision += ") {
        return serde_json::from_str::<Vec<Value>>(rest)
            .ok()
            .map(Edit::AddProvision);
    }
    if let Some(rest) = e
        .strip_prefix("del(.mounts[] | ")
        .and_then(|r| r.strip_suffix(')'))
    {
        return parse_selector(rest).map(Edit::Delete);
    }
    let rest = e.strip_prefix("(.mounts[] | ")?;
    let (sel, value) = rest.rsplit_once(" | .writable) = ")?;
    Some(Edit::SetWritable(parse_selector(sel)?, value.parse().ok()?))
}

/// The expression with each string literal decoded the way Lima's embedded yq decodes it,
/// then written back as plain JSON, so the rest of the sim reads what yq would have read.
/// A literal (`"([^"\\]*(\\.[^"\\]*)*)"`) becomes a string-interpolation operation:
/// yq 4.48.x (Lima 2.0.0–2.0.2) first replaces `\"` and `\n` in the raw text
/// (`pkg/yqlib/lexer_participle.go` `stringValue`); yq ≥ 4.49.2 (Lima 2.0.3+) runs
/// `processEscapeCharacters` (`pkg/yqlib/lib.go`); both then `interpolate`
/// (`pkg/yqlib/operator_strings.go`), which turns `\\` into `\` once more.
pub fn yq_literals(expr: &str, version: (u32, u32, u32)) -> String {
    let mut out = String::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        let mut raw = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    raw.push(c);
                    raw.extend(chars.next());
                }
                '"' => break,
                c => raw.push(c),
            }
        }
        let once = if version >= (2, 0, 3) {
            process_escape_characters(&raw)
        } else {
            raw.replace("\\\"", "\"").replace("\\n", "\n")
        };
        out.push_str(&serde_json::to_string(&interpolate(&once)).unwrap_or_default());
    }
    out
}

/// yq's `processEscapeCharacters` (v4.49.2+).
fn process_escape_characters(raw: &str) -> String {
    let r: Vec<char> = raw.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < r.len() {
        if r[i] == '\\' && i + 1 < r.len() {
            let decoded = match r[i + 1] {
                // `\\(` is kept whole for interpolation.
                '\\' if r.get(i + 2) == Some(&'(') => Some("\\\\".to_string()),
                '\\' => Some("\\".into()),
                '"' => Some("\"".into()),
                'n' => Some("\n".into()),
                't' => Some("\t".into()),
                'r' => Some("\r".into()),
                'f' => Some("\u{c}".into()),
                'v' => Some("\u{b}".into()),
                'b' => Some("\u{8}".into()),
                'a' => Some("\u{7}".into()),
                _ => None,
            };
            if let Some(d) = decoded {
                out.push_str(&d);
                i += 2;
                continue;
            }
        }
        out.push(r[i]);
        i += 1;
    }
    out
}

/// yq's `interpolate` outside `\(…)` expressions (the sim evaluates none): `\\` → `\`.
fn interpolate(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\\' && chars.peek() == Some(&'\\') {
            chars.next();
        }
    }
    out
}

/// The `--set` values of an argv.
pub fn set_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--set" {
            out.extend(it.next().cloned());
        } else if let Some(v) = a.strip_prefix("--set=") {
            out.push(v.to_string());
        }
    }
    out
}

pub fn run(env: &SimEnv, args: &[String]) {
    let name = positional(args).unwrap_or_else(|| "default".into());
    let inst = Inst::new(env, &name);
    if !inst.exists() {
        // `cmd/limactl/edit.go` `editAction`.
        log::fatal(&format!("instance {} not found", env.q(&name)));
    }
    if inst.inspect(env).status == Status::Running {
        log::fatal("cannot edit a running instance");
    }
    let sets = set_args(args);
    let mounts = mount_args(env, args);
    if sets.is_empty() && mounts.is_empty() {
        log::info("Aborting, as requested by saving the file with empty content");
        return;
    }
    if apply_edits(env, &inst, &sets, mounts) {
        log::info(&format!("Instance {} configuration edited", env.q(&name)));
    } else {
        log::info("Aborting, no changes made to the instance");
    }
}

/// `--mount DIR[:w]` values (repeatable, comma lists), tilde-expanded and made absolute
/// against the working directory, as Lima 2.x does.
pub fn mount_args(env: &SimEnv, args: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = if a == "--mount" {
            it.next().cloned()
        } else {
            a.strip_prefix("--mount=").map(str::to_string)
        };
        for item in v
            .iter()
            .flat_map(|v| v.split(','))
            .filter(|i| !i.is_empty())
        {
            let (dir, writable) = match item.strip_suffix(":w") {
                Some(d) => (d, true),
                None => (item, false),
            };
            let expanded = crate::store::expand_home(env, dir);
            let abs = std::path::absolute(&expanded)
                .map(|p| p.display().to_string())
                .unwrap_or(expanded);
            out.push(serde_json::json!({"location": abs, "mountPoint": abs, "writable": writable}));
        }
    }
    out
}

/// The first argument that is neither a flag nor a flag's value.
pub fn positional(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--set" || a == "--timeout" || a == "--mount" {
            it.next();
        } else if !a.starts_with('-') {
            return Some(a.clone());
        }
    }
    None
}

/// Applies the expressions to lima.yaml; exits 1 like Lima on an unsupported or
/// invalid result (the file is then untouched). Returns whether anything changed.
pub fn apply_edits(env: &SimEnv, inst: &Inst, sets: &[String], mounts: Vec<Value>) -> bool {
    let path = inst.path("lima.yaml");
    let original = std::fs::read_to_string(&path).unwrap_or_else(|e| log::fatal(&e.to_string()));
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    if !mounts.is_empty() {
        apply(&mut lines, Edit::Prepend(mounts));
    }
    for s in sets {
        match parse_all(&yq_literals(s, env.version)) {
            Some(edits) => edits.into_iter().for_each(|e| apply(&mut lines, e)),
            None => log::fatal(&format!("failed to evaluate {}: unsupported expression (limactl-sim knows only Limabar's mount edits and the doctor's fixes)", env.q(s))),
        }
    }
    let mut edited = lines.join("\n");
    edited.push('\n');
    if edited == original {
        return false;
    }
    let checked = serde_norway::from_str::<Value>(&edited)
        .map_err(|e| e.to_string())
        .and_then(|v| validate(&v).and_then(|_| validate_driver(env, &v)));
    if let Err(e) = checked {
        // Lima saves the rejected buffer in its working directory.
        let _ = std::fs::write("lima.REJECTED.yaml", &edited);
        log::fatal(&format!(
            "the YAML is invalid, saved the buffer as {}: {e}",
            env.q("lima.REJECTED.yaml")
        ));
    }
    let tmp = inst.path("lima.yaml.tmp");
    if std::fs::write(&tmp, &edited)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .is_err()
    {
        let _ = std::fs::remove_file(&tmp);
        log::fatal(&format!("failed to write {}", path.display()));
    }
    true
}

/// Line range of the top-level `mounts:` block: (key line, item start lines, end).
fn mounts_block(lines: &[String]) -> Option<(usize, Vec<usize>, usize)> {
    let key = lines.iter().position(|l| l.starts_with("mounts:"))?;
    let mut items = Vec::new();
    let mut end = key + 1;
    for (i, l) in lines.iter().enumerate().skip(key + 1) {
        let t = l.trim_start();
        if l.is_empty() || t.starts_with('#') {
            continue;
        }
        if !(l.starts_with(' ') || l.starts_with('-')) {
            break;
        }
        if t.starts_with("- ") || t == "-" {
            items.push(i);
        }
        end = i + 1;
    }
    Some((key, items, end))
}

/// The entry's raw `location` and `mountPoint`, as yq sees them in the file.
fn item_key(lines: &[String], start: usize, end: usize) -> Option<Raw> {
    let indent = lines[start].len() - lines[start].trim_start().len();
    let text: String = lines[start..end]
        .iter()
        .map(|l| format!("{}\n", l.get(indent..).unwrap_or("")))
        .collect();
    let v: Value = serde_norway::from_str::<Vec<Value>>(&text)
        .ok()?
        .into_iter()
        .next()?;
    Some(Raw {
        location: v.get("location")?.as_str()?.to_string(),
        mount_point: v
            .get("mountPoint")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Line range of a top-level key's block: the key line and its indented lines.
fn key_block(lines: &[String], key: &str) -> Option<(usize, usize)> {
    let start = lines
        .iter()
        .position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))?;
    let mut end = start + 1;
    while end < lines.len() && (lines[end].starts_with(' ') || lines[end].trim().is_empty()) {
        end += 1;
    }
    Some((start, end))
}

fn apply(lines: &mut Vec<String>, edit: Edit) {
    match edit {
        Edit::DelKey(key) => {
            if let Some((a, b)) = key_block(lines, &key) {
                lines.drain(a..b);
            }
        }
        Edit::SetKey(key, None, value) => match key_block(lines, &key) {
            Some((a, b)) => {
                lines.splice(a..b, [format!("{key}: {value}")]);
            }
            None => lines.push(format!("{key}: {value}")),
        },
        Edit::SetKey(key, Some(sub), value) => {
            // Rewritten as a block mapping from its parsed value, the sub-key set.
            let current = key_block(lines, &key);
            let mut map = current
                .and_then(|(a, b)| serde_norway::from_str::<Value>(&lines[a..b].join("\n")).ok())
                .and_then(|v| v.get(&key).cloned())
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            map.insert(sub, serde_json::from_str(&value).unwrap_or(Value::Null));
            let mut block = vec![format!("{key}:")];
            block.extend(map.iter().map(|(k, v)| format!("  {k}: {v}")));
            match current {
                Some((a, b)) => {
                    lines.splice(a..b, block);
                }
                None => lines.extend(block),
            }
        }
        Edit::Append(entries) => insert(lines, entries, false),
        Edit::AddProvision(entries) => add_provision(lines, entries),
        Edit::Prepend(entries) => insert(lines, entries, true),
        Edit::Delete(target) | Edit::SetWritable(target, _) if mounts_block(lines).is_none() => {
            let _ = target;
        }
        Edit::Delete(target) => {
            let (_, items, end) = mounts_block(lines).expect("checked above");
            for (n, &start) in items.iter().enumerate().rev() {
                let stop = items.get(n + 1).copied().unwrap_or(end);
                if item_key(lines, start, stop).is_some_and(|e| target.matches(&e)) {
                    lines.drain(start..stop);
                }
            }
        }
        Edit::SetWritable(target, writable) => {
            let (_, items, end) = mounts_block(lines).expect("checked above");
            for (n, &start) in items.iter().enumerate().rev() {
                let stop = items.get(n + 1).copied().unwrap_or(end);
                if !item_key(lines, start, stop).is_some_and(|e| target.matches(&e)) {
                    continue;
                }
                let indent = lines[start].len() - lines[start].trim_start().len();
                let found = (start..stop).find(|&i| {
                    lines[i]
                        .trim_start()
                        .trim_start_matches("- ")
                        .starts_with("writable:")
                });
                match found {
                    Some(i) => {
                        let prefix_len = lines[i].find("writable:").unwrap_or(0);
                        let comment = lines[i]
                            .find(" #")
                            .map(|c| lines[i][c..].to_string())
                            .unwrap_or_default();
                        lines[i] =
                            format!("{}writable: {writable}{comment}", &lines[i][..prefix_len]);
                    }
                    None => lines.insert(
                        start + 1,
                        format!("{}  writable: {writable}", " ".repeat(indent)),
                    ),
                }
            }
        }
    }
}

/// Inserts entries at the end (or, for `--mount`, the front) of the `mounts:` list,
/// with the list's own indentation; creates the key if there is none.
fn insert(lines: &mut Vec<String>, entries: Vec<Value>, front: bool) {
    let (key, items, end) = match mounts_block(lines) {
        Some(b) => b,
        None => {
            lines.push("mounts:".into());
            (lines.len() - 1, vec![], lines.len())
        }
    };
    if lines[key].trim_end() != "mounts:" {
        lines[key] = "mounts:".into(); // `mounts: []`
    }
    let indent = items
        .first()
        .map(|&i| lines[i].len() - lines[i].trim_start().len())
        .unwrap_or(0);
    let pad = " ".repeat(indent);
    let mut new = Vec::new();
    for e in entries {
        let s = |k: &str| serde_json::to_string(&e[k]).unwrap_or_default();
        new.push(format!("{pad}- location: {}", s("location")));
        if e.get("mountPoint").is_some() {
            new.push(format!("{pad}  mountPoint: {}", s("mountPoint")));
        }
        new.push(format!(
            "{pad}  writable: {}",
            e["writable"].as_bool().unwrap_or(false)
        ));
    }
    let at = if front {
        items.first().copied().unwrap_or(end)
    } else {
        end
    };
    lines.splice(at..at, new);
}

/// Appends `provision` entries at the end of the top-level list (creating it), scripts as
/// literal block scalars, the way yq writes a multi-line string.
fn add_provision(lines: &mut Vec<String>, entries: Vec<Value>) {
    let (at, indent) = match key_block(lines, "provision") {
        Some((a, b)) => {
            let indent = lines[a + 1..b]
                .iter()
                .find(|l| l.trim_start().starts_with("- "))
                .map(|l| l.len() - l.trim_start().len())
                .unwrap_or(0);
            // `provision:` blocks may also be written without indentation.
            let mut end = b;
            while end < lines.len() && lines[end].starts_with("- ") && indent == 0 {
                end += 1;
                while end < lines.len() && lines[end].starts_with(' ') {
                    end += 1;
                }
            }
            (end, indent)
        }
        None => {
            lines.push("provision:".into());
            (lines.len(), 0)
        }
    };
    let pad = " ".repeat(indent);
    let mut new = Vec::new();
    for e in entries {
        let mut first = true;
        for (k, v) in e.as_object().into_iter().flatten() {
            let lead = if first { "- " } else { "  " };
            first = false;
            match v.as_str() {
                Some(text) if text.contains('\n') => {
                    let chomp = if text.ends_with('\n') { "|" } else { "|-" };
                    new.push(format!("{pad}{lead}{k}: {chomp}"));
                    new.extend(text.lines().map(|l| {
                        if l.is_empty() {
                            String::new()
                        } else {
                            format!("{pad}    {l}")
                        }
                    }));
                }
                _ => new.push(format!("{pad}{lead}{k}: {v}")),
            }
        }
    }
    lines.splice(at..at, new);
}

#[cfg(test)]
mod tests {
    use super::yq_literals;

    #[test]
    fn string_literals_decode_as_each_yq_does() {
        // JSON for the path `a\\b` (two backslashes), `a\nb` (backslash, n), `a\b`.
        let two = r#"["a\\\\b"]"#;
        let before_n = r#"["a\\nb"]"#;
        let one = r#"["a\\b"]"#;
        assert_eq!(yq_literals(two, (2, 0, 2)), r#"["a\\\\b"]"#);
        assert_eq!(yq_literals(two, (2, 2, 0)), r#"["a\\b"]"#, "decoded twice");
        assert_eq!(yq_literals(before_n, (2, 0, 2)), r#"["a\\\nb"]"#);
        assert_eq!(yq_literals(before_n, (2, 2, 0)), r#"["a\\nb"]"#);
        for v in [(2, 0, 2), (2, 2, 0)] {
            assert_eq!(yq_literals(one, v), one);
            assert_eq!(
                yq_literals(r#""it's \"q\" $(x) ü""#, v),
                r#""it's \"q\" $(x) ü""#
            );
        }
    }
}
