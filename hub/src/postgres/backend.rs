//! The [`Backend`] calls on PostgreSQL: authentication, devices and
//! assignments, sync, publishing, the back office's listings and
//! decisions.

use std::collections::BTreeSet;

use automerge::AutoCommit;
use chrono::NaiveDate;
use onsite_core::approval_link::LinkKey;
use onsite_core::blob::{BlobKind, BlobRef};
use onsite_core::catalog::Seq;
use onsite_core::crdt::{self, DocId, Record};
use onsite_core::devices::{DeviceRecord, NewDevice, TokenSecrets};
use onsite_core::import::{self, Format};
use onsite_core::quote::{CustomerDecision, DiscountPolicy, Order, Quote, QuoteListing, QuoteState};
use onsite_core::store::ImportSummary;
use onsite_core::sync::hub::{HubFacts, HubStorage, handle};
use onsite_core::sync::{DeviceRole, DeviceScope, SyncLimits};
use onsite_core::transition::{self, Actor};

use super::PgBackend;
use crate::backend::{Backend, Counts, QuoteView};
use crate::error::Result;

/// The registry's columns, as a literal (for `concat!` into cached statements).
macro_rules! device_cols {
    () => {
        "device_id, person, role, account_id, label, created_at, revoked_at, last_seen_at, \
         token_expires_at, lost_at, wiped_at"
    };
}
const DEVICE_COLS: &str = device_cols!();
/// The column after [`DEVICE_COLS`] in a query that selects more.
const AFTER_COLS: usize = 11;

/// A registered device by id (revoked ones too).
fn device_by_id(c: &mut super::pool::Conn<'_>, device_id: &str) -> Result<DeviceRecord> {
    match c.client().query_opt(&format!("SELECT {DEVICE_COLS} FROM devices WHERE device_id = $1"), &[&device_id])? {
        Some(row) => device_from(&row),
        None => Err(onsite_core::Error::not_found("device", device_id).into()),
    }
}

fn conflict(reason: &str) -> crate::error::Error {
    onsite_core::Error::Conflict { what: "device", reason: reason.into() }.into()
}

fn device_from(row: &postgres::Row) -> Result<DeviceRecord> {
    let role: String = row.get(2);
    Ok(DeviceRecord {
        device_id: row.get(0),
        person: row.get(1),
        role: DeviceRole::parse(&role).ok_or_else(|| onsite_core::Error::Corrupt {
            what: "device role",
            reason: format!("unknown role {role:?}"),
        })?,
        account_id: row.get(3),
        label: row.get(4),
        created_at: row.get(5),
        revoked_at: row.get(6),
        last_seen_at: row.get(7),
        token_expires_at: row.get(8),
        lost_at: row.get(9),
        wiped_at: row.get(10),
    })
}

fn listing(body: &str) -> Result<QuoteListing> {
    let q: Quote = serde_json::from_str(body)?;
    Ok(QuoteListing::of(&q).map_err(onsite_core::Error::from)?)
}

