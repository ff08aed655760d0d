//! How a change is refused: a code a program can act on, and the refused
//! document with the reason in plain words. The sync protocol carries them
//! in refusal frames; the crate's error wraps them.

use serde::{Deserialize, Serialize};

/// Why a change was refused, as a code a program can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The record breaks a validation rule (length, characters, count, amount).
    InvalidRecord,
    /// The role may not make this change at all.
    NotPermitted,
    /// The quote's state may not move this way.
    IllegalTransition,
    /// A field that may not change (any more) was changed.
    Immutable,
    /// A discount above the limit without a granted request.
    DiscountApprovalRequired,
    /// A line below the minimum margin over cost.
    BelowMarginFloor,
    /// An approval that is not bound to the current revision, not by the
    /// customer side, or rewrites an earlier one.
    ApprovalInvalid,
    /// An order without an approved quote, or a reorder of an order that
    /// does not exist (in this account).
    OrderUnbacked,
    /// A price that differs from the price lists in force.
    PriceMismatch,
    /// A deletion the role may not make, or a record emptied.
    DeletionForbidden,
    /// The quote number is another quote's.
    NumberTaken,
    /// A person or device written into the record is not the one behind
    /// the device.
    IdentityMismatch,
}

impl RefusalCode {
    /// Every code.
    pub const ALL: [RefusalCode; 12] = [
        RefusalCode::InvalidRecord,
        RefusalCode::NotPermitted,
        RefusalCode::IllegalTransition,
        RefusalCode::Immutable,
        RefusalCode::DiscountApprovalRequired,
        RefusalCode::BelowMarginFloor,
        RefusalCode::ApprovalInvalid,
        RefusalCode::OrderUnbacked,
        RefusalCode::PriceMismatch,
        RefusalCode::DeletionForbidden,
        RefusalCode::NumberTaken,
        RefusalCode::IdentityMismatch,
    ];

    /// The code's name, e.g. `discount_approval_required`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::InvalidRecord => "invalid_record",
            RefusalCode::NotPermitted => "not_permitted",
            RefusalCode::IllegalTransition => "illegal_transition",
            RefusalCode::Immutable => "immutable",
            RefusalCode::DiscountApprovalRequired => "discount_approval_required",
            RefusalCode::BelowMarginFloor => "below_margin_floor",
            RefusalCode::ApprovalInvalid => "approval_invalid",
            RefusalCode::OrderUnbacked => "order_unbacked",
            RefusalCode::PriceMismatch => "price_mismatch",
            RefusalCode::DeletionForbidden => "deletion_forbidden",
            RefusalCode::NumberTaken => "number_taken",
            RefusalCode::IdentityMismatch => "identity_mismatch",
        }
    }

    /// Parses a code's name.
    pub fn parse(s: &str) -> Option<RefusalCode> {
        RefusalCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused change: which document, the code, and the reason in plain
/// words (names fields and numbers, never personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The document, e.g. `quote/<id>`.
    pub doc: String,
    /// What kind of rule refused it.
    pub code: RefusalCode,
    /// Why, in plain words.
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "change to {} refused ({}): {}", self.doc, self.code, self.message)
    }
}
