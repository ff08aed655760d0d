//! The hub role: answer a device's request frame over a [`HubStorage`].
//!
//! The engine decides everything the protocol needs (which documents the
//! device may touch and see, what to announce, how much fits in a frame);
//! the storage only loads and saves. [`super::sqlite::SqliteHub`] stores in
//! an Onsite [`crate::Store`] (the embedded default); the server adds other backends behind
//! the same trait. The caller runs [`handle`] inside one transaction of its
//! storage and commits only if it returns `Ok`, so a refused frame stores
//! nothing.

use automerge::sync::SyncDoc;
use automerge::{ActorId, AutoCommit};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::frame::{self, CatalogPart, CatalogResume, Entry, Response};
use super::state::{self, DocSync};
use super::{DeviceScope, SyncError, SyncLimits};
use crate::catalog::Seq;
use crate::crdt::{self, DocId, DocKind};
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::money::Currency;
use crate::quote::{DiscountPolicy, QuoteLine, QuoteState};
use crate::release::CatalogDelta;
use crate::transition::{self, Facts, Refusal, RefusalCode};

/// What the hub engine needs from storage. Every call happens inside one
/// transaction that the caller commits after [`handle`] returns `Ok`.
pub trait HubStorage {
    /// The hub's own actor (for changes it makes while merging).
    fn hub_actor(&mut self) -> Result<ActorId>;
    /// The last `(session, round)` handled for a device.
    fn peer_round(&mut self, device_id: &str) -> Result<Option<(u64, u64)>>;
    /// Records the `(session, round)` just handled.
    fn set_peer_round(&mut self, device_id: &str, session: u64, round: u64) -> Result<()>;
    /// Called before a document the device sent is loaded for merging, so a
    /// backend shared by several hub processes can serialise writers of the
    /// same document (the embedded store has one writer anyway).
    fn lock_doc(&mut self, _id: &DocId) -> Result<()> {
        Ok(())
    }
    /// A document, if stored.
    fn load_doc(&mut self, id: &DocId) -> Result<Option<AutoCommit>>;
    /// The account a stored document belongs to.
    fn doc_account(&mut self, id: &DocId) -> Result<Option<String>>;
    /// Stores a changed document (and whatever the backend projects from it).
    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> Result<()>;
    /// A document's sync state with a device, for `session` (a restart from
    /// the shared heads if the stored one is from another session).
    fn sync_state(&mut self, device_id: &str, id: &DocId, session: u64) -> Result<DocSync>;
    /// Whether a sync state with the device was ever stored for the document
    /// (the device has received something of it).
    fn has_sync_state(&mut self, device_id: &str, id: &DocId) -> Result<bool>;
    /// Stores a document's sync state with a device.
    fn set_sync_state(&mut self, device_id: &str, id: &DocId, session: u64, sync: &DocSync) -> Result<()>;
    /// Documents changed after `cursor` that `scope` allows, with their
    /// sequence, oldest first, at most `limit`.
    fn docs_changed_since(&mut self, cursor: u64, scope: &DeviceScope, limit: usize) -> Result<Vec<(DocId, u64)>>;
    /// The newest document sequence.
    fn doc_cursor(&mut self) -> Result<u64>;
    /// Whether a document was erased (ADR 24): its changes are dropped,
    /// never stored again.
    fn is_erased(&mut self, id: &DocId) -> Result<bool>;
    /// Documents erased after `cursor` that `scope` allows, at most `limit`.
    fn erased_since(&mut self, cursor: u64, scope: &DeviceScope, limit: usize) -> Result<Vec<DocId>>;
    /// The catalog's sequence.
    fn catalog_seq(&mut self) -> Result<Seq>;
    /// One page of the reference-data delta (see `Store::catalog_page`) for
    /// the device `scope` describes ([`DeviceScope::audience`]; the storage
    /// looks up a customer's group).
    fn catalog_page(
        &mut self,
        since: Seq,
        after: Option<(Seq, i64)>,
        limit: usize,
        scope: &DeviceScope,
    ) -> Result<(CatalogDelta, Option<(Seq, i64)>)>;
    /// Whether the device was sent every product cost once.
    fn costs_sent(&mut self, device_id: &str) -> Result<bool>;
    /// Records that it was.
    fn set_costs_sent(&mut self, device_id: &str) -> Result<()>;
    /// Every product cost.
    fn all_costs(&mut self) -> Result<Vec<crate::catalog::ProductCost>>;
    /// The discount policy in force at the hub.
    fn policy(&mut self) -> Result<DiscountPolicy>;
    /// A product's cost at the hub.
    fn cost(&mut self, sku: &str) -> Result<Option<Decimal>>;
    /// The unit price the hub's price lists give `line` for the account on
    /// `day` (`None`: cannot be priced).
    fn current_price(
        &mut self,
        account_id: &str,
        line: &QuoteLine,
        day: NaiveDate,
        currency: Currency,
    ) -> Result<Option<Decimal>>;
    /// The VAT rate a line of `sku` carries for the account (see
    /// `Facts::tax_rate`); `None`: not judged.
    fn tax_rate(&mut self, _account_id: &str, _sku: &str) -> Result<Option<Decimal>> {
        Ok(None)
    }
    /// The quote holding a number, if any.
    fn number_holder(&mut self, number: &str) -> Result<Option<String>>;
    /// An order made from the quote, if any.
    fn order_of_quote(&mut self, quote_id: &str) -> Result<Option<String>>;
    /// The hub's clock.
    fn now(&mut self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// The transition rules' facts at the hub: its storage, in the merging
/// transaction (backends use it for their own writes too).
#[allow(missing_debug_implementations)]
pub struct HubFacts<'a>(pub &'a mut dyn HubStorage);

impl Facts for HubFacts<'_> {
    fn policy(&mut self) -> Result<DiscountPolicy> {
        self.0.policy()
    }
    fn cost(&mut self, sku: &str) -> Result<Option<Decimal>> {
        self.0.cost(sku)
    }
    fn current_price(
        &mut self,
        account_id: &str,
        line: &QuoteLine,
        day: NaiveDate,
        currency: Currency,
    ) -> Result<Option<Decimal>> {
        self.0.current_price(account_id, line, day, currency)
    }
    fn tax_rate(&mut self, account_id: &str, sku: &str) -> Result<Option<Decimal>> {
        self.0.tax_rate(account_id, sku)
    }
    fn record(&mut self, id: &DocId) -> Result<Option<crdt::Record>> {
        match self.0.load_doc(id)? {
            Some(doc) => Ok(crdt::read(&doc, id).ok().flatten()),
            None => Ok(None),
        }
    }
    fn number_holder(&mut self, number: &str) -> Result<Option<String>> {
        self.0.number_holder(number)
    }
    fn order_of_quote(&mut self, quote_id: &str) -> Result<Option<String>> {
        self.0.order_of_quote(quote_id)
    }
    fn now(&mut self) -> Timestamp {
        self.0.now()
    }
}

