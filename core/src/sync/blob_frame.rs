//! The bytes of file transfer (ADR 29): one request, one answer, one
//! chunk at most, so neither side holds more than a chunk of a file in
//! memory and a cut transfer continues at the next chunk.
//!
//! ```text
//! request:  "OSBL" | version u8 | device id | op u8 | …
//!   op 1 begin an upload:   hash (32) | kind u8 | size
//!   op 2 put a chunk:       hash (32) | kind u8 | size | index | bytes
//!   op 3 get a chunk:       hash (32) | index
//!   op 4 get small files:   count | hash (32) × count
//! answer:   "OSBL" | version u8 | op u8 | …
//!   op 1, 2: state u8 (0: send chunk `next`, 1: stored) | next | media type
//!   op 3:    found u8 | kind u8 | size | media type | index | bytes
//!   op 4:    count | per file: state u8 (0: not found, 1: here, 2: ask
//!            again) | for 1: kind u8 | size | media type | bytes
//! ```
//!
//! Small files (thumbnails, the logo) go many to a round trip: at most
//! [`MAX_BATCH`] asked, at most [`BATCH_BYTES`] answered, so an answer is
//! no larger than a chunk's.
//!
//! A hash the device may not see is answered exactly like one the hub
//! does not hold: "not found" for a get, "send from chunk 0" for an upload.

use super::error::FrameError;
use super::wire::{Reader, Writer};
use crate::blob::{BlobKind, CHUNK_BYTES};

const MAGIC: &[u8; 4] = b"OSBL";
/// The file transfer's version.
pub const BLOB_PROTOCOL: u8 = 1;
/// The largest blob request or answer (a chunk and its header).
pub const MAX_BLOB_FRAME: usize = CHUNK_BYTES + 4096;

/// The most files one "get small files" request asks for.
pub const MAX_BATCH: usize = 64;
/// The most file bytes one answer to it carries (a chunk, less room for
/// the entries' headers); only files of at most this size are asked so.
pub const BATCH_BYTES: usize = CHUNK_BYTES - 16 * 1024;

/// What a device asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobRequest {
    /// Which chunk the hub wants next of a blob this device uploads.
    Begin {
        /// The blob.
        hash: [u8; 32],
        /// Its kind.
        kind: BlobKind,
        /// Its size.
        size: u64,
    },
    /// One chunk of an upload.
    Put {
        /// The blob.
        hash: [u8; 32],
        /// Its kind.
        kind: BlobKind,
        /// Its size.
        size: u64,
        /// The chunk's index.
        index: u64,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// One chunk of a download.
    Get {
        /// The blob.
        hash: [u8; 32],
        /// The chunk's index.
        index: u64,
    },
    /// Whole small files (at most [`MAX_BATCH`], each of at most
    /// [`BATCH_BYTES`]), as many as fit one answer.
    GetSmall {
        /// The blobs, in the order answered.
        hashes: Vec<[u8; 32]>,
    },
}

/// One file of an answer to [`BlobRequest::GetSmall`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmallFile {
    /// Not held, or not this device's to see (the same answer).
    NotFound,
    /// The whole file.
    Whole {
        /// Its kind.
        kind: BlobKind,
        /// Its size (the bytes' length).
        size: u64,
        /// Its sniffed media type.
        media_type: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// Did not fit this answer (or is not small): ask again.
    Later,
}

/// What the hub answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobAnswer {
    /// To `Begin` or `Put`: send chunk `next`.
    Send {
        /// The chunk the hub wants.
        next: u64,
    },
    /// To `Begin` or `Put`: the hub holds the blob (its sniffed type).
    Stored {
        /// The media type the hub sniffed.
        media_type: String,
    },
    /// To `Get`: one chunk.
    Chunk {
        /// The blob's kind.
        kind: BlobKind,
        /// Its size.
        size: u64,
        /// Its media type.
        media_type: String,
        /// The chunk's index.
        index: u64,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// To `Get`: not held, or not for this device (the same answer).
    NotFound,
    /// To `GetSmall`: each file asked, in order.
    Files {
        /// One per hash asked.
        files: Vec<SmallFile>,
    },
}

/// A request with the device that sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobFrame {
    /// The device (checked against its token by the hub).
    pub device_id: String,
    /// The request.
    pub request: BlobRequest,
}

fn kind(r: &mut Reader<'_>) -> Result<BlobKind, FrameError> {
    BlobKind::from_code(r.u8()?).ok_or(FrameError::Malformed("unknown blob kind"))
}

fn hash(r: &mut Reader<'_>) -> Result<[u8; 32], FrameError> {
    let mut h = [0u8; 32];
    h.copy_from_slice(r.raw(32)?);
    Ok(h)
}

