//! The core's internal error type.
//!
//! Messages never contain personal data (names, e-mail addresses, phone
//! numbers): they name the field or the row, not its content, so they can be
//! logged and shown as they are.

use crate::import::ImportReport;
use crate::money::MoneyError;

/// Every way a core operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule of the domain; `field` names what was wrong.
    #[error("invalid {field}: {reason}")]
    Validation {
        /// The field or parameter at fault, e.g. `"sku"` or `"email"`.
        field: &'static str,
        /// Why it was refused, in plain words.
        reason: String,
    },
    /// A looked-up record does not exist.
    #[error("{entity} not found: {key}")]
    NotFound {
        /// What kind of record, e.g. `"product"`.
        entity: &'static str,
        /// Its key (a SKU or an id; never personal data).
        key: String,
    },
    /// The change collides with the current state of a record.
    #[error("conflict on {what}: {reason}")]
    Conflict {
        /// The record kind, e.g. `"contact"`.
        what: &'static str,
        /// What collides.
        reason: String,
    },
    /// An amount or currency could not be parsed or combined.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A price or total could not be computed.
    #[error(transparent)]
    Pricing(#[from] crate::pricing::PricingError),
    /// A quote operation was refused.
    #[error(transparent)]
    Quote(#[from] crate::quote::QuoteError),
    /// A document could not be rendered.
    #[error(transparent)]
    Pdf(#[from] crate::pdf::PdfError),
    /// An import file had bad rows; nothing was changed.
    #[error("{0}")]
    Import(ImportReport),
    /// A sync frame was refused; nothing of it was applied.
    #[error(transparent)]
    Sync(crate::sync::error::SyncError),
    /// A change breaks a transition rule (ADR 17); nothing was written.
    #[error("{0}")]
    Refused(Box<crate::transition::refusal::Refusal>),
    /// The database was written by a newer version of Onsite.
    #[error(
        "the database has schema version {found}, newer than the {supported} this build knows; \
         update the app instead of opening it with an older one"
    )]
    SchemaTooNew {
        /// Version found in the database file.
        found: i64,
        /// Newest version this build can handle.
        supported: i64,
    },
    /// The device has not reached its hub for longer than the offline lease
    /// allows (ADR 23): it opens only to sync ([`crate::Store::open_to_renew`]).
    #[error(
        "no contact with the hub since {last_contact}, longer than the {days} days the offline lease allows; \
         sync with the hub to open the store again"
    )]
    LeaseExpired {
        /// When the device last heard from its hub (RFC 3339).
        last_contact: String,
        /// The lease the policy grants, in days.
        days: u32,
    },
    /// The database file and the key given do not go together (ADR 20).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// SQLite reported an error.
    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or writing a file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Another storage backend behind [`crate::sync::hub::HubStorage`]
    /// failed (the server's PostgreSQL).
    #[error("storage backend: {0}")]
    Backend(String),
    /// A stored value could not be decoded (a corrupt or hand-edited database).
    #[error("corrupt stored data in {what}: {reason}")]
    Corrupt {
        /// Where the bad value was found.
        what: &'static str,
        /// What was wrong with it.
        reason: String,
    },
}

/// Why an encrypted store could not be opened with the key given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key does not decrypt the file (another device's key, or a key
    /// lost and replaced): restore the right key, or erase the store and
    /// sync it anew.
    #[error("the key does not open this database (wrong key)")]
    Wrong,
    /// The file is encrypted and no key was given.
    #[error("the database is encrypted and no key was given")]
    Required,
    /// A key was given for a plaintext file that was not to be encrypted
    /// in place.
    #[error("the database is not encrypted; open it with encryption in place allowed")]
    NotEncrypted,
    /// The key is not 32 bytes (64 hexadecimal digits in a key file).
    #[error("invalid key: must be 32 bytes (64 hexadecimal digits)")]
    Malformed,
}

/// Why the database could not be opened or read, for a caller to act on
/// (the bindings' `Storage` error carries it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum StorageReason {
    /// The key does not open the file: find the right key or erase the store.
    WrongKey,
    /// The file is encrypted and no key was given: pass the key.
    KeyRequired,
    /// The file is plaintext and was not to be encrypted in place.
    NotEncrypted,
    /// The file is damaged: erase it and sync the store anew.
    Corrupt,
    /// A newer version of Onsite wrote the file: update the app.
    SchemaTooNew,
    /// The disk or the file system failed (full, read-only, missing
    /// directory); the file itself may be fine.
    Unavailable,
}

