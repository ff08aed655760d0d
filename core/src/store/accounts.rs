//! Field data in the store: accounts and contacts behind a repository API.
//!
//! Callers see only domain values; how they are stored (plain tables today,
//! projections of Automerge documents later) stays inside this file.

use rusqlite::{Connection, Transaction, params};
use serde::Serialize;

use super::Store;
use super::docs::{load_record, write_record};
use super::projections::{account_in, check_contact_owner, load_contacts};
use super::search::{AccountQuery, Page, check_page};
use crate::account::{Account, BuyingRole, Contact};
use crate::crdt::{AccountRecord, DocId, Record};
use crate::error::{Error, Result};
use crate::text::{fts_prefix_query, tokens};

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

/// The account document's record, or NotFound.
fn account_record(tx: &Transaction<'_>, id: &str) -> Result<AccountRecord> {
    match load_record(tx, &DocId::account(id))? {
        Some(Record::Account(a)) if !a.deleted => Ok(*a),
        _ => Err(Error::not_found("account", id)),
    }
}

/// A rep's accounts (`?1`), the one definition `account list --rep` and the
/// call list share: the accounts naming the rep as their assigned rep, and
/// those the back office assigned to the rep (on a hub's store).
pub(crate) const REP_ACCOUNTS: &str =
    "SELECT id FROM accounts WHERE assigned_rep = ?1 UNION SELECT account_id FROM hub_assignments WHERE rep = ?1";

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

    /// Imports accounts with their contacts (a CRM export, ADR 27's
    /// command line), all in one transaction: every record passes the same
    /// rules as a device's write; an existing account is updated, its
    /// contacts not in the file kept. Returns (accounts, contacts) written.
    pub fn import_accounts(&self, imports: &[crate::import::AccountImport]) -> Result<(usize, usize)> {
        self.write(|tx| {
            let mut contacts = 0;
            for a in imports {
                let mut merged = Vec::with_capacity(a.contacts.len());
                for c in &a.contacts {
                    check_contact_owner(tx, c)?;
                    let id = DocId::person(&c.id);
                    if super::erased::is_erased(tx, &id)? {
                        return Err(Error::Conflict {
                            what: "contact",
                            reason: format!("{} (line {}) was erased (ADR 24): remove it from the file", c.id, a.line),
                        });
                    }
                    merged.push(match load_record(tx, &id)? {
                        Some(Record::Person(p)) => crate::import::merge_contact(c, &p.contact),
                        _ => c.clone(),
                    });
                }
                let mut record = match load_record(tx, &DocId::account(&a.account.id))? {
                    Some(Record::Account(r)) => {
                        let mut r = *r;
                        r.account = crate::import::merge_account(&a.account, &r.account);
                        r
                    }
                    _ => AccountRecord { account: a.account.clone(), contacts: Vec::new(), deleted: false },
                };
                record.deleted = false;
                record.contacts = merged;
                contacts += a.contacts.len();
                write_record(tx, &Record::Account(Box::new(record)), "import accounts")?;
            }
            Ok((imports.len(), contacts))
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

    /// Removes one contact (a tombstone in their person document, so the
    /// removal reaches every replica; [`Store::erase_person`] forgets them).
    pub fn delete_contact(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            let mut person = match load_record(tx, &DocId::person(id))? {
                Some(Record::Person(p)) if !p.deleted => p,
                _ => return Err(Error::not_found("contact", id)),
            };
            person.deleted = true;
            write_record(tx, &Record::Person(person), "delete contact")
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
                    "SELECT {SUMMARY_COLS} FROM accounts a WHERE (?1 IS NULL OR a.id IN ({REP_ACCOUNTS}))
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
    use crate::account::{Address, MarketingConsent};
    use crate::fixtures;
    use crate::ids::new_id;
    use crate::store::tests::temp_store;
    use chrono::{DateTime, Utc};

    fn account(name: &str, city: &str, rep: &str) -> Account {
        Account {
            name: name.into(),
            legal_form: Some("GmbH".into()),
            industry: Some("Maschinenbau".into()),
            billing_address: Address { street: "Hauptstraße 1".into(), city: city.into(), ..fixtures::address() },
            vat_id: Some("DE123456789".into()),
            customer_group: Some("A".into()),
            assigned_rep: Some(rep.into()),
            ..fixtures::account(&new_id())
        }
    }

    fn contact(account: &Account, first: &str, last: &str, role: BuyingRole) -> Contact {
        Contact {
            first_name: first.into(),
            last_name: last.into(),
            role,
            title: Some("Einkaufsleitung".into()),
            email: Some("einkauf@example.de".into()),
            consent: Some(MarketingConsent {
                granted: true,
                at: DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
                    .map(|d| d.with_timezone(&Utc))
                    .unwrap_or_default(),
                source: "Messe Hannover".into(),
            }),
            ..fixtures::contact(&new_id(), &account.id)
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
