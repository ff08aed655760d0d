//! Quotes: lines with price snapshots, the lifecycle, revisions with a
//! SHA-256 revision hash, customer approval bound to one revision, the
//! discount policy, and orders and reorders. Pure values and functions.
//!
//! States: `draft → sent → approved | rejected | expired → ordered`;
//! `cancelled` from any open state (draft, needs discount approval, sent,
//! approved). A draft over the rep's discount limit moves to
//! `needs_discount_approval` when approval is requested and back to `draft`
//! when the back office decides. Editing a quote that was sent creates a new
//! revision (and makes it a draft again); an approval counts only while its
//! revision hash equals the quote's current one.
//!
//! The room: `mod.rs` the quote and its lines, states, errors and field
//! rules; `approval.rs` the customer's approval bound to one revision;
//! `discount.rs` the discount policy, requests and the back office's
//! decision; `revision.rs` the revision hash and quote numbers;
//! `lifecycle.rs` edits, merges settled, sending, expiry, cancelling;
//! `order.rs` orders and reorders; `listing.rs` the back office's listing.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, DisplayLocale};
use crate::pricing::{self, PricingError, PricingLine, Totals};

mod approval;
mod discount;
mod history;
mod lifecycle;
mod listing;
mod order;
mod revision;

pub use approval::{Approval, ApprovalStatus, CustomerDecision, PrintableApproval, SignerAuth};
pub use discount::{
    CategoryLimit, DEFAULT_LEASE_DAYS, DEFAULT_STORAGE_MIB, DiscountPolicy, DiscountRequest, MAX_LEASE_DAYS,
    PolicyCheck,
};
pub use history::{Difference, compare};
pub use listing::{QuoteListing, QuoteQuery};
pub use order::{Order, reorder};
pub use revision::{is_quote_number, quote_number};

/// Why a quote operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// The action is not allowed in the quote's state.
    #[error("cannot {action} a quote that is {from}")]
    IllegalTransition {
        /// The current state.
        from: QuoteState,
        /// What was attempted.
        action: &'static str,
    },
    /// A discount above the rep's limit has no approval from the back office.
    #[error("discount of {requested_pct} % exceeds the limit of {limit_pct} %; request approval first")]
    DiscountApprovalRequired {
        /// The largest effective discount on the quote.
        requested_pct: Decimal,
        /// The rep's limit for that line.
        limit_pct: Decimal,
    },
    /// A line would sell below the minimum margin over cost.
    #[error("line {line} is below the minimum margin")]
    BelowMarginFloor {
        /// 1-based line position.
        line: usize,
    },
    /// The policy requires a reason for this discount request.
    #[error("a reason is required for a discount request")]
    ReasonRequired,
    /// The quote's validity has ended.
    #[error("the quote expired on {0}")]
    Expired(NaiveDate),
    /// The approval was given for another revision.
    #[error("the approval is for another revision; the current revision is {current}")]
    StaleApproval {
        /// The quote's current revision number.
        current: u32,
    },
    /// A quote without lines cannot be sent.
    #[error("a quote needs at least one line")]
    Empty,
    /// A field broke a rule.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Pricing failed.
    #[error(transparent)]
    Pricing(#[from] PricingError),
}

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum QuoteState {
    /// Being edited by the rep.
    Draft,
    /// Over the rep's discount limit, waiting for the back office.
    NeedsDiscountApproval,
    /// Sent to the customer.
    Sent,
    /// Approved by the customer (for the revision in the approval).
    Approved,
    /// Rejected by the customer.
    Rejected,
    /// Its validity ended before approval.
    Expired,
    /// Turned into an order.
    Ordered,
    /// Withdrawn.
    Cancelled,
}

impl QuoteState {
    /// Every state, in the order of the lifecycle.
    pub const ALL: [QuoteState; 8] = [
        QuoteState::Draft,
        QuoteState::NeedsDiscountApproval,
        QuoteState::Sent,
        QuoteState::Approved,
        QuoteState::Rejected,
        QuoteState::Expired,
        QuoteState::Ordered,
        QuoteState::Cancelled,
    ];

    /// The stored name, e.g. `needs_discount_approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteState::Draft => "draft",
            QuoteState::NeedsDiscountApproval => "needs_discount_approval",
            QuoteState::Sent => "sent",
            QuoteState::Approved => "approved",
            QuoteState::Rejected => "rejected",
            QuoteState::Expired => "expired",
            QuoteState::Ordered => "ordered",
            QuoteState::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<QuoteState> {
        QuoteState::ALL.into_iter().find(|q| q.as_str() == s)
    }

