//! The frame format: what one request or response of a sync round trip
//! carries, as bytes. Layout (all integers LEB128, strings and byte
//! strings length-prefixed):
//!
//! ```text
//! magic "OSYN" | version u8 | kind u8 (1 request, 2 response, 3 refusal)
//! device id | session | round
//! request:  catalog cursor (zig-zag) | resume? (seq, sku) | doc cursor | entries
//! response: catalog part? | doc cursor | more u8 | entries | erased: count | doc ids
//! refusal:  count | per refused document: doc id | code | message | the hub's document (may be empty)
//! catalog part: complete u8 | resume? | since | to | deflated JSON of the delta
//! entry: doc id (kind byte, 16-byte UUID or text key, month for activities)
//!        | Automerge sync message
//! ```
//!
//! Sessions, rounds, cursors and sequence numbers are at most 2^63 − 1 (they
//! are stored as signed 64-bit integers) and never negative.
//!
//! [`decode_request`] and [`decode_response`] check everything (sizes
//! before allocation, the magic and version, every document id, every
//! Automerge message, the catalog JSON) before the caller applies anything.

use automerge::sync::Message;

use super::error::FrameError;
use super::wire::{Reader, Writer};
use crate::catalog::Seq;
use crate::crdt::{DocId, DocKind, MAX_DOC_BYTES};
use crate::release::CatalogDelta;

/// The frame format version this build speaks (2: discount documents and
/// refusal frames, ADR 17; 3: person documents and the erased list of a
/// response, ADR 24; 4: records with fields an older app would drop when it
/// writes — quote positions, a contact's form of address, the VAT ID's
/// confirmation — so such an app is told to update, ADR 26; 5: attachment
/// documents, which the hub never sends in an answer of version 4, ADR 29).
pub const PROTOCOL_VERSION: u8 = 5;
/// The oldest request version the hub answers, in the request's own
/// version (ADR 28): an app one release behind keeps syncing; an older one
/// is told to update (`FrameError::TooOld`, HTTP 426) before it writes
/// anything. `core/tests/fixtures/protocol-v4/` holds a frame and a store of
/// version 4, replayed by every later build while 4 is supported.
pub const MIN_PROTOCOL_VERSION: u8 = 4;
/// Largest frame accepted (32 MiB).
pub const MAX_FRAME_BYTES: usize = 32 << 20;
/// Most documents in one frame.
pub const MAX_ENTRIES: usize = 100_000;
const MAGIC: &[u8; 4] = b"OSYN";
const REQUEST: u8 = 1;
const RESPONSE: u8 = 2;
const REFUSAL: u8 = 3;
/// Longest refusal message.
const MAX_MESSAGE: usize = 1000;
/// Largest inflated catalog JSON accepted in one response.
const MAX_CATALOG_JSON: usize = 128 << 20;

/// One document's Automerge sync message.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The document.
    pub doc: DocId,
    /// The decoded message.
    pub message: Message,
}

/// Where a split catalog delta continues: after this product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogResume {
    /// The product's sequence.
    pub seq: Seq,
    /// Its row in the hub's catalog (rows are sent in sequence, row order).
    pub row: i64,
}

/// Reference data in a response: the delta since the device's cursor, or
/// one page of it when it is too large for one frame.
#[derive(Debug, Clone)]
pub struct CatalogPart {
    /// Rows changed and tombstones; `since`/`to` as in the whole delta.
    pub delta: CatalogDelta,
    /// The last page: the device's cursor moves to `delta.to`.
    pub complete: bool,
    /// Where the next page starts (only when not complete).
    pub resume: Option<CatalogResume>,
}

/// A device's request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The sending device.
    pub device_id: String,
    /// Sync session (a new one after a lost response).
    pub session: u64,
    /// Round number, strictly increasing per device.
    pub round: u64,
    /// The device's catalog sequence.
    pub catalog_cursor: Seq,
    /// Position inside a split catalog delta.
    pub catalog_resume: Option<CatalogResume>,
    /// The hub's document sequence the device has seen up to.
    pub doc_cursor: u64,
    /// Documents changed on the device or in conversation.
    pub entries: Vec<Entry>,
}

