//! The sync roles' storage in an Onsite [`Store`]: [`SqliteDevice`] and
//! [`SqliteHub`] over one write transaction, and the `Store` methods that
//! run the engines in it. All the SQL of sync lives here; the engines
//! ([`super::device`], [`super::hub`]) see only their storage traits.

use automerge::{ActorId, AutoCommit};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rust_decimal::Decimal;

use super::device::{self, DeviceStorage, Outbox, PeerState, SyncRefusal, SyncRound};
use super::frame::CatalogResume;
use super::hub::{HubStorage, handle};
use super::state::DocSync;
use super::{DeviceScope, HUB_PEER, SyncLimits};
use crate::catalog::Seq;
use crate::crdt::{self, DocId};
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::money::Currency;
use crate::quote::{DiscountPolicy, QuoteLine};
use crate::release::CatalogDelta;
use crate::store::Store;
use crate::store::catalog::apply_delta_in;
use crate::store::docs::{LocalFacts, device_id, doc_seq, load_doc, store_doc, stored_account};
use crate::store::erasure;
use crate::transition::{Facts, RefusalCode};

/// Marks in `sync_docs.outbox` (see [`Outbox`]).
const AWAITING: &[u8] = &[];
const TO_OFFER: &[u8] = &[0];

fn load_peer(c: &Connection, peer: &str) -> Result<Option<PeerState>> {
    Ok(c.prepare_cached(
        "SELECT session, round, outstanding, local_cursor, remote_cursor, catalog_resume FROM sync_peers WHERE peer = ?1",
    )?
    .query_row([peer], |r| {
        let resume: Option<String> = r.get(5)?;
        Ok(PeerState {
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

fn save_peer(tx: &Connection, peer: &str, p: &PeerState, now: Timestamp) -> Result<()> {
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
        now.to_rfc3339()
    ])?;
    Ok(())
}

/// A document's sync state with `peer` for `session`.
fn load_state(c: &Connection, peer: &str, id: &DocId, session: u64) -> Result<DocSync> {
    type Row = (i64, Vec<u8>, Option<Vec<u8>>);
    let row: Option<Row> = c
        .prepare_cached("SELECT session, state, queued FROM sync_docs WHERE peer = ?1 AND doc_id = ?2")?
        .query_row([peer, id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match row {
        None => Ok(DocSync::first_contact()),
        Some((stored, bytes, queued)) => {
            DocSync::from_stored(stored as u64, &bytes, queued.unwrap_or_default(), session)
                .map_err(|e| Error::Corrupt { what: "sync state", reason: e.to_string() })
        }
    }
}

fn save_state(
    tx: &Connection,
    peer: &str,
    id: &DocId,
    session: u64,
    sync: &DocSync,
    outbox: Option<Outbox>,
) -> Result<()> {
    let outbox = outbox.map(|o| match o {
        Outbox::Awaiting => AWAITING,
        Outbox::ToOffer => TO_OFFER,
    });
    tx.prepare_cached(
        "INSERT INTO sync_docs (peer, doc_id, session, state, outbox, queued) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (peer, doc_id) DO UPDATE SET session = excluded.session, state = excluded.state,
           outbox = excluded.outbox, queued = excluded.queued",
    )?
    .execute(params![
        peer,
        id.as_str(),
        session as i64,
        sync.state_bytes(),
        outbox,
        (!sync.queued.is_empty()).then_some(&sync.queued)
    ])?;
    Ok(())
}

/// [`DeviceStorage`] over an Onsite [`Store`]'s write transaction: the
/// device's documents, its sync state with the hub (peer `hub`), held
/// documents and refusals, and its replica of the reference data.
#[derive(Debug)]
pub struct SqliteDevice<'a> {
    tx: &'a Transaction<'a>,
}

impl DeviceStorage for SqliteDevice<'_> {
    fn device_id(&mut self) -> Result<String> {
        device_id(self.tx)
    }

    fn peer(&mut self) -> Result<Option<PeerState>> {
        load_peer(self.tx, HUB_PEER)
    }

    fn set_peer(&mut self, peer: &PeerState) -> Result<()> {
        let now = self.now();
        save_peer(self.tx, HUB_PEER, peer, now)
    }

    fn doc_cursor(&mut self) -> Result<i64> {
        doc_seq(self.tx)
    }

    fn doc_seq(&mut self, id: &DocId) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT seq FROM documents WHERE doc_id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?)
    }

    fn docs_to_offer(&mut self, cursor: i64) -> Result<Vec<DocId>> {
        self.tx
            .prepare_cached(
                "SELECT doc_id FROM documents WHERE seq > ?1
                 UNION SELECT doc_id FROM sync_docs WHERE peer = ?2 AND outbox IS NOT NULL",
            )?
            .query_map(params![cursor, HUB_PEER], |r| r.get::<_, String>(0))?
            .map(|r| Ok(DocId::parse(&r?)?))
            .collect()
    }

    fn load_doc(&mut self, id: &DocId) -> Result<Option<AutoCommit>> {
        load_doc(self.tx, id)
    }

    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> Result<()> {
        store_doc(self.tx, id, doc).map(|_| ())
    }

    fn erase_doc(&mut self, id: &DocId) -> Result<()> {
        let account = stored_account(self.tx, id)?.unwrap_or_default();
        erasure::forget(self.tx, id, &account).map(|_| ())
    }

    fn sync_state(&mut self, id: &DocId, session: u64) -> Result<DocSync> {
        load_state(self.tx, HUB_PEER, id, session)
    }

    fn set_sync_state(&mut self, id: &DocId, session: u64, sync: &DocSync, outbox: Option<Outbox>) -> Result<()> {
        save_state(self.tx, HUB_PEER, id, session, sync, outbox)
    }

    fn clear_awaiting(&mut self) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE sync_docs SET outbox = NULL WHERE peer = ?1 AND outbox = X''")?
            .execute([HUB_PEER])?;
        Ok(())
    }

    fn has_outbox(&mut self) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM sync_docs WHERE peer = ?1 AND outbox IS NOT NULL)")?
            .query_row([HUB_PEER], |r| r.get(0))?)
    }

    fn held(&mut self) -> Result<Vec<(DocId, i64)>> {
        self.tx
            .prepare_cached("SELECT doc_id, seq FROM sync_held")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
            .map(|r| {
                let (id, seq) = r?;
                Ok((DocId::parse(&id)?, seq))
            })
            .collect()
    }

    fn hold(&mut self, id: &DocId) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_held (doc_id, seq) SELECT doc_id, seq FROM documents WHERE doc_id = ?1
                 ON CONFLICT (doc_id) DO UPDATE SET seq = excluded.seq",
            )?
            .execute([id.as_str()])?;
        Ok(())
    }

    fn release(&mut self, id: &DocId) -> Result<()> {
        self.tx.prepare_cached("DELETE FROM sync_held WHERE doc_id = ?1")?.execute([id.as_str()])?;
        Ok(())
    }

    fn refusal_count(&mut self, id: &DocId, code: RefusalCode) -> Result<u32> {
        let n: i64 = self
            .tx
            .prepare_cached("SELECT count(*) FROM sync_refusals WHERE doc_id = ?1 AND code = ?2")?
            .query_row([id.as_str(), code.as_str()], |r| r.get(0))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn record_refusal(&mut self, r: &SyncRefusal) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_refusals (doc_id, code, message, refused_at, restored, local_version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![r.doc_id, r.code.as_str(), r.message, r.refused_at, r.restored, r.local_version])?;
        Ok(())
    }

    fn catalog_seq(&mut self) -> Result<Seq> {
        crate::store::catalog::seq_in(self.tx)
    }

    fn apply_catalog(&mut self, delta: &CatalogDelta, complete: bool) -> Result<()> {
        apply_delta_in(self.tx, delta, complete).map(|_| ())
    }

    fn note_contact(&mut self, at: Timestamp) -> Result<()> {
        crate::store::note_contact(self.tx, at)
    }
}

