//! The transition rules: which changes to field data are allowed, and for
//! whom. One set of functions that a device runs before it writes and the
//! hub runs after it merges a device's changes (ADR 17, `docs/security.md`).
//!
//! A change is judged as a *transition*: the record as it was accepted
//! (`before`, `None` for a new document) and as it would be (`after`),
//! with the actor taken from the hub's own device registry ([`Actor`]:
//! role, person, device), never from a name written in the record. What
//! the rules need beyond the two records (the discount policy and costs in
//! force, current prices, other documents, which numbers are taken, the
//! hub's clock) comes through [`Facts`]: on a device, its own store; at the
//! hub, the hub's storage inside the transaction that merges the frame.
//!
//! The rules by record:
//! - every record: passes its validation (lengths, characters, counts,
//!   amounts); a record with content never becomes empty; an unchanged
//!   record is always accepted (older data is never refused for rules that
//!   came later);
//! - accounts ([`field`]): customers change nothing; reps edit accounts and
//!   contacts but neither the customer group (it selects prices) nor the
//!   assigned rep, and delete nothing;
//! - activities ([`field`]): logged under the rep's own person; a rep
//!   changes or removes only their own;
//! - discount requests ([`discount`]): made under the requester's person,
//!   decided only by the back office, by another person, once;
//! - quotes ([`quote`]): the state machine, what is immutable in which
//!   state, the discount policy at every send, approvals from the customer
//!   side bound to the current revision and never rewritten, unique numbers;
//! - orders ([`order`]): from an approved quote with exactly its content,
//!   or as a reorder of an existing order of the same account at the prices
//!   in force; never changed afterwards.

mod discount;
mod field;
mod order;
mod quote;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::Timestamp;
use crate::docs::{DocId, Record};
use crate::error::{Error, Result};
use crate::money::Currency;
use crate::quote::{DiscountPolicy, QuoteLine};
use crate::sync::DeviceRole;

/// Who makes a change, as the hub's registry knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// The role behind the device; `None` for a device's own write through
    /// the store's API (the rules that hold for everyone are checked, the
    /// role's permissions are the hub's to check).
    pub role: Option<DeviceRole>,
    /// The person behind the device (a rep id, a back-office user, a
    /// customer contact), from the registry.
    pub person: &'a str,
    /// The device.
    pub device_id: &'a str,
}

impl Actor<'_> {
    /// A device's own write through the store's API.
    pub const LOCAL: Actor<'static> = Actor { role: None, person: "", device_id: "" };

    fn is(&self, role: DeviceRole) -> bool {
        self.role == Some(role)
    }
}

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

/// What the rules know beyond the two records. On a device: its own store;
/// at the hub: the hub's storage in the merging transaction (documents
/// checked earlier in the same frame are seen as merged).
pub trait Facts {
    /// The discount policy in force.
    fn policy(&mut self) -> Result<DiscountPolicy>;
    /// A product's cost, where known.
    fn cost(&mut self, sku: &str) -> Result<Option<Decimal>>;
    /// The unit price the price lists in force give `line.sku` at
    /// `line.qty` for the account on `day`; `None` if the product cannot be
    /// priced (unknown or no longer offered).
    fn current_price(
        &mut self,
        account_id: &str,
        line: &QuoteLine,
        day: NaiveDate,
        currency: Currency,
    ) -> Result<Option<Decimal>>;
    /// Another document's current content.
    fn record(&mut self, id: &DocId) -> Result<Option<Record>>;
    /// The quote that holds `number`, if any.
    fn number_holder(&mut self, number: &str) -> Result<Option<String>>;
    /// An order made from `quote_id`, if any.
    fn order_of_quote(&mut self, quote_id: &str) -> Result<Option<String>>;
    /// The time now (the hub's clock at the hub).
    fn now(&mut self) -> Timestamp;
}

/// Why a rule stopped: a refusal, or a failure to look something up.
pub(crate) enum Stop {
    No(RefusalCode, String),
    Failed(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Failed(e)
    }
}

pub(crate) type Rule = std::result::Result<(), Stop>;

pub(crate) fn no(code: RefusalCode, message: impl Into<String>) -> Stop {
    Stop::No(code, message.into())
}

/// Judges the change of document `id` from `before` to `after` by `actor`.
/// `Ok(None)`: allowed; `Ok(Some(refusal))`: refused; `Err`: a fact could
/// not be looked up.
pub fn check(
    actor: &Actor<'_>,
    id: &DocId,
    before: Option<&Record>,
    after: Option<&Record>,
    facts: &mut dyn Facts,
) -> Result<Option<Refusal>> {
    match judge(actor, before, after, facts) {
        Ok(()) => Ok(None),
        Err(Stop::No(code, message)) => Ok(Some(Refusal { doc: id.to_string(), code, message })),
        Err(Stop::Failed(e)) => Err(e),
    }
}

fn judge(actor: &Actor<'_>, before: Option<&Record>, after: Option<&Record>, facts: &mut dyn Facts) -> Rule {
    let after = match (before, after) {
        (_, Some(a)) => a,
        (None, None) => return Ok(()),
        (Some(_), None) => {
            return Err(no(RefusalCode::DeletionForbidden, "a record cannot be emptied; deletions are marked"));
        }
    };
    if before == Some(after) {
        return Ok(());
    }
    validate(after)?;
    if let Some(b) = before
        && b.account_id() != after.account_id()
    {
        return Err(no(RefusalCode::Immutable, "a record cannot move to another account"));
    }
    match (before, after) {
        (None, Record::Account(a)) => field::account(actor, None, a),
        (Some(Record::Account(b)), Record::Account(a)) => field::account(actor, Some(b), a),
        (None, Record::Activities(a)) => field::activities(actor, None, a),
        (Some(Record::Activities(b)), Record::Activities(a)) => field::activities(actor, Some(b), a),
        (None, Record::Discount(a)) => discount::check(actor, None, a, facts),
        (Some(Record::Discount(b)), Record::Discount(a)) => discount::check(actor, Some(b), a, facts),
        (None, Record::Quote(a)) => quote::check(actor, None, a, facts),
        (Some(Record::Quote(b)), Record::Quote(a)) => quote::check(actor, Some(b), a, facts),
        (None, Record::Order(a)) => order::check(actor, None, a, facts),
        (Some(Record::Order(b)), Record::Order(a)) => order::check(actor, Some(b), a, facts),
        _ => Err(no(RefusalCode::InvalidRecord, "the record changed its kind")),
    }
}

/// The validation every record passes, whoever writes it.
fn validate(r: &Record) -> Rule {
    let invalid = |e: String| no(RefusalCode::InvalidRecord, e);
    match r {
        Record::Account(a) => {
            a.account.validate().map_err(|e| invalid(e.to_string()))?;
            if a.contacts.len() > 500 {
                return Err(invalid("more than 500 contacts on one account".into()));
            }
            for c in &a.contacts {
                c.validate().map_err(|e| invalid(e.to_string()))?;
            }
        }
        Record::Activities(a) => {
            if a.activities.len() > 10_000 {
                return Err(invalid("more than 10000 activities in one month".into()));
            }
            for x in &a.activities {
                x.validate().map_err(|e| invalid(e.to_string()))?;
            }
        }
        Record::Discount(d) => {
            crate::account::check_id("quote id", &d.quote_id).map_err(|e| invalid(e.to_string()))?;
            d.request.validate().map_err(|e| invalid(e.to_string()))?;
        }
        Record::Quote(q) => q.validate().map_err(|e| invalid(e.to_string()))?,
        Record::Order(o) => o.validate().map_err(|e| invalid(e.to_string()))?,
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
