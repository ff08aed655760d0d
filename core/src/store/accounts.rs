//! Field data in the store: accounts and contacts behind a repository API.
//!
//! Callers see only domain values; how they are stored (plain tables today,
//! projections of Automerge documents later) stays inside this file.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::Store;
use super::docs::{load_record, write_record};
use super::search::{AccountQuery, Page, check_page};
use crate::account::{Account, Address, BuyingRole, Contact, MarketingConsent};
use crate::docs::{AccountRecord, DocId, Record};
use crate::error::{Error, Result};
use crate::text::{fold, fts_prefix_query, tokens};

/// An account as listed or found by search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AccountSummary {
    /// Account id.
    pub id: String,
    /// Company name.
    pub name: String,
    /// Legal form.
    pub legal_form: Option<String>,
    /// Billing city.
    pub city: String,
    /// Customer group.
    pub customer_group: Option<String>,
    /// Assigned rep.
    pub assigned_rep: Option<String>,
    /// Number of contacts.
    pub contact_count: u32,
    /// Contacts whose name or title matched the search words (empty for lists).
    pub matching_contacts: Vec<ContactMatch>,
}

/// A contact that matched an account search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContactMatch {
    /// Contact id.
    pub id: String,
    /// "First Last".
    pub name: String,
    /// Role in the buying center.
    pub role: BuyingRole,
}

pub(super) const ACCOUNT_COLS: &str = "id, name, legal_form, employees, industry, billing_street, billing_postal_code, \
    billing_city, billing_country, shipping_street, shipping_postal_code, shipping_city, shipping_country, \
    vat_id, customer_group, assigned_rep, attributes";

pub(super) const CONTACT_COLS: &str = "id, account_id, first_name, last_name, role, title, email, phone, \
    consent_granted, consent_at, consent_source";

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
    })
}