/// A batch's count: 1 to [`MAX_BATCH`].
fn count(r: &mut Reader<'_>) -> Result<usize, FrameError> {
    match r.uint()? {
        n if (1..=MAX_BATCH as u64).contains(&n) => Ok(n as usize),
        _ => Err(FrameError::Malformed("a batch of files holds 1 to 64")),
    }
}

fn header(r: &mut Reader<'_>) -> Result<(), FrameError> {
    if r.raw(4)? != MAGIC {
        return Err(FrameError::Malformed("not a blob frame"));
    }
    let v = r.u8()?;
    if v != BLOB_PROTOCOL {
        return Err(FrameError::Version { found: v, supported: BLOB_PROTOCOL });
    }
    Ok(())
}

/// The request's bytes.
pub fn encode_request(f: &BlobFrame) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(MAGIC);
    w.u8(BLOB_PROTOCOL);
    w.str(&f.device_id);
    match &f.request {
        BlobRequest::Begin { hash, kind, size } => {
            w.u8(1);
            w.raw(hash);
            w.u8(kind.code());
            w.uint(*size);
        }
        BlobRequest::Put { hash, kind, size, index, bytes } => {
            w.u8(2);
            w.raw(hash);
            w.u8(kind.code());
            w.uint(*size);
            w.uint(*index);
            w.bytes(bytes);
        }
        BlobRequest::Get { hash, index } => {
            w.u8(3);
            w.raw(hash);
            w.uint(*index);
        }
        BlobRequest::GetSmall { hashes } => {
            w.u8(4);
            w.uint(hashes.len() as u64);
            for h in hashes {
                w.raw(h);
            }
        }
    }
    w.buf
}

/// Reads a request; never panics, whatever the bytes.
pub fn decode_request(bytes: &[u8]) -> Result<BlobFrame, FrameError> {
    if bytes.len() > MAX_BLOB_FRAME {
        return Err(FrameError::TooLarge { what: "blob request", limit: MAX_BLOB_FRAME as u64 });
    }
    let mut r = Reader::new(bytes);
    header(&mut r)?;
    let device_id = r.str(64)?.to_string();
    let request = match r.u8()? {
        1 => BlobRequest::Begin { hash: hash(&mut r)?, kind: kind(&mut r)?, size: r.uint()? },
        2 => BlobRequest::Put {
            hash: hash(&mut r)?,
            kind: kind(&mut r)?,
            size: r.uint()?,
            index: r.uint()?,
            bytes: r.bytes(CHUNK_BYTES)?.to_vec(),
        },
        3 => BlobRequest::Get { hash: hash(&mut r)?, index: r.uint()? },
        4 => {
            let n = count(&mut r)?;
            BlobRequest::GetSmall { hashes: (0..n).map(|_| hash(&mut r)).collect::<Result<_, _>>()? }
        }
        _ => return Err(FrameError::Malformed("unknown blob operation")),
    };
    if !r.is_empty() {
        return Err(FrameError::Malformed("bytes after the blob request"));
    }
    Ok(BlobFrame { device_id, request })
}

/// The answer's bytes.
pub fn encode_answer(a: &BlobAnswer) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(MAGIC);
    w.u8(BLOB_PROTOCOL);
    match a {
        BlobAnswer::Send { next } => {
            w.u8(1);
            w.u8(0);
            w.uint(*next);
        }
        BlobAnswer::Stored { media_type } => {
            w.u8(1);
            w.u8(1);
            w.str(media_type);
        }
        BlobAnswer::Chunk { kind, size, media_type, index, bytes } => {
            w.u8(3);
            w.u8(1);
            w.u8(kind.code());
            w.uint(*size);
            w.str(media_type);
            w.uint(*index);
            w.bytes(bytes);
        }
        BlobAnswer::NotFound => {
            w.u8(3);
            w.u8(0);
        }
        BlobAnswer::Files { files } => {
            w.u8(4);
            w.u8(0);
            w.uint(files.len() as u64);
            for f in files {
                match f {
                    SmallFile::NotFound => w.u8(0),
                    SmallFile::Whole { kind, size, media_type, bytes } => {
                        w.u8(1);
                        w.u8(kind.code());
                        w.uint(*size);
                        w.str(media_type);
                        w.bytes(bytes);
                    }
                    SmallFile::Later => w.u8(2),
                }
            }
        }
    }
    w.buf
}