/// [`HubStorage`] over an Onsite [`Store`]'s write transaction: documents,
/// projections, sync states and the catalog in one SQLite database.
#[derive(Debug)]
pub struct SqliteHub<'a> {
    tx: &'a Transaction<'a>,
    now: Option<Timestamp>,
}

impl HubStorage for SqliteHub<'_> {
    fn policy(&mut self) -> Result<DiscountPolicy> {
        LocalFacts(self.tx).policy()
    }

    fn cost(&mut self, sku: &str) -> Result<Option<Decimal>> {
        LocalFacts(self.tx).cost(sku)
    }

    fn current_price(
        &mut self,
        account_id: &str,
        line: &QuoteLine,
        day: NaiveDate,
        currency: Currency,
    ) -> Result<Option<Decimal>> {
        LocalFacts(self.tx).current_price(account_id, line, day, currency)
    }

    fn tax_rate(&mut self, account_id: &str, sku: &str) -> Result<Option<Decimal>> {
        LocalFacts(self.tx).tax_rate(account_id, sku)
    }

    fn number_holder(&mut self, number: &str) -> Result<Option<String>> {
        LocalFacts(self.tx).number_holder(number)
    }

    fn order_of_quote(&mut self, quote_id: &str) -> Result<Option<String>> {
        LocalFacts(self.tx).order_of_quote(quote_id)
    }

    fn now(&mut self) -> Timestamp {
        self.now.unwrap_or_else(chrono::Utc::now)
    }

    fn costs_sent(&mut self, device: &str) -> Result<bool> {
        Ok(self.tx.prepare_cached("SELECT 1 FROM hub_cost_grants WHERE device_id = ?1")?.exists([device])?)
    }

    fn set_costs_sent(&mut self, device: &str) -> Result<()> {
        self.tx.prepare_cached("INSERT OR IGNORE INTO hub_cost_grants (device_id) VALUES (?1)")?.execute([device])?;
        Ok(())
    }

    fn all_costs(&mut self) -> Result<Vec<crate::catalog::ProductCost>> {
        crate::store::catalog::costs_in(self.tx)
    }

    fn has_sync_state(&mut self, device: &str, id: &DocId) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM sync_docs WHERE peer = ?1 AND doc_id = ?2")?
            .exists(rusqlite::params![device, id.as_str()])?)
    }

    fn hub_actor(&mut self) -> Result<ActorId> {
        Ok(crdt::actor_for(&device_id(self.tx)?))
    }

    fn peer_round(&mut self, device: &str) -> Result<Option<(u64, u64)>> {
        Ok(load_peer(self.tx, device)?.map(|p| (p.session, p.round)))
    }

    fn set_peer_round(&mut self, device: &str, session: u64, round: u64) -> Result<()> {
        // When the device was last seen: the wall clock, not the rules' clock.
        save_peer(self.tx, device, &PeerState { session, round, ..PeerState::first() }, chrono::Utc::now())
    }

    fn load_doc(&mut self, id: &DocId) -> Result<Option<AutoCommit>> {
        load_doc(self.tx, id)
    }

    fn doc_account(&mut self, id: &DocId) -> Result<Option<String>> {
        stored_account(self.tx, id)
    }

    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> Result<()> {
        store_doc(self.tx, id, doc).map(|_| ())
    }

    fn sync_state(&mut self, device: &str, id: &DocId, session: u64) -> Result<DocSync> {
        load_state(self.tx, device, id, session)
    }

    fn set_sync_state(&mut self, device: &str, id: &DocId, session: u64, sync: &DocSync) -> Result<()> {
        save_state(self.tx, device, id, session, sync, None)
    }

    fn docs_changed_since(&mut self, cursor: u64, scope: &DeviceScope, limit: usize) -> Result<Vec<(DocId, u64)>> {
        changed_since(self.tx, cursor, scope, limit)
    }

    fn doc_cursor(&mut self) -> Result<u64> {
        Ok(doc_seq(self.tx)? as u64)
    }

    fn is_erased(&mut self, id: &DocId) -> Result<bool> {
        crate::store::erased::is_erased(self.tx, id)
    }

    fn erased_since(&mut self, cursor: u64, scope: &DeviceScope, limit: usize) -> Result<Vec<DocId>> {
        Ok(crate::store::erased::erased_since(self.tx, cursor)?
            .into_iter()
            .filter(|(id, account, _)| scope.allows_doc(id.kind(), account))
            .map(|(id, _, _)| id)
            .take(limit)
            .collect())
    }

    fn catalog_seq(&mut self) -> Result<Seq> {
        crate::store::catalog::seq_in(self.tx)
    }

    fn catalog_page(
        &mut self,
        since: Seq,
        after: Option<(Seq, i64)>,
        limit: usize,
        scope: &DeviceScope,
    ) -> Result<(CatalogDelta, Option<(Seq, i64)>)> {
        let group: Option<String> = match scope.customer() {
            Some(c) => self
                .tx
                .prepare_cached("SELECT customer_group FROM accounts WHERE id = ?1")?
                .query_row([c], |r| r.get(0))
                .optional()?
                .flatten(),
            None => None,
        };
        // The reps serving a customer's account: their profiles go to it.
        let reps: std::collections::BTreeSet<String> = match scope.customer() {
            Some(c) => {
                let mut stmt = self.tx.prepare_cached(
                    "SELECT rep FROM hub_assignments WHERE account_id = ?1
                     UNION SELECT assigned_rep FROM accounts WHERE id = ?1 AND assigned_rep IS NOT NULL",
                )?;
                stmt.query_map([c], |r| r.get(0))?.collect::<Result<_, _>>()?
            }
            None => Default::default(),
        };
        crate::store::catalog::catalog_page(self.tx, since, after, limit, &scope.audience(group.as_deref(), &reps))
    }
}