/// The hub's response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The device it answers.
    pub device_id: String,
    /// The request's session.
    pub session: u64,
    /// The request's round.
    pub round: u64,
    /// Reference data since the device's cursor, if any changed.
    pub catalog: Option<CatalogPart>,
    /// The hub's document sequence covered by this response.
    pub doc_cursor: u64,
    /// More documents or catalog pages wait: sync again.
    pub more: bool,
    /// Replies and announcements, per document.
    pub entries: Vec<Entry>,
    /// Documents erased at the hub (ADR 24): the device deletes its copy
    /// and everything derived from it.
    pub erased: Vec<DocId>,
}

/// One refused document in a refusal frame.
#[derive(Debug, Clone)]
pub struct RefusedDoc {
    /// The document.
    pub doc: DocId,
    /// Why.
    pub code: crate::transition::refusal::RefusalCode,
    /// Why, in plain words.
    pub message: String,
    /// The hub's current document (its `save()` bytes), for the device to
    /// merge before it restores what the hub accepted; empty when the hub
    /// has none the device may see.
    pub hub_doc: Vec<u8>,
}

/// The hub's answer when it refused changes of a request: nothing of the
/// request was stored.
#[derive(Debug, Clone)]
pub struct RefusalFrame {
    /// The device it answers.
    pub device_id: String,
    /// The request's session.
    pub session: u64,
    /// The request's round.
    pub round: u64,
    /// Every refused document.
    pub refused: Vec<RefusedDoc>,
}

/// What the hub answered: a response, or a refusal.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The request was applied.
    Response(Box<Response>),
    /// Changes of the request were refused; nothing was applied.
    Refusal(RefusalFrame),
}

fn kind_code(k: DocKind) -> u8 {
    match k {
        DocKind::Account => 1,
        DocKind::Activities => 2,
        DocKind::Quote => 3,
        DocKind::Order => 4,
        DocKind::Discount => 5,
        DocKind::Person => 6,
        DocKind::Attachment => 7,
    }
}

pub(crate) fn put_doc_id(w: &mut Writer, id: &DocId) {
    let key = id.key();
    let uuid = uuid::Uuid::parse_str(key).ok().filter(|u| u.hyphenated().to_string() == key);
    w.u8(kind_code(id.kind()) | if uuid.is_some() { 0x80 } else { 0 });
    match uuid {
        Some(u) => w.raw(u.as_bytes()),
        None => w.str(key),
    }
    if id.kind() == DocKind::Activities {
        let period = id.as_str().rsplit('/').next().unwrap_or_default();
        let (y, m) = period.split_once('-').unwrap_or_default();
        let months = y.parse::<u64>().unwrap_or(0) * 12 + m.parse::<u64>().unwrap_or(1).saturating_sub(1);
        w.uint(months);
    }
}

pub(crate) fn read_doc_id(r: &mut Reader<'_>) -> Result<DocId, FrameError> {
    let tag = r.u8()?;
    let key = if tag & 0x80 != 0 {
        let b = r.raw(16)?;
        uuid::Uuid::from_slice(b).map_err(|_| FrameError::BadDocId)?.hyphenated().to_string()
    } else {
        r.str(64)?.to_string()
    };
    let text = match tag & 0x7f {
        1 => format!("account/{key}"),
        2 => {
            let months = r.uint()?;
            if months > 9999 * 12 + 11 {
                return Err(FrameError::BadDocId);
            }
            format!("activities/{key}/{:04}-{:02}", months / 12, months % 12 + 1)
        }
        3 => format!("quote/{key}"),
        4 => format!("order/{key}"),
        5 => format!("discount/{key}"),
        6 => format!("person/{key}"),
        7 => format!("attachment/{key}"),
        _ => return Err(FrameError::BadDocId),
    };
    DocId::parse(&text).map_err(|_| FrameError::BadDocId)
}

fn put_entries(w: &mut Writer, entries: &[Entry]) {
    w.uint(entries.len() as u64);
    for e in entries {
        put_doc_id(w, &e.doc);
        w.bytes(&e.message.clone().encode());
    }
}

/// Bytes one entry adds to a frame (for size budgets).
pub(crate) fn entry_size(doc: &DocId, message_len: usize) -> usize {
    let mut w = Writer::default();
    put_doc_id(&mut w, doc);
    w.buf.len() + message_len + 5
}