impl PgBackend {
    /// Changes one quote (and its discount request, which lives in its own
    /// document) as the hub's own actor, under the documents' row locks;
    /// saves what `f` changed (also when `f` failed, so a quote found
    /// expired is stored as expired) after the transition rules that hold
    /// for everyone, and returns `f`'s outcome.
    pub(super) fn modify_quote<E>(
        &self,
        quote_id: &str,
        message: &str,
        mut f: impl FnMut(&mut Quote) -> std::result::Result<(), E>,
    ) -> Result<(Quote, std::result::Result<(), E>)> {
        let id = DocId::quote(quote_id);
        let did = DocId::discount(quote_id);
        let actor = self.actor.clone();
        let corrupt = |e: crdt::DocError| onsite_core::Error::Corrupt { what: "quote", reason: e.to_string() };
        self.with_hub(|hub| {
            hub.lock_doc(&id)?;
            hub.lock_doc(&did)?;
            let Some(doc) = hub.load_doc(&id)? else {
                return Err(onsite_core::Error::not_found("quote", quote_id));
            };
            let mut doc = doc.with_actor(actor.clone());
            let Some(Record::Quote(before)) = crdt::read(&doc, &id).map_err(corrupt)? else {
                return Err(onsite_core::Error::not_found("quote", quote_id));
            };
            let ddoc = hub.load_doc(&did)?;
            let dbefore = match &ddoc {
                Some(d) => crdt::read(d, &did).map_err(corrupt)?,
                None => None,
            };
            let mut q = (*before).clone();
            if let Some(Record::Discount(d)) = &dbefore {
                q.discount_request = Some(d.request.clone());
            }
            let outcome = f(&mut q);
            let commit = |doc: &mut AutoCommit| {
                doc.commit_with(
                    automerge::transaction::CommitOptions::default()
                        .with_message(message.to_string())
                        .with_time(chrono::Utc::now().timestamp()),
                );
            };
            if let Some(request) = &q.discount_request {
                let after = Record::Discount(Box::new(crdt::DiscountRecord {
                    quote_id: q.id.clone(),
                    account_id: q.account_id.clone(),
                    request: request.clone(),
                }));
                if dbefore.as_ref() != Some(&after) {
                    let found =
                        transition::check(&Actor::LOCAL, &did, dbefore.as_ref(), Some(&after), &mut HubFacts(hub))?;
                    if let Some(r) = found {
                        return Err(onsite_core::Error::Refused(Box::new(r)));
                    }
                    let mut dd = match ddoc {
                        Some(d) => d.with_actor(actor.clone()),
                        None => crdt::genesis(&did, actor.clone()).map_err(corrupt)?,
                    };
                    crdt::write(&mut dd, &after).map_err(corrupt)?;
                    commit(&mut dd);
                    hub.save_doc(&did, &mut dd)?;
                }
            }
            let mut bare = q.clone();
            bare.discount_request = None;
            if bare != *before {
                let (b, a) = (Record::Quote(before), Record::Quote(Box::new(bare)));
                if let Some(r) = transition::check(&Actor::LOCAL, &id, Some(&b), Some(&a), &mut HubFacts(hub))? {
                    return Err(onsite_core::Error::Refused(Box::new(r)));
                }
                crdt::write(&mut doc, &a).map_err(corrupt)?;
                commit(&mut doc);
                hub.save_doc(&id, &mut doc)?;
            }
            Ok((q, outcome))
        })
    }
}

impl Backend for PgBackend {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn check(&self) -> Result<()> {
        self.pool.get()?.client().query_one("SELECT 1", &[])?;
        Ok(())
    }

    fn authenticate(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        let mut c = self.pool.get()?;
        let st = c.statement(concat!(
            "SELECT ",
            device_cols!(),
            ", next_token_hash = $1 FROM devices
             WHERE (token_hash = $1 OR next_token_hash = $1) AND revoked_at IS NULL"
        ))?;
        let row = c.client().query_opt(&st, &[&&token_hash[..]])?;
        let Some(row) = row else { return Ok(None) };
        let mut device = device_from(&row)?;
        if row.get::<_, Option<bool>>(AFTER_COLS).unwrap_or(false) {
            // The staged token's first use: it becomes the device's token. A
            // concurrent request with the same token may have done so
            // already: then it is found as the device's token.
            c.client().execute(
                "UPDATE devices SET token_hash = next_token_hash, token_expires_at = next_token_expires_at,
                   next_token_hash = NULL, next_token_expires_at = NULL, next_token_staged_at = NULL
                 WHERE device_id = $1 AND next_token_hash = $2 AND revoked_at IS NULL",
                &[&device.device_id, &&token_hash[..]],
            )?;
            let promoted = c.client().query_opt(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE token_hash = $1 AND revoked_at IS NULL"),
                &[&&token_hash[..]],
            )?;
            let Some(p) = promoted else { return Ok(None) };
            device = device_from(&p)?;
        }
        // The last-seen note is written at most once a minute per device.
        let now = chrono::Utc::now();
        let stale = device.seen_note_stale(now);
        if stale {
            let at = now.to_rfc3339();
            let n = c.client().execute(
                "UPDATE devices SET last_seen_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
                &[&device.device_id, &at],
            )?;
            if n == 0 {
                return Ok(None);
            }
            device.last_seen_at = Some(at);
        }
        Ok(Some(device))
    }

    fn scope(&self, device: &DeviceRecord) -> Result<DeviceScope> {
        let assigned = match device.role {
            DeviceRole::Rep => {
                let mut c = self.pool.get()?;
                let st = c.statement("SELECT account_id FROM assignments WHERE rep = $1")?;
                c.client().query(&st, &[&device.person])?.iter().map(|r| r.get::<_, String>(0)).collect()
            }
            DeviceRole::Admin | DeviceRole::Customer => BTreeSet::new(),
        };
        Ok(DeviceScope::for_device(device, assigned))
    }

    fn sync(
        &self,
        scope: &DeviceScope,
        request: &[u8],
        limits: &SyncLimits,
        now: Option<onsite_core::ids::Timestamp>,
    ) -> Result<Vec<u8>> {
        self.with_hub(|hub| {
            hub.now = now;
            handle(hub, scope, request, limits)
        })
    }

