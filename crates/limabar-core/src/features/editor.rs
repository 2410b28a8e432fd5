//! Opening a folder of the VM in the user's editor, over SSH, at the same path: which
//! editors Limabar knows, which are installed, and the argv that opens each (pure).
//!
//! Every editor reaches the guest as the SSH host `lima-NAME`, which Lima writes to
//! `~/.lima/NAME/ssh.config` and `~/.ssh/config` includes once the user lets Limabar add
//! the `Include` (`ssh_config`). The VS Code family gets the exact folder URI
//! (`--folder-uri vscode-remote://ssh-remote+lima-NAME/DIR`), Zed an `ssh://` URL; the
//! directory is percent-encoded so any name (spaces, quotes, `$()`, newlines,
//! non-ASCII) reaches the editor as it is. JetBrains Gateway has no command line to
//! open a remote folder: the user gets the host to paste into it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::features::terminal::{Platform, Probe};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    VsCode,
    Cursor,
    VsCodium,
    Zed,
    Gateway,
}

/// id, label, macOS app bundle, the CLI inside that bundle, the CLIs on PATH.
type Known = (
    Editor,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const KNOWN: &[Known] = &[
    (
        Editor::VsCode,
        "vscode",
        "VS Code",
        "Visual Studio Code",
        "Contents/Resources/app/bin/code",
        &["code"],
    ),
    (
        Editor::Cursor,
        "cursor",
        "Cursor",
        "Cursor",
        "Contents/Resources/app/bin/cursor",
        &["cursor"],
    ),
    (
        Editor::VsCodium,
        "vscodium",
        "VSCodium",
        "VSCodium",
        "Contents/Resources/app/bin/codium",
        &["codium"],
    ),
    // Debian's and Arch's package call the CLI `zeditor`.
    (
        Editor::Zed,
        "zed",
        "Zed",
        "Zed",
        "Contents/MacOS/cli",
        &["zed", "zeditor"],
    ),
    (
        Editor::Gateway,
        "gateway",
        "JetBrains Gateway",
        "JetBrains Gateway",
        "",
        &["gateway"],
    ),
];

fn known(e: Editor) -> &'static Known {
    KNOWN
        .iter()
        .find(|k| k.0 == e)
        .expect("every editor is known")
}

impl Editor {
    pub fn id(self) -> &'static str {
        known(self).1
    }

    pub fn label(self) -> &'static str {
        known(self).2
    }

    pub fn from_id(id: &str) -> Option<Editor> {
        KNOWN
            .iter()
            .find(|k| k.1.eq_ignore_ascii_case(id.trim()))
            .map(|k| k.0)
    }

    pub fn all() -> impl Iterator<Item = Editor> {
        KNOWN.iter().map(|k| k.0)
    }
}

/// The SSH host Lima's `ssh.config` names for an instance.
pub fn ssh_host(instance: &str) -> String {
    format!("lima-{instance}")
}

/// An absolute path as a URI path: every byte but the unreserved ones and `/` is
/// percent-encoded (RFC 3986), as UTF-8.
pub fn uri_path(dir: &str) -> String {
    let mut out = String::with_capacity(dir.len());
    for b in dir.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `vscode-remote://ssh-remote+HOST/DIR`, the folder URI of VS Code's Remote-SSH.
pub fn vscode_folder_uri(host: &str, dir: &str) -> String {
    format!("vscode-remote://ssh-remote+{host}{}", uri_path(dir))
}

/// `ssh://HOST/DIR`, what Zed opens as a remote project.
pub fn zed_url(host: &str, dir: &str) -> String {
    format!("ssh://{host}{}", uri_path(dir))
}

/// How to open `dir` of `instance` in `editor` with its CLI `program`: the argv, or
/// nothing for Gateway (the host is copied instead).
pub fn argv(editor: Editor, program: &str, instance: &str, dir: &str) -> Vec<String> {
    let host = ssh_host(instance);
    match editor {
        Editor::VsCode | Editor::Cursor | Editor::VsCodium => vec![
            program.to_string(),
            "--folder-uri".into(),
            vscode_folder_uri(&host, dir),
        ],
        Editor::Zed => vec![program.to_string(), zed_url(&host, dir)],
        Editor::Gateway => vec![],
    }
}

/// The CLI that opens `editor` here, when it is installed: on macOS the one inside the
/// app bundle (an app started from Finder has no shell PATH), else one on PATH.
pub fn program(editor: Editor, platform: Platform, probe: &dyn Probe) -> Option<String> {
    let (_, _, _, app, inner, on_path) = known(editor);
    if platform == Platform::MacOs {
        if let Some(dir) = probe.app_dir(app) {
            if editor == Editor::Gateway {
                return Some(dir.to_string_lossy().into_owned());
            }
            let cli: PathBuf = dir.join(inner);
            return Some(cli.to_string_lossy().into_owned());
        }
    }
    on_path
        .iter()
        .find(|p| probe.has_program(p))
        .map(|p| p.to_string())
}

/// Installed editors with their CLI, in the order the popover offers them.
pub fn detect(platform: Platform, probe: &dyn Probe) -> Vec<(Editor, String)> {
    Editor::all()
        .filter_map(|e| program(e, platform, probe).map(|p| (e, p)))
        .collect()
}

/// An editor as the UI and `--json` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EditorChoice {
    pub id: String,
    pub label: String,
}

