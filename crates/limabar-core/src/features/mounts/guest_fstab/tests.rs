use super::*;
use crate::testutil::write_script;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// nixos-lima's awk program that writes the fstab block from user-data, verbatim.
const LIMA_INIT_AWK: &str = include_str!("lima-init-fstab.awk");

const SCRIPT_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/features/mounts/guest_fstab.sh"
);

const VIRTIOFS_OPTIONS: &str = "rw,nofail";
const NINEP_OPTIONS: &str = "rw,trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// Mounts as Lima hands it over.
    Fine,
    /// Mounts once the script has run.
    Fix,
    Refused,
}
use Verdict::*;

/// Real Mac folder names and the characters around them.
const CASES: &[(&str, Verdict)] = &[
    ("/Users/me/src/app", Fine),
    ("/Users/me/My Projects", Fix),
    (
        "/Users/me/Library/Mobile Documents/com~apple~CloudDocs",
        Fix,
    ),
    ("/Volumes/External HD", Fix),
    ("/Volumes/Untitled", Fine),
    ("/Users/me/Google Drive", Fix),
    (
        "/Users/me/Library/CloudStorage/GoogleDrive-me@gmail.com/My Drive",
        Fix,
    ),
    ("/Users/me/Library/CloudStorage/OneDrive-Personal", Fine),
    ("/Users/me/Dropbox (Personal)", Fix),
    ("/Users/me/Creative Cloud Files", Fix),
    ("/Users/me/two  spaces", Fix),
    ("/Users/me/C# notes", Fix),
    ("/Users/me/#hashtag", Fine),
    ("/Users/me/it's", Fine),
    ("/Users/me/Bob's \"best\" stuff", Fix),
    ("/Users/me/'single'", Fine),
    ("/Users/me/$(x)", Fine),
    ("/Users/me/`x`", Fine),
    ("/Users/me/$HOME and $USER", Fix),
    ("/Users/me/${x}", Refused),
    ("/Users/me/ü", Fine),
    ("/Users/me/ünïcödé/日本語 🚀", Fix),
    ("/Users/me/back\\slash", Fine),
    ("/Users/me/back\\ slash", Fix),
    ("/Users/me/R&D", Fine),
    ("/Users/me/100%", Fine),
    ("/Users/me/*star*", Fine),
    ("/Users/me/!bang", Fine),
    ("/Users/me/-dash", Fine),
    ("/Users/me/a | b > c", Fix),
    ("/Users/me/a=b;c", Fine),
    ("/Users/me/@scope", Fine),
    ("/Users/me/~tilde", Fine),
    ("/Users/me/a, b", Refused),
    ("/Users/me/a,b", Refused),
    ("/Users/me/x [1]", Refused),
    ("/Users/me/x[1]", Refused),
    ("/Users/me/{draft}", Refused),
    ("/Users/me/notes #2", Refused),
    ("/Users/me/Why?", Refused),
    ("/Users/me/Screenshot 2024-01-01 at 10:00", Refused),
    ("/Users/me/a:b", Refused),
    ("/Users/me/a: b", Refused),
    ("/Users/me/trailing:", Refused),
    ("/Users/me/trailing ", Refused),
    ("/Users/me/say \"hi\"", Refused),
    ("/Users/me/a\\040b", Refused),
    ("/Users/me/tab\there", Refused),
    ("/Users/me/new\nline", Refused),
    ("/Users/me/cr\rhere", Refused),
    ("/Users/me/del\u{7f}", Refused),
    ("/Users/me/nel\u{85}x", Refused),
    ("/Users/me/ls\u{2028}x", Fine),
    ("/Users/me/ps\u{2029}x", Fine),
    ("/Users/me/bell\u{7}", Refused),
];

#[test]
fn refusal_and_needs_fix_over_real_folder_names() {
    for &(mp, verdict) in CASES {
        let got = match (refusal(mp), needs_fix(mp)) {
            (Some(_), _) => Refused,
            (None, true) => Fix,
            (None, false) => Fine,
        };
        assert_eq!(got, verdict, "{mp:?}");
    }
}

#[test]
fn refusal_is_one_sentence_and_says_what_to_do() {
    let r = refusal("/Users/me/a, b").unwrap();
    assert_eq!(
        r,
        "The guest path \"/Users/me/a, b\" can't be mounted in a NixOS guest: it contains \
         \",\", which breaks the YAML list Lima writes for the guest's mounts. Rename the \
         folder, or mount a folder higher up whose path does not have it."
    );
    for &(mp, _) in CASES {
        if let Some(r) = refusal(mp) {
            assert!(r.contains("Rename the folder"), "{r}");
            assert_eq!(r.matches(". ").count(), 1, "{r}");
        }
    }
}

