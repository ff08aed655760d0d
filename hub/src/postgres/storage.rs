//! [`HubStorage`] on one PostgreSQL transaction: documents as append-only,
//! content-addressed change chunks, per-document and per-device row locks,
//! and the document sequence taken last, in commit order.

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, AutoCommit, ChangeHash};
use chrono::NaiveDate;
use onsite_core::Store;
use onsite_core::catalog::Seq;
use onsite_core::crdt::{self, DocId, DocKind, Record};
use onsite_core::quote::DiscountPolicy;
use onsite_core::release::CatalogDelta;
use onsite_core::sync::hub::HubStorage;
use onsite_core::sync::{DeviceRole, DeviceScope, DocSync};
use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};
use sha2::{Digest, Sha256};

use super::pool::Statements;

/// An account, its people and its activities (newest first).
pub(super) type AccountLead =
    (onsite_core::account::Account, Vec<onsite_core::account::Contact>, Vec<onsite_core::activity::Activity>);

/// A document with more chunks than this is compacted when next written.
const COMPACT_AFTER: usize = 32;

/// [`HubStorage`] on one PostgreSQL transaction.
pub(super) struct PgHub<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    statements: &'t mut Statements,
    replica: &'t Store,
    actor: &'t ActorId,
    /// Heads and chunk hashes of each document as loaded.
    loaded: HashMap<DocId, (Vec<ChangeHash>, Vec<Vec<u8>>)>,
    /// Rows inserted only to lock a new document.
    placeholders: HashSet<DocId>,
    /// Documents saved in this transaction (they get sequence numbers at
    /// the end).
    pub(super) changed: Vec<DocId>,
    /// Documents erased in this transaction (announced at sequence numbers
    /// taken at the end, like saved ones).
    erased: Vec<DocId>,
    /// The PostgreSQL error behind a failed call (to tell retryable ones).
    pub(super) error: Option<postgres::Error>,
    /// The hub's clock for the transition rules (`None`: the real one).
    pub(super) now: Option<onsite_core::ids::Timestamp>,
}

impl<'t, 'c> PgHub<'t, 'c> {
    pub(super) fn new(
        tx: &'t mut Transaction<'c>,
        statements: &'t mut Statements,
        replica: &'t Store,
        actor: &'t ActorId,
    ) -> Self {
        PgHub {
            tx,
            statements,
            replica,
            actor,
            loaded: HashMap::new(),
            placeholders: HashSet::new(),
            changed: Vec::new(),
            erased: Vec::new(),
            error: None,
            now: None,
        }
    }

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

