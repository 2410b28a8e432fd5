//! `limactl create --name NAME FILE|-` (contract §4.1): writes the instance files.
//! The slow parts of real creation are simulated when `LIMACTL_SIM_CREATE_SECS` is set:
//! half of it "downloading" the first image of the host's arch (a transient `image`
//! file), half "converting" it to the sparse `disk`, with the log lines Lima writes.

use std::io::Read;

use crate::env::SimEnv;
use crate::log;
use crate::store::{parse_bytes, valid_name, Inst};

pub const DEFAULT_TEMPLATE: &str = "# Ubuntu (Lima's default template, abridged by limactl-sim)\nimages:\n- location: \"https://cloud-images.ubuntu.com/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img\"\n  arch: \"x86_64\"\nmounts:\n- location: \"~\"\n";

pub fn run(env: &SimEnv, args: &[String]) {
    let mut name: Option<String> = None;
    let mut file: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--name" => name = it.next().cloned(),
            s if s.starts_with("--name=") => name = Some(s[7..].to_string()),
            "-" => file = Some("-".into()),
            s if s.starts_with('-') => {}
            s => file = Some(s.to_string()),
        }
    }
    let text = match file.as_deref() {
        Some("-") => {
            if name.is_none() {
                log::fatal("`limactl create -` requires `--name`");
            }
            let mut s = String::new();
            let _ = std::io::stdin().read_to_string(&mut s);
            s
        }
        Some(path) => std::fs::read_to_string(path)
            .unwrap_or_else(|e| log::fatal(&format!("failed to read {path}: {e}"))),
        None => DEFAULT_TEMPLATE.to_string(),
    };
    let name = name
        .or_else(|| {
            file.as_deref()
                .and_then(|f| std::path::Path::new(f).file_stem())
                .map(|s| s.to_string_lossy().to_lowercase())
        })
        .unwrap_or_else(|| "default".into());
    if !valid_name(&name) {
        log::fatal(&format!("instance name {} is invalid", env.q(&name)));
    }
    if Inst::new(env, &name).exists() {
        log::fatal(&format!("instance {} already exists", env.q(&name)));
    }
    if let Err(e) = serde_norway::from_str::<serde_json::Value>(&text)
        .map_err(|e| e.to_string())
        .and_then(|v| {
            crate::store::validate(&v).and_then(|_| crate::store::validate_driver(env, &v))
        })
    {
        log::fatal(&e);
    }
    log::info("Terminal is not available, proceeding without opening an editor");
    let secs: f64 = std::env::var("LIMACTL_SIM_CREATE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    write_instance(env, &name, &text);
    if secs > 0.0 {
        simulate_image(&Inst::new(env, &name), &text, secs);
    }
    log::info(&format!(
        "Run `limactl start {name}` to start the instance."
    ));
}

pub fn write_instance(env: &SimEnv, name: &str, yaml: &str) {
    let inst = Inst::new(env, name);
    let _ = std::fs::create_dir_all(&inst.dir);
    let _ = std::fs::write(inst.path("lima.yaml"), yaml);
    let _ = std::fs::write(inst.path("lima-version"), &env.version_string);
    let _ = std::fs::write(
        inst.path("cloud-config.yaml"),
        "#cloud-config\n# reference only\n",
    );
    let size = serde_norway::from_str::<serde_json::Value>(yaml)
        .ok()
        .and_then(|v| v.get("disk").and_then(|d| d.as_str()).and_then(parse_bytes))
        .unwrap_or(100 << 30);
    if let Ok(f) = std::fs::File::create(inst.path("disk")) {
        let _ = f.set_len(size); // sparse, like the converted raw disk
    }
}

/// The download and conversion stages, as Lima logs them.
fn simulate_image(inst: &Inst, yaml: &str, secs: f64) {
    let arch = if cfg!(target_arch = "aarch64") {
        "aarch64"
    } else {
        "x86_64"
    };
    let location = serde_norway::from_str::<serde_json::Value>(yaml)
        .ok()
        .and_then(|v| {
            v.get("images")?
                .as_array()?
                .iter()
                .find(|i| i.get("arch").and_then(|a| a.as_str()) == Some(arch))
                .and_then(|i| i.get("location")?.as_str().map(String::from))
        })
        .unwrap_or_default();
    let half = std::time::Duration::from_secs_f64(secs / 2.0);
    let image = inst.path("image");
    log::text(
        "info",
        "Attempting to download the image",
        &[("arch", arch), ("location", &location)],
    );
    let _ = std::fs::write(&image, b"QFI\xfb");
    std::thread::sleep(half);
    log::info(&format!(
        "Downloaded the image from {}",
        log::go_quote(&location)
    ));
    let disk = inst.path("disk");
    log::info(&format!(
        "Converting {} (qcow2) to a raw disk {}",
        log::go_quote(&image.to_string_lossy()),
        log::go_quote(&disk.to_string_lossy())
    ));
    std::thread::sleep(half);
    let _ = std::fs::remove_file(&image);
    log::info("Image resized.");
}
