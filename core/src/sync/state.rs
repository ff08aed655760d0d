//! The whole Automerge sync state of one document with one peer, persisted
//! between round trips.
//!
//! `automerge::sync::State::encode` keeps only the shared heads, which is
//! right across connections but makes every round trip of one sync start
//! over (a new bloom filter, one more message per document). Within a sync
//! session we keep every field, so a round trip continues the conversation
//! exactly as an in-memory peer would; a new session (after a lost response
//! or a crash) starts again from the shared heads.

use std::collections::BTreeSet;

use automerge::ChangeHash;
use automerge::sync::{BloomFilter, Capability, Have, State};

use super::error::FrameError;
use super::wire::{Reader, Writer};

const FORMAT: u8 = 1;
const MAX_HASHES: usize = 100_000;
const MAX_BLOOM: usize = 4 << 20;

fn hashes(w: &mut Writer, hs: &[ChangeHash]) {
    w.uint(hs.len() as u64);
    for h in hs {
        w.raw(&h.0);
    }
}

fn read_hashes(r: &mut Reader<'_>) -> Result<Vec<ChangeHash>, FrameError> {
    let n = r.len(MAX_HASHES)?;
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let b = r.raw(32)?;
        out.push(ChangeHash::try_from(b).map_err(|_| FrameError::Malformed("a change hash"))?);
    }
    Ok(out)
}

fn opt_hashes(w: &mut Writer, hs: Option<&Vec<ChangeHash>>) {
    match hs {
        None => w.u8(0),
        Some(h) => {
            w.u8(1);
            hashes(w, h);
        }
    }
}

fn read_opt_hashes(r: &mut Reader<'_>) -> Result<Option<Vec<ChangeHash>>, FrameError> {
    Ok(if r.bool()? { Some(read_hashes(r)?) } else { None })
}

/// Encodes every field of `s`.
pub(crate) fn encode(s: &State) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(FORMAT);
    hashes(&mut w, &s.shared_heads);
    hashes(&mut w, &s.last_sent_heads);
    opt_hashes(&mut w, s.their_heads.as_ref());
    opt_hashes(&mut w, s.their_need.as_ref());
    match &s.their_have {
        None => w.u8(0),
        Some(haves) => {
            w.u8(1);
            w.uint(haves.len() as u64);
            for h in haves {
                hashes(&mut w, &h.last_sync);
                w.bytes(&h.bloom.to_bytes());
            }
        }
    }
    hashes(&mut w, &s.sent_hashes.iter().copied().collect::<Vec<_>>());
    let flags = [s.in_flight, s.have_responded, s.read_only, s.peer_read_only, s.needs_reset];
    w.u8(flags.iter().enumerate().fold(0u8, |acc, (i, f)| acc | (u8::from(*f) << i)));
    match &s.their_capabilities {
        None => w.u8(0),
        Some(caps) => {
            w.u8(1);
            w.uint(caps.len() as u64);
            for c in caps {
                w.u8(match c {
                    Capability::MessageV1 => 1,
                    Capability::MessageV2 => 2,
                    Capability::SyncReset => 3,
                });
            }
        }
    }
    w.buf
}

/// Decodes what [`encode`] wrote.
pub(crate) fn decode(bytes: &[u8]) -> Result<State, FrameError> {
    let mut r = Reader::new(bytes);
    if r.u8()? != FORMAT {
        return Err(FrameError::Malformed("unknown sync state format"));
    }
    let mut s = State {
        shared_heads: read_hashes(&mut r)?,
        last_sent_heads: read_hashes(&mut r)?,
        their_heads: read_opt_hashes(&mut r)?,
        their_need: read_opt_hashes(&mut r)?,
        ..State::new()
    };
    s.their_have = if r.bool()? {
        let n = r.len(MAX_HASHES)?;
        let mut haves = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            let last_sync = read_hashes(&mut r)?;
            let bloom =
                BloomFilter::try_from(r.bytes(MAX_BLOOM)?).map_err(|_| FrameError::Malformed("bloom filter"))?;
            haves.push(Have { last_sync, bloom });
        }
        Some(haves)
    } else {
        None
    };
    s.sent_hashes = read_hashes(&mut r)?.into_iter().collect::<BTreeSet<_>>();
    let flags = r.u8()?;
    let bit = |i: u8| flags & (1 << i) != 0;
    (s.in_flight, s.have_responded, s.read_only, s.peer_read_only, s.needs_reset) =
        (bit(0), bit(1), bit(2), bit(3), bit(4));
    s.their_capabilities = if r.bool()? {
        let n = r.len(16)?;
        let mut caps = Vec::with_capacity(n);
        for _ in 0..n {
            caps.push(match r.u8()? {
                1 => Capability::MessageV1,
                2 => Capability::MessageV2,
                3 => Capability::SyncReset,
                _ => return Err(FrameError::Malformed("unknown capability")),
            });
        }
        Some(caps)
    } else {
        None
    };
    if !r.is_empty() {
        return Err(FrameError::Malformed("bytes after the sync state"));
    }
    Ok(s)
}

