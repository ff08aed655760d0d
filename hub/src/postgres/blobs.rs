//! [`HubBlobStorage`] on one PostgreSQL transaction (files, ADR 29): blobs
//! held whole in `blobs` and `blob_chunks`, uploads under way per device
//! in `blob_uploads` and `upload_chunks`. Every call reads or writes at
//! most one chunk; a finished upload's chunks are copied inside the
//! database, never through the hub's memory.

use std::sync::Arc;

use onsite_core::Store;
use onsite_core::blob::{self, BlobKind};
use onsite_core::crdt::DocId;
use onsite_core::sync::DeviceScope;
use onsite_core::sync::blobs::{HubBlobStorage, StoredBlob, Upload, attachment_visible};
use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};

use super::pool::Statements;
use super::{ATTEMPTS, PgBackend, retryable};
use crate::error::Result;

/// Advisory lock class (the first of two keys) of one device's file
/// requests; the second key is a hash of the device id.
const LOCK_DEVICE_FILES: i32 = 0x6f6e_0003;

/// [`HubBlobStorage`] on one PostgreSQL transaction.
pub(super) struct PgBlobStorage<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    statements: &'t mut Statements,
    replica: &'t Arc<Store>,
    /// The PostgreSQL error behind a failed call (to tell retryable ones).
    error: Option<postgres::Error>,
}

/// A chunk index as the database stores it (`None`: past any chunk).
fn idx(index: u64) -> Option<i64> {
    i64::try_from(index).ok()
}

fn kind_of(text: &str) -> onsite_core::Result<BlobKind> {
    BlobKind::parse(text)
        .ok_or_else(|| onsite_core::Error::Corrupt { what: "blob kind", reason: format!("unknown kind {text:?}") })
}

impl PgBlobStorage<'_, '_> {
    fn pg(&mut self, e: postgres::Error) -> onsite_core::Error {
        let text = e.to_string();
        self.error = Some(e);
        onsite_core::Error::Backend(text)
    }

    fn statement(&mut self, sql: &'static str) -> onsite_core::Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let r = self.tx.prepare(sql);
        let s = r.map_err(|e| self.pg(e))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn exec(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<u64> {
        let s = self.statement(sql)?;
        let r = self.tx.execute(&s, params);
        r.map_err(|e| self.pg(e))
    }

    fn rows(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Vec<Row>> {
        let s = self.statement(sql)?;
        let r = self.tx.query(&s, params);
        r.map_err(|e| self.pg(e))
    }

    fn opt(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Option<Row>> {
        let s = self.statement(sql)?;
        let r = self.tx.query_opt(&s, params);
        r.map_err(|e| self.pg(e))
    }

    /// One device's file requests run one at a time, whichever instance
    /// they reach (as its syncs do): an upload is never started twice.
    fn lock_device(&mut self, device_id: &str) -> onsite_core::Result<()> {
        self.exec("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&LOCK_DEVICE_FILES, &device_id]).map(|_| ())
    }
}

impl HubBlobStorage for PgBlobStorage<'_, '_> {
    fn may_read(&mut self, scope: &DeviceScope, hash: &str) -> onsite_core::Result<bool> {
        let owned =
            self.opt("SELECT 1 FROM blob_owners WHERE hash = $1 AND device_id = $2", &[&hash, &scope.device_id])?;
        if owned.is_some() {
            return Ok(true);
        }
        let rows =
            self.rows("SELECT account_id, for_customer FROM attachments WHERE hash = $1 AND NOT deleted", &[&hash])?;
        if rows.iter().any(|r| attachment_visible(scope, r.get::<_, &str>(0), r.get(1))) {
            return Ok(true);
        }
        self.replica.is_published_media(hash)
    }

    fn stored(&mut self, hash: &str) -> onsite_core::Result<Option<StoredBlob>> {
        let Some(row) = self.opt("SELECT kind, size, media_type FROM blobs WHERE hash = $1", &[&hash])? else {
            return Ok(None);
        };
        Ok(Some(StoredBlob { kind: kind_of(row.get(0))?, size: row.get::<_, i64>(1) as u64, media_type: row.get(2) }))
    }

    fn chunk(&mut self, hash: &str, index: u64) -> onsite_core::Result<Option<Vec<u8>>> {
        let Some(index) = idx(index) else { return Ok(None) };
        let row = self.opt("SELECT data FROM blob_chunks WHERE hash = $1 AND idx = $2", &[&hash, &index])?;
        Ok(row.map(|r| r.get(0)))
    }

    fn upload(&mut self, device_id: &str, hash: &str) -> onsite_core::Result<Option<Upload>> {
        let row = self.opt(
            "SELECT kind, size, media_type, next FROM blob_uploads WHERE device_id = $1 AND hash = $2",
            &[&device_id, &hash],
        )?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Upload {
            kind: kind_of(row.get(0))?,
            size: row.get::<_, i64>(1) as u64,
            media_type: row.get(2),
            next: row.get::<_, i64>(3) as u64,
        }))
    }

    fn unfinished_bytes(&mut self, device_id: &str) -> onsite_core::Result<u64> {
        let row =
            self.opt("SELECT coalesce(sum(size), 0)::BIGINT FROM blob_uploads WHERE device_id = $1", &[&device_id])?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0)) as u64)
    }