    fn publish_images(&self, images: &[onsite_core::blob::PreparedImage]) -> Result<ImportSummary> {
        // The bytes first, in PostgreSQL's own tables (kept once); then the
        // media rows through the replica, which devices receive.
        let mut c = self.pool.get()?;
        let mut tx = c.client().transaction()?;
        for i in images {
            put_blob(&mut tx, &i.item.image(), &i.image)?;
            put_blob(&mut tx, &i.item.thumbnail(), &i.thumbnail)?;
        }
        tx.commit()?;
        drop(c);
        let items: Vec<_> = images.iter().map(|i| i.item.clone()).collect();
        let mut summary = None;
        self.publish(|replica| {
            summary = Some(replica.publish_media(&items)?);
            Ok(())
        })?;
        summary.ok_or_else(|| onsite_core::Error::Backend("the publication did not run".into()).into())
    }

    fn blob(&self, scope: &DeviceScope, request: &[u8]) -> Result<onsite_core::sync::blobs::Judged> {
        // One transaction: committed for an answer and for a refusal
        // (`Ok(Err(_))`: a refused upload's rows are gone), rolled back on
        // an error.
        self.with_blobs(&scope.device_id, |storage| onsite_core::sync::blobs::hub_handle(storage, scope, request))
    }

    fn register_device(&self, device_id: &str, new: &NewDevice, secrets: &TokenSecrets) -> Result<DeviceRecord> {
        new.validate().map_err(onsite_core::Error::from)?;
        let mut c = self.pool.get()?;
        let row = c.client().query_one(
            &format!(
                "INSERT INTO devices (device_id, person, role, account_id, label, token_hash, created_at, link_key,
                   token_expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {DEVICE_COLS}"
            ),
            &[
                &device_id,
                &new.person.trim(),
                &new.role.as_str(),
                &new.account_id,
                &new.label,
                &&secrets.hash[..],
                &chrono::Utc::now().to_rfc3339(),
                &&secrets.link_key.0[..],
                &secrets.expires_at_text(),
            ],
        )?;
        device_from(&row)
    }

    fn device_link_key(&self, device_id: &str) -> Result<Option<(DeviceRecord, Option<LinkKey>)>> {
        let mut c = self.pool.get()?;
        let row = c
            .client()
            .query_opt(&format!("SELECT {DEVICE_COLS}, link_key FROM devices WHERE device_id = $1"), &[&device_id])?;
        let Some(row) = row else { return Ok(None) };
        let key: Option<Vec<u8>> = row.get(AFTER_COLS);
        Ok(Some((device_from(&row)?, key.as_deref().and_then(LinkKey::from_bytes))))
    }

    fn discount_facts(
        &self,
        skus: &[String],
    ) -> Result<(DiscountPolicy, std::collections::HashMap<String, rust_decimal::Decimal>)> {
        let mut c = self.pool.get()?;
        let replica = self.current_replica(&mut c)?;
        Ok((replica.discount_policy()?, replica.costs_of(skus)?))
    }

    fn quote_page(
        &self,
        q: &onsite_core::quote::QuoteQuery,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<QuoteListing>, usize)> {
        // State and account are columns; rep and validity are read from the body.
        const WHERE: &str = "kind = 'quote' AND body IS NOT NULL AND ($1::text IS NULL OR state = $1)
             AND ($2::text IS NULL OR body::jsonb->>'rep' = $2) AND ($3::text IS NULL OR account_id = $3)
             AND ($4::text IS NULL OR body::jsonb->>'valid_until' >= $4)
             AND ($5::text IS NULL OR body::jsonb->>'valid_until' <= $5)";
        let state = q.state.map(QuoteState::as_str);
        let (from, to) = (q.valid_from.map(|d| d.to_string()), q.valid_to.map(|d| d.to_string()));
        let mut c = self.pool.get()?;
        let total: i64 = c
            .client()
            .query_one(
                &format!("SELECT count(*) FROM documents WHERE {WHERE}"),
                &[&state, &q.rep, &q.account_id, &from, &to],
            )?
            .get(0);
        let rows = c.client().query(
            &format!("SELECT body FROM documents WHERE {WHERE} ORDER BY updated_at DESC, doc_id LIMIT $6 OFFSET $7"),
            &[&state, &q.rep, &q.account_id, &from, &to, &(limit as i64), &(offset as i64)],
        )?;
        let page = rows.iter().map(|r| listing(r.get(0))).collect::<Result<Vec<_>>>()?;
        Ok((page, total as usize))
    }