    fn is_open(self) -> bool {
        matches!(self, QuoteState::Draft | QuoteState::NeedsDiscountApproval | QuoteState::Sent | QuoteState::Approved)
    }
}

impl std::fmt::Display for QuoteState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

/// One line of a quote, with a snapshot of the product at quoting time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QuoteLine {
    /// SKU (empty for a free line such as a service).
    pub sku: String,
    /// Name at quoting time.
    pub name: String,
    /// Unit of measure.
    pub unit: String,
    /// Category (selects the discount limit).
    pub category: String,
    /// Quantity.
    pub qty: Decimal,
    /// Unit price at quoting time.
    pub unit_price: Decimal,
    /// Line discount in percent.
    pub discount_pct: Decimal,
    /// VAT rate in percent.
    pub tax_rate_pct: Decimal,
    /// A consumable (listed first on reorders).
    pub c_part: bool,
    /// A position that counts, or an optional or alternative one the
    /// customer chooses (docs/pricing.md).
    #[serde(default, skip_serializing_if = "Position::is_standard")]
    pub position: Position,
    /// Whether the customer chose this optional or alternative position
    /// (it then counts in the totals); ignored for a standard position.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chosen: bool,
}

/// What a line is: a position that counts, an optional position
/// ("Optionale Position") that counts once chosen, or one of a group of
/// alternatives ("Alternativposition") of which exactly the chosen one counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Position {
    /// Counts in the totals.
    #[default]
    Standard,
    /// Counts once the customer chose it.
    Optional,
    /// One of the alternatives of `group`: the chosen one counts.
    Alternative {
        /// The group's key (e.g. `A`), the same on each alternative.
        group: String,
    },
}

/// One line's new position, for [`Quote::set_positions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PositionChange {
    /// The line (0-based).
    pub index: u32,
    /// Standard, optional or one of a group of alternatives.
    pub position: Position,
    /// Whether it is chosen (counts).
    pub chosen: bool,
}

impl Position {
    /// Whether it is a standard position.
    pub fn is_standard(&self) -> bool {
        matches!(self, Position::Standard)
    }
}

impl QuoteLine {
    /// Whether the line counts in the totals: a standard position, or an
    /// optional or alternative one that was chosen.
    pub fn counts(&self) -> bool {
        self.position.is_standard() || self.chosen
    }

    /// The line as pricing sees it.
    pub fn pricing_line(&self) -> PricingLine {
        PricingLine {
            qty: self.qty,
            unit: self.unit.clone(),
            unit_price: self.unit_price,
            discount_pct: self.discount_pct,
            tax_rate_pct: self.tax_rate_pct,
        }
    }
}

/// A quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Quote {
    /// Stable id (a UUID).
    pub id: String,
    /// Human number, e.g. `Q-4F2A9C01`.
    pub number: String,
    /// The customer account.
    pub account_id: String,
    /// The contact it is addressed to.
    pub contact_id: Option<String>,
    /// The rep who made it.
    pub rep: String,
    /// Currency of every price.
    pub currency: Currency,
    /// Language and formats of documents.
    pub locale: DisplayLocale,
    /// Last day the offer holds (inclusive).
    pub valid_until: NaiveDate,
    /// Payment terms.
    pub payment_terms: String,
    /// Delivery terms.
    pub delivery_terms: String,
    /// Free notes.
    pub notes: String,
    /// Lines, in order.
    pub lines: Vec<QuoteLine>,
    /// Header discount in percent.
    pub header_discount_pct: Decimal,
    /// Attached value arguments (ids of case studies, customer stories).
    pub value_arguments: Vec<String>,
    /// Where it stands.
    pub state: QuoteState,
    /// Revision number, from 1; grows when a sent quote is edited.
    pub revision: u32,
    /// SHA-256 of the revision's canonical encoding, hex.
    pub revision_hash: String,
    /// The discount approval request, if any.
    pub discount_request: Option<DiscountRequest>,
    /// The customer's approval, if any (check [`Quote::approval_status`]).
    pub approval: Option<Approval>,
    /// The customer's reason for a rejection.
    pub rejection_reason: Option<String>,
    /// The revision hash the quote was last sent with: a send and a
    /// concurrent edit of the content merge into a draft, never into a
    /// "sent" quote whose content nobody sent (see [`Quote::settle`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub sent_hash: Option<String>,
}

/// Most lines a quote or an order may have.
pub const MAX_LINES: usize = 1000;
/// Largest quantity or unit price on a line.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

