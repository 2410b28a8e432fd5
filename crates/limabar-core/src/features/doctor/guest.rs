//! The doctor inside a running guest: is a NixOS guest ready for editors?
//!
//! - VS Code, Cursor, VSCodium, Zed and JetBrains Gateway install their remote server in
//!   the guest as programs built for ordinary glibc distributions. NixOS runs none of
//!   them unless `programs.nix-ld.enable` puts nix-ld where the dynamic loader is looked
//!   for; by default `stub-ld` is there and refuses them ("NixOS cannot run dynamically
//!   linked executables", nixpkgs `nixos/modules/config/stub-ld.nix`;
//!   nix-community/nixos-vscode-server#86, zed-industries/zed#20524).
//! - The editor's terminals and language servers start outside `nix develop`: they see
//!   the flake's dev shell only through direnv (`use flake` in `.envrc`), which
//!   nix-direnv makes fast and keeps from being garbage-collected.
//!
//! One command in the guest ([`PROBE`], run by `limactl shell`, a login shell as Lima
//! runs it) prints what it finds as `key=value` lines; [`GuestFacts::parse`] reads them
//! and [`examine`] turns them into findings with the NixOS snippet that fixes each.
//! What it looks at, from nixpkgs' modules:
//! - nix-ld: `/run/current-system/sw/share/nix-ld/lib/ld.so`, which only the nix-ld module
//!   links into the system (`programs/nix-ld.nix`: `environment.pathsToLink =
//!   [ "/share/nix-ld" ]`, the `NIX_LD` default); the loader's link target
//!   (`config/ldso.nix`) says whether nix-ld or stub-ld answers, for the finding's detail.
//! - direnv: `direnv` on the login shell's PATH; nix-direnv sourced from
//!   `/etc/direnv/direnvrc` (`programs/direnv.nix`) or the user's direnvrc (home-manager
//!   writes `~/.config/direnv/lib/hm-nix-direnv.sh`); the shell hook in `/etc/bashrc`,
//!   `/etc/zshrc`, fish's config or the user's rc files (`direnv hook bash`).

use std::time::Duration;

use super::{Blame, Finding, Severity};
use crate::lima::limactl::{self, Call};

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Reads only: files that exist, link targets, the PATH. Never fails (`exit 0`), so a
/// failure is Lima's (the VM is not reachable).
pub const PROBE: &str = r#"(. /etc/os-release 2>/dev/null; echo "os=${ID:-}")
for l in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
  if [ -e "$l" ] || [ -L "$l" ]; then echo "loader=$(readlink -f "$l" 2>/dev/null || readlink "$l")"; fi