/// The account a document id alone tells (accounts and activities).
fn account_in_id(id: &DocId) -> Option<&str> {
    matches!(id.kind(), DocKind::Account | DocKind::Activities).then(|| id.key())
}

/// Whether a customer's device is kept from a quote in this state: drafts
/// (and quotes waiting for a discount decision) never reach customers, nor
/// do quotes cancelled before the customer received anything of them.
fn withheld(scope: &DeviceScope, record: Option<&crdt::Record>, received_before: bool) -> bool {
    if scope.role != super::DeviceRole::Customer {
        return false;
    }
    match record {
        Some(crdt::Record::Quote(q)) => match q.state {
            QuoteState::Draft | QuoteState::NeedsDiscountApproval => true,
            QuoteState::Cancelled => !received_before,
            _ => false,
        },
        // An attachment the rep did not mark for the customer; once it was
        // sent, its unmarking is sent too (the hub no longer serves its file).
        Some(crdt::Record::Attachment(a)) => !a.for_customer && !received_before,
        _ => false,
    }
}

fn refusal(id: &DocId, code: RefusalCode, message: &str) -> Refusal {
    Refusal { doc: id.to_string(), code, message: message.to_string() }
}

/// Answers one request frame from the device `scope` names. Changes that
/// break the transition rules (ADR 17) refuse the whole frame: every
/// refused document is reported, nothing is stored (the caller rolls back
/// on `Err`), and the error carries the refusal frame for the device.
pub fn handle(
    storage: &mut dyn HubStorage,
    scope: &DeviceScope,
    request: &[u8],
    limits: &SyncLimits,
) -> Result<Vec<u8>> {
    let req = frame::decode_request(request).map_err(SyncError::from)?;
    // Answered in the request's version (ADR 28).
    let version = frame::request_version(request).map_err(SyncError::from)?;
    if req.device_id != scope.device_id {
        return Err(SyncError::WrongDevice.into());
    }
    let (last_session, last_round) = storage.peer_round(&req.device_id)?.unwrap_or((0, 0));
    if req.round <= last_round || req.session < last_session {
        return Err(SyncError::Replayed { round: req.round, last: last_round }.into());
    }
    let actor = scope.actor();
    let mut refused: Vec<(Refusal, bool)> = Vec::new();
    // Scope first, before anything is merged; the merged record is checked
    // again (a new document names its account only in its content).
    let mut entries = Vec::with_capacity(req.entries.len());
    let mut erased = Vec::new();
    for e in req.entries {
        // An erased document's changes come from a device that has not
        // heard of the erasure yet: dropped unread, and the device is told
        // to delete its copy (a refusal would keep it, and its data).
        if storage.is_erased(&e.doc)? {
            erased.push(e.doc);
            continue;
        }
        let known = storage.doc_account(&e.doc)?.filter(|a| !a.is_empty());
        let account = known.as_deref().or_else(|| account_in_id(&e.doc));
        if !scope.allows_kind(e.doc.kind()) || account.is_some_and(|a| !scope.allows(a)) {
            refused.push((refusal(&e.doc, RefusalCode::NotPermitted, OUT_OF_SCOPE), false));
            continue;
        }
        entries.push(e);
    }
    let actor_id = storage.hub_actor()?;
    let mut out = Vec::new();
    let mut size = 64usize;
    entries.sort_by_key(|e| (e.doc.kind().apply_order(), e.doc.clone()));
    let in_request: std::collections::HashSet<DocId> = entries.iter().map(|e| e.doc.clone()).collect();
    for e in entries {
        let id = e.doc;
        storage.lock_doc(&id)?;
        // Erased while this request waited for the lock (a shared backend).
        if storage.is_erased(&id)? {
            erased.push(id);
            continue;
        }
        let mut doc = storage.load_doc(&id)?.unwrap_or_default().with_actor(actor_id.clone());
        let mut sync = storage.sync_state(&req.device_id, &id, req.session)?;
        let before = doc.get_heads();
        // What the hub had: a document it cannot read any more is judged
        // as if new.
        let had = crdt::read(&doc, &id).ok().flatten();
        state::requeue(&mut doc, &mut sync);
        let incoming = state::change_bytes(&e.message);
        if doc.sync().receive_sync_message(&mut sync.state, e.message).is_err() {
            refused.push((refusal(&id, RefusalCode::InvalidRecord, "the changes do not apply to the document"), true));
            continue;
        }
        state::remember_unapplied(&mut doc, &mut sync, &incoming);
        let mut record = had.clone();
        if doc.get_heads() != before {
            let Ok(merged) = crdt::read(&doc, &id) else {
                // The decoder's words may quote the content: say only what failed.
                refused.push((
                    refusal(&id, RefusalCode::InvalidRecord, "the document's content is not a valid record"),
                    true,
                ));
                continue;
            };
            if let Some(r) = &merged
                && !scope.allows_doc(id.kind(), r.account_id())
            {
                refused.push((refusal(&id, RefusalCode::NotPermitted, OUT_OF_SCOPE), false));
                continue;
            }
            if let Some(r) = transition::check(&actor, &id, had.as_ref(), merged.as_ref(), &mut HubFacts(storage))? {
                refused.push((r, true));
                continue;
            }
            storage.save_doc(&id, &mut doc)?;
            record = merged;
        }
        if !refused.is_empty() {
            // The frame is refused anyway: no reply is built.
            continue;
        }
        let before = sync.clone();
        let customer = scope.role == super::DeviceRole::Customer;
        let received = customer && storage.has_sync_state(&req.device_id, &id)?;
        let reply = if customer && withheld(scope, record.as_ref(), received) {
            None
        } else {
            doc.sync().generate_sync_message(&mut sync.state)
        };
        match reply {
            Some(reply) if !state::is_pure_ack(&reply, &sync.state) => {
                size += frame::entry_size(&id, reply.clone().encode().len());
                out.push(Entry { doc: id.clone(), message: reply });
                storage.set_sync_state(&req.device_id, &id, req.session, &sync)?;
            }
            // Nothing to say, or only "I have your heads": not sent, so the
            // state stays as it was before generating.
            _ => storage.set_sync_state(&req.device_id, &id, req.session, &before)?,
        }
    }
    if !refused.is_empty() {
        return Err(reject(storage, scope, (&req.device_id, version), req.session, req.round, refused));
    }

    // Announce what changed here since the device's cursor.
    let mut more = false;
    let mut cursor = storage.doc_cursor()?;
    let changed = storage.docs_changed_since(req.doc_cursor, scope, super::MAX_ENTRIES - out.len())?;
    if changed.len() == super::MAX_ENTRIES - out.len() {
        more = true;
        cursor = changed.last().map_or(req.doc_cursor, |c| c.1);
    }
    for (id, seq) in changed {
        // A kind the request's version cannot read (ADR 28): kept back
        // until the app is updated.
        if in_request.contains(&id) || id.kind().since_protocol() > version {
            continue;
        }
        let Some(mut doc) = storage.load_doc(&id)? else { continue };
        if scope.role == super::DeviceRole::Customer {
            let received = storage.has_sync_state(&req.device_id, &id)?;
            if withheld(scope, crdt::read(&doc, &id).ok().flatten().as_ref(), received) {
                continue;
            }
        }
        let mut sync = storage.sync_state(&req.device_id, &id, req.session)?;
        state::requeue(&mut doc, &mut sync);
        let Some(msg) = doc.sync().generate_sync_message(&mut sync.state) else { continue };
        if state::is_pure_ack(&msg, &sync.state) {
            continue;
        }
        let add = frame::entry_size(&id, msg.clone().encode().len());
        if size + add > limits.frame_budget && !out.is_empty() {
            more = true;
            cursor = seq.saturating_sub(1).max(req.doc_cursor);
            break;
        }
        size += add;
        storage.set_sync_state(&req.device_id, &id, req.session, &sync)?;
        out.push(Entry { doc: id, message: msg });
    }

    // Reference data since the device's cursor, a page at a time.
    let hub_seq = storage.catalog_seq()?;
    let catalog = if req.catalog_cursor < hub_seq || req.catalog_resume.is_some() {
        let after = req.catalog_resume.as_ref().map(|r| (r.seq, r.row));
        let (mut delta, next) = storage.catalog_page(req.catalog_cursor, after, limits.catalog_page, scope)?;
        more |= next.is_some();
        // Version 4 reads no logo file (its profile knows no such field): it
        // prints without the logo until the app is updated (ADR 29).
        if version < 5
            && let Some(p) = &mut delta.company_profile
        {
            p.logo_file = None;
        }
        Some(CatalogPart { delta, complete: next.is_none(), resume: next.map(|(seq, row)| CatalogResume { seq, row }) })
    } else {
        None
    };
    let catalog = grant_costs(storage, scope, &req.device_id, req.catalog_cursor, catalog)?;
    for id in storage.erased_since(req.doc_cursor, scope, super::MAX_ENTRIES)? {
        if !erased.contains(&id) && erased.len() < super::MAX_ENTRIES && id.kind().since_protocol() <= version {
            erased.push(id);
        }
    }
    storage.set_peer_round(&req.device_id, req.session, req.round)?;
    Ok(frame::encode_response_in(
        &Response {
            device_id: req.device_id,
            session: req.session,
            round: req.round,
            catalog,
            doc_cursor: cursor,
            more,
            entries: out,
            erased,
        },
        version,
    )
    .map_err(SyncError::from)?)
}

