//! Blobs in the store (ADR 29): chunks of 512 KiB in the encrypted
//! database, whole or partly received, with what eviction needs (last
//! use, pending uploads, pins) and the device's storage budget.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sha2::Digest;

use super::Store;
use crate::blob::{self, BlobKind, BlobRef, budget};
use crate::error::{Error, Result};

/// A blob the store holds, as its row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobRow {
    pub(crate) kind: BlobKind,
    pub(crate) media_type: String,
    pub(crate) size: u64,
    pub(crate) chunks: u64,
    pub(crate) received: u64,
    pub(crate) upload_next: Option<i64>,
}

impl BlobRow {
    pub(crate) fn complete(&self) -> bool {
        self.received == self.chunks
    }
}

/// What a device holds against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BlobBudget {
    /// The budget from the published policy, in bytes.
    pub budget_bytes: u64,
    /// Bytes held (partial downloads included).
    pub used_bytes: u64,
    /// Blobs held whole.
    pub blobs: u64,
    /// Bytes added here and not yet uploaded (never evicted).
    pub pending_upload_bytes: u64,
    /// Blobs waiting to be uploaded.
    pub pending_uploads: u64,
    /// Bytes pinned (an open quote's attachments; never evicted).
    pub pinned_bytes: u64,
    /// Uploads the hub refused (see the file's error).
    pub refused_uploads: u64,
}

pub(crate) fn row(c: &Connection, hash: &str) -> Result<Option<BlobRow>> {
    Ok(c.prepare_cached("SELECT kind, media_type, size, chunks, received, upload_next FROM blobs WHERE hash = ?1")?
        .query_row([hash], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get(5)?,
            ))
        })
        .optional()?
        .map(|(kind, media_type, size, chunks, received, upload_next)| BlobRow {
            kind: BlobKind::parse(&kind).unwrap_or(BlobKind::Attachment),
            media_type,
            size: size as u64,
            chunks: chunks as u64,
            received: received as u64,
            upload_next,
        }))
}

/// A new blob row: whole when added here (`upload_next` -1: to upload),
/// empty when a download starts.
pub(crate) fn insert_row(
    tx: &Transaction<'_>,
    hash: &str,
    kind: BlobKind,
    media_type: &str,
    size: u64,
    upload_next: Option<i64>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO blobs (hash, kind, media_type, size, chunks, received, upload_next, last_used, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)",
    )?
    .execute(params![
        hash,
        kind.as_str(),
        media_type,
        size as i64,
        blob::chunk_count(size) as i64,
        upload_next,
        now_ms(),
        chrono::Utc::now().to_rfc3339()
    ])?;
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Stores chunk `index` (the next one) of `hash`.
pub(crate) fn put_chunk(tx: &Transaction<'_>, hash: &str, index: u64, data: &[u8]) -> Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO blob_chunks (hash, idx, data) VALUES (?1, ?2, ?3)")?.execute(params![
        hash,
        index as i64,
        data
    ])?;
    tx.prepare_cached("UPDATE blobs SET received = ?2 + 1, last_used = ?3 WHERE hash = ?1")?.execute(params![
        hash,
        index as i64,
        now_ms()
    ])?;
    Ok(())
}

/// Chunk `index` of `hash`.
pub(crate) fn chunk(c: &Connection, hash: &str, index: u64) -> Result<Option<Vec<u8>>> {
    Ok(c.prepare_cached("SELECT data FROM blob_chunks WHERE hash = ?1 AND idx = ?2")?
        .query_row(params![hash, index as i64], |r| r.get(0))
        .optional()?)
}

/// The SHA-256 of a stored blob's chunks, read one at a time.
pub(crate) fn digest(c: &Connection, hash: &str, chunks: u64) -> Result<String> {
    let mut h = sha2::Sha256::new();
    for i in 0..chunks {
        let data = chunk(c, hash, i)?
            .ok_or_else(|| Error::Corrupt { what: "blob", reason: format!("{hash} misses chunk {i}") })?;
        h.update(&data);
    }
    Ok(blob::hex(&h.finalize()))
}