/// One mount as Lima's `cidata.TEMPLATE.d/user-data` renders it.
fn mount_line(i: usize, mp: &str, fstype: &str) -> String {
    let options = if fstype == "9p" {
        NINEP_OPTIONS
    } else {
        VIRTIOFS_OPTIONS
    };
    format!(
        "- [{}, {mp}, {fstype}, \"{options}\", \"0\", \"0\"]",
        tag(i)
    )
}

/// Lima's tags are `lima-` and 8 bytes of a sha256 in hex; any hex does here.
fn tag(i: usize) -> String {
    format!(
        "lima-{:016x}",
        0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i as u64 + 1)
    )
}

/// user-data as Lima renders it (Linux guest, no Rosetta, a time zone), up to `users:`.
fn user_data(mounts: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "#cloud-config\n# vim:syntax=yaml\n\ngrowpart:\n  mode: auto\n  devices: ['/']\nmounts:",
    );
    for (i, (mp, fstype)) in mounts.iter().enumerate() {
        s.push('\n');
        s.push_str(&mount_line(i, mp, fstype));
    }
    s.push_str(
        "\ntimezone: Europe/Berlin\n\nusers:\n  - name: \"me\"\n    uid: \"501\"\n    \
         homedir: \"/home/me.linux\"\n    shell: /bin/bash\n",
    );
    s
}

