use super::*;
use crate::features::doctor::{examine, parse, Host};
use crate::features::mounts::probe::HostFs;
use crate::lima::version::LimaVersion;

fn host(macos: bool, home: &Path) -> Host {
    Host {
        macos,
        macos_major: macos.then_some(15),
        lima: Some(LimaVersion {
            major: 2,
            minor: 2,
            patch: 0,
        }),
        home: Some(home.to_string_lossy().into_owned()),
        ..Host::default()
    }
}

#[test]
fn the_template_is_what_the_doctor_calls_sound_on_macos_and_linux() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home ü");
    let project = home.join("src/app $(x) 'q'");
    std::fs::create_dir_all(&project).unwrap();
    let vm = NewVm {
        folders: vec![project.clone()],
        ..NewVm::named("nixos")
    };
    for macos in [true, false] {
        let yaml = template_yaml(&vm, macos, Some(&home), &HostFs).unwrap();
        let v = parse(&yaml).unwrap();
        assert_eq!(examine(&v, &host(macos, &home)), vec![], "{yaml}");
        assert_eq!(v["vmType"].as_str(), macos.then_some("vz"));
        assert_eq!(v["memory"], "8GiB");
        assert_eq!(v["cpus"], 4);
        assert_eq!(v["disk"], "20GiB");
        assert!(v.get("plain").is_none() && v.get("mountType").is_none());
        let p = project.to_str().unwrap();
        assert_eq!(
            v["mounts"],
            serde_json::json!([
                {"location": "~", "writable": false},
                {"location": p, "mountPoint": p, "writable": true}
            ])
        );
        assert_eq!(v["images"].as_array().unwrap().len(), 2);
        assert!(v["images"][0]["location"]
            .as_str()
            .unwrap()
            .ends_with("nixos-lima-v0.2.1-aarch64.qcow2"));
        assert!(v["images"][1]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha512:636c9c24"));
        assert_eq!(v["portForwards"][0]["guestIP"], "0.0.0.0");
        assert_eq!(
            v["containerd"],
            serde_json::json!({"system": false, "user": false})
        );
    }
}

#[test]
fn refuses_bad_names_sizes_and_folders_with_the_reason() {
    let t = tempfile::tempdir().unwrap();
    let bad = |vm: NewVm| template_yaml(&vm, true, Some(t.path()), &HostFs).unwrap_err();
    assert!(matches!(bad(NewVm::named("my vm")), NewVmError::Name(_)));
    assert!(matches!(bad(NewVm::named("-x")), NewVmError::Name(_)));
    // Lima's `ValidateInstName`: no .yml/.yaml suffix, in any case.
    assert!(matches!(bad(NewVm::named("dev.YAML")), NewVmError::Name(_)));
    assert!(matches!(bad(NewVm::named("dev.yml")), NewVmError::Name(_)));
    // `pkg/instance/create.go`: the longest socket path must fit UNIX_PATH_MAX.
    let deep = PathBuf::from(format!("/Users/me/{}/.lima", "x".repeat(50)));
    let long = bad(NewVm {
        lima_home: Some(deep.clone()),
        ..NewVm::named(&"n".repeat(30))
    });
    assert!(
        matches!(long, NewVmError::NameTooLong { max: 104, .. }),
        "{long}"
    );
    assert!(template_yaml(
        &NewVm {
            lima_home: Some(deep),
            ..NewVm::named("nixos")
        },
        true,
        Some(t.path()),
        &HostFs
    )
    .is_ok());
    assert!(matches!(
        bad(NewVm {
            memory_gib: 1,
            ..NewVm::named("a")
        }),
        NewVmError::Size(_)
    ));
    let missing = t.path().join("missing");
    let e = bad(NewVm {
        folders: vec![missing.clone()],
        ..NewVm::named("a")
    });
    assert_eq!(
        e.to_string(),
        format!("`{}` does not exist", missing.display())
    );
    assert!(valid_name("nixos-2.dev_1"));
}
