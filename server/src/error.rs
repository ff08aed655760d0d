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
}

impl Error {
    /// The exit code for this error.
    pub fn status(&self) -> ExitStatus {
        use onsite_core::Error as C;
        match self {
            Error::Core(
                C::Validation { .. }
                | C::Import(_)
                | C::Money(_)
                | C::Conflict { .. }
                | C::Pricing(_)
                | C::Quote(_)
                | C::Pdf(_)
                | C::Sync(_),
            ) => ExitStatus::BadInput,
            Error::Core(C::NotFound { .. }) | Error::NoDatabase(_) => ExitStatus::NotFound,
            Error::File { source, .. } if source.kind() == std::io::ErrorKind::NotFound => ExitStatus::NotFound,
            _ => ExitStatus::Failure,
        }
    }
}

/// Result with the command line's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
