//! The projection rows of field documents: accounts and contacts (with
//! their search rows), activities, quotes and orders, rewritten from a
//! document's record in the transaction that stores it, and read back.
//! Below the documents (`docs.rs`), which call it; it reads no document.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::codec::{dec_key, json, to_json};
use crate::account::{Account, Address, BuyingRole, Contact, MarketingConsent, Salutation};
use crate::activity::Activity;
use crate::crdt::{AccountRecord, ActivitiesRecord, DocId, PersonRecord};
use crate::error::{Error, Result};
use crate::quote::{DiscountRequest, Order, Quote};
use crate::text::fold;

pub(super) const ACCOUNT_COLS: &str = "id, name, legal_form, employees, industry, billing_street, billing_postal_code, \
    billing_city, billing_country, shipping_street, shipping_postal_code, shipping_city, shipping_country, \
    vat_id, customer_group, assigned_rep, attributes, vat_confirmation";

pub(super) const CONTACT_COLS: &str = "id, account_id, first_name, last_name, role, title, email, phone, \
    consent_granted, consent_at, consent_source, salutation";

pub(super) fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let shipping = match (r.get::<_, Option<String>>(9)?, r.get(10)?, r.get(11)?, r.get(12)?) {
        (Some(street), Some(postal_code), Some(city), Some(country)) => {
            Some(Address { street, postal_code, city, country })
        }
        _ => None,
    };
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        legal_form: r.get(2)?,
        employees: r.get(3)?,
        industry: r.get(4)?,
        billing_address: Address { street: r.get(5)?, postal_code: r.get(6)?, city: r.get(7)?, country: r.get(8)? },
        shipping_address: shipping,
        vat_id: r.get(13)?,
        customer_group: r.get(14)?,
        assigned_rep: r.get(15)?,
        attributes: {
            let text: String = r.get(16)?;
            serde_json::from_str(&text)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(16, rusqlite::types::Type::Text, Box::new(e)))?
        },
        vat_confirmation: match r.get::<_, Option<String>>(17)? {
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Text, Box::new(e))
            })?),
            None => None,
        },
    })
}

pub(super) fn contact_from_row(r: &rusqlite::Row<'_>) -> Result<Contact> {
    let role: String = r.get(4)?;
    let consent = match (r.get::<_, Option<bool>>(8)?, r.get::<_, Option<String>>(9)?) {
        (Some(granted), Some(at)) => Some(MarketingConsent {
            granted,
            at: DateTime::parse_from_rfc3339(&at)
                .map_err(|e| Error::Corrupt { what: "consent time", reason: e.to_string() })?
                .with_timezone(&Utc),
            source: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Contact {
        id: r.get(0)?,
        account_id: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        role: BuyingRole::parse(&role).map_err(|_| Error::Corrupt { what: "contact role", reason: role })?,
        title: r.get(5)?,
        email: r.get(6)?,
        phone: r.get(7)?,
        consent,
        salutation: match r.get::<_, Option<String>>(11)? {
            Some(s) => Some(Salutation::parse(&s).ok_or(Error::Corrupt { what: "contact salutation", reason: s })?),
            None => None,
        },
    })
}

pub(super) fn load_contacts(c: &Connection, account_id: &str) -> Result<Vec<Contact>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {CONTACT_COLS} FROM contacts WHERE account_id = ?1 ORDER BY last_name, first_name, id"
    ))?;
    let mut rows = stmt.query([account_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(contact_from_row(r)?);
    }
    Ok(out)
}