fn check_line(field: &'static str, i: usize, l: &QuoteLine) -> Result<(), QuoteError> {
    // "line 2: the unit is empty", not "invalid lines: line 2: invalid unit: …".
    let invalid = |e: crate::rules::FieldError| QuoteError::Invalid {
        field,
        reason: format!("line {}: the {} {}", i + 1, e.field.strip_prefix("line ").unwrap_or(e.field), e.reason),
    };
    if !l.sku.is_empty() {
        crate::rules::key("sku", &l.sku, 64).map_err(invalid)?;
    }
    crate::rules::line("line name", &l.name, 300, true).map_err(invalid)?;
    crate::rules::line("unit", &l.unit, 20, true).map_err(invalid)?;
    crate::rules::line("category", &l.category, 200, false).map_err(invalid)?;
    if l.qty > MAX_AMOUNT || l.unit_price > MAX_AMOUNT {
        return Err(QuoteError::Invalid { field, reason: format!("line {}: amount is implausibly large", i + 1) });
    }
    Ok(())
}

/// The alternatives' rules: a group has at least two lines and exactly one
/// chosen (the one that counts); a group key is a short key.
fn check_positions(lines: &[QuoteLine]) -> Result<(), QuoteError> {
    let invalid = |reason: String| QuoteError::Invalid { field: "positions", reason };
    let mut groups: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (i, l) in lines.iter().enumerate() {
        if l.position.is_standard() && l.chosen {
            return Err(invalid(format!("line {}: a standard position is not chosen, it always counts", i + 1)));
        }
        if let Position::Alternative { group } = &l.position {
            crate::rules::key("alternative group", group, 20).map_err(|e| invalid(format!("line {}: {e}", i + 1)))?;
            let g = groups.entry(group).or_default();
            g.0 += 1;
            g.1 += usize::from(l.chosen);
        }
    }
    for (group, (n, chosen)) in groups {
        if n < 2 {
            return Err(invalid(format!("alternative group {group} needs at least two lines")));
        }
        if chosen != 1 {
            return Err(invalid(format!("exactly one line of alternative group {group} is chosen, not {chosen}")));
        }
    }
    Ok(())
}