/// The fstab lines nixos-lima's awk writes from `user_data` (run with the `awk` on PATH).
fn lima_init_fstab_lines(dir: &Path, user_data: &str, path: Option<&str>) -> String {
    let awk = dir.join("lima-init-fstab.awk");
    let ud = dir.join("user-data");
    std::fs::write(&awk, LIMA_INIT_AWK).unwrap();
    std::fs::write(&ud, user_data).unwrap();
    let mut cmd = Command::new("awk");
    cmd.arg("-f").arg(&awk).arg(&ud);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd.output().expect("awk");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// How libmount reads an fstab field: `\` and three octal digits is that byte.
fn libmount_unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let oct = |c: u8| (b'0'..=b'7').contains(&c);
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..=i + 3].iter().all(|&c| oct(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn libmount_unescape_reads_octal_only() {
    assert_eq!(libmount_unescape("/a\\040b\\134c"), "/a b\\c");
    assert_eq!(libmount_unescape("/a\\b\\04"), "/a\\b\\04");
    assert_eq!(libmount_unescape("/\\303\\274"), "/ü");
}

fn yaml_round_trips(mp: &str) -> bool {
    let ud = user_data(&[(mp, "virtiofs"), ("/next", "virtiofs")]);
    let Ok(v) = serde_norway::from_str::<serde_norway::Value>(&ud) else {
        return false;
    };
    let entry = |i: usize| -> Option<Vec<String>> {
        v.get("mounts")?
            .as_sequence()?
            .get(i)?
            .as_sequence()
            .map(|s| {
                s.iter()
                    .map(|x| x.as_str().unwrap_or("<not a string>").to_string())
                    .collect()
            })
    };
    entry(0)
        == Some(vec![
            tag(0),
            mp.into(),
            "virtiofs".into(),
            VIRTIOFS_OPTIONS.into(),
            "0".into(),
            "0".into(),
        ])
        && entry(1).is_some_and(|e| e[1] == "/next")
}

fn awk_round_trips(dir: &Path, mp: &str) -> bool {
    let ud = user_data(&[(mp, "virtiofs"), ("/next", "virtiofs")]);
    let out = lima_init_fstab_lines(dir, &ud, None);
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    lines.len() == 2
        && lines[0] == [tag(0).as_str(), mp, "virtiofs", VIRTIOFS_OPTIONS, "0", "0"]
        && lines[1].get(1) == Some(&"/next")
}

/// Every path refused is refused for a breakage a check here sees, and every path
/// accepted gets through Lima's YAML and nixos-lima's awk unchanged.
#[test]
fn refusals_match_what_breaks_yaml_awk_or_libmount() {
    let t = tempfile::tempdir().unwrap();
    for &(mp, _) in CASES {
        let yaml = yaml_round_trips(mp);
        let awk = awk_round_trips(t.path(), mp);
        // What libmount reads from the line once the script has done what it does.
        let field = if needs_fix(mp) {
            mp.replace('\\', "\\134").replace(' ', "\\040")
        } else {
            mp.to_string()
        };
        let libmount = libmount_unescape(&field) == mp;
        match refusal(mp) {
            None => assert!(
                yaml && awk && libmount,
                "{mp:?}: yaml {yaml} awk {awk} libmount {libmount}"
            ),
            // libyaml (serde_norway) takes "?" inside a plain scalar, as YAML 1.2 does, but
            // PyYAML, which cloud-init parses user-data with, ends the scalar there:
            // `yaml.safe_load('- [a, /Why?, b]')` raises a ParserError.
            Some(_) if mp.contains('?') => assert!(yaml && awk && libmount, "{mp:?}"),
            Some(r) => assert!(
                !(yaml && awk && libmount),
                "{mp:?} refused for nothing: {r}"
            ),
        }
    }
}

#[test]
fn a_colon_drops_this_mount_and_all_after_it() {
    let t = tempfile::tempdir().unwrap();
    let ud = user_data(&[
        ("/first", "virtiofs"),
        ("/Users/me/a:b", "virtiofs"),
        ("/last", "virtiofs"),
    ]);
    let out = lima_init_fstab_lines(t.path(), &ud, None);
    let targets: Vec<&str> = out.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(targets, ["/first"]);
}

#[test]
fn a_trailing_double_quote_is_eaten() {
    let t = tempfile::tempdir().unwrap();
    let ud = user_data(&[("/Users/me/say \"hi\"", "virtiofs")]);
    let out = lima_init_fstab_lines(t.path(), &ud, None);
    assert_eq!(out.split('\t').nth(1), Some("/Users/me/say \"hi"));
}

#[test]
fn script_carries_the_marker_and_is_the_provision_entry() {
    assert!(SCRIPT.starts_with("#!/bin/sh\n"));
    assert_eq!(SCRIPT.lines().nth(1), Some(MARKER));
    let entry = provision_entry();
    assert_eq!(entry["mode"], "system");
    assert_eq!(entry["script"], SCRIPT);
    assert_eq!(entry.as_object().unwrap().len(), 2);
}

#[test]
fn is_installed_looks_for_a_system_provision_with_the_marker() {
    use serde_json::json;
    assert!(!is_installed(&json!({})));
    assert!(!is_installed(&json!({ "provision": null })));
    assert!(!is_installed(&json!({ "provision": [] })));
    assert!(!is_installed(
        &json!({ "provision": [{ "mode": "system", "script": "#!/bin/sh\necho hi\n" }] })
    ));
    // A copy running as the user would not fix anything.
    assert!(!is_installed(
        &json!({ "provision": [{ "mode": "user", "script": SCRIPT }] })
    ));
    assert!(is_installed(&json!({ "provision": [provision_entry()] })));
    assert!(is_installed(&json!({ "provision": [
        { "mode": "dependency", "script": "#!/bin/sh\ntrue\n" },
        { "script": format!("#!/bin/sh\n{MARKER}\n# an older copy, edited\n") },
    ] })));
}

// ---- The script, run for real ----

/// The guest's mounts for the end-to-end test, as names below a scratch directory.
const GUEST_MOUNTS: &[(&str, &str)] = &[
    ("src", "virtiofs"),
    ("My Projects", "virtiofs"),
    ("Mobile Documents/com~apple~CloudDocs", "virtiofs"),
    ("two  spaces", "virtiofs"),
    ("back\\slash", "virtiofs"),
    ("back\\slash and space", "virtiofs"),
    ("Bob's \"best\" stuff", "virtiofs"),
    ("$(echo pwned) `id` $HOME", "virtiofs"),
    ("ünïcödé 日本語 🚀", "virtiofs"),
    ("C# notes", "virtiofs"),
    ("nine p", "9p"),
    ("ninep", "9p"),
];

struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    script: PathBuf,
    fstab: PathBuf,
    /// Absolute guest mount points, in `GUEST_MOUNTS` order.
    mount_points: Vec<String>,
    /// The fstab lines before `#LIMA-START`.
    outside: String,
}

/// A fstab as a nixos-lima guest has it after lima-init.nix wrote the block: ordinary
/// lines (a tmpfs and a bind mount, which findmnt can check here) then the block from
/// nixos-lima's awk over Lima's user-data. Every target exists, so `findmnt --verify`
/// passes exactly when every line parses.
fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    assert!(!root.to_str().unwrap().contains(char::is_whitespace));
    let mnt = root.join("mnt");
    let mount_points: Vec<String> = GUEST_MOUNTS
        .iter()
        .map(|(name, _)| {
            let p = mnt.join(name);
            std::fs::create_dir_all(&p).unwrap();
            p.to_str().unwrap().to_string()
        })
        .collect();
    for mp in &mount_points {
        assert_eq!(refusal(mp), None, "{mp}");
    }
    for d in ["tmp", "bind"] {
        std::fs::create_dir(root.join(d)).unwrap();
    }
    let r = root.display();
    let outside = format!(
        "# This file was generated by nixos-generate-config.\n\
         tmpfs {r}/tmp tmpfs mode=1777,strictatime,nosuid,nodev 0 0\n\
         {r}/tmp {r}/bind none bind 0 0\n\n"
    );
    let ud = user_data(
        &mount_points
            .iter()
            .zip(GUEST_MOUNTS)
            .map(|(mp, (_, fstype))| (mp.as_str(), *fstype))
            .collect::<Vec<_>>(),
    );
    let block = lima_init_fstab_lines(&root, &ud, None);
    assert_eq!(block.lines().count(), GUEST_MOUNTS.len(), "{block}");
    let fstab = root.join("fstab");
    std::fs::write(&fstab, format!("{outside}#LIMA-START\n{block}#LIMA-END\n")).unwrap();
    std::fs::set_permissions(&fstab, std::fs::Permissions::from_mode(0o640)).unwrap();
    let script = root.join("guest_fstab.sh");
    write_script(&script, SCRIPT);
    Scratch {
        _dir: dir,
        root,
        script,
        fstab,
        mount_points,
        outside,
    }
}

