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

fn raw(location: &str, mount_point: Option<&str>) -> RawEntry {
    RawEntry {
        location: location.into(),
        mount_point: mount_point.map(str::to_string),
        writable: None,
    }
}

/// The two JSON literals of a selector, as yq reads them.
fn selected(expr: &str, prefix: &str, suffix: &str) -> (String, serde_json::Value) {
    let inner = literal_after(expr, prefix, suffix);
    let (loc, mp) = inner
        .strip_prefix("select(.location == ")
        .and_then(|r| r.strip_suffix(")"))
        .and_then(|r| r.rsplit_once(" and .mountPoint == "))
        .unwrap_or_else(|| panic!("unexpected selector: {inner}"));
    (
        serde_json::from_str(loc).unwrap(),
        serde_json::from_str(mp).unwrap(),
    )
}

#[test]
fn remove_and_toggle_select_the_entry_as_written_with_the_exact_path() {
    for p in HOSTILE {
        let e = remove(&raw(p, Some(p)));
        let (loc, mp) = selected(&e, "del(.mounts[] | ", ")");
        assert_eq!(loc, *p);
        assert_eq!(mp, *p);
        let t = set_writable(&raw(p, Some(p)), false);
        let (loc, _) = selected(&t, "(.mounts[] | ", " | .writable) = false");
        assert_eq!(loc, *p);
    }
}

#[test]
fn the_home_mount_is_selected_as_tilde_without_a_mount_point() {
    assert_eq!(
        remove(&raw("~", None)),
        r#"del(.mounts[] | select(.location == "~" and .mountPoint == null))"#
    );
    assert_eq!(
        set_writable(&raw("{{.Home}}/src", Some("/src")), true),
        r#"(.mounts[] | select(.location == "{{.Home}}/src" and .mountPoint == "/src") | .writable) = true"#
    );
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
        let r = remove(&raw(&p, None));
        assert_eq!(selected(&r, "del(.mounts[] | ", ")").0, p);
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
