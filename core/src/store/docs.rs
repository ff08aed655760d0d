//! Field-data documents in the store: each aggregate's Automerge bytes in
//! `documents`, and its projection rows (accounts, contacts, activities,
//! quotes, orders) rewritten in the same transaction whenever the document
//! changes, by a local edit or by a merge from a peer. Queries read the
//! projections only; edits and sync load documents.

use automerge::AutoCommit;
use automerge::transaction::CommitOptions;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::Store;
use super::{projections, reference};
use crate::crdt::{self, AccountRecord, DiscountRecord, DocId, DocKind, FieldConflict, PersonRecord, Record};
use crate::error::{Error, Result};
use crate::transition::{self, Actor};

impl From<crdt::DocError> for Error {
    fn from(e: crdt::DocError) -> Self {
        match e {
            crdt::DocError::BadId(id) => Error::validation("document id", format!("{id:?} is not a document id")),
            other => Error::Corrupt { what: "document", reason: other.to_string() },
        }
    }
}

/// This database's device id.
pub(crate) fn device_id(c: &Connection) -> Result<String> {
    Ok(c.prepare_cached("SELECT device_id FROM device WHERE id = 1")?.query_row([], |r| r.get(0))?)
}

/// Sets the device id of a database that has no documents and never synced.
pub(crate) fn set_device_id(tx: &Transaction<'_>, id: &str) -> Result<()> {
    crate::ids::check_id("device id", id)?;
    if device_id(tx)? == id {
        return Ok(());
    }
    let used: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM documents) OR EXISTS (SELECT 1 FROM sync_peers)", [], |r| r.get(0))?;
    if used {
        return Err(Error::Conflict { what: "device id", reason: "this database already has its own".into() });
    }
    tx.execute("UPDATE device SET device_id = ?1 WHERE id = 1", [id])?;
    Ok(())
}

/// A stored document, loaded.
pub(crate) fn load_doc(c: &Connection, id: &DocId) -> Result<Option<AutoCommit>> {
    let bytes: Option<Vec<u8>> = c
        .prepare_cached("SELECT bytes FROM documents WHERE doc_id = ?1")?
        .query_row([id.as_str()], |r| r.get(0))
        .optional()?;
    bytes.map(|b| crdt::load(&b).map_err(Error::from)).transpose()
}

/// The stored document as a record (rules settled), if it exists and has content.
pub(crate) fn load_record(c: &Connection, id: &DocId) -> Result<Option<Record>> {
    match load_doc(c, id)? {
        Some(doc) => Ok(crdt::read(&doc, id)?),
        None => Ok(None),
    }
}

pub(crate) fn next_seq(tx: &Connection) -> Result<i64> {
    Ok(tx
        .prepare_cached("UPDATE doc_state SET seq = seq + 1 WHERE id = 1 RETURNING seq")?
        .query_row([], |r| r.get(0))?)
}