fn read_entries(r: &mut Reader<'_>) -> Result<Vec<Entry>, FrameError> {
    let n = r.len(MAX_ENTRIES)?;
    let mut out: Vec<Entry> = Vec::with_capacity(n.min(4096));
    let mut seen = std::collections::HashSet::with_capacity(n.min(4096));
    for _ in 0..n {
        let doc = read_doc_id(r)?;
        let bytes = r.bytes(MAX_DOC_BYTES)?;
        let message = Message::decode(bytes).map_err(|e| FrameError::BadMessage(e.to_string()))?;
        // Automerge writes every hash list sorted and relies on it (found by
        // fuzzing: re-encoding an unsorted list trips an assertion).
        let sorted = |h: &[automerge::ChangeHash]| h.windows(2).all(|w| w[0] <= w[1]);
        if !sorted(&message.heads) || !sorted(&message.need) || message.have.iter().any(|h| !sorted(&h.last_sync)) {
            return Err(FrameError::BadMessage("hash lists must be sorted".into()));
        }
        if !seen.insert(doc.clone()) {
            return Err(FrameError::Malformed("a document appears twice"));
        }
        out.push(Entry { doc, message });
    }
    Ok(out)
}

fn put_resume(w: &mut Writer, r: Option<&CatalogResume>) {
    match r {
        None => w.u8(0),
        Some(r) => {
            w.u8(1);
            w.int(r.seq);
            w.int(r.row);
        }
    }
}

fn read_resume(r: &mut Reader<'_>) -> Result<Option<CatalogResume>, FrameError> {
    Ok(if r.bool()? { Some(CatalogResume { seq: seq(r.int()?)?, row: seq(r.int()?)? }) } else { None })
}

/// A sequence number or cursor: never negative.
fn seq(v: i64) -> Result<i64, FrameError> {
    if v < 0 {
        return Err(FrameError::Malformed("a sequence number is negative"));
    }
    Ok(v)
}

/// A counter stored as a signed 64-bit integer: at most 2^63 − 1.
fn counter(v: u64) -> Result<u64, FrameError> {
    if v > i64::MAX as u64 {
        return Err(FrameError::Malformed("a session, round or cursor is out of range"));
    }
    Ok(v)
}

fn header(w: &mut Writer, kind: u8, version: u8, device_id: &str, session: u64, round: u64) {
    w.raw(MAGIC);
    w.u8(version);
    w.u8(kind);
    w.str(device_id);
    w.uint(session);
    w.uint(round);
}

fn read_header(r: &mut Reader<'_>, want: u8) -> Result<(String, u64, u64), FrameError> {
    if r.raw(4).map_err(|_| FrameError::Malformed("not a sync frame"))? != MAGIC {
        return Err(FrameError::Malformed("not a sync frame"));
    }
    let version = r.u8()?;
    // The hub reads requests of every supported version (one layout while
    // no version changed it, ADR 28); a device reads answers in its own.
    let oldest = if want == REQUEST { MIN_PROTOCOL_VERSION } else { PROTOCOL_VERSION };
    if want == REQUEST && version < oldest {
        return Err(FrameError::TooOld { found: version, oldest });
    }
    if !(oldest..=PROTOCOL_VERSION).contains(&version) {
        return Err(FrameError::Version { found: version, supported: PROTOCOL_VERSION });
    }
    if r.u8()? != want {
        return Err(FrameError::Malformed(if want == REQUEST { "expected a request" } else { "expected a response" }));
    }
    let device = r.str(64)?;
    crate::ids::check_id("device id", device).map_err(|_| FrameError::Malformed("device id"))?;
    let (session, round) = (counter(r.uint()?)?, counter(r.uint()?)?);
    if session == 0 || round == 0 {
        return Err(FrameError::Malformed("sessions and rounds start at 1"));
    }
    Ok((device.to_string(), session, round))
}

fn check_size(bytes: &[u8]) -> Result<(), FrameError> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge { what: "frame", limit: MAX_FRAME_BYTES as u64 });
    }
    Ok(())
}

/// Encodes a request.
pub fn encode_request(q: &Request) -> Vec<u8> {
    let mut w = Writer::default();
    header(&mut w, REQUEST, PROTOCOL_VERSION, &q.device_id, q.session, q.round);
    w.int(q.catalog_cursor);
    put_resume(&mut w, q.catalog_resume.as_ref());
    w.uint(q.doc_cursor);
    put_entries(&mut w, &q.entries);
    w.buf
}

