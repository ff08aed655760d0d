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

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::Timestamp;
use crate::money::{Currency, DisplayLocale};
use crate::pricing::{self, PricingError, PricingLine, Totals};

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
}

impl QuoteLine {
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

/// A rep's request for a discount above their limit, and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DiscountRequest {
    /// Who asked (rep id).
    pub requested_by: String,
    /// The largest effective discount asked for, in percent.
    pub requested_pct: Decimal,
    /// Why.
    pub reason: String,
    /// When.
    pub requested_at: Timestamp,
    /// Who decided (back-office user), once decided.
    pub decided_by: Option<String>,
    /// Approved or not, once decided.
    pub approved: Option<bool>,
    /// When it was decided.
    pub decided_at: Option<Timestamp>,
    /// The back office's reason for its decision, shown to the rep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub decision_reason: Option<String>,
}

impl DiscountRequest {
    /// Checks lengths, characters and percentages.
    pub fn validate(&self) -> Result<(), QuoteError> {
        let invalid =
            |field: &'static str, e: crate::rules::FieldError| QuoteError::Invalid { field, reason: e.to_string() };
        crate::rules::line("requested by", &self.requested_by, 64, true).map_err(|e| invalid("requested by", e))?;
        crate::rules::text("discount reason", &self.reason, 2000, false, true)
            .map_err(|e| invalid("discount reason", e))?;
        if let Some(by) = &self.decided_by {
            crate::rules::line("decided by", by, 64, true).map_err(|e| invalid("decided by", e))?;
        }
        if let Some(r) = &self.decision_reason {
            crate::rules::text("decision reason", r, 2000, false, true).map_err(|e| invalid("decision reason", e))?;
        }
        if self.requested_pct < Decimal::ZERO || self.requested_pct > Decimal::ONE_HUNDRED {
            return Err(QuoteError::Invalid { field: "requested discount", reason: "must be 0 to 100 %".into() });
        }
        let decided = [self.decided_by.is_some(), self.approved.is_some(), self.decided_at.is_some()];
        if decided.iter().any(|d| *d) && !decided.iter().all(|d| *d) {
            return Err(QuoteError::Invalid {
                field: "discount decision",
                reason: "needs who, what and when together".into(),
            });
        }
        Ok(())
    }

    /// Whether the back office has decided it.
    pub fn decided(&self) -> bool {
        self.approved.is_some()
    }
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

/// The back office's rules for discounts (reference data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DiscountPolicy {
    /// Largest effective discount a rep may give without approval, in percent.
    pub max_discount_pct: Decimal,
    /// Tighter or looser limits per category (prefix match, longest wins).
    pub category_limits: Vec<CategoryLimit>,
    /// No line may sell below cost × (1 + this / 100).
    pub min_margin_pct: Decimal,
    /// Whether a discount request must give a reason.
    pub reason_required: bool,
    /// The offline lease: days a device may go without reaching the hub
    /// before it opens only to sync (ADR 23); 0 turns the lease off.
    /// Default 30.
    #[serde(default = "default_lease_days")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 30))]
    pub offline_lease_days: u32,
}

/// The offline lease unless the policy says otherwise.
pub const DEFAULT_LEASE_DAYS: u32 = 30;
/// The longest offline lease a policy may set.
pub const MAX_LEASE_DAYS: u32 = 365;

fn default_lease_days() -> u32 {
    DEFAULT_LEASE_DAYS
}

/// A category's discount limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CategoryLimit {
    /// Category or category prefix, e.g. `Werkzeug/`.
    pub category: String,
    /// Limit in percent.
    pub max_discount_pct: Decimal,
}

impl Default for DiscountPolicy {
    fn default() -> Self {
        DiscountPolicy {
            max_discount_pct: Decimal::new(10, 0),
            category_limits: Vec::new(),
            min_margin_pct: Decimal::ZERO,
            reason_required: true,
            offline_lease_days: DEFAULT_LEASE_DAYS,
        }
    }
}

/// What the policy says about a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PolicyCheck {
    /// Largest effective discount on any line (line and header combined).
    pub max_effective_pct: Decimal,
    /// The limit of that line.
    pub limit_pct: Decimal,
    /// Approval needed before sending.
    pub needs_approval: bool,
    /// Positions (1-based) of lines below the margin floor.
    pub below_floor: Vec<u32>,
}

impl DiscountPolicy {
    /// Checks the policy: percentages between 0 and 100, a margin floor not
    /// below 0, a lease of at most [`MAX_LEASE_DAYS`].
    pub fn validate(&self) -> Result<(), crate::rules::FieldError> {
        let pct_ok = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED;
        if !pct_ok(self.max_discount_pct)
            || !self.category_limits.iter().all(|l| pct_ok(l.max_discount_pct))
            || self.min_margin_pct < Decimal::ZERO
        {
            return Err(crate::rules::FieldError::new("discount policy", "percentages must be between 0 and 100"));
        }
        if self.offline_lease_days > MAX_LEASE_DAYS {
            return Err(crate::rules::FieldError::new(
                "offline_lease_days",
                format!("must be between 0 (no lease) and {MAX_LEASE_DAYS}"),
            ));
        }
        Ok(())
    }

