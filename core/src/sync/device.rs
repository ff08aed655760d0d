//! The device role: build a request from local state, apply the hub's
//! response, over a [`DeviceStorage`].
//!
//! Like the hub role ([`super::hub`]), the engine decides everything the
//! protocol needs (sessions and rounds, which documents to offer, what fits
//! in a frame, how to recover from a refusal); the storage only loads and
//! saves. [`super::sqlite::SqliteDevice`] stores in an Onsite
//! [`crate::Store`]; the caller runs [`request`] and [`apply`] inside one
//! transaction of its storage and commits only if they return `Ok`, so a
//! malformed or replayed answer changes nothing.

use automerge::AutoCommit;
use automerge::sync::SyncDoc;

use super::frame::{self, CatalogResume, Entry, Request};
use super::state::{self, DocSync};
use super::{SyncError, SyncLimits};
use crate::catalog::Seq;
use crate::crdt::{self, DocId};
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::release::CatalogDelta;
use crate::transition::RefusalCode;

/// A change the hub refused, as the device keeps it for the user: which
/// document, why, and what the device did about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncRefusal {
    /// The document, e.g. `quote/<id>`.
    pub doc_id: String,
    /// The rule that refused it.
    pub code: RefusalCode,
    /// Why, in plain words (the hub's).
    pub message: String,
    /// When the refusal arrived (RFC 3339).
    pub refused_at: String,
    /// `true`: the document was set back to what the hub accepted (the
    /// refused version is in `local_version`); `false`: the hub has no
    /// version this device may see, so the document stays here, not
    /// offered again until it is changed.
    pub restored: bool,
    /// The refused version as JSON, so nothing typed is lost.
    pub local_version: Option<String>,
}

/// What one applied response did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncRound {
    /// Nothing is left to exchange: stop syncing.
    pub done: bool,
    /// Documents with a message in the response.
    pub docs_received: u32,
    /// Documents whose content changed here.
    pub docs_changed: u32,
    /// Products received in the catalog part.
    pub products_received: u32,
    /// The device's catalog sequence afterwards.
    pub catalog_seq: i64,
    /// Documents the hub erased (a forgotten person, ADR 24), deleted here
    /// in this round.
    pub docs_erased: u32,
    /// Changes the hub refused in this round (and how the device recovered:
    /// the next request goes through); also kept in
    /// [`crate::Store::sync_refusals`].
    pub refused: Vec<SyncRefusal>,
}

/// Where the device stands with its hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerState {
    /// The current session (a new one after a lost response or a refusal).
    pub session: u64,
    /// The last round sent.
    pub round: u64,
    /// A request was sent and its answer has not been applied.
    pub outstanding: bool,
    /// The local document sequence offered up to.
    pub local_cursor: i64,
    /// The hub's document sequence received up to.
    pub remote_cursor: u64,
    /// Where a split catalog delta continues.
    pub resume: Option<CatalogResume>,
}

impl PeerState {
    /// Before the first sync.
    pub fn first() -> PeerState {
        PeerState { session: 1, round: 0, outstanding: false, local_cursor: 0, remote_cursor: 0, resume: None }
    }
}

/// What a document's sync state with the hub is waiting for, besides the
/// Automerge state itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbox {
    /// A message was sent and awaits its reply.
    Awaiting,
    /// Something is to be sent in the next request.
    ToOffer,
}