/// Runs the script as lima-init.nix does (executed, so by its `#!`), or with `shell`.
fn run_script(s: &Scratch, fstab: &Path, shell: Option<&[&str]>, path: Option<&str>) -> Output {
    let mut cmd = match shell {
        None => Command::new(&s.script),
        Some([sh, args @ ..]) => {
            let mut c = Command::new(sh);
            c.args(args).arg(&s.script);
            c
        }
        Some([]) => unreachable!(),
    };
    cmd.env("LIMABAR_FSTAB", fstab);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd.output().expect("run the script");
    assert!(
        out.status.success(),
        "{shell:?} {path:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Field 2 of each line in the block, as libmount reads it.
fn block_targets(fstab: &str) -> Vec<String> {
    let start = fstab.find("#LIMA-START\n").unwrap() + "#LIMA-START\n".len();
    let end = fstab.find("#LIMA-END\n").unwrap();
    fstab[start..end]
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "{l:?}");
            libmount_unescape(f[1])
        })
        .collect()
}

fn entries_in_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn script_makes_every_mount_point_parse_and_is_idempotent() {
    let s = scratch();
    let before = std::fs::read_to_string(&s.fstab).unwrap();
    let spaced: Vec<usize> = s
        .mount_points
        .iter()
        .enumerate()
        .filter(|(_, mp)| needs_fix(mp))
        .map(|(i, _)| i)
        .collect();
    assert!(spaced.len() >= 6);

    // The bug: without the script, every line with a space is unparsable.
    let outside_lines = s.outside.lines().count();
    if cfg!(target_os = "linux") {
        let v = findmnt_verify(&s.fstab);
        assert!(!v.ok, "{}", v.text);
        let want: Vec<String> = spaced
            .iter()
            .map(|i| format!("parse error at line {} -- ignored", outside_lines + 2 + i))
            .collect();
        let got: Vec<String> = v
            .text
            .lines()
            .filter_map(|l| l.find("parse error at line").map(|at| l[at..].to_string()))
            .collect();
        assert_eq!(got, want, "{}", v.text);
        assert!(
            v.text.contains(&format!("{} parse error", spaced.len())),
            "{}",
            v.text
        );
    }

    let files_before = entries_in_dir(&s.root);
    let out = run_script(&s, &s.fstab, None, None);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "limabar-guest-fstab: escaped {} mount point(s) in {}\n",
            spaced.len(),
            s.fstab.display()
        )
    );
    let once = std::fs::read_to_string(&s.fstab).unwrap();
    assert_ne!(once, before);
    assert!(once.starts_with(&format!("{}#LIMA-START\n", s.outside)));
    assert!(once.ends_with("#LIMA-END\n"));
    assert_eq!(block_targets(&once), s.mount_points);
    // Only the spaced lines changed, and only in field 2.
    for (b, a) in before.lines().zip(once.lines()) {
        let (bf, af): (Vec<&str>, Vec<&str>) = (b.split('\t').collect(), a.split('\t').collect());
        if b != a {
            assert_eq!(bf.len(), 6, "{b:?}");
            assert_eq!((&bf[..1], &bf[2..]), (&af[..1], &af[2..]));
            assert!(bf[1].contains(' ') && !af[1].contains(' '), "{a:?}");
        }
    }
    let meta = std::fs::metadata(&s.fstab).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    assert_eq!(
        entries_in_dir(&s.root),
        files_before,
        "no temporary file left"
    );

    if cfg!(target_os = "linux") {
        let v = findmnt_verify(&s.fstab);
        assert!(v.ok, "{}", v.text);
        assert!(
            v.text.contains("Success, no errors or warnings detected"),
            "{}",
            v.text
        );
        assert!(!v.text.contains("parse error"), "{}", v.text);
        let r = s.root.display();
        let mut want = vec![format!("{r}/tmp"), format!("{r}/bind")];
        want.extend(s.mount_points.iter().cloned());
        assert_eq!(findmnt_targets(&s.fstab), want);
    }

    // Twice is once, and the file is not even rewritten.
    let out = run_script(&s, &s.fstab, None, None);
    assert_eq!(out.stdout, b"");
    assert_eq!(std::fs::read_to_string(&s.fstab).unwrap(), once);
    assert_eq!(std::fs::metadata(&s.fstab).unwrap().ino(), meta.ino());
    assert_eq!(
        std::fs::metadata(&s.fstab).unwrap().mtime_nsec(),
        meta.mtime_nsec()
    );
}

