//! A file a rep attached to a quote (a drawing, a specification) or to a
//! visit (a photo of the customer's shelf): one document each
//! (`attachment/<id>`), naming its blob by hash. The customer's phone
//! receives a quote's attachment only while the rep marks it for the
//! customer; a visit's never (customers receive no activities).

use serde::{Deserialize, Serialize};

use super::{BlobKind, BlobRef};
use crate::ids::{Timestamp, check_id};
use crate::rules::{self, FieldError};

/// What an attachment belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttachmentParent {
    /// A quote (every revision: the attachment is the quote's, not a revision's).
    Quote {
        /// The quote's id.
        quote_id: String,
    },
    /// An activity (a visit, a call).
    Activity {
        /// The activity's id.
        activity_id: String,
    },
}

impl AttachmentParent {
    /// `quote` or `activity`.
    pub fn kind(&self) -> &'static str {
        match self {
            AttachmentParent::Quote { .. } => "quote",
            AttachmentParent::Activity { .. } => "activity",
        }
    }

    /// The parent's id.
    pub fn id(&self) -> &str {
        match self {
            AttachmentParent::Quote { quote_id } => quote_id,
            AttachmentParent::Activity { activity_id } => activity_id,
        }
    }
}

/// One attached file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Attachment {
    /// Stable id (a UUID).
    pub id: String,
    /// The account (what scopes the document).
    pub account_id: String,
    /// What it is attached to.
    pub parent: AttachmentParent,
    /// The file.
    pub file: BlobRef,
    /// Shown to the customer (quotes only).
    pub for_customer: bool,
    /// Who attached it (the person behind the device).
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
    /// Removed (kept as a tombstone so the removal syncs).
    #[serde(default)]
    pub deleted: bool,
}

impl Attachment {
    /// The record's rules: ids, the file reference (an attachment's kind,
    /// size and type, a name that is no path), a visit's never for the customer.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_id("attachment id", &self.id)?;
        check_id("account id", &self.account_id)?;
        check_id("parent id", self.parent.id())?;
        if self.file.kind != BlobKind::Attachment {
            return Err(FieldError::new("file", "an attachment's file must be of kind attachment"));
        }
        self.file.validate()?;
        rules::line("added_by", &self.added_by, 100, true)?;
        if self.for_customer && matches!(self.parent, AttachmentParent::Activity { .. }) {
            return Err(FieldError::new("for_customer", "a visit's attachments are never shown to the customer"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Attachment {
        Attachment {
            id: "att-1".into(),
            account_id: "acc-1".into(),
            parent: AttachmentParent::Quote { quote_id: "q-1".into() },
            file: BlobRef::of(BlobKind::Attachment, "spec.pdf", b"%PDF-1.7\n").unwrap(),
            for_customer: true,
            added_by: "rep-1".into(),
            added_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            deleted: false,
        }
    }

    #[test]
    fn the_rules_hold() {
        assert!(sample().validate().is_ok());
        let mut visit = sample();
        visit.parent = AttachmentParent::Activity { activity_id: "act-1".into() };
        assert!(visit.validate().is_err(), "a visit's photo for the customer");
        visit.for_customer = false;
        assert!(visit.validate().is_ok());
        let mut path = sample();
        path.file.name = "../../etc/passwd".into();
        assert!(path.validate().is_err());
        let mut huge = sample();
        huge.file.size = u64::MAX;
        assert!(huge.validate().is_err());
        let mut kind = sample();
        kind.file.kind = BlobKind::Logo;
        assert!(kind.validate().is_err());
    }
}
