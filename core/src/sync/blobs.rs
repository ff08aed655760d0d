//! File transfer, sans-IO (ADR 29): the device turns what it must upload
//! or wants into a [`blob_frame`] request and applies the answer; the hub
//! answers over any [`HubBlobStorage`]. One chunk per round trip, each
//! stored in its own transaction, so a cut transfer continues at the next
//! chunk and neither side holds more than a chunk in memory.

use sha2::Digest;

use super::blob_frame::{self, BlobAnswer, BlobFrame, BlobRequest, SmallFile};
use crate::Store;
use crate::blob::{self, BlobKind, BlobRef};
use crate::error::{Error, Result};
use crate::roles::DeviceRole;
use crate::scope::DeviceScope;
use crate::store::blobs as table;

/// Most bytes of unfinished uploads one device may leave at the hub.
pub const MAX_UNFINISHED_UPLOAD_BYTES: u64 = 256 << 20;

/// A request on its way, with the blob it is about.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The blob.
    pub hash: String,
    /// The request's bytes.
    pub bytes: Vec<u8>,
}

/// Where a download stands after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched {
    /// More chunks follow.
    More,
    /// The blob is whole and its hash checked.
    Done,
    /// The hub does not hold it for this device.
    NotFound,
}

fn frame_error(e: super::FrameError) -> Error {
    Error::Sync(super::SyncError::Frame(e))
}