    /// The limit for a category: the longest matching category prefix, else the overall limit.
    pub fn limit_for(&self, category: &str) -> Decimal {
        self.category_limits
            .iter()
            .filter(|c| category.starts_with(&c.category))
            .max_by_key(|c| c.category.len())
            .map_or(self.max_discount_pct, |c| c.max_discount_pct)
    }

    /// Checks a quote; `cost` gives a SKU's cost, where known (never shown to customers).
    pub fn check(&self, q: &Quote, cost: &dyn Fn(&str) -> Option<Decimal>) -> PolicyCheck {
        self.check_against(q, cost, &|_| None)
    }

    /// [`DiscountPolicy::check`] against the prices in force: `reference`
    /// gives a line's price from the price lists today (where known); a
    /// unit price below it counts as discount too, so a lowered price is
    /// held to the same limit as a discount.
    pub fn check_against(
        &self,
        q: &Quote,
        cost: &dyn Fn(&str) -> Option<Decimal>,
        reference: &dyn Fn(&QuoteLine) -> Option<Decimal>,
    ) -> PolicyCheck {
        let header = Decimal::ONE - q.header_discount_pct / Decimal::ONE_HUNDRED;
        let mut worst = (Decimal::ZERO, self.max_discount_pct, false);
        let mut below = Vec::new();
        for (i, l) in q.lines.iter().enumerate() {
            let mut keep = (Decimal::ONE - l.discount_pct / Decimal::ONE_HUNDRED) * header;
            if let Some(r) = reference(l).filter(|r| *r > l.unit_price && *r > Decimal::ZERO) {
                keep *= l.unit_price / r;
            }
            let effective = ((Decimal::ONE - keep) * Decimal::ONE_HUNDRED).round_dp(4).normalize();
            let limit = self.limit_for(&l.category);
            if effective > limit && (!worst.2 || effective > worst.0) {
                worst = (effective, limit, true);
            } else if !worst.2 && effective > worst.0 {
                worst = (effective, limit, false);
            }
            if let Some(c) = cost(&l.sku) {
                let floor = c * (Decimal::ONE + self.min_margin_pct / Decimal::ONE_HUNDRED);
                if l.unit_price * keep < floor {
                    below.push(i as u32 + 1);
                }
            }
        }
        PolicyCheck { max_effective_pct: worst.0, limit_pct: worst.1, needs_approval: worst.2, below_floor: below }
    }
}

/// The content of a revision, in its canonical order: what the hash covers.
#[derive(Serialize)]
struct Canonical<'a> {
    format: &'static str,
    id: &'a str,
    number: &'a str,
    account_id: &'a str,
    contact_id: Option<&'a str>,
    currency: &'a str,
    locale: &'a str,
    valid_until: String,
    payment_terms: &'a str,
    delivery_terms: &'a str,
    notes: &'a str,
    header_discount_pct: String,
    value_arguments: &'a [String],
    lines: Vec<[String; 8]>,
}

fn norm(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Most lines a quote or an order may have.
pub const MAX_LINES: usize = 1000;
/// Largest quantity or unit price on a line.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The human quote number for the quote `id`: `Q-` and 12 Crockford
/// base-32 characters in groups of four (`Q-7K3M-Q9XD-2F8A`), 60 bits of
/// SHA-256 of the id (and of `attempt`, from 0, for a renumbering after a
/// clash). At a million quotes the chance that any two share a number is
/// about 4 × 10⁻⁷; the hub refuses a clash anyway (ADR 17).
pub fn quote_number(id: &str, attempt: u32) -> String {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    if attempt > 0 {
        h.update(attempt.to_be_bytes());
    }
    let digest = h.finalize();
    let bits = digest[..8].iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) >> 4;
    let mut out = String::from("Q-");
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(CROCKFORD[((bits >> (55 - 5 * i)) & 31) as usize]));
    }
    out
}

/// Whether `n` has the shape of a quote number (this scheme's or the
/// earlier `Q-` and 8 characters).
pub fn is_quote_number(n: &str) -> bool {
    n.strip_prefix("Q-").is_some_and(|rest| {
        (1..=20).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    })
}