/// Reads an answer; never panics, whatever the bytes.
pub fn decode_answer(bytes: &[u8]) -> Result<BlobAnswer, FrameError> {
    if bytes.len() > MAX_BLOB_FRAME {
        return Err(FrameError::TooLarge { what: "blob answer", limit: MAX_BLOB_FRAME as u64 });
    }
    let mut r = Reader::new(bytes);
    header(&mut r)?;
    let answer = match (r.u8()?, r.u8()?) {
        (1, 0) => BlobAnswer::Send { next: r.uint()? },
        (1, 1) => BlobAnswer::Stored { media_type: r.str(100)?.to_string() },
        (3, 1) => BlobAnswer::Chunk {
            kind: kind(&mut r)?,
            size: r.uint()?,
            media_type: r.str(100)?.to_string(),
            index: r.uint()?,
            bytes: r.bytes(CHUNK_BYTES)?.to_vec(),
        },
        (3, 0) => BlobAnswer::NotFound,
        (4, 0) => {
            let n = count(&mut r)?;
            let mut files = Vec::with_capacity(n);
            for _ in 0..n {
                files.push(match r.u8()? {
                    0 => SmallFile::NotFound,
                    1 => {
                        let (kind, size, media_type) = (kind(&mut r)?, r.uint()?, r.str(100)?.to_string());
                        let bytes = r.bytes(BATCH_BYTES)?.to_vec();
                        if bytes.len() as u64 != size {
                            return Err(FrameError::Malformed("a small file's bytes do not match its size"));
                        }
                        SmallFile::Whole { kind, size, media_type, bytes }
                    }
                    2 => SmallFile::Later,
                    _ => return Err(FrameError::Malformed("unknown small file state")),
                });
            }
            BlobAnswer::Files { files }
        }
        _ => return Err(FrameError::Malformed("unknown blob answer")),
    };
    if !r.is_empty() {
        return Err(FrameError::Malformed("bytes after the blob answer"));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_hostile_bytes_fail_typed() {
        let h = [7u8; 32];
        let reqs = [
            BlobRequest::Begin { hash: h, kind: BlobKind::Attachment, size: 9 },
            BlobRequest::Put { hash: h, kind: BlobKind::Attachment, size: 9, index: 0, bytes: vec![1; 9] },
            BlobRequest::Get { hash: h, index: 3 },
            BlobRequest::GetSmall { hashes: vec![h, [8u8; 32]] },
        ];
        for request in reqs {
            let f = BlobFrame { device_id: "dev-1".into(), request };
            let bytes = encode_request(&f);
            assert_eq!(decode_request(&bytes).unwrap(), f);
            for cut in 0..bytes.len() {
                assert!(decode_request(&bytes[..cut]).is_err(), "cut at {cut}");
            }
        }
        let answers = [
            BlobAnswer::Send { next: 4 },
            BlobAnswer::Stored { media_type: "application/pdf".into() },
            BlobAnswer::Chunk {
                kind: BlobKind::Image,
                size: 3,
                media_type: "image/png".into(),
                index: 0,
                bytes: vec![1, 2, 3],
            },
            BlobAnswer::NotFound,
            BlobAnswer::Files {
                files: vec![
                    SmallFile::NotFound,
                    SmallFile::Whole {
                        kind: BlobKind::Thumbnail,
                        size: 2,
                        media_type: "image/jpeg".into(),
                        bytes: vec![0xFF, 0xD8],
                    },
                    SmallFile::Later,
                ],
            },
        ];
        for a in answers {
            let bytes = encode_answer(&a);
            assert_eq!(decode_answer(&bytes).unwrap(), a);
            for cut in 0..bytes.len() {
                assert!(decode_answer(&bytes[..cut]).is_err(), "cut at {cut}");
            }
        }
        // A chunk that declares more bytes than a chunk holds.
        let mut w = Writer::default();
        w.raw(MAGIC);
        w.u8(BLOB_PROTOCOL);
        w.str("dev");
        w.u8(2);
        w.raw(&h);
        w.u8(4);
        w.uint(u64::MAX);
        w.uint(0);
        w.uint(CHUNK_BYTES as u64 + 1);
        assert!(matches!(decode_request(&w.buf), Err(FrameError::TooLarge { .. })));
        assert!(decode_request(&vec![0u8; MAX_BLOB_FRAME + 1]).is_err());
        // Batches of none, of more than 64, and a small file whose bytes
        // are not its declared size.
        for n in [0u64, 65, u64::MAX] {
            let mut w = Writer::default();
            w.raw(MAGIC);
            w.u8(BLOB_PROTOCOL);
            w.str("dev");
            w.u8(4);
            w.uint(n);
            assert!(decode_request(&w.buf).is_err(), "{n}");
        }
        let lying = BlobAnswer::Files {
            files: vec![SmallFile::Whole {
                kind: BlobKind::Logo,
                size: 3,
                media_type: "image/png".into(),
                bytes: vec![1],
            }],
        };
        assert!(decode_answer(&encode_answer(&lying)).is_err());
    }
}