/// The state for a document this peer has never synced with the other:
/// assume the other side has none of it, so the first message carries the
/// whole document (one round trip instead of a have/need exchange). If the
/// other side had it after all, the merge ignores what it already has.
pub(crate) fn first_contact() -> State {
    State {
        their_heads: Some(Vec::new()),
        their_have: Some(Vec::new()),
        their_need: Some(Vec::new()),
        their_capabilities: Some(vec![Capability::MessageV2]),
        ..State::new()
    }
}

/// Whether `msg` only tells the peer heads it already has: nothing to
/// apply, nothing asked for. Such acknowledgements are not sent; the worst
/// that can follow is a have/need exchange in a later session.
pub(crate) fn is_pure_ack(msg: &automerge::sync::Message, st: &State) -> bool {
    msg.changes.is_empty() && msg.need.is_empty() && st.their_heads.as_ref() == Some(&msg.heads)
}

/// One document's sync with one peer: the Automerge state and the changes
/// received before their dependencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocSync {
    /// The Automerge sync state of this session.
    pub state: State,
    /// Change bytes that could not be applied yet (Automerge keeps them
    /// only in the loaded document's memory; we keep them between round
    /// trips, so what they depend on is asked for and they apply later).
    pub queued: Vec<u8>,
}

impl DocSync {
    /// The sync state's stored form (the queued changes are stored as they
    /// are, beside it).
    pub fn state_bytes(&self) -> Vec<u8> {
        encode(&self.state)
    }

    /// A document's sync for `session` from what a hub backend stored for
    /// `stored_session`: the state itself within the same session, else a
    /// restart from the heads both sides are known to share.
    pub fn from_stored(
        stored_session: u64,
        state: &[u8],
        queued: Vec<u8>,
        session: u64,
    ) -> Result<DocSync, FrameError> {
        let st = decode(state)?;
        let state = if stored_session == session { st } else { restart(&st) };
        Ok(DocSync { state, queued })
    }

    /// The sync of a document never exchanged with this peer.
    pub fn first_contact() -> DocSync {
        DocSync { state: first_contact(), queued: Vec::new() }
    }
}

/// Puts the kept changes back into a freshly loaded document's queue (they
/// apply at once if their dependencies are there). Bytes that do not load
/// are dropped: the peer sends them again when asked.
pub(crate) fn requeue(doc: &mut automerge::AutoCommit, sync: &mut DocSync) {
    if !sync.queued.is_empty() && doc.load_incremental(&sync.queued).is_err() {
        sync.queued.clear();
        sync.state.needs_reset = true;
    }
}

/// After receiving `incoming` change bytes: keep them if some change still
/// waits for a dependency. Past the size limit the changes are dropped
/// instead and the peer is asked to forget what it sent (the SyncReset
/// flag), so it sends them again with their dependencies.
pub(crate) fn remember_unapplied(doc: &mut automerge::AutoCommit, sync: &mut DocSync, incoming: &[u8]) {
    if doc.get_missing_deps(&[]).is_empty() {
        sync.queued.clear();
        return;
    }
    sync.queued.extend_from_slice(incoming);
    if sync.queued.len() > crate::crdt::MAX_DOC_BYTES {
        sync.queued.clear();
        sync.state.needs_reset = true;
    }
}

/// The change bytes a message carries.
pub(crate) fn change_bytes(msg: &automerge::sync::Message) -> Vec<u8> {
    msg.changes.iter().flatten().copied().collect()
}

/// The state a new session starts from: only the heads both sides had.
pub(crate) fn restart(s: &State) -> State {
    State { shared_heads: s.shared_heads.clone(), their_have: Some(Vec::new()), ..State::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;

    #[test]
    fn a_mid_conversation_state_round_trips_exactly() -> Result<(), Box<dyn std::error::Error>> {
        let mut a = automerge::AutoCommit::new();
        a.put(automerge::ROOT, "k", "v")?;
        a.commit();
        let mut b = automerge::AutoCommit::new();
        let (mut sa, mut sb) = (State::new(), State::new());
        let m1 = a.sync().generate_sync_message(&mut sa).ok_or("no message")?;
        b.sync().receive_sync_message(&mut sb, m1)?;
        let m2 = b.sync().generate_sync_message(&mut sb).ok_or("no reply")?;
        a.sync().receive_sync_message(&mut sa, m2)?;
        let _ = a.sync().generate_sync_message(&mut sa);
        for s in [&sa, &sb, &State::new()] {
            assert_eq!(&decode(&encode(s))?, s);
        }
        assert!(decode(&encode(&sa)[..5]).is_err(), "truncated state refused");
        assert_eq!(restart(&sa).shared_heads, sa.shared_heads);
        Ok(())
    }
}
