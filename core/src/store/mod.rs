//! The offline store: SQLite in WAL mode, one writer and N readers.
//!
//! [`Store`] is the entry point of the core. It owns one writer connection
//! (behind a mutex; every write is one `IMMEDIATE` transaction that commits
//! when the closure returns `Ok`) and a small pool of read-only connections,
//! so searches never wait for an import. Repositories are methods on the
//! store, grouped by file: `catalog.rs` (reference data), `accounts.rs`
//! (field data), `search.rs` (full-text search).

mod accounts;
mod activities;
mod attachments;
pub(crate) mod blobs;
pub(crate) mod catalog;
mod cipher;
pub(crate) mod codec;
mod devices;
pub(crate) mod docs;
pub(crate) mod erased;
pub(crate) mod erasure;
mod lease;
pub(crate) mod media;
mod migrations;
mod pdfs;
mod profiles;
mod projections;
mod quotes;
mod reference;
mod scoring;
mod search;
mod search_baselines;
mod search_hit;
mod search_index;
mod search_match;
mod search_plan;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::lexicon::Lexicon;

pub use accounts::{AccountSummary, ContactMatch};
pub use blobs::BlobBudget;
pub use catalog::{ImportProgress, ImportSummary};
pub use cipher::StoreKey;
pub use docs::DocInfo;
pub use lease::LeaseStatus;
pub(crate) use lease::note_contact;
pub use migrations::SCHEMA_VERSION;
pub use quotes::{GrantedDiscount, QuoteSummary};
pub use scoring::{AccountScore, ActivityImportSummary};
pub use search::{AccountQuery, MatchField, MatchKind, MatchTier, Page, ProductHit, ProductQuery, WordMatch};

/// How to open a [`Store`].
#[derive(Clone)]
pub struct StoreOptions {
    /// Read-only connections in the pool (at least 1). Default 2: a phone
    /// rarely runs more than the UI and one background job at once.
    pub readers: usize,
    /// How long a connection waits for a lock before giving up.
    pub busy_timeout: Duration,
    /// The key that encrypts the database and its WAL at rest (ADR 20).
    /// `None`: a plaintext database (the hub's catalog replica, tests that
    /// read the file). Devices always pass one.
    pub key: Option<StoreKey>,
    /// Whether a plaintext database opened with a key is encrypted in place
    /// (crash-safely) or refused with [`crate::KeyError::NotEncrypted`].
    /// Default `true`.
    pub encrypt_plaintext: bool,
    /// The device id for a new database (for instance the installation id
    /// the back office registered). `None`: a random UUID. A database that
    /// has documents keeps its id and refuses another one.
    pub device_id: Option<String>,
    /// How a commit reaches the disk (ADR 22). Every shipped store keeps
    /// the default, [`Synchronous::Full`]; the other levels exist for the
    /// benchmark and the negative controls of the durability tests.
    #[doc(hidden)]
    pub synchronous: Synchronous,
    /// The name of a registered SQLite VFS to open the file on, instead of
    /// the default one (the power-cut tests' VFS). `None` in production.
    #[doc(hidden)]
    pub vfs: Option<String>,
    /// Whether freed pages and deleted cells are zeroed (`PRAGMA
    /// secure_delete`, ADR 24). Every shipped store keeps the default,
    /// `true`; `false` exists for the benchmark of its cost and the
    /// negative control of the erasure test.
    #[doc(hidden)]
    pub secure_delete: bool,
}

/// SQLite's `synchronous` setting for the store's writer (ADR 22).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `FULL`: the WAL is synced at the end of every commit, so a write
    /// that returned `Ok` (and a sync the hub answered) survives a power
    /// cut. The default, on devices and on the hub.
    #[default]
    Full,
    /// `NORMAL`: the WAL is synced only at checkpoints. Survives a crash of
    /// the process; a power cut may take the last commits with it.
    Normal,
    /// `OFF`: nothing is synced. For negative controls only.
    Off,
}

