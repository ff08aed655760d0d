//! The command line's error type and its exit codes.

use std::path::PathBuf;

/// Exit codes of `onsite`, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Ok = 0,
    /// 1: failed for a reason outside the input (storage, i/o).
    Failure = 1,
    /// 2: the command line itself was wrong (clap's own code).
    Usage = 2,
    /// 3: the input was refused (bad file, invalid value); nothing changed.
    BadInput = 3,
    /// 4: something looked up does not exist.
    NotFound = 4,
    /// 5: the hub refused the credentials or the role.
    Unauthorized = 5,
}

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from the core.
    #[error(transparent)]
    Core(#[from] onsite_core::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing to the terminal or a pipe failed.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
    /// A database given with `--db` does not exist (for read commands).
    #[error("no database at {0}; create one with `onsite catalog import --db PATH FILE` or `onsite demo`")]
    NoDatabase(PathBuf),
    /// A JSON encoding failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// An argument has the wrong form.
    #[error("{0}")]
    Usage(String),
    /// The hub answered with an error.
    #[error("the hub answered {status}: {message}")]
    Hub {
        /// HTTP status.
        status: u16,
        /// The hub's message.
        message: String,
    },
    /// The hub reported this device lost: delete its store and key, then
    /// report back ([`crate::client::HubClient::report_wiped`]).
    #[error("the hub answered 410: {0}")]
    Wipe(String),
    /// The hub refused changes of a sync request and answered with a
    /// refusal frame (for the device to apply).
    #[error("the hub refused changes of the request")]
    HubFrame(Vec<u8>),
    /// The hub could not be reached or the exchange broke off.
    #[error("cannot reach the hub: {0}")]
    Http(String),
    /// A device's sync stopped (`onsite device sync`).
    #[error("sync: {0}")]
    Sync(#[from] onsite_core::sync::SyncFailure),
    /// TLS set-up failed (certificate or key unreadable or invalid).
    #[error("tls: {0}")]
    Tls(String),
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// PostgreSQL failed.
    #[error("postgresql: {0}")]
    Postgres(#[from] postgres::Error),
    /// The hub (serving, its storage, its configuration) failed.
    #[error(transparent)]
    Serve(#[from] onsite_hub::Error),
}

impl Error {
    /// The exit code for this error.
    pub fn status(&self) -> ExitStatus {
        use onsite_core::ErrorKind as K;
        let core = |c: &onsite_core::Error| match c.kind() {
            // The core's one classification (the bindings and the hub use it too).
            K::Invalid | K::Conflict | K::Sync => ExitStatus::BadInput,
            K::NotFound => ExitStatus::NotFound,
            // The store opens again after a sync: the device's hub must say so.
            K::Unauthorized | K::LeaseExpired => ExitStatus::Unauthorized,
            K::Storage | K::Internal => ExitStatus::Failure,
        };
        match self {
            Error::Core(c) | Error::Serve(onsite_hub::Error::Core(c)) => core(c),
            Error::NoDatabase(_) => ExitStatus::NotFound,
            Error::File { source, .. } if source.kind() == std::io::ErrorKind::NotFound => ExitStatus::NotFound,
            Error::Usage(_) | Error::Serve(onsite_hub::Error::Config(_)) => ExitStatus::Usage,
            Error::Hub { status: 401 | 403, .. } | Error::Wipe(_) => ExitStatus::Unauthorized,
            Error::Hub { status: 404, .. } => ExitStatus::NotFound,
            Error::Hub { status: 400 | 409 | 413 | 422, .. } => ExitStatus::BadInput,
            Error::Sync(f) => {
                use onsite_core::sync::SyncFailure as S;
                match f {
                    S::Unauthorized { .. } | S::Wipe { .. } => ExitStatus::Unauthorized,
                    S::Refused { .. } => ExitStatus::BadInput,
                    _ => ExitStatus::Failure,
                }
            }
            _ => ExitStatus::Failure,
        }
    }
}

/// Result with the command line's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_means_the_same_exit_in_process_and_over_the_hub() {
        use onsite_core::quote::QuoteError;
        let stale = Error::Core(onsite_core::Error::Quote(QuoteError::StaleApproval { current: 2 }));
        let conflict = Error::Hub { status: 409, message: "conflict".into() };
        assert_eq!(stale.status(), ExitStatus::BadInput);
        assert_eq!(conflict.status(), stale.status());
        let missing = Error::Core(onsite_core::Error::not_found("quote", "q"));
        assert_eq!(missing.status(), Error::Hub { status: 404, message: String::new() }.status());
        let scope = Error::Core(onsite_core::Error::Sync(onsite_core::sync::SyncError::WrongDevice));
        assert_eq!(scope.status(), Error::Hub { status: 403, message: String::new() }.status());
    }
}
