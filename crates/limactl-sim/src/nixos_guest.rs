//! A NixOS guest for `shell`, for an instance whose `sim.json` has `"nixos"`: the
//! guest's commands still run on this host, but see NixOS's `/etc` and `/run` laid over
//! the host's (an overlay in a private mount namespace, `unshare`), written from what
//! nixpkgs' modules put there:
//! - `/etc/os-release` with `ID=nixos` (`nixos/modules/misc/version.nix`);
//! - `/etc/profile` sourcing `/etc/set-environment` unless `__NIXOS_SET_ENVIRONMENT_DONE`
//!   (`programs/bash/bash.nix`), which puts `/run/current-system/sw/bin` first on PATH
//!   and exports `environment.variables` (`config/shells-environment.nix`);
//! - nix-ld (`programs/nix-ld.nix`): `/run/current-system/sw/share/nix-ld/lib/ld.so`
//!   and `NIX_LD`/`NIX_LD_LIBRARY_PATH`;
//! - direnv (`programs/direnv.nix`): `direnv` in `/run/current-system/sw/bin` (this
//!   host's, Debian's `direnv`), `DIRENV_CONFIG=/etc/direnv`, the hook in `/etc/bashrc`'s
//!   interactive part, and nix-direnv sourced from `/etc/direnv/direnvrc`.
//!
//! Not modelled: the dynamic loader (`/lib64/ld-linux-x86-64.so.2` is stub-ld or nix-ld
//! on NixOS, `config/ldso.nix`): the guest's programs are this host's and need its
//! loader, so a NixOS guest here runs glibc programs that a real one would refuse. The
//! overlays are read-only.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scenario::NixosConfig;
use crate::store::Inst;

const ROOT: &str = "guest-nixos";
const STORE: &str = "/nix/store/sim00000000000000000000000000000";

