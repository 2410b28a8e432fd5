//! The config Lima really uses: lima.yaml with `$LIMA_HOME/_config/default.yaml` and
//! `override.yaml` mixed in, as `pkg/limayaml/defaults.go` `FillDefault(y, d, o)` does at
//! every load (`pkg/limayaml/load.go` `load`, v2.2.0), and which of the three files a
//! finding comes from.
//!
//! Only the mixing is modelled, not Lima's built-in defaults (the rules know the few they
//! need) nor its templates (`{{.Home}}`) and `~` expansion: without the host's home, mount
//! locations are compared as written.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Blame, Finding};

/// One of the files Lima mixes into an instance's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// `$LIMA_HOME/_config/default.yaml`: fills in what lima.yaml leaves unset.
    Default,
    /// The instance's lima.yaml (and Lima's built-in defaults).
    Instance,
    /// `$LIMA_HOME/_config/override.yaml`: wins over lima.yaml.
    Override,
}

impl Layer {
    /// The file, as the user would find it.
    pub fn file(self) -> &'static str {
        match self {
            Layer::Default => "$LIMA_HOME/_config/default.yaml",
            Layer::Instance => "lima.yaml",
            Layer::Override => "$LIMA_HOME/_config/override.yaml",
        }
    }

    /// How firmly the setting is held against a `limactl edit` of lima.yaml.
    fn rank(self) -> u8 {
        match self {
            Layer::Instance => 0,
            Layer::Default => 1,
            Layer::Override => 2,
        }
    }
}

/// Lists Lima concatenates as `slices.Concat(o.X, y.X, d.X)` (defaults.go, v2.2.0).
const CONCAT_OYD: &[&str] = &[
    "images",
    "additionalDisks",
    "firmware.images",
    "provision",
    "containerd.archives",
    "probes",
    "portForwards",
    "copyToHost",
    "mountTypesUnsupported",
];

/// Lists Lima concatenates d, y, o without duplicates (`unique(slices.Concat(d…, y…, o…))`).
const UNIQUE_DYO: &[&str] = &["caCertificates.files", "caCertificates.certs"];

/// Maps merged key by key, d then y then o (`maps.Copy`).
const MAPS: &[&str] = &["env", "param", "vmOpts", "osOpts", "hostResolver.hosts"];

/// lima.yaml (`instance`) with default.yaml and override.yaml mixed in the way
/// `FillDefault(y, d, o)` does (pkg/limayaml/defaults.go, v2.2.0):
/// * scalars, also inside `ssh`, `containerd`, `user`, …: o, else y, else d;
/// * `images`, `provision`, `portForwards`, … : o's, then y's, then d's;
/// * `mounts`: d's, y's, o's, an entry whose mount point (default: its location) was
///   seen merged into the first one (its settings win, the location stays);
/// * `networks`: d, y, o, merged by `interface` name; `dns`: the first non-empty of o, y, d;
/// * `env`, `param`, `vmOpts`, `osOpts`, `hostResolver.hosts`: merged key by key, o last.
///
/// A null (`key: ~`) is unset, as in Go. A layer that is not a mapping is ignored.
pub fn effective(instance: &Value, default: Option<&Value>, over: Option<&Value>) -> Value {
    if !instance.is_object() {
        return instance.clone();
    }
    let default = default.filter(|v| v.is_object());
    let over = over.filter(|v| v.is_object());
    merge("", default, Some(instance), over).unwrap_or_else(|| Value::Object(Map::new()))
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

fn child<'a>(v: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    v.and_then(|v| v.get(key))
}

fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn merge(path: &str, d: Option<&Value>, y: Option<&Value>, o: Option<&Value>) -> Option<Value> {
    let (d, y, o) = (present(d), present(y), present(o));
    if d.is_none() && y.is_none() && o.is_none() {
        return None;
    }
    let list = |v: Vec<Value>| Some(Value::Array(v));
    if path == "mounts" {
        return list(mounts(d, y, o).into_iter().map(|(m, _)| m).collect());
    }
    if path == "networks" {
        return list(networks(d, y, o));
    }
    if CONCAT_OYD.contains(&path) {
        return list([o, y, d].into_iter().flat_map(items).cloned().collect());
    }
    if UNIQUE_DYO.contains(&path) {
        let mut out: Vec<Value> = Vec::new();
        for v in [d, y, o].into_iter().flat_map(items) {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
        return list(out);
    }
    if path == "dns" {
        // "DNS lists are not combined; highest priority setting is picked".
        return [o, y, d]
            .into_iter()
            .flatten()
            .find(|v| !items(Some(v)).is_empty())
            .or(y.or(d).or(o))
            .cloned();
    }
    let layers = [d, y, o];
    let objects: Vec<&Map<String, Value>> = layers
        .iter()
        .flatten()
        .filter_map(|v| v.as_object())
        .collect();
    if objects.len() != layers.iter().flatten().count() {
        // Not all mappings (or a scalar): the highest layer's value.
        return o.or(y).or(d).cloned();
    }
    let mut out = Map::new();
    if MAPS.contains(&path) {
        for m in objects {
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
        }
        return Some(Value::Object(out));
    }
    let mut keys: Vec<&String> = Vec::new();
    for m in [y, d, o].into_iter().flatten().filter_map(Value::as_object) {
        for k in m.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    for k in keys {
        let sub = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        if let Some(v) = merge(&sub, child(d, k), child(y, k), child(o, k)) {
            out.insert(k.clone(), v);
        }
    }
    Some(Value::Object(out))
}

/// What Lima merges mounts by: the mount point, which defaults to the cleaned location.
fn mount_key(m: &Map<String, Value>) -> Option<String> {
    match m.get("mountPoint").and_then(Value::as_str) {
        Some(p) => Some(p.to_string()),
        None => m
            .get("location")
            .and_then(Value::as_str)
            .map(crate::fsutil::go_clean),
    }
}

/// Copies `from`'s settings onto `into`, nested mappings key by key, nulls skipped.
fn overlay(into: &mut Map<String, Value>, from: &Map<String, Value>, skip: &[&str]) {
    for (k, v) in from {
        if v.is_null() || skip.contains(&k.as_str()) {
            continue;
        }
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => overlay(a, b, &[]),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The effective mounts and, for each, the highest layer that set any of it
/// (defaults.go: "Combine all mounts; highest priority entry determines writable status").
fn mounts(d: Option<&Value>, y: Option<&Value>, o: Option<&Value>) -> Vec<(Value, Layer)> {
    let mut out: Vec<(Value, Layer)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (layer, list) in [
        (Layer::Default, d),
        (Layer::Instance, y),
        (Layer::Override, o),
    ] {
        for m in items(list) {
            let Some(obj) = m.as_object() else {
                out.push((m.clone(), layer));
                continue;
            };
            let key = mount_key(obj);
            match key.as_ref().and_then(|k| seen.get(k)) {
                Some(&i) => {
                    if let Value::Object(into) = &mut out[i].0 {
                        overlay(into, obj, &["location"]);
                    }
                    out[i].1 = layer;
                }
                None => {
                    if let Some(k) = key {
                        seen.insert(k, out.len());
                    }
                    out.push((m.clone(), layer));
                }
            }
        }
    }
    out
}

/// Networks d, y, o; a named `interface` seen before updates that entry (a `socket`
/// replaces its `lima` and the other way round).
fn networks(d: Option<&Value>, y: Option<&Value>, o: Option<&Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for nw in [d, y, o].into_iter().flat_map(items) {
        let name = nw
            .get("interface")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        match (name.and_then(|n| seen.get(n)), nw.as_object()) {
            (Some(&i), Some(from)) => {
                if let Value::Object(into) = &mut out[i] {
                    let set = |k: &str| {
                        from.get(k)
                            .and_then(Value::as_str)
                            .is_some_and(|s| !s.is_empty())
                    };
                    if set("socket") {
                        into.remove("lima");
                    }
                    if set("lima") {
                        into.remove("socket");
                    }
                    overlay(into, from, &["interface"]);
                }
            }
            _ => {
                if let Some(n) = name {
                    seen.insert(n.to_string(), out.len());
                }
                out.push(nw.clone());
            }
        }
    }
    out
}

fn lookup<'a>(v: Option<&'a Value>, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v?, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

/// The file whose value of `path` Lima uses. Unset everywhere is Lima's built-in
/// default, which lima.yaml can change, so it counts as lima.yaml's.
fn key_layer(path: &str, y: &Value, d: Option<&Value>, o: Option<&Value>) -> Layer {
    if lookup(o, path).is_some() {
        Layer::Override
    } else if lookup(Some(y), path).is_some() || lookup(d, path).is_none() {
        Layer::Instance
    } else {
        Layer::Default
    }
}

/// Names the global file a finding comes from, and drops its `set`: `limactl edit
/// --set` changes lima.yaml, which override.yaml wins over and which default.yaml's
/// lists and mounts are added to.
pub(crate) fn attribute(f: &mut Finding, y: &Value, d: Option<&Value>, o: Option<&Value>) {
    if d.is_none() && o.is_none() {
        return;
    }
    let layer = match f.blame {
        Blame::Host => None,
        Blame::Keys(keys) => keys
            .iter()
            .map(|k| key_layer(k, y, d, o))
            .max_by_key(|l| l.rank()),
        Blame::Mount(i) => mounts(
            present(child(d, "mounts")),
            present(child(Some(y), "mounts")),
            present(child(o, "mounts")),
        )
        .get(i)
        .map(|m| m.1),
        Blame::Image(i) => {
            let n = |v: Option<&Value>| items(child(v, "images")).len();
            Some(if i < n(o) {
                Layer::Override
            } else if i < n(o) + n(Some(y)) {
                Layer::Instance
            } else {
                Layer::Default
            })
        }
    };
    let Some(layer) = layer.filter(|l| *l != Layer::Instance) else {
        return;
    };
    let file = layer.file();
    f.message = format!("{}, set in `{file}`.", f.message.trim_end_matches('.'));
    f.fix = match layer {
        Layer::Override => format!(
            "{} Change it in `{file}`: it wins over every instance's lima.yaml, so \
             `limactl edit` cannot change it.",
            f.fix
        ),
        _ => format!(
            "{} Change it in `{file}` (it applies to every instance), or set it in this \
             VM's lima.yaml.",
            f.fix
        ),
    };
    f.set = None;
}

#[cfg(test)]
mod tests;