impl Store {
    /// The next upload request: the oldest blob added here that the hub
    /// does not hold yet; `None` when nothing waits.
    pub fn blob_upload_request(&self) -> Result<Option<Outgoing>> {
        let device_id = self.device_id()?;
        self.read(|c| {
            let next: Option<(String, i64)> = c
                .prepare_cached(
                    "SELECT hash, upload_next FROM blobs WHERE upload_next IS NOT NULL AND refused IS NULL
                     ORDER BY created_at, hash LIMIT 1",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .ok();
            let Some((hash, upload_next)) = next else { return Ok(None) };
            let row = table::row(c, &hash)?.ok_or_else(|| Error::not_found("blob", &hash))?;
            let h = blob::hash_bytes(&hash)?;
            let request = if upload_next < 0 {
                BlobRequest::Begin { hash: h, kind: row.kind, size: row.size }
            } else {
                let index = upload_next as u64;
                let bytes = table::chunk(c, &hash, index)?
                    .ok_or_else(|| Error::Corrupt { what: "blob", reason: format!("{hash} misses chunk {index}") })?;
                BlobRequest::Put { hash: h, kind: row.kind, size: row.size, index, bytes }
            };
            Ok(Some(Outgoing { bytes: blob_frame::encode_request(&BlobFrame { device_id, request }), hash }))
        })
    }

    /// Applies the hub's answer to an upload request for `hash`.
    pub fn blob_upload_apply(&self, hash: &str, answer: &[u8]) -> Result<()> {
        let answer = blob_frame::decode_answer(answer).map_err(frame_error)?;
        self.write(|tx| {
            let row = table::row(tx, hash)?.ok_or_else(|| Error::not_found("blob", hash))?;
            match answer {
                BlobAnswer::Send { next } if next < row.chunks => {
                    tx.execute(
                        "UPDATE blobs SET upload_next = ?2 WHERE hash = ?1",
                        rusqlite::params![hash, next as i64],
                    )?;
                }
                BlobAnswer::Stored { .. } => {
                    tx.execute("UPDATE blobs SET upload_next = NULL WHERE hash = ?1", [hash])?;
                }
                _ => return Err(Error::validation("blob answer", "the hub's answer does not fit the upload")),
            }
            Ok(())
        })
    }

    /// Whether `hash` still waits to be uploaded.
    pub fn blob_pending(&self, hash: &str) -> Result<bool> {
        self.read(|c| Ok(table::row(c, hash)?.is_some_and(|r| r.upload_next.is_some())))
    }

    /// Records the hub's refusal of an upload (a file it will never take):
    /// kept on the device, not retried, counted in [`Store::blob_budget`].
    pub fn blob_upload_refused(&self, hash: &str, reason: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE blobs SET refused = ?2 WHERE hash = ?1", rusqlite::params![hash, reason])?;
            Ok(())
        })
    }

    /// The next download request for `want`: `None` when the device holds
    /// it whole. A download that would break the budget first evicts what
    /// can be fetched again; `Conflict` if even that leaves no room.
    pub fn blob_download_request(&self, want: &BlobRef) -> Result<Option<Outgoing>> {
        want.validate()?;
        let device_id = self.device_id()?;
        let index = self.write(|tx| reserve(tx, want))?;
        Ok(index.map(|index| Outgoing {
            hash: want.hash.clone(),
            bytes: blob_frame::encode_request(&BlobFrame {
                device_id,
                request: BlobRequest::Get { hash: blob::hash_bytes(&want.hash).unwrap_or_default(), index },
            }),
        }))
    }

    /// One request for as many of `wants` (small files, at most
    /// [`blob_frame::BATCH_BYTES`] each) as one answer holds, in order:
    /// the files asked and the request's bytes; `None` when `wants` is
    /// empty. Every file decided on leaves `wants`: asked; held already;
    /// partly downloaded (moved to `chunked`, to continue chunk by chunk);
    /// or without room in the budget (counted in `skipped`). What did not
    /// fit this request stays for the next.
    pub fn blob_batch_request(
        &self,
        wants: &mut Vec<BlobRef>,
        chunked: &mut Vec<BlobRef>,
        skipped: &mut u32,
    ) -> Result<Option<(Vec<BlobRef>, Vec<u8>)>> {
        let device_id = self.device_id()?;
        let mut picked: Vec<BlobRef> = Vec::new();
        let mut bytes = 0u64;
        let mut left = Vec::new();
        for want in wants.drain(..) {
            let room = blob_frame::BATCH_BYTES as u64 - bytes;
            if picked.len() == blob_frame::MAX_BATCH || want.size > room {
                left.push(want);
                continue;
            }
            want.validate()?;
            bytes += want.size;
            picked.push(want);
        }
        // One transaction and one look at the budget for the whole batch.
        let mut asked: Vec<BlobRef> = Vec::new();
        self.write(|tx| {
            table::make_room(tx, bytes)?;
            let budget = table::budget_bytes(tx)?;
            let mut used = used_bytes(tx)?;
            for want in picked {
                match table::row(tx, &want.hash)? {
                    Some(r) if r.complete() => {}
                    Some(r) if r.received > 0 => chunked.push(want),
                    // Reserved rows count nothing yet: the batch counts them.
                    _ if used + want.size > budget => *skipped += 1,
                    Some(_) => {
                        used += want.size;
                        asked.push(want);
                    }
                    None => {
                        table::insert_row(tx, &want.hash, want.kind, &want.media_type, want.size, None)?;
                        used += want.size;
                        asked.push(want);
                    }
                }
            }
            Ok(())
        })?;
        *wants = left;
        if asked.is_empty() {
            return Ok(None);
        }
        let hashes = asked.iter().map(|w| blob::hash_bytes(&w.hash).unwrap_or_default()).collect();
        let request = blob_frame::encode_request(&BlobFrame { device_id, request: BlobRequest::GetSmall { hashes } });
        Ok(Some((asked, request)))
    }

    /// Applies the answer to [`Store::blob_batch_request`] for `asked`, in
    /// one transaction: each whole file checked against its hash (a
    /// mismatch discards it and fails the whole answer), each file the hub
    /// does not hold for this device forgotten, each "ask again" left for
    /// a chunked download.
    pub fn blob_batch_apply(&self, asked: &[BlobRef], answer: &[u8]) -> Result<Vec<Fetched>> {
        let answer = blob_frame::decode_answer(answer).map_err(frame_error)?;
        let BlobAnswer::Files { files } = answer else {
            return Err(Error::validation("blob answer", "the hub's answer does not fit the request"));
        };
        if files.len() != asked.len() {
            return Err(Error::validation("blob answer", "the hub answered another number of files"));
        }
        self.write(|tx| {
            let mut out = Vec::with_capacity(files.len());
            for (want, file) in asked.iter().zip(files) {
                out.push(match file {
                    SmallFile::NotFound => {
                        table::remove(tx, &want.hash)?;
                        Fetched::NotFound
                    }
                    SmallFile::Later => Fetched::More,
                    // Evicted or begun chunk by chunk meanwhile: asked again that way.
                    SmallFile::Whole { .. }
                        if table::row(tx, &want.hash)?.is_none_or(|r| r.received != 0 || r.size != want.size) =>
                    {
                        Fetched::More
                    }
                    SmallFile::Whole { size, bytes, .. } => {
                        if size != want.size || blob::hash_of(&bytes) != want.hash {
                            return Err(Error::validation(
                                "blob",
                                "a received file does not match its hash or size; discarded",
                            ));
                        }
                        table::put_chunk(tx, &want.hash, 0, &bytes)?;
                        Fetched::Done
                    }
                });
            }
            Ok(out)
        })
    }

    /// Applies the hub's answer to a download request for `hash`: the chunk
    /// is stored in its own transaction; the last one checks the hash of
    /// the whole, and a mismatch discards everything received.
    pub fn blob_download_apply(&self, hash: &str, answer: &[u8]) -> Result<Fetched> {
        let answer = blob_frame::decode_answer(answer).map_err(frame_error)?;
        self.write(|tx| {
            let Some(row) = table::row(tx, hash)? else { return Err(Error::not_found("download", hash)) };
            let (size, index, bytes) = match answer {
                BlobAnswer::NotFound => {
                    table::remove(tx, hash)?;
                    return Ok(Fetched::NotFound);
                }
                BlobAnswer::Chunk { size, index, bytes, .. } => (size, index, bytes),
                _ => return Err(Error::validation("blob answer", "the hub's answer does not fit the download")),
            };
            if size != row.size || index != row.received || blob::chunk_len(size, index) != Some(bytes.len()) {
                return Err(Error::validation("blob answer", "a chunk of the wrong size or position"));
            }
            table::put_chunk(tx, hash, index, &bytes)?;
            if index + 1 < row.chunks {
                return Ok(Fetched::More);
            }
            if table::digest(tx, hash, row.chunks)? != hash {
                table::remove(tx, hash)?;
                return Err(Error::validation("blob", "the received file does not match its hash; discarded"));
            }
            Ok(Fetched::Done)
        })
    }

    /// What this device should hold and does not yet, in order: the
    /// company logo, the attachments pinned by open quotes, then thumbnails of the products
    /// in its price lists, or of every product on a device without price
    /// lists (full images are fetched on demand).
    pub fn blob_prefetch(&self) -> Result<Vec<BlobRef>> {
        self.read(|c| {
            let mut out = Vec::new();
            if let Some(logo) = crate::store::blobs::logo_file_in(c)?
                && !crate::store::blobs::whole_here(c, &logo.hash)?
            {
                out.push(logo);
            }
            let mut stmt = c.prepare_cached(
                "SELECT a.hash, a.media_type, a.size, a.name FROM attachments a
                 JOIN quotes q ON a.parent_kind = 'quote' AND q.id = a.parent_id
                 WHERE a.deleted = 0 AND q.state IN ('draft', 'needs_discount_approval', 'sent')
                   AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = a.hash AND b.received = b.chunks)
                 ORDER BY a.added_at",
            )?;
            for r in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?, r.get(3)?)))? {
                let (hash, media_type, size, name) = r?;
                out.push(BlobRef { hash, kind: BlobKind::Attachment, media_type, size: size as u64, name });
            }
            let mut stmt = c.prepare_cached(
                "SELECT m.thumb_hash, max(m.thumb_size), min(m.name) FROM media m
                 JOIN products p ON p.image = m.name
                 WHERE m.thumb_hash IS NOT NULL
                   AND (EXISTS (SELECT 1 FROM price_tiers i WHERE i.sku = p.sku)
                        OR NOT EXISTS (SELECT 1 FROM price_tiers))
                   AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = m.thumb_hash AND b.received = b.chunks)
                 GROUP BY m.thumb_hash ORDER BY min(m.name)",
            )?;
            for r in stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))? {
                let (hash, size, name) = r?;
                out.push(BlobRef {
                    hash,
                    kind: BlobKind::Thumbnail,
                    media_type: "image/jpeg".into(),
                    size: size as u64,
                    name: format!("{name}.thumb.jpg"),
                });
            }
            // The same bytes on two quotes are fetched once.
            let mut seen = std::collections::HashSet::new();
            out.retain(|r| seen.insert(r.hash.clone()));
            Ok(out)
        })
    }
}