/// What kind of failure an error is: the one classification every edge
/// uses (the bindings' public error, the command line's exit codes, the
/// hub's HTTP statuses), so a failure means the same on a phone, in a
/// script and over the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input breaks a rule (a field, a file, an amount); fix and retry.
    Invalid,
    /// A looked-up record does not exist.
    NotFound,
    /// The change collides with the record's current state (a stale
    /// approval, a state that does not allow the action, a change the
    /// transition rules refuse); reload, then retry.
    Conflict,
    /// The device is not allowed to do this (another device's frame, a
    /// record outside its scope).
    Unauthorized,
    /// A sync frame is malformed, replayed or unexpected; sync again later.
    Sync,
    /// The offline lease ran out: sync with the hub first (ADR 23).
    LeaseExpired,
    /// The database could not be read or written.
    Storage,
    /// A bug.
    Internal,
}

impl ErrorKind {
    /// The kind's name, e.g. `conflict` (the hub's error codes use it).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Sync => "sync",
            ErrorKind::LeaseExpired => "lease_expired",
            ErrorKind::Storage => "storage",
            ErrorKind::Internal => "internal",
        }
    }
}

impl Error {
    /// The error's kind (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        use crate::quote::QuoteError as Q;
        use crate::sync::error::SyncError as S;
        match self {
            Error::Validation { .. } | Error::Import(_) | Error::Money(_) | Error::Pricing(_) => ErrorKind::Invalid,
            Error::Quote(Q::IllegalTransition { .. } | Q::StaleApproval { .. } | Q::Expired(_)) => ErrorKind::Conflict,
            Error::Quote(_) => ErrorKind::Invalid,
            Error::Pdf(crate::pdf::PdfError::Font) => ErrorKind::Internal,
            Error::Pdf(crate::pdf::PdfError::NotApproved(_)) => ErrorKind::Conflict,
            Error::Pdf(_) => ErrorKind::Invalid,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } | Error::Refused(_) => ErrorKind::Conflict,
            Error::Sync(S::OutOfScope { .. } | S::WrongDevice) => ErrorKind::Unauthorized,
            Error::Sync(S::Rejected(_)) => ErrorKind::Conflict,
            Error::Sync(_) => ErrorKind::Sync,
            Error::Key(KeyError::Malformed) => ErrorKind::Invalid,
            Error::LeaseExpired { .. } => ErrorKind::LeaseExpired,
            Error::SchemaTooNew { .. }
            | Error::Key(_)
            | Error::Sqlite(_)
            | Error::Io(_)
            | Error::Corrupt { .. }
            | Error::Backend(_) => ErrorKind::Storage,
        }
    }

    /// The variant's name, for logs that must not carry the message (it
    /// may quote stored data).
    pub fn variant(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation",
            Error::NotFound { .. } => "not found",
            Error::Conflict { .. } => "conflict",
            Error::Money(_) => "money",
            Error::Pricing(_) => "pricing",
            Error::Quote(_) => "quote",
            Error::Pdf(_) => "pdf",
            Error::Import(_) => "import",
            Error::Sync(_) => "sync",
            Error::Refused(_) => "refused",
            Error::SchemaTooNew { .. } => "schema too new",
            Error::LeaseExpired { .. } => "lease expired",
            Error::Key(_) => "key",
            Error::Sqlite(_) => "sqlite",
            Error::Io(_) => "i/o",
            Error::Backend(_) => "backend",
            Error::Corrupt { .. } => "corrupt",
        }
    }
}

impl Error {
    /// Why storage failed, for an error of kind [`ErrorKind::Storage`];
    /// `None` for every other kind.
    pub fn storage_reason(&self) -> Option<StorageReason> {
        if self.kind() != ErrorKind::Storage {
            return None;
        }
        Some(match self {
            Error::Key(KeyError::Wrong) => StorageReason::WrongKey,
            Error::Key(KeyError::Required) => StorageReason::KeyRequired,
            Error::Key(_) => StorageReason::NotEncrypted,
            Error::SchemaTooNew { .. } => StorageReason::SchemaTooNew,
            Error::Corrupt { .. } => StorageReason::Corrupt,
            Error::Sqlite(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
                ) =>
            {
                StorageReason::Corrupt
            }
            _ => StorageReason::Unavailable,
        })
    }
}

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::rules::FieldError> for Error {
    fn from(e: crate::rules::FieldError) -> Self {
        Error::Validation { field: e.field, reason: e.reason }
    }
}

