//! The hub's registry of devices: who is behind each device, in which role,
//! and the hash of the token it authenticates with.
//!
//! Tokens are made and shown by the hub (the server crate); the core only
//! stores their SHA-256. A token carries 256 random bits, so a fast hash is
//! enough: there is nothing to guess that a slow password hash would
//! protect (ADR 11).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::roles::DeviceRole;
use crate::rules::{FieldError, Result};

/// A device the back office registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRecord {
    /// The device id the hub assigned (the device's store uses it as its id).
    pub device_id: String,
    /// The person behind the device (a rep id, a customer contact, a
    /// back-office user); reps' assignments are by person.
    pub person: String,
    /// What the person may do.
    #[serde(serialize_with = "role_name")]
    pub role: DeviceRole,
    /// The customer's account (customers only).
    pub account_id: Option<String>,
    /// A free label ("Anna's tablet").
    pub label: String,
    /// When it was registered (RFC 3339).
    pub created_at: String,
    /// When its token was revoked, if it was.
    pub revoked_at: Option<String>,
    /// When it last authenticated.
    pub last_seen_at: Option<String>,
}

impl DeviceRecord {
    /// Whether the hub should write a new last-seen time: the last note is
    /// missing or more than a minute older than `now` (a read-mostly path
    /// that keeps the writer free for syncs).
    pub fn seen_note_stale(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.last_seen_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_none_or(|t| now.signed_duration_since(t) > chrono::Duration::seconds(60))
    }
}

fn role_name<S: serde::Serializer>(role: &DeviceRole, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(role.as_str())
}

/// What the back office asks for when it issues a device token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// The person behind the device.
    pub person: String,
    /// Their role.
    pub role: DeviceRole,
    /// The customer's account; required for customers, refused otherwise.
    pub account_id: Option<String>,
    /// A free label.
    pub label: String,
}

/// Longest person id, label or account id accepted.
const MAX_NAME: usize = 200;

impl NewDevice {
    /// Checks the request: a person id, an account exactly for customers,
    /// sane lengths.
    pub fn validate(&self) -> Result<()> {
        let person = self.person.trim();
        if person.is_empty() || person.len() > MAX_NAME || person.chars().any(char::is_control) {
            return Err(FieldError::new("person", format!("must be 1 to {MAX_NAME} printable characters")));
        }
        if self.label.len() > MAX_NAME || self.label.chars().any(char::is_control) {
            return Err(FieldError::new("label", format!("must be at most {MAX_NAME} printable characters")));
        }
        match (self.role, &self.account_id) {
            (DeviceRole::Customer, None) => Err(FieldError::new("account_id", "a customer device needs its account")),
            (DeviceRole::Customer, Some(a)) if a.trim().is_empty() || a.len() > MAX_NAME => {
                Err(FieldError::new("account_id", "must be an account id"))
            }
            (DeviceRole::Admin | DeviceRole::Rep, Some(_)) => {
                Err(FieldError::new("account_id", "only customer devices belong to one account"))
            }
            _ => Ok(()),
        }
    }
}

/// The stored form of a token: its SHA-256.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// What the hub keeps of a token when it issues it: the hash it
/// authenticates by and the key the device signs approval links with.
#[derive(Debug, Clone)]
pub struct TokenSecrets {
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    /// The device's approval-link key.
    pub link_key: crate::approval_link::LinkKey,
}

impl TokenSecrets {
    /// Derives both from the token.
    pub fn of(token: &str) -> TokenSecrets {
        TokenSecrets { hash: token_hash(token), link_key: crate::approval_link::LinkKey::from_token(token) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(role: DeviceRole, account: Option<&str>) -> NewDevice {
        NewDevice { person: "rep-anna".into(), role, account_id: account.map(Into::into), label: String::new() }
    }

    #[test]
    fn a_customer_device_needs_an_account_and_only_customers_have_one() {
        assert!(new(DeviceRole::Customer, Some("acc-1")).validate().is_ok());
        assert!(new(DeviceRole::Customer, None).validate().is_err());
        assert!(new(DeviceRole::Rep, Some("acc-1")).validate().is_err());
        assert!(new(DeviceRole::Admin, None).validate().is_ok());
        let mut bad = new(DeviceRole::Rep, None);
        bad.person = " ".into();
        assert!(bad.validate().is_err());
        bad.person = "x".repeat(201);
        assert!(bad.validate().is_err());
        bad.person = "a\nb".into();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn token_hashes_differ_per_token_and_are_stable() {
        assert_eq!(token_hash("a"), token_hash("a"));
        assert_ne!(token_hash("a"), token_hash("b"));
    }
}
