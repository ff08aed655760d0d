//! The device role: build a request from local state, apply the hub's
//! response, in one SQLite transaction each.

use automerge::AutoCommit;
use automerge::sync::SyncDoc;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::frame::{self, CatalogResume, Entry, Request};
use super::state::DocSync;
use super::{HUB_PEER, SyncError, SyncLimits, state};
use crate::crdt::{self, DocId};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::catalog::apply_delta_in;
use crate::store::docs::{device_id, doc_seq, load_doc, store_doc};

/// A change the hub refused, as the device keeps it for the user: which
/// document, why, and what the device did about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncRefusal {
    /// The document, e.g. `quote/<id>`.
    pub doc_id: String,
    /// The rule that refused it.
    pub code: crate::transition::RefusalCode,
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
    /// Changes the hub refused in this round (and how the device recovered:
    /// the next request goes through); also kept in
    /// [`Store::sync_refusals`].
    pub refused: Vec<SyncRefusal>,
}

pub(crate) struct Peer {
    pub(crate) session: u64,
    pub(crate) round: u64,
    pub(crate) outstanding: bool,
    pub(crate) local_cursor: i64,
    pub(crate) remote_cursor: u64,
    pub(crate) resume: Option<CatalogResume>,
}

pub(crate) fn load_peer(c: &Connection, peer: &str) -> Result<Option<Peer>> {
    Ok(c.prepare_cached(
        "SELECT session, round, outstanding, local_cursor, remote_cursor, catalog_resume FROM sync_peers WHERE peer = ?1",
    )?
    .query_row([peer], |r| {
        let resume: Option<String> = r.get(5)?;
        Ok(Peer {
            session: r.get::<_, i64>(0)? as u64,
            round: r.get::<_, i64>(1)? as u64,
            outstanding: r.get(2)?,
            local_cursor: r.get(3)?,
            remote_cursor: r.get::<_, i64>(4)? as u64,
            resume: resume.and_then(|s| {
                let (seq, row) = s.split_once(' ')?;
                Some(CatalogResume { seq: seq.parse().ok()?, row: row.parse().ok()? })
            }),
        })
    })
    .optional()?)
}

pub(crate) fn save_peer(tx: &Transaction<'_>, peer: &str, p: &Peer) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_peers (peer, session, round, outstanding, local_cursor, remote_cursor, catalog_resume, last_sync_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (peer) DO UPDATE SET session = excluded.session, round = excluded.round,
           outstanding = excluded.outstanding, local_cursor = excluded.local_cursor,
           remote_cursor = excluded.remote_cursor, catalog_resume = excluded.catalog_resume,
           last_sync_at = excluded.last_sync_at",
    )?
    .execute(params![
        peer,
        p.session as i64,
        p.round as i64,
        p.outstanding,
        p.local_cursor,
        p.remote_cursor as i64,
        p.resume.as_ref().map(|r| format!("{} {}", r.seq, r.row)),
        Utc::now().to_rfc3339()
    ])?;
    Ok(())
}

