//! Attachments in the store (ADR 29): the file is stored as a blob waiting
//! to be uploaded, the attachment as its own document, in one transaction.

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::docs::{load_record, write_record};
use crate::blob::{Attachment, AttachmentParent, BlobKind, BlobRef};
use crate::crdt::{DocId, Record};
use crate::error::{Error, Result};
use crate::ids::new_id;

fn account_of(c: &Connection, parent: &AttachmentParent) -> Result<String> {
    let (sql, entity) = match parent {
        AttachmentParent::Quote { .. } => ("SELECT account_id FROM quotes WHERE id = ?1", "quote"),
        AttachmentParent::Activity { .. } => ("SELECT account_id FROM activities WHERE id = ?1", "activity"),
    };
    c.prepare_cached(sql)?
        .query_row([parent.id()], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found(entity, parent.id()))
}

fn load(c: &Connection, id: &str) -> Result<Attachment> {
    match load_record(c, &DocId::attachment(id))? {
        Some(Record::Attachment(a)) => Ok(*a),
        _ => Err(Error::not_found("attachment", id)),
    }
}

impl Store {
    /// Attaches `bytes` named `name` to a quote or an activity, offline: the
    /// file waits on this device until the next sync uploads it. Its type
    /// is sniffed from the content; `for_customer` shows a quote's file on
    /// the customer's phone (never a visit's).
    pub fn add_attachment(
        &self,
        parent: &AttachmentParent,
        name: &str,
        bytes: &[u8],
        for_customer: bool,
        by: &str,
    ) -> Result<Attachment> {
        let file = BlobRef::of(BlobKind::Attachment, name, bytes)?;
        self.write(|tx| {
            let attachment = Attachment {
                id: new_id(),
                account_id: account_of(tx, parent)?,
                parent: parent.clone(),
                file: file.clone(),
                for_customer,
                added_by: by.to_string(),
                added_at: chrono::Utc::now(),
                deleted: false,
            };
            attachment.validate()?;
            super::blobs::store_local(tx, &file, bytes, true)?;
            // What can be fetched again makes room for the only copy.
            super::blobs::make_room(tx, 0)?;
            write_record(tx, &Record::Attachment(Box::new(attachment.clone())), "attach a file")?;
            Ok(attachment)
        })
    }

    /// Shows a quote's attachment to the customer, or hides it again.
    pub fn set_attachment_for_customer(&self, id: &str, for_customer: bool) -> Result<Attachment> {
        self.change_attachment(id, "show a file to the customer", |a| a.for_customer = for_customer)
    }

    /// Removes an attachment (the removal syncs; the file stays until evicted).
    pub fn remove_attachment(&self, id: &str) -> Result<Attachment> {
        self.change_attachment(id, "remove a file", |a| a.deleted = true)
    }

    fn change_attachment(&self, id: &str, message: &str, f: impl FnOnce(&mut Attachment)) -> Result<Attachment> {
        self.write(|tx| {
            let mut a = load(tx, id)?;
            f(&mut a);
            a.validate()?;
            write_record(tx, &Record::Attachment(Box::new(a.clone())), message)?;
            Ok(a)
        })
    }

    /// An attachment.
    pub fn attachment(&self, id: &str) -> Result<Attachment> {
        self.read(|c| load(c, id))
    }

    /// The attachments of a quote or an activity, oldest first (removed
    /// ones left out).
    pub fn attachments(&self, parent: &AttachmentParent) -> Result<Vec<Attachment>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM attachments WHERE parent_kind = ?1 AND parent_id = ?2 AND deleted = 0
                 ORDER BY added_at, id",
            )?;
            let ids: Vec<String> = stmt
                .query_map(params![parent.kind(), parent.id()], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            ids.iter().map(|id| load(c, id)).collect()
        })
    }
}
