//! Coded errors. Every failure a user can act on has a stable `ErrorCode`; the UI and the
//! CLI react to the code, never to the message text. `hint` says what to do about it.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ErrorCode {
    LimactlNotFound,
    LimactlTooOld,
    InstanceNotFound,
    NotRunning,
    AlreadyRunning,
    Busy,
    Timeout,
    Failed,
    UnexpectedOutput,
    Io,
    NotMounted,
    NoTerminal,
    TerminalFailed,
    NothingChanged,
    NotStopped,
    Protected,
    AlreadyExists,
    InvalidInput,
    NotConnected,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoreError {
    #[error("limactl was not found (looked in {searched})")]
    LimactlNotFound { searched: String },
    #[error("Limabar needs Lima 2.0 or newer (found {found})")]
    LimactlTooOld { found: String },
    #[error("there is no Lima instance named `{name}`")]
    InstanceNotFound { name: String },
    #[error("`{name}` is not running")]
    NotRunning { name: String },
    #[error("`{name}` is already running")]
    AlreadyRunning { name: String },
    #[error("`{name}` is busy: {operation} is still in progress")]
    Busy { name: String, operation: String },
    #[error("`limactl {command}` did not finish within {secs} s")]
    Timeout { command: String, secs: u64 },
    #[error("`limactl {command}` failed: {detail}")]
    Failed { command: String, detail: String },
    #[error("limactl printed something Limabar does not understand: {detail}")]
    UnexpectedOutput { detail: String },
    #[error("{context}: {detail}")]
    Io { context: String, detail: String },
    #[error("`{dir}` is not shared with `{name}`")]
    NotMounted { name: String, dir: String },
    #[error("no terminal was found")]
    NoTerminal,
    #[error("{terminal} could not be started: {detail}")]
    TerminalFailed { terminal: String, detail: String },
    /// Lima found nothing to change (`Aborting, no changes made to the instance`).
    #[error("`limactl {command}` changed nothing: {detail}")]
    NothingChanged { command: String, detail: String },
    /// Limabar refused: the VM must be stopped first (limactl never ran).
    #[error("`{name}` is running: stop it first")]
    NotStopped { name: String },
    #[error("`{name}` is protected against deletion")]
    Protected { name: String },
    #[error("there is already an instance named `{name}`")]
    AlreadyExists { name: String },
    /// Limabar refused what it was asked (limactl never ran): a setting that is not a
    /// file, a fix that does not exist, a name Lima would reject.
    #[error("{detail}")]
    InvalidInput { detail: String },
    /// No Lima yet: still connecting, or the last attempt failed (onboarding shows why).
    #[error("Limabar is not connected to Lima yet")]
    NotConnected,
    /// An error already reported as `{code, message, hint}` (an operation's end, seen
    /// as a change), passed on as it was.
    #[error("{}", .0.message)]
    Reported(ErrorInfo),
}

/// What crosses to the UI and to `--json` stderr: `{code, message, hint}`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ErrorInfo {
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::LimactlNotFound { .. } => ErrorCode::LimactlNotFound,
            CoreError::LimactlTooOld { .. } => ErrorCode::LimactlTooOld,
            CoreError::InstanceNotFound { .. } => ErrorCode::InstanceNotFound,
            CoreError::NotRunning { .. } => ErrorCode::NotRunning,
            CoreError::AlreadyRunning { .. } => ErrorCode::AlreadyRunning,
            CoreError::Busy { .. } => ErrorCode::Busy,
            CoreError::Timeout { .. } => ErrorCode::Timeout,
            CoreError::Failed { .. } => ErrorCode::Failed,
            CoreError::UnexpectedOutput { .. } => ErrorCode::UnexpectedOutput,
            CoreError::Io { .. } => ErrorCode::Io,
            CoreError::NotMounted { .. } => ErrorCode::NotMounted,
            CoreError::NoTerminal => ErrorCode::NoTerminal,
            CoreError::TerminalFailed { .. } => ErrorCode::TerminalFailed,
            CoreError::NothingChanged { .. } => ErrorCode::NothingChanged,
            CoreError::NotStopped { .. } => ErrorCode::NotStopped,
            CoreError::Protected { .. } => ErrorCode::Protected,
            CoreError::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            CoreError::InvalidInput { .. } => ErrorCode::InvalidInput,
            CoreError::NotConnected => ErrorCode::NotConnected,
            CoreError::Reported(info) => info.code,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            CoreError::Reported(info) => info.hint.clone(),
            CoreError::LimactlNotFound { .. } => Some(format!(
                "Install Lima: {}. Or set the limactl path in Settings or the LIMACTL \
                 environment variable.",
                if cfg!(target_os = "macos") {
                    "`brew install lima`"
                } else {
                    // Few distributions package Lima; its QEMU driver needs QEMU.
                    "`nix profile install nixpkgs#lima` or `brew install lima`, with QEMU \
                     (see https://lima-vm.io/docs/installation/)"
                }
            )),
            CoreError::LimactlTooOld { .. } => Some("brew upgrade lima".into()),
            CoreError::InstanceNotFound { .. } => {
                Some("It may have been deleted; the list refreshes by itself.".into())
            }
            CoreError::Timeout { .. } => Some(
                "The VM may still be booting in the background. Stop it with `limactl stop -f` \
                 and start it again if it stays stuck."
                    .into(),
            ),
            CoreError::Busy { .. } => Some("Wait for the current operation to finish.".into()),
            CoreError::NotMounted { name, dir } => Some(format!(
                "Mount it first: `limabar mount add {} {}` (or drop the folder on the VM).",
                crate::quote::quote(name),
                crate::quote::quote(dir)
            )),
            CoreError::NoTerminal => Some(
                "Install a terminal (for example `apt install xterm`), or set TERMINAL.".into(),
            ),
            CoreError::TerminalFailed { .. } => Some(
                "Choose another terminal, or use Copy command and paste it into your own.".into(),
            ),
            CoreError::NothingChanged { .. } => Some(
                "lima.yaml may have been changed meanwhile: look at it with `limactl edit`.".into(),
            ),
            CoreError::Protected { name } => Some(format!(
                "If you really mean it: `limactl unprotect {}`, then delete again.",
                crate::quote::quote(name)
            )),
            _ => None,
        }
    }

    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code(),
            message: self.to_string(),
            hint: self.hint(),
        }
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        CoreError::InvalidInput {
            detail: detail.into(),
        }
    }

    pub fn io(context: impl Into<String>, err: impl std::fmt::Display) -> Self {
        CoreError::Io {
            context: context.into(),
            detail: err.to_string(),
        }
    }
}

/// So front ends write `?` where a `CoreError` becomes what the UI receives.
impl From<CoreError> for ErrorInfo {
    fn from(e: CoreError) -> ErrorInfo {
        e.info()
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reported_error_keeps_its_code_message_and_hint() {
        let busy = CoreError::Busy {
            name: "nixos".into(),
            operation: "start".into(),
        }
        .info();
        let again = CoreError::Reported(busy.clone());
        assert_eq!(again.info(), busy);
    }
}