/// Decodes and checks a request.
pub fn decode_request(bytes: &[u8]) -> Result<Request, FrameError> {
    check_size(bytes)?;
    let mut r = Reader::new(bytes);
    let (device_id, session, round) = read_header(&mut r, REQUEST)?;
    let q = Request {
        device_id,
        session,
        round,
        catalog_cursor: seq(r.int()?)?,
        catalog_resume: read_resume(&mut r)?,
        doc_cursor: counter(r.uint()?)?,
        entries: read_entries(&mut r)?,
    };
    if !r.is_empty() {
        return Err(FrameError::Malformed("bytes after the end of the frame"));
    }
    Ok(q)
}

/// How many documents a request frame offers, read from its header
/// without decoding the messages (for progress).
pub fn entry_count(bytes: &[u8]) -> Result<u32, FrameError> {
    let mut r = Reader::new(bytes);
    read_header(&mut r, REQUEST)?;
    r.int()?;
    read_resume(&mut r)?;
    r.uint()?;
    Ok(u32::try_from(r.len(MAX_ENTRIES)?).unwrap_or(u32::MAX))
}

/// Encodes a response in this build's version.
pub fn encode_response(p: &Response) -> Result<Vec<u8>, FrameError> {
    encode_response_in(p, PROTOCOL_VERSION)
}

/// The version a request frame speaks (the hub answers in it).
pub fn request_version(bytes: &[u8]) -> Result<u8, FrameError> {
    let mut r = Reader::new(bytes);
    read_header(&mut r, REQUEST)?;
    Ok(bytes[4])
}

/// Encodes a response in `version`, the request's (ADR 28).
pub fn encode_response_in(p: &Response, version: u8) -> Result<Vec<u8>, FrameError> {
    let mut w = Writer::default();
    header(&mut w, RESPONSE, version, &p.device_id, p.session, p.round);
    match &p.catalog {
        None => w.u8(0),
        Some(c) => {
            w.u8(1);
            w.u8(u8::from(c.complete));
            put_resume(&mut w, c.resume.as_ref());
            w.int(c.delta.since);
            w.int(c.delta.to);
            let json = serde_json::to_vec(&c.delta).map_err(|_| FrameError::Malformed("catalog delta"))?;
            w.bytes(&miniz_oxide::deflate::compress_to_vec(&json, 6));
        }
    }
    w.uint(p.doc_cursor);
    w.u8(u8::from(p.more));
    put_entries(&mut w, &p.entries);
    w.uint(p.erased.len() as u64);
    for id in &p.erased {
        put_doc_id(&mut w, id);
    }
    Ok(w.buf)
}

/// Decodes and checks a response.
pub fn decode_response(bytes: &[u8]) -> Result<Response, FrameError> {
    check_size(bytes)?;
    let mut r = Reader::new(bytes);
    let (device_id, session, round) = read_header(&mut r, RESPONSE)?;
    let catalog = if r.bool()? {
        let complete = r.bool()?;
        let resume = read_resume(&mut r)?;
        let (since, to) = (seq(r.int()?)?, seq(r.int()?)?);
        let packed = r.bytes(MAX_FRAME_BYTES)?;
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_CATALOG_JSON)
            .map_err(|_| FrameError::Malformed("catalog delta does not inflate within the limit"))?;
        let delta: CatalogDelta =
            serde_json::from_slice(&json).map_err(|_| FrameError::Malformed("catalog delta is not valid JSON"))?;
        if delta.since != since || delta.to != to || to < since || complete == resume.is_some() {
            return Err(FrameError::Malformed("catalog part is inconsistent"));
        }
        Some(CatalogPart { delta, complete, resume })
    } else {
        None
    };
    let p = Response {
        device_id,
        session,
        round,
        catalog,
        doc_cursor: counter(r.uint()?)?,
        more: r.bool()?,
        entries: read_entries(&mut r)?,
        erased: {
            let n = r.len(MAX_ENTRIES)?;
            let mut ids = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                ids.push(read_doc_id(&mut r)?);
            }
            ids
        },
    };
    if !r.is_empty() {
        return Err(FrameError::Malformed("bytes after the end of the frame"));
    }
    Ok(p)
}

/// Encodes a refusal.
pub fn encode_refusal(f: &RefusalFrame) -> Vec<u8> {
    encode_refusal_in(f, PROTOCOL_VERSION)
}

