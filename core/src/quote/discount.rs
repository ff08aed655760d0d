//! Discounts: the back office's policy (limits per category, the margin
//! floor, whether a reason is required), what it says about a quote, and
//! a rep's request above the limit with the back office's decision.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Quote, QuoteError, QuoteLine, QuoteState};
use crate::ids::Timestamp;

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
    /// What a device may keep of files (images, attachments) before it
    /// evicts those it can fetch again, in MiB (ADR 29). Default 512.
    #[serde(default = "default_storage_budget")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 512))]
    pub storage_budget_mib: u32,
}

/// A device's storage budget for files unless the policy says otherwise.
pub const DEFAULT_STORAGE_MIB: u32 = 512;

fn default_storage_budget() -> u32 {
    DEFAULT_STORAGE_MIB
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
            storage_budget_mib: DEFAULT_STORAGE_MIB,
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
        if !(16..=65_536).contains(&self.storage_budget_mib) {
            return Err(crate::rules::FieldError::new("storage_budget_mib", "must be between 16 and 65536 MiB"));
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

impl Quote {
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
    pub fn decide_discount(
        &mut self,
        approved: bool,
        by: String,
        reason: Option<String>,
        at: Timestamp,
    ) -> Result<(), QuoteError> {
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
            r.decision_reason = reason.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            r.validate()?;
        }
        self.state = QuoteState::Draft;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{NO_COST, quote};
    use super::*;
    use crate::fixtures::{date as day, dec as d, now};

    #[test]
    fn discount_policy_limits_categories_floor_and_approval() {
        let policy = DiscountPolicy {
            max_discount_pct: d("10"),
            category_limits: vec![CategoryLimit { category: "Werkzeug/".into(), max_discount_pct: d("5") }],
            min_margin_pct: d("15"),
            reason_required: true,
            offline_lease_days: 30,
            storage_budget_mib: DEFAULT_STORAGE_MIB,
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
        assert!(q.decide_discount(true, "rep-1".into(), None, now()).is_err(), "no self-approval");
        let long = Some("x".repeat(2001));
        assert!(q.decide_discount(true, "backoffice-1".into(), long, now()).is_err(), "a reason within 2,000");
        q.decide_discount(true, "backoffice-1".into(), Some("  Rahmenvertrag  ".into()), now()).unwrap();
        assert_eq!(q.discount_request.as_ref().unwrap().decision_reason.as_deref(), Some("Rahmenvertrag"));
        q.send(&policy, NO_COST, today).unwrap();

        // The floor: cost 0.11, margin 15 % → no screw below 0.1265.
        let mut q = quote();
        let cost = |sku: &str| (sku == "A").then(|| d("0.11"));
        assert_eq!(q.send(&policy, &cost, today), Err(QuoteError::BelowMarginFloor { line: 1 }));
        q.edit(|q| q.lines[0].discount_pct = Decimal::ZERO).unwrap();
        q.edit(|q| q.lines[0].unit_price = d("0.13")).unwrap();
        q.send(&policy, &cost, today).unwrap();
    }
}