fn check_line(field: &'static str, i: usize, l: &QuoteLine) -> Result<(), QuoteError> {
    let invalid = |e: crate::rules::FieldError| QuoteError::Invalid { field, reason: format!("line {}: {e}", i + 1) };
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

    /// The canonical encoding of the revision's content: a JSON object with
    /// a fixed field order and normalised decimals (`1.50 → 1.5`), UTF-8.
    /// Identical content gives identical bytes on every platform.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let c = Canonical {
            format: "onsite-quote-revision-1",
            id: &self.id,
            number: &self.number,
            account_id: &self.account_id,
            contact_id: self.contact_id.as_deref(),
            currency: self.currency.code(),
            locale: self.locale.tag(),
            valid_until: self.valid_until.to_string(),
            payment_terms: &self.payment_terms,
            delivery_terms: &self.delivery_terms,
            notes: &self.notes,
            header_discount_pct: norm(self.header_discount_pct),
            value_arguments: &self.value_arguments,
            lines: self
                .lines
                .iter()
                .map(|l| {
                    [
                        l.sku.clone(),
                        l.name.clone(),
                        l.unit.clone(),
                        norm(l.qty),
                        norm(l.unit_price),
                        norm(l.discount_pct),
                        norm(l.tax_rate_pct),
                        l.category.clone(),
                    ]
                })
                .collect(),
        };
        serde_json::to_vec(&c).unwrap_or_default()
    }

    /// SHA-256 of [`Quote::canonical_bytes`], lower-case hex.
    pub fn compute_hash(&self) -> String {
        let digest = Sha256::digest(self.canonical_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The lines as pricing sees them.
    pub fn pricing_lines(&self) -> Vec<PricingLine> {
        self.lines.iter().map(QuoteLine::pricing_line).collect()
    }

    /// Totals, always recomputed from the lines.
    pub fn totals(&self) -> Result<Totals, QuoteError> {
        Ok(pricing::totals(&self.pricing_lines(), self.header_discount_pct, self.currency)?)
    }

    /// Whether the customer's approval holds for the current revision.
    pub fn approval_status(&self) -> ApprovalStatus {
        match &self.approval {
            None => ApprovalStatus::NotApproved,
            Some(a) if a.revision_hash == self.revision_hash => ApprovalStatus::Approved,
            Some(_) => ApprovalStatus::Superseded { current_revision: self.revision },
        }
    }

    fn require(&self, allowed: &[QuoteState], action: &'static str) -> Result<(), QuoteError> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(QuoteError::IllegalTransition { from: self.state, action })
        }
    }

    /// Applies an edit (lines, terms, discounts). Editing a sent, approved or
    /// rejected quote starts a new revision and makes it a draft again;
    /// editing a draft keeps its revision number. The hash is recomputed.
    pub fn edit(&mut self, f: impl FnOnce(&mut Quote)) -> Result<(), QuoteError> {
        self.require(
            &[
                QuoteState::Draft,
                QuoteState::NeedsDiscountApproval,
                QuoteState::Sent,
                QuoteState::Approved,
                QuoteState::Rejected,
            ],
            "edit",
        )?;
        let (id, number, account, state, revision) =
            (self.id.clone(), self.number.clone(), self.account_id.clone(), self.state, self.revision);
        f(self);
        // Identity and lifecycle fields are not the edit's to change.
        (self.id, self.number, self.account_id, self.state, self.revision) = (id, number, account, state, revision);
        self.validate()?;
        let new_hash = self.compute_hash();
        if new_hash == self.revision_hash {
            return Ok(());
        }
        if matches!(self.state, QuoteState::Sent | QuoteState::Approved | QuoteState::Rejected) {
            self.revision += 1;
            self.state = QuoteState::Draft;
            self.rejection_reason = None;
        }
        self.revision_hash = new_hash;
        Ok(())
    }

    /// Restores the business rules on a quote merged from concurrent edits.
    ///
    /// `hashes` and `states` are every concurrent value of those fields in
    /// the merged document. The revision hash is always recomputed from the
    /// merged content. If any replica's hash differs from it, the content
    /// changed concurrently with whatever that replica did: a quote that was
    /// sent goes back to draft (what the customer saw is no longer what the
    /// quote says, and sending again re-checks the discount policy), and an
    /// approval counts only if it is for exactly the merged content. When
    /// only the state changed concurrently (a customer approved revision 1
    /// offline while the rep sent revision 2), a send of exactly the merged
    /// content stands: the quote stays sent, the approval superseded. The
    /// result depends only on the merged document, so every replica settles
    /// the same way.
    pub fn settle(&mut self, hashes: &[String], states: &[QuoteState]) {
        let computed = self.compute_hash();
        let content_concurrent = hashes.iter().any(|h| *h != computed) || self.revision_hash != computed;
        let changed_concurrently = content_concurrent || states.len() > 1;
        self.revision_hash = computed;
        // Sent with content other than what was sent: an edit merged with
        // a send it did not see. What the customer would get is not what
        // anyone sent, so it is a draft again.
        if self.state == QuoteState::Sent && self.sent_hash.as_ref().is_some_and(|h| *h != self.revision_hash) {
            self.state = QuoteState::Draft;
            return;
        }
        if !changed_concurrently {
            return;
        }
        let approved_now = self.approval_status() == ApprovalStatus::Approved;
        self.state = match self.state {
            QuoteState::Approved if approved_now => QuoteState::Approved,
            QuoteState::Approved | QuoteState::Sent => {
                if states.contains(&QuoteState::Approved) && approved_now {
                    QuoteState::Approved
                } else if states.contains(&QuoteState::Cancelled) {
                    QuoteState::Cancelled
                } else if !content_concurrent && states.contains(&QuoteState::Sent) {
                    QuoteState::Sent
                } else {
                    QuoteState::Draft
                }
            }
            QuoteState::Draft if states.contains(&QuoteState::Approved) && approved_now => QuoteState::Approved,
            other => other,
        };
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

    /// Gives the quote another number after its number was found taken
    /// (`attempt` from 1); identity is unchanged, so is the content hash
    /// apart from the number it covers.
    pub fn renumber(&mut self, attempt: u32) {
        self.number = quote_number(&self.id, attempt);
        self.revision_hash = self.compute_hash();
    }

    /// Sends the quote: needs lines, validity, and a discount within the
    /// limit or approved by the back office, and no line below the floor.
    pub fn send(
        &mut self,
        policy: &DiscountPolicy,
        cost: &dyn Fn(&str) -> Option<Decimal>,
        today: NaiveDate,
    ) -> Result<(), QuoteError> {
        self.send_against(policy, cost, &|_| None, today)
    }

    /// [`Quote::send`] with the policy checked against the prices in force
    /// ([`DiscountPolicy::check_against`]).
    pub fn send_against(
        &mut self,
        policy: &DiscountPolicy,
        cost: &dyn Fn(&str) -> Option<Decimal>,
        reference: &dyn Fn(&QuoteLine) -> Option<Decimal>,
        today: NaiveDate,
    ) -> Result<(), QuoteError> {
        self.require(&[QuoteState::Draft], "send")?;
        if self.lines.is_empty() {
            return Err(QuoteError::Empty);
        }
        if today > self.valid_until {
            return Err(QuoteError::Expired(self.valid_until));
        }
        self.totals()?;
        let check = policy.check_against(self, cost, reference);
        if let Some(&line) = check.below_floor.first() {
            return Err(QuoteError::BelowMarginFloor { line: line as usize });
        }
        if check.needs_approval {
            let granted = self
                .discount_request
                .as_ref()
                .is_some_and(|r| r.approved == Some(true) && r.requested_pct >= check.max_effective_pct);
            if !granted {
                return Err(QuoteError::DiscountApprovalRequired {
                    requested_pct: check.max_effective_pct,
                    limit_pct: check.limit_pct,
                });
            }
        }
        self.state = QuoteState::Sent;
        self.sent_hash = Some(self.revision_hash.clone());
        Ok(())
    }

    /// Asks the back office to approve the quote's discount.
    pub fn request_discount_approval(
        &mut self,
        policy: &DiscountPolicy,
        reason: String,
        at: Timestamp,
    ) -> Result<(), QuoteError> {
        self.request_discount_approval_against(policy, &|_| None, reason, at)
    }

    /// [`Quote::request_discount_approval`] for the discount against the
    /// prices in force ([`DiscountPolicy::check_against`]).
    pub fn request_discount_approval_against(
        &mut self,
        policy: &DiscountPolicy,
        reference: &dyn Fn(&QuoteLine) -> Option<Decimal>,
        reason: String,
        at: Timestamp,
    ) -> Result<(), QuoteError> {
        self.require(&[QuoteState::Draft], "request a discount for")?;
        if policy.reason_required && reason.trim().is_empty() {
            return Err(QuoteError::ReasonRequired);
        }
        let check = policy.check_against(self, &|_| None, reference);
        if !check.needs_approval {
            return Err(QuoteError::Invalid {
                field: "discount",
                reason: "is within the limit; no approval needed".into(),
            });
        }
        self.discount_request = Some(DiscountRequest {
            requested_by: self.rep.clone(),
            requested_pct: check.max_effective_pct,
            reason,
            requested_at: at,
            decided_by: None,
            approved: None,
            decided_at: None,
            decision_reason: None,
        });
        self.state = QuoteState::NeedsDiscountApproval;
        Ok(())
    }

    /// The back office's decision on the discount request.
    pub fn decide_discount(&mut self, approved: bool, by: String, at: Timestamp) -> Result<(), QuoteError> {
        self.require(&[QuoteState::NeedsDiscountApproval], "decide the discount of")?;
        if by == self.rep {
            return Err(QuoteError::Invalid {
                field: "decided by",
                reason: "a rep cannot approve their own discount".into(),
            });
        }
        if let Some(r) = self.discount_request.as_mut() {
            r.decided_by = Some(by);
            r.approved = Some(approved);
            r.decided_at = Some(at);
        }
        self.state = QuoteState::Draft;
        Ok(())
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

    /// Marks a sent quote whose validity has ended as expired; returns whether it did.
    pub fn expire_if_due(&mut self, today: NaiveDate) -> bool {
        if self.state == QuoteState::Sent && today > self.valid_until {
            self.state = QuoteState::Expired;
            return true;
        }
        false
    }

    /// Withdraws an open quote.
    pub fn cancel(&mut self) -> Result<(), QuoteError> {
        if !self.state.is_open() {
            return Err(QuoteError::IllegalTransition { from: self.state, action: "cancel" });
        }
        self.state = QuoteState::Cancelled;
        Ok(())
    }

    /// Turns an approved quote (approval for the current revision) into an order.
    pub fn to_order(&mut self, order_id: String, at: Timestamp) -> Result<Order, QuoteError> {
        self.require(&[QuoteState::Approved], "order")?;
        if self.approval_status() != ApprovalStatus::Approved {
            return Err(QuoteError::StaleApproval { current: self.revision });
        }
        let totals = self.totals()?;
        self.state = QuoteState::Ordered;
        Ok(Order {
            id: order_id,
            account_id: self.account_id.clone(),
            quote_id: Some(self.id.clone()),
            reorder_of: None,
            currency: self.currency,
            lines: self.lines.clone(),
            header_discount_pct: self.header_discount_pct,
            gross_total: totals.gross_total,
            created_at: at,
        })
    }
}

/// An order, from an approved quote or a reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Order {
    /// Stable id.
    pub id: String,
    /// The customer account.
    pub account_id: String,
    /// The quote it came from.
    pub quote_id: Option<String>,
    /// The order it reorders.
    pub reorder_of: Option<String>,
    /// Currency.
    pub currency: Currency,
    /// Lines with their prices.
    pub lines: Vec<QuoteLine>,
    /// Header discount in percent.
    pub header_discount_pct: Decimal,
    /// Gross total, recomputed from the lines.
    pub gross_total: Decimal,
    /// When it was placed.
    pub created_at: Timestamp,
}

impl Order {
    /// Checks ids, lines and amounts, and that the lines price.
    pub fn validate(&self) -> Result<(), QuoteError> {
        let id = |field: &'static str, v: &str| {
            crate::ids::check_id(field, v).map_err(|e| QuoteError::Invalid { field, reason: e.to_string() })
        };
        id("order id", &self.id)?;
        id("account id", &self.account_id)?;
        if let Some(q) = &self.quote_id {
            id("quote id", q)?;
        }
        if let Some(o) = &self.reorder_of {
            id("reordered order", o)?;
        }
        if self.quote_id.is_some() == self.reorder_of.is_some() {
            return Err(QuoteError::Invalid {
                field: "order",
                reason: "comes from exactly one quote or reorders exactly one order".into(),
            });
        }
        if self.lines.is_empty() {
            return Err(QuoteError::Empty);
        }
        if self.lines.len() > MAX_LINES {
            return Err(QuoteError::Invalid { field: "lines", reason: format!("more than {MAX_LINES} lines") });
        }
        for (i, l) in self.lines.iter().enumerate() {
            check_line("lines", i, l)?;
        }
        let pl: Vec<PricingLine> = self.lines.iter().map(QuoteLine::pricing_line).collect();
        pricing::totals(&pl, self.header_discount_pct, self.currency)?;
        Ok(())
    }

    /// Recomputes the gross total from the lines (a merged or received
    /// order never carries a total of its own).
    pub fn settle(&mut self) -> Result<(), QuoteError> {
        let pl: Vec<PricingLine> = self.lines.iter().map(QuoteLine::pricing_line).collect();
        self.gross_total = pricing::totals(&pl, self.header_discount_pct, self.currency)?.gross_total;
        Ok(())
    }
}

