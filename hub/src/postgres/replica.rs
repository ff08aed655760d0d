//! The catalog replica: reference data is published as releases (deflated
//! deltas); each instance replays them into a local SQLite store and pages
//! the catalog from it with the same code as the embedded hub.

use std::io::{Read, Write};
use std::sync::Arc;

use onsite_core::catalog::Seq;
use onsite_core::release::CatalogDelta;
use onsite_core::{Store, StoreOptions};
use postgres::Row;

use super::PgBackend;
use super::pool::Conn;
use crate::error::Result;

/// Advisory lock key of catalog publishing.
const LOCK_PUBLISH: i64 = 0x6f6e_7369_7465_0002;

fn deflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes)?;
    Ok(z.finish()?)
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).take(1 << 30).read_to_end(&mut out)?;
    Ok(out)
}

/// A replica holds the catalog with its costs; it is rebuilt from the
/// releases on every start, so it is encrypted with a key that lives only
/// in this process's memory.
pub(super) fn replica_options() -> Result<StoreOptions> {
    Ok(StoreOptions { key: Some(onsite_core::StoreKey::generate()?), ..StoreOptions::default() })
}

/// Applies published releases (each row's first column: a deflated delta)
/// to a replica, in order.
fn apply_releases(replica: &Store, rows: &[Row]) -> Result<()> {
    for r in rows {
        let delta: CatalogDelta = serde_json::from_slice(&inflate(r.get::<_, &[u8]>(0))?)?;
        replica.apply_catalog_delta(&delta)?;
    }
    Ok(())
}

impl PgBackend {
    pub(super) fn replica(&self) -> Arc<Store> {
        self.replica.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The replica, first brought up to date if a newer release exists (a
    /// one-row query on the request's own connection; the replica lock is
    /// taken only when there is something to replay).
    pub(super) fn current_replica(&self, c: &mut Conn<'_>) -> Result<Arc<Store>> {
        let replica = self.replica();
        let st = c.statement("SELECT coalesce(max(seq), 0) FROM catalog_releases")?;
        let latest: i64 = c.client().query_one(&st, &[])?.get(0);
        if latest <= replica.catalog_seq()? {
            return Ok(replica);
        }
        self.catch_up(c)
    }

    /// Replays releases newer than the replica's sequence.
    pub(super) fn catch_up(&self, c: &mut Conn<'_>) -> Result<Arc<Store>> {
        let _w = self.replica_write.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let replica = self.replica();
        let st = c.statement("SELECT delta FROM catalog_releases WHERE seq > $1 ORDER BY seq")?;
        let rows = c.client().query(&st, &[&replica.catalog_seq()?])?;
        apply_releases(&replica, &rows)?;
        Ok(replica)
    }

    /// Replaces the replica by a new one built from all releases (after a
    /// failed publish left it ahead of the database). The old file stays
    /// until the instance stops: requests may still be reading it.
    fn rebuild_replica(&self, c: &mut Conn<'_>) -> Result<()> {
        let n = self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let fresh = Store::open(self.replica_dir.join(format!("replica-{n}.sqlite")), replica_options()?)?;
        let st = c.statement("SELECT delta FROM catalog_releases ORDER BY seq")?;
        apply_releases(&fresh, &c.client().query(&st, &[])?)?;
        *self.replica.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(fresh);
        Ok(())
    }

    /// Imports into the replica and publishes the delta as one release,
    /// under a database-wide lock so releases form one chain.
    pub(super) fn publish(&self, change: impl FnOnce(&Store) -> onsite_core::Result<()>) -> Result<Seq> {
        let _w = self.replica_write.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut c = self.pool.get()?;
        let result = (|| -> Result<Seq> {
            let mut tx = c.client().transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_PUBLISH])?;
            let replica = self.replica();
            let newer =
                tx.query("SELECT delta FROM catalog_releases WHERE seq > $1 ORDER BY seq", &[&replica.catalog_seq()?])?;
            apply_releases(&replica, &newer)?;
            let before = replica.catalog_seq()?;
            change(&replica)?;
            let after = replica.catalog_seq()?;
            if after > before {
                let delta = replica.catalog_changes_since(before)?;
                tx.execute(
                    "INSERT INTO catalog_releases (seq, since, delta) VALUES ($1, $2, $3)",
                    &[&after, &before, &deflate(&serde_json::to_vec(&delta)?)?],
                )?;
            }
            tx.commit()?;
            Ok(after)
        })();
        if result.is_err() {
            // The replica may hold what the database refused: start it over.
            self.rebuild_replica(&mut c)?;
        }
        result
    }
}
