//! Field data as Automerge documents: one document per aggregate.
//!
//! | document id | holds |
//! |---|---|
//! | `account/<id>` | the account and a deleted flag (its `contacts` map is empty since schema 12: contacts live in their own documents) |
//! | `person/<contact id>` | one contact's personal data and the activities that involve them, a deleted flag (ADR 24: erasing the person drops this document whole) |
//! | `activities/<account id>/<YYYY-MM>` | the account's activities of one month |
//! | `discount/<quote id>` | the quote's discount request and the back office's decision (reps and the back office only: it holds the rep's internal reason) |
//! | `quote/<id>` | the quote with its lines, revision and approval |
//! | `order/<id>` | an order or reorder |
//! | `attachment/<id>` | one file attached to a quote or an activity, naming its blob by hash (ADR 29) |
//!
//! Granularity and the numbers behind it: ADR 9. Every document starts from
//! the same *genesis* change (a fixed actor and time), so two devices that
//! create the same document independently (two reps logging activities for
//! one account in the same month) share its containers instead of hiding
//! each other's under a concurrent `put_object`.
//!
//! This layer maps domain values to documents and back; it knows nothing of
//! SQLite. The store keeps each document's bytes and its projection rows.

mod history;
pub(crate) mod schema;
pub(crate) mod value;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::account::{Account, Contact};
use crate::activity::Activity;
use crate::ids::check_id;
use crate::quote::{DiscountRequest, Order, Quote, QuoteState};

pub use history::{MAX_HISTORY_CHANGES, QuoteHistory, QuoteRevision, quote_revisions};
pub use value::{ConflictValue, FieldConflict};

/// Version of the document layout; readers refuse newer ones.
pub const DOC_SCHEMA: i64 = 1;

/// Largest document accepted from a peer or a file (bytes of `save()`).
pub const MAX_DOC_BYTES: usize = 8 << 20;

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// Automerge refused the bytes or the operation.
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document holds something our layout never writes.
    #[error("unexpected document content: {0}")]
    Shape(&'static str),
    /// The content does not decode into the record.
    #[error("document content does not decode: {0}")]
    Decode(String),
    /// A malformed document id.
    #[error("bad document id: {0}")]
    BadId(String),
}

/// What kind of aggregate a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// An account with its contacts.
    Account,
    /// One month of an account's activities.
    Activities,
    /// A quote's discount request and its decision.
    Discount,
    /// A quote.
    Quote,
    /// An order or reorder.
    Order,
    /// One contact's personal data and the activities involving them.
    Person,
    /// A file attached to a quote or a visit (protocol 5 and later).
    Attachment,
}

impl DocKind {
    /// The id prefix, e.g. `quote`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Account => "account",
            DocKind::Activities => "activities",
            DocKind::Discount => "discount",
            DocKind::Quote => "quote",
            DocKind::Order => "order",
            DocKind::Person => "person",
            DocKind::Attachment => "attachment",
        }
    }

    /// Documents are applied and checked in this order within a frame, so
    /// an account exists before the quotes that name it, a discount
    /// decision before the send it allows, a quote before its order.
    pub fn apply_order(self) -> u8 {
        match self {
            DocKind::Account => 0,
            DocKind::Person => 0,
            DocKind::Activities => 1,
            DocKind::Discount => 2,
            DocKind::Quote => 3,
            DocKind::Order => 4,
            DocKind::Attachment => 5,
        }
    }

    /// Every kind.
    pub const ALL: [DocKind; 7] = [
        DocKind::Account,
        DocKind::Activities,
        DocKind::Discount,
        DocKind::Quote,
        DocKind::Order,
        DocKind::Person,
        DocKind::Attachment,
    ];

    /// The first sync protocol version that carries documents of this
    /// kind: an older app cannot read them, and the hub does not send them.
    pub fn since_protocol(self) -> u8 {
        match self {
            DocKind::Attachment => 5,
            _ => 4,
        }
    }
}

/// A document's id: its kind and key, written `quote/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId {
    kind: DocKind,
    text: String,
}