impl From<Editor> for EditorChoice {
    fn from(e: Editor) -> Self {
        EditorChoice {
            id: e.id().into(),
            label: e.label().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986 percent-decoding, to read back what the editor would receive.
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    const HOSTILE: &str = "/Users/me/it's a \"$(rm -rf ~)\" `x` %20 #1?&+;\nü 日本/web app";

    #[test]
    fn a_hostile_folder_reaches_vs_code_exactly() {
        let a = argv(Editor::VsCode, "code", "nixos", HOSTILE);
        assert_eq!(a[..2], ["code", "--folder-uri"]);
        let uri = &a[2];
        let path = uri
            .strip_prefix("vscode-remote://ssh-remote+lima-nixos")
            .unwrap();
        assert_eq!(decode(path), HOSTILE);
        // Nothing a URI parser or a shell would read as structure is left raw.
        assert!(
            path.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)),
            "{uri}"
        );
    }

    #[test]
    fn zed_gets_an_ssh_url_and_gateway_no_command() {
        let a = argv(Editor::Zed, "zed", "dev-1", "/home/me/a b");
        assert_eq!(a, ["zed", "ssh://lima-dev-1/home/me/a%20b"]);
        assert!(argv(Editor::Gateway, "", "dev-1", "/x").is_empty());
    }

    struct Machine {
        path: &'static [&'static str],
        apps: &'static [&'static str],
    }

    impl Probe for Machine {
        fn has_program(&self, p: &str) -> bool {
            self.path.contains(&p)
        }
        fn has_app(&self, a: &str) -> bool {
            self.apps.contains(&a)
        }
        fn terminal_env(&self) -> Option<String> {
            None
        }
        fn app_dir(&self, a: &str) -> Option<PathBuf> {
            self.has_app(a)
                .then(|| PathBuf::from(format!("/Applications/{a}.app")))
        }
    }

    #[test]
    fn a_mac_uses_the_cli_inside_the_bundle_and_linux_the_path() {
        let mac = Machine {
            path: &[],
            apps: &["Visual Studio Code", "Zed"],
        };
        assert_eq!(
            detect(Platform::MacOs, &mac),
            vec![
                (
                    Editor::VsCode,
                    "/Applications/Visual Studio Code.app/Contents/Resources/app/bin/code".into()
                ),
                (
                    Editor::Zed,
                    "/Applications/Zed.app/Contents/MacOS/cli".into()
                ),
            ]
        );
        let linux = Machine {
            path: &["codium", "zeditor"],
            apps: &[],
        };
        assert_eq!(
            detect(Platform::Linux, &linux),
            vec![
                (Editor::VsCodium, "codium".into()),
                (Editor::Zed, "zeditor".into())
            ]
        );
    }

    #[test]
    fn ids_round_trip() {
        for e in Editor::all() {
            assert_eq!(Editor::from_id(e.id()), Some(e));
        }
        assert_eq!(Editor::from_id(" VSCode "), Some(Editor::VsCode));
        assert_eq!(Editor::from_id("emacs"), None);
    }
}