    fn start_upload(&mut self, device_id: &str, hash: &str, u: &Upload) -> onsite_core::Result<()> {
        self.drop_upload(device_id, hash)?;
        let size = i64::try_from(u.size).map_err(|_| onsite_core::Error::validation("size", "too large"))?;
        self.exec(
            "INSERT INTO blob_uploads (device_id, hash, kind, media_type, size, next) VALUES ($1, $2, $3, $4, $5, 0)",
            &[&device_id, &hash, &u.kind.as_str(), &u.media_type, &size],
        )?;
        Ok(())
    }

    fn put_upload_chunk(&mut self, device_id: &str, hash: &str, index: u64, bytes: &[u8]) -> onsite_core::Result<()> {
        let index = idx(index).ok_or_else(|| onsite_core::Error::validation("index", "too large"))?;
        self.exec(
            "INSERT INTO upload_chunks (device_id, hash, idx, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (device_id, hash, idx) DO UPDATE SET data = excluded.data",
            &[&device_id, &hash, &index, &bytes],
        )?;
        self.exec(
            "UPDATE blob_uploads SET next = $3 WHERE device_id = $1 AND hash = $2",
            &[&device_id, &hash, &(index + 1)],
        )?;
        Ok(())
    }

    fn upload_chunk(&mut self, device_id: &str, hash: &str, index: u64) -> onsite_core::Result<Option<Vec<u8>>> {
        let Some(index) = idx(index) else { return Ok(None) };
        let row = self.opt(
            "SELECT data FROM upload_chunks WHERE device_id = $1 AND hash = $2 AND idx = $3",
            &[&device_id, &hash, &index],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn finish_upload(&mut self, device_id: &str, hash: &str) -> onsite_core::Result<()> {
        let u = self.upload(device_id, hash)?.ok_or_else(|| onsite_core::Error::not_found("upload", hash))?;
        let chunks = blob::chunk_count(u.size) as i64;
        // A blob held already (another device's upload of the same bytes)
        // is kept as it is; else the upload's chunks become its chunks.
        let added = self.exec(
            "INSERT INTO blobs (hash, kind, media_type, size, chunks)
             SELECT hash, kind, media_type, size, $3 FROM blob_uploads WHERE device_id = $1 AND hash = $2
             ON CONFLICT (hash) DO NOTHING",
            &[&device_id, &hash, &chunks],
        )?;
        if added > 0 {
            self.exec(
                "INSERT INTO blob_chunks (hash, idx, data)
                 SELECT hash, idx, data FROM upload_chunks WHERE device_id = $1 AND hash = $2
                 ON CONFLICT (hash, idx) DO NOTHING",
                &[&device_id, &hash],
            )?;
        }
        self.exec(
            "INSERT INTO blob_owners (hash, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&hash, &device_id],
        )?;
        self.drop_upload(device_id, hash)
    }

    fn drop_upload(&mut self, device_id: &str, hash: &str) -> onsite_core::Result<()> {
        // Its chunks go with it (ON DELETE CASCADE).
        self.exec("DELETE FROM blob_uploads WHERE device_id = $1 AND hash = $2", &[&device_id, &hash])?;
        Ok(())
    }
}

impl PgBackend {
    /// Runs `f` on the files in one transaction, as the device's only file
    /// request at the time, retrying deadlocks and serialisation failures.
    /// Whatever `f` returns `Ok` is committed (a refusal inside it too, so
    /// a refused upload's rows are gone); an `Err` rolls back.
    pub(super) fn with_blobs<T>(
        &self,
        device_id: &str,
        mut f: impl FnMut(&mut PgBlobStorage<'_, '_>) -> onsite_core::Result<T>,
    ) -> Result<T> {
        let mut c = self.pool.get()?;
        let replica = self.current_replica(&mut c)?;
        let (client, statements) = c.parts();
        for attempt in 1..=ATTEMPTS {
            let mut tx = client.transaction()?;
            let mut storage = PgBlobStorage { tx: &mut tx, statements, replica: &replica, error: None };
            let out = storage.lock_device(device_id).and_then(|()| f(&mut storage));
            let pg_error = storage.error.take();
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

    /// Projects attachment documents stored before their projection
    /// existed (a database upgraded from schema 5), so who may fetch their
    /// files is known. One query when there are none.
    pub(super) fn project_missing_attachments(&self) -> Result<()> {
        let mut c = self.pool.get()?;
        let rows = c.client().query(
            "SELECT doc_id FROM documents d WHERE kind = 'attachment' AND seq > 0
               AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = substr(d.doc_id, 12))
             ORDER BY seq",
            &[],
        )?;
        drop(c);
        if rows.is_empty() {
            return Ok(());
        }
        let ids = rows
            .iter()
            .map(|r| DocId::parse(r.get::<_, &str>(0)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(onsite_core::Error::from)?;
        self.with_hub(|hub| {
            for id in &ids {
                hub.reproject(id)?;
            }
            Ok(())
        })
    }
}
