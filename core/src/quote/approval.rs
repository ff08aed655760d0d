//! The customer's approval, bound to one revision by its hash: who signed
//! and how, its status against the current revision, the customer's
//! decision (approve or reject) as a transition.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Quote, QuoteError, QuoteState};
use crate::ids::Timestamp;

/// How a signer proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum SignerAuth {
    /// Signed on the rep's device at the customer's site.
    RepDeviceOnSite,
    /// On the customer's own device.
    CustomerDevice,
    /// Through a signed web link.
    WebLink,
}

/// What a document may print about a quote's approval
/// ([`Quote::printable_approval`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintableApproval<'a> {
    /// Approved: for the hash of exactly this content.
    Approved(&'a Approval),
    /// No approval.
    None,
    /// The content differs from the revision hash it carries (edited after
    /// hashing, or forged): printed as not approved.
    ContentChanged {
        /// The hash of the content as it is.
        computed: String,
    },
    /// The approval is for another revision.
    OtherRevision {
        /// The hash the approval is for.
        approved: String,
    },
}

impl PrintableApproval<'_> {
    /// Why the document is not printed as approved (`None` if it is, or if
    /// there is no approval at all), in plain words.
    pub fn refusal(&self) -> Option<String> {
        match self {
            PrintableApproval::Approved(_) | PrintableApproval::None => None,
            PrintableApproval::ContentChanged { computed } => Some(format!(
                "the quote's content does not match its revision hash (the content hashes to {}…): \
                 the approval is not printed",
                computed.get(..16).unwrap_or(computed)
            )),
            PrintableApproval::OtherRevision { approved } => Some(format!(
                "the approval is for another revision ({}…): the quote is printed as not approved",
                approved.get(..16).unwrap_or(approved)
            )),
        }
    }
}

/// A customer's approval of one exact revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Approval {
    /// The quote approved.
    pub quote_id: String,
    /// The revision hash approved.
    pub revision_hash: String,
    /// Signer's name.
    pub signer_name: String,
    /// Signer's role, e.g. `Einkaufsleiterin`.
    pub signer_role: String,
    /// How the signer was authenticated.
    pub auth: SignerAuth,
    /// The device's clock when signing.
    pub device_time: Timestamp,
    /// The signing device.
    pub device_id: String,
    /// For an approval through a web link: the client address the hub saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_address: Option<String>,
}

/// A customer's answer to a sent quote, as the hub records it from a web
/// link: both are bound to the revision the customer saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerDecision {
    /// Approve (the approval names the revision hash).
    Approve(Approval),
    /// Reject the revision with this hash, for a reason.
    Reject {
        /// The revision the customer saw.
        revision_hash: String,
        /// Why.
        reason: String,
    },
}

/// Whether the customer's approval holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ApprovalStatus {
    /// No approval recorded.
    NotApproved,
    /// Approved, for the current revision.
    Approved,
    /// An approval exists for an earlier revision: "approval superseded by revision N".
    Superseded {
        /// The revision that superseded it.
        current_revision: u32,
    },
}

impl Approval {
    /// Checks ids, the hash's shape, lengths and characters.
    pub fn validate(&self) -> Result<(), QuoteError> {
        let invalid = |e: crate::rules::FieldError| QuoteError::Invalid { field: "approval", reason: e.to_string() };
        crate::ids::check_id("quote id", &self.quote_id).map_err(invalid)?;
        crate::ids::check_id("device id", &self.device_id).map_err(invalid)?;
        if self.revision_hash.len() != 64 || !self.revision_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(QuoteError::Invalid { field: "approval", reason: "the revision hash is not a SHA-256".into() });
        }
        crate::rules::line("signer name", &self.signer_name, 200, true).map_err(invalid)?;
        crate::rules::line("signer role", &self.signer_role, 100, false).map_err(invalid)?;
        if let Some(a) = &self.client_address {
            crate::rules::line("client address", a, 64, true).map_err(invalid)?;
        }
        Ok(())
    }
}

impl Quote {
    /// Whether the customer's approval holds for the current revision.
    pub fn approval_status(&self) -> ApprovalStatus {
        match &self.approval {
            None => ApprovalStatus::NotApproved,
            Some(a) if a.revision_hash == self.revision_hash => ApprovalStatus::Approved,
            Some(_) => ApprovalStatus::Superseded { current_revision: self.revision },
        }
    }

