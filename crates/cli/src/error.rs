//! What can go wrong at the command line, each with its documented exit code and a one-line
//! message that says what to do next.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("not logged in — run `fyd login --email …` (or `fyd join`)")]
    NotLoggedIn,
    #[error("your session has ended — log in again with `fyd login --email {0}`")]
    SessionEnded(String),
    #[error("{0}")]
    LoginFailed(String),
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("{0}")]
    NotFound(String),
    #[error("cannot reach the fyd server at {url} — is it running? ({reason})")]
    Unreachable { url: String, reason: String },
    #[error("the fyd server at {url} has a certificate fyd does not trust ({reason}) — if a private CA signed it, pass --ca-cert FILE (or set FYD_CA_CERT)")]
    Untrusted { url: String, reason: String },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
    /// The reader of stdout went away (`fyd list | head -1`): not a failure worth a message.
    #[error("stdout was closed before fyd finished writing")]
    StdoutClosed,
}

impl CliError {
    /// 0 ok, 1 other error, 2 usage, 3 not logged in or login failed, 4 daily quota used up,
    /// 5 course not found or not yours, 6 server unreachable or its certificate not trusted; and 141 when stdout was closed
    /// early, the status a shell shows for any program stopped by SIGPIPE (128 + 13).
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Other(_) => 1,
            Self::Usage(_) => 2,
            Self::NotLoggedIn | Self::SessionEnded(_) | Self::LoginFailed(_) => 3,
            Self::QuotaExceeded(_) => 4,
            Self::NotFound(_) => 5,
            Self::Unreachable { .. } | Self::Untrusted { .. } => 6,
            Self::StdoutClosed => 141,
        })
    }

    /// Whether `main` says anything: a closed stdout ends fyd quietly, as it does `cat` or `yes`.
    pub fn is_reported(&self) -> bool {
        !matches!(self, Self::StdoutClosed)
    }
}

pub type CliResult<T> = Result<T, CliError>;
