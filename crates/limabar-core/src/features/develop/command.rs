//! The limactl argv for a dev shell. Everything is argv: Lima itself quotes the words
//! after NAME for the guest's login shell, so a directory or shell name with quotes,
//! `$()` or newlines reaches `nix develop` unchanged. Where a guest-side script is
//! needed (to find `$HOME`), its text is a constant and the data are its positional
//! parameters, never spliced into it.

use std::path::Path;
use std::time::Duration;

use crate::lima::limactl::{self, Call};

/// Where pre-built dev environments live in the guest, under the guest user's home.
pub const GUEST_PROFILE_DIR: &str = ".cache/limabar/devshells";

/// `.#SHELL`, quoting the attribute when it is not a plain nix identifier.
pub fn installable(shell: &str) -> String {
    let plain = !shell.is_empty()
        && shell
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-'".contains(c));
    if plain {
        format!(".#{shell}")
    } else {
        format!(".#\"{}\"", shell.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// `limactl shell --workdir DIR NAME nix develop .#SHELL`: what "Copy command" gives.
pub fn develop(limactl: &Path, name: &str, guest_dir: &str, shell: &str) -> Vec<String> {
    let words = ["nix", "develop", &installable(shell)].map(String::from);
    limactl::interactive_shell(name, guest_dir, &words).argv(limactl)
}

/// The profile key of one dev shell of one flake: stable, file-name safe.
pub fn profile_key(guest_dir: &str, shell: &str, fingerprint: &str) -> String {
    let h = super::shells::fnv1a_hex([guest_dir.as_bytes(), shell.as_bytes()]);
    format!("{h}-{fingerprint}")
}

const OPEN_PREBUILT: &str = r#"p="$HOME/.cache/limabar/devshells/$1"
if [ -e "$p" ]; then exec nix develop "$p"; fi
exec nix develop "$2""#;

/// Opens the pre-built environment when the guest still has it (instant: nothing is
/// evaluated), else falls back to evaluating the flake like [`develop`].
pub fn develop_prebuilt(
    limactl: &Path,
    name: &str,
    guest_dir: &str,
    shell: &str,
    key: &str,
) -> Vec<String> {
    let words = [
        "sh",
        "-c",
        OPEN_PREBUILT,
        "limabar-develop",
        key,
        &installable(shell),
    ]
    .map(String::from);
    limactl::interactive_shell(name, guest_dir, &words).argv(limactl)
}

const PREBUILD: &str = r#"d="$HOME/.cache/limabar/devshells"
mkdir -p "$d" || exit 1
exec nix develop --profile "$d/$1" "$2" --command true"#;

/// Deletes profiles by key, with their generations (`KEY-N-link`): the keys are data
/// (positional parameters), and a quoted prefix stays literal in the glob.
const REMOVE_PROFILES: &str = r#"d="$HOME/.cache/limabar/devshells"
for k in "$@"; do rm -f -- "$d/$k" "$d/$k"-*-link || exit 1; done"#;

/// Evaluating a flake or building its environment can download half of nixpkgs.
const NIX_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const PRUNE_TIMEOUT: Duration = Duration::from_secs(60);

/// The call that deletes retired profiles in the guest.
pub fn remove_profiles(name: &str, keys: &[String]) -> Call {
    let mut words: Vec<String> = ["sh", "-c", REMOVE_PROFILES, "limabar-prune"]
        .map(String::from)
        .into();
    words.extend(keys.iter().cloned());
    limactl::shell(name, "/", &words, PRUNE_TIMEOUT)
}

/// The call that builds a dev environment into its profile in the guest.
pub fn prebuild(name: &str, guest_dir: &str, shell: &str, key: &str) -> Call {
    let words = [
        "sh",
        "-c",
        PREBUILD,
        "limabar-prebuild",
        key,
        &installable(shell),
    ]
    .map(String::from);
    limactl::shell(name, guest_dir, &words, NIX_TIMEOUT)
}

/// The call that lists a flake's outputs.
pub fn flake_show(name: &str, guest_dir: &str) -> Call {
    let words = ["nix", "flake", "show", "--json"].map(String::from);
    limactl::shell(name, guest_dir, &words, NIX_TIMEOUT)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests run real programs and read the real environment
mod tests {
    use super::*;

    #[test]
    fn the_develop_command_puts_every_flag_before_the_instance_name() {
        let argv = develop(
            Path::new("/opt/homebrew/bin/limactl"),
            "nixos",
            "/Users/me/my proj",
            "default",
        );
        assert_eq!(
            argv,
            [
                "/opt/homebrew/bin/limactl",
                "shell",
                "--workdir",
                "/Users/me/my proj",
                "nixos",
                "nix",
                "develop",
                ".#default"
            ]
        );
    }

    #[test]
    fn shell_names_that_are_not_identifiers_are_quoted_for_nix() {
        assert_eq!(installable("rust-1.80"), ".#\"rust-1.80\"");
        assert_eq!(installable("my_shell'"), ".#my_shell'");
        assert_eq!(installable(r#"a "b""#), r#".#"a \"b\"""#);
    }

    #[test]
    fn profile_keys_differ_per_directory_shell_and_fingerprint() {
        let k = profile_key("/p", "default", "00ff");
        assert!(k.ends_with("-00ff"));
        assert_ne!(k, profile_key("/q", "default", "00ff"));
        assert_ne!(k, profile_key("/p", "rust", "00ff"));
        assert!(k.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }

    /// The guest-side scripts get their data only as positional parameters: run them
    /// with a stand-in `nix` that prints its argv, through a real /bin/sh.
    #[test]
    fn guest_scripts_pass_keys_and_installables_as_data() {
        let t = tempfile::tempdir().unwrap();
        let bin = t.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        crate::testutil::write_script(&bin.join("nix"), "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        // The words after the instance name are what Lima hands to the guest's shell.
        let run = |argv: &[String]| {
            let at = argv.iter().position(|a| a == "nixos").unwrap() + 1;
            let out = std::process::Command::new(&argv[at])
                .args(&argv[at + 1..])
                .env("HOME", t.path())
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        let shell = "it's $(rm -rf ~) `x`";
        let key = profile_key("/p", shell, "00");
        let pre = prebuild("nixos", "/p", shell, &key).args;
        let home = t.path().display().to_string();
        assert_eq!(
            run(&pre),
            format!(
                "develop\n--profile\n{home}/.cache/limabar/devshells/{key}\n{}\n--command\ntrue\n",
                installable(shell)
            )
        );
        // Pruning deletes exactly the given profiles and their generations.
        let profiles = t.path().join(GUEST_PROFILE_DIR);
        std::fs::create_dir_all(&profiles).unwrap();
        for f in [
            "gone",
            "gone-1-link",
            "gone-2-link",
            "kept",
            "kept-1-link",
            "gone-x",
        ] {
            std::fs::write(profiles.join(f), "").unwrap();
        }
        let prune = remove_profiles("nixos", &["gone".into()]).args;
        run(&prune);
        let mut left: Vec<String> = std::fs::read_dir(&profiles)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["gone-x", "kept", "kept-1-link"]);
        for f in left {
            std::fs::remove_file(profiles.join(f)).unwrap();
        }

        let open = develop_prebuilt(Path::new("limactl"), "nixos", "/p", shell, &key);
        // No profile yet: falls back to evaluating the flake.
        assert_eq!(run(&open), format!("develop\n{}\n", installable(shell)));
        std::fs::create_dir_all(t.path().join(GUEST_PROFILE_DIR).join(&key)).unwrap();
        assert_eq!(
            run(&open),
            format!("develop\n{home}/.cache/limabar/devshells/{key}\n")
        );
    }
}
