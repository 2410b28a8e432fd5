use super::*;

fn ctx() -> Context {
    context(
        Path::new("/Users/me/.lima/nixos"),
        Path::new("/Users/me/.lima"),
        Some(Path::new("/Users/me")),
        Some("/home/me.guest"),
    )
}

/// Limabar's own template and nixos-lima's `nixos.yaml` write the home mount so.
const TEMPLATE: &str = r#"
mounts:
- location: "~"
- location: "~/src/app"
  writable: true
- location: "{{.Home}}/notes"
  mountPoint: "{{.Home}}/notes"
- location: "/Volumes/Data/./x/../work/"
  writable: true
- location: "/srv/{{.Param.X}}"
"#;

#[test]
fn finds_entries_by_the_mount_point_lima_derives() {
    let s = Sources::from_texts(&ctx(), TEMPLATE, None, None);
    let home = s.lima_yaml_entry("/Users/me").expect("~ is /Users/me");
    assert_eq!(home.location, "~");
    assert_eq!(home.mount_point, None);
    assert_eq!(
        s.lima_yaml_entry("/Users/me/src/app").unwrap().location,
        "~/src/app"
    );
    // The host template in the location, the guest template in the mount point.
    assert_eq!(
        s.lima_yaml_entry("/home/me.guest/notes").unwrap().location,
        "{{.Home}}/notes"
    );
    assert!(s.lima_yaml_entry("/Users/me/notes").is_none());
    // filepath.Clean
    assert_eq!(
        s.lima_yaml_entry("/Volumes/Data/work").unwrap().location,
        "/Volumes/Data/./x/../work/"
    );
    assert!(s.has_unknown_templates(), "{{.Param.X}} is not expanded");
}

#[test]
fn mounts_from_config_files_are_told_apart() {
    let default = "mounts:\n- location: /opt/shared\n- location: \"~\"\n";
    let over = "mounts:\n- location: \"~\"\n  writable: true\n";
    let s = Sources::from_texts(&ctx(), TEMPLATE, Some(default), Some(over));
    assert!(s.lima_yaml_entry("/opt/shared").is_none());
    assert_eq!(s.config_files_with("/opt/shared"), vec![Layer::Default]);
    assert_eq!(
        s.config_files_with("/Users/me"),
        vec![Layer::Default, Layer::Override]
    );
    assert_eq!(s.forced_writable("/Users/me"), Some(true));
    assert_eq!(s.forced_writable("/Users/me/src/app"), None);
}

#[test]
fn garbage_files_hold_no_mounts() {
    let s = Sources::from_texts(&ctx(), ": [ not yaml", Some("mounts: 3"), Some("- a"));
    assert!(s.lima_yaml_entry("/Users/me").is_none());
    assert!(s.config_files_with("/Users/me").is_empty());
}

#[test]
fn the_fstab_script_is_found_in_a_system_provision_entry() {
    let with = format!(
        "provision:\n- mode: system\n  script: |\n    #!/bin/sh\n    {}\n",
        crate::features::mounts::guest_fstab::MARKER
    );
    assert!(Sources::from_texts(&ctx(), &with, None, None).fstab_fix_installed);
    let user = with.replace("mode: system", "mode: user");
    assert!(!Sources::from_texts(&ctx(), &user, None, None).fstab_fix_installed);
    assert!(!Sources::from_texts(&ctx(), TEMPLATE, None, None).fstab_fix_installed);
}

#[test]
fn clean_follows_go() {
    use crate::fsutil::go_clean as clean;
    assert_eq!(clean("/a//b/./c/../d/"), "/a/b/d");
    assert_eq!(clean("/.."), "/");
    assert_eq!(clean("~/src/"), "~/src");
    assert_eq!(clean("~/../x"), "x");
}
