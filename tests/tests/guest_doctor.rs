//! The doctor inside a running guest, against limactl-sim's NixOS guest (its `/etc` and
//! `/run` as nixpkgs' modules write them, `nixos_guest.rs`): a nixos-lima guest as it
//! ships lacks nix-ld and direnv, and its diagnosis says so once it is ready; after a
//! "rebuild" with both, "Check again" finds nothing; a stopped VM has no guest findings;
//! a guest that is not NixOS has none either.

use std::time::Duration;

use limabar_core::actions::{Diagnosis, Push, Session};
use limabar_tests::{wait_until_down, within, SimLima};

fn ids(d: &Diagnosis) -> Vec<&str> {
    d.findings
        .iter()
        .map(|f| f.id)
        .filter(|id| id.starts_with("guest-"))
        .collect()
}

/// Waits for a pushed diagnosis of `name` whose guest findings are `want`.
async fn diagnosis_with(
    pushes: &mut tokio::sync::broadcast::Receiver<Push>,
    name: &str,
    want: &[&str],
) -> Diagnosis {
    within(Duration::from_secs(20), "the guest's findings", async {
        loop {
            if let Push::Diagnosis(d) = pushes.recv().await.unwrap() {
                if d.name == name && ids(&d) == want {
                    return d;
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_nixos_guest_without_nix_ld_is_explained_and_checked_again_after_a_rebuild() {
    let sim = SimLima::new("2.2.0");
    let dir = sim.create("dev", r#"{"bootSecs": 0.3, "nixos": {}}"#);
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    let mut pushes = session.subscribe();
    let v = session.view("dev").await.unwrap();
    session.start_and_wait(&v).await.unwrap();

    // Ready: the probe ran in the guest, the diagnosis is pushed again with its findings.
    let d = diagnosis_with(&mut pushes, "dev", &["guest-nix-ld", "guest-direnv"]).await;
    let nix_ld = &d.findings.iter().find(|f| f.id == "guest-nix-ld").unwrap();
    assert_eq!(
        nix_ld.snippet.as_deref(),
        Some("programs.nix-ld.enable = true;")
    );
    assert!(nix_ld.why.contains("server"), "{}", nix_ld.why);
    assert!(nix_ld.set.is_none(), "no lima.yaml edit fixes the guest");

    // The user rebuilds the guest with nix-ld and direnv (nix-direnv is on by default).
    std::fs::write(
        dir.join("sim.json"),
        r#"{"bootSecs": 0.3, "nixos": {"nixLd": true, "direnv": true}}"#,
    )
    .unwrap();
    // Until checked again, the last probe's findings stand.
    assert_eq!(
        ids(&session.diagnosis("dev").await.unwrap()),
        ["guest-nix-ld", "guest-direnv"]
    );
    let again = session.check_guest("dev").await.unwrap();
    assert_eq!(ids(&again), Vec::<&str>::new());
    // The login shell Lima runs sees nix-ld's variables (/etc/set-environment).
    let out = sim
        .limactl_cmd(&["shell", "dev", "--", "printenv", "NIX_LD"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "/run/current-system/sw/share/nix-ld/lib/ld.so"
    );

    // direnv without nix-direnv is its own finding.
    std::fs::write(
        dir.join("sim.json"),
        r#"{"bootSecs": 0.3, "nixos": {"nixLd": true, "direnv": true, "nixDirenv": false}}"#,
    )
    .unwrap();
    assert_eq!(
        ids(&session.check_guest("dev").await.unwrap()),
        ["guest-nix-direnv"]
    );

    // Stopped: nothing is known about the guest any more.
    let out = sim.limactl_cmd(&["stop", "dev"]).output().unwrap();
    assert!(out.status.success());
    wait_until_down(&session, "dev").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        ids(&session.diagnosis("dev").await.unwrap()),
        Vec::<&str>::new()
    );
    let err = session.check_guest("dev").await.unwrap_err();
    assert!(err.to_string().contains("dev"), "{err}");
}

#[tokio::test]
async fn a_guest_that_is_not_nixos_has_no_guest_findings() {
    let sim = SimLima::new("2.2.0");
    sim.create("plain", r#"{"bootSecs": 0.3}"#);
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    let v = session.view("plain").await.unwrap();
    session.start_and_wait(&v).await.unwrap();
    let facts = session.probe_guest("plain").await.unwrap();
    assert!(!facts.is_nixos(), "{facts:?}");
    assert!(
        !facts.os.is_empty(),
        "the host's os-release was read: {facts:?}"
    );
    assert_eq!(
        ids(&session.check_guest("plain").await.unwrap()),
        Vec::<&str>::new()
    );
}

/// "Add .envrc": `use flake` in a flake folder of a guest with direnv, allowed there;
/// never over the user's own; in a guest without direnv, added and said so.
#[tokio::test]
async fn an_envrc_is_added_once_and_allowed_where_direnv_is() {
    let sim = SimLima::new("2.2.0");
    let vm = sim.create(
        "nixos",
        r#"{"bootSecs": 0.3, "nixos": {"nixLd": true, "direnv": true}}"#,
    );
    let projects = sim.root.path().join("projects");
    let dir = sim.flake_project("projects/my app ü");
    let other = sim.flake_project("projects/other");
    sim.share_and_start(&projects);
    let session = Session::open(sim.host_env(), sim.connect().await)
        .await
        .unwrap();
    let d = dir.to_str().unwrap();
    let listed = session.flakes("nixos").await.unwrap();
    assert!(listed.flakes.iter().all(|f| !f.envrc), "{listed:?}");

    let added = session.add_envrc("nixos", d).await.unwrap();
    assert!(added.allowed, "{}", added.message);
    assert_eq!(
        std::fs::read_to_string(dir.join(".envrc")).unwrap(),
        "use flake\n"
    );
    // direnv recorded the allow in the guest user's home (XDG data, direnv's own).
    let allowed = std::fs::read_dir(vm.join("guest-home/.local/share/direnv/allow"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(allowed, 1, "{}", added.message);
    let listed = session.flakes("nixos").await.unwrap();
    assert!(listed.flakes.iter().find(|f| f.dir == d).unwrap().envrc);

    // Asked again, or for a folder whose .envrc is the user's: nothing is touched.
    assert!(session.add_envrc("nixos", d).await.is_err());
    std::fs::write(other.join(".envrc"), "use nix\n").unwrap();
    let err = session
        .add_envrc("nixos", other.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already has a .envrc"), "{err}");
    assert_eq!(
        std::fs::read_to_string(other.join(".envrc")).unwrap(),
        "use nix\n"
    );
    // Not a flake folder of the VM: refused.
    assert!(session.add_envrc("nixos", "/etc").await.is_err());

    // The guest "rebuilt" without direnv: added, and said that nothing loads it yet.
    std::fs::remove_file(dir.join(".envrc")).unwrap();
    std::fs::write(vm.join("sim.json"), r#"{"bootSecs": 0.3, "nixos": {}}"#).unwrap();
    session.check_guest("nixos").await.unwrap();
    let added = session.add_envrc("nixos", d).await.unwrap();
    assert!(!added.allowed);
    assert!(added.message.contains("no direnv"), "{}", added.message);
}