/// Loads a document's sync with `peer` in `session`: the stored state if it
/// is from this session, else a restart from the shared heads (queued
/// changes are kept either way); and the stored outbox mark.
pub(crate) fn load_state(c: &Connection, peer: &str, id: &DocId, session: u64) -> Result<(DocSync, Option<Vec<u8>>)> {
    type Row = (i64, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);
    let row: Option<Row> = c
        .prepare_cached("SELECT session, state, outbox, queued FROM sync_docs WHERE peer = ?1 AND doc_id = ?2")?
        .query_row([peer, id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((s, bytes, outbox, queued)) = row else {
        return Ok((DocSync { state: state::first_contact(), queued: Vec::new() }, None));
    };
    let st = state::decode(&bytes).map_err(|e| Error::Corrupt { what: "sync state", reason: e.to_string() })?;
    let queued = queued.unwrap_or_default();
    if s as u64 == session {
        Ok((DocSync { state: st, queued }, outbox))
    } else {
        Ok((DocSync { state: state::restart(&st), queued }, None))
    }
}

pub(crate) fn save_state(
    tx: &Connection,
    peer: &str,
    id: &DocId,
    session: u64,
    sync: &DocSync,
    outbox: Option<&[u8]>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_docs (peer, doc_id, session, state, outbox, queued) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (peer, doc_id) DO UPDATE SET session = excluded.session, state = excluded.state,
           outbox = excluded.outbox, queued = excluded.queued",
    )?
    .execute(params![
        peer,
        id.as_str(),
        session as i64,
        state::encode(&sync.state),
        outbox,
        (!sync.queued.is_empty()).then_some(&sync.queued)
    ])?;
    Ok(())
}

/// Marks in `sync_docs.outbox`: a message was sent and awaits its reply, or
/// the document has something to send in the next request.
const AWAITING: &[u8] = &[];
const TO_OFFER: &[u8] = &[0];

/// The ids without the documents held back since a refusal; a held document
/// that changed here since is offered again.
fn without_held(tx: &Transaction<'_>, ids: Vec<DocId>) -> Result<Vec<DocId>> {
    let held: Vec<(String, i64)> = tx
        .prepare_cached("SELECT doc_id, seq FROM sync_held")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if held.is_empty() {
        return Ok(ids);
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match held.iter().find(|(h, _)| h == id.as_str()) {
            None => out.push(id),
            Some((_, seq)) => {
                let now: Option<i64> = tx
                    .prepare_cached("SELECT seq FROM documents WHERE doc_id = ?1")?
                    .query_row([id.as_str()], |r| r.get(0))
                    .optional()?;
                if now.is_some_and(|n| n != *seq) {
                    tx.prepare_cached("DELETE FROM sync_held WHERE doc_id = ?1")?.execute([id.as_str()])?;
                    out.push(id);
                }
            }
        }
    }
    Ok(out)
}

/// How many times the hub refused a number for this document.
fn number_refusals(tx: &Transaction<'_>, id: &DocId) -> Result<u32> {
    let n: i64 = tx
        .prepare_cached("SELECT count(*) FROM sync_refusals WHERE doc_id = ?1 AND code = 'number_taken'")?
        .query_row([id.as_str()], |r| r.get(0))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Applies a refusal: recovers every refused document and ends the
/// session, so the next request starts from what both sides share.
fn apply_refusal(tx: &Transaction<'_>, f: &frame::RefusalFrame) -> Result<SyncRound> {
    let device = device_id(tx)?;
    if f.device_id != device {
        return Err(SyncError::WrongDevice.into());
    }
    let mut peer = load_peer(tx, HUB_PEER)?.ok_or(SyncError::NoRequestWaiting)?;
    if !peer.outstanding {
        return Err(SyncError::NoRequestWaiting.into());
    }
    if f.session != peer.session || f.round != peer.round {
        return Err(SyncError::Replayed { round: f.round, last: peer.round }.into());
    }
    let actor = crdt::actor_for(&device);
    let now = Utc::now().to_rfc3339();
    let mut round = SyncRound::default();
    let mut refused = f.refused.clone();
    refused.sort_by_key(|r| (r.doc.kind().apply_order(), r.doc.clone()));
    for r in &refused {
        let id = &r.doc;
        let mut doc = load_doc(tx, id)?.unwrap_or_default().with_actor(actor.clone());
        let local = crdt::read(&doc, id).ok().flatten();
        let local_json = local.as_ref().map(record_json);
        let hub = if r.hub_doc.is_empty() {
            None
        } else {
            let hub_doc = crdt::load(&r.hub_doc).map_err(|e| refused_doc(e, id))?;
            match crdt::read(&hub_doc, id).map_err(|e| refused_doc(e, id))? {
                Some(record) => {
                    doc.load_incremental(&r.hub_doc).map_err(|e| refused_doc(e, id))?;
                    Some(record)
                }
                None => None,
            }
        };
        let restored = match (&hub, r.code, &local) {
            // A clash of numbers on a quote the hub does not have: the quote
            // takes another number and goes again.
            (None, crate::transition::RefusalCode::NumberTaken, Some(crdt::Record::Quote(q))) => {
                let mut q = (**q).clone();
                q.renumber(number_refusals(tx, id)? + 1);
                crdt::write(&mut doc, &crdt::Record::Quote(Box::new(q))).map_err(|e| refused_doc(e, id))?;
                true
            }
            (Some(accepted), _, _) => {
                // Restore what the hub accepted, on top of everything both
                // sides have: the hub's merge of this equals its own state.
                crdt::write_resolved(&mut doc, accepted).map_err(|e| refused_doc(e, id))?;
                true
            }
            (None, _, _) => false,
        };
        if restored {
            let message = format!("restore what the hub accepted ({})", r.code);
            doc.commit_with(automerge::transaction::CommitOptions::default().with_message(message).with_time(0));
            store_doc(tx, id, &mut doc).map_err(|e| refused_doc(e, id))?;
        }
        if !restored {
            tx.prepare_cached(
                "INSERT INTO sync_held (doc_id, seq) SELECT doc_id, seq FROM documents WHERE doc_id = ?1
                 ON CONFLICT (doc_id) DO UPDATE SET seq = excluded.seq",
            )?
            .execute([id.as_str()])?;
        }
        tx.prepare_cached(
            "INSERT INTO sync_refusals (doc_id, code, message, refused_at, restored, local_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![id.as_str(), r.code.as_str(), r.message, now, restored, local_json])?;
        round.refused.push(SyncRefusal {
            doc_id: id.to_string(),
            code: r.code,
            message: r.message.clone(),
            refused_at: now.clone(),
            restored,
            local_version: local_json,
        });
    }
    // Nothing of the request was stored: a new session starts from the
    // heads both sides are known to share.
    peer.session += 1;
    peer.outstanding = false;
    save_peer(tx, HUB_PEER, &peer)?;
    round.catalog_seq = tx.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
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
    };
    v.to_string()
}

fn refused_doc(e: impl std::fmt::Display, id: &DocId) -> Error {
    Error::Sync(SyncError::Refused { doc: id.to_string(), reason: e.to_string() })
}

fn refused(e: impl std::fmt::Display, id: &DocId) -> Error {
    Error::Sync(SyncError::Refused { doc: id.to_string(), reason: e.to_string() })
}

impl Store {
    /// The changes the hub refused, newest first, with what the device did
    /// about each: for the rep's screen ("the back office refused: …").
    pub fn sync_refusals(&self) -> Result<Vec<SyncRefusal>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT doc_id, code, message, refused_at, restored, local_version FROM sync_refusals
                 ORDER BY id DESC LIMIT 500",
            )?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let code: String = r.get(1)?;
                out.push(SyncRefusal {
                    doc_id: r.get(0)?,
                    code: crate::transition::RefusalCode::parse(&code).ok_or_else(|| Error::Corrupt {
                        what: "sync refusal",
                        reason: "unknown refusal code".into(),
                    })?,
                    message: r.get(2)?,
                    refused_at: r.get(3)?,
                    restored: r.get(4)?,
                    local_version: r.get(5)?,
                });
            }
            Ok(out)
        })
    }

    /// Builds the next request frame for the hub. Call [`Store::sync_apply`]
    /// with the response, then again until a round reports `done`. If the
    /// previous request's response never arrived, this starts a new session
    /// from the heads both sides are known to share: nothing is lost.
    pub fn sync_request(&self) -> Result<Vec<u8>> {
        self.sync_request_with(&SyncLimits::default())
    }

    /// [`Store::sync_request`] with explicit frame limits.
    pub fn sync_request_with(&self, limits: &SyncLimits) -> Result<Vec<u8>> {
        self.write(|tx| {
            let device = device_id(tx)?;
            let mut peer = load_peer(tx, HUB_PEER)?.unwrap_or(Peer {
                session: 1,
                round: 0,
                outstanding: false,
                local_cursor: 0,
                remote_cursor: 0,
                resume: None,
            });
            if peer.outstanding {
                peer.session += 1;
            }
            peer.round += 1;
            let mut stmt = tx.prepare_cached(
                "SELECT doc_id FROM documents WHERE seq > ?1
                 UNION SELECT doc_id FROM sync_docs WHERE peer = ?2 AND outbox IS NOT NULL",
            )?;
            let mut ids: Vec<DocId> = stmt
                .query_map(params![peer.local_cursor, HUB_PEER], |r| r.get::<_, String>(0))?
                .map(|r| Ok(DocId::parse(&r?)?))
                .collect::<Result<_>>()?;
            ids.sort_by_key(|d| (d.kind().apply_order(), d.clone()));
            let ids = without_held(tx, ids)?;
            let mut entries = Vec::new();
            let mut size = 64;
            let mut full = false;
            for id in ids {
                let (mut sync, _) = load_state(tx, HUB_PEER, &id, peer.session)?;
                if full {
                    save_state(tx, HUB_PEER, &id, peer.session, &sync, Some(TO_OFFER))?;
                    continue;
                }
                // A document announced by the hub but not received yet is empty here.
                let mut doc = load_doc(tx, &id)?.unwrap_or_default();
                state::requeue(&mut doc, &mut sync);
                let before = sync.clone();
                let message = doc.sync().generate_sync_message(&mut sync.state);
                let Some(message) = message.filter(|m| !state::is_pure_ack(m, &sync.state)) else {
                    // Nothing to say, or only "I have your heads": keep the
                    // state as it was, so nothing counts as sent.
                    save_state(tx, HUB_PEER, &id, peer.session, &before, None)?;
                    continue;
                };
                let bytes = message.clone().encode();
                let add = frame::entry_size(&id, bytes.len());
                if size + add > limits.frame_budget && !entries.is_empty() {
                    full = true;
                    save_state(tx, HUB_PEER, &id, peer.session, &before, Some(TO_OFFER))?;
                    continue;
                }
                size += add;
                save_state(tx, HUB_PEER, &id, peer.session, &sync, Some(AWAITING))?;
                entries.push(Entry { doc: id, message });
            }
            peer.local_cursor = doc_seq(tx)?;
            peer.outstanding = true;
            save_peer(tx, HUB_PEER, &peer)?;
            let catalog_cursor = tx.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
            Ok(frame::encode_request(&Request {
                device_id: device,
                session: peer.session,
                round: peer.round,
                catalog_cursor,
                catalog_resume: peer.resume.clone(),
                doc_cursor: peer.remote_cursor,
                entries,
            }))
        })
    }

    /// Applies the hub's answer to the last request: reference data,
    /// merged documents and their projections, sync states and cursors, in
    /// one transaction. A malformed, replayed or unexpected answer is
    /// refused with a typed error and changes nothing.
    ///
    /// A refusal (the hub refused changes by its rules, ADR 17) is applied
    /// too: each refused document gets the hub's version merged and a
    /// compensating change that restores what the hub accepted, or, if the
    /// hub has none this device may see, is held back until it changes
    /// here; the refusal is kept for the user ([`Store::sync_refusals`]),
    /// and the next request carries everything else.
    pub fn sync_apply(&self, response: &[u8]) -> Result<SyncRound> {
        let resp = match frame::decode_answer(response).map_err(SyncError::from)? {
            frame::Answer::Response(r) => *r,
            frame::Answer::Refusal(f) => return self.write(|tx| apply_refusal(tx, &f)),
        };
        self.write(|tx| {
            let device = device_id(tx)?;
            if resp.device_id != device {
                return Err(SyncError::WrongDevice.into());
            }
            let mut peer = load_peer(tx, HUB_PEER)?.ok_or(SyncError::NoRequestWaiting)?;
            if !peer.outstanding {
                return Err(SyncError::NoRequestWaiting.into());
            }
            if resp.session != peer.session || resp.round != peer.round {
                return Err(SyncError::Replayed { round: resp.round, last: peer.round }.into());
            }
            let mut round = SyncRound::default();
            let mut catalog_done = true;
            if let Some(part) = &resp.catalog {
                apply_delta_in(tx, &part.delta, part.complete)?;
                round.products_received = part.delta.products.len() as u32;
                peer.resume = part.resume.clone();
                catalog_done = part.complete;
            }
            let edited_meanwhile = doc_seq(tx)? != peer.local_cursor;
            let actor = crdt::actor_for(&device);
            let mut entries = resp.entries;
            entries.sort_by_key(|e| (e.doc.kind().apply_order(), e.doc.clone()));
            for e in entries {
                let id = e.doc;
                let mut doc = match load_doc(tx, &id)? {
                    Some(d) => d.with_actor(actor.clone()),
                    None => AutoCommit::new().with_actor(actor.clone()),
                };
                let (mut sync, _) = load_state(tx, HUB_PEER, &id, peer.session)?;
                let before = doc.get_heads();
                state::requeue(&mut doc, &mut sync);
                let incoming = state::change_bytes(&e.message);
                doc.sync().receive_sync_message(&mut sync.state, e.message).map_err(|err| refused(err, &id))?;
                state::remember_unapplied(&mut doc, &mut sync, &incoming);
                round.docs_received += 1;
                if doc.get_heads() != before {
                    store_doc(tx, &id, &mut doc).map_err(|err| refused(err, &id))?;
                    round.docs_changed += 1;
                }
                // Whether there is something to say next round; the message
                // itself is generated when the request is built, from this state.
                let mut probe = sync.state.clone();
                let more =
                    doc.sync().generate_sync_message(&mut probe).is_some_and(|m| !state::is_pure_ack(&m, &probe));
                save_state(tx, HUB_PEER, &id, peer.session, &sync, more.then_some(TO_OFFER))?;
            }
            tx.prepare_cached("UPDATE sync_docs SET outbox = NULL WHERE peer = ?1 AND outbox = X''")?
                .execute([HUB_PEER])?;
            if !edited_meanwhile {
                peer.local_cursor = doc_seq(tx)?;
            }
            peer.remote_cursor = resp.doc_cursor;
            peer.outstanding = false;
            save_peer(tx, HUB_PEER, &peer)?;
            let pending: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM sync_docs WHERE peer = ?1 AND outbox IS NOT NULL)")?
                .query_row([HUB_PEER], |r| r.get(0))?;
            round.catalog_seq = tx.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
            round.done = !resp.more && catalog_done && !pending && !edited_meanwhile;
            Ok(round)
        })
    }
}
