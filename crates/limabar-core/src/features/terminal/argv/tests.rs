use std::process::{Command, Stdio};

use proptest::prelude::*;

use super::*;
use crate::features::develop::command::develop;

fn s(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn held(prefix: &[&str]) -> Vec<String> {
    let mut argv = s(prefix);
    argv.extend(s(&[
        "/bin/sh",
        "-c",
        HOLD_SCRIPT,
        "limabar",
        "limactl",
        "shell",
        "nixos",
    ]));
    argv
}

/// Every terminal's argv, on both platforms, for `limactl shell nixos`.
#[test]
fn argv_per_terminal() {
    let cmd = s(&["limactl", "shell", "nixos"]);
    let scratch = Path::new("/tmp/limabar-x");
    let linux = |t: Terminal| launch(&t, Platform::Linux, &cmd, scratch, "a").argv;
    let mac = |t: Terminal| launch(&t, Platform::MacOs, &cmd, scratch, "a").argv;
    assert_eq!(linux(Terminal::Xterm), held(&["xterm", "-e"]));
    assert_eq!(
        linux(Terminal::XTerminalEmulator),
        held(&["x-terminal-emulator", "-e"])
    );
    assert_eq!(
        linux(Terminal::GnomeTerminal),
        held(&["gnome-terminal", "--"])
    );
    assert_eq!(linux(Terminal::Konsole), held(&["konsole", "-e"]));
    assert_eq!(linux(Terminal::Foot), held(&["foot"]));
    assert_eq!(linux(Terminal::Kitty), held(&["kitty"]));
    assert_eq!(linux(Terminal::Alacritty), held(&["alacritty", "-e"]));
    assert_eq!(linux(Terminal::Wezterm), held(&["wezterm", "start", "--"]));
    assert_eq!(linux(Terminal::Ghostty), held(&["ghostty", "-e"]));
    assert_eq!(
        linux(Terminal::Custom("/opt/st dir/st".into())),
        held(&["/opt/st dir/st", "-e"])
    );
    assert_eq!(
        linux(Terminal::Terminal),
        held(&["x-terminal-emulator", "-e"])
    );
    assert_eq!(
        mac(Terminal::Terminal),
        s(&["open", "-a", "Terminal", "/tmp/limabar-x/a.command"])
    );
    assert_eq!(
        mac(Terminal::Iterm),
        s(&["open", "-a", "iTerm", "/tmp/limabar-x/a.command"])
    );
    assert_eq!(
        mac(Terminal::Ghostty),
        held(&["open", "-na", "Ghostty", "--args", "-e"])
    );
    assert_eq!(
        mac(Terminal::Wezterm),
        held(&["open", "-na", "WezTerm", "--args", "start", "--"])
    );
    assert_eq!(
        mac(Terminal::Kitty),
        held(&["open", "-na", "kitty", "--args"])
    );
    assert_eq!(
        mac(Terminal::Alacritty),
        held(&["open", "-na", "Alacritty", "--args", "-e"])
    );
    assert_eq!(mac(Terminal::Xterm), held(&["xterm", "-e"]));
}

#[test]
fn a_command_file_quotes_every_word_and_removes_itself() {
    let l = launch(
        &Terminal::Terminal,
        Platform::MacOs,
        &s(&["/opt/homebrew/bin/limactl", "shell", "it's"]),
        Path::new("/tmp"),
        "x",
    );
    let file = l.file.unwrap();
    assert_eq!(
        file.contents,
        format!(
            "#!/bin/sh\nrm -f -- \"$0\"\nset -- /opt/homebrew/bin/limactl shell 'it'\\''s'\n{HOLD_SCRIPT}\n"
        )
    );
}

/// A stand-in for limactl that prints its argv, NUL-terminated.
fn printer(dir: &Path) -> String {
    let p = dir.join("print argv");
    crate::testutil::write_script(
        &p,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n",
    );
    p.to_string_lossy().into_owned()
}

/// Runs the part of a launch that goes through a shell, the way the terminal would:
/// the argv from `/bin/sh` on, or the `.command` file.
fn run_shell_part(l: &Launch) -> (Vec<String>, bool) {
    let out = match &l.file {
        Some(f) => {
            crate::testutil::write_script(&f.path, &f.contents);
            let out = Command::new(&f.path).stdin(Stdio::null()).output().unwrap();
            assert!(!f.path.exists(), "the .command file removed itself");
            out
        }
        None => {
            let at = l.argv.iter().position(|a| a == "/bin/sh").expect("held");
            Command::new(&l.argv[at])
                .args(&l.argv[at + 1..])
                .stdin(Stdio::null())
                .output()
                .unwrap()
        }
    };
    let words = out
        .stdout
        .split(|b| *b == 0)
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .collect::<Vec<_>>();
    let mut words = words;
    words.pop(); // after the last NUL
    (words, out.status.success())
}

fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("$(id)".to_string()),
            Just("`id`".to_string()),
            Just(";".to_string()),
            Just("\n".to_string()),
            Just(" ".to_string()),
            Just("\\".to_string()),
            Just("ü".to_string()),
            Just("*".to_string()),
            Just("-e".to_string()),
            "[a-z]{1,3}",
        ],
        1..6,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// For every terminal and platform, what reaches the program after the shell is
    /// exactly the command: a real /bin/sh reconstructs it from the argv or the file.
    #[test]
    fn every_shell_form_reconstructs_the_exact_command(
        name in hostile(), dir in hostile(), shell in hostile()
    ) {
        let t = tempfile::tempdir().unwrap();
        let limactl = printer(t.path());
        let command = develop(Path::new(&limactl), &name, &format!("/p/{dir}"), &shell);
        for platform in [Platform::Linux, Platform::MacOs] {
            for terminal in Terminal::known().chain([Terminal::Custom("st".into())]) {
                let l = launch(&terminal, platform, &command, t.path(), "dev shell");
                let (words, ok) = run_shell_part(&l);
                prop_assert!(ok, "{terminal:?} on {platform:?}");
                prop_assert_eq!(&words[..], &command[1..], "{:?} on {:?}", terminal, platform);
            }
        }
    }
}

#[test]
fn a_failing_command_keeps_the_window_open_with_its_status() {
    let mut child = Command::new("/bin/sh")
        .args(&hold(&s(&["sh", "-c", "echo nix: boom >&2; exit 3"]))[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "waits for Return");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ended with status 3"), "{text}");
}