/// Encodes a refusal in `version`, the request's (ADR 28).
pub fn encode_refusal_in(f: &RefusalFrame, version: u8) -> Vec<u8> {
    let mut w = Writer::default();
    header(&mut w, REFUSAL, version, &f.device_id, f.session, f.round);
    w.uint(f.refused.len() as u64);
    for d in &f.refused {
        put_doc_id(&mut w, &d.doc);
        w.str(d.code.as_str());
        let message: String = d.message.chars().take(MAX_MESSAGE / 4).collect();
        w.str(&message);
        w.bytes(&d.hub_doc);
    }
    w.buf
}

fn decode_refusal(bytes: &[u8]) -> Result<RefusalFrame, FrameError> {
    let mut r = Reader::new(bytes);
    let (device_id, session, round) = read_header(&mut r, REFUSAL)?;
    let n = r.len(MAX_ENTRIES)?;
    let mut refused = Vec::with_capacity(n.min(256));
    for _ in 0..n {
        let doc = read_doc_id(&mut r)?;
        let code = crate::transition::refusal::RefusalCode::parse(r.str(64)?)
            .ok_or(FrameError::Malformed("an unknown refusal code"))?;
        let message = r.str(MAX_MESSAGE)?.to_string();
        let hub_doc = r.bytes(MAX_DOC_BYTES)?.to_vec();
        refused.push(RefusedDoc { doc, code, message, hub_doc });
    }
    if !r.is_empty() {
        return Err(FrameError::Malformed("bytes after the end of the frame"));
    }
    Ok(RefusalFrame { device_id, session, round, refused })
}

