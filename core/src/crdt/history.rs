//! A quote's earlier revisions, read back from its document's history: the
//! document keeps every change, so the content each revision had when the
//! next one began is still there (ADR 31).

use automerge::{AutoCommit, ReadDoc, Value};

use super::{DocError, DocId, FieldConflict, Record, device_of, read};
use crate::quote::{Quote, QuoteState};

/// One revision as it stood when the next began (or now, for the last).
#[derive(Debug, Clone)]
pub struct QuoteRevision {
    /// The quote's content then.
    pub quote: Quote,
    /// When the last change of this revision was made, by the clock of the
    /// device that made it (informative: a device's clock is not trusted).
    pub changed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The device that made that change.
    pub device_id: String,
}

/// A quote's revisions, oldest first, and the fields whose concurrent
/// values are still open (two devices wrote them and neither saw the other).
#[derive(Debug, Clone)]
pub struct QuoteHistory {
    /// Oldest first.
    pub revisions: Vec<QuoteRevision>,
    /// Open concurrent values.
    pub conflicts: Vec<FieldConflict>,
}

/// Most changes of one document this reads (a quote edited on a tablet has
/// tens; beyond this the oldest are not searched for revisions).
pub const MAX_HISTORY_CHANGES: usize = 5_000;

/// Every revision of the quote in `doc`, oldest first: for each revision
/// number, the content at the last change that still had it, with when and
/// on which device that change was made. The last entry is the current
/// state when no later change exists. Drafts before the first revision
/// number was written are not listed.
pub fn quote_revisions(doc: &mut AutoCommit, id: &DocId) -> Result<Vec<QuoteRevision>, DocError> {
    let Some((Value::Object(_), quote_obj)) = doc.get(automerge::ROOT, "quote")? else {
        return Ok(Vec::new());
    };
    let changes = doc.get_changes(&[]);
    let skip = changes.len().saturating_sub(MAX_HISTORY_CHANGES);
    // revision number → (heads, time, actor) of the last change with it.
    let mut last: std::collections::BTreeMap<u64, (automerge::ChangeHash, i64, automerge::ActorId)> =
        std::collections::BTreeMap::new();
    for change in changes.iter().skip(skip) {
        let heads = [change.hash()];
        let revision = match doc.get_at(&quote_obj, "revision", &heads) {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                automerge::ScalarValue::Uint(n) => *n,
                automerge::ScalarValue::Int(n) => u64::try_from(*n).unwrap_or(0),
                automerge::ScalarValue::F64(f) if *f >= 1.0 => *f as u64,
                _ => continue,
            },
            _ => continue,
        };
        last.insert(revision, (change.hash(), change.timestamp(), change.actor_id().clone()));
    }
    let mut out = Vec::with_capacity(last.len());
    for (_, (hash, at_ms, actor)) in last {
        let past = doc.fork_at(&[hash])?;
        if let Some(Record::Quote(q)) = read(&past, id)? {
            // Drafts in the making are not revisions anyone saw.
            if q.state == QuoteState::Draft && q.revision == 1 && q.lines.is_empty() {
                continue;
            }
            out.push(QuoteRevision {
                quote: *q,
                changed_at: chrono::DateTime::from_timestamp_millis(at_ms).filter(|_| at_ms > 0),
                device_id: device_of(&actor),
            });
        }
    }
    Ok(out)
}