impl DocId {
    /// `account/<id>`.
    pub fn account(id: &str) -> DocId {
        DocId { kind: DocKind::Account, text: format!("account/{id}") }
    }
    /// `activities/<account id>/<YYYY-MM>`.
    pub fn activities(account_id: &str, period: &str) -> DocId {
        DocId { kind: DocKind::Activities, text: format!("activities/{account_id}/{period}") }
    }
    /// `discount/<quote id>`.
    pub fn discount(quote_id: &str) -> DocId {
        DocId { kind: DocKind::Discount, text: format!("discount/{quote_id}") }
    }
    /// `quote/<id>`.
    pub fn quote(id: &str) -> DocId {
        DocId { kind: DocKind::Quote, text: format!("quote/{id}") }
    }
    /// `order/<id>`.
    pub fn order(id: &str) -> DocId {
        DocId { kind: DocKind::Order, text: format!("order/{id}") }
    }
    /// `person/<contact id>`.
    pub fn person(contact_id: &str) -> DocId {
        DocId { kind: DocKind::Person, text: format!("person/{contact_id}") }
    }
    /// `attachment/<id>`.
    pub fn attachment(id: &str) -> DocId {
        DocId { kind: DocKind::Attachment, text: format!("attachment/{id}") }
    }

    /// Parses and checks an id as written by [`DocId::as_str`].
    pub fn parse(s: &str) -> Result<DocId, DocError> {
        let bad = || DocError::BadId(s.chars().take(80).collect());
        let mut parts = s.split('/');
        let kind = parts.next().ok_or_else(bad)?;
        let key = parts.next().ok_or_else(bad)?;
        check_id("document key", key).map_err(|_| bad())?;
        let id = match (kind, parts.next()) {
            ("account", None) => DocId::account(key),
            ("quote", None) => DocId::quote(key),
            ("discount", None) => DocId::discount(key),
            ("order", None) => DocId::order(key),
            ("person", None) => DocId::person(key),
            ("attachment", None) => DocId::attachment(key),
            ("activities", Some(period)) if is_period(period) => DocId::activities(key, period),
            _ => return Err(bad()),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(id)
    }

    /// The kind.
    pub fn kind(&self) -> DocKind {
        self.kind
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The record's own id (the account id of an activities document).
    pub fn key(&self) -> &str {
        self.text.split('/').nth(1).unwrap_or_default()
    }
}

impl std::fmt::Display for DocId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_period(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(&p[5..], "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12")
}

/// An account document's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The account.
    pub account: Account,
    /// Contacts held in the account's own document: only in documents
    /// written before schema 12 (read to move them, `erasure::upgrade`);
    /// written, they go to person documents (ADR 24).
    pub contacts: Vec<Contact>,
    /// Deleted (kept as a tombstone so a delete syncs).
    pub deleted: bool,
}

/// A person document's content: one contact and the activities that
/// involve them (ADR 24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The contact (its `account_id` scopes the document).
    pub contact: Contact,
    /// Activities whose `contact_id` is this contact, by time.
    pub activities: Vec<Activity>,
    /// Removed by the back office (kept as a tombstone so the removal syncs;
    /// erasure drops the document instead).
    pub deleted: bool,
}

/// An activities document's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivitiesRecord {
    /// The account.
    pub account_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// The activities, by id.
    pub activities: Vec<Activity>,
}

/// A discount document's content: the request for one quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountRecord {
    /// The quote it is for.
    pub quote_id: String,
    /// The quote's account.
    pub account_id: String,
    /// The request and, once decided, the decision.
    pub request: DiscountRequest,
}

/// A document's content as domain values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// `account/…`
    Account(Box<AccountRecord>),
    /// `activities/…`
    Activities(ActivitiesRecord),
    /// `discount/…`
    Discount(Box<DiscountRecord>),
    /// `quote/…`
    Quote(Box<Quote>),
    /// `order/…`
    Order(Box<Order>),
    /// `person/…`
    Person(Box<PersonRecord>),
    /// `attachment/…`
    Attachment(Box<crate::blob::Attachment>),
}