    /// Whether a document may print this quote as approved, judged from its
    /// content: the approval must be for the hash of exactly the content
    /// printed (computed here, never taken from `revision_hash`), and that
    /// hash must be the quote's revision hash.
    pub fn printable_approval(&self) -> PrintableApproval<'_> {
        let computed = self.compute_hash();
        match &self.approval {
            None => PrintableApproval::None,
            Some(_) if computed != self.revision_hash => PrintableApproval::ContentChanged { computed },
            Some(a) if a.revision_hash == computed => PrintableApproval::Approved(a),
            Some(a) => PrintableApproval::OtherRevision { approved: a.revision_hash.clone() },
        }
    }

    /// Records the customer's approval of the current revision.
    pub fn approve(&mut self, approval: Approval, today: NaiveDate) -> Result<(), QuoteError> {
        self.require(&[QuoteState::Sent], "approve")?;
        if approval.quote_id != self.id {
            return Err(QuoteError::Invalid { field: "approval", reason: "is for another quote".into() });
        }
        if today > self.valid_until {
            self.state = QuoteState::Expired;
            return Err(QuoteError::Expired(self.valid_until));
        }
        if approval.revision_hash != self.revision_hash {
            return Err(QuoteError::StaleApproval { current: self.revision });
        }
        self.approval = Some(approval);
        self.state = QuoteState::Approved;
        Ok(())
    }

    /// Records a customer's decision on the revision they saw: an approval
    /// or a rejection of an earlier revision is refused as stale.
    pub fn decide(&mut self, decision: CustomerDecision, today: NaiveDate) -> Result<(), QuoteError> {
        match decision {
            CustomerDecision::Approve(approval) => self.approve(approval, today),
            CustomerDecision::Reject { revision_hash, reason } => {
                self.require(&[QuoteState::Sent], "reject")?;
                if revision_hash != self.revision_hash {
                    return Err(QuoteError::StaleApproval { current: self.revision });
                }
                self.reject(Some(reason))
            }
        }
    }

    /// Records the customer's rejection.
    pub fn reject(&mut self, reason: Option<String>) -> Result<(), QuoteError> {
        self.require(&[QuoteState::Sent], "reject")?;
        self.rejection_reason = reason.filter(|r| !r.trim().is_empty());
        self.state = QuoteState::Rejected;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::DiscountPolicy;
    use super::super::test_support::{NO_COST, approval, quote};
    use super::*;
    use crate::fixtures::{date as day, dec as d};

    #[test]
    fn editing_a_sent_quote_supersedes_the_approval() {
        let policy = DiscountPolicy::default();
        let mut q = quote();
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        let offline_approval = approval(&q); // the customer signs revision 1 offline
        q.edit(|q| q.lines[0].qty = d("200")).unwrap();
        assert_eq!((q.state, q.revision), (QuoteState::Draft, 2));
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        assert_eq!(
            q.approve(offline_approval.clone(), day("2026-03-11")),
            Err(QuoteError::StaleApproval { current: 2 })
        );
        let mut elsewhere = approval(&q);
        elsewhere.quote_id = "another-quote".into();
        assert!(matches!(q.approve(elsewhere, day("2026-03-11")), Err(QuoteError::Invalid { field: "approval", .. })));
        // An approval recorded before the edit reports itself superseded.
        let mut q2 = quote();
        q2.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        q2.approve(approval(&q2), day("2026-03-11")).unwrap();
        q2.edit(|q| q.header_discount_pct = d("2")).unwrap();
        assert_eq!(q2.approval_status(), ApprovalStatus::Superseded { current_revision: 2 });
        assert_eq!(q2.state, QuoteState::Draft);
        // Editing a draft keeps the revision number; an edit that changes nothing keeps the hash.
        let h = q2.revision_hash.clone();
        q2.edit(|_| {}).unwrap();
        assert_eq!((q2.revision, &q2.revision_hash), (2, &h));
        q2.edit(|q| q.notes = "Lieferung KW 14".into()).unwrap();
        assert_eq!(q2.revision, 2);
        assert_ne!(q2.revision_hash, h);
    }
}
