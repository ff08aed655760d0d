//! The back office's listing of quotes.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Approval, DiscountRequest, Quote, QuoteError, QuoteState};

/// Which quotes a back-office list shows: every field optional (any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteQuery {
    /// In this state.
    pub state: Option<QuoteState>,
    /// Of this rep.
    pub rep: Option<String>,
    /// Of this account.
    pub account_id: Option<String>,
    /// Valid on or after.
    pub valid_from: Option<NaiveDate>,
    /// Valid at most until.
    pub valid_to: Option<NaiveDate>,
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