/// Gives every document of an account a new sequence number, so devices
/// whose scope just widened to it are offered it although their cursors
/// are past its last change.
pub(crate) fn touch_account(tx: &Connection, account_id: &str) -> Result<()> {
    let ids: Vec<String> = tx
        .prepare_cached("SELECT doc_id FROM documents WHERE account_id = ?1 ORDER BY seq")?
        .query_map([account_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        let seq = next_seq(tx)?;
        tx.prepare_cached("UPDATE documents SET seq = ?2 WHERE doc_id = ?1")?.execute(params![id, seq])?;
    }
    Ok(())
}

/// The newest document change sequence.
pub(crate) fn doc_seq(c: &Connection) -> Result<i64> {
    Ok(c.prepare_cached("SELECT seq FROM doc_state WHERE id = 1")?.query_row([], |r| r.get(0))?)
}

fn commit_time() -> i64 {
    if crate::ids::reproducible() { 0 } else { Utc::now().timestamp() }
}

/// A quote with its discount request (from its own document).
pub(crate) fn load_quote(c: &Connection, id: &str) -> Result<Option<crate::quote::Quote>> {
    let Some(Record::Quote(mut q)) = load_record(c, &DocId::quote(id))? else { return Ok(None) };
    if let Some(Record::Discount(d)) = load_record(c, &DocId::discount(id))? {
        q.discount_request = Some(d.request);
    }
    Ok(Some(*q))
}

/// Writes `record` as one change by this device (only the fields that
/// differ), stores the document and rewrites its projection. A quote's
/// discount request goes to its own document, written first. The change
/// must pass the transition rules that hold for everyone
/// ([`transition::check`] with [`Actor::LOCAL`]); the hub checks the role's
/// permissions again when the change arrives.
pub(crate) fn write_record(tx: &Transaction<'_>, record: &Record, message: &str) -> Result<()> {
    write_split(tx, record, message, true)
}

/// [`write_record`] without the transition rules: for upgrades that
/// restructure data already accepted.
pub(crate) fn write_unchecked(tx: &Transaction<'_>, record: &Record, message: &str) -> Result<()> {
    write_split(tx, record, message, false)
}

fn write_split(tx: &Transaction<'_>, record: &Record, message: &str, checked: bool) -> Result<()> {
    // Contacts live in documents of their own (ADR 24): the account's
    // document keeps none, each contact's goes to `person/<id>`.
    if let Record::Account(a) = record {
        let mut bare = a.clone();
        let contacts = std::mem::take(&mut bare.contacts);
        write_one(tx, &Record::Account(bare), message, checked)?;
        for c in contacts {
            let mut person = match load_record(tx, &DocId::person(&c.id))? {
                Some(Record::Person(p)) => *p,
                _ => PersonRecord { contact: c.clone(), activities: Vec::new(), deleted: false },
            };
            person.contact = c;
            write_one(tx, &Record::Person(Box::new(person)), message, checked)?;
        }
        return Ok(());
    }
    if let Record::Quote(q) = record {
        if let Some(request) = &q.discount_request {
            let d =
                DiscountRecord { quote_id: q.id.clone(), account_id: q.account_id.clone(), request: request.clone() };
            write_one(tx, &Record::Discount(Box::new(d)), message, checked)?;
        }
        let mut bare = q.clone();
        bare.discount_request = None;
        return write_one(tx, &Record::Quote(bare), message, checked);
    }
    write_one(tx, record, message, checked)
}

fn write_one(tx: &Transaction<'_>, record: &Record, message: &str, checked: bool) -> Result<()> {
    let id = id_for(record);
    super::erased::refuse_erased(tx, &id)?;
    let mut doc = match load_doc(tx, &id)? {
        Some(d) => d.with_actor(crdt::actor_for(&device_id(tx)?)),
        None => crdt::genesis(&id, crdt::actor_for(&device_id(tx)?))?,
    };
    if checked {
        let before = crdt::read(&doc, &id)?;
        let found = transition::check(&Actor::LOCAL, &id, before.as_ref(), Some(record), &mut LocalFacts(tx))?;
        if let Some(refusal) = found {
            return Err(Error::Refused(Box::new(refusal)));
        }
    }
    crdt::write(&mut doc, record)?;
    let changed = doc.commit_with(CommitOptions::default().with_message(message).with_time(commit_time())).is_some();
    if changed || !exists(tx, &id)? {
        store_doc(tx, &id, &mut doc)?;
    }
    Ok(())
}

fn exists(c: &Connection, id: &DocId) -> Result<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM documents WHERE doc_id = ?1")?.exists([id.as_str()])?)
}

/// The document id a record lives in.
pub(crate) fn id_for(record: &Record) -> DocId {
    match record {
        Record::Account(a) => DocId::account(&a.account.id),
        Record::Activities(a) => DocId::activities(&a.account_id, &a.period),
        Record::Discount(d) => DocId::discount(&d.quote_id),
        Record::Quote(q) => DocId::quote(&q.id),
        Record::Order(o) => DocId::order(&o.id),
        Record::Person(p) => DocId::person(&p.contact.id),
        Record::Attachment(a) => DocId::attachment(&a.id),
    }
}

/// Saves a changed document (local edit or merge), moves its sequence and
/// rewrites its projection. Returns the record as projected.
pub(crate) fn store_doc(tx: &Transaction<'_>, id: &DocId, doc: &mut AutoCommit) -> Result<Option<Record>> {
    let record = crdt::read(doc, id)?;
    let account = record.as_ref().map_or_else(|| stored_account(tx, id), |r| Ok(Some(r.account_id().to_string())))?;
    let seq = next_seq(tx)?;
    tx.prepare_cached(
        "INSERT INTO documents (doc_id, kind, account_id, bytes, seq, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (doc_id) DO UPDATE SET account_id = excluded.account_id, bytes = excluded.bytes,
           seq = excluded.seq, updated_at = excluded.updated_at",
    )?
    .execute(params![
        id.as_str(),
        id.kind().as_str(),
        account.unwrap_or_default(),
        doc.save(),
        seq,
        Utc::now().to_rfc3339()
    ])?;
    if let Some(r) = &record {
        project(tx, id, r)?;
    }
    Ok(record)
}