/// What the device engine needs from storage. Every call of one
/// [`request`] or [`apply`] happens inside one transaction that the caller
/// commits after it returns `Ok`.
pub trait DeviceStorage {
    /// This device's id.
    fn device_id(&mut self) -> Result<String>;
    /// Where the device stands with the hub (`None` before the first sync).
    fn peer(&mut self) -> Result<Option<PeerState>>;
    /// Records it.
    fn set_peer(&mut self, peer: &PeerState) -> Result<()>;
    /// The newest local document sequence.
    fn doc_cursor(&mut self) -> Result<i64>;
    /// A stored document's sequence.
    fn doc_seq(&mut self, id: &DocId) -> Result<Option<i64>>;
    /// Documents changed after `cursor`, and those whose sync state carries
    /// an [`Outbox`] mark, each once, in any order.
    fn docs_to_offer(&mut self, cursor: i64) -> Result<Vec<DocId>>;
    /// A document, if stored.
    fn load_doc(&mut self, id: &DocId) -> Result<Option<AutoCommit>>;
    /// Deletes a document the hub erased, with everything derived from it
    /// (projections, sync state, held copies, refusals), and refuses local
    /// writes to it from then on.
    fn erase_doc(&mut self, id: &DocId) -> Result<()>;
    /// Stores a changed document (and whatever the storage projects from it).
    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> Result<()>;
    /// A document's sync state with the hub for `session` (a restart from
    /// the shared heads if the stored one is from another session, see
    /// [`DocSync::from_stored`]).
    fn sync_state(&mut self, id: &DocId, session: u64) -> Result<DocSync>;
    /// Stores a document's sync state and its mark.
    fn set_sync_state(&mut self, id: &DocId, session: u64, sync: &DocSync, outbox: Option<Outbox>) -> Result<()>;
    /// Clears every [`Outbox::Awaiting`] mark: the answer arrived.
    fn clear_awaiting(&mut self) -> Result<()>;
    /// Whether any document is marked [`Outbox::ToOffer`] (or awaiting).
    fn has_outbox(&mut self) -> Result<bool>;
    /// Documents held back since a refusal, with their sequence then.
    fn held(&mut self) -> Result<Vec<(DocId, i64)>>;
    /// Holds a document back at its current sequence.
    fn hold(&mut self, id: &DocId) -> Result<()>;
    /// Offers a held document again.
    fn release(&mut self, id: &DocId) -> Result<()>;
    /// How many refusals with `code` the document received.
    fn refusal_count(&mut self, id: &DocId, code: RefusalCode) -> Result<u32>;
    /// Keeps a refusal for the user.
    fn record_refusal(&mut self, refusal: &SyncRefusal) -> Result<()>;
    /// The device's catalog sequence.
    fn catalog_seq(&mut self) -> Result<Seq>;
    /// Applies a reference-data delta from the hub (`complete`: its last page).
    fn apply_catalog(&mut self, delta: &CatalogDelta, complete: bool) -> Result<()>;
    /// Notes that the hub answered at `at`: the offline lease runs from
    /// there (ADR 23).
    fn note_contact(&mut self, at: Timestamp) -> Result<()>;
    /// The device's clock.
    fn now(&mut self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// The ids without the documents held back since a refusal; a held document
/// that changed here since is offered again.
fn without_held(storage: &mut dyn DeviceStorage, ids: Vec<DocId>) -> Result<Vec<DocId>> {
    let held = storage.held()?;
    if held.is_empty() {
        return Ok(ids);
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match held.iter().find(|(h, _)| *h == id) {
            None => out.push(id),
            Some((_, seq)) => {
                if storage.doc_seq(&id)?.is_some_and(|n| n != *seq) {
                    storage.release(&id)?;
                    out.push(id);
                }
            }
        }
    }
    Ok(out)
}

/// Builds the next request frame. If the previous request's answer never
/// arrived, this starts a new session from the heads both sides are known
/// to share: nothing is lost.
pub fn request(storage: &mut dyn DeviceStorage, limits: &SyncLimits) -> Result<Vec<u8>> {
    let device = storage.device_id()?;
    let mut peer = storage.peer()?.unwrap_or_else(PeerState::first);
    if peer.outstanding {
        peer.session += 1;
    }
    peer.round += 1;
    let mut ids = storage.docs_to_offer(peer.local_cursor)?;
    ids.sort_by_key(|d| (d.kind().apply_order(), d.clone()));
    ids.dedup();
    let ids = without_held(storage, ids)?;
    let mut entries = Vec::new();
    let mut size = 64;
    let mut full = false;
    for id in ids {
        let mut sync = storage.sync_state(&id, peer.session)?;
        if full {
            storage.set_sync_state(&id, peer.session, &sync, Some(Outbox::ToOffer))?;
            continue;
        }
        // A document announced by the hub but not received yet is empty here.
        let mut doc = storage.load_doc(&id)?.unwrap_or_default();
        state::requeue(&mut doc, &mut sync);
        let before = sync.clone();
        let message = doc.sync().generate_sync_message(&mut sync.state);
        let Some(message) = message.filter(|m| !state::is_pure_ack(m, &sync.state)) else {
            // Nothing to say, or only "I have your heads": keep the state
            // as it was, so nothing counts as sent.
            storage.set_sync_state(&id, peer.session, &before, None)?;
            continue;
        };
        let bytes = message.clone().encode();
        let add = frame::entry_size(&id, bytes.len());
        if size + add > limits.frame_budget && !entries.is_empty() {
            full = true;
            storage.set_sync_state(&id, peer.session, &before, Some(Outbox::ToOffer))?;
            continue;
        }
        size += add;
        storage.set_sync_state(&id, peer.session, &sync, Some(Outbox::Awaiting))?;
        entries.push(Entry { doc: id, message });
    }
    peer.local_cursor = storage.doc_cursor()?;
    peer.outstanding = true;
    storage.set_peer(&peer)?;
    Ok(frame::encode_request(&Request {
        device_id: device,
        session: peer.session,
        round: peer.round,
        catalog_cursor: storage.catalog_seq()?,
        catalog_resume: peer.resume.clone(),
        doc_cursor: peer.remote_cursor,
        entries,
    }))
}

/// The peer state an answer for `device`'s `session`/`round` may be
/// applied to: the request it answers is outstanding.
fn outstanding(storage: &mut dyn DeviceStorage, device: &str, session: u64, round: u64) -> Result<PeerState> {
    if device != storage.device_id()? {
        return Err(SyncError::WrongDevice.into());
    }
    let peer = storage.peer()?.ok_or(SyncError::NoRequestWaiting)?;
    if !peer.outstanding {
        return Err(SyncError::NoRequestWaiting.into());
    }
    if session != peer.session || round != peer.round {
        return Err(SyncError::Replayed { round, last: peer.round }.into());
    }
    Ok(peer)
}

/// Applies the hub's answer to the last request: reference data, merged
/// documents, sync states and cursors. A malformed, replayed or unexpected
/// answer is refused with a typed error (the caller rolls back).
///
/// A refusal (the hub refused changes by its rules, ADR 17) is applied too:
/// each refused document gets the hub's version merged and a compensating
/// change that restores what the hub accepted, or, if the hub has none this
/// device may see, is held back until it changes here; the refusal is kept
/// for the user, and the next request carries everything else.
pub fn apply(storage: &mut dyn DeviceStorage, answer: &[u8]) -> Result<SyncRound> {
    let resp = match frame::decode_answer(answer).map_err(SyncError::from)? {
        frame::Answer::Response(r) => *r,
        frame::Answer::Refusal(f) => return apply_refusal(storage, &f),
    };
    let mut peer = outstanding(storage, &resp.device_id, resp.session, resp.round)?;
    let device = resp.device_id;
    let mut round = SyncRound::default();
    let mut catalog_done = true;
    if let Some(part) = &resp.catalog {
        storage.apply_catalog(&part.delta, part.complete)?;
        round.products_received = part.delta.products.len() as u32;
        peer.resume = part.resume.clone();
        catalog_done = part.complete;
    }
    let edited_meanwhile = storage.doc_cursor()? != peer.local_cursor;
    let actor = crdt::actor_for(&device);
    let mut entries = resp.entries;
    entries.sort_by_key(|e| (e.doc.kind().apply_order(), e.doc.clone()));
    for e in entries {
        let id = e.doc;
        let mut doc = storage.load_doc(&id)?.unwrap_or_default().with_actor(actor.clone());
        let mut sync = storage.sync_state(&id, peer.session)?;
        let before = doc.get_heads();
        state::requeue(&mut doc, &mut sync);
        let incoming = state::change_bytes(&e.message);
        doc.sync().receive_sync_message(&mut sync.state, e.message).map_err(|err| refused(err, &id))?;
        state::remember_unapplied(&mut doc, &mut sync, &incoming);
        round.docs_received += 1;
        if doc.get_heads() != before {
            storage.save_doc(&id, &mut doc).map_err(|err| refused(err, &id))?;
            round.docs_changed += 1;
        }
        // Whether there is something to say next round; the message itself
        // is generated when the request is built, from this state.
        let mut probe = sync.state.clone();
        let more = doc.sync().generate_sync_message(&mut probe).is_some_and(|m| !state::is_pure_ack(&m, &probe));
        storage.set_sync_state(&id, peer.session, &sync, more.then_some(Outbox::ToOffer))?;
    }
    for id in &resp.erased {
        storage.erase_doc(id)?;
        round.docs_erased += 1;
    }
    storage.clear_awaiting()?;
    if !edited_meanwhile {
        peer.local_cursor = storage.doc_cursor()?;
    }
    peer.remote_cursor = resp.doc_cursor;
    peer.outstanding = false;
    storage.set_peer(&peer)?;
    let pending = storage.has_outbox()?;
    let now = storage.now();
    storage.note_contact(now)?;
    round.catalog_seq = storage.catalog_seq()?;
    round.done = !resp.more && catalog_done && !pending && !edited_meanwhile;
    Ok(round)
}

/// Applies a refusal: recovers every refused document and ends the
/// session, so the next request starts from what both sides share.
fn apply_refusal(storage: &mut dyn DeviceStorage, f: &frame::RefusalFrame) -> Result<SyncRound> {
    let mut peer = outstanding(storage, &f.device_id, f.session, f.round)?;
    let actor = crdt::actor_for(&f.device_id);
    let now = storage.now().to_rfc3339();
    let mut round = SyncRound::default();
    let mut docs = f.refused.clone();
    docs.sort_by_key(|r| (r.doc.kind().apply_order(), r.doc.clone()));
    for r in &docs {
        let id = &r.doc;
        let mut doc = storage.load_doc(id)?.unwrap_or_default().with_actor(actor.clone());
        let local = crdt::read(&doc, id).ok().flatten();
        let local_json = local.as_ref().map(record_json);
        let hub = if r.hub_doc.is_empty() {
            None
        } else {
            let hub_doc = crdt::load(&r.hub_doc).map_err(|e| refused(e, id))?;
            match crdt::read(&hub_doc, id).map_err(|e| refused(e, id))? {
                Some(record) => {
                    doc.load_incremental(&r.hub_doc).map_err(|e| refused(e, id))?;
                    Some(record)
                }
                None => None,
            }
        };
        let restored = match (&hub, r.code, &local) {
            // A clash of numbers on a quote the hub does not have: the quote
            // takes another number and goes again.
            (None, RefusalCode::NumberTaken, Some(crdt::Record::Quote(q))) => {
                let mut q = (**q).clone();
                q.renumber(storage.refusal_count(id, RefusalCode::NumberTaken)? + 1);
                crdt::write(&mut doc, &crdt::Record::Quote(Box::new(q))).map_err(|e| refused(e, id))?;
                true
            }
            (Some(accepted), _, _) => {
                // Restore what the hub accepted, on top of everything both
                // sides have: the hub's merge of this equals its own state.
                crdt::write_resolved(&mut doc, accepted).map_err(|e| refused(e, id))?;
                true
            }
            (None, _, _) => false,
        };
        if restored {
            let message = format!("restore what the hub accepted ({})", r.code);
            doc.commit_with(automerge::transaction::CommitOptions::default().with_message(message).with_time(0));
            storage.save_doc(id, &mut doc).map_err(|e| refused(e, id))?;
        } else {
            storage.hold(id)?;
        }
        let refusal = SyncRefusal {
            doc_id: id.to_string(),
            code: r.code,
            message: r.message.clone(),
            refused_at: now.clone(),
            restored,
            local_version: local_json,
        };
        storage.record_refusal(&refusal)?;
        round.refused.push(refusal);
    }
    // Nothing of the request was stored: a new session starts from the
    // heads both sides are known to share.
    peer.session += 1;
    peer.outstanding = false;
    storage.set_peer(&peer)?;
    // A refusal is an answer: the hub was reached.
    let at = storage.now();
    storage.note_contact(at)?;
    round.catalog_seq = storage.catalog_seq()?;
    Ok(round)
}

fn record_json(r: &crdt::Record) -> String {
    let v = match r {
        crdt::Record::Account(a) => {
            serde_json::json!({ "account": a.account, "contacts": a.contacts, "deleted": a.deleted })
        }
        crdt::Record::Activities(a) => serde_json::json!({ "activities": a.activities }),
        crdt::Record::Discount(d) => serde_json::to_value(d).unwrap_or_default(),
        crdt::Record::Quote(q) => serde_json::to_value(q).unwrap_or_default(),
        crdt::Record::Order(o) => serde_json::to_value(o).unwrap_or_default(),
        crdt::Record::Attachment(a) => serde_json::to_value(a).unwrap_or_default(),
        crdt::Record::Person(p) => {
            serde_json::json!({ "contact": p.contact, "activities": p.activities, "deleted": p.deleted })
        }
    };
    v.to_string()
}

fn refused(e: impl std::fmt::Display, id: &DocId) -> Error {
    Error::Sync(SyncError::Refused { doc: id.to_string(), reason: e.to_string() })
}