/// Every shell and awk a guest may run it with writes the same bytes: NixOS runs it with
/// bash as /bin/sh and gawk first in PATH; dash, mawk and busybox are the other common
/// ones. nixos-lima's awk program gives the same block with each awk, too. The macOS
/// host has only its own sh and awk, which run it as well.
#[test]
fn script_writes_the_same_with_every_shell_and_awk() {
    let s = scratch();
    let original = std::fs::read_to_string(&s.fstab).unwrap();
    run_script(&s, &s.fstab, None, None);
    let reference = std::fs::read(&s.fstab).unwrap();
    let ud = user_data(
        &s.mount_points
            .iter()
            .zip(GUEST_MOUNTS)
            .map(|(mp, (_, fstype))| (mp.as_str(), *fstype))
            .collect::<Vec<_>>(),
    );

    let system_path = std::env::var("PATH").unwrap();
    let mut combos: Vec<(Vec<&str>, String)> = vec![(vec!["sh"], system_path.clone())];
    if cfg!(target_os = "linux") {
        let mut paths = Vec::new();
        for awk in ["gawk", "mawk", "busybox"] {
            let bin = s.root.join(format!("bin-{awk}"));
            std::fs::create_dir(&bin).unwrap();
            let real = which(awk).unwrap_or_else(|| {
                panic!("{awk} is missing: it is in TEST_PACKAGES in scripts/lib.sh")
            });
            // busybox runs the applet its argv[0] names.
            std::os::unix::fs::symlink(real, bin.join("awk")).unwrap();
            paths.push(format!("{}:{system_path}", bin.display()));
        }
        for sh in [&["dash"][..], &["bash", "--posix"], &["busybox", "sh"]] {
            assert!(which(sh[0]).is_some(), "{} is missing", sh[0]);
            for p in &paths {
                combos.push((sh.to_vec(), p.clone()));
            }
        }
    }
    let copy = s.root.join("fstab-copy");
    for (shell, path) in &combos {
        let block = lima_init_fstab_lines(&s.root, &ud, Some(path));
        assert_eq!(
            format!("{}#LIMA-START\n{block}#LIMA-END\n", s.outside),
            original,
            "{path}"
        );
        std::fs::write(&copy, &original).unwrap();
        for round in ["once", "twice"] {
            run_script(&s, &copy, Some(shell), Some(path));
            assert_eq!(
                std::fs::read(&copy).unwrap(),
                reference,
                "{round}: {shell:?} {path}"
            );
        }
    }
}

