//! The hub's error type: what serving, storing and the back-office
//! operations can fail with. The HTTP layer turns it into statuses through
//! the core's one classification (`onsite_core::Error::kind`), the command
//! line into exit codes.

/// Everything the hub can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from the core.
    #[error(transparent)]
    Core(#[from] onsite_core::Error),
    /// PostgreSQL failed.
    #[error("postgresql: {0}")]
    Postgres(#[from] postgres::Error),
    /// A socket or file operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A JSON encoding or decoding failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The hub's configuration is wrong (a database URL, a listen address,
    /// a database of a newer schema).
    #[error("{0}")]
    Config(String),
    /// TLS set-up failed (certificate or key unreadable or invalid).
    #[error("tls: {0}")]
    Tls(String),
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// The hub's own thread or a worker failed.
    #[error("{0}")]
    Worker(String),
}

/// Result with the hub's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