/// The published logo's file, read without decoding the profile.
pub(crate) fn logo_file_in(c: &Connection) -> Result<Option<crate::blob::BlobRef>> {
    let file: Option<Option<String>> = c
        .prepare_cached("SELECT json_extract(body, '$.logo_file') FROM company_profile WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    file.flatten().map(|f| super::codec::json("company logo", &f)).transpose()
}

/// What the back office publishes as the company profile: the logo's
/// bytes kept as a blob (stored once, fetched by every device) and the
/// profile naming it by hash, so every sync does not carry half a megabyte.
pub(crate) fn logo_to_file(
    tx: &rusqlite::Transaction<'_>,
    profile: &crate::profile::CompanyProfile,
) -> Result<crate::profile::CompanyProfile> {
    let mut p = profile.clone();
    match p.logo.take() {
        Some(bytes) => {
            let file = crate::blob::BlobRef::of(crate::blob::BlobKind::Logo, "logo", &bytes)?;
            store_local(tx, &file, &bytes, false)?;
            p.logo_file = Some(file);
        }
        None if p.logo_file.is_some() => {
            return Err(Error::validation("logo_file", "is set from the logo; publish the logo itself"));
        }
        None => {}
    }
    Ok(p)
}

/// Whether the blob is held whole.
pub(crate) fn whole_here(c: &Connection, hash: &str) -> Result<bool> {
    Ok(row(c, hash)?.is_some_and(|r| r.complete()))
}

/// A blob's bytes if held whole, read without noting its use.
pub(crate) fn whole(c: &Connection, hash: &str) -> Result<Option<Vec<u8>>> {
    let Some(r) = row(c, hash)?.filter(BlobRow::complete) else { return Ok(None) };
    let mut out = Vec::with_capacity(r.size as usize);
    for i in 0..r.chunks {
        out.extend(
            chunk(c, hash, i)?
                .ok_or_else(|| Error::Corrupt { what: "blob", reason: format!("{hash} misses chunk {i}") })?,
        );
    }
    Ok(Some(out))
}

/// Removes a blob and its chunks.
pub(crate) fn remove(tx: &Transaction<'_>, hash: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM blobs WHERE hash = ?1")?.execute([hash])?;
    Ok(())
}

/// Stores `bytes` as a whole blob added on this device (to upload).
/// Nothing happens when the store holds it whole already.
pub(crate) fn store_local(tx: &Transaction<'_>, r: &BlobRef, bytes: &[u8], upload: bool) -> Result<()> {
    match row(tx, &r.hash)? {
        Some(existing) if existing.complete() => return Ok(()),
        Some(_) => remove(tx, &r.hash)?,
        None => {}
    }
    insert_row(tx, &r.hash, r.kind, &r.media_type, r.size, upload.then_some(-1))?;
    for (i, part) in bytes.chunks(blob::CHUNK_BYTES).enumerate() {
        put_chunk(tx, &r.hash, i as u64, part)?;
    }
    Ok(())
}

/// The hashes pinned on this device: the company logo and the
/// attachments of open quotes (drafts, waiting for a discount decision,
/// sent).
fn pinned(c: &Connection) -> Result<std::collections::HashSet<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT a.hash FROM attachments a JOIN quotes q ON a.parent_kind = 'quote' AND q.id = a.parent_id
         WHERE a.deleted = 0 AND q.state IN ('draft', 'needs_discount_approval', 'sent')",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut pins: std::collections::HashSet<String> = rows.collect::<std::result::Result<_, _>>()?;
    pins.extend(logo_file_in(c)?.map(|f| f.hash));
    Ok(pins)
}

fn held(c: &Connection) -> Result<Vec<budget::Held>> {
    let pins = pinned(c)?;
    let mut stmt = c.prepare_cached("SELECT hash, size, chunks, received, upload_next, last_used FROM blobs")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (hash, size, chunks, received, upload_next, last_used) = row?;
        let bytes = if received == chunks { size } else { (received * blob::CHUNK_BYTES as i64).min(size) };
        out.push(budget::Held {
            pinned: pins.contains(&hash),
            hash,
            bytes: bytes as u64,
            last_used,
            pending: upload_next.is_some(),
        });
    }
    Ok(out)
}

/// The budget the published policy sets.
pub(crate) fn budget_bytes(c: &Connection) -> Result<u64> {
    Ok(u64::from(super::reference::load_policy(c)?.storage_budget_mib) << 20)
}

/// Evicts what can be fetched again until `room` more bytes fit the
/// budget; returns the bytes freed.
pub(crate) fn make_room(tx: &Transaction<'_>, room: u64) -> Result<u64> {
    let held = held(tx)?;
    let gone = budget::evictions(&held, budget_bytes(tx)?, room);
    let mut freed = 0;
    for h in held.iter().filter(|h| gone.contains(&h.hash)) {
        remove(tx, &h.hash)?;
        freed += h.bytes;
    }
    Ok(freed)
}

impl Store {
    /// A blob's bytes, if this device holds it whole (its use is noted for
    /// eviction); `NotFound` when it must be fetched from the hub first.
    pub fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        blob::check_hash(hash)?;
        self.write(|tx| {
            let bytes = whole(tx, hash)?.ok_or_else(|| Error::not_found("file on this device", hash))?;
            tx.prepare_cached("UPDATE blobs SET last_used = ?2 WHERE hash = ?1")?.execute(params![hash, now_ms()])?;
            Ok(bytes)
        })
    }

    /// Whether this device holds the blob whole.
    pub fn has_blob(&self, hash: &str) -> Result<bool> {
        self.read(|c| whole_here(c, hash))
    }

    /// What this device holds against its storage budget.
    pub fn blob_budget(&self) -> Result<BlobBudget> {
        self.read(|c| {
            let held = held(c)?;
            let refused: i64 = c.query_row("SELECT count(*) FROM blobs WHERE refused IS NOT NULL", [], |r| r.get(0))?;
            let complete: i64 = c.query_row("SELECT count(*) FROM blobs WHERE received = chunks", [], |r| r.get(0))?;
            Ok(BlobBudget {
                budget_bytes: budget_bytes(c)?,
                used_bytes: held.iter().map(|h| h.bytes).sum(),
                blobs: complete as u64,
                pending_upload_bytes: held.iter().filter(|h| h.pending).map(|h| h.bytes).sum(),
                pending_uploads: held.iter().filter(|h| h.pending).count() as u64,
                pinned_bytes: held.iter().filter(|h| h.pinned && !h.pending).map(|h| h.bytes).sum(),
                refused_uploads: refused as u64,
            })
        })
    }

    /// Evicts least recently used blobs that can be fetched again until
    /// the budget holds; returns the bytes freed.
    pub fn evict_blobs(&self) -> Result<u64> {
        self.write(|tx| make_room(tx, 0))
    }
}