/// A blob the hub holds whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Its kind.
    pub kind: BlobKind,
    /// Its size.
    pub size: u64,
    /// Its sniffed media type.
    pub media_type: String,
}

/// An upload under way at the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Declared kind.
    pub kind: BlobKind,
    /// Declared size.
    pub size: u64,
    /// Sniffed from chunk 0.
    pub media_type: String,
    /// The next chunk wanted.
    pub next: u64,
}

/// The bytes this device holds (partial downloads by what they received).
fn used_bytes(tx: &rusqlite::Transaction<'_>) -> Result<u64> {
    let used: i64 = tx.query_row(
        "SELECT coalesce(sum(CASE WHEN received = chunks THEN size ELSE min(size, received * ?1) END), 0) FROM blobs",
        [blob::CHUNK_BYTES as i64],
        |r| r.get(0),
    )?;
    Ok(used as u64)
}

/// Makes room for a download of `want` and starts it: the chunk to ask
/// for next, `None` when it is held whole; `Conflict` when the budget has
/// no room even after evicting what can be fetched again.
fn reserve(tx: &rusqlite::Transaction<'_>, want: &BlobRef) -> Result<Option<u64>> {
    match table::row(tx, &want.hash)? {
        Some(r) if r.complete() => return Ok(None),
        Some(r) => return Ok(Some(r.received)),
        None => {}
    }
    table::make_room(tx, want.size)?;
    let budget = table::budget_bytes(tx)?;
    let used = used_bytes(tx)?;
    if used + want.size > budget {
        return Err(Error::Conflict {
            what: "storage budget",
            reason: format!(
                "{} bytes do not fit: {used} of {budget} bytes are files waiting to be uploaded or pinned by open quotes",
                want.size
            ),
        });
    }
    table::insert_row(tx, &want.hash, want.kind, &want.media_type, want.size, None)?;
    Ok(Some(0))
}

