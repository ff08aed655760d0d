//! Forgetting a person and telling them what is held (GDPR Art. 17 and
//! 15, ADR 24): what an erasure reports, what an export holds, and the
//! rules for quotes that name the person. Pure values; the store and the
//! hub's PostgreSQL backend gather the data and remove it.

use serde::Serialize;

use crate::account::Contact;
use crate::activity::Activity;
use crate::crdt::{DocId, PersonRecord};
use crate::quote::Quote;

/// What an erasure removed, and what it kept and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// The contact.
    pub contact_id: String,
    /// Their account (kept).
    pub account_id: String,
    /// The person was erased before: nothing more to remove.
    pub already_erased: bool,
    /// Documents removed for good (their ids are refused from now on).
    pub documents_removed: Vec<String>,
    /// Fields of the contact removed (names of fields, not their values).
    pub fields_removed: Vec<String>,
    /// Activities involving the person removed with them.
    pub activities_removed: u64,
    /// Sync states (with their queued changes) removed.
    pub sync_states_removed: u64,
    /// Quotes that named the person as their contact: kept as commercial
    /// records; their contact reference now points to no one.
    pub quotes_pseudonymised: Vec<String>,
    /// What is kept on purpose, with the reason.
    pub retained: Vec<Retained>,
    /// When (RFC 3339).
    pub erased_at: String,
}

/// Something an erasure keeps on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retained {
    /// The document, e.g. `quote/<id>`.
    pub doc_id: String,
    /// What of the person it keeps.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// Every datum held on a person (Art. 15).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonExport {
    /// The contact's data.
    pub contact: Contact,
    /// Removed by the back office (the data is still held until erased).
    pub removed: bool,
    /// Activities involving them.
    pub activities: Vec<Activity>,
    /// Quotes naming them: as contact (`addressee`) or as the signer of
    /// the approval (`signer`).
    pub quotes: Vec<QuoteMention>,
    /// When the export was made (RFC 3339).
    pub exported_at: String,
}

/// A quote that names the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuoteMention {
    /// The quote's id.
    pub quote_id: String,
    /// Its number.
    pub number: String,
    /// `addressee` or `signer`.
    pub role: String,
    /// Its state.
    pub state: String,
    /// The approval, when the person signed it.
    pub approval: Option<crate::quote::Approval>,
}

/// The reason signed approvals are kept.
pub const RETENTION: &str = "a signed acceptance of a quote is a business letter kept for 6 years \
    (HGB § 257, AO § 147); erasure does not apply while the law requires it (GDPR Art. 17(3)(b))";

/// The quotes among `quotes` that name `contact`: as their contact
/// (`addressee`), or as the signer of their approval (`signer`, the name
/// compared without regard to case).
pub fn mentions(contact: &Contact, quotes: &[Quote]) -> Vec<QuoteMention> {
    let name = contact.full_name().to_lowercase();
    let mut out = Vec::new();
    for q in quotes {
        let signed = q.approval.as_ref().filter(|a| !name.is_empty() && a.signer_name.to_lowercase() == name);
        let role = if signed.is_some() {
            "signer"
        } else if q.contact_id.as_deref() == Some(contact.id.as_str()) {
            "addressee"
        } else {
            continue;
        };
        out.push(QuoteMention {
            quote_id: q.id.clone(),
            number: q.number.clone(),
            role: role.into(),
            state: q.state.as_str().into(),
            approval: signed.cloned(),
        });
    }
    out
}

/// The export of a person: their document and the quotes naming them.
pub fn export(person: PersonRecord, quotes: Vec<QuoteMention>) -> PersonExport {
    PersonExport {
        contact: person.contact,
        removed: person.deleted,
        activities: person.activities,
        quotes,
        exported_at: chrono::Utc::now().to_rfc3339(),
    }
}

/// The report of erasing `person`, whose document took `activities`
/// activities and `sync_states` sync states with it.
pub fn report(person: &PersonRecord, quotes: &[QuoteMention], activities: u64, sync_states: u64) -> ErasureReport {
    let c = &person.contact;
    let fields = [
        ("first_name", !c.first_name.is_empty()),
        ("last_name", !c.last_name.is_empty()),
        ("role", true),
        ("title", c.title.is_some()),
        ("email", c.email.is_some()),
        ("phone", c.phone.is_some()),
        ("consent", c.consent.is_some()),
        ("salutation", c.salutation.is_some()),
    ];
    let doc = |m: &QuoteMention| DocId::quote(&m.quote_id).as_str().to_string();
    ErasureReport {
        contact_id: c.id.clone(),
        account_id: c.account_id.clone(),
        already_erased: false,
        documents_removed: vec![DocId::person(&c.id).as_str().to_string()],
        fields_removed: fields.iter().filter(|f| f.1).map(|f| f.0.to_string()).collect(),
        activities_removed: activities,
        sync_states_removed: sync_states,
        quotes_pseudonymised: quotes.iter().filter(|m| m.role == "addressee").map(doc).collect(),
        retained: quotes
            .iter()
            .filter(|m| m.role == "signer")
            .map(|m| Retained { doc_id: doc(m), what: "the approval's signer name".into(), reason: RETENTION.into() })
            .collect(),
        erased_at: chrono::Utc::now().to_rfc3339(),
    }
}

/// The report of erasing a person erased before: nothing more removed.
pub fn already_erased(contact_id: &str, account_id: &str) -> ErasureReport {
    ErasureReport {
        contact_id: contact_id.into(),
        account_id: account_id.into(),
        already_erased: true,
        documents_removed: Vec::new(),
        fields_removed: Vec::new(),
        activities_removed: 0,
        sync_states_removed: 0,
        quotes_pseudonymised: Vec::new(),
        retained: Vec::new(),
        erased_at: chrono::Utc::now().to_rfc3339(),
    }
}
