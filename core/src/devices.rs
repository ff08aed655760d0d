//! The hub's registry of devices: who is behind each device, in which role,
//! the hash of the token it authenticates with, and where the device is in
//! its life: active, its token expired, reported lost, revoked (ADR 23).
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
    /// When its token stops authenticating (RFC 3339); a sync renews it
    /// before then ([`DeviceRecord::rotation_due`]). `None`: it does not
    /// expire (back-office tokens, which never sync).
    pub token_expires_at: Option<String>,
    /// When the back office reported it lost: its next contact is answered
    /// with a wipe.
    pub lost_at: Option<String>,
    /// When it reported back that it wiped its data (its token is revoked
    /// then).
    pub wiped_at: Option<String>,
}

/// Where a registered device stands when it authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// May sync.
    Active,
    /// Its token expired: the back office issues a new one.
    Expired,
    /// Reported lost: it is told to wipe itself (even with an expired token).
    Lost,
    /// Revoked (or wiped): refused like an unknown token.
    Revoked,
}

/// A token's lifetime unless the hub is configured otherwise.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;

fn parse_time(t: Option<&str>) -> Option<chrono::DateTime<chrono::Utc>> {
    t.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&chrono::Utc))
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

    /// Where the device stands at `now`. An expiry that cannot be read
    /// counts as expired; no expiry at all is a token that does not expire.
    pub fn standing(&self, now: chrono::DateTime<chrono::Utc>) -> Standing {
        let expired = self.token_expires_at.as_deref().is_some_and(|t| parse_time(Some(t)).is_none_or(|t| t <= now));
        if self.revoked_at.is_some() {
            Standing::Revoked
        } else if self.lost_at.is_some() {
            Standing::Lost
        } else if expired {
            Standing::Expired
        } else {
            Standing::Active
        }
    }

    /// Whether a sync at `now` should hand the device its next token: the
    /// last third of a `lifetime` has begun.
    pub fn rotation_due(&self, now: chrono::DateTime<chrono::Utc>, lifetime: chrono::Duration) -> bool {
        self.standing(now) == Standing::Active
            && parse_time(self.token_expires_at.as_deref()).is_some_and(|t| t - now < lifetime / 3)
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
/// authenticates by, the key the device signs approval links with, and when
/// it expires.
#[derive(Debug, Clone)]
pub struct TokenSecrets {
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    /// The device's approval-link key. It stays the device's key for life:
    /// a rotated token does not change it, so links in PDFs already sent
    /// keep working.
    pub link_key: crate::approval_link::LinkKey,
    /// When the token expires (`None`: never, for back-office tokens).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl TokenSecrets {
    /// Derives both from the token, which does not expire (a back-office
    /// token: the hub gives devices [`TokenSecrets::expiring`] ones).
    pub fn of(token: &str) -> TokenSecrets {
        TokenSecrets {
            hash: token_hash(token),
            link_key: crate::approval_link::LinkKey::from_token(token),
            expires_at: None,
        }
    }

    /// The same, expiring at `expires_at`.
    pub fn expiring(token: &str, expires_at: chrono::DateTime<chrono::Utc>) -> TokenSecrets {
        TokenSecrets { expires_at: Some(expires_at), ..TokenSecrets::of(token) }
    }

    /// `expires_at` as the registry stores it.
    pub fn expires_at_text(&self) -> Option<String> {
        self.expires_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
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

    fn device(expires_in_days: i64) -> DeviceRecord {
        DeviceRecord {
            device_id: "d".into(),
            person: "rep-anna".into(),
            role: DeviceRole::Rep,
            account_id: None,
            label: String::new(),
            created_at: "2026-01-01T00:00:00Z".into(),
            revoked_at: None,
            last_seen_at: None,
            token_expires_at: TokenSecrets::expiring("t", now() + chrono::Duration::days(expires_in_days))
                .expires_at_text(),
            lost_at: None,
            wiped_at: None,
        }
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z").unwrap().into()
    }

    #[test]
    fn a_device_stands_by_revocation_then_loss_then_its_tokens_expiry() {
        let lifetime = chrono::Duration::days(90);
        let fresh = device(80);
        assert_eq!(fresh.standing(now()), Standing::Active);
        assert!(!fresh.rotation_due(now(), lifetime));
        let ageing = device(29);
        assert_eq!(ageing.standing(now()), Standing::Active);
        assert!(ageing.rotation_due(now(), lifetime), "the last third has begun");
        let expired = device(0);
        assert_eq!(expired.standing(now()), Standing::Expired, "expiry is exclusive");
        assert!(!expired.rotation_due(now(), lifetime), "an expired token is not renewed");
        let mut lost = device(-5);
        lost.lost_at = Some("2026-05-30T00:00:00Z".into());
        assert_eq!(lost.standing(now()), Standing::Lost, "a lost device is told to wipe even when expired");
        lost.revoked_at = Some("2026-05-31T00:00:00Z".into());
        assert_eq!(lost.standing(now()), Standing::Revoked);
        let mut unreadable = device(10);
        unreadable.token_expires_at = Some("soon".into());
        assert_eq!(unreadable.standing(now()), Standing::Expired);
        unreadable.token_expires_at = None;
        assert_eq!(unreadable.standing(now()), Standing::Active, "no expiry: a back-office token");
        assert!(!unreadable.rotation_due(now(), lifetime), "nothing to renew");
    }

    #[test]
    fn token_hashes_differ_per_token_and_are_stable() {
        assert_eq!(token_hash("a"), token_hash("a"));
        assert_ne!(token_hash("a"), token_hash("b"));
    }
}