/// What the hub stores of blobs: the embedded store and PostgreSQL.
pub trait HubBlobStorage {
    /// Whether `scope` may read `hash`: a published image or thumbnail, an
    /// attachment the device may see (a customer: one marked for it), or
    /// one it uploaded itself.
    fn may_read(&mut self, scope: &DeviceScope, hash: &str) -> Result<bool>;
    /// A blob held whole.
    fn stored(&mut self, hash: &str) -> Result<Option<StoredBlob>>;
    /// Chunk `index` of a blob held whole.
    fn chunk(&mut self, hash: &str, index: u64) -> Result<Option<Vec<u8>>>;
    /// The device's upload of `hash`, if one is under way.
    fn upload(&mut self, device_id: &str, hash: &str) -> Result<Option<Upload>>;
    /// Bytes of the device's unfinished uploads.
    fn unfinished_bytes(&mut self, device_id: &str) -> Result<u64>;
    /// Starts (or restarts) an upload.
    fn start_upload(&mut self, device_id: &str, hash: &str, upload: &Upload) -> Result<()>;
    /// Stores the next chunk of an upload.
    fn put_upload_chunk(&mut self, device_id: &str, hash: &str, index: u64, bytes: &[u8]) -> Result<()>;
    /// Chunk `index` of an upload.
    fn upload_chunk(&mut self, device_id: &str, hash: &str, index: u64) -> Result<Option<Vec<u8>>>;
    /// Makes a checked upload a stored blob (kept once if it was held
    /// already) owned by the device, and drops the upload.
    fn finish_upload(&mut self, device_id: &str, hash: &str) -> Result<()>;
    /// Drops an upload and its chunks.
    fn drop_upload(&mut self, device_id: &str, hash: &str) -> Result<()>;
}

