//! Attachments: a rep or the back office attaches a file to a quote or a
//! visit of an account they may see; afterwards only whether the customer
//! sees it and whether it is removed may change. Customers attach nothing.

use super::{Actor, Facts, RefusalCode, Rule, no};
use crate::blob::{Attachment, AttachmentParent};
use crate::crdt::{DocId, Record};
use crate::roles::DeviceRole;

pub(super) fn check(actor: &Actor<'_>, before: Option<&Attachment>, after: &Attachment, facts: &mut dyn Facts) -> Rule {
    if actor.is(DeviceRole::Customer) {
        return Err(no(RefusalCode::NotPermitted, "customers do not attach files"));
    }
    match before {
        None => {
            if actor.role == Some(DeviceRole::Rep) && after.added_by != actor.person {
                return Err(no(RefusalCode::IdentityMismatch, "an attachment names the rep who added it"));
            }
            if let AttachmentParent::Quote { quote_id } = &after.parent {
                match facts.record(&DocId::quote(quote_id))? {
                    Some(Record::Quote(q)) if q.account_id == after.account_id => {}
                    Some(Record::Quote(_)) => {
                        return Err(no(
                            RefusalCode::InvalidRecord,
                            "the attachment's quote belongs to another account",
                        ));
                    }
                    _ => return Err(no(RefusalCode::InvalidRecord, "the attachment's quote does not exist")),
                }
            }
            Ok(())
        }
        Some(b) => {
            if b.file != after.file
                || b.parent != after.parent
                || b.added_by != after.added_by
                || b.added_at != after.added_at
            {
                return Err(no(
                    RefusalCode::Immutable,
                    "an attachment's file, parent and author do not change; attach a new one",
                ));
            }
            Ok(())
        }
    }
}