/// The account a stored document belongs to.
pub(crate) fn stored_account(c: &Connection, id: &DocId) -> Result<Option<String>> {
    Ok(c.prepare_cached("SELECT account_id FROM documents WHERE doc_id = ?1")?
        .query_row([id.as_str()], |r| r.get(0))
        .optional()?)
}

fn project(tx: &Transaction<'_>, id: &DocId, record: &Record) -> Result<()> {
    match record {
        Record::Account(a) => {
            projections::project_account(tx, a)?;
            if a.deleted {
                return Ok(());
            }
            for pid in projections::unprojected_people(tx, &a.account.id)? {
                if let Some(Record::Person(p)) = load_record(tx, &pid)? {
                    projections::project_person(tx, &pid, &p)?;
                }
            }
            Ok(())
        }
        Record::Activities(a) => projections::project_activities(tx, id, a),
        Record::Discount(d) => match load_record(tx, &DocId::quote(&d.quote_id))? {
            // The quote's projection shows its request.
            Some(Record::Quote(q)) => projections::project_quote(tx, &q, Some(&d.request)),
            _ => Ok(()),
        },
        Record::Quote(q) => {
            let discount = match load_record(tx, &DocId::discount(&q.id))? {
                Some(Record::Discount(d)) => Some(d.request),
                _ => None,
            };
            projections::project_quote(tx, q, discount.as_ref())
        }
        Record::Order(o) => projections::project_order(tx, o),
        Record::Person(p) => projections::project_person(tx, id, p),
        Record::Attachment(a) => projections::project_attachment(tx, a),
    }
}

/// What the transition rules know on this database: its own policy, costs,
/// price lists and documents (on the embedded hub, the hub's).
pub(crate) struct LocalFacts<'a>(pub(crate) &'a Connection);

impl transition::Facts for LocalFacts<'_> {
    fn policy(&mut self) -> Result<crate::quote::DiscountPolicy> {
        reference::load_policy(self.0)
    }

    fn cost(&mut self, sku: &str) -> Result<Option<rust_decimal::Decimal>> {
        Ok(reference::cost_of(self.0, sku))
    }

    fn current_price(
        &mut self,
        account_id: &str,
        line: &crate::quote::QuoteLine,
        day: chrono::NaiveDate,
        currency: crate::money::Currency,
    ) -> Result<Option<rust_decimal::Decimal>> {
        let group: Option<Option<String>> = self
            .0
            .prepare_cached("SELECT customer_group FROM accounts WHERE id = ?1")?
            .query_row([account_id], |r| r.get(0))
            .optional()?;
        let Some(group) = group else { return Ok(None) };
        reference::current_unit_price(self.0, account_id, group.as_deref(), line, day, currency)
    }

    fn tax_rate(&mut self, account_id: &str, sku: &str) -> Result<Option<rust_decimal::Decimal>> {
        reference::line_tax_rate(self.0, account_id, sku)
    }

    fn record(&mut self, id: &DocId) -> Result<Option<Record>> {
        load_record(self.0, id)
    }

    fn number_holder(&mut self, number: &str) -> Result<Option<String>> {
        Ok(self
            .0
            .prepare_cached("SELECT id FROM quotes WHERE number = ?1 ORDER BY id LIMIT 1")?
            .query_row([number], |r| r.get(0))
            .optional()?)
    }

    fn order_of_quote(&mut self, quote_id: &str) -> Result<Option<String>> {
        Ok(self
            .0
            .prepare_cached("SELECT id FROM orders WHERE quote_id = ?1 ORDER BY id LIMIT 1")?
            .query_row([quote_id], |r| r.get(0))
            .optional()?)
    }

    fn now(&mut self) -> crate::ids::Timestamp {
        Utc::now()
    }
}

/// Creates documents for projection rows written before version 5 (a
/// database upgraded from an older app); `Store::open` calls it once, in the
/// open that crosses version 5.
pub(crate) fn backfill(tx: &Transaction<'_>) -> Result<usize> {
    // Rows of `table` whose document (`prefix` + id) does not exist yet.
    let missing = |table: &str, prefix: &str| -> Result<Vec<String>> {
        let sql = format!(
            "SELECT id FROM {table} WHERE NOT EXISTS
               (SELECT 1 FROM documents d WHERE d.doc_id = '{prefix}/' || {table}.id)"
        );
        Ok(tx.prepare(&sql)?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?)
    };
    let mut records = Vec::new();
    for id in missing("accounts", "account")? {
        let account = projections::account_in(tx, &id)?;
        let contacts = projections::contacts_in(tx, &id)?;
        records.push(Record::Account(Box::new(AccountRecord { account, contacts, deleted: false })));
    }
    for id in missing("quotes", "quote")? {
        records.push(Record::Quote(Box::new(projections::quote_in(tx, &id)?)));
    }
    for id in missing("orders", "order")? {
        records.push(Record::Order(Box::new(projections::order_in(tx, &id)?)));
    }
    // Rows that exist already: materialised as they are (rules that came
    // later judge later changes, not the data found).
    for r in &records {
        write_split(tx, r, "upgrade", false)?;
    }
    Ok(records.len())
}