impl Synchronous {
    /// The value of `PRAGMA synchronous`.
    pub fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
            Synchronous::Off => "OFF",
        }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            readers: 2,
            busy_timeout: Duration::from_secs(5),
            key: None,
            encrypt_plaintext: true,
            device_id: None,
            synchronous: Synchronous::Full,
            vfs: None,
            secure_delete: true,
        }
    }
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field("readers", &self.readers)
            .field("busy_timeout", &self.busy_timeout)
            .field("key", &self.key)
            .field("encrypt_plaintext", &self.encrypt_plaintext)
            .field("device_id", &self.device_id)
            .field("synchronous", &self.synchronous)
            .field("vfs", &self.vfs)
            .field("secure_delete", &self.secure_delete)
            .finish()
    }
}

/// The offline database of one device (or of the hub's catalog).
///
/// `Store` is `Send + Sync`: share it behind an `Arc` between threads.
pub struct Store {
    path: PathBuf,
    // Readers are declared (and so dropped) before the writer: the last
    // connection to close checkpoints the WAL and removes it, which only a
    // read-write connection can do.
    readers: Vec<Mutex<Connection>>,
    writer: Mutex<Connection>,
    next_reader: AtomicUsize,
    /// The search vocabulary of the latest catalog state a reader saw.
    lexicon: Mutex<Option<Arc<Lexicon>>>,
    /// Open only to sync: the offline lease ran out (ADR 23).
    lease_locked: AtomicBool,
    /// When it runs out (Unix time; `i64::MAX`: no lease runs).
    lease_deadline: AtomicI64,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).field("readers", &self.readers.len()).finish()
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding a connection leaves SQLite consistent (an open
    // transaction is rolled back when it is dropped), so poisoning is ignored.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A failure to read a plaintext (or new) file: a damaged file is
/// [`Error::Corrupt`].
fn classify_plain(e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            Error::Corrupt { what: "database file", reason: "not a readable SQLite database".into() }
        }
        _ => e.into(),
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to [`SCHEMA_VERSION`].
    ///
    /// With a key, the database and its WAL are encrypted; a plaintext
    /// database is encrypted in place first (see
    /// [`StoreOptions::encrypt_plaintext`]). Fails with [`Error::Key`] when
    /// the key and the file do not go together (wrong key, no key for an
    /// encrypted file) and never creates a new database over an existing
    /// one; with [`Error::Corrupt`] for a damaged file, and with
    /// [`Error::SchemaTooNew`] for a database written by a newer version.
    ///
    /// A device store whose offline lease ran out is refused with
    /// [`Error::LeaseExpired`]: open it with [`Store::open_to_renew`] and
    /// sync.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        Store::open_with_lease(path.as_ref(), options, false)
    }

    fn open_with_lease(path: &Path, options: StoreOptions, renew: bool) -> Result<Store> {
        let path = path.to_path_buf();
        if options.readers == 0 || options.readers > 64 {
            return Err(Error::validation("readers", "must be between 1 and 64"));
        }
        let state = cipher::file_state(&path)?;
        match (state, &options.key) {
            (cipher::FileState::Encrypted, None) => return Err(Error::Key(crate::KeyError::Required)),
            (cipher::FileState::Plain, Some(_)) if !options.encrypt_plaintext => {
                return Err(Error::Key(crate::KeyError::NotEncrypted));
            }
            (cipher::FileState::Plain, Some(key)) => cipher::encrypt_in_place(&path, key)?,
            (cipher::FileState::Encrypted, Some(_)) => cipher::check_whole_pages(&path)?,
            _ => {}
        }
        let connect = |flags: OpenFlags| -> Result<Connection> {
            let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
            let c = match &options.vfs {
                Some(vfs) => Connection::open_with_flags_and_vfs(&path, flags, vfs.as_str())?,
                None => Connection::open_with_flags(&path, flags)?,
            };
            if let Some(key) = &options.key {
                key.apply(&c)?;
            }
            c.busy_timeout(options.busy_timeout)?;
            Ok(c)
        };
        let mut writer = connect(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
        // The first read of the file: where a wrong key or a damaged file shows.
        if let Err(e) = writer.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            return Err(match options.key {
                Some(_) => cipher::refused(&path, e),
                None => classify_plain(e),
            });
        }
        let mode: String = writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Corrupt {
                what: "journal mode",
                reason: format!("could not switch to WAL (got {mode})"),
            });
        }
        // FULL: the WAL is synced at every commit, so what a write returned
        // `Ok` for survives a power cut, not only a crash (ADR 22; NORMAL
        // lost acknowledged writes in the power-cut test). On Apple systems
        // fsync() leaves the data in the drive's cache; F_FULLFSYNC flushes it.
        writer.pragma_update(None, "synchronous", options.synchronous.pragma())?;
        if cfg!(target_vendor = "apple") && options.synchronous == Synchronous::Full {
            writer.pragma_update(None, "fullfsync", true)?;
            writer.pragma_update(None, "checkpoint_fullfsync", true)?;
        }
        writer.pragma_update(None, "foreign_keys", true)?;
        // Freed pages and deleted cells are zeroed, so what is deleted (an
        // erased person, ADR 24) does not linger in free pages of the file.
        writer.pragma_update(None, "secure_delete", options.secure_delete)?;
        // 32 MB of page cache for the writer: a 100k-product import touches
        // several indexes at once; readers have 8 MB each (below).
        writer.pragma_update(None, "cache_size", -32_000)?;
        writer.set_prepared_statement_cache_capacity(64);
        let found = migrations::migrate(&mut writer)?;
        {
            let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(id) = &options.device_id {
                docs::set_device_id(&tx, id)?;
            }
            if (1..migrations::DOCUMENTS_VERSION).contains(&found) {
                docs::backfill(&tx)?;
            }
            if (1..migrations::PERSON_VERSION).contains(&found) {
                erasure::upgrade(&tx)?;
            }
            if search_index::outdated(&tx)? {
                catalog::rebuild_search_index(&tx)?;
            }
            tx.commit()?;
        }
        if (1..migrations::PERSON_VERSION).contains(&found) {
            // Pages freed before `secure_delete` was on may still hold
            // deleted data: rewritten once.
            writer.execute_batch("VACUUM")?;
        }

        let mut readers = Vec::with_capacity(options.readers);
        for _ in 0..options.readers {
            let r = connect(OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            r.pragma_update(None, "query_only", true)?;
            // 8 MB of page cache per reader (SQLite's default is 2 MB): the
            // search index's hot pages stay decrypted in memory instead of
            // being read and decrypted again (ADR 20; BENCHMARKS.md).
            r.pragma_update(None, "cache_size", -8_000)?;
            r.set_prepared_statement_cache_capacity(64);
            readers.push(Mutex::new(r));
        }
        let lease = lease::status(&writer, chrono::Utc::now())?;
        if lease.expired && !renew {
            return Err(Error::LeaseExpired { last_contact: lease.last_contact.unwrap_or_default(), days: lease.days });
        }
        Ok(Store {
            path,
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            lexicon: Mutex::new(None),
            lease_locked: AtomicBool::new(lease.expired),
            lease_deadline: AtomicI64::new(lease::deadline(&lease)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database (always [`SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }

    /// Runs `f` in a read transaction on a pooled read-only connection: a
    /// consistent snapshot that never blocks the writer.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if self.lease_locked() {
            return Err(self.lease_error());
        }
        self.read_unleased(f)
    }

    /// [`Store::read`] even when the store is open only to sync.
    pub(crate) fn read_unleased<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let guard = (0..n)
            .find_map(|i| self.readers[(start + i) % n].try_lock().ok())
            .unwrap_or_else(|| lock(&self.readers[start % n]));
        let tx = guard.unchecked_transaction()?;
        let out = f(&tx)?;
        tx.finish()?;
        Ok(out)
    }

    /// Runs `f` in one `IMMEDIATE` write transaction, committed if `f`
    /// returns `Ok` and rolled back otherwise.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        if self.lease_locked() {
            return Err(self.lease_error());
        }
        self.write_unleased(f)
    }

    /// Copies the WAL into the database file and truncates it to zero bytes
    /// (after an erasure: the WAL's older frames still hold the removed
    /// data). Waits for readers to finish (a checkpoint cannot pass a
    /// reader's snapshot) and fails if one stays.
    pub(crate) fn checkpoint_truncate(&self) -> Result<()> {
        let guard = lock(&self.writer);
        for attempt in 0..50 {
            let (busy, _log, _done): (i64, i64, i64) =
                guard.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(10 * (attempt + 1)));
        }
        Err(Error::Backend("the WAL could not be checkpointed after an erasure: a reader kept its snapshot".into()))
    }

    /// [`Store::write`] even when the store is open only to sync.
    pub(crate) fn write_unleased<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut guard = lock(&self.writer);
        let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Arc;

    pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let store = Store::open(dir.path().join("t.sqlite"), encrypted()).unwrap_or_else(|e| panic!("open: {e}"));
        (dir, store)
    }

    /// Options with a fresh key: the core's tests run on encrypted stores,
    /// as devices do.
    pub(crate) fn encrypted() -> StoreOptions {
        StoreOptions { key: Some(StoreKey::generate().unwrap_or_else(|e| panic!("key: {e}"))), ..Default::default() }
    }

    #[test]
    fn opens_in_wal_with_foreign_keys() -> Result<()> {
        let (_d, store) = temp_store();
        let mode: String = store.read(|c| Ok(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?))?;
        assert_eq!(mode, "wal");
        let fk: i64 = store.write(|c| Ok(c.pragma_query_value(None, "foreign_keys", |r| r.get(0))?))?;
        assert_eq!(fk, 1);
        // 2 = FULL: every commit syncs the WAL (ADR 22).
        let sync: i64 = store.write(|c| Ok(c.pragma_query_value(None, "synchronous", |r| r.get(0))?))?;
        assert_eq!(sync, 2);
        assert_eq!(store.schema_version()?, SCHEMA_VERSION);
        Ok(())
    }

    #[test]
    fn closing_the_store_checkpoints_and_removes_the_wal() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("w.sqlite");
        {
            let store = Store::open(&path, StoreOptions::default())?;
            store.write(|tx| Ok(tx.execute("UPDATE catalog_state SET seq = 7", [])?))?;
            let _ = store.catalog_seq()?; // a reader was used too
        }
        assert!(!dir.path().join("w.sqlite-wal").exists(), "WAL removed on close");
        assert_eq!(Store::open(&path, StoreOptions::default())?.catalog_seq()?, 7, "and nothing lost");
        Ok(())
    }

    #[test]
    fn readers_are_read_only() {
        let (_d, store) = temp_store();
        let r = store.read(|c| Ok(c.execute("DELETE FROM tax_classes", [])?));
        assert!(r.is_err(), "a reader must not write");
    }

    #[test]
    fn failed_write_rolls_back() -> Result<()> {
        let (_d, store) = temp_store();
        let r: Result<()> = store.write(|tx| {
            tx.execute("UPDATE catalog_state SET seq = 42", [])?;
            Err(Error::validation("test", "abort"))
        });
        assert!(r.is_err());
        assert_eq!(store.catalog_seq()?, 0);
        Ok(())
    }

    #[test]
    fn readers_see_commits_and_run_in_parallel() -> Result<()> {
        let (_d, store) = temp_store();
        let store = Arc::new(store);
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let s = Arc::clone(&store);
                std::thread::spawn(move || (0..50).map(|_| s.tax_classes().map(|t| t.len())).collect::<Vec<_>>())
            })
            .collect();
        for h in handles {
            let counts = h.join().map_err(|_| Error::validation("thread", "panicked"))?;
            assert!(counts.iter().all(|c| matches!(c, Ok(2))));
        }
        Ok(())
    }
}
