//! Lead scoring and campaigns on the store: the published model and
//! campaigns, a rep's call list, one account's scores, a campaign's funnel,
//! and marketing activities imported in bulk with contacts matched by e-mail.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use sha2::{Digest, Sha256};

use super::Store;
use super::codec::json;
use crate::account::Contact;
use crate::activity::{Activity, ActivityKind};
use crate::crdt::DocId;
use crate::error::{Error, Result};
use crate::leads::{self, CallListEntry, Campaign, FunnelReport, Lead, ScoringModel, Touch, funnel};
use crate::table::Problem;

pub use crate::leads::AccountScore;

/// What an activity import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActivityImportSummary {
    /// Activities written (an activity imported again is rewritten, not doubled).
    pub imported: u64,
    /// Rows whose e-mail matches no contact: skipped, by line.
    pub unmatched: Vec<String>,
}

/// One row of a marketing tool's export.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityRow {
    email: String,
    kind: String,
    at: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    source: String,
}

/// Parses a marketing export: CSV (`email;kind;at;subject;source`, `;` or
/// `,` separated, header required) or a JSON array of those objects. Every
/// bad row is reported by line; nothing is returned when any is bad.
fn parse_activity_rows(bytes: &[u8]) -> std::result::Result<Vec<(u64, ActivityRow)>, Vec<Problem>> {
    let problem = |line: u64, key: Option<&str>, reason: String| Problem { line, key: key.map(str::to_string), reason };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let text = std::str::from_utf8(bytes).unwrap_or_default().trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('[') {
        match serde_json::from_str::<Vec<ActivityRow>>(text) {
            Ok(list) => rows = list.into_iter().enumerate().map(|(i, r)| (i as u64 + 1, r)).collect(),
            Err(e) => problems.push(problem(e.line() as u64, None, format!("bad JSON: {e}"))),
        }
    } else {
        let (cols, table) = crate::table::csv_table(bytes)?;
        let at = |name: &str| cols.iter().position(|c| c == name);
        let (Some(e), Some(k), Some(t)) = (at("email"), at("kind"), at("at")) else {
            return Err(vec![problem(1, None, "the header needs the columns email, kind and at".into())]);
        };
        let (s, src) = (at("subject"), at("source"));
        for (line, f) in table {
            let get = |i: Option<usize>| i.and_then(|i| f.get(i)).cloned().unwrap_or_default();
            rows.push((
                line,
                ActivityRow {
                    email: get(Some(e)),
                    kind: get(Some(k)),
                    at: get(Some(t)),
                    subject: get(s),
                    source: get(src),
                },
            ));
        }
    }
    for (line, r) in &rows {
        if !r.email.contains('@') || r.email.len() > 254 {
            problems.push(problem(*line, Some(&r.email), "not an e-mail address".into()));
        }
        if ActivityKind::parse(&r.kind).is_none() {
            problems.push(problem(*line, Some(&r.email), format!("unknown activity kind {:?}", r.kind)));
        }
        if DateTime::parse_from_rfc3339(&r.at).is_err() {
            problems.push(problem(*line, Some(&r.email), format!("time {:?} is not RFC 3339", r.at)));
        }
        if r.subject.chars().count() > 300 || r.source.chars().count() > 100 {
            problems.push(problem(*line, Some(&r.email), "subject or source too long".into()));
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

impl Store {
    /// The published scoring model, if any.
    pub fn scoring_model(&self) -> Result<Option<ScoringModel>> {
        self.read(|c| {
            let body: Option<String> =
                c.query_row("SELECT body FROM scoring_model WHERE id = 1", [], |r| r.get(0)).optional()?;
            body.map(|b| json("scoring model", &b)).transpose()
        })
    }

    fn require_model(&self) -> Result<ScoringModel> {
        self.scoring_model()?.ok_or_else(|| Error::not_found("scoring model", "(none published yet)"))
    }

    /// Every published campaign, newest first.
    pub fn campaigns(&self) -> Result<Vec<Campaign>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT body FROM campaigns")?;
            let bodies: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
            let mut out: Vec<Campaign> = bodies.iter().map(|b| json("campaign", b)).collect::<Result<_>>()?;
            out.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id)));
            Ok(out)
        })
    }

    /// A campaign's funnel, compared with its targets or the other campaigns.
    pub fn campaign_report(&self, id: &str) -> Result<FunnelReport> {
        let all = self.campaigns()?;
        let c = all.iter().find(|c| c.id == id).ok_or_else(|| Error::not_found("campaign", id))?;
        Ok(funnel(c, &all))
    }

    /// A rep's call list: the accounts in this store (on a hub: assigned to
    /// `rep`, or with `rep` as their assigned rep), best first, the first
    /// `limit` explained. `None` ranks every account. Everything is read in
    /// three queries and scored in memory.
    pub fn call_list(&self, rep: Option<&str>, now: DateTime<Utc>, limit: usize) -> Result<Vec<CallListEntry>> {
        use super::projections::{ACCOUNT_COLS, CONTACT_COLS, account_from_row, contact_from_row};
        let model = self.require_model()?;
        let (accounts, contacts, touches) = self.read(|c| {
            let wanted: Option<std::collections::HashSet<String>> = match rep {
                None => None,
                Some(rep) => Some(
                    c.prepare(super::accounts::REP_ACCOUNTS)?
                        .query_map([rep], |r| r.get(0))?
                        .collect::<std::result::Result<_, _>>()?,
                ),
            };
            let mut accounts = Vec::new();
            let mut stmt = c.prepare(&format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY id"))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let a = account_from_row(r)?;
                if wanted.as_ref().is_none_or(|w| w.contains(&a.id)) {
                    accounts.push(a);
                }
            }
            let mut contacts: HashMap<String, Vec<Contact>> = HashMap::new();
            let mut stmt = c.prepare(&format!(
                "SELECT {CONTACT_COLS} FROM contacts ORDER BY account_id, last_name, first_name, id"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let contact = contact_from_row(r)?;
                contacts.entry(contact.account_id.clone()).or_default().push(contact);
            }
            let index: HashMap<&str, u32> = contacts
                .values()
                .flat_map(|cs| cs.iter().enumerate().map(|(i, c)| (c.id.as_str(), i as u32)))
                .collect();
            // One sequential scan of the table, grouped in memory.
            let mut touches: HashMap<String, Vec<Touch>> = HashMap::with_capacity(accounts.len());
            let mut stmt = c.prepare("SELECT account_id, contact_id, kind, unixepoch(at) FROM activities")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let Some(kind) = ActivityKind::parse(r.get_ref(2)?.as_str().unwrap_or_default()) else { continue };
                let at: Option<i64> = r.get(3)?;
                let at = at.ok_or_else(|| Error::Corrupt { what: "activity time", reason: "not a time".into() })?;
                let contact = match r.get_ref(1)?.as_str_or_null().unwrap_or_default() {
                    Some(id) => index.get(id).copied(),
                    None => None,
                };
                let account =
                    r.get_ref(0)?.as_str().map_err(|e| Error::Corrupt { what: "activity", reason: e.to_string() })?;
                let touch = Touch { kind, contact, at };
                match touches.get_mut(account) {
                    Some(list) => list.push(touch),
                    None => {
                        touches.insert(account.to_string(), vec![touch]);
                    }
                }
            }
            Ok((accounts, contacts, touches))
        })?;
        let (no_contacts, no_touches): (Vec<Contact>, Vec<Touch>) = (Vec::new(), Vec::new());
        let leads: Vec<Lead<'_>> = accounts
            .iter()
            .map(|a| Lead {
                account: a,
                contacts: contacts.get(&a.id).unwrap_or(&no_contacts),
                touches: touches.get(&a.id).unwrap_or(&no_touches),
            })
            .collect();
        Ok(leads::call_list(&leads, &model, now, limit))
    }

    /// One account's scores with their explanations.
    pub fn account_score(&self, account_id: &str, now: DateTime<Utc>) -> Result<AccountScore> {
        let model = self.require_model()?;
        let (account, contacts) = self.read(|c| {
            Ok((super::projections::account_in(c, account_id)?, super::projections::contacts_in(c, account_id)?))
        })?;
        let acts = self.activities_for_account(account_id, u32::MAX)?;
        Ok(leads::account_score(&account, &contacts, &acts, &model, now))
    }

    /// Counts a marketing tool's campaign events into the published
    /// campaigns (see [`crate::leads::count_events`]) and publishes them
    /// again under a new catalog sequence, so devices get the new figures.
    pub fn import_campaign_events(&self, bytes: &[u8]) -> Result<crate::leads::EventSummary> {
        let mut all = self.campaigns()?;
        let summary = crate::leads::count_events(&mut all, bytes)
            .map_err(|problems| Error::Import(crate::import::ImportReport { problems }))?;
        let campaigns = all
            .into_iter()
            .filter(|c| summary.campaigns.contains(&c.id))
            .map(|item| crate::release::Sequenced { seq: 0, item })
            .collect();
        self.publish(&crate::release::ReferenceData { campaigns, ..Default::default() })?;
        Ok(summary)
    }

    /// Imports marketing activities (e-mail opens, clicks, downloads,
    /// webinar attendance, social interactions…) from a marketing tool's
    /// CSV or JSON export, matching contacts by e-mail. A file with a bad
    /// row changes nothing (every problem is listed); rows whose e-mail
    /// matches no contact are skipped and listed. An activity's id is
    /// derived from its row, so importing the same export twice doubles
    /// nothing.
    pub fn import_activities(&self, bytes: &[u8], by: &str) -> Result<ActivityImportSummary> {
        let rows =
            parse_activity_rows(bytes).map_err(|problems| Error::Import(crate::import::ImportReport { problems }))?;
        self.write(|tx| {
            let mut by_mail: HashMap<String, (String, String)> = HashMap::new();
            {
                let mut stmt =
                    tx.prepare("SELECT lower(email), account_id, id FROM contacts WHERE email IS NOT NULL")?;
                let mut r = stmt.query([])?;
                while let Some(row) = r.next()? {
                    by_mail.insert(row.get(0)?, (row.get(1)?, row.get(2)?));
                }
            }
            let mut summary = ActivityImportSummary::default();
            let mut docs: BTreeMap<DocId, Vec<Activity>> = BTreeMap::new();
            for (line, r) in rows {
                let Some((account_id, contact_id)) = by_mail.get(&r.email.trim().to_lowercase()) else {
                    summary.unmatched.push(format!("line {line}: {}", r.email));
                    continue;
                };
                let (Some(kind), Ok(at)) = (ActivityKind::parse(&r.kind), DateTime::parse_from_rfc3339(&r.at)) else {
                    continue;
                };
                let key = format!("{}\n{}\n{}\n{}", r.email.trim().to_lowercase(), r.kind, r.at, r.subject);
                let digest = Sha256::digest(key.as_bytes());
                let id: String = format!("mkt-{}", digest[..16].iter().map(|b| format!("{b:02x}")).collect::<String>());
                let activity = Activity {
                    id,
                    account_id: account_id.clone(),
                    contact_id: Some(contact_id.clone()),
                    kind,
                    at: at.with_timezone(&Utc),
                    by: if r.source.is_empty() { by.to_string() } else { r.source.clone() },
                    subject: r.subject.clone(),
                    notes: String::new(),
                };
                activity.validate()?;
                docs.entry(super::activities::doc_for(&activity)).or_default().push(activity);
            }
            for (id, list) in docs {
                summary.imported += list.len() as u64;
                super::activities::upsert_in_document(tx, &id, list, "import marketing activities")?;
            }
            Ok(summary)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Account;
    use crate::store::tests::temp_store;

    fn seeded() -> (tempfile::TempDir, Store, Vec<(Account, Vec<Contact>)>) {
        let (dir, store) = temp_store();
        let accounts = crate::sample::accounts(6, 11);
        for (a, cs) in &accounts {
            store.save_account_with_contacts(a, cs).unwrap();
        }
        let model = ScoringModel::sample();
        let json = format!("{{\"scoring_model\": {}}}", serde_json::to_string(&model).unwrap());
        store.import_catalog(crate::import::parse(json.as_bytes(), crate::import::Format::Json), &mut |_| {}).unwrap();
        (dir, store, accounts)
    }

    #[test]
    fn a_reps_accounts_are_the_same_in_the_account_list_and_the_call_list() {
        let (_d, hub, accounts) = seeded();
        // One account names rep-x as its rep, another is assigned to rep-x
        // by the back office only.
        let mut named = accounts[0].0.clone();
        named.assigned_rep = Some("rep-x".into());
        hub.save_account(&named).unwrap();
        hub.assign_accounts("rep-x", &[accounts[1].0.id.clone()], &[]).unwrap();
        let listed: std::collections::BTreeSet<String> =
            hub.list_accounts(Some("rep-x"), 0, 100).unwrap().items.into_iter().map(|a| a.id).collect();
        let called: std::collections::BTreeSet<String> =
            hub.call_list(Some("rep-x"), Utc::now(), 100).unwrap().into_iter().map(|e| e.account_id).collect();
        assert_eq!(listed, called);
        assert_eq!(listed, [named.id.clone(), accounts[1].0.id.clone()].into_iter().collect());
    }

    #[test]
    fn the_model_is_published_and_travels_to_a_rep_but_not_a_customer() {
        let (_d, hub, _) = seeded();
        assert_eq!(hub.scoring_model().unwrap(), Some(ScoringModel::sample()));
        let (_d2, tablet) = temp_store();
        let delta = hub.catalog_changes_since(0).unwrap();
        tablet.apply_catalog_delta(&delta).unwrap();
        assert_eq!(tablet.scoring_model().unwrap(), Some(ScoringModel::sample()));
        let audience =
            crate::release::CatalogAudience::Customer { customer: "acc", group: None, reps: &Default::default() };
        let customer = hub.read(|c| crate::store::catalog::catalog_page(c, 0, None, 1000, &audience)).unwrap().0;
        assert!(
            customer.scoring_model.is_none() && customer.campaigns.is_empty(),
            "customers never get marketing data"
        );
    }

    #[test]
    fn activities_import_by_email_refuses_bad_rows_and_skips_strangers() {
        let (_d, store, accounts) = seeded();
        let email = accounts[0].1[0].email.clone().unwrap();
        let csv = format!(
            "email;kind;at;subject\n{};case_study_download;2026-11-25T10:00:00Z;Kanban-Fallstudie\n\
             {};email_opened;2026-11-20T10:00:00Z;Newsletter\nfremd@example.org;email_opened;2026-11-20T10:00:00Z;x\n",
            email.to_uppercase(),
            email
        );
        let s = store.import_activities(csv.as_bytes(), "marketing-tool").unwrap();
        assert_eq!(s.imported, 2);
        assert_eq!(s.unmatched, vec!["line 4: fremd@example.org"]);
        assert_eq!(store.activity_count().unwrap(), 2);
        let again = store.import_activities(csv.as_bytes(), "marketing-tool").unwrap();
        assert_eq!(again.imported, 2);
        assert_eq!(store.activity_count().unwrap(), 2, "the same export twice doubles nothing");
        let bad = "email;kind;at\nno-mail;email_opened;2026-11-20T10:00:00Z\nx@y.de;telepathy;2026-11-20T10:00:00Z\nx@y.de;email_opened;gestern\n";
        let Err(Error::Import(report)) = store.import_activities(bad.as_bytes(), "m") else { panic!("accepted") };
        let text = report.to_string();
        assert!(text.contains("line 2") && text.contains("not an e-mail"), "{text}");
        assert!(text.contains("line 3") && text.contains("unknown activity kind \"telepathy\""), "{text}");
        assert!(text.contains("line 4") && text.contains("RFC 3339"), "{text}");
        assert_eq!(store.activity_count().unwrap(), 2, "nothing of a bad file is written");
        let json = format!(r#"[{{"email": "{email}", "kind": "webinar_attended", "at": "2026-11-26T09:00:00Z"}}]"#);
        assert_eq!(store.import_activities(json.as_bytes(), "m").unwrap().imported, 1);
        // Read like catalog files: a byte-order mark, quoted fields with the separator inside.
        let quoted = format!(
            "\u{feff}email;kind;at;subject\n{email};whitepaper_download;2026-11-26T10:00:00Z;\"Leitfaden; Teil 1\"\n"
        );
        assert_eq!(store.import_activities(quoted.as_bytes(), "m").unwrap().imported, 1);
        let subjects: Vec<String> =
            store.activities_for_account(&accounts[0].0.id, 10).unwrap().into_iter().map(|a| a.subject).collect();
        assert!(subjects.contains(&"Leitfaden; Teil 1".to_string()), "{subjects:?}");
    }

    #[test]
    fn the_call_list_ranks_the_interested_lead_first_and_explains_it() {
        let (_d, store, accounts) = seeded();
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z").unwrap().with_timezone(&Utc);
        let before = store.call_list(None, now, 100).unwrap();
        assert_eq!(before.len(), 6);
        // Give the last-ranked account a fresh inbound call.
        let last = before.last().unwrap().clone();
        let contact = accounts.iter().find(|(a, _)| a.id == last.account_id).unwrap().1[0].clone();
        store
            .log_activity(&Activity {
                id: "call-1".into(),
                account_id: last.account_id.clone(),
                contact_id: Some(contact.id.clone()),
                kind: ActivityKind::InboundCall,
                at: now - chrono::Duration::hours(3),
                by: "rep-1".into(),
                subject: "Rückruf erbeten".into(),
                notes: String::new(),
            })
            .unwrap();
        let after = store.call_list(None, now, 100).unwrap();
        let moved = after.iter().position(|e| e.account_id == last.account_id).unwrap();
        let model = ScoringModel::sample();
        let expected_gain = (100 - model.fit_weight_pct) as f64 / 100.0 * after[moved].interest.min(100.0);
        assert!(
            (after[moved].priority - last.priority - expected_gain).abs() < 1e-9,
            "priority rises by the weighted interest"
        );
        assert!(after[moved].interest > 39.0, "a call three hours ago keeps almost all its 40 points");
        assert!(after.windows(2).all(|w| w[0].priority >= w[1].priority), "ranked by priority");
        assert!(moved < before.len() - 1 || after[moved].priority > last.priority, "the call moved it up");
        assert!(after[moved].reason.contains("called in today"), "{}", after[moved].reason);
        assert_eq!(after[moved].contact_id.as_deref(), Some(contact.id.as_str()));
        let score = store.account_score(&last.account_id, now).unwrap();
        assert_eq!(score.fits.len(), 2, "one per persona");
        assert_eq!(score.interest.items.len(), 1);
        assert_eq!(store.call_list(Some("rep-1"), now, 100).unwrap().len(), 2, "6 accounts over 5 reps");
        assert_eq!(store.call_list(None, now, 3).unwrap().len(), 3);
    }

    #[test]
    fn without_a_model_scoring_says_so() {
        let (_d, store) = temp_store();
        let e = store.call_list(None, Utc::now(), 10).unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{e}");
        assert!(matches!(store.campaign_report("c-1"), Err(Error::NotFound { .. })));
    }
}