/// Builds a reorder of `original`: the same items (consumables first) with
/// `current_price` for each SKU and the quantities in `quantities` (by SKU;
/// missing ones keep the original quantity, zero drops the line).
pub fn reorder(
    original: &Order,
    order_id: String,
    at: Timestamp,
    current_price: &dyn Fn(&QuoteLine) -> Result<Decimal, PricingError>,
    quantities: &[(String, Decimal)],
) -> Result<Order, QuoteError> {
    let mut lines = Vec::new();
    for l in &original.lines {
        let qty = quantities.iter().find(|(s, _)| s.eq_ignore_ascii_case(&l.sku)).map_or(l.qty, |(_, q)| *q);
        if qty.is_zero() {
            continue;
        }
        let mut line = l.clone();
        line.qty = qty;
        line.unit_price = current_price(l)?;
        line.discount_pct = Decimal::ZERO;
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(QuoteError::Empty);
    }
    lines.sort_by_key(|l| !l.c_part); // stable: consumables first, order kept
    let pl: Vec<PricingLine> = lines.iter().map(QuoteLine::pricing_line).collect();
    let totals = pricing::totals(&pl, Decimal::ZERO, original.currency)?;
    Ok(Order {
        id: order_id,
        account_id: original.account_id.clone(),
        quote_id: None,
        reorder_of: Some(original.id.clone()),
        currency: original.currency,
        lines,
        header_discount_pct: Decimal::ZERO,
        gross_total: totals.gross_total,
        created_at: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, date as day, dec as d, now};
    use proptest::prelude::*;

    fn line(sku: &str, qty: &str, price: &str, disc: &str, category: &str, c_part: bool) -> QuoteLine {
        QuoteLine { category: category.into(), discount_pct: d(disc), c_part, ..fixtures::line(sku, d(qty), d(price)) }
    }

    fn quote() -> Quote {
        fixtures::quote(
            "q-1",
            vec![
                line("A", "100", "0.12", "5", "Schrauben", true),
                line("B", "1", "189.00", "0", "Werkzeug/Elektro", false),
            ],
        )
    }

    /// Signed on the rep's tablet, on site.
    fn approval(q: &Quote) -> Approval {
        Approval { auth: SignerAuth::RepDeviceOnSite, ..fixtures::approval(q, "Anna Weiß", "tablet-7", now()) }
    }

    const NO_COST: &dyn Fn(&str) -> Option<Decimal> = &|_| None;

    #[test]
    fn full_lifecycle_to_order() {
        let policy = DiscountPolicy::default();
        let mut q = quote();
        assert_eq!((q.state, q.revision), (QuoteState::Draft, 1));
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        assert_eq!(q.state, QuoteState::Sent);
        q.approve(approval(&q), day("2026-03-11")).unwrap();
        assert_eq!(q.approval_status(), ApprovalStatus::Approved);
        let order = q.to_order("o-1".into(), now()).unwrap();
        assert_eq!(q.state, QuoteState::Ordered);
        assert_eq!(order.gross_total, q.totals().unwrap().gross_total);
        assert!(matches!(q.cancel(), Err(QuoteError::IllegalTransition { from: QuoteState::Ordered, .. })));
    }

    #[test]
    fn illegal_transitions_are_typed_errors() {
        let mut q = quote();
        assert!(matches!(
            q.approve(approval(&q), day("2026-03-11")),
            Err(QuoteError::IllegalTransition { action: "approve", .. })
        ));
        assert!(matches!(q.reject(None), Err(QuoteError::IllegalTransition { .. })));
        assert!(matches!(q.to_order("o".into(), now()), Err(QuoteError::IllegalTransition { .. })));
        q.cancel().unwrap();
        assert!(q.edit(|q| q.notes = "x".into()).is_err());
        let mut empty =
            Quote::new("q-2".into(), "a".into(), None, "r".into(), Currency::EUR, DisplayLocale::En, day("2026-12-31"));
        assert_eq!(empty.send(&DiscountPolicy::default(), NO_COST, day("2026-03-10")), Err(QuoteError::Empty));
    }

    #[test]
    fn settling_a_merge_keeps_a_send_of_unchanged_content_and_drafts_a_concurrent_edit() {
        let policy = DiscountPolicy::default();
        let mut q = quote();
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        let r1 = approval(&q);
        q.edit(|q| q.lines[0].qty = d("200")).unwrap();
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        // Merged: the rep's revision 2 (sent) with the customer's offline
        // approval of revision 1; only the state field was concurrent.
        let mut merged = q.clone();
        merged.approval = Some(r1.clone());
        merged.state = QuoteState::Approved;
        merged.settle(std::slice::from_ref(&q.revision_hash), &[QuoteState::Approved, QuoteState::Sent]);
        assert_eq!(merged.state, QuoteState::Sent, "revision 2 stays sent");
        assert_eq!(merged.approval_status(), ApprovalStatus::Superseded { current_revision: 2 });
        // If the content itself changed concurrently, what was sent is not
        // what the quote says: back to draft.
        let mut merged = q.clone();
        merged.approval = Some(r1);
        merged.state = QuoteState::Sent;
        let other = "0".repeat(64);
        merged.settle(&[q.revision_hash.clone(), other], &[QuoteState::Approved, QuoteState::Sent]);
        assert_eq!(merged.state, QuoteState::Draft);
    }

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

    #[test]
    fn expired_quotes_cannot_be_sent_or_approved() {
        let policy = DiscountPolicy::default();
        let mut q = quote();
        assert_eq!(q.send(&policy, NO_COST, day("2026-04-01")), Err(QuoteError::Expired(day("2026-03-31"))));
        q.send(&policy, NO_COST, day("2026-03-31")).unwrap();
        assert_eq!(q.approve(approval(&q), day("2026-04-01")), Err(QuoteError::Expired(day("2026-03-31"))));
        assert_eq!(q.state, QuoteState::Expired);
        let mut q = quote();
        q.send(&policy, NO_COST, day("2026-03-10")).unwrap();
        assert!(!q.expire_if_due(day("2026-03-31")));
        assert!(q.expire_if_due(day("2026-04-01")));
    }

    #[test]
    fn discount_policy_limits_categories_floor_and_approval() {
        let policy = DiscountPolicy {
            max_discount_pct: d("10"),
            category_limits: vec![CategoryLimit { category: "Werkzeug/".into(), max_discount_pct: d("5") }],
            min_margin_pct: d("15"),
            reason_required: true,
            offline_lease_days: 30,
        };
        assert!(policy.validate().is_ok());
        assert!(DiscountPolicy { offline_lease_days: 366, ..policy.clone() }.validate().is_err());
        assert!(DiscountPolicy { max_discount_pct: d("101"), ..policy.clone() }.validate().is_err());
        assert_eq!(policy.limit_for("Werkzeug/Elektro"), d("5"));
        assert_eq!(policy.limit_for("Schrauben"), d("10"));
        let mut q = quote();
        // A 3 % header discount is within both limits (screws: 5 % line +
        // 3 % header = 7.85 % of 10 %; tools: 3 % of 5 %).
        q.edit(|q| q.header_discount_pct = d("3")).unwrap();
        assert!(!policy.check(&q, &|_| None).needs_approval);
        // 6 % makes the tool line 6 % (limit 5 %) and the screws 10.7 % (limit 10 %).
        q.edit(|q| q.header_discount_pct = d("6")).unwrap();
        let check = policy.check(&q, &|_| None);
        assert!(check.needs_approval, "{check:?}");
        assert_eq!((check.max_effective_pct, check.limit_pct), (d("10.7"), d("10")));
        q.edit(|q| q.lines[0].discount_pct = Decimal::ZERO).unwrap();
        let check = policy.check(&q, &|_| None);
        assert_eq!((check.max_effective_pct, check.limit_pct, check.needs_approval), (d("6"), d("5"), true));
        let today = day("2026-03-10");
        assert!(matches!(q.send(&policy, NO_COST, today), Err(QuoteError::DiscountApprovalRequired { .. })));
        assert_eq!(q.request_discount_approval(&policy, " ".into(), now()), Err(QuoteError::ReasonRequired));
        q.request_discount_approval(&policy, "Rahmenvertrag in Aussicht".into(), now()).unwrap();
        assert_eq!(q.state, QuoteState::NeedsDiscountApproval);
        assert!(matches!(q.send(&policy, NO_COST, today), Err(QuoteError::IllegalTransition { .. })));
        assert!(q.decide_discount(true, "rep-1".into(), now()).is_err(), "no self-approval");
        q.decide_discount(true, "backoffice-1".into(), now()).unwrap();
        q.send(&policy, NO_COST, today).unwrap();

        // The floor: cost 0.11, margin 15 % → no screw below 0.1265.
        let mut q = quote();
        let cost = |sku: &str| (sku == "A").then(|| d("0.11"));
        assert_eq!(q.send(&policy, &cost, today), Err(QuoteError::BelowMarginFloor { line: 1 }));
        q.edit(|q| q.lines[0].discount_pct = Decimal::ZERO).unwrap();
        q.edit(|q| q.lines[0].unit_price = d("0.13")).unwrap();
        q.send(&policy, &cost, today).unwrap();
    }

    #[test]
    fn reorders_list_consumables_first_at_current_prices() {
        let mut q = quote();
        q.edit(|q| q.lines.reverse()).unwrap();
        q.send(&DiscountPolicy::default(), NO_COST, day("2026-03-10")).unwrap();
        q.approve(approval(&q), day("2026-03-11")).unwrap();
        let order = q.to_order("o-1".into(), now()).unwrap();
        assert_eq!(order.lines[0].sku, "B");
        let again = reorder(
            &order,
            "o-2".into(),
            now(),
            &|l| Ok(if l.sku == "A" { d("0.11") } else { d("199") }),
            &[("a".into(), d("500"))],
        )
        .unwrap();
        assert_eq!(again.reorder_of.as_deref(), Some("o-1"));
        assert_eq!(again.lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>(), vec!["A", "B"], "C-part first");
        assert_eq!((again.lines[0].qty, again.lines[0].unit_price), (d("500"), d("0.11")));
        assert_eq!(again.gross_total, d("302.26")); // (55.00 + 199.00) × 1.19
        let dropped =
            reorder(&order, "o-3".into(), now(), &|l| Ok(l.unit_price), &[("A".into(), Decimal::ZERO)]).unwrap();
        assert_eq!(dropped.lines.len(), 1);
    }

    #[test]
    fn the_hash_is_pinned() {
        // The canonical encoding is a contract between platforms: a change
        // here breaks every stored approval. Update only with a new format tag.
        let q = quote();
        assert_eq!(q.revision_hash.len(), 64);
        let text = String::from_utf8(q.canonical_bytes()).unwrap();
        let prefix =
            format!(r#"{{"format":"onsite-quote-revision-1","id":"q-1","number":"{}""#, quote_number("q-1", 0));
        assert!(text.starts_with(&prefix), "{text}");
        assert!(text.contains(r#"["A","Artikel A","pc","100","0.12","5","19","Schrauben"]"#), "{text}");
    }

    #[test]
    fn numbers_have_60_bits_in_groups_and_renumber_on_demand() {
        let n = quote_number("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a", 0);
        assert_eq!(n.len(), 2 + 12 + 2, "{n}");
        assert!(is_quote_number(&n) && n.starts_with("Q-") && n.as_bytes()[6] == b'-' && n.as_bytes()[11] == b'-');
        assert!(n[2..].bytes().all(|b| b == b'-' || CROCKFORD.contains(&b)), "{n}");
        assert_ne!(quote_number("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a", 1), n, "another attempt, another number");
        assert!(is_quote_number("Q-4F2A9C01"), "numbers of earlier versions stay valid");
        for bad in ["", "Q-", "4F2A9C01", "Q-4f2a", "Q-A B", "Q-\u{202e}A"] {
            assert!(!is_quote_number(bad), "{bad:?}");
        }
        // 10,000 ids, 10,000 distinct numbers (60 bits: a clash here would
        // mean the bits are not spread).
        let numbers: std::collections::HashSet<String> =
            (0..10_000).map(|i| quote_number(&format!("id-{i}"), 0)).collect();
        assert_eq!(numbers.len(), 10_000);
        let mut q = quote();
        let before = (q.number.clone(), q.revision_hash.clone());
        q.renumber(1);
        assert_ne!(q.number, before.0);
        assert_ne!(q.revision_hash, before.1, "the number is part of the content");
    }

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
    }

    proptest! {
        #[test]
        fn the_hash_ignores_decimal_spelling_and_follows_content(qty in 1i64..10_000, cents in 1i64..1_000_000, extra_zeros in 0u32..4) {
            let mut a = quote();
            a.edit(|q| { q.lines[0].qty = Decimal::new(qty, 0); q.lines[0].unit_price = Decimal::new(cents, 2); }).unwrap();
            let mut b = a.clone();
            // The same values written with trailing zeros encode identically.
            b.lines[0].unit_price.rescale(2 + extra_zeros);
            b.lines[0].qty.rescale(extra_zeros);
            prop_assert_eq!(a.compute_hash(), b.compute_hash());
            // Re-encoding after a serde round trip gives the same hash.
            let back: Quote = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
            prop_assert_eq!(back.compute_hash(), a.compute_hash());
            // Any content change changes it.
            let mut c = a.clone();
            c.lines[0].qty += Decimal::ONE;
            prop_assert_ne!(c.compute_hash(), a.compute_hash());
            let mut e = a.clone();
            e.payment_terms.push('.');
            prop_assert_ne!(e.compute_hash(), a.compute_hash());
        }
    }
}

/// A quote as the back office lists it: enough to find held discounts and
/// follow approvals, without the lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteListing {
    /// Quote id.
    pub id: String,
    /// Quote number.
    pub number: String,
    /// The customer account.
    pub account_id: String,
    /// The rep who owns it.
    pub rep: String,
    /// State name, e.g. `sent`.
    pub state: &'static str,
    /// Current revision.
    pub revision: u32,
    /// Hash of the current revision.
    pub revision_hash: String,
    /// Gross total, computed from the lines.
    pub gross_total: Decimal,
    /// Currency code.
    pub currency: &'static str,
    /// Valid until.
    pub valid_until: NaiveDate,
    /// The discount request, decided or not.
    pub discount_request: Option<DiscountRequest>,
    /// The customer's approval, if any (of this or an earlier revision).
    pub approval: Option<Approval>,
}

impl QuoteListing {
    /// The listing of `q`.
    pub fn of(q: &Quote) -> Result<QuoteListing, QuoteError> {
        Ok(QuoteListing {
            id: q.id.clone(),
            number: q.number.clone(),
            account_id: q.account_id.clone(),
            rep: q.rep.clone(),
            state: q.state.as_str(),
            revision: q.revision,
            revision_hash: q.revision_hash.clone(),
            gross_total: q.totals()?.gross_total,
            currency: q.currency.code(),
            valid_until: q.valid_until,
            discount_request: q.discount_request.clone(),
            approval: q.approval.clone(),
        })
    }

    /// Whether a discount request waits for the back office.
    pub fn discount_pending(&self) -> bool {
        self.discount_request.as_ref().is_some_and(|r| r.approved.is_none())
    }
}