impl Error {
    /// Shorthand for a [`Error::Validation`].
    pub fn validation(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Validation { field, reason: reason.into() }
    }

    /// Shorthand for a [`Error::NotFound`].
    pub fn not_found(entity: &'static str, key: impl Into<String>) -> Self {
        Error::NotFound { entity, key: key.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::{QuoteError as Q, QuoteState};
    use crate::sync::{FrameError, SyncError as S};
    use crate::transition::{Refusal, RefusalCode};

    #[test]
    fn every_error_has_one_kind() {
        use ErrorKind as K;
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        let refusal = Refusal { doc: "quote/q".into(), code: RefusalCode::IllegalTransition, message: "x".into() };
        let cases: Vec<(Error, ErrorKind)> = vec![
            (Error::validation("email", "is not an e-mail address"), K::Invalid),
            (crate::rules::FieldError::new("sku", "is empty").into(), K::Invalid),
            (Error::Quote(Q::Empty), K::Invalid),
            (Error::Quote(Q::ReasonRequired), K::Invalid),
            // Collisions with the record's current state: the same on a
            // phone, in a script and over the API (a stale approval was
            // "invalid input" at the hub once).
            (Error::Quote(Q::StaleApproval { current: 2 }), K::Conflict),
            (
                Error::Quote(Q::IllegalTransition { from: QuoteState::Draft, action: "decide the discount of" }),
                K::Conflict,
            ),
            (Error::Quote(Q::Expired(day)), K::Conflict),
            (Error::Refused(Box::new(refusal)), K::Conflict),
            (Error::Conflict { what: "contact", reason: "x".into() }, K::Conflict),
            (Error::not_found("quote", "q"), K::NotFound),
            (Error::Sync(S::OutOfScope { doc: "quote/q".into() }), K::Unauthorized),
            (Error::Sync(S::WrongDevice), K::Unauthorized),
            (Error::LeaseExpired { last_contact: "2026-01-01T00:00:00Z".into(), days: 30 }, K::LeaseExpired),
            (Error::Sync(S::Frame(FrameError::Truncated)), K::Sync),
            (Error::Sync(S::NoRequestWaiting), K::Sync),
            (Error::SchemaTooNew { found: 99, supported: 9 }, K::Storage),
            (Error::Corrupt { what: "quote body", reason: "x".into() }, K::Storage),
            (Error::Key(KeyError::Wrong), K::Storage),
            (Error::Key(KeyError::Required), K::Storage),
            (Error::Key(KeyError::NotEncrypted), K::Storage),
            (Error::Key(KeyError::Malformed), K::Invalid),
            (Error::Pdf(crate::pdf::PdfError::Font), K::Internal),
            (Error::Pdf(crate::pdf::PdfError::NotApproved("x".into())), K::Conflict),
            (Error::Pdf(crate::pdf::PdfError::BadImage { what: "logo" }), K::Invalid),
        ];
        for (e, kind) in cases {
            assert_eq!(e.kind(), kind, "{e}");
        }
    }

    #[test]
    fn storage_errors_say_what_to_do() {
        use StorageReason as R;
        let corrupt = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some("database disk image is malformed".into()),
        );
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        let cases: Vec<(Error, Option<StorageReason>)> = vec![
            (Error::Key(KeyError::Wrong), Some(R::WrongKey)),
            (Error::Key(KeyError::Required), Some(R::KeyRequired)),
            (Error::Key(KeyError::NotEncrypted), Some(R::NotEncrypted)),
            (Error::Key(KeyError::Malformed), None),
            (Error::Corrupt { what: "database file", reason: "x".into() }, Some(R::Corrupt)),
            (Error::Sqlite(corrupt), Some(R::Corrupt)),
            (Error::Sqlite(full), Some(R::Unavailable)),
            (Error::SchemaTooNew { found: 99, supported: 9 }, Some(R::SchemaTooNew)),
            (Error::Io(std::io::Error::other("disk")), Some(R::Unavailable)),
            (Error::validation("sku", "empty"), None),
        ];
        for (e, reason) in cases {
            assert_eq!(e.storage_reason(), reason, "{e}");
        }
    }
}
