use super::*;

fn mount(p: &str) -> Mount {
    Mount {
        location: p.into(),
        mount_point: p.into(),
        writable: true,
    }
}

/// Reads the JSON literal back out of an expression, as yq would.
fn literal_after<'a>(expr: &'a str, prefix: &str, suffix: &str) -> &'a str {
    expr.strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("unexpected shape: {expr}"))
}

const HOSTILE: &[&str] = &[
    "/Users/me/src/app",
    "/Users/me/my project",
    "/Users/me/it's \"quoted\"",
    "/Users/me/$(rm -rf ~)",
    "/Users/me/`id`",
    "/Users/me/back\\slash",
    "/Users/me/new\nline",
    "/Users/me/tab\there",
    "/Users/me/ünïcödé/日本語/🚀",
    "/Users/me/a;b|c&d",
    "/Users/me/) | .plain = true | (",
];

#[test]
fn add_round_trips_every_path_exactly() {
    for p in HOSTILE {
        let e = add(&[mount(p)]);
        let v: serde_json::Value =
            serde_json::from_str(literal_after(&e, ".mounts += ", "")).unwrap();
        assert_eq!(v[0]["location"], *p);
        assert_eq!(v[0]["mountPoint"], *p);
        assert_eq!(v[0]["writable"], true);
    }
}

#[test]
fn remove_and_toggle_select_by_mount_point_with_the_exact_path() {
    for p in HOSTILE {
        let e = remove(p);
        let lit = literal_after(
            &e,
            "del(.mounts[] | select((.mountPoint // .location) == ",
            "))",
        );
        assert_eq!(serde_json::from_str::<String>(lit).unwrap(), *p);
        let t = set_writable(p, false);
        let lit = literal_after(
            &t,
            "(.mounts[] | select((.mountPoint // .location) == ",
            ") | .writable) = false",
        );
        assert_eq!(serde_json::from_str::<String>(lit).unwrap(), *p);
    }
}

#[test]
fn pseudo_random_paths_round_trip() {
    // A small deterministic generator over awkward characters (no extra dependency).
    let alphabet: Vec<char> = "aZ09 '\"\\$`()|;&\n\t{}[]:#,.*~-_/éü日🚀\u{7f}\u{1}"
        .chars()
        .collect();
    let mut x: u64 = 0x9E3779B97F4A7C15;
    for _ in 0..2000 {
        let len = 1 + (x % 24) as usize;
        let mut p = String::from("/");
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        let e = add(&[mount(&p)]);
        let v: serde_json::Value =
            serde_json::from_str(literal_after(&e, ".mounts += ", "")).unwrap();
        assert_eq!(v[0]["location"].as_str().unwrap(), p);
        let r = remove(&p);
        let lit = literal_after(
            &r,
            "del(.mounts[] | select((.mountPoint // .location) == ",
            "))",
        );
        assert_eq!(serde_json::from_str::<String>(lit).unwrap(), p);
    }
}

#[test]
fn several_folders_make_one_expression() {
    let e = add(&[mount("/a"), mount("/b c")]);
    assert_eq!(
        e,
        r#".mounts += [{"location":"/a","mountPoint":"/a","writable":true},{"location":"/b c","mountPoint":"/b c","writable":true}]"#
    );
}