/// Rewrites the search row of one account from its current data.
pub(super) fn reindex(tx: &Transaction<'_>, account_id: &str) -> Result<()> {
    let row: Option<(i64, String, String, Option<String>)> = tx
        .prepare_cached("SELECT rid, name, billing_city, shipping_city FROM accounts WHERE id = ?1")?
        .query_row([account_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((rid, name, city, ship_city)) = row else { return Ok(()) };
    let people: Vec<String> = load_contacts(tx, account_id)?
        .iter()
        .map(|c| format!("{} {}", c.full_name(), c.title.as_deref().unwrap_or("")))
        .collect();
    tx.prepare_cached("DELETE FROM account_search WHERE rowid = ?1")?.execute([rid])?;
    tx.prepare_cached("INSERT INTO account_search (rowid, name, city, contacts) VALUES (?1, ?2, ?3, ?4)")?.execute(
        params![rid, fold(&name), fold(&format!("{city} {}", ship_city.unwrap_or_default())), fold(&people.join(" "))],
    )?;
    Ok(())
}

pub(super) fn upsert_account(tx: &Transaction<'_>, a: &Account, now: &str) -> Result<()> {
    let ship = a.shipping_address.as_ref();
    tx.prepare_cached(&format!(
        "INSERT INTO accounts ({ACCOUNT_COLS}, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, legal_form = excluded.legal_form,
           employees = excluded.employees, industry = excluded.industry,
           billing_street = excluded.billing_street, billing_postal_code = excluded.billing_postal_code,
           billing_city = excluded.billing_city, billing_country = excluded.billing_country,
           shipping_street = excluded.shipping_street, shipping_postal_code = excluded.shipping_postal_code,
           shipping_city = excluded.shipping_city, shipping_country = excluded.shipping_country,
           vat_id = excluded.vat_id, customer_group = excluded.customer_group,
           assigned_rep = excluded.assigned_rep, attributes = excluded.attributes,
           vat_confirmation = excluded.vat_confirmation, updated_at = excluded.updated_at"
    ))?
    .execute(params![
        a.id,
        a.name,
        a.legal_form,
        a.employees,
        a.industry,
        a.billing_address.street,
        a.billing_address.postal_code,
        a.billing_address.city,
        a.billing_address.country,
        ship.map(|s| &s.street),
        ship.map(|s| &s.postal_code),
        ship.map(|s| &s.city),
        ship.map(|s| &s.country),
        a.vat_id,
        a.customer_group,
        a.assigned_rep,
        serde_json::to_string(&a.attributes.iter().collect::<std::collections::BTreeMap<_, _>>())
            .map_err(|e| Error::validation("attributes", e.to_string()))?,
        a.vat_confirmation
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::validation("VAT confirmation", e.to_string()))?,
        now
    ])?;
    Ok(())
}

/// A contact cannot move to another account.
pub(super) fn check_contact_owner(tx: &Transaction<'_>, c: &Contact) -> Result<()> {
    let owner: Option<String> = tx
        .prepare_cached("SELECT account_id FROM contacts WHERE id = ?1")?
        .query_row([&c.id], |r| r.get(0))
        .optional()?;
    if owner.is_some_and(|o| o != c.account_id) {
        return Err(Error::Conflict {
            what: "contact",
            reason: "it belongs to another account; contacts cannot move".into(),
        });
    }
    Ok(())
}

pub(super) fn upsert_contact(tx: &Transaction<'_>, c: &Contact, now: &str) -> Result<()> {
    let consent = c.consent.as_ref();
    tx.prepare_cached(&format!(
        "INSERT INTO contacts ({CONTACT_COLS}, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
           role = excluded.role, title = excluded.title, email = excluded.email, phone = excluded.phone,
           consent_granted = excluded.consent_granted, consent_at = excluded.consent_at,
           consent_source = excluded.consent_source, salutation = excluded.salutation, updated_at = excluded.updated_at"
    ))?
    .execute(params![
        c.id,
        c.account_id,
        c.first_name,
        c.last_name,
        c.role.as_str(),
        c.title,
        c.email,
        c.phone,
        consent.map(|m| m.granted),
        consent.map(|m| m.at.to_rfc3339()),
        consent.map(|m| &m.source),
        c.salutation.map(Salutation::as_str),
        now
    ])?;
    Ok(())
}

/// One account row (the projection).
pub(super) fn account_in(c: &Connection, id: &str) -> Result<Account> {
    c.prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ?1"))?
        .query_row([id], account_from_row)
        .optional()?
        .ok_or_else(|| Error::not_found("account", id))
}

/// The contacts of an account (the projection).
pub(super) fn contacts_in(c: &Connection, account_id: &str) -> Result<Vec<Contact>> {
    load_contacts(c, account_id)
}

/// Rewrites the projection rows of one account document: the account, its
/// contacts (from their person documents, ADR 24; those of a document
/// written before schema 12 from the account's own map) and its search row.
pub(super) fn project_account(tx: &Transaction<'_>, r: &AccountRecord) -> Result<()> {
    let id = &r.account.id;
    if r.deleted {
        let rid: Option<i64> =
            tx.prepare_cached("SELECT rid FROM accounts WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?;
        if let Some(rid) = rid {
            tx.prepare_cached("DELETE FROM account_search WHERE rowid = ?1")?.execute([rid])?;
            tx.prepare_cached("DELETE FROM accounts WHERE rid = ?1")?.execute([rid])?;
        }
        return Ok(());
    }
    let now = Utc::now().to_rfc3339();
    upsert_account(tx, &r.account, &now)?;
    for c in &r.contacts {
        upsert_contact(tx, c, &now)?;
    }
    reindex(tx, id)
}

/// Person documents of an account whose contact has no row (they arrived
/// before their account, or outlived its deletion and restore): the
/// documents layer projects them once the account is there.
pub(super) fn unprojected_people(tx: &Transaction<'_>, account_id: &str) -> Result<Vec<DocId>> {
    let ids: Vec<String> = tx
        .prepare_cached(
            "SELECT d.doc_id FROM documents d WHERE d.kind = 'person' AND d.account_id = ?1
               AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = substr(d.doc_id, 8))",
        )?
        .query_map([account_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.iter().map(|id| Ok(DocId::parse(id)?)).collect()
}

/// Rewrites the projection rows of one person document: its contact (when
/// its account is here and it is not removed), the activities in it, and
/// the account's search row.
pub(super) fn project_person(tx: &Transaction<'_>, id: &DocId, p: &PersonRecord) -> Result<()> {
    let account = &p.contact.account_id;
    let here: bool = tx.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?.exists([account])?;
    if p.deleted || !here {
        tx.prepare_cached("DELETE FROM contacts WHERE id = ?1")?.execute([&p.contact.id])?;
    } else {
        upsert_contact(tx, &p.contact, &Utc::now().to_rfc3339())?;
    }
    write_activity_rows(tx, id, &p.activities)?;
    reindex(tx, account)
}

/// Rewrites the activity rows of one activities document.
pub(super) fn project_activities(tx: &Transaction<'_>, id: &DocId, a: &ActivitiesRecord) -> Result<()> {
    write_activity_rows(tx, id, &a.activities)
}

/// Replaces the activity rows that came from document `id`.
fn write_activity_rows(tx: &Transaction<'_>, id: &DocId, activities: &[Activity]) -> Result<()> {
    tx.prepare_cached("DELETE FROM activities WHERE doc_id = ?1")?.execute([id.as_str()])?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO activities (id, doc_id, account_id, contact_id, kind, at, by, subject, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET doc_id = excluded.doc_id, account_id = excluded.account_id,
           contact_id = excluded.contact_id, kind = excluded.kind, at = excluded.at, by = excluded.by,
           subject = excluded.subject, notes = excluded.notes",
    )?;
    for x in activities {
        ins.execute(params![
            x.id,
            id.as_str(),
            x.account_id,
            x.contact_id,
            x.kind.as_str(),
            x.at.to_rfc3339(),
            x.by,
            x.subject,
            x.notes
        ])?;
    }
    Ok(())
}

/// The JSON `body` of one projection row of `table` (`quotes`, `orders`).
pub(super) fn body_in<T: serde::de::DeserializeOwned>(c: &Connection, table: &'static str, id: &str) -> Result<T> {
    let (entity, what) = if table == "quotes" { ("quote", "quote body") } else { ("order", "order body") };
    let body: String = c
        .prepare_cached(&format!("SELECT body FROM {table} WHERE id = ?1"))?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found(entity, id))?;
    json(what, &body)
}

/// One quote from its projection row.
pub(super) fn quote_in(c: &Connection, id: &str) -> Result<Quote> {
    body_in(c, "quotes", id)
}

/// One order from its projection row.
pub(super) fn order_in(c: &Connection, id: &str) -> Result<Order> {
    body_in(c, "orders", id)
}

/// Rewrites a quote's projection row (totals recomputed from its lines;
/// `discount`: the request from the quote's discount document).
pub(super) fn project_quote(tx: &Transaction<'_>, q: &Quote, discount: Option<&DiscountRequest>) -> Result<()> {
    let composed;
    let mut q = q;
    if let Some(request) = discount {
        let mut with = q.clone();
        with.discount_request = Some(request.clone());
        composed = with;
        q = &composed;
    }
    let totals = q.totals()?;
    let policy = super::reference::load_policy(tx)?;
    let max_pct = policy.check(q, &|_| None).max_effective_pct;
    tx.prepare_cached(
        "INSERT INTO quotes (id, number, account_id, rep, state, revision, revision_hash, valid_until, currency,
                             gross_total, max_discount_pct, updated_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET number = excluded.number, account_id = excluded.account_id,
           rep = excluded.rep, currency = excluded.currency, state = excluded.state, revision = excluded.revision,
           revision_hash = excluded.revision_hash, valid_until = excluded.valid_until,
           gross_total = excluded.gross_total, max_discount_pct = excluded.max_discount_pct,
           updated_at = excluded.updated_at, body = excluded.body",
    )?
    .execute(params![
        q.id,
        q.number,
        q.account_id,
        q.rep,
        q.state.as_str(),
        q.revision,
        q.revision_hash,
        q.valid_until.to_string(),
        q.currency.code(),
        dec_key(totals.gross_total),
        dec_key(max_pct),
        Utc::now().to_rfc3339(),
        to_json("quote body", q)?
    ])?;
    Ok(())
}

/// Writes an order's projection row.
pub(super) fn project_order(tx: &Transaction<'_>, o: &Order) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO orders (id, account_id, quote_id, reorder_of, created_at, gross_total, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, quote_id = excluded.quote_id,
           reorder_of = excluded.reorder_of, created_at = excluded.created_at,
           gross_total = excluded.gross_total, body = excluded.body",
    )?
    .execute(params![
        o.id,
        o.account_id,
        o.quote_id,
        o.reorder_of,
        o.created_at.to_rfc3339(),
        dec_key(o.gross_total),
        to_json("order body", o)?
    ])?;
    Ok(())
}

/// An attachment's row (the hub decides from it who may fetch the blob).
pub(super) fn project_attachment(tx: &Transaction<'_>, a: &crate::blob::Attachment) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO attachments (id, account_id, parent_kind, parent_id, hash, name, media_type, size,
           for_customer, added_by, added_at, deleted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, parent_kind = excluded.parent_kind,
           parent_id = excluded.parent_id, hash = excluded.hash, name = excluded.name,
           media_type = excluded.media_type, size = excluded.size, for_customer = excluded.for_customer,
           added_by = excluded.added_by, added_at = excluded.added_at, deleted = excluded.deleted",
    )?
    .execute(rusqlite::params![
        a.id,
        a.account_id,
        a.parent.kind(),
        a.parent.id(),
        a.file.hash,
        a.file.name,
        a.file.media_type,
        a.file.size as i64,
        a.for_customer,
        a.added_by,
        a.added_at.to_rfc3339(),
        a.deleted,
    ])?;
    Ok(())
}
