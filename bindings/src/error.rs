//! The one public error, and the one place core errors are converted to it.

/// What went wrong, as a caller can act on it. The message is plain text for
/// people and logs; it never contains personal data (names, e-mail
/// addresses): it names fields and keys only.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum OnsiteError {
    /// The input was refused (a rule, a bad file, a bad amount); fix and retry.
    #[error("{0}")]
    Validation(String),
    /// A looked-up record does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change collides with the current state (reload, then retry).
    #[error("{0}")]
    Conflict(String),
    /// The database could not be read or written (disk, a newer schema…).
    #[error("{0}")]
    Storage(String),
    /// Synchronisation with the hub failed; local data is intact.
    #[error("{0}")]
    Sync(String),
    /// The device is not (or no longer) allowed to do this.
    #[error("{0}")]
    Unauthorized(String),
    /// The offline lease ran out: the store was opened only to sync
    /// (`OnsiteStore.openToRenew`); sync with the hub, then open it again.
    #[error("{0}")]
    LeaseExpired(String),
    /// A bug: report it with the message.
    #[error("{0}")]
    Internal(String),
}

/// Why a store could not be opened: [`OpenError::Storage`] says what to do
/// through its `reason` (a wrong key, a missing key, a damaged file…).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum OpenError {
    /// The database file could not be opened or read.
    #[error("{detail}")]
    Storage {
        /// What to do: find the right key, pass one, erase and sync anew,
        /// update the app, or free the disk.
        reason: onsite_core::StorageReason,
        /// The message, for people and logs (never personal data).
        detail: String,
    },
    /// The arguments were refused (a key that is not 32 bytes).
    #[error("{detail}")]
    Validation {
        /// The message.
        detail: String,
    },
    /// The device has not reached its hub for longer than the offline
    /// lease allows: open it with `open_to_renew` and sync first.
    #[error("{detail}")]
    LeaseExpired {
        /// When the device last heard from its hub (RFC 3339).
        last_contact: String,
        /// The lease the policy grants, in days.
        days: u32,
        /// The message.
        detail: String,
    },
}

impl From<onsite_core::Error> for OpenError {
    fn from(e: onsite_core::Error) -> Self {
        let detail = e.to_string();
        if let onsite_core::Error::LeaseExpired { last_contact, days } = e {
            return OpenError::LeaseExpired { last_contact, days, detail };
        }
        match e.storage_reason() {
            Some(reason) => OpenError::Storage { reason, detail },
            // Opening fails with a storage problem or with bad arguments;
            // nothing else reaches here, and a bug still says what it is.
            None => OpenError::Validation { detail },
        }
    }
}

impl From<onsite_core::Error> for OnsiteError {
    fn from(e: onsite_core::Error) -> Self {
        use onsite_core::ErrorKind as K;
        let message = e.to_string();
        // The core's one classification (the CLI and the hub use it too).
        match e.kind() {
            K::Invalid => OnsiteError::Validation(message),
            K::NotFound => OnsiteError::NotFound(message),
            K::Conflict => OnsiteError::Conflict(message),
            K::Unauthorized => OnsiteError::Unauthorized(message),
            K::Sync => OnsiteError::Sync(message),
            K::Storage => OnsiteError::Storage(message),
            K::LeaseExpired => OnsiteError::LeaseExpired(message),
            K::Internal => OnsiteError::Internal(message),
        }
    }
}

impl From<onsite_core::money::MoneyError> for OnsiteError {
    fn from(e: onsite_core::money::MoneyError) -> Self {
        OnsiteError::Validation(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_actionable_variants() {
        let v: OnsiteError = onsite_core::Error::validation("email", "is not an e-mail address").into();
        assert!(matches!(&v, OnsiteError::Validation(m) if m == "invalid email: is not an e-mail address"));
        let n: OnsiteError = onsite_core::Error::not_found("product", "X-1").into();
        assert!(matches!(&n, OnsiteError::NotFound(m) if m == "product not found: X-1"));
        let s: OnsiteError = onsite_core::Error::SchemaTooNew { found: 9, supported: 2 }.into();
        assert!(matches!(s, OnsiteError::Storage(_)));
        let c: OnsiteError = onsite_core::Error::Conflict { what: "contact", reason: "x".into() }.into();
        assert!(matches!(c, OnsiteError::Conflict(_)));
        let t: OnsiteError =
            onsite_core::Error::Sync(onsite_core::sync::SyncError::Frame(onsite_core::sync::FrameError::Truncated))
                .into();
        assert!(matches!(&t, OnsiteError::Sync(m) if m == "the frame is truncated"));
        let u: OnsiteError =
            onsite_core::Error::Sync(onsite_core::sync::SyncError::OutOfScope { doc: "quote/x".into() }).into();
        assert!(matches!(u, OnsiteError::Unauthorized(_)));
        let stale: OnsiteError =
            onsite_core::Error::Quote(onsite_core::quote::QuoteError::StaleApproval { current: 2 }).into();
        assert!(matches!(stale, OnsiteError::Conflict(_)), "a stale approval is a conflict, as at the hub (409)");
    }

    #[test]
    fn opening_errors_carry_a_reason_to_act_on() {
        use onsite_core::{KeyError, StorageReason as R};
        let wrong: OpenError = onsite_core::Error::Key(KeyError::Wrong).into();
        assert!(matches!(&wrong, OpenError::Storage { reason: R::WrongKey, detail } if detail.contains("wrong key")));
        let missing: OpenError = onsite_core::Error::Key(KeyError::Required).into();
        assert!(matches!(missing, OpenError::Storage { reason: R::KeyRequired, .. }));
        let corrupt: OpenError = onsite_core::Error::Corrupt { what: "database file", reason: "x".into() }.into();
        assert!(matches!(corrupt, OpenError::Storage { reason: R::Corrupt, .. }));
        let short: OpenError = onsite_core::Error::Key(KeyError::Malformed).into();
        assert!(matches!(short, OpenError::Validation { .. }));
    }
}
