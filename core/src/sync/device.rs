//! The device role: build a request from local state, apply the hub's
//! response, in one SQLite transaction each.

use automerge::AutoCommit;
use automerge::sync::SyncDoc;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::frame::{self, CatalogResume, Entry, Request};
use super::state::DocSync;
use super::{HUB_PEER, SyncError, SyncLimits, state};
use crate::docs::{self, DocId};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::catalog::apply_delta_in;
use crate::store::docs::{device_id, doc_seq, load_doc, store_doc};

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

fn refused(e: impl std::fmt::Display, id: &DocId) -> Error {
    Error::Sync(SyncError::Refused { doc: id.to_string(), reason: e.to_string() })
}

impl Store {
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

    /// Applies the hub's response to the last request: reference data,
    /// merged documents and their projections, sync states and cursors, in
    /// one transaction. A malformed, replayed or unexpected response is
    /// refused with a typed error and changes nothing.
    pub fn sync_apply(&self, response: &[u8]) -> Result<SyncRound> {
        let resp = frame::decode_response(response).map_err(SyncError::from)?;
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
            let actor = docs::actor_for(&device);
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
