//! The ids of erased documents (`erased_docs`, ADR 24): refused for local
//! writes, announced by the hub. Below the documents, which consult it;
//! the erasure itself is in `erasure.rs`.

use rusqlite::Connection;

use crate::crdt::DocId;
use crate::error::{Error, Result};

/// Refuses a local write to an erased document.
pub(crate) fn refuse_erased(c: &Connection, id: &DocId) -> Result<()> {
    if is_erased(c, id)? {
        return Err(Error::Conflict {
            what: "document",
            reason: format!("{} was erased (a forgotten person); it cannot be written again", id.kind().as_str()),
        });
    }
    Ok(())
}

/// Whether a document was erased.
pub(crate) fn is_erased(c: &Connection, id: &DocId) -> Result<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM erased_docs WHERE doc_id = ?1")?.exists([id.as_str()])?)
}

/// Erased documents announced after `cursor`, with their sequence.
pub(crate) fn erased_since(c: &Connection, cursor: u64) -> Result<Vec<(DocId, String, u64)>> {
    c.prepare_cached("SELECT doc_id, account_id, seq FROM erased_docs WHERE seq > ?1 ORDER BY seq")?
        .query_map([cursor as i64], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?
        .map(|r| {
            let (id, account, seq) = r?;
            Ok((DocId::parse(&id)?, account, seq as u64))
        })
        .collect()
}