fn load_contacts(c: &Connection, account_id: &str) -> Result<Vec<Contact>> {
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
fn reindex(tx: &Transaction<'_>, account_id: &str) -> Result<()> {
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

fn upsert_account(tx: &Transaction<'_>, a: &Account, now: &str) -> Result<()> {
    let ship = a.shipping_address.as_ref();
    tx.prepare_cached(&format!(
        "INSERT INTO accounts ({ACCOUNT_COLS}, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, legal_form = excluded.legal_form,
           employees = excluded.employees, industry = excluded.industry,
           billing_street = excluded.billing_street, billing_postal_code = excluded.billing_postal_code,
           billing_city = excluded.billing_city, billing_country = excluded.billing_country,
           shipping_street = excluded.shipping_street, shipping_postal_code = excluded.shipping_postal_code,
           shipping_city = excluded.shipping_city, shipping_country = excluded.shipping_country,
           vat_id = excluded.vat_id, customer_group = excluded.customer_group,
           assigned_rep = excluded.assigned_rep, attributes = excluded.attributes,
           updated_at = excluded.updated_at"
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
        now
    ])?;
    Ok(())
}

/// A contact cannot move to another account.
fn check_contact_owner(tx: &Transaction<'_>, c: &Contact) -> Result<()> {
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

fn upsert_contact(tx: &Transaction<'_>, c: &Contact, now: &str) -> Result<()> {
    let consent = c.consent.as_ref();
    tx.prepare_cached(&format!(
        "INSERT INTO contacts ({CONTACT_COLS}, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
           role = excluded.role, title = excluded.title, email = excluded.email, phone = excluded.phone,
           consent_granted = excluded.consent_granted, consent_at = excluded.consent_at,
           consent_source = excluded.consent_source, updated_at = excluded.updated_at"
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
        now
    ])?;
    Ok(())
}

fn summaries(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<AccountSummary>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok(AccountSummary {
            id: r.get(0)?,
            name: r.get(1)?,
            legal_form: r.get(2)?,
            city: r.get(3)?,
            customer_group: r.get(4)?,
            assigned_rep: r.get(5)?,
            contact_count: r.get(6)?,
            matching_contacts: Vec::new(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const SUMMARY_COLS: &str = "a.id, a.name, a.legal_form, a.billing_city, a.customer_group, a.assigned_rep, \
    (SELECT count(*) FROM contacts c WHERE c.account_id = a.id)";

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
/// contacts (those no longer in the document are removed) and its search row.
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
    let keep: Vec<&str> = r.contacts.iter().map(|c| c.id.as_str()).collect();
    let existing: Vec<String> = tx
        .prepare_cached("SELECT id FROM contacts WHERE account_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for gone in existing.iter().filter(|e| !keep.contains(&e.as_str())) {
        tx.prepare_cached("DELETE FROM contacts WHERE id = ?1")?.execute([gone])?;
    }
    for c in &r.contacts {
        upsert_contact(tx, c, &now)?;
    }
    reindex(tx, id)
}

/// The account document's record, or NotFound.
fn account_record(tx: &Transaction<'_>, id: &str) -> Result<AccountRecord> {
    match load_record(tx, &DocId::account(id))? {
        Some(Record::Account(a)) if !a.deleted => Ok(*a),
        _ => Err(Error::not_found("account", id)),
    }
}

impl Store {
    /// Creates or replaces an account (matched by id).
    pub fn save_account(&self, account: &Account) -> Result<()> {
        self.save_account_with_contacts(account, &[])
    }

    /// Creates or replaces an account and creates or replaces the given
    /// contacts, in one transaction (one document change). Contacts not
    /// listed are kept.
    pub fn save_account_with_contacts(&self, account: &Account, contacts: &[Contact]) -> Result<()> {
        account.validate()?;
        for c in contacts {
            c.validate()?;
            if c.account_id != account.id {
                return Err(Error::validation("contact", "account_id differs from the account saved with it"));
            }
        }
        self.write(|tx| {
            for c in contacts {
                check_contact_owner(tx, c)?;
            }
            let mut record = match load_record(tx, &DocId::account(&account.id))? {
                Some(Record::Account(a)) => *a,
                _ => AccountRecord { account: account.clone(), contacts: Vec::new(), deleted: false },
            };
            record.account = account.clone();
            record.deleted = false;
            for c in contacts {
                match record.contacts.iter_mut().find(|x| x.id == c.id) {
                    Some(x) => *x = c.clone(),
                    None => record.contacts.push(c.clone()),
                }
            }
            write_record(tx, &Record::Account(Box::new(record)), "save account")
        })
    }

    /// One account by id.
    pub fn account(&self, id: &str) -> Result<Account> {
        self.read(|c| account_in(c, id))
    }

    /// Deletes an account with its contacts (a tombstone in its document,
    /// so the delete reaches every replica).
    pub fn delete_account(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            let mut record = account_record(tx, id)?;
            record.deleted = true;
            write_record(tx, &Record::Account(Box::new(record)), "delete account")
        })
    }

    /// Creates or replaces one contact; its account must exist.
    pub fn save_contact(&self, contact: &Contact) -> Result<()> {
        contact.validate()?;
        self.write(|tx| {
            check_contact_owner(tx, contact)?;
            let mut record = account_record(tx, &contact.account_id)?;
            match record.contacts.iter_mut().find(|x| x.id == contact.id) {
                Some(x) => *x = contact.clone(),
                None => record.contacts.push(contact.clone()),
            }
            write_record(tx, &Record::Account(Box::new(record)), "save contact")
        })
    }

    /// Deletes one contact.
    pub fn delete_contact(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            let account: String = tx
                .query_row("SELECT account_id FROM contacts WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::not_found("contact", id))?;
            let mut record = account_record(tx, &account)?;
            record.contacts.retain(|c| c.id != id);
            write_record(tx, &Record::Account(Box::new(record)), "delete contact")
        })
    }

    /// The contacts of an account, by name.
    pub fn contacts(&self, account_id: &str) -> Result<Vec<Contact>> {
        self.read(|c| {
            if !c.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?.exists([account_id])? {
                return Err(Error::not_found("account", account_id));
            }
            load_contacts(c, account_id)
        })
    }

    /// Accounts by name, optionally only those assigned to `rep`.
    pub fn list_accounts(&self, rep: Option<&str>, offset: u32, limit: u32) -> Result<Page<AccountSummary>> {
        check_page(offset, limit)?;
        self.read(|c| {
            let mut items = summaries(
                c,
                &format!(
                    "SELECT {SUMMARY_COLS} FROM accounts a WHERE (?1 IS NULL OR a.assigned_rep = ?1)
                     ORDER BY a.name COLLATE NOCASE, a.id LIMIT ?2 OFFSET ?3"
                ),
                params![rep, i64::from(limit) + 1, offset],
            )?;
            let has_more = items.len() > limit as usize;
            items.truncate(limit as usize);
            Ok(Page { items, offset, has_more })
        })
    }

    /// Number of accounts.
    pub fn account_count(&self) -> Result<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM accounts", [], |r| r.get::<_, i64>(0))? as u64))
    }

    /// Searches accounts by company name, city and contact names and titles
    /// (prefix, case- and diacritic-insensitive, every word must match), ranked
    /// by BM25 (name 4, contacts 2, city 1). Each hit lists the contacts that
    /// matched a search word.
    pub fn search_accounts(&self, q: &AccountQuery) -> Result<Page<AccountSummary>> {
        check_page(q.offset, q.limit)?;
        let Some(fts) = fts_prefix_query(&q.text) else {
            return self.list_accounts(None, q.offset, q.limit);
        };
        let words = tokens(&q.text);
        self.read(|c| {
            let mut items = summaries(
                c,
                &format!(
                    "SELECT {SUMMARY_COLS} FROM account_search s JOIN accounts a ON a.rid = s.rowid
                     WHERE account_search MATCH ?1
                     ORDER BY bm25(account_search, 4.0, 1.0, 2.0), a.name COLLATE NOCASE, a.id
                     LIMIT ?2 OFFSET ?3"
                ),
                params![fts, i64::from(q.limit) + 1, q.offset],
            )?;
            let has_more = items.len() > q.limit as usize;
            items.truncate(q.limit as usize);
            for item in &mut items {
                item.matching_contacts = load_contacts(c, &item.id)?
                    .into_iter()
                    .filter(|ct| {
                        let text = tokens(&format!("{} {}", ct.full_name(), ct.title.as_deref().unwrap_or("")));
                        words.iter().any(|w| text.iter().any(|t| t.starts_with(w.as_str())))
                    })
                    .map(|ct| ContactMatch { name: ct.full_name(), id: ct.id, role: ct.role })
                    .collect();
            }
            Ok(Page { items, offset: q.offset, has_more })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::new_id;
    use crate::store::tests::temp_store;

    fn account(name: &str, city: &str, rep: &str) -> Account {
        Account {
            id: new_id(),
            name: name.into(),
            legal_form: Some("GmbH".into()),
            employees: Some(62),
            industry: Some("Maschinenbau".into()),
            billing_address: Address {
                street: "Hauptstraße 1".into(),
                postal_code: "80331".into(),
                city: city.into(),
                country: "DE".into(),
            },
            shipping_address: None,
            vat_id: Some("DE123456789".into()),
            customer_group: Some("A".into()),
            assigned_rep: Some(rep.into()),
            attributes: Default::default(),
        }
    }

    fn contact(account: &Account, first: &str, last: &str, role: BuyingRole) -> Contact {
        Contact {
            id: new_id(),
            account_id: account.id.clone(),
            first_name: first.into(),
            last_name: last.into(),
            role,
            title: Some("Einkaufsleitung".into()),
            email: Some("einkauf@example.de".into()),
            phone: None,
            consent: Some(MarketingConsent {
                granted: true,
                at: DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
                    .map(|d| d.with_timezone(&Utc))
                    .unwrap_or_default(),
                source: "Messe Hannover".into(),
            }),
        }
    }

    #[test]
    fn accounts_and_contacts_round_trip() -> Result<()> {
        let (_d, s) = temp_store();
        let mut a = account("Müller Maschinenbau", "München", "rep-1");
        a.shipping_address = Some(Address {
            street: "Lager 2".into(),
            postal_code: "85748".into(),
            city: "Garching".into(),
            country: "DE".into(),
        });
        let c = contact(&a, "Anna", "Weiß", BuyingRole::DecisionMaker);
        s.save_account_with_contacts(&a, std::slice::from_ref(&c))?;
        assert_eq!(s.account(&a.id)?, a);
        assert_eq!(s.contacts(&a.id)?, vec![c.clone()]);

        let mut c2 = c.clone();
        c2.role = BuyingRole::BudgetHolder;
        c2.consent = None;
        s.save_contact(&c2)?;
        assert_eq!(s.contacts(&a.id)?, vec![c2]);

        s.delete_contact(&c.id)?;
        assert!(s.contacts(&a.id)?.is_empty());
        s.delete_account(&a.id)?;
        assert!(matches!(s.account(&a.id), Err(Error::NotFound { .. })));
        assert!(matches!(s.contacts(&a.id), Err(Error::NotFound { .. })));
        Ok(())
    }

    #[test]
    fn contacts_need_their_account_and_valid_data() {
        let (_d, s) = temp_store();
        let a = account("Ohne", "Köln", "rep-1");
        let c = contact(&a, "Otto", "Normal", BuyingRole::User);
        assert!(matches!(s.save_contact(&c), Err(Error::NotFound { entity: "account", .. })));
        let mut bad = c.clone();
        bad.email = Some("kaputt".into());
        assert!(matches!(s.save_account_with_contacts(&a, &[bad]), Err(Error::Validation { .. })));
        assert!(matches!(s.account(&a.id), Err(Error::NotFound { .. })), "nothing written");
    }

    #[test]
    fn search_by_name_city_and_contact() -> Result<()> {
        let (_d, s) = temp_store();
        let a = account("Müller Maschinenbau", "München", "rep-1");
        let b = account("Schmidt Metallbau", "Düsseldorf", "rep-2");
        let c = account("Weißgerber Elektrotechnik", "Köln", "rep-1");
        s.save_account_with_contacts(&a, &[contact(&a, "Anna", "Weiß", BuyingRole::DecisionMaker)])?;
        s.save_account_with_contacts(&b, &[contact(&b, "Jürgen", "Groß", BuyingRole::Influencer)])?;
        s.save_account(&c)?;
        let names = |q: &str| -> Vec<String> {
            s.search_accounts(&AccountQuery::new(q))
                .map(|p| p.items.into_iter().map(|i| i.name).collect())
                .unwrap_or_default()
        };
        assert_eq!(names("mull"), vec!["Müller Maschinenbau"]);
        assert_eq!(names("munchen"), vec!["Müller Maschinenbau"]);
        assert_eq!(names("dussel"), vec!["Schmidt Metallbau"]);
        assert_eq!(names("juergen").len(), 0, "no ue transliteration, documented");
        assert_eq!(names("jurg gross"), vec!["Schmidt Metallbau"]);
        // "weiss" is a contact at Müller and the start of a company name; the name weighs more.
        assert_eq!(names("weiss"), vec!["Weißgerber Elektrotechnik", "Müller Maschinenbau"]);
        let hit = s.search_accounts(&AccountQuery::new("anna"))?;
        assert_eq!(hit.items[0].matching_contacts.len(), 1);
        assert_eq!(hit.items[0].matching_contacts[0].name, "Anna Weiß");
        assert_eq!(hit.items[0].contact_count, 1);

        // Renaming re-indexes.
        let mut a2 = a.clone();
        a2.name = "Huber Anlagenbau".into();
        s.save_account(&a2)?;
        assert!(names("mull").is_empty());
        assert_eq!(names("huber"), vec!["Huber Anlagenbau"]);

        let mine = s.list_accounts(Some("rep-1"), 0, 10)?;
        assert_eq!(
            mine.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            vec!["Huber Anlagenbau", "Weißgerber Elektrotechnik"]
        );
        assert_eq!(s.account_count()?, 3);
        Ok(())
    }
}
