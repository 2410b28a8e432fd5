//! `limabar doctor [NAME | --file lima.yaml] [--json]`: the doctor's findings for one
//! instance, a file, or every instance (a running one also from inside the guest). Exit
//! 1 when any finding is an error.
//!
//! Each config is examined as Lima loads it, with `$LIMA_HOME/_config/default.yaml` and
//! `override.yaml` mixed in (pkg/limayaml/load.go, v2.2.0); `$LIMA_HOME` is the one
//! limactl is run with (`HostEnv::lima_home`).

use std::path::Path;

use limabar_core::actions::probe_guest;
use limabar_core::env::HostEnv;
use limabar_core::features::doctor::{
    examine_with, guest, parse, Finding, Global, Host, Report, Severity,
};
use limabar_core::lima::locate::Limactl;
use limabar_core::live::snapshot::list_views;
use limabar_core::CoreError;

fn read(path: &Path) -> Result<serde_json::Value, CoreError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CoreError::io(format!("reading {}", path.display()), e))?;
    parse(&text)
}

/// Findings per subject (an instance name or a file), and whether any is an error.
pub async fn run(
    limactl: &Limactl,
    env: &HostEnv,
    name: Option<String>,
    file: Option<String>,
    json: bool,
) -> Result<bool, CoreError> {
    let host = Host::current(
        Some(limactl.version),
        env.home.as_ref().map(|h| h.to_string_lossy().into_owned()),
    );
    // A missing file is fine; one Lima cannot read becomes a finding on every subject.
    let global = Global::read(&env.lima_home);
    let mut subjects: Vec<(String, Vec<Finding>)> = Vec::new();
    if let Some(f) = file {
        let config = read(Path::new(&f))?;
        subjects.push((f.clone(), examine_with(&config, &global, &host)));
    } else {
        let (views, _) = list_views(limactl).await?;
        let chosen: Vec<_> = views
            .into_iter()
            .filter(|v| name.as_ref().is_none_or(|n| *n == v.instance.name))
            .collect();
        if let (Some(n), true) = (&name, chosen.is_empty()) {
            return Err(CoreError::InstanceNotFound { name: n.clone() });
        }
        for v in chosen {
            let yaml = Path::new(&v.instance.dir).join("lima.yaml");
            let config = read(&yaml)?;
            let mut findings = examine_with(&config, &global, &host);
            // A running VM is also looked at from inside (nix-ld, direnv on NixOS).
            if v.vm_up() {
                match probe_guest(limactl, &v.instance.name).await {
                    Ok(facts) => findings.extend(guest::examine(&facts, &v.instance.name)),
                    Err(e) => eprintln!("limabar: could not look inside {}: {e}", v.instance.name),
                }
                findings.sort_by_key(|f| f.severity);
            }
            subjects.push((v.instance.name.clone(), findings));
        }
    }
    let failed = subjects
        .iter()
        .any(|(_, fs)| fs.iter().any(|f| f.severity == Severity::Error));
    if json {
        // One subject: `{"findings": […]}`; several: one such object per name.
        let out = if subjects.len() == 1 {
            serde_json::to_value(Report {
                findings: subjects.remove(0).1,
            })
        } else {
            serde_json::to_value(
                subjects
                    .into_iter()
                    .map(|(n, findings)| (n, Report { findings }))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )
        }
        .expect("JSON of plain data");
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
    } else {
        for (subject, findings) in &subjects {
            if findings.is_empty() {
                println!("{subject}: no problems found");
            }
            for f in findings {
                let sev = format!("{:?}", f.severity).to_lowercase();
                println!(
                    "{subject}: {sev} [{}] {}\n  why: {}\n  fix: {}",
                    f.id, f.message, f.why, f.fix
                );
                if let Some(snippet) = &f.snippet {
                    println!("  add to the guest's configuration:");
                    for line in snippet.lines() {
                        println!("    {line}");
                    }
                }
                if let Some(set) = &f.set {
                    println!(
                        "  or: limactl edit --set {}",
                        limabar_core::quote::quote(set)
                    );
                }
            }
        }
    }
    Ok(!failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use limabar_core::lima::runner::Runner;
    use limabar_core::lima::version::LimaVersion;

    #[tokio::test]
    async fn a_file_is_examined_with_the_global_config_of_lima_home() {
        let home = std::env::temp_dir().join(format!("limabar-cli-doctor-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(home.join("_config")).unwrap();
        let file = home.join("lima.yaml");
        std::fs::write(&file, "plain: false\n").unwrap();
        let version = LimaVersion::parse("2.2.0").unwrap();
        let limactl = Limactl {
            runner: Runner {
                program: "limactl-is-not-run-for-a-file".into(),
                workdir: home.clone(),
                path_env: Default::default(),
                lima_home: home.clone(),
            },
            version,
            features: version.features(),
        };
        let env = HostEnv {
            lima_home: home.clone(),
            ..Default::default()
        };
        let doctor = || run(&limactl, &env, None, Some(file.display().to_string()), true);
        assert!(doctor().await.unwrap(), "lima.yaml alone is sound");
        let over = home.join("_config/override.yaml");
        std::fs::write(&over, "plain: true\n").unwrap();
        assert!(!doctor().await.unwrap(), "override.yaml forces plain mode");
        std::fs::write(&over, "plain: [").unwrap();
        assert!(
            !doctor().await.unwrap(),
            "an invalid override.yaml is an error finding, not a failure"
        );
        std::fs::remove_dir_all(&home).unwrap();
    }
}
