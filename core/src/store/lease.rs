//! The offline lease (ADR 23): a device that has not heard from its hub
//! for longer than the policy allows opens only to sync, so a tablet lost
//! with its store unlocked does not show customer data for ever; and the
//! wipe a lost device performs when its hub tells it to.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{Store, StoreOptions};
use crate::error::{Error, Result};

/// Where a device stands with its offline lease.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LeaseStatus {
    /// When the device last heard from its hub (RFC 3339); `None` before
    /// its first sync (no lease runs yet).
    pub last_contact: Option<String>,
    /// The lease the policy grants, in days (0: no lease).
    pub days: u32,
    /// When the store stops opening without a sync (`None`: no lease runs).
    pub expires_at: Option<String>,
    /// Whether it ran out.
    pub expired: bool,
}

/// The lease at `now`: the last contact the store noted and the days the
/// published policy grants.
pub(super) fn status(c: &Connection, now: DateTime<Utc>) -> Result<LeaseStatus> {
    let last: Option<String> = c.query_row("SELECT last_contact_at FROM device WHERE id = 1", [], |r| r.get(0))?;
    let days = super::reference::load_policy(c)?.offline_lease_days;
    let last_time = last.as_deref().map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| Error::Corrupt { what: "last contact", reason: e.to_string() })
    });
    let expires = match (last_time.transpose()?, days) {
        (Some(t), d) if d > 0 => Some(t + chrono::Duration::days(i64::from(d))),
        _ => None,
    };
    // A last contact ahead of the clock (the clock was ahead then, or was
    // set back since) does not stretch the lease: it counts as run out.
    let ahead = last_time_after(last.as_deref(), now + chrono::Duration::hours(1));
    Ok(LeaseStatus {
        last_contact: last,
        days,
        expires_at: expires.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        expired: expires.is_some_and(|t| t <= now || ahead),
    })
}

fn last_time_after(last: Option<&str>, t: DateTime<Utc>) -> bool {
    last.and_then(|l| DateTime::parse_from_rfc3339(l).ok()).is_some_and(|l| l > t)
}

/// When the lease runs out, as a Unix time (`i64::MAX`: it does not run).
pub(super) fn deadline(s: &LeaseStatus) -> i64 {
    s.expires_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map_or(i64::MAX, |t| t.timestamp())
}

/// Notes that the hub answered (a response or a refusal): the lease runs
/// from now.
pub(crate) fn note_contact(c: &Connection, now: DateTime<Utc>) -> Result<()> {
    c.prepare_cached("UPDATE device SET last_contact_at = ?1 WHERE id = 1")?
        .execute([now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)])?;
    Ok(())
}

impl Store {
    /// Opens a store whose offline lease may have run out, to sync it: if
    /// it has, every call but the sync ones ([`Store::sync_request`],
    /// [`Store::sync_apply`], [`Store::lease_status`]) fails with
    /// [`Error::LeaseExpired`] until an answer from the hub is applied.
    /// [`Store::open`] refuses such a store.
    pub fn open_to_renew(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        Store::open_with_lease(path.as_ref(), options, true)
    }

    /// The offline lease as it stands now.
    pub fn lease_status(&self) -> Result<LeaseStatus> {
        self.read_unleased(|c| status(c, Utc::now()))
    }

    #[cfg(test)]
    fn device_id_unleased(&self) -> String {
        self.read_unleased(crate::store::docs::device_id).unwrap()
    }

    /// Whether the store is open only to sync: its lease ran out, at open
    /// or since (a store kept open locks when the deadline passes).
    pub fn lease_locked(&self) -> bool {
        if self.lease_locked.load(Ordering::Acquire) {
            return true;
        }
        if Utc::now().timestamp() >= self.lease_deadline.load(Ordering::Acquire) {
            self.lease_locked.store(true, Ordering::Release);
            return true;
        }
        false
    }

    /// Ends the lock once the hub answered, and sets the new deadline.
    pub(crate) fn lease_renewed(&self) -> Result<()> {
        let s = self.read_unleased(|c| status(c, Utc::now()))?;
        self.lease_deadline.store(deadline(&s), Ordering::Release);
        self.lease_locked.store(s.expired, Ordering::Release);
        Ok(())
    }

    pub(super) fn lease_error(&self) -> Error {
        match self.read_unleased(|c| status(c, Utc::now())) {
            Ok(s) => Error::LeaseExpired { last_contact: s.last_contact.unwrap_or_default(), days: s.days },
            Err(e) => e,
        }
    }