fn changed_since(c: &Connection, cursor: u64, scope: &DeviceScope, limit: usize) -> Result<Vec<(DocId, u64)>> {
    let mut out = Vec::new();
    let mut push = |id: String, seq: i64| -> Result<bool> {
        let id = DocId::parse(&id)?;
        if scope.allows_kind(id.kind()) {
            out.push((id, seq as u64));
        }
        Ok(out.len() < limit)
    };
    match &scope.accounts {
        // Everything: one pass over the sequence index.
        None => {
            let mut stmt = c.prepare_cached("SELECT doc_id, seq FROM documents WHERE seq > ?1 ORDER BY seq")?;
            let mut rows = stmt.query(params![cursor as i64])?;
            while let Some(r) = rows.next()? {
                if !push(r.get(0)?, r.get(1)?)? {
                    break;
                }
            }
        }
        // A few accounts: seek each account's changes in the (account, seq)
        // index instead of scanning every device's changes since the cursor.
        Some(accounts) => {
            let list = serde_json::to_string(accounts).map_err(|e| Error::validation("scope", e.to_string()))?;
            let mut stmt = c.prepare_cached(
                "SELECT doc_id, seq FROM documents
                 WHERE account_id IN (SELECT value FROM json_each(?2)) AND seq > ?1 ORDER BY seq",
            )?;
            let mut rows = stmt.query(params![cursor as i64, list])?;
            while let Some(r) = rows.next()? {
                if !push(r.get(0)?, r.get(1)?)? {
                    break;
                }
            }
        }
    }
    Ok(out)
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
                    code: RefusalCode::parse(&code).ok_or_else(|| Error::Corrupt {
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

    /// Builds the next request frame for the hub, in one transaction (see
    /// [`device::request`]). Call [`Store::sync_apply`] with the response,
    /// then again until a round reports `done`. If the previous request's
    /// response never arrived, this starts a new session from the heads
    /// both sides are known to share: nothing is lost.
    pub fn sync_request(&self) -> Result<Vec<u8>> {
        self.sync_request_with(&SyncLimits::default())
    }

    /// [`Store::sync_request`] with explicit frame limits.
    pub fn sync_request_with(&self, limits: &SyncLimits) -> Result<Vec<u8>> {
        // Also when the offline lease ran out: syncing is how it is renewed.
        self.write_unleased(|tx| device::request(&mut SqliteDevice { tx }, limits))
    }

    /// Applies the hub's answer to the last request in one transaction (see
    /// [`device::apply`]): reference data, merged documents and their
    /// projections, sync states and cursors. A malformed, replayed or
    /// unexpected answer is refused with a typed error and changes nothing.
    /// A refusal is applied too; it is kept in [`Store::sync_refusals`].
    /// Either renews the offline lease.
    pub fn sync_apply(&self, response: &[u8]) -> Result<SyncRound> {
        let round = self.write_unleased(|tx| device::apply(&mut SqliteDevice { tx }, response))?;
        self.lease_renewed()?;
        if round.docs_erased > 0 {
            // The erased documents' bytes leave the file and its WAL too.
            self.scrub_unleased()?;
        }
        Ok(round)
    }

    /// Answers a device's request frame as the hub, in one transaction:
    /// a refused frame (malformed, replayed, out of scope, an invalid
    /// change) stores nothing.
    pub fn hub_handle(&self, scope: &DeviceScope, request: &[u8]) -> Result<Vec<u8>> {
        self.hub_handle_with(scope, request, &SyncLimits::default())
    }

    /// [`Store::hub_handle`] with explicit frame limits.
    pub fn hub_handle_with(&self, scope: &DeviceScope, request: &[u8], limits: &SyncLimits) -> Result<Vec<u8>> {
        self.write(|tx| handle(&mut SqliteHub { tx, now: None }, scope, request, limits))
    }

    /// [`Store::hub_handle_with`] with the hub's clock at `now` (the
    /// transition rules' dates: validity, reorder age), for tests and a
    /// hub configured with a fixed date.
    pub fn hub_handle_at(
        &self,
        scope: &DeviceScope,
        request: &[u8],
        limits: &SyncLimits,
        now: Timestamp,
    ) -> Result<Vec<u8>> {
        self.write(|tx| handle(&mut SqliteHub { tx, now: Some(now) }, scope, request, limits))
    }
}