/// The guest's `/etc` and `/run` for `config`, one folder per configuration (a test
/// that changes `sim.json` has "rebuilt" the guest), written once: made aside and
/// renamed into place, so a shell running meanwhile never sees half of it.
pub fn prepare(inst: &Inst, config: &NixosConfig) -> std::io::Result<PathBuf> {
    let bit = |b: bool| if b { '1' } else { '0' };
    let name = format!(
        "{ROOT}-{}{}{}",
        bit(config.nix_ld),
        bit(config.direnv),
        bit(config.nix_direnv)
    );
    let root = inst.path(&name);
    if root.is_dir() {
        return Ok(root);
    }
    let aside = inst.path(&format!("{name}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&aside);
    write(&aside, config)?;
    match std::fs::rename(&aside, &root) {
        Ok(()) => Ok(root),
        // Another shell made it first.
        Err(_) if root.is_dir() => {
            let _ = std::fs::remove_dir_all(&aside);
            Ok(root)
        }
        Err(e) => Err(e),
    }
}

fn write(root: &Path, config: &NixosConfig) -> std::io::Result<()> {
    let etc = root.join("etc");
    let sw = root.join("run/current-system/sw");
    std::fs::create_dir_all(&etc)?;
    std::fs::create_dir_all(sw.join("bin"))?;
    std::fs::write(
        etc.join("os-release"),
        "ANSI_COLOR=\"0;38;2;126;186;228\"\nHOME_URL=\"https://nixos.org/\"\nID=nixos\n\
         NAME=NixOS\nPRETTY_NAME=\"NixOS 26.05 (Yarara)\"\nVERSION_ID=\"26.05\"\n",
    )?;
    system_path(&sw.join("bin"))?;
    let mut vars = vec![
        "export __NIXOS_SET_ENVIRONMENT_DONE=1".to_string(),
        // NixOS's PATH (`config/shells-environment.nix`): the host's folders are not on
        // it, so a program the configuration does not install is not found.
        "export PATH=\"/run/wrappers/bin:$HOME/.nix-profile/bin:/nix/profile/bin:/etc/profiles/per-user/$USER/bin:/nix/var/nix/profiles/default/bin:/run/current-system/sw/bin\"".into(),
    ];
    if config.nix_ld {
        let lib = sw.join("share/nix-ld/lib");
        std::fs::create_dir_all(&lib)?;
        symlink(host_loader(), lib.join("ld.so"))?;
        vars.push("export NIX_LD=\"/run/current-system/sw/share/nix-ld/lib/ld.so\"".into());
        vars.push("export NIX_LD_LIBRARY_PATH=\"/run/current-system/sw/share/nix-ld/lib\"".into());
    }
    let mut bashrc = String::from(
        "# /etc/bashrc: DO NOT EDIT -- this file has been generated automatically.\n\
         if [ -n \"$__ETC_BASHRC_SOURCED\" ] || [ -n \"$NOSYSBASHRC\" ]; then return; fi\n\
         __ETC_BASHRC_SOURCED=1\n\
         if [ -z \"$__ETC_PROFILE_DONE\" ]; then . /etc/profile; fi\n\
         if [ -n \"$PS1\" ]; then\n",
    );
    if config.direnv {
        let _ = std::fs::remove_file(sw.join("bin/direnv"));
        symlink("/usr/bin/direnv", sw.join("bin/direnv"))?;
        vars.push("export DIRENV_CONFIG=\"/etc/direnv\"".into());
        bashrc.push_str(&format!(
            "  if true || [ -z \"$IN_NIX_SHELL$NIX_GCROOT$(printenv PATH | grep '/nix/store')\" ] ; then\n\
             \x20  eval \"$({STORE}-direnv-2.37.1/bin/direnv hook bash)\"\n  fi\n"
        ));
        std::fs::create_dir_all(etc.join("direnv"))?;
        let rc = if config.nix_direnv {
            format!("#Load nix-direnv\nsource {STORE}-nix-direnv-3.1.0/share/nix-direnv/direnvrc\n")
        } else {
            String::new()
        };
        std::fs::write(etc.join("direnv/direnvrc"), rc)?;
    }
    bashrc.push_str("  :\nfi\n");
    std::fs::write(etc.join("set-environment"), vars.join("\n") + "\n")?;
    std::fs::write(
        etc.join("profile"),
        "# /etc/profile: DO NOT EDIT -- this file has been generated automatically.\n\
         if [ -n \"$__ETC_PROFILE_SOURCED\" ]; then return; fi\n\
         __ETC_PROFILE_SOURCED=1\n\
         export __ETC_PROFILE_DONE=1\n\
         if [ -z \"$__NIXOS_SET_ENVIRONMENT_DONE\" ]; then\n  . /etc/set-environment\nfi\n",
    )?;
    std::fs::write(etc.join("bashrc"), bashrc)?;
    Ok(())
}

/// Programs only a NixOS module installs: left out of the system path unless enabled.
const BY_MODULE: &[&str] = &["direnv"];

/// The system profile's `bin` (`environment.systemPackages`): this host's programs, as
/// links, without those the modules add.
fn system_path(bin: &Path) -> std::io::Result<()> {
    for dir in ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if BY_MODULE.iter().any(|m| name == *m) || bin.join(&name).exists() {
                continue;
            }
            let _ = symlink(e.path(), bin.join(&name));
        }
    }
    Ok(())
}

/// This host's dynamic loader, which nix-ld's `ld.so` would be in a real guest.
fn host_loader() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "/lib/ld-linux-aarch64.so.1"
    } else {
        "/lib64/ld-linux-x86-64.so.2"
    }
}

/// `/bin/sh -c script` with the guest's `/etc` and `/run` over the host's (`root`, a
/// NixOS guest) and its own `/proc/meminfo` (`meminfo`, a guest with `guestMemory`).
/// Root gets a mount namespace; anyone else a user namespace mapping them to themselves.
pub fn command(root: Option<&Path>, meminfo: Option<&Path>, script: &str) -> Command {
    let mut cmd = Command::new("unshare");
    // SAFETY: geteuid reads the process's own credentials; no pointers.
    if unsafe { libc::geteuid() } != 0 {
        cmd.args(["--user", "--map-current-user"]);
    }
    cmd.args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c"])
        .arg(
            "g=$1; m=$2; shift 2; \
             if [ -n \"$g\" ]; then \
               mount -t overlay sim-nixos -o \"lowerdir=$g/etc:/etc\" /etc && \
               mount -t overlay sim-nixos -o \"lowerdir=$g/run:/run\" /run || exit 1; \
             fi; \
             if [ -n \"$m\" ]; then mount --bind \"$m\" /proc/meminfo || exit 1; fi; \
             exec /bin/sh -c \"$1\"",
        )
        .arg("sim-guest")
        .arg(root.map(Path::as_os_str).unwrap_or_default())
        .arg(meminfo.map(Path::as_os_str).unwrap_or_default())
        .arg(script);
    cmd
}
