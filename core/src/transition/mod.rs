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

mod actor;
mod attachment;
mod discount;
mod field;
mod order;
mod quote;
pub mod refusal;

pub use actor::Actor;
pub use refusal::{Refusal, RefusalCode};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::crdt::{DocId, Record};
use crate::error::{Error, Result};
use crate::ids::Timestamp;
use crate::money::Currency;
use crate::quote::{DiscountPolicy, QuoteLine};

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
    /// The VAT rate a line of `sku` carries for the account: its tax
    /// class's rate under the account's treatment (`vat::treatment`);
    /// `None` when it cannot be told (an unknown product), which the rules
    /// do not judge.
    fn tax_rate(&mut self, _account_id: &str, _sku: &str) -> Result<Option<Decimal>> {
        Ok(None)
    }
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
        (None, Record::Person(a)) => field::person(actor, None, a),
        (Some(Record::Person(b)), Record::Person(a)) => field::person(actor, Some(b), a),
        (None, Record::Order(a)) => order::check(actor, None, a, facts),
        (Some(Record::Order(b)), Record::Order(a)) => order::check(actor, Some(b), a, facts),
        (None, Record::Attachment(a)) => attachment::check(actor, None, a, facts),
        (Some(Record::Attachment(b)), Record::Attachment(a)) => attachment::check(actor, Some(b), a, facts),
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
            crate::ids::check_id("quote id", &d.quote_id).map_err(|e| invalid(e.to_string()))?;
            d.request.validate().map_err(|e| invalid(e.to_string()))?;
        }
        Record::Quote(q) => q.validate().map_err(|e| invalid(e.to_string()))?,
        Record::Order(o) => o.validate().map_err(|e| invalid(e.to_string()))?,
        Record::Attachment(a) => a.validate().map_err(|e| invalid(e.to_string()))?,
        Record::Person(p) => {
            p.contact.validate().map_err(|e| invalid(e.to_string()))?;
            if p.activities.len() > 10_000 {
                return Err(invalid("more than 10000 activities with one contact".into()));
            }
            for x in &p.activities {
                x.validate().map_err(|e| invalid(e.to_string()))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