impl Record {
    /// The account the record belongs to (what scopes it to devices).
    pub fn account_id(&self) -> &str {
        match self {
            Record::Account(a) => &a.account.id,
            Record::Activities(a) => &a.account_id,
            Record::Discount(d) => &d.account_id,
            Record::Quote(q) => &q.account_id,
            Record::Order(o) => &o.account_id,
            Record::Person(p) => &p.contact.account_id,
            Record::Attachment(a) => &a.account_id,
        }
    }
}

/// The actor id a device writes with: the 16 bytes of its UUID.
pub fn actor_for(device_id: &str) -> ActorId {
    match uuid::Uuid::parse_str(device_id) {
        Ok(u) => ActorId::from(u.as_bytes().to_vec()),
        Err(_) => {
            use sha2::Digest;
            ActorId::from(sha2::Sha256::digest(device_id.as_bytes())[..16].to_vec())
        }
    }
}

/// The device id behind an actor (the inverse of [`actor_for`] for UUIDs).
pub fn device_of(actor: &ActorId) -> String {
    if actor.to_bytes() == GENESIS_ACTOR {
        return "genesis".into();
    }
    match uuid::Uuid::from_slice(actor.to_bytes()) {
        Ok(u) => u.to_string(),
        Err(_) => actor.to_hex_string(),
    }
}

const GENESIS_ACTOR: &[u8] = &[0u8; 16];

fn top_key(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Account => "account",
        DocKind::Activities => "items",
        DocKind::Discount => "discount",
        DocKind::Quote => "quote",
        DocKind::Order => "order",
        DocKind::Person => "person",
        DocKind::Attachment => "attachment",
    }
}

/// A new document for `id`: the shared genesis change, then `actor` writes.
pub fn genesis(id: &DocId, actor: ActorId) -> Result<AutoCommit, DocError> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(GENESIS_ACTOR.to_vec()));
    doc.put(automerge::ROOT, "id", id.as_str())?;
    doc.put(automerge::ROOT, "kind", id.kind().as_str())?;
    doc.put(automerge::ROOT, "schema", DOC_SCHEMA)?;
    doc.put_object(automerge::ROOT, top_key(id.kind()), ObjType::Map)?;
    if id.kind() == DocKind::Account {
        doc.put_object(automerge::ROOT, "contacts", ObjType::Map)?;
        doc.put(automerge::ROOT, "deleted", false)?;
    }
    if id.kind() == DocKind::Person {
        doc.put_object(automerge::ROOT, "activities", ObjType::Map)?;
        doc.put(automerge::ROOT, "deleted", false)?;
    }
    doc.commit_with(automerge::transaction::CommitOptions::default().with_time(0).with_message(id.as_str()));
    doc.set_actor(actor);
    Ok(doc)
}

/// Loads a document's bytes (size-checked).
pub fn load(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    if bytes.len() > MAX_DOC_BYTES {
        return Err(DocError::Shape("document larger than the limit"));
    }
    Ok(AutoCommit::load(bytes)?)
}

fn map_at(doc: &AutoCommit, key: &str) -> Result<ObjId, DocError> {
    match doc.get(automerge::ROOT, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(DocError::Shape("a top-level map is missing")),
    }
}

fn to_map<T: Serialize>(v: &T) -> Result<Map<String, Json>, DocError> {
    match serde_json::to_value(v).map_err(|e| DocError::Decode(e.to_string()))? {
        Json::Object(m) => Ok(m),
        _ => Err(DocError::Shape("a record that is not an object")),
    }
}

fn from_json<T: for<'de> Deserialize<'de>>(v: Json) -> Result<T, DocError> {
    serde_json::from_value(v).map_err(|e| DocError::Decode(e.to_string()))
}