done
[ -e /run/current-system/sw/share/nix-ld/lib/ld.so ] && echo nix_ld=1
d=$(command -v direnv 2>/dev/null) && echo "direnv=$d"
c="${XDG_CONFIG_HOME:-$HOME/.config}"
grep -qs nix-direnv /etc/direnv/direnvrc "$c/direnv/direnvrc" "$c"/direnv/lib/*.sh && echo nix_direnv=1
grep -qs 'direnv hook' /etc/bashrc /etc/zshrc /etc/fish/config.fish "$HOME/.bashrc" "$HOME/.zshrc" "$c/fish/config.fish" && echo direnv_hook=1
exit 0"#;

/// The probe's call: `sh -c PROBE` in the guest's `/`.
pub fn call(name: &str) -> Call {
    let words = ["sh", "-c", PROBE].map(String::from);
    limactl::shell(name, "/", &words, TIMEOUT)
}

/// What the probe saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestFacts {
    /// `/etc/os-release`'s `ID` (`nixos` on NixOS).
    pub os: String,
    /// Where the dynamic loader's path leads (nix-ld, stub-ld, or a distribution's ld.so).
    pub loaders: Vec<String>,
    pub nix_ld: bool,
    /// Where `direnv` is, when the login shell finds it.
    pub direnv: Option<String>,
    pub nix_direnv: bool,
    pub direnv_hook: bool,
}

impl GuestFacts {
    /// Reads the probe's `key=value` lines; anything else (a login banner, garbage) is
    /// skipped.
    pub fn parse(stdout: &str) -> GuestFacts {
        let mut f = GuestFacts::default();
        for line in stdout.lines() {
            let Some((key, value)) = line.trim_end_matches('\r').split_once('=') else {
                continue;
            };
            match key {
                "os" => f.os = value.trim().to_string(),
                "loader" if !value.is_empty() => f.loaders.push(value.to_string()),
                "nix_ld" => f.nix_ld = value == "1",
                "direnv" if !value.is_empty() => f.direnv = Some(value.to_string()),
                "nix_direnv" => f.nix_direnv = value == "1",
                "direnv_hook" => f.direnv_hook = value == "1",
                _ => {}
            }
        }
        f
    }

    pub fn is_nixos(&self) -> bool {
        self.os == "nixos"
    }

    /// Editors' remote servers run: not NixOS (a glibc distribution), or nix-ld is on.
    pub fn editors_can_run(&self) -> bool {
        !self.is_nixos() || self.nix_ld
    }

    /// The loader that answers instead of nix-ld, for the finding's words.
    fn stub(&self) -> Option<&str> {
        self.loaders
            .iter()
            .map(String::as_str)
            .find(|l| l.contains("stub-ld"))
    }
}

/// The NixOS settings that make a guest ready for editors, one per finding.
pub const NIX_LD_SNIPPET: &str = "programs.nix-ld.enable = true;";
pub const DIRENV_SNIPPET: &str =
    "programs.direnv = {\n  enable = true;\n  nix-direnv.enable = true;\n};";
pub const NIX_DIRENV_SNIPPET: &str = "programs.direnv.nix-direnv.enable = true;";

/// How a nixos-lima guest's configuration is changed: the image ships none, so it is the
/// user's flake (nixos-lima's README: `nixos-rebuild … --flake .#…`;
/// nixos-lima-config-sample clones it to /etc/nixos).
fn rebuild(name: &str) -> String {
    format!(
        "Add it to the guest's NixOS configuration (the flake you rebuild `{name}` from, \
         which imports `nixos-lima.nixosModules.lima`) and rebuild: in the guest, \
         `sudo nixos-rebuild switch --flake /etc/nixos#CONFIG` with your flake's folder and \
         configuration name. Then check again."
    )
}

fn finding(
    id: &'static str,
    severity: Severity,
    message: String,
    why: &str,
    snippet: &str,
    name: &str,
) -> Finding {
    Finding {
        id,
        severity,
        message,
        why: why.into(),
        fix: rebuild(name),
        set: None,
        snippet: Some(snippet.into()),
        blame: Blame::Host,
    }
}

/// The guest's findings: none for a guest that is not NixOS (editors' servers run on
/// glibc distributions, and direnv is the user's own business there).
pub fn examine(facts: &GuestFacts, name: &str) -> Vec<Finding> {
    if !facts.is_nixos() {
        return Vec::new();
    }
    let mut found = Vec::new();
    if !facts.nix_ld {
        let stub = facts
            .stub()
            .map(|s| format!(" (its dynamic loader is stub-ld, `{s}`)"))
            .unwrap_or_default();
        found.push(finding(
            "guest-nix-ld",
            Severity::Warning,
            format!("nix-ld is not enabled in this NixOS guest{stub}."),
            "VS Code, Cursor, VSCodium, Zed and JetBrains Gateway install their remote server \
             in the guest as programs built for ordinary Linux distributions. NixOS refuses \
             to run them unless nix-ld provides the dynamic loader: the editor connects over \
             ssh, then its server fails to start (\"Could not start dynamically linked \
             executable\").",
            NIX_LD_SNIPPET,
            name,
        ));
    }
    match &facts.direnv {
        None => found.push(finding(
            "guest-direnv",
            Severity::Info,
            "direnv is not installed in this NixOS guest.".into(),
            "The editor's terminals and language servers start outside `nix develop`, so \
             they do not see the flake's compilers and tools. With direnv, `use flake` in \
             a folder's `.envrc` loads the dev shell wherever a shell starts in that folder \
             (and the editor's direnv extension does the same for language servers).",
            DIRENV_SNIPPET,
            name,
        )),
        Some(_) if !facts.nix_direnv => found.push(finding(
            "guest-nix-direnv",
            Severity::Info,
            "direnv is installed in this NixOS guest, but nix-direnv is not.".into(),
            "Without nix-direnv, `use flake` evaluates the flake again on every `cd` into \
             the folder, and the dev shell it built can be garbage-collected; nix-direnv \
             caches it and keeps it alive.",
            NIX_DIRENV_SNIPPET,
            name,
        )),
        Some(_) => {}
    }
    if facts.direnv.is_some() && !facts.direnv_hook {
        found.push(finding(
            "guest-direnv-hook",
            Severity::Info,
            "direnv is installed in this NixOS guest, but no shell loads it.".into(),
            "Without direnv's hook in the shell's startup file, terminals in the guest do \
             not load a folder's `.envrc`; NixOS's direnv module adds it for bash, zsh and \
             fish.",
            DIRENV_SNIPPET,
            name,
        ));
    }
    found
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // a test runs the probe in a real shell
mod tests;
