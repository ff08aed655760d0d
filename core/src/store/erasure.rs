//! Forgetting a person (GDPR Art. 17) and telling them what is held
//! (Art. 15), ADR 24.
//!
//! A contact's personal data and the activities that involve them live in
//! one document, `person/<contact id>`. Erasing the person removes that
//! document with everything derived from it (projection rows, sync states
//! with their queued changes, refusals kept for the user) and keeps only its
//! id in `erased_docs`: the hub refuses the id from then on and announces
//! it to devices, which remove their copy the same way. The writer runs with
//! `secure_delete`, so freed pages are zeroed; after the erasure commits,
//! the account search index is merged and the WAL checkpointed and
//! truncated, so the bytes are gone from the file and its WAL.

use rusqlite::{Connection, Transaction, params};

use super::Store;
use super::docs::{load_record, next_seq, write_unchecked};
use super::erased::is_erased;
use crate::account::Contact;
use crate::crdt::{DocId, DocKind, Record};
use crate::erasure::{ErasureReport, PersonExport, QuoteMention, already_erased, export, mentions, report};
use crate::error::{Error, Result};

/// What [`forget`] removed.
#[derive(Debug, Default)]
pub(crate) struct Forgotten {
    pub activities: u64,
    pub sync_states: u64,
}

/// Removes a document and everything derived from it, and records its id
/// as erased (announced at the next sequence number). Idempotent.
pub(crate) fn forget(tx: &Transaction<'_>, id: &DocId, account_id: &str) -> Result<Forgotten> {
    let key = id.key().to_string();
    let activities = tx.prepare_cached("DELETE FROM activities WHERE doc_id = ?1")?.execute([id.as_str()])? as u64;
    if id.kind() == DocKind::Person {
        tx.prepare_cached("DELETE FROM contacts WHERE id = ?1")?.execute([&key])?;
    }
    let sync_states = tx.prepare_cached("DELETE FROM sync_docs WHERE doc_id = ?1")?.execute([id.as_str()])? as u64;
    tx.prepare_cached("DELETE FROM sync_held WHERE doc_id = ?1")?.execute([id.as_str()])?;
    tx.prepare_cached("DELETE FROM sync_refusals WHERE doc_id = ?1")?.execute([id.as_str()])?;
    tx.prepare_cached("DELETE FROM documents WHERE doc_id = ?1")?.execute([id.as_str()])?;
    if !is_erased(tx, id)? {
        let seq = next_seq(tx)?;
        tx.prepare_cached(
            "INSERT INTO erased_docs (doc_id, kind, account_id, seq, erased_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            id.as_str(),
            id.kind().as_str(),
            account_id,
            seq,
            chrono::Utc::now().to_rfc3339()
        ])?;
    }
    super::projections::reindex(tx, account_id)?;
    Ok(Forgotten { activities, sync_states })
}

/// Moves the contacts of account documents written before version 12 into
/// person documents (`Store::open`, once, in the open that crosses it).
pub(super) fn upgrade(tx: &Transaction<'_>) -> Result<usize> {
    let ids: Vec<String> = tx
        .prepare("SELECT doc_id FROM documents WHERE kind = 'account' ORDER BY doc_id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut moved = 0;
    for id in ids {
        if let Some(Record::Account(a)) = load_record(tx, &DocId::parse(&id)?)?
            && !a.contacts.is_empty()
        {
            moved += a.contacts.len();
            write_unchecked(tx, &Record::Account(a), "contacts move to person documents")?;
        }
    }
    Ok(moved)
}

/// Quotes of the person's account that name them.
fn quote_mentions(c: &Connection, contact: &Contact) -> Result<Vec<QuoteMention>> {
    let mut stmt = c.prepare_cached("SELECT body FROM quotes WHERE account_id = ?1 ORDER BY number, id")?;
    let mut rows = stmt.query([&contact.account_id])?;
    let mut quotes = Vec::new();
    while let Some(r) = rows.next()? {
        quotes.push(super::codec::json::<crate::quote::Quote>("quote body", &r.get::<_, String>(0)?)?);
    }
    Ok(mentions(contact, &quotes))
}

fn person(c: &Connection, contact_id: &str) -> Result<Option<crate::crdt::PersonRecord>> {
    crate::ids::check_id("contact id", contact_id)?;
    match load_record(c, &DocId::person(contact_id))? {
        Some(Record::Person(p)) => Ok(Some(*p)),
        _ => Ok(None),
    }
}

impl Store {
    /// Every datum this database holds on a person (Art. 15).
    pub fn export_person(&self, contact_id: &str) -> Result<PersonExport> {
        self.read(|c| {
            let Some(p) = person(c, contact_id)? else {
                return Err(if is_erased(c, &DocId::person(contact_id))? {
                    Error::Conflict { what: "person", reason: "erased: nothing is held on them any more".into() }
                } else {
                    Error::not_found("contact", contact_id)
                });
            };
            let quotes = quote_mentions(c, &p.contact)?;
            Ok(export(p, quotes))
        })
    }

    /// Erases a person (Art. 17): their document goes with every projection
    /// row, sync state and queued change derived from it; the id is refused
    /// from now on and devices delete their copy at their next sync. Quotes
    /// keep their company data (the contact reference points to no one);
    /// signed approvals are kept as the law requires
    /// ([`crate::erasure::Retained`]). Then
    /// the file is scrubbed ([`Store::scrub`]). Erasing again reports
    /// `already_erased`.
    pub fn erase_person(&self, contact_id: &str) -> Result<ErasureReport> {
        let report = self.write(|tx| {
            let id = DocId::person(contact_id);
            let Some(p) = person(tx, contact_id)? else {
                let account: Option<String> = tx
                    .prepare_cached("SELECT account_id FROM erased_docs WHERE doc_id = ?1")?
                    .query_row([id.as_str()], |r| r.get(0))
                    .ok();
                let Some(account_id) = account else { return Err(Error::not_found("contact", contact_id)) };
                return Ok(already_erased(contact_id, &account_id));
            };
            let quotes = quote_mentions(tx, &p.contact)?;
            let gone = forget(tx, &id, &p.contact.account_id)?;
            Ok(report(&p, &quotes, gone.activities, gone.sync_states))
        })?;
        if !report.already_erased {
            self.scrub()?;
        }
        Ok(report)
    }

    /// Makes removed data unrecoverable from the files: merges the account
    /// search index (its segments keep deleted terms until merged), then
    /// checkpoints the WAL into the database and truncates it. Freed pages
    /// are zeroed as they are freed (`secure_delete`).
    pub fn scrub(&self) -> Result<()> {
        self.scrub_unleased()
    }

    /// [`Store::scrub`] even when the store is open only to sync (an
    /// erasure arriving with the sync that renews the lease).
    pub(crate) fn scrub_unleased(&self) -> Result<()> {
        self.write_unleased(|tx| {
            tx.execute("INSERT INTO account_search (account_search) VALUES ('optimize')", [])?;
            Ok(())
        })?;
        self.checkpoint_truncate()
    }
}

#[cfg(test)]
mod tests;