/// The hub's answer, or a refusal the caller commits anyway (so a refused
/// upload's chunks are gone, not half kept).
pub type Judged = std::result::Result<Vec<u8>, Error>;

fn refuse(field: &'static str, reason: impl Into<String>) -> Result<Judged> {
    Ok(Err(Error::validation(field, reason)))
}

/// Answers one blob request from the device `scope` names. `Ok(Err(_))`
/// is a refusal of the request (bad input: a wrong hash, a truncated chunk,
/// a size over the limit, content of a type not accepted): commit, then
/// answer it with its error.
pub fn hub_handle(storage: &mut dyn HubBlobStorage, scope: &DeviceScope, request: &[u8]) -> Result<Judged> {
    let frame = match blob_frame::decode_request(request) {
        Ok(f) => f,
        Err(e) => return Ok(Err(frame_error(e))),
    };
    if frame.device_id != scope.device_id {
        return Err(super::SyncError::WrongDevice.into());
    }
    let device = scope.device_id.as_str();
    if let BlobRequest::Begin { kind, size, .. } | BlobRequest::Put { kind, size, .. } = &frame.request
        && let Some(refusal) = upload_refused(scope, *kind, *size)
    {
        return Ok(Err(refusal));
    }
    let answer = match frame.request {
        BlobRequest::Get { hash, index } => {
            let hash = blob::hex(&hash);
            if !storage.may_read(scope, &hash)? {
                BlobAnswer::NotFound
            } else {
                match (storage.stored(&hash)?, storage.chunk(&hash, index)?) {
                    (Some(s), Some(bytes)) => {
                        BlobAnswer::Chunk { kind: s.kind, size: s.size, media_type: s.media_type, index, bytes }
                    }
                    (Some(_), None) => return refuse("index", format!("the file has no chunk {index}")),
                    _ => BlobAnswer::NotFound,
                }
            }
        }
        BlobRequest::GetSmall { hashes } => {
            // Whole files while they fit one answer; a hash the device may
            // not see is answered as one the hub does not hold.
            let mut room = blob_frame::BATCH_BYTES as u64;
            let mut files = Vec::with_capacity(hashes.len());
            for hash in hashes {
                let hash = blob::hex(&hash);
                let held = if storage.may_read(scope, &hash)? { storage.stored(&hash)? } else { None };
                files.push(match held {
                    None => SmallFile::NotFound,
                    Some(s) if s.size > room => SmallFile::Later,
                    Some(s) => match storage.chunk(&hash, 0)? {
                        Some(bytes) if bytes.len() as u64 == s.size => {
                            room -= s.size;
                            SmallFile::Whole { kind: s.kind, size: s.size, media_type: s.media_type, bytes }
                        }
                        _ => SmallFile::Later,
                    },
                });
            }
            BlobAnswer::Files { files }
        }
        BlobRequest::Begin { hash, kind, size } => {
            let hash = blob::hex(&hash);
            let held = storage.stored(&hash)?;
            if let Some(s) = held
                && storage.may_read(scope, &hash)?
            {
                BlobAnswer::Stored { media_type: s.media_type }
            } else {
                match storage.upload(device, &hash)? {
                    Some(u) if u.kind == kind && u.size == size => BlobAnswer::Send { next: u.next },
                    Some(_) => {
                        storage.drop_upload(device, &hash)?;
                        BlobAnswer::Send { next: 0 }
                    }
                    None => BlobAnswer::Send { next: 0 },
                }
            }
        }
        BlobRequest::Put { hash, kind, size, index, bytes } => {
            let hash = blob::hex(&hash);
            if blob::chunk_len(size, index) != Some(bytes.len()) {
                return refuse(
                    "chunk",
                    format!(
                        "chunk {index} of a file of {size} bytes must be {:?} bytes, not {}",
                        blob::chunk_len(size, index),
                        bytes.len()
                    ),
                );
            }
            let current = storage.upload(device, &hash)?.filter(|u| u.kind == kind && u.size == size);
            let expected = current.as_ref().map_or(0, |u| u.next);
            if index != expected {
                return Ok(Ok(blob_frame::encode_answer(&BlobAnswer::Send { next: expected })));
            }
            if index == 0 {
                let Some(media) = blob::sniff(&bytes) else {
                    storage.drop_upload(device, &hash)?;
                    return refuse("content", "is not a file type Onsite accepts");
                };
                if !kind.accepts(media) {
                    return refuse("content", format!("{} is not allowed for {}", media.as_str(), kind.as_str()));
                }
                if storage.unfinished_bytes(device)? + size > MAX_UNFINISHED_UPLOAD_BYTES {
                    return refuse(
                        "size",
                        "too many unfinished uploads from this device; finish or abandon them first",
                    );
                }
                storage.start_upload(
                    device,
                    &hash,
                    &Upload { kind, size, media_type: media.as_str().into(), next: 0 },
                )?;
            }
            storage.put_upload_chunk(device, &hash, index, &bytes)?;
            if index + 1 < blob::chunk_count(size) {
                BlobAnswer::Send { next: index + 1 }
            } else {
                let mut h = sha2::Sha256::new();
                for i in 0..blob::chunk_count(size) {
                    let part = storage
                        .upload_chunk(device, &hash, i)?
                        .ok_or_else(|| Error::Corrupt { what: "upload", reason: format!("{hash} misses chunk {i}") })?;
                    h.update(&part);
                }
                if blob::hex(&h.finalize()) != hash {
                    storage.drop_upload(device, &hash)?;
                    return refuse("hash", "the file's bytes do not match its hash; nothing was stored");
                }
                let media_type = storage.upload(device, &hash)?.map(|u| u.media_type).unwrap_or_default();
                storage.finish_upload(device, &hash)?;
                BlobAnswer::Stored { media_type }
            }
        }
    };
    Ok(Ok(blob_frame::encode_answer(&answer)))
}

