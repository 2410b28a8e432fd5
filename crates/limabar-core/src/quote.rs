//! The one place a shell line is made from argv: for "Copy as limactl command" and, where
//! unavoidable, scripts. Each argument is single-quoted unless it is plainly safe.

pub fn quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if safe {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

pub fn join(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests run real programs and read the real environment
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_real_sh_gets_back_the_exact_argv() {
        let nasty = [
            "plain",
            "with space",
            "it's",
            "\"dq\"",
            "$(rm -rf /)",
            "`id`",
            "a;b",
            "new\nline",
            "tab\there",
            "ünïcödé 🚀",
            "",
            "back\\slash",
            "*",
            "~",
            "-n",
        ];
        let argv: Vec<String> = nasty.iter().map(|s| s.to_string()).collect();
        let line = format!("printf '%s\\0' {}", join(&argv));
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(&line)
            .output()
            .unwrap();
        let got: Vec<String> = out
            .stdout
            .split(|b| *b == 0)
            .filter(|_| true)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert_eq!(&got[..argv.len()], &argv[..], "line was: {line}");
    }

    #[test]
    fn safe_words_stay_readable() {
        assert_eq!(
            join(&[
                "limactl".into(),
                "start".into(),
                "--tty=false".into(),
                "nixos".into()
            ]),
            "limactl start --tty=false nixos"
        );
        assert_eq!(quote("my vm"), "'my vm'");
    }
}