/// A stored document's summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DocInfo {
    /// The document id, e.g. `quote/<id>`.
    pub doc_id: String,
    /// What it holds.
    pub kind: DocKind,
    /// The account it belongs to.
    pub account_id: String,
    /// Size of its saved bytes.
    pub bytes: u64,
    /// This database's change sequence when it last changed.
    pub seq: i64,
}

impl Store {
    /// This database's device id: the author of its document changes.
    pub fn device_id(&self) -> Result<String> {
        self.read(device_id)
    }

    /// How many documents are stored.
    pub fn document_count(&self) -> Result<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM documents", [], |r| r.get::<_, i64>(0))? as u64))
    }

    /// Every stored document, by id.
    pub fn documents(&self) -> Result<Vec<DocInfo>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT doc_id, account_id, length(bytes), seq FROM documents ORDER BY doc_id")?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let id = DocId::parse(&r.get::<_, String>(0)?)?;
                out.push(DocInfo {
                    kind: id.kind(),
                    doc_id: id.as_str().to_string(),
                    account_id: r.get(1)?,
                    bytes: r.get::<_, i64>(2)? as u64,
                    seq: r.get(3)?,
                });
            }
            Ok(out)
        })
    }

    /// A document in the standard Automerge binary format, loadable by any
    /// Automerge implementation.
    pub fn export_doc(&self, doc_id: &str) -> Result<Vec<u8>> {
        let id = DocId::parse(doc_id)?;
        self.read(|c| {
            let mut doc = load_doc(c, &id)?.ok_or_else(|| Error::not_found("document", doc_id))?;
            Ok(doc.save())
        })
    }

    /// Imports an Automerge document (as written by [`Store::export_doc`]
    /// or any Automerge implementation that kept our layout): merged into
    /// the stored one if it exists, then projected. Returns its id.
    pub fn import_doc(&self, bytes: &[u8]) -> Result<String> {
        let mut incoming =
            crdt::load(bytes).map_err(|e| Error::validation("document", format!("not an Automerge document: {e}")))?;
        let id = crdt::id_of(&incoming).map_err(|e| Error::validation("document", e.to_string()))?;
        crdt::read(&incoming, &id).map_err(|e| Error::validation("document", e.to_string()))?;
        self.write(|tx| {
            super::erased::refuse_erased(tx, &id)?;
            let mut doc = match load_doc(tx, &id)? {
                Some(mut d) => {
                    d.merge(&mut incoming).map_err(|e| Error::validation("document", e.to_string()))?;
                    d
                }
                None => incoming,
            };
            store_doc(tx, &id, &mut doc)?;
            Ok(id.as_str().to_string())
        })
    }

    /// The fields of a document with concurrent values after a merge, each
    /// with every value and the device that wrote it (the value that counts
    /// first): "Anna changed the quantity to 12 while you changed it to 10".
    pub fn conflicts(&self, doc_id: &str) -> Result<Vec<FieldConflict>> {
        let id = DocId::parse(doc_id)?;
        self.read(|c| {
            let doc = load_doc(c, &id)?.ok_or_else(|| Error::not_found("document", doc_id))?;
            Ok(crdt::conflicts(&doc))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;

    #[test]
    fn a_device_id_can_be_chosen_for_a_new_database_only() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("d.sqlite");
        let opts = |id: &str| StoreOptions { device_id: Some(id.into()), ..StoreOptions::default() };
        assert_eq!(Store::open(&path, opts("tablet-7"))?.device_id()?, "tablet-7");
        let s = Store::open(&path, opts("tablet-7"))?;
        let (account, _) = crate::sample::accounts(1, 3).remove(0);
        s.save_account(&account)?;
        drop(s);
        assert!(matches!(Store::open(&path, opts("tablet-8")), Err(Error::Conflict { .. })));
        assert!(matches!(Store::open(dir.path().join("x.sqlite"), opts("bad id")), Err(Error::Validation { .. })));
        Ok(())
    }
}