/// Why an upload is refused before anything is read: customers upload
/// nothing; devices upload attachments only (images are the back
/// office's); a size over the kind's limit.
fn upload_refused(scope: &DeviceScope, kind: BlobKind, size: u64) -> Option<Error> {
    if scope.role == DeviceRole::Customer {
        return Some(Error::Sync(super::SyncError::OutOfScope { doc: "file uploads (customers upload none)".into() }));
    }
    if kind != BlobKind::Attachment {
        return Some(Error::validation("kind", "devices upload attachments; images are published by the back office"));
    }
    kind.check_size(size).err().map(Error::from)
}

/// The embedded hub's blob storage: the store's own tables, in the
/// request's transaction.
#[derive(Debug)]
pub struct SqliteBlobHub<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl HubBlobStorage for SqliteBlobHub<'_> {
    fn may_read(&mut self, scope: &DeviceScope, hash: &str) -> Result<bool> {
        let tx = self.tx;
        let public = crate::store::media::public_in(tx, hash)?
            || tx
                .prepare_cached("SELECT 1 FROM blob_owners WHERE hash = ?1 AND device_id = ?2")?
                .exists(rusqlite::params![hash, scope.device_id])?;
        if public {
            return Ok(true);
        }
        let mut stmt =
            tx.prepare_cached("SELECT account_id, for_customer FROM attachments WHERE hash = ?1 AND deleted = 0")?;
        let rows = stmt.query_map([hash], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
        for row in rows {
            let (account, for_customer) = row?;
            if attachment_visible(scope, &account, for_customer) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn stored(&mut self, hash: &str) -> Result<Option<StoredBlob>> {
        Ok(table::row(self.tx, hash)?.filter(|r| r.complete()).map(|r| StoredBlob {
            kind: r.kind,
            size: r.size,
            media_type: r.media_type,
        }))
    }

    fn chunk(&mut self, hash: &str, index: u64) -> Result<Option<Vec<u8>>> {
        table::chunk(self.tx, hash, index)
    }

    fn upload(&mut self, device_id: &str, hash: &str) -> Result<Option<Upload>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .tx
            .prepare_cached("SELECT kind, size, media_type, next FROM blob_uploads WHERE device_id = ?1 AND hash = ?2")?
            .query_row(rusqlite::params![device_id, hash], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })
            .optional()?
            .and_then(|(kind, size, media_type, next)| {
                Some(Upload { kind: BlobKind::parse(&kind)?, size: size as u64, media_type, next: next as u64 })
            }))
    }

    fn unfinished_bytes(&mut self, device_id: &str) -> Result<u64> {
        let n: i64 = self.tx.query_row(
            "SELECT coalesce(sum(size), 0) FROM blob_uploads WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    fn start_upload(&mut self, device_id: &str, hash: &str, u: &Upload) -> Result<()> {
        self.drop_upload(device_id, hash)?;
        self.tx
            .prepare_cached(
                "INSERT INTO blob_uploads (device_id, hash, kind, media_type, size, next, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
            )?
            .execute(rusqlite::params![
                device_id,
                hash,
                u.kind.as_str(),
                u.media_type,
                u.size as i64,
                chrono::Utc::now().to_rfc3339()
            ])?;
        Ok(())
    }

    fn put_upload_chunk(&mut self, device_id: &str, hash: &str, index: u64, bytes: &[u8]) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO upload_chunks (device_id, hash, idx, data) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(rusqlite::params![device_id, hash, index as i64, bytes])?;
        self.tx
            .prepare_cached("UPDATE blob_uploads SET next = ?3 WHERE device_id = ?1 AND hash = ?2")?
            .execute(rusqlite::params![device_id, hash, index as i64 + 1])?;
        Ok(())
    }

    fn upload_chunk(&mut self, device_id: &str, hash: &str, index: u64) -> Result<Option<Vec<u8>>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .tx
            .prepare_cached("SELECT data FROM upload_chunks WHERE device_id = ?1 AND hash = ?2 AND idx = ?3")?
            .query_row(rusqlite::params![device_id, hash, index as i64], |r| r.get(0))
            .optional()?)
    }

    fn finish_upload(&mut self, device_id: &str, hash: &str) -> Result<()> {
        let tx = self.tx;
        if table::row(tx, hash)?.is_none_or(|r| !r.complete()) {
            let u = self.upload(device_id, hash)?.ok_or_else(|| Error::not_found("upload", hash))?;
            table::remove(tx, hash)?;
            table::insert_row(tx, hash, u.kind, &u.media_type, u.size, None)?;
            tx.prepare_cached(
                "INSERT INTO blob_chunks (hash, idx, data)
                 SELECT hash, idx, data FROM upload_chunks WHERE device_id = ?1 AND hash = ?2",
            )?
            .execute(rusqlite::params![device_id, hash])?;
            tx.prepare_cached("UPDATE blobs SET received = chunks WHERE hash = ?1")?.execute([hash])?;
        }
        tx.prepare_cached("INSERT OR IGNORE INTO blob_owners (hash, device_id) VALUES (?1, ?2)")?
            .execute(rusqlite::params![hash, device_id])?;
        self.drop_upload(device_id, hash)
    }

    fn drop_upload(&mut self, device_id: &str, hash: &str) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM blob_uploads WHERE device_id = ?1 AND hash = ?2")?
            .execute(rusqlite::params![device_id, hash])?;
        Ok(())
    }
}

/// Whether an attachment of `account` is visible to `scope`: the account
/// in scope, and for a customer only a file marked for the customer.
pub fn attachment_visible(scope: &DeviceScope, account: &str, for_customer: bool) -> bool {
    scope.allows_doc(crate::crdt::DocKind::Attachment, account) && (scope.role != DeviceRole::Customer || for_customer)
}

impl Store {
    /// Answers one blob request as the embedded hub, in one transaction
    /// (committed for a refusal too: a refused upload leaves nothing).
    pub fn blob_hub_handle(&self, scope: &DeviceScope, request: &[u8]) -> Result<Judged> {
        self.write_unleased(|tx| hub_handle(&mut SqliteBlobHub { tx }, scope, request))
    }
}
