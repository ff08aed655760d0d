//! Activities in the store: written into the account's document of that
//! month (`activities/<account>/<YYYY-MM>`), or, when they involve a
//! contact, into the contact's person document; read from the projection.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use super::Store;
use super::docs::{load_record, write_record};
use crate::activity::{Activity, ActivityKind};
use crate::crdt::{ActivitiesRecord, DocId, DocKind, Record};
use crate::error::{Error, Result};

fn kind_of(s: &str) -> Result<ActivityKind> {
    ActivityKind::parse(s).ok_or_else(|| Error::Corrupt { what: "activity kind", reason: s.to_string() })
}

/// The document an activity lives in: with a contact, the contact's
/// person document (erased with them, ADR 24); without, its account's
/// document of that month.
pub(super) fn doc_for(activity: &Activity) -> DocId {
    match &activity.contact_id {
        Some(c) => DocId::person(c),
        None => DocId::activities(&activity.account_id, &activity.period()),
    }
}

/// Adds or replaces activities of one document ([`doc_for`]), as one change.
pub(super) fn upsert_in_document(tx: &Transaction<'_>, id: &DocId, list: Vec<Activity>, message: &str) -> Result<()> {
    let Some(first) = list.first() else { return Ok(()) };
    if id.kind() == DocKind::Person {
        let Some(Record::Person(mut person)) = load_record(tx, id)? else {
            return Err(Error::not_found("contact", id.key()));
        };
        if person.contact.account_id != first.account_id {
            return Err(Error::validation("activity", "its contact belongs to another account"));
        }
        for a in list {
            match person.activities.iter_mut().find(|x| x.id == a.id) {
                Some(x) => *x = a,
                None => person.activities.push(a),
            }
        }
        return write_record(tx, &Record::Person(person), message);
    }
    let mut record = match load_record(tx, id)? {
        Some(Record::Activities(a)) => a,
        _ => ActivitiesRecord { account_id: first.account_id.clone(), period: first.period(), activities: Vec::new() },
    };
    for a in list {
        match record.activities.iter_mut().find(|x| x.id == a.id) {
            Some(x) => *x = a,
            None => record.activities.push(a),
        }
    }
    write_record(tx, &Record::Activities(record), message)
}

impl Store {
    /// Logs (or corrects) an activity; its account must exist.
    pub fn log_activity(&self, activity: &Activity) -> Result<()> {
        activity.validate()?;
        self.write(|tx| {
            if !tx.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1")?.exists([&activity.account_id])? {
                return Err(Error::not_found("account", &activity.account_id));
            }
            let moved: Option<String> = tx
                .prepare_cached("SELECT doc_id FROM activities WHERE id = ?1")?
                .query_row([&activity.id], |r| r.get(0))
                .ok();
            let id = doc_for(activity);
            if moved.is_some_and(|d| d != id.as_str()) {
                return Err(Error::Conflict {
                    what: "activity",
                    reason: "its account, contact or month cannot change; log a new one".into(),
                });
            }
            upsert_in_document(tx, &id, vec![activity.clone()], "log activity")
        })
    }

    /// An account's activities, newest first.
    pub fn activities_for_account(&self, account_id: &str, limit: u32) -> Result<Vec<Activity>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, account_id, contact_id, kind, at, by, subject, notes FROM activities
                 WHERE account_id = ?1 ORDER BY at DESC, id LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![account_id, limit])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let at: String = r.get(4)?;
                out.push(Activity {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    contact_id: r.get(2)?,
                    kind: kind_of(&r.get::<_, String>(3)?)?,
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| Error::Corrupt { what: "activity time", reason: e.to_string() })?
                        .with_timezone(&Utc),
                    by: r.get(5)?,
                    subject: r.get(6)?,
                    notes: r.get(7)?,
                });
            }
            Ok(out)
        })
    }

    /// Number of activities.
    pub fn activity_count(&self) -> Result<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM activities", [], |r| r.get::<_, i64>(0))? as u64))
    }
}