/// A rep receives product costs once they have an account to quote for
/// (`DeviceScope::audience`); deltas carry only what changed since the
/// device's cursor, so the first time a rep's scope allows costs, every
/// cost goes with the last page of the answer (once per device).
fn grant_costs(
    storage: &mut dyn HubStorage,
    scope: &DeviceScope,
    device_id: &str,
    cursor: Seq,
    catalog: Option<CatalogPart>,
) -> Result<Option<CatalogPart>> {
    if !scope.audience(None, &Default::default()).costs()
        || scope.role != super::DeviceRole::Rep
        || storage.costs_sent(device_id)?
    {
        return Ok(catalog);
    }
    let mut part = match catalog {
        Some(p) if !p.complete => return Ok(Some(p)),
        Some(p) => p,
        None => CatalogPart {
            delta: CatalogDelta { since: cursor, to: cursor, ..Default::default() },
            complete: true,
            resume: None,
        },
    };
    let have: std::collections::HashSet<String> =
        part.delta.product_costs.iter().map(|c| c.sku.to_ascii_lowercase()).collect();
    for c in storage.all_costs()? {
        if !have.contains(&c.sku.to_ascii_lowercase()) {
            part.delta.product_costs.push(c);
        }
    }
    storage.set_costs_sent(device_id)?;
    Ok(Some(part))
}