#[test]
fn script_never_touches_lines_outside_the_block() {
    let s = scratch();
    // Lines that look like Lima's but sit outside the block, and lines in the block that
    // are not virtiofs or 9p, stay as they are, spaces and all.
    let text = "lima-aaaa\t/before the block\tvirtiofs\trw,nofail\t0\t0\n\
                #LIMA-START\n\
                lima-bbbb\t/in the block\tvirtiofs\trw,nofail\t0\t0\n\
                /dev/vdb\t/data disk\text4\tdefaults\t0\t0\n\
                lima-cccc\t/nine p\t9p\trw,trans=virtio\t0\t0\n\
                #LIMA-END\n\
                lima-dddd\t/after the block\tvirtiofs\trw,nofail\t0\t0\n\
                # LIMA-START, but not the marker: lima-eeee /x y virtiofs\n\
                no newline at the end";
    std::fs::write(&s.fstab, text).unwrap();
    run_script(&s, &s.fstab, None, None);
    let got = std::fs::read_to_string(&s.fstab).unwrap();
    let want = text
        .replace("/in the block", "/in\\040the\\040block")
        .replace("/nine p", "/nine\\040p");
    // awk ends the last line; the script rewrote the file, so that is the one change.
    assert_eq!(got, format!("{want}\n"));
}

#[test]
fn script_leaves_a_file_without_anything_to_escape_alone() {
    let s = scratch();
    for text in [
        "",
        "LABEL=nixos / ext4 defaults 0 1\n",
        "#LIMA-START\nlima-aaaa\t/plain\tvirtiofs\trw,nofail\t0\t0\n#LIMA-END\n",
        "#LIMA-START\nlima-aaaa\t/back\\slash\tvirtiofs\trw,nofail\t0\t0\n#LIMA-END\n",
        "#LIMA-START\nlima-aaaa\t/done\\040already\tvirtiofs\trw,nofail\t0\t0\n#LIMA-END",
    ] {
        std::fs::write(&s.fstab, text).unwrap();
        let ino = std::fs::metadata(&s.fstab).unwrap().ino();
        let out = run_script(&s, &s.fstab, None, None);
        assert_eq!(out.stdout, b"", "{text:?}");
        assert_eq!(std::fs::read_to_string(&s.fstab).unwrap(), text);
        assert_eq!(std::fs::metadata(&s.fstab).unwrap().ino(), ino, "{text:?}");
    }
    // No fstab at all: nothing to do.
    run_script(&s, &s.root.join("absent"), None, None);
    assert!(!s.root.join("absent").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn shellcheck_passes() {
    let out = Command::new("shellcheck")
        .args(["-s", "sh", SCRIPT_PATH])
        .output()
        .expect("shellcheck is missing: it is in TEST_PACKAGES in scripts/lib.sh");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn script_file_is_what_the_crate_embeds() {
    assert_eq!(std::fs::read_to_string(SCRIPT_PATH).unwrap(), SCRIPT);
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

struct Verify {
    ok: bool,
    /// stdout and stderr.
    text: String,
}

/// util-linux's own check of an fstab: parse errors, missing targets, bad options.
fn findmnt_verify(fstab: &Path) -> Verify {
    let out = Command::new("findmnt")
        .args(["--verify", "--verbose", "--tab-file"])
        .arg(fstab)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("findmnt (util-linux) is missing");
    Verify {
        ok: out.status.success(),
        text: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The targets libmount reads from an fstab, exactly (JSON output).
fn findmnt_targets(fstab: &Path) -> Vec<String> {
    let out = Command::new("findmnt")
        .args(["--json", "--output", "TARGET", "--tab-file"])
        .arg(fstab)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("findmnt");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["filesystems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["target"].as_str().unwrap().to_string())
        .collect()
}

/// The script reaches lima.yaml as a `--set` string literal: yq decodes its backslashes
/// twice from Lima 2.0.3 and leaves `\t` undecoded before (docs/lima-contract.md §4.11).
/// Only `\n` and `\"`, which every version decodes, may appear in its JSON form.
#[test]
fn the_script_survives_every_lima_s_set_decoding() {
    assert!(!SCRIPT.contains('\\'), "a backslash would be decoded twice");
    assert!(
        !SCRIPT.contains('\t'),
        "an escaped tab stays `\\t` on Lima 2.0.0-2.0.2"
    );
    assert!(SCRIPT.chars().all(|c| c == '\n' || !c.is_control()));
}