/// Decodes and checks what the hub answered: a response or a refusal.
pub fn decode_answer(bytes: &[u8]) -> Result<Answer, FrameError> {
    check_size(bytes)?;
    if bytes.len() > 5 && bytes[5] == REFUSAL {
        return decode_refusal(bytes).map(Answer::Refusal);
    }
    decode_response(bytes).map(|r| Answer::Response(Box::new(r)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;

    fn message() -> Message {
        let mut d = automerge::AutoCommit::new();
        d.put(automerge::ROOT, "a", 1).unwrap_or_else(|e| panic!("{e}"));
        d.commit();
        d.sync().generate_sync_message(&mut automerge::sync::State::new()).unwrap_or_else(|| panic!("no message"))
    }

    fn request() -> Request {
        Request {
            device_id: "dev-1".into(),
            session: 3,
            round: 7,
            catalog_cursor: 12,
            catalog_resume: Some(CatalogResume { seq: 12, row: 7 }),
            doc_cursor: 99,
            entries: vec![
                Entry { doc: DocId::quote("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a"), message: message() },
                Entry { doc: DocId::activities("acc-1", "2026-11"), message: message() },
            ],
        }
    }

    #[test]
    fn requests_and_responses_round_trip() -> Result<(), FrameError> {
        let q = request();
        let bytes = encode_request(&q);
        let back = decode_request(&bytes)?;
        assert_eq!((back.session, back.round, back.catalog_cursor, back.doc_cursor), (3, 7, 12, 99));
        assert_eq!(back.catalog_resume, q.catalog_resume);
        assert_eq!(back.entries.len(), 2);
        assert_eq!(back.entries[1].doc.as_str(), "activities/acc-1/2026-11");
        assert_eq!(back.entries[0].message, q.entries[0].message);

        let p = Response {
            device_id: "dev-1".into(),
            session: 3,
            round: 7,
            catalog: Some(CatalogPart {
                delta: CatalogDelta { since: 1, to: 4, ..Default::default() },
                complete: true,
                resume: None,
            }),
            doc_cursor: 120,
            more: true,
            entries: q.entries.clone(),
            erased: vec![DocId::person("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1b"), DocId::person("c-7")],
        };
        let back = decode_response(&encode_response(&p)?)?;
        assert_eq!(back.erased, p.erased);
        assert!(back.more && back.catalog.is_some_and(|c| c.delta.to == 4 && c.complete));
        assert!(decode_request(&encode_response(&p)?).is_err(), "a response is not a request");
        Ok(())
    }

    #[test]
    fn uuid_keys_are_sent_as_16_bytes() {
        let id = DocId::quote("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a");
        assert_eq!(entry_size(&id, 0), 1 + 16 + 5);
        let upper = DocId::quote("5B0C6A2E-8F1D-4C3B-9A7E-2D4F6B8C0E1A");
        let mut w = Writer::default();
        put_doc_id(&mut w, &upper);
        assert_eq!(read_doc_id(&mut Reader::new(&w.buf)).ok(), Some(upper), "non-canonical UUIDs kept as text");
    }

    #[test]
    fn every_truncation_and_a_wrong_version_are_refused() {
        let bytes = encode_request(&request());
        for n in 0..bytes.len() {
            assert!(decode_request(&bytes[..n]).is_err(), "prefix of {n} bytes accepted");
        }
        let mut v1 = bytes.clone();
        v1[4] = 1;
        assert!(
            matches!(decode_request(&v1), Err(FrameError::TooOld { found: 1, oldest: MIN_PROTOCOL_VERSION })),
            "an app too old is told to update"
        );
        let mut next = bytes.clone();
        next[4] = PROTOCOL_VERSION + 1;
        assert!(
            matches!(decode_request(&next), Err(FrameError::Version { found, .. }) if found == PROTOCOL_VERSION + 1)
        );
        assert_eq!(request_version(&bytes), Ok(PROTOCOL_VERSION));
        // Answers are read in this build's version only.
        let answer = encode_response(&Response {
            device_id: "dev-1".into(),
            session: 1,
            round: 1,
            catalog: None,
            doc_cursor: 0,
            more: false,
            entries: vec![],
            erased: vec![],
        })
        .unwrap();
        let mut old = answer.clone();
        old[4] = PROTOCOL_VERSION - 1;
        assert!(matches!(decode_response(&old), Err(FrameError::Version { .. })));
        assert!(decode_response(&answer).is_ok());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode_request(&extra).is_err());
        let huge = vec![0u8; MAX_FRAME_BYTES + 1];
        assert!(matches!(decode_request(&huge), Err(FrameError::TooLarge { .. })));
    }

    #[test]
    fn counters_beyond_signed_64_bits_and_negative_cursors_are_refused() {
        for (session, round) in [(u64::MAX, 1), (1, u64::MAX), (i64::MAX as u64 + 1, 1), (0, 1), (1, 0)] {
            let q = Request { session, round, ..request() };
            assert!(
                matches!(decode_request(&encode_request(&q)), Err(FrameError::Malformed(_))),
                "session {session}, round {round} accepted"
            );
        }
        let q = Request { session: i64::MAX as u64, round: i64::MAX as u64, ..request() };
        assert!(decode_request(&encode_request(&q)).is_ok(), "the largest stored value is fine");
        for q in [
            Request { catalog_cursor: -1, ..request() },
            Request { doc_cursor: u64::MAX, ..request() },
            Request { catalog_resume: Some(CatalogResume { seq: -5, row: 1 }), ..request() },
        ] {
            assert!(decode_request(&encode_request(&q)).is_err());
        }
    }

    #[test]
    fn refusals_round_trip_and_are_told_from_responses() -> Result<(), FrameError> {
        let f = RefusalFrame {
            device_id: "dev-1".into(),
            session: 2,
            round: 9,
            refused: vec![RefusedDoc {
                doc: DocId::discount("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a"),
                code: crate::transition::refusal::RefusalCode::DiscountApprovalRequired,
                message: "too much".into(),
                hub_doc: vec![1, 2, 3],
            }],
        };
        let bytes = encode_refusal(&f);
        let Answer::Refusal(back) = decode_answer(&bytes)? else { panic!("not a refusal") };
        assert_eq!((back.session, back.round, back.refused.len()), (2, 9, 1));
        assert_eq!(back.refused[0].doc, f.refused[0].doc);
        assert_eq!(back.refused[0].hub_doc, vec![1, 2, 3]);
        for n in 0..bytes.len() {
            assert!(decode_answer(&bytes[..n]).is_err(), "prefix of {n} bytes accepted");
        }
        let mut unknown = bytes.clone();
        let at = bytes.windows(26).position(|w| w == b"discount_approval_required").unwrap_or(0);
        unknown[at] = b'X';
        assert!(decode_answer(&unknown).is_err(), "an unknown code");
        assert!(decode_request(&bytes).is_err(), "a refusal is not a request");
        Ok(())
    }
}