impl Quote {
    /// A new draft at revision 1.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        account_id: String,
        contact_id: Option<String>,
        rep: String,
        currency: Currency,
        locale: DisplayLocale,
        valid_until: NaiveDate,
    ) -> Quote {
        let number = quote_number(&id, 0);
        let mut q = Quote {
            id,
            number,
            account_id,
            contact_id,
            rep,
            currency,
            locale,
            valid_until,
            payment_terms: "30 Tage netto".into(),
            delivery_terms: "frei Haus ab 250 € netto".into(),
            notes: String::new(),
            lines: Vec::new(),
            header_discount_pct: Decimal::ZERO,
            value_arguments: Vec::new(),
            state: QuoteState::Draft,
            revision: 1,
            revision_hash: String::new(),
            discount_request: None,
            approval: None,
            rejection_reason: None,
            sent_hash: None,
        };
        q.revision_hash = q.compute_hash();
        q
    }

    /// The lines as pricing sees them.
    pub fn pricing_lines(&self) -> Vec<PricingLine> {
        self.lines.iter().map(QuoteLine::pricing_line).collect()
    }

    /// Totals, always recomputed from the lines: optional and alternative
    /// positions count only when chosen; every line's net is reported.
    pub fn totals(&self) -> Result<Totals, QuoteError> {
        let counted: Vec<bool> = self.lines.iter().map(QuoteLine::counts).collect();
        Ok(pricing::totals_of_counted(&self.pricing_lines(), &counted, self.header_discount_pct, self.currency)?)
    }

    fn require(&self, allowed: &[QuoteState], action: &'static str) -> Result<(), QuoteError> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(QuoteError::IllegalTransition { from: self.state, action })
        }
    }

    /// Checks every field: ids, lengths and characters of the texts (no
    /// control or bidirectional-override characters), line count and
    /// amounts, the approval, and that the lines price.
    pub fn validate(&self) -> Result<(), QuoteError> {
        let text = |field: &'static str, v: &str, max: usize| {
            crate::rules::text(field, v, max, false, true)
                .map_err(|e| QuoteError::Invalid { field, reason: e.to_string() })
        };
        let id = |field: &'static str, v: &str| {
            crate::ids::check_id(field, v).map_err(|e| QuoteError::Invalid { field, reason: e.to_string() })
        };
        id("quote id", &self.id)?;
        id("account id", &self.account_id)?;
        if let Some(c) = &self.contact_id {
            id("contact id", c)?;
        }
        if !is_quote_number(&self.number) {
            return Err(QuoteError::Invalid { field: "number", reason: "is not a quote number".into() });
        }
        crate::rules::line("rep", &self.rep, 64, true)
            .map_err(|e| QuoteError::Invalid { field: "rep", reason: e.to_string() })?;
        text("payment terms", &self.payment_terms, 2000)?;
        text("delivery terms", &self.delivery_terms, 2000)?;
        text("notes", &self.notes, 20_000)?;
        if let Some(r) = &self.rejection_reason {
            text("rejection reason", r, 2000)?;
        }
        if self.lines.len() > MAX_LINES {
            return Err(QuoteError::Invalid { field: "lines", reason: format!("more than {MAX_LINES} lines") });
        }
        for (i, l) in self.lines.iter().enumerate() {
            check_line("lines", i, l)?;
        }
        check_positions(&self.lines)?;
        if self.value_arguments.len() > 50 {
            return Err(QuoteError::Invalid { field: "value arguments", reason: "more than 50".into() });
        }
        for v in &self.value_arguments {
            crate::rules::key("value argument", v, 64)
                .map_err(|e| QuoteError::Invalid { field: "value arguments", reason: e.to_string() })?;
        }
        if self.revision == 0 || self.revision > 10_000 {
            return Err(QuoteError::Invalid { field: "revision", reason: "must be 1 to 10000".into() });
        }
        if let Some(a) = &self.approval {
            a.validate()?;
        }
        if let Some(r) = &self.discount_request {
            r.validate()?;
        }
        self.totals().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::quote;
    use super::*;

    #[test]
    fn validation_refuses_hostile_text_sizes_and_counts() {
        let base = quote();
        type Case = (&'static str, Box<dyn Fn(&mut Quote)>);
        let cases: Vec<Case> = vec![
            ("NUL in a line name", Box::new(|q| q.lines[0].name = "Schraube\u{0}".into())),
            ("right-to-left override", Box::new(|q| q.lines[0].name = "Schraube \u{202e}gnuhcs".into())),
            ("1 MiB name", Box::new(|q| q.lines[0].name = "x".repeat(1 << 20))),
            ("3 MiB notes", Box::new(|q| q.notes = "x".repeat(3 << 20))),
            ("5,000 lines", Box::new(|q| q.lines = vec![q.lines[0].clone(); 5000])),
            ("huge quantity", Box::new(|q| q.lines[0].qty = Decimal::new(4, 0) * MAX_AMOUNT)),
            ("bad number", Box::new(|q| q.number = "Q-<script>".into())),
            ("blank rep", Box::new(|q| q.rep = " ".into())),
            ("control in a unit", Box::new(|q| q.lines[0].unit = "pc\u{7}".into())),
        ];
        for (what, f) in cases {
            let mut q = base.clone();
            f(&mut q);
            assert!(matches!(q.validate(), Err(QuoteError::Invalid { .. })), "{what} accepted");
        }
        assert_eq!(base.validate(), Ok(()));
        // The message names the line and the field once, in plain words.
        let mut q = base.clone();
        q.lines[0].name = "Schraube\u{0}".into();
        assert_eq!(
            q.validate().unwrap_err().to_string(),
            "invalid lines: line 1: the name contains control characters"
        );
        let mut q = base;
        q.lines[0].unit = String::new();
        assert_eq!(q.validate().unwrap_err().to_string(), "invalid lines: line 1: the unit is empty");
    }
}

/// What the tests of every file of the room start from.
#[cfg(test)]
mod test_support {
    use super::*;
    use crate::fixtures::{self, dec as d, now};

    pub(super) fn line(sku: &str, qty: &str, price: &str, disc: &str, category: &str, c_part: bool) -> QuoteLine {
        QuoteLine { category: category.into(), discount_pct: d(disc), c_part, ..fixtures::line(sku, d(qty), d(price)) }
    }

    pub(super) fn quote() -> Quote {
        fixtures::quote(
            "q-1",
            vec![
                line("A", "100", "0.12", "5", "Schrauben", true),
                line("B", "1", "189.00", "0", "Werkzeug/Elektro", false),
            ],
        )
    }

    /// Signed on the rep's tablet, on site.
    pub(super) fn approval(q: &Quote) -> Approval {
        Approval { auth: SignerAuth::RepDeviceOnSite, ..fixtures::approval(q, "Anna Weiß", "tablet-7", now()) }
    }

    pub(super) const NO_COST: &dyn Fn(&str) -> Option<Decimal> = &|_| None;
}