/// Writes `record` into `doc` (only what differs) without committing.
pub fn write(doc: &mut AutoCommit, record: &Record) -> Result<(), DocError> {
    match record {
        Record::Account(a) => {
            let obj = map_at(doc, "account")?;
            value::reconcile_map(doc, &obj, &to_map(&a.account)?, schema::of_account())?;
            let contacts = map_at(doc, "contacts")?;
            let mut m = Map::new();
            for c in &a.contacts {
                m.insert(c.id.clone(), serde_json::to_value(c).map_err(|e| DocError::Decode(e.to_string()))?);
            }
            value::reconcile_map(doc, &contacts, &m, schema::of_contacts())?;
            put_deleted(doc, a.deleted)?;
        }
        Record::Activities(a) => {
            let obj = map_at(doc, "items")?;
            value::reconcile_map(doc, &obj, &by_id(&a.activities, |x| &x.id)?, schema::of_activities())?;
        }
        Record::Person(p) => {
            let obj = map_at(doc, "person")?;
            value::reconcile_map(doc, &obj, &to_map(&p.contact)?, schema::of_contact())?;
            let obj = map_at(doc, "activities")?;
            value::reconcile_map(doc, &obj, &by_id(&p.activities, |x| &x.id)?, schema::of_activities())?;
            put_deleted(doc, p.deleted)?;
        }
        Record::Discount(d) => {
            let obj = map_at(doc, "discount")?;
            value::reconcile_map(doc, &obj, &to_map(d.as_ref())?, schema::of_discount())?;
        }
        Record::Quote(q) => {
            let obj = map_at(doc, "quote")?;
            let mut map = to_map(q.as_ref())?;
            // The request lives in its own document (customers receive the
            // quote, never the rep's reason).
            map.remove("discount_request");
            value::reconcile_map(doc, &obj, &map, schema::of_quote())?;
        }
        Record::Order(o) => {
            let obj = map_at(doc, "order")?;
            value::reconcile_map(doc, &obj, &to_map(o.as_ref())?, schema::of_order())?;
        }
        Record::Attachment(a) => {
            let obj = map_at(doc, "attachment")?;
            value::reconcile_map(doc, &obj, &to_map(a.as_ref())?, schema::of_attachment())?;
        }
    }
    Ok(())
}

/// A map of records by their id.
fn by_id<T: Serialize>(items: &[T], id: impl Fn(&T) -> &String) -> Result<Map<String, Json>, DocError> {
    let mut m = Map::new();
    for x in items {
        m.insert(id(x).clone(), serde_json::to_value(x).map_err(|e| DocError::Decode(e.to_string()))?);
    }
    Ok(m)
}

fn put_deleted(doc: &mut AutoCommit, deleted: bool) -> Result<(), DocError> {
    let now = matches!(doc.get(automerge::ROOT, "deleted")?, Some((Value::Scalar(s), _)) if s.as_bool() == Some(true));
    if now != deleted {
        doc.put(automerge::ROOT, "deleted", deleted)?;
    }
    Ok(())
}

/// [`write`], then every top-level field of the record that still has
/// concurrent values is written once more, so it has exactly one: after
/// this the document reads as `record` with no concurrency left for the
/// rules restored on read (a compensating change after a refusal must
/// read exactly as what the hub accepted).
pub fn write_resolved(doc: &mut AutoCommit, record: &Record) -> Result<(), DocError> {
    write(doc, record)?;
    let (key, map) = match record {
        Record::Account(a) => ("account", to_map(&a.account)?),
        Record::Activities(_) => return Ok(()),
        Record::Person(p) => ("person", to_map(&p.contact)?),
        Record::Discount(d) => ("discount", to_map(d.as_ref())?),
        Record::Quote(q) => {
            let mut m = to_map(q.as_ref())?;
            m.remove("discount_request");
            ("quote", m)
        }
        Record::Order(o) => ("order", to_map(o.as_ref())?),
        Record::Attachment(a) => ("attachment", to_map(a.as_ref())?),
    };
    let obj = map_at(doc, key)?;
    for (k, v) in &map {
        let concurrent = doc.get_all(&obj, k.as_str())?.len() > 1;
        if concurrent && !v.is_object() && !v.is_array() {
            value::put_scalar(doc, &obj, k, v)?;
        }
    }
    Ok(())
}

