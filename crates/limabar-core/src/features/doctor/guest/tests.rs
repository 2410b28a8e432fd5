use super::*;

/// What the probe prints in a nixos-lima guest as the image ships it (lima.nix enables
/// neither nix-ld nor direnv; stub-ld is NixOS's default loader).
const FRESH_NIXOS_LIMA: &str = "os=nixos\n\
loader=/nix/store/9b4fy2yd1hzfiqfvh8abcrl2x4x6lgzj-stub-ld-x86_64-linux/lib/ld-linux-x86-64.so.2\n";

/// The same guest rebuilt with `programs.nix-ld.enable` and `programs.direnv`.
const READY_NIXOS: &str = "os=nixos\n\
loader=/nix/store/zz7gwm4y6lk5y9r8nrcq7d5n8l2c1dyg-nix-ld-2.0.6/libexec/nix-ld\n\
nix_ld=1\n\
direnv=/run/current-system/sw/bin/direnv\n\
nix_direnv=1\n\
direnv_hook=1\n";

fn ids(found: &[Finding]) -> Vec<&str> {
    found.iter().map(|f| f.id).collect()
}

#[test]
fn a_fresh_nixos_lima_guest_lacks_nix_ld_and_direnv() {
    let facts = GuestFacts::parse(FRESH_NIXOS_LIMA);
    assert!(facts.is_nixos());
    assert!(!facts.editors_can_run());
    let found = examine(&facts, "dev");
    assert_eq!(ids(&found), ["guest-nix-ld", "guest-direnv"]);
    assert!(found[0].message.contains("stub-ld"), "{}", found[0].message);
    assert_eq!(found[0].snippet.as_deref(), Some(NIX_LD_SNIPPET));
    assert!(found[0].fix.contains("`dev`"), "{}", found[0].fix);
    assert!(found[1]
        .snippet
        .as_deref()
        .unwrap()
        .contains("nix-direnv.enable = true"));
    // No lima.yaml edit fixes the guest's own configuration.
    assert!(found.iter().all(|f| f.set.is_none()));
}

#[test]
fn a_guest_with_both_modules_is_ready() {
    let facts = GuestFacts::parse(READY_NIXOS);
    assert!(facts.editors_can_run());
    assert_eq!(ids(&examine(&facts, "dev")), Vec::<&str>::new());
}

#[test]
fn direnv_without_nix_direnv_or_a_hook_is_said_separately() {
    let facts = GuestFacts::parse("os=nixos\nnix_ld=1\ndirenv=/home/u/.nix-profile/bin/direnv\n");
    assert_eq!(
        ids(&examine(&facts, "dev")),
        ["guest-nix-direnv", "guest-direnv-hook"]
    );
}

#[test]
fn guests_that_are_not_nixos_have_no_findings() {
    let ubuntu =
        GuestFacts::parse("os=ubuntu\nloader=/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n");
    assert!(ubuntu.editors_can_run());
    assert!(examine(&ubuntu, "u").is_empty());
    // No os-release at all: nothing is claimed about it.
    assert!(examine(&GuestFacts::parse(""), "u").is_empty());
}

#[test]
fn banners_crlf_and_garbage_are_skipped() {
    let noisy = "Welcome to NixOS!\r\nos=nixos\r\n\u{1b}[0m=junk\nnix_ld=1\r\nloader=\n==\n";
    let facts = GuestFacts::parse(noisy);
    assert!(facts.is_nixos() && facts.nix_ld);
    assert!(facts.loaders.is_empty());
}

/// The probe is real shell: run here (a Debian host, not NixOS) it says so, and finds
/// the distribution's loader.
#[cfg(target_os = "linux")]
#[test]
fn the_probe_runs_in_a_posix_shell() {
    let run = std::process::Command::new("/bin/sh")
        .args(["-c", PROBE])
        .output()
        .unwrap();
    assert!(run.status.success());
    let out = String::from_utf8_lossy(&run.stdout);
    let facts = GuestFacts::parse(&out);
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os_release
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap_or("")
        .trim_matches('"');
    assert_eq!(facts.os, id, "{out}");
    if id != "nixos" {
        assert!(!facts.nix_ld, "{out}");
        assert!(examine(&facts, "host").is_empty());
    }
}
