//! The hub on PostgreSQL, for several `onsite serve` instances on one
//! database (ADR 12).
//!
//! - Documents are append-only, content-addressed change chunks
//!   (`doc_chunks`); an instance adds the chunk of changes it merged and
//!   never rewrites another's. Writers of one document are serialised by
//!   its row in `documents`, so the projection written last saw every
//!   chunk before it.
//! - The document change sequence is taken from one counter row at the
//!   very end of each writing transaction: numbers follow commit order, so
//!   a device's cursor never skips a change another instance committed
//!   later with a smaller number.
//! - Reference data is published as releases (deltas); each instance
//!   replays them into a local SQLite replica and pages the catalog from it
//!   with the same code as the embedded hub.
//!
//! The room: `mod.rs` the backend, opening it and its transactions with
//! retries; `schema.rs` the schema and its upgrades (`schema.sql`);
//! `pool.rs` the connection pool; `replica.rs` the catalog replica and
//! publishing releases; `storage.rs` `HubStorage` on one transaction;
//! `blobs.rs` `HubBlobStorage` (files, ADR 29) on one transaction;
//! `backend.rs` the `Backend` calls.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use automerge::ActorId;
use onsite_core::Store;
use onsite_core::crdt;
use postgres::error::SqlState;

use crate::error::Result;

mod backend;
mod blobs;
#[cfg(test)]
mod blobs_tests;
mod pool;
mod replica;
mod schema;
mod storage;

use pool::Pool;
use replica::replica_options;
use storage::PgHub;

/// Attempts for a transaction that hit a deadlock or serialisation failure.
const ATTEMPTS: usize = 4;

/// The hub on PostgreSQL.
pub struct PgBackend {
    pool: Pool,
    /// This instance's own Automerge actor (instances never share one).
    actor: ActorId,
    /// A directory of this instance's own for its replicas (removed on drop).
    replica_dir: PathBuf,
    /// Replicas made so far (a rebuild opens a new file beside the old).
    generation: std::sync::atomic::AtomicU32,
    replica: Mutex<Arc<Store>>,
    /// Held while the replica is brought up to date or published from.
    replica_write: Mutex<()>,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend").field("replica_dir", &self.replica_dir).finish_non_exhaustive()
    }
}

fn retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE)
}

impl PgBackend {
    /// Connects (at most `pool` connections), creates the schema in an
    /// empty database, and builds the catalog replica from the releases.
    pub fn open(url: &str, pool: usize) -> Result<PgBackend> {
        let pool = Pool::new(url, pool.max(2));
        schema::set_up(&mut pool.get()?)?;
        let instance = uuid::Uuid::new_v4().to_string();
        let replica_dir = std::env::temp_dir().join(format!("onsite-replica-{instance}"));
        std::fs::create_dir_all(&replica_dir)?;
        let first = Store::open(replica_dir.join("replica-0.sqlite"), replica_options()?)?;
        let backend = PgBackend {
            pool,
            actor: crdt::actor_for(&instance),
            replica_dir,
            generation: std::sync::atomic::AtomicU32::new(0),
            replica: Mutex::new(Arc::new(first)),
            replica_write: Mutex::new(()),
        };
        let mut c = backend.pool.get()?;
        backend.catch_up(&mut c)?;
        drop(c);
        backend.project_missing_attachments()?;
        Ok(backend)
    }

    /// Runs `f` in a transaction, retrying deadlocks and serialisation
    /// failures.
    fn with_hub<T>(&self, mut f: impl FnMut(&mut PgHub<'_, '_>) -> onsite_core::Result<T>) -> Result<T> {
        let mut c = self.pool.get()?;
        let replica = self.current_replica(&mut c)?;
        let (client, statements) = c.parts();
        for attempt in 1..=ATTEMPTS {
            let mut tx = client.transaction()?;
            let mut hub = PgHub::new(&mut tx, statements, &replica, &self.actor);
            let out = f(&mut hub).and_then(|v| hub.finish().map(|()| v));
            let pg_error = hub.error.take();
            match out {
                Ok(v) => match tx.commit() {
                    Ok(()) => return Ok(v),
                    Err(e) if retryable(&e) && attempt < ATTEMPTS => continue,
                    Err(e) => return Err(e.into()),
                },
                Err(e) => {
                    drop(tx);
                    match pg_error {
                        Some(pg) if retryable(&pg) && attempt < ATTEMPTS => continue,
                        Some(pg) => return Err(pg.into()),
                        None => return Err(e.into()),
                    }
                }
            }
        }
        Err(onsite_core::Error::Backend("gave up after repeated deadlocks".into()).into())
    }
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.replica_dir);
    }
}