/// The concurrent values of one field of the quote map.
fn all_strings(doc: &AutoCommit, obj: &ObjId, key: &str) -> Vec<String> {
    doc.get_all(obj, key)
        .map(|all| {
            all.into_iter()
                .filter_map(|(v, _)| match v {
                    Value::Scalar(s) => s.as_str().map(str::to_string),
                    Value::Object(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads `doc` as the record `id` names, with the business rules restored
/// after a merge (see [`Quote::settle`]). `Ok(None)` for a document that has
/// no content yet (created by a peer's first sync message).
pub fn read(doc: &AutoCommit, id: &DocId) -> Result<Option<Record>, DocError> {
    let root = value::hydrate(doc, &automerge::ROOT)?;
    let Json::Object(mut root) = root else { return Err(DocError::Shape("root is not a map")) };
    if root.is_empty() {
        return Ok(None);
    }
    if root.get("kind").and_then(Json::as_str) != Some(id.kind().as_str())
        || root.get("id").and_then(Json::as_str) != Some(id.as_str())
    {
        return Err(DocError::Shape("its kind or id does not match the document id"));
    }
    if root.get("schema").and_then(Json::as_i64).is_none_or(|v| v > DOC_SCHEMA) {
        return Err(DocError::Shape("a newer or missing document schema"));
    }
    let mut take = |k: &str| root.remove(k).unwrap_or(Json::Null);
    let record = match id.kind() {
        DocKind::Account => {
            let account_json = take("account");
            if account_json.as_object().is_some_and(Map::is_empty) {
                return Ok(None);
            }
            let account: Account = from_json(account_json)?;
            let Json::Object(cs) = take("contacts") else { return Err(DocError::Shape("contacts is not a map")) };
            let mut contacts = Vec::with_capacity(cs.len());
            for (key, c) in cs {
                let c: Contact = from_json(c)?;
                if c.id != key || c.account_id != account.id {
                    return Err(DocError::Shape("a contact under the wrong key or account"));
                }
                contacts.push(c);
            }
            contacts.sort_by(|a, b| a.id.cmp(&b.id));
            let deleted = take("deleted").as_bool().unwrap_or(false);
            if account.id != id.key() {
                return Err(DocError::Shape("the account id differs from the document id"));
            }
            Record::Account(Box::new(AccountRecord { account, contacts, deleted }))
        }
        DocKind::Activities => {
            let Json::Object(items) = take("items") else { return Err(DocError::Shape("items is not a map")) };
            let period = id.as_str().rsplit('/').next().unwrap_or_default().to_string();
            let mut activities = Vec::with_capacity(items.len());
            for (key, a) in items {
                let a: Activity = from_json(a)?;
                if a.id != key || a.account_id != id.key() || a.period() != period {
                    return Err(DocError::Shape("an activity under the wrong key, account or month"));
                }
                activities.push(a);
            }
            activities.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
            Record::Activities(ActivitiesRecord { account_id: id.key().to_string(), period, activities })
        }
        DocKind::Person => {
            let p = take("person");
            if p.as_object().is_some_and(Map::is_empty) {
                return Ok(None);
            }
            let contact: Contact = from_json(p)?;
            if contact.id != id.key() {
                return Err(DocError::Shape("the contact id differs from the document id"));
            }
            let Json::Object(items) = take("activities") else {
                return Err(DocError::Shape("activities is not a map"));
            };
            let mut activities = Vec::with_capacity(items.len());
            for (key, a) in items {
                let a: Activity = from_json(a)?;
                if a.id != key || a.account_id != contact.account_id || a.contact_id.as_deref() != Some(id.key()) {
                    return Err(DocError::Shape("an activity under the wrong key, account or contact"));
                }
                activities.push(a);
            }
            activities.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
            let deleted = take("deleted").as_bool().unwrap_or(false);
            Record::Person(Box::new(PersonRecord { contact, activities, deleted }))
        }
        DocKind::Discount => {
            let d = take("discount");
            if d.as_object().is_some_and(Map::is_empty) {
                return Ok(None);
            }
            let discount: DiscountRecord = from_json(d)?;
            if discount.quote_id != id.key() {
                return Err(DocError::Shape("the quote id differs from the document id"));
            }
            Record::Discount(Box::new(discount))
        }
        DocKind::Quote => {
            let mut q = take("quote");
            if q.as_object().is_some_and(Map::is_empty) {
                return Ok(None);
            }
            // Written by versions before discount documents: not the
            // quote's any more (the decision that counts is in `discount/`).
            if let Some(m) = q.as_object_mut() {
                m.remove("discount_request");
            }
            let mut quote: Quote = from_json(q)?;
            if quote.id != id.key() {
                return Err(DocError::Shape("the quote id differs from the document id"));
            }
            let obj = map_at(doc, "quote")?;
            let hashes = all_strings(doc, &obj, "revision_hash");
            let states: Vec<QuoteState> = all_strings(doc, &obj, "state")
                .into_iter()
                .filter_map(|s| serde_json::from_value(Json::String(s)).ok())
                .collect();
            quote.settle(&hashes, &states);
            Record::Quote(Box::new(quote))
        }
        DocKind::Order => {
            let o = take("order");
            if o.as_object().is_some_and(Map::is_empty) {
                return Ok(None);
            }
            let mut order: Order = from_json(o)?;
            if order.id != id.key() {
                return Err(DocError::Shape("the order id differs from the document id"));
            }
            order.settle().map_err(|e| DocError::Decode(e.to_string()))?;
            Record::Order(Box::new(order))
        }
        DocKind::Attachment => {
            let a = take("attachment");
            if a.as_object().is_some_and(Map::is_empty) {
                return Ok(None);
            }
            let attachment: crate::blob::Attachment = from_json(a)?;
            if attachment.id != id.key() {
                return Err(DocError::Shape("the attachment id differs from the document id"));
            }
            Record::Attachment(Box::new(attachment))
        }
    };
    Ok(Some(record))
}

/// The id a document names itself with (its root `id` field).
pub fn id_of(doc: &AutoCommit) -> Result<DocId, DocError> {
    match doc.get(automerge::ROOT, "id")? {
        Some((Value::Scalar(s), _)) => DocId::parse(s.as_str().unwrap_or_default()),
        _ => Err(DocError::Shape("the document has no id")),
    }
}

/// Every field of the document with concurrent values, paths relative to
/// the record (`lines/0/qty`, `contacts/<id>/phone`).
pub fn conflicts(doc: &AutoCommit) -> Vec<FieldConflict> {
    let mut all = value::conflicts(doc, &device_of);
    for c in &mut all {
        for prefix in ["quote/", "order/", "account/", "items/", "discount/"] {
            if let Some(rest) = c.path.strip_prefix(prefix) {
                c.path = rest.to_string();
                break;
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_refuse_garbage() {
        for ok in ["account/a-1", "quote/0f0e", "order/x_y", "activities/acc-1/2026-11", "discount/0f0e"] {
            assert_eq!(DocId::parse(ok).map(|d| d.as_str().to_string()).ok().as_deref(), Some(ok));
        }
        for bad in [
            "",
            "account",
            "account/",
            "quote/a/b",
            "activities/a",
            "activities/a/2026-13",
            "activities/a/26-11",
            "invoice/1",
            "account/a b",
            "account/../x",
        ] {
            assert!(DocId::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(DocId::activities("a", "2026-11").key(), "a");
    }

    #[test]
    fn two_devices_creating_the_same_document_share_its_containers() -> Result<(), DocError> {
        let id = DocId::activities("acc", "2026-11");
        let mut a = genesis(&id, actor_for("11111111-1111-1111-1111-111111111111"))?;
        let mut b = genesis(&id, actor_for("22222222-2222-2222-2222-222222222222"))?;
        assert_eq!(a.get_heads(), b.get_heads(), "identical genesis");
        let items_a = map_at(&a, "items")?;
        a.put(&items_a, "x", 1)?;
        let items_b = map_at(&b, "items")?;
        b.put(&items_b, "y", 2)?;
        a.merge(&mut b)?;
        let items = map_at(&a, "items")?;
        assert_eq!(a.keys(&items).collect::<Vec<_>>(), vec!["x", "y"], "neither device's items hidden");
        Ok(())
    }

    #[test]
    fn actors_map_back_to_device_ids() {
        let d = "5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a";
        assert_eq!(device_of(&actor_for(d)), d);
    }
}