    fn campaign_reports(&self) -> Result<Vec<onsite_core::leads::FunnelReport>> {
        let mut c = self.pool.get()?;
        let all = self.current_replica(&mut c)?.campaigns()?;
        Ok(all.iter().map(|c| onsite_core::leads::funnel(c, &all)).collect())
    }

    fn quote_history(&self, quote_id: &str) -> Result<Option<onsite_core::crdt::QuoteHistory>> {
        let qid = DocId::quote(quote_id);
        self.with_hub(|hub| {
            let Some(mut doc) = hub.load_doc(&qid)? else { return Ok(None) };
            let corrupt = |e: crdt::DocError| onsite_core::Error::Corrupt { what: "quote", reason: e.to_string() };
            Ok(Some(onsite_core::crdt::QuoteHistory {
                revisions: crdt::quote_revisions(&mut doc, &qid).map_err(corrupt)?,
                conflicts: crdt::conflicts(&doc),
            }))
        })
    }

    fn account_detail(
        &self,
        account_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<crate::backend::AccountDetail>> {
        let Some((account, contacts, mut activities)) = self.with_hub(|hub| hub.account_lead(account_id))? else {
            return Ok(None);
        };
        let mut c = self.pool.get()?;
        let model = self.current_replica(&mut c)?.scoring_model()?;
        let score = model.map(|m| onsite_core::leads::account_score(&account, &contacts, &activities, &m, now));
        activities.truncate(crate::backend::ACCOUNT_ACTIVITIES);
        Ok(Some(crate::backend::AccountDetail { account, contacts, activities, score }))
    }

    fn call_list(
        &self,
        rep: &str,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Option<Vec<onsite_core::leads::CallListEntry>>> {
        let mut c = self.pool.get()?;
        let Some(model) = self.current_replica(&mut c)?.scoring_model()? else { return Ok(None) };
        let ids: Vec<String> = c
            .client()
            .query("SELECT account_id FROM assignments WHERE rep = $1 ORDER BY account_id", &[&rep])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        drop(c);
        let mut held = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(lead) = self.with_hub(|hub| hub.account_lead(id))? {
                held.push(lead);
            }
        }
        let touches: Vec<Vec<onsite_core::leads::Touch>> =
            held.iter().map(|(_, contacts, acts)| onsite_core::leads::Touch::of(acts, contacts)).collect();
        let leads: Vec<onsite_core::leads::Lead<'_>> = held
            .iter()
            .zip(&touches)
            .map(|((account, contacts, _), touches)| onsite_core::leads::Lead { account, contacts, touches })
            .collect();
        Ok(Some(onsite_core::leads::call_list(&leads, &model, now, limit)))
    }

    fn account_name(&self, account_id: &str) -> Result<Option<String>> {
        let aid = DocId::account(account_id);
        self.with_hub(|hub| {
            let Some(doc) = hub.load_doc(&aid)? else { return Ok(None) };
            match crdt::read(&doc, &aid)
                .map_err(|e| onsite_core::Error::Corrupt { what: "account", reason: e.to_string() })?
            {
                Some(Record::Account(a)) => Ok(Some(a.account.name)),
                _ => Ok(None),
            }
        })
    }

    fn quote_view(&self, quote_id: &str) -> Result<Option<QuoteView>> {
        let qid = DocId::quote(quote_id);
        let found = self.with_hub(|hub| {
            let Some(doc) = hub.load_doc(&qid)? else { return Ok(None) };
            let Some(Record::Quote(mut q)) = crdt::read(&doc, &qid)
                .map_err(|e| onsite_core::Error::Corrupt { what: "quote", reason: e.to_string() })?
            else {
                return Ok(None);
            };
            // The discount request lives in a document of its own.
            let did = DocId::discount(quote_id);
            if let Some(d) = hub.load_doc(&did)?
                && let Some(Record::Discount(r)) = crdt::read(&d, &did)
                    .map_err(|e| onsite_core::Error::Corrupt { what: "discount", reason: e.to_string() })?
            {
                q.discount_request = Some(r.request);
            }
            let aid = DocId::account(&q.account_id);
            let account = match hub.load_doc(&aid)? {
                Some(doc) => crdt::read(&doc, &aid)
                    .map_err(|e| onsite_core::Error::Corrupt { what: "account", reason: e.to_string() })?,
                None => None,
            };
            let Some(Record::Account(a)) = account else {
                return Err(onsite_core::Error::not_found("account", q.account_id.clone()));
            };
            Ok(Some((*q, *a)))
        })?;
        let Some((quote, record)) = found else { return Ok(None) };
        let contact = quote.contact_id.as_ref().and_then(|id| record.contacts.iter().find(|c| &c.id == id).cloned());
        let items = self.replica().content_items()?;
        let value_arguments = quote
            .value_arguments
            .iter()
            .filter_map(|id| items.iter().find(|c| &c.id == id).map(|c| c.title.clone()))
            .collect();
        let senders = self.senders(&quote.rep)?;
        Ok(Some(QuoteView { quote, account: record.account, contact, value_arguments, senders }))
    }

    fn customer_decision(&self, quote_id: &str, decision: CustomerDecision, today: NaiveDate) -> Result<Quote> {
        // The quote is saved even when the decision fails, so an expired
        // quote is stored as expired (as on the embedded hub).
        let (quote, outcome) =
            self.modify_quote(quote_id, "customer decision via web link", |q| q.decide(decision.clone(), today))?;
        outcome.map_err(onsite_core::Error::from)?;
        Ok(quote)
    }

    fn revoke_device(&self, device_id: &str) -> Result<DeviceRecord> {
        let mut c = self.pool.get()?;
        let d = device_by_id(&mut c, device_id)?;
        if d.lost_at.is_some() && d.revoked_at.is_none() {
            return Err(conflict("reported lost, its wipe is pending: revoking would keep the wipe from reaching it"));
        }
        c.client().execute(
            "UPDATE devices SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
            &[&device_id, &chrono::Utc::now().to_rfc3339()],
        )?;
        device_by_id(&mut c, device_id)
    }

    fn stage_token(&self, device_id: &str, secrets: &TokenSecrets, unless_staged_after: &str) -> Result<bool> {
        let mut c = self.pool.get()?;
        let d = device_by_id(&mut c, device_id)?;
        if d.revoked_at.is_some() || d.lost_at.is_some() {
            return Err(conflict("revoked or reported lost"));
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let n = c.client().execute(
            "UPDATE devices SET next_token_hash = $2, next_token_expires_at = $3, next_token_staged_at = $4
             WHERE device_id = $1 AND revoked_at IS NULL AND lost_at IS NULL
               AND (next_token_hash IS NULL OR next_token_staged_at <= $5)",
            &[&device_id, &&secrets.hash[..], &secrets.expires_at_text(), &now, &unless_staged_after],
        )?;
        Ok(n > 0)
    }

    fn reissue_token(&self, device_id: &str, secrets: &TokenSecrets) -> Result<DeviceRecord> {
        let mut c = self.pool.get()?;
        let d = device_by_id(&mut c, device_id)?;
        if d.revoked_at.is_some() || d.lost_at.is_some() {
            return Err(conflict("revoked or reported lost"));
        }
        c.client().execute(
            "UPDATE devices SET token_hash = $2, token_expires_at = $3,
               next_token_hash = NULL, next_token_expires_at = NULL, next_token_staged_at = NULL
             WHERE device_id = $1",
            &[&device_id, &&secrets.hash[..], &secrets.expires_at_text()],
        )?;
        device_by_id(&mut c, device_id)
    }

    fn mark_lost(&self, device_id: &str) -> Result<DeviceRecord> {
        let mut c = self.pool.get()?;
        if device_by_id(&mut c, device_id)?.revoked_at.is_some() {
            return Err(conflict("revoked: its token no longer reaches the hub, so it cannot be told to wipe"));
        }
        c.client().execute(
            "UPDATE devices SET lost_at = coalesce(lost_at, $2) WHERE device_id = $1",
            &[&device_id, &chrono::Utc::now().to_rfc3339()],
        )?;
        device_by_id(&mut c, device_id)
    }

    fn record_wiped(&self, device_id: &str) -> Result<DeviceRecord> {
        let mut c = self.pool.get()?;
        let row = c.client().query_opt(
            &format!(
                "UPDATE devices SET wiped_at = $2, revoked_at = $2, next_token_hash = NULL
                 WHERE device_id = $1 AND lost_at IS NOT NULL AND revoked_at IS NULL RETURNING {DEVICE_COLS}"
            ),
            &[&device_id, &chrono::Utc::now().to_rfc3339()],
        )?;
        match row {
            Some(row) => device_from(&row),
            None => Err(onsite_core::Error::Conflict {
                what: "device",
                reason: "not reported lost, or already wiped".into(),
            }
            .into()),
        }
    }

    fn wiped_device(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        let mut c = self.pool.get()?;
        let row = c.client().query_opt(
            &format!("SELECT {DEVICE_COLS} FROM devices WHERE token_hash = $1 AND wiped_at IS NOT NULL"),
            &[&&token_hash[..]],
        )?;
        row.as_ref().map(device_from).transpose()
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>> {
        let mut c = self.pool.get()?;
        c.client()
            .query(&format!("SELECT {DEVICE_COLS} FROM devices ORDER BY created_at DESC, device_id"), &[])?
            .iter()
            .map(device_from)
            .collect()
    }

    fn assign(&self, rep: &str, add: &[String], remove: &[String]) -> Result<BTreeSet<String>> {
        if rep.trim().is_empty() {
            return Err(onsite_core::Error::validation("rep", "must not be empty").into());
        }
        let mut newly = Vec::new();
        let accounts = self.with_hub(|hub| {
            hub.exec("DELETE FROM assignments WHERE rep = $1 AND account_id = ANY($2)", &[&rep, &remove])?;
            let mut added = Vec::new();
            for a in add {
                let sql = "INSERT INTO assignments (rep, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
                if hub.exec(sql, &[&rep, a])? > 0 {
                    added.push(a.clone());
                }
            }
            // Newly visible documents are renumbered with the transaction's
            // other changes, so the rep's devices are offered them.
            let sql = "SELECT doc_id FROM documents WHERE account_id = ANY($1) AND seq > 0 ORDER BY seq";
            for row in hub.rows(sql, &[&added])? {
                hub.changed.push(DocId::parse(row.get::<_, &str>(0))?);
            }
            let rows = hub.rows("SELECT account_id FROM assignments WHERE rep = $1", &[&rep])?;
            newly.clone_from(&added);
            Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
        })?;
        // Reps receive only their accounts' own price lists: publish the
        // new accounts' lists again, so the rep's devices get them.
        if !newly.is_empty() {
            self.publish(|replica| {
                replica.republish_price_lists(&newly)?;
                // The new accounts' customers receive the rep's profile.
                replica.republish_rep_profile(rep).map(|_| ())
            })?;
        }
        Ok(accounts)
    }

    fn unknown_accounts(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut c = self.pool.get()?;
        let rows = c
            .client()
            .query("SELECT account_id FROM documents WHERE kind = 'account' AND account_id = ANY($1)", &[&ids])?;
        let known: std::collections::BTreeSet<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
        Ok(ids.iter().filter(|id| !known.contains(*id)).cloned().collect())
    }

    fn import_accounts(&self, imports: &[onsite_core::import::AccountImport]) -> Result<(usize, usize)> {
        let actor = self.actor.clone();
        let corrupt = |e: crdt::DocError| onsite_core::Error::Corrupt { what: "account", reason: e.to_string() };
        self.with_hub(|hub| {
            let mut contacts = 0;
            for a in imports {
                let written = [(DocId::account(&a.account.id), None)]
                    .into_iter()
                    .chain(a.contacts.iter().map(|c| (DocId::person(&c.id), Some(c))));
                for (id, contact) in written {
                    hub.lock_doc(&id)?;
                    if contact.is_some() && hub.is_erased(&id)? {
                        return Err(onsite_core::Error::Conflict {
                            what: "contact",
                            reason: format!(
                                "{} (line {}) was erased (ADR 24): remove it from the file",
                                id.as_str(),
                                a.line
                            ),
                        });
                    }
                    let doc = hub.load_doc(&id)?;
                    let before = match &doc {
                        Some(d) => crdt::read(d, &id).map_err(corrupt)?,
                        None => None,
                    };
                    let after = match (contact, &before) {
                        (None, Some(Record::Account(b))) => Record::Account(Box::new(crdt::AccountRecord {
                            account: onsite_core::import::merge_account(&a.account, &b.account),
                            contacts: Vec::new(),
                            deleted: false,
                        })),
                        (None, _) => Record::Account(Box::new(crdt::AccountRecord {
                            account: a.account.clone(),
                            contacts: Vec::new(),
                            deleted: false,
                        })),
                        (Some(c), Some(Record::Person(p))) => {
                            if p.contact.account_id != c.account_id {
                                return Err(onsite_core::Error::Conflict {
                                    what: "contact",
                                    reason: format!("{} belongs to another account", c.id),
                                });
                            }
                            Record::Person(Box::new(crdt::PersonRecord {
                                contact: onsite_core::import::merge_contact(c, &p.contact),
                                ..(**p).clone()
                            }))
                        }
                        (Some(c), _) => Record::Person(Box::new(crdt::PersonRecord {
                            contact: c.clone(),
                            activities: Vec::new(),
                            deleted: false,
                        })),
                    };
                    if before.as_ref() == Some(&after) {
                        continue;
                    }
                    if let Some(r) =
                        transition::check(&Actor::LOCAL, &id, before.as_ref(), Some(&after), &mut HubFacts(hub))?
                    {
                        return Err(onsite_core::Error::Refused(Box::new(r)));
                    }
                    let mut doc = match doc {
                        Some(d) => d.with_actor(actor.clone()),
                        None => crdt::genesis(&id, actor.clone()).map_err(corrupt)?,
                    };
                    crdt::write(&mut doc, &after).map_err(corrupt)?;
                    doc.commit_with(
                        automerge::transaction::CommitOptions::default()
                            .with_message("import accounts".to_string())
                            .with_time(chrono::Utc::now().timestamp()),
                    );
                    hub.save_doc(&id, &mut doc)?;
                }
                contacts += a.contacts.len();
            }
            Ok((imports.len(), contacts))
        })
    }

    fn publish_catalog(&self, bytes: &[u8], format: Format) -> Result<ImportSummary> {
        let mut summary = None;
        // A company profile in the file brings its logo: its bytes first
        // (a profile the import then refuses leaves only an unused blob).
        if format == Format::Json
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
            && let Some(p) = v.get("company_profile").cloned()
            && let Ok(profile) = serde_json::from_value::<onsite_core::profile::CompanyProfile>(p)
        {
            self.put_logo(&profile)?;
        }
        self.publish(|replica| {
            summary = Some(replica.import_catalog(import::parse(bytes, format), &mut |_| {})?);
            Ok(())
        })?;
        summary.ok_or_else(|| onsite_core::Error::Backend("the import did not run".into()).into())
    }

    fn publish_policy(&self, policy: &DiscountPolicy) -> Result<Seq> {
        self.publish(|replica| replica.set_discount_policy(policy))
    }

    fn publish_company(&self, profile: &onsite_core::profile::CompanyProfile) -> Result<Seq> {
        // The logo's bytes first, in PostgreSQL's own tables, which devices
        // fetch them from and every instance reads; then the release, which
        // names the logo by hash.
        self.put_logo(profile)?;
        self.publish(|replica| replica.set_company_profile(profile).map(|_| ()))
    }

    fn publish_rep_profile(&self, profile: &onsite_core::profile::RepProfile) -> Result<Seq> {
        self.publish(|replica| replica.set_rep_profile(profile).map(|_| ()))
    }

    fn senders(&self, rep: &str) -> Result<crate::backend::Senders> {
        let mut c = self.pool.get()?;
        let replica = self.current_replica(&mut c)?;
        let mut company = replica.company_profile()?;
        // A replica rebuilt from the releases holds no logo bytes: they are
        // in PostgreSQL's blob tables (a logo is one chunk).
        if let Some(p) = &mut company
            && p.logo.is_none()
            && let Some(f) = &p.logo_file
        {
            let row = c.client().query_opt("SELECT data FROM blob_chunks WHERE hash = $1 AND idx = 0", &[&f.hash])?;
            p.logo = row.map(|r| r.get::<_, Vec<u8>>(0)).filter(|b| b.len() as u64 == f.size);
        }
        Ok(crate::backend::Senders { company, unit_labels: replica.unit_labels()?, rep: replica.rep_profile(rep)? })
    }

    fn quotes(&self, state: Option<QuoteState>, pending_discount: bool) -> Result<Vec<QuoteListing>> {
        let mut c = self.pool.get()?;
        let state = state.map(QuoteState::as_str);
        let rows = c.client().query(
            "SELECT body FROM documents WHERE kind = 'quote' AND body IS NOT NULL AND ($1::text IS NULL OR state = $1)
             ORDER BY updated_at DESC, doc_id",
            &[&state],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let l = listing(r.get(0))?;
            if !pending_discount || l.discount_pending() {
                out.push(l);
            }
        }
        Ok(out)
    }

    fn decide_discount(&self, quote_id: &str, approved: bool, by: &str, reason: Option<&str>) -> Result<QuoteListing> {
        let (quote, outcome) = self.modify_quote(quote_id, "decide discount", |q| {
            q.decide_discount(approved, by.to_string(), reason.map(str::to_string), chrono::Utc::now())
        })?;
        outcome.map_err(onsite_core::Error::from)?;
        Ok(QuoteListing::of(&quote).map_err(onsite_core::Error::from)?)
    }

    fn orders(&self, account_id: Option<&str>) -> Result<Vec<Order>> {
        let mut c = self.pool.get()?;
        let rows = c.client().query(
            "SELECT body FROM documents WHERE kind = 'order' AND body IS NOT NULL AND ($1::text IS NULL OR account_id = $1)
             ORDER BY updated_at DESC, doc_id",
            &[&account_id],
        )?;
        rows.iter().map(|r| Ok(serde_json::from_str(r.get(0))?)).collect()
    }

    fn export_person(&self, contact_id: &str) -> Result<onsite_core::erasure::PersonExport> {
        onsite_core::ids::check_id("contact id", contact_id).map_err(onsite_core::Error::from)?;
        let id = DocId::person(contact_id);
        self.with_hub(|hub| {
            let person = match hub.load_doc(&id)? {
                Some(doc) => crdt::read(&doc, &id)?,
                None => None,
            };
            let Some(Record::Person(p)) = person else {
                return Err(match hub.erased_account(&id)? {
                    Some(_) => onsite_core::Error::Conflict {
                        what: "person",
                        reason: "erased: nothing is held on them any more".into(),
                    },
                    None => onsite_core::Error::not_found("contact", contact_id),
                });
            };
            let quotes = hub.account_quotes(&p.contact.account_id)?;
            let mentions = onsite_core::erasure::mentions(&p.contact, &quotes);
            Ok(onsite_core::erasure::export(*p, mentions))
        })
    }

    fn erase_person(&self, contact_id: &str) -> Result<onsite_core::erasure::ErasureReport> {
        onsite_core::ids::check_id("contact id", contact_id).map_err(onsite_core::Error::from)?;
        let id = DocId::person(contact_id);
        let report = self.with_hub(|hub| {
            hub.lock_doc(&id)?;
            let person = match hub.load_doc(&id)? {
                Some(doc) => crdt::read(&doc, &id)?,
                None => None,
            };
            let Some(Record::Person(p)) = person else {
                return match hub.erased_account(&id)? {
                    Some(account) => Ok(onsite_core::erasure::already_erased(contact_id, &account)),
                    None => Err(onsite_core::Error::not_found("contact", contact_id)),
                };
            };
            let quotes = hub.account_quotes(&p.contact.account_id)?;
            let mentions = onsite_core::erasure::mentions(&p.contact, &quotes);
            let states = hub.forget(&id, &p.contact.account_id)?;
            Ok(onsite_core::erasure::report(&p, &mentions, p.activities.len() as u64, states))
        })?;
        if !report.already_erased {
            // The deleted rows' space is reclaimed (pg_dump never shows
            // deleted rows; VACUUM frees their tuples in the table files).
            let mut c = self.pool.get()?;
            c.client().batch_execute("VACUUM doc_chunks, documents, sync_docs")?;
        }
        Ok(report)
    }

    fn counts(&self) -> Result<Counts> {
        let mut c = self.pool.get()?;
        let row = c
            .client()
            .query_one("SELECT (SELECT count(*) FROM documents WHERE seq > 0), (SELECT count(*) FROM devices)", &[])?;
        Ok(Counts {
            documents: row.get::<_, i64>(0) as u64,
            devices: row.get::<_, i64>(1) as u64,
            catalog_seq: self.replica().catalog_seq()?,
        })
    }
}

impl PgBackend {
    /// Stores a profile's logo in PostgreSQL's blob tables (once), checked
    /// as the profile's rules check it.
    fn put_logo(&self, profile: &onsite_core::profile::CompanyProfile) -> Result<()> {
        let Some(logo) = &profile.logo else { return Ok(()) };
        profile.validate().map_err(onsite_core::Error::from)?;
        let file = BlobRef::of(BlobKind::Logo, "logo", logo).map_err(onsite_core::Error::from)?;
        let mut c = self.pool.get()?;
        let mut tx = c.client().transaction()?;
        put_blob(&mut tx, &file, logo)?;
        tx.commit()?;
        Ok(())
    }
}

/// Stores a published blob (an image, a thumbnail, the logo) once, in chunks.
fn put_blob(tx: &mut postgres::Transaction<'_>, r: &BlobRef, bytes: &[u8]) -> Result<()> {
    let new = tx.execute(
        "INSERT INTO blobs (hash, kind, media_type, size, chunks) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (hash) DO NOTHING",
        &[&r.hash, &r.kind.as_str(), &r.media_type, &(r.size as i64), &(onsite_core::blob::chunk_count(r.size) as i64)],
    )?;
    if new == 1 {
        for (idx, part) in bytes.chunks(onsite_core::blob::CHUNK_BYTES).enumerate() {
            tx.execute(
                "INSERT INTO blob_chunks (hash, idx, data) VALUES ($1, $2, $3)",
                &[&r.hash, &(idx as i64), &part],
            )?;
        }
    }
    Ok(())
}