    /// Deletes a store's files (the database, its WAL, shared-memory and
    /// journal files), for a device its hub reported lost, or a user
    /// erasing the app's data. The store must be closed (dropped) first.
    /// The caller deletes the store's key too: without it, a copy of the
    /// files made before is unreadable (ADR 20). Returns the files deleted.
    pub fn destroy(path: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
        let path = path.as_ref();
        let mut deleted = Vec::new();
        // `.encrypting`: a copy left by an in-place encryption cut short.
        for suffix in ["", "-wal", "-shm", "-journal", ".encrypting"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = PathBuf::from(name);
            match std::fs::remove_file(&file) {
                Ok(()) => deleted.push(file),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The deletions reach the disk before the device reports back.
            std::fs::File::open(dir).and_then(|d| d.sync_all()).ok();
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{encrypted, temp_store};

    fn set_last_contact(store: &Store, at: DateTime<Utc>) {
        store.write_unleased(|tx| note_contact(tx, at)).unwrap();
    }

    #[test]
    fn a_store_past_its_lease_opens_only_to_sync_and_a_sync_renews_it() {
        let dir = tempfile::tempdir().unwrap();
        let options = encrypted();
        let path = dir.path().join("tablet.sqlite");
        let store = Store::open(&path, options.clone()).unwrap();
        store.save_account(&crate::fixtures::account("acc-1")).unwrap();
        assert_eq!(store.lease_status().unwrap().expires_at, None, "no lease before the first contact");
        set_last_contact(&store, Utc::now() - chrono::Duration::days(29));
        let s = store.lease_status().unwrap();
        assert_eq!((s.days, s.expired), (30, false));
        set_last_contact(&store, Utc::now() - chrono::Duration::days(31));
        drop(store);
        let refused = Store::open(&path, options.clone()).unwrap_err();
        assert!(matches!(refused, Error::LeaseExpired { days: 30, .. }), "{refused:?}");
        assert_eq!(refused.kind(), crate::ErrorKind::LeaseExpired);
        let store = Store::open_to_renew(&path, options.clone()).unwrap();
        assert!(store.lease_locked());
        assert!(matches!(store.list_accounts(None, 0, 10), Err(Error::LeaseExpired { .. })));
        assert!(matches!(store.discount_policy(), Err(Error::LeaseExpired { .. })));
        assert!(matches!(store.save_account(&crate::fixtures::account("acc-2")), Err(Error::LeaseExpired { .. })));
        assert!(store.lease_status().unwrap().expired);
        // A malformed answer renews nothing.
        let request = store.sync_request().unwrap();
        assert!(store.sync_apply(b"no answer").is_err());
        assert!(store.lease_locked());
        // The hub's answer does; the data is all there.
        let (_hub_dir, hub) = temp_store();
        let scope = crate::sync::DeviceScope::all(&store.device_id_unleased());
        let answer = hub.hub_handle(&scope, &request).unwrap();
        store.sync_apply(&answer).unwrap();
        assert!(!store.lease_locked());
        assert_eq!(store.list_accounts(None, 0, 10).unwrap().items.len(), 1);
        drop(store);
        let reopened = Store::open(&path, options).unwrap();
        assert!(!reopened.lease_status().unwrap().expired);
    }

    #[test]
    fn a_store_kept_open_locks_when_its_lease_runs_out() {
        let (_dir, store) = temp_store();
        set_last_contact(&store, Utc::now() - chrono::Duration::days(29));
        store.lease_renewed().unwrap();
        assert!(store.list_accounts(None, 0, 10).is_ok());
        // The deadline passes while the app holds the store open.
        set_last_contact(&store, Utc::now() - chrono::Duration::days(30) + chrono::Duration::seconds(2));
        store.lease_renewed().unwrap();
        assert!(!store.lease_locked());
        std::thread::sleep(std::time::Duration::from_millis(2500));
        assert!(matches!(store.list_accounts(None, 0, 10), Err(Error::LeaseExpired { .. })));
        assert!(store.lease_locked());
    }

    #[test]
    fn a_last_contact_ahead_of_the_clock_does_not_stretch_the_lease() {
        let (_dir, store) = temp_store();
        set_last_contact(&store, Utc::now() + chrono::Duration::days(300));
        assert!(store.lease_status().unwrap().expired);
        set_last_contact(&store, Utc::now() + chrono::Duration::minutes(5));
        assert!(!store.lease_status().unwrap().expired, "a few minutes of clock skew are fine");
    }

    #[test]
    fn a_lease_of_zero_days_never_runs_out() {
        let (_dir, store) = temp_store();
        let policy = crate::quote::DiscountPolicy { offline_lease_days: 0, ..Default::default() };
        store.set_discount_policy(&policy).unwrap();
        set_last_contact(&store, Utc::now() - chrono::Duration::days(400));
        let s = store.lease_status().unwrap();
        assert!(!s.expired && s.expires_at.is_none(), "{s:?}");
    }

    #[test]
    fn destroying_a_store_deletes_its_files() {
        let (dir, store) = temp_store();
        let path = store.path().to_path_buf();
        store.save_account(&crate::fixtures::account("acc-1")).unwrap();
        drop(store);
        let other = dir.path().join("other.sqlite");
        std::fs::write(&other, b"x").unwrap();
        let deleted = Store::destroy(&path).unwrap();
        assert!(deleted.contains(&path));
        assert!(!path.exists());
        assert!(other.exists(), "nothing else");
        assert!(Store::destroy(&path).unwrap().is_empty(), "twice is harmless");
    }
}