    pub(super) fn exec(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<u64> {
        let s = self.statement(sql)?;
        let r = self.tx.execute(&s, params);
        r.map_err(|e| self.pg(e))
    }

    pub(super) fn rows(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Vec<Row>> {
        let s = self.statement(sql)?;
        let r = self.tx.query(&s, params);
        r.map_err(|e| self.pg(e))
    }

    fn one(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Row> {
        let s = self.statement(sql)?;
        let r = self.tx.query_one(&s, params);
        r.map_err(|e| self.pg(e))
    }

    fn opt(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Option<Row>> {
        let s = self.statement(sql)?;
        let r = self.tx.query_opt(&s, params);
        r.map_err(|e| self.pg(e))
    }

    /// Numbers the changed documents, in commit order, and drops unused
    /// placeholders.
    pub(super) fn finish(&mut self) -> onsite_core::Result<()> {
        let erased = std::mem::take(&mut self.erased);
        let changed: Vec<DocId> =
            std::mem::take(&mut self.changed).into_iter().filter(|c| !erased.contains(c)).collect();
        let placeholders: Vec<DocId> = self.placeholders.drain().filter(|p| !changed.contains(p)).collect();
        for id in placeholders {
            let r = self.exec("DELETE FROM documents WHERE doc_id = $1 AND seq = 0", &[&id.as_str()]);
            r?;
        }
        if changed.is_empty() && erased.is_empty() {
            return Ok(());
        }
        let n = (changed.len() + erased.len()) as i64;
        let r = self.one("UPDATE hub_meta SET doc_seq = doc_seq + $1 WHERE id = 1 RETURNING doc_seq", &[&n]);
        let last: i64 = r?.get(0);
        for (i, id) in changed.iter().chain(&erased).enumerate() {
            let seq = last - n + 1 + i as i64;
            let sql = if i < changed.len() {
                "UPDATE documents SET seq = $2 WHERE doc_id = $1"
            } else {
                "UPDATE erased_docs SET seq = $2 WHERE doc_id = $1"
            };
            let r = self.exec(sql, &[&id.as_str(), &seq]);
            r?;
        }
        Ok(())
    }

    /// Removes a document for good: every chunk, its row, every device's
    /// sync state (with queued changes); its id goes to `erased_docs`,
    /// refused from now on and announced to devices. Returns the sync
    /// states removed. The caller holds the document's lock.
    pub(super) fn forget(&mut self, id: &DocId, account_id: &str) -> onsite_core::Result<u64> {
        let r = self.exec("DELETE FROM doc_chunks WHERE doc_id = $1", &[&id.as_str()]);
        r?;
        let r = self.exec("DELETE FROM sync_docs WHERE doc_id = $1", &[&id.as_str()]);
        let states = r?;
        let r = self.exec("DELETE FROM documents WHERE doc_id = $1", &[&id.as_str()]);
        r?;
        self.placeholders.remove(id);
        self.loaded.remove(id);
        let r = self.exec(
            "INSERT INTO erased_docs (doc_id, kind, account_id, seq) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
            &[&id.as_str(), &id.kind().as_str(), &account_id],
        );
        if r? > 0 {
            self.erased.push(id.clone());
        }
        Ok(states)
    }

    /// The account of an erased document, if it was erased.
    pub(super) fn erased_account(&mut self, id: &DocId) -> onsite_core::Result<Option<String>> {
        let r = self.opt("SELECT account_id FROM erased_docs WHERE doc_id = $1", &[&id.as_str()]);
        Ok(r?.map(|row| row.get(0)))
    }

    /// An account with its people and activities (newest first), read from
    /// its documents; `None` when the hub holds no such account or it was
    /// deleted.
    pub(super) fn account_lead(&mut self, account_id: &str) -> onsite_core::Result<Option<AccountLead>> {
        let corrupt = |e: crdt::DocError| onsite_core::Error::Corrupt { what: "document", reason: e.to_string() };
        let aid = DocId::account(account_id);
        let Some(doc) = self.load_doc(&aid)? else { return Ok(None) };
        let Some(Record::Account(a)) = crdt::read(&doc, &aid).map_err(corrupt)? else { return Ok(None) };
        if a.deleted {
            return Ok(None);
        }
        let ids: Vec<String> = self
            .rows(
                "SELECT doc_id FROM documents WHERE account_id = $1 AND kind IN ('person', 'activities') ORDER BY doc_id",
                &[&account_id],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let (mut contacts, mut activities) = (Vec::new(), Vec::new());
        for id in ids {
            let id = DocId::parse(&id)?;
            let Some(doc) = self.load_doc(&id)? else { continue };
            match crdt::read(&doc, &id).map_err(corrupt)? {
                Some(Record::Person(p)) if !p.deleted => {
                    contacts.push(p.contact);
                    activities.extend(p.activities);
                }
                Some(Record::Activities(r)) => activities.extend(r.activities),
                _ => {}
            }
        }
        contacts.sort_by(|x, y| (&x.last_name, &x.first_name, &x.id).cmp(&(&y.last_name, &y.first_name, &y.id)));
        activities.sort_by(|x, y| y.at.cmp(&x.at).then_with(|| x.id.cmp(&y.id)));
        activities.dedup_by(|x, y| x.id == y.id);
        Ok(Some((a.account, contacts, activities)))
    }

    /// The quotes of an account, from their projection.
    pub(super) fn account_quotes(&mut self, account_id: &str) -> onsite_core::Result<Vec<onsite_core::quote::Quote>> {
        let r = self.rows(
            "SELECT body FROM documents WHERE kind = 'quote' AND account_id = $1 AND body IS NOT NULL ORDER BY doc_id",
            &[&account_id],
        );
        r?.iter()
            .map(|row| {
                serde_json::from_str(row.get::<_, &str>(0))
                    .map_err(|e| onsite_core::Error::Corrupt { what: "quote body", reason: e.to_string() })
            })
            .collect()
    }

    fn load(&mut self, id: &DocId) -> onsite_core::Result<Option<AutoCommit>> {
        let rows = self
            .rows("SELECT hash, bytes FROM doc_chunks WHERE doc_id = $1 ORDER BY created_at, hash", &[&id.as_str()])?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut doc = AutoCommit::new();
        let mut hashes = Vec::with_capacity(rows.len());
        for row in rows {
            let bytes: Vec<u8> = row.get(1);
            doc.load_incremental(&bytes)
                .map_err(|e| onsite_core::Error::Corrupt { what: "document chunk", reason: format!("{id}: {e}") })?;
            hashes.push(row.get(0));
        }
        self.loaded.insert(id.clone(), (doc.get_heads(), hashes));
        Ok(Some(doc))
    }

    fn project(&mut self, id: &DocId, doc: &AutoCommit) -> onsite_core::Result<()> {
        let record =
            crdt::read(doc, id).map_err(|e| onsite_core::Error::Corrupt { what: "document", reason: e.to_string() })?;
        let (account, state, body, number, quote_ref) = match &record {
            Some(Record::Quote(q)) => {
                let mut q = (**q).clone();
                q.discount_request = self.discount_of(&q.id)?;
                (
                    q.account_id.clone(),
                    Some(q.state.as_str().to_string()),
                    Some(body_of(&q)?),
                    Some(q.number.clone()),
                    None,
                )
            }
            Some(Record::Order(o)) => {
                (o.account_id.clone(), None, Some(body_of(o.as_ref())?), None, o.quote_id.clone())
            }
            Some(r) => (r.account_id().to_string(), None, None, None, None),
            None => (String::new(), None, None, None, None),
        };
        let r = self.exec(
            "INSERT INTO documents (doc_id, kind, account_id, seq, state, body, number, quote_ref)
             VALUES ($1, $2, $3, 0, $4, $5, $6, $7)
             ON CONFLICT (doc_id) DO UPDATE SET account_id = excluded.account_id, state = excluded.state,
               body = excluded.body, number = excluded.number, quote_ref = excluded.quote_ref, updated_at = now()",
            &[&id.as_str(), &id.kind().as_str(), &account, &state, &body, &number, &quote_ref],
        );
        r?;
        // Who may fetch an attachment's file is decided from its row.
        if let Some(Record::Attachment(a)) = &record {
            let r = self.exec(
                "INSERT INTO attachments (id, account_id, hash, for_customer, deleted) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, hash = excluded.hash,
                   for_customer = excluded.for_customer, deleted = excluded.deleted",
                &[&a.id, &a.account_id, &a.file.hash, &a.for_customer, &a.deleted],
            );
            r?;
        }
        // The quote's projection shows its discount request.
        if let Some(Record::Discount(d)) = &record {
            let qid = DocId::quote(&d.quote_id);
            if let Some(qdoc) = self.load(&qid)?
                && let Ok(Some(Record::Quote(q))) = crdt::read(&qdoc, &qid)
            {
                let mut q = *q;
                q.discount_request = Some(d.request.clone());
                let body = body_of(&q)?;
                let r = self.exec("UPDATE documents SET body = $2 WHERE doc_id = $1", &[&qid.as_str(), &body]);
                r?;
            }
        }
        Ok(())
    }

    /// Writes a stored document's projection again (one from before its
    /// projection existed), under the document's lock, without renumbering it.
    pub(super) fn reproject(&mut self, id: &DocId) -> onsite_core::Result<()> {
        self.lock_doc(id)?;
        match self.load(id)? {
            Some(doc) => self.project(id, &doc),
            None => Ok(()),
        }
    }

    fn discount_of(&mut self, quote_id: &str) -> onsite_core::Result<Option<onsite_core::quote::DiscountRequest>> {
        let did = DocId::discount(quote_id);
        Ok(match self.load(&did)? {
            Some(doc) => match crdt::read(&doc, &did) {
                Ok(Some(Record::Discount(d))) => Some(d.request),
                _ => None,
            },
            None => None,
        })
    }

    /// A customer's account's group, from its document.
    /// An account's record, if the hub holds a readable one.
    fn account_of(&mut self, account_id: &str) -> onsite_core::Result<Option<onsite_core::account::Account>> {
        let id = DocId::account(account_id);
        if let Some(doc) = self.load(&id)?
            && let Ok(Some(Record::Account(a))) = crdt::read(&doc, &id)
        {
            return Ok(Some(a.account));
        }
        Ok(None)
    }

    /// A customer's group and the reps serving its account (assigned in
    /// the registry, or the account's own rep): what its catalog pages hold.
    fn group_and_reps_of(
        &mut self,
        account_id: &str,
    ) -> onsite_core::Result<(Option<String>, std::collections::BTreeSet<String>)> {
        let mut reps: std::collections::BTreeSet<String> = self
            .rows("SELECT rep FROM assignments WHERE account_id = $1", &[&account_id])?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        let account = self.account_of(account_id)?;
        reps.extend(account.as_ref().and_then(|a| a.assigned_rep.clone()));
        Ok((account.and_then(|a| a.customer_group), reps))
    }
}

/// A projection body.
fn body_of<T: serde::Serialize>(v: &T) -> onsite_core::Result<String> {
    serde_json::to_string(v).map_err(|e| onsite_core::Error::Backend(e.to_string()))
}

impl HubStorage for PgHub<'_, '_> {
    fn hub_actor(&mut self) -> onsite_core::Result<ActorId> {
        Ok(self.actor.clone())
    }

    fn peer_round(&mut self, device_id: &str) -> onsite_core::Result<Option<(u64, u64)>> {
        // Locks the device's row: one device's requests run one at a time,
        // whichever instance they reach.
        let r = self.exec(
            "INSERT INTO sync_peers (device_id, session, round) VALUES ($1, 0, 0) ON CONFLICT DO NOTHING",
            &[&device_id],
        );
        r?;
        let r = self.one("SELECT session, round FROM sync_peers WHERE device_id = $1 FOR UPDATE", &[&device_id]);
        let row = r?;
        let (s, n): (i64, i64) = (row.get(0), row.get(1));
        Ok((s, n) != (0, 0)).map(|known| known.then_some((s as u64, n as u64)))
    }

    fn set_peer_round(&mut self, device_id: &str, session: u64, round: u64) -> onsite_core::Result<()> {
        let r = self.exec(
            "UPDATE sync_peers SET session = $2, round = $3 WHERE device_id = $1",
            &[&device_id, &(session as i64), &(round as i64)],
        );
        r?;
        Ok(())
    }

    fn lock_doc(&mut self, id: &DocId) -> onsite_core::Result<()> {
        let r = self.exec(
            "INSERT INTO documents (doc_id, kind, account_id, seq) VALUES ($1, $2, '', 0) ON CONFLICT DO NOTHING",
            &[&id.as_str(), &id.kind().as_str()],
        );
        if r? > 0 {
            self.placeholders.insert(id.clone());
        }
        let r = self.exec("SELECT 1 FROM documents WHERE doc_id = $1 FOR UPDATE", &[&id.as_str()]);
        r?;
        Ok(())
    }

    fn load_doc(&mut self, id: &DocId) -> onsite_core::Result<Option<AutoCommit>> {
        self.load(id)
    }

    fn doc_account(&mut self, id: &DocId) -> onsite_core::Result<Option<String>> {
        let r = self.opt("SELECT account_id FROM documents WHERE doc_id = $1", &[&id.as_str()]);
        Ok(r?.map(|row| row.get::<_, String>(0)).filter(|a| !a.is_empty()))
    }

    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> onsite_core::Result<()> {
        let (heads, hashes) = self.loaded.get(id).cloned().unwrap_or_default();
        let compact = hashes.len() >= COMPACT_AFTER;
        let chunk = if compact { doc.save() } else { doc.save_after(&heads) };
        let hash = Sha256::digest(&chunk).to_vec();
        let r = self.exec(
            "INSERT INTO doc_chunks (doc_id, hash, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id.as_str(), &hash, &chunk],
        );
        r?;
        if compact {
            // The snapshot holds every change of the chunks read: drop
            // exactly those (the document's row lock keeps writers out).
            let old: Vec<Vec<u8>> = hashes.into_iter().filter(|h| *h != hash).collect();
            let r = self.exec("DELETE FROM doc_chunks WHERE doc_id = $1 AND hash = ANY($2)", &[&id.as_str(), &old]);
            r?;
            self.loaded.insert(id.clone(), (doc.get_heads(), vec![hash]));
        } else {
            let mut all = hashes;
            all.push(hash);
            self.loaded.insert(id.clone(), (doc.get_heads(), all));
        }
        self.project(id, doc)?;
        if !self.changed.contains(id) {
            self.changed.push(id.clone());
        }
        Ok(())
    }

    fn sync_state(&mut self, device_id: &str, id: &DocId, session: u64) -> onsite_core::Result<DocSync> {
        let r = self.opt(
            "SELECT session, state, queued FROM sync_docs WHERE device_id = $1 AND doc_id = $2",
            &[&device_id, &id.as_str()],
        );
        match r? {
            None => Ok(DocSync::first_contact()),
            Some(row) => {
                let stored: i64 = row.get(0);
                let state: Vec<u8> = row.get(1);
                let queued: Option<Vec<u8>> = row.get(2);
                DocSync::from_stored(stored as u64, &state, queued.unwrap_or_default(), session)
                    .map_err(|e| onsite_core::Error::Corrupt { what: "sync state", reason: e.to_string() })
            }
        }
    }

    fn set_sync_state(&mut self, device_id: &str, id: &DocId, session: u64, sync: &DocSync) -> onsite_core::Result<()> {
        let queued = (!sync.queued.is_empty()).then_some(&sync.queued);
        let r = self.exec(
            "INSERT INTO sync_docs (device_id, doc_id, session, state, queued) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (device_id, doc_id) DO UPDATE SET session = excluded.session, state = excluded.state,
               queued = excluded.queued",
            &[&device_id, &id.as_str(), &(session as i64), &sync.state_bytes(), &queued],
        );
        r?;
        Ok(())
    }

    fn docs_changed_since(
        &mut self,
        cursor: u64,
        scope: &DeviceScope,
        limit: usize,
    ) -> onsite_core::Result<Vec<(DocId, u64)>> {
        let accounts: Option<Vec<String>> = scope.accounts.as_ref().map(|a| a.iter().cloned().collect());
        let kinds: Option<Vec<String>> = (scope.role == DeviceRole::Customer)
            .then(|| DocKind::ALL.iter().filter(|k| scope.allows_kind(**k)).map(|k| k.as_str().to_string()).collect());
        let r = self.rows(
            "SELECT doc_id, seq FROM documents
             WHERE seq > $1 AND account_id <> '' AND ($2::text[] IS NULL OR account_id = ANY($2))
               AND ($3::text[] IS NULL OR kind = ANY($3))
             ORDER BY seq LIMIT $4",
            &[&(cursor as i64), &accounts, &kinds, &(limit.min(i64::MAX as usize) as i64)],
        );
        let rows = r?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push((DocId::parse(row.get::<_, &str>(0))?, row.get::<_, i64>(1) as u64));
        }
        Ok(out)
    }

    fn doc_cursor(&mut self) -> onsite_core::Result<u64> {
        let r = self.one("SELECT doc_seq FROM hub_meta WHERE id = 1", &[]);
        Ok(r?.get::<_, i64>(0) as u64)
    }

    fn is_erased(&mut self, id: &DocId) -> onsite_core::Result<bool> {
        let r = self.opt("SELECT 1 FROM erased_docs WHERE doc_id = $1", &[&id.as_str()]);
        Ok(r?.is_some())
    }

    fn erased_since(&mut self, cursor: u64, scope: &DeviceScope, limit: usize) -> onsite_core::Result<Vec<DocId>> {
        let accounts: Option<Vec<String>> = scope.accounts.as_ref().map(|a| a.iter().cloned().collect());
        let r = self.rows(
            "SELECT doc_id FROM erased_docs WHERE seq > $1 AND ($2::text[] IS NULL OR account_id = ANY($2))
             ORDER BY seq LIMIT $3",
            &[&(cursor as i64), &accounts, &(limit.min(i64::MAX as usize) as i64)],
        );
        let mut out = Vec::new();
        for row in r? {
            let id = DocId::parse(row.get::<_, &str>(0))?;
            if scope.allows_kind(id.kind()) {
                out.push(id);
            }
        }
        Ok(out)
    }

    fn catalog_seq(&mut self) -> onsite_core::Result<Seq> {
        self.replica.catalog_seq()
    }

    fn catalog_page(
        &mut self,
        since: Seq,
        after: Option<(Seq, i64)>,
        limit: usize,
        scope: &DeviceScope,
    ) -> onsite_core::Result<(CatalogDelta, Option<(Seq, i64)>)> {
        let (group, reps) = match scope.customer() {
            Some(c) => self.group_and_reps_of(c)?,
            None => (None, Default::default()),
        };
        self.replica.catalog_page(since, after, limit, &scope.audience(group.as_deref(), &reps))
    }

    fn costs_sent(&mut self, device_id: &str) -> onsite_core::Result<bool> {
        let r = self.opt("SELECT 1 FROM cost_grants WHERE device_id = $1", &[&device_id]);
        Ok(r?.is_some())
    }

    fn set_costs_sent(&mut self, device_id: &str) -> onsite_core::Result<()> {
        let r = self.exec("INSERT INTO cost_grants (device_id) VALUES ($1) ON CONFLICT DO NOTHING", &[&device_id]);
        r.map(|_| ())
    }

    fn all_costs(&mut self) -> onsite_core::Result<Vec<onsite_core::catalog::ProductCost>> {
        self.replica.product_costs()
    }

    fn has_sync_state(&mut self, device_id: &str, id: &DocId) -> onsite_core::Result<bool> {
        let r = self.opt("SELECT 1 FROM sync_docs WHERE device_id = $1 AND doc_id = $2", &[&device_id, &id.as_str()]);
        Ok(r?.is_some())
    }

    fn policy(&mut self) -> onsite_core::Result<DiscountPolicy> {
        self.replica.discount_policy()
    }

    fn cost(&mut self, sku: &str) -> onsite_core::Result<Option<rust_decimal::Decimal>> {
        self.replica.product_cost(sku)
    }

    fn current_price(
        &mut self,
        account_id: &str,
        line: &onsite_core::quote::QuoteLine,
        day: NaiveDate,
        currency: onsite_core::money::Currency,
    ) -> onsite_core::Result<Option<rust_decimal::Decimal>> {
        // Once per quote line: the group only, no registry query.
        let group = self.account_of(account_id)?.and_then(|a| a.customer_group);
        self.replica.current_unit_price(account_id, group.as_deref(), line, day, currency)
    }

    fn tax_rate(&mut self, account_id: &str, sku: &str) -> onsite_core::Result<Option<rust_decimal::Decimal>> {
        let Some(rate) = self.replica.tax_class_rate(sku)? else { return Ok(None) };
        let id = DocId::account(account_id);
        let treatment = match self.load(&id)? {
            Some(doc) => match crdt::read(&doc, &id) {
                Ok(Some(Record::Account(a))) => {
                    onsite_core::vat::treatment(&self.replica.seller_country()?, &a.account)
                }
                _ => onsite_core::vat::TaxTreatment::Domestic,
            },
            None => onsite_core::vat::TaxTreatment::Domestic,
        };
        Ok(Some(treatment.rate(rate)))
    }

    fn number_holder(&mut self, number: &str) -> onsite_core::Result<Option<String>> {
        let r = self.opt(
            "SELECT doc_id FROM documents WHERE number = $1 AND kind = 'quote' ORDER BY doc_id LIMIT 1",
            &[&number],
        );
        Ok(r?.and_then(|row| DocId::parse(row.get::<_, &str>(0)).ok()).map(|id| id.key().to_string()))
    }

    fn order_of_quote(&mut self, quote_id: &str) -> onsite_core::Result<Option<String>> {
        let r = self.opt(
            "SELECT doc_id FROM documents WHERE quote_ref = $1 AND kind = 'order' ORDER BY doc_id LIMIT 1",
            &[&quote_id],
        );
        Ok(r?.and_then(|row| DocId::parse(row.get::<_, &str>(0)).ok()).map(|id| id.key().to_string()))
    }

    fn now(&mut self) -> onsite_core::ids::Timestamp {
        self.now.unwrap_or_else(chrono::Utc::now)
    }
}