const OUT_OF_SCOPE: &str = "the record is outside what this device may change (its account is not assigned to it)";

/// The refusal for a frame: each refused document with the hub's current
/// version where the device may see it (`visible`), so the device can
/// restore what the hub accepted.
fn reject(
    storage: &mut dyn HubStorage,
    scope: &DeviceScope,
    (device_id, version): (&str, u8),
    session: u64,
    round: u64,
    refused: Vec<(Refusal, bool)>,
) -> Error {
    let mut docs_out = Vec::with_capacity(refused.len());
    let mut refusals = Vec::with_capacity(refused.len());
    for (r, visible) in refused {
        let Ok(id) = DocId::parse(&r.doc) else { continue };
        let mut hub_doc = Vec::new();
        if visible && let Ok(Some(mut doc)) = storage.load_doc(&id) {
            let record = crdt::read(&doc, &id).ok().flatten();
            let received = storage.has_sync_state(device_id, &id).unwrap_or(false);
            if record.is_some() && !withheld(scope, record.as_ref(), received) {
                hub_doc = doc.save();
            }
        }
        docs_out.push(frame::RefusedDoc { doc: id, code: r.code, message: r.message.clone(), hub_doc });
        refusals.push(r);
    }
    let frame = frame::encode_refusal_in(
        &frame::RefusalFrame { device_id: device_id.to_string(), session, round, refused: docs_out },
        version,
    );
    SyncError::Rejected(Box::new(super::Rejection { refusals, frame })).into()
}

impl From<SyncError> for Error {
    fn from(e: SyncError) -> Self {
        Error::Sync(e)
    }
}
