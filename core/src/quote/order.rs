//! Orders: from an approved quote (for its current revision) or as a
//! reorder of an earlier order at today's prices.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ApprovalStatus, MAX_LINES, Quote, QuoteError, QuoteLine, QuoteState, check_line};
use crate::ids::Timestamp;
use crate::money::Currency;
use crate::pricing::{self, PricingError, PricingLine};

impl Quote {
    /// The lines an order of this quote holds: those that count (standard
    /// positions and the optional and alternative ones chosen), each as a
    /// standard position.
    pub fn ordered_lines(&self) -> Vec<QuoteLine> {
        self.lines
            .iter()
            .filter(|l| l.counts())
            .map(|l| QuoteLine { position: super::Position::Standard, chosen: false, ..l.clone() })
            .collect()
    }

    /// Turns an approved quote (approval for the current revision) into an
    /// order of the lines that count ([`Quote::ordered_lines`]).
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
            lines: self.ordered_lines(),
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
            // An order holds what was ordered: standard positions only.
            if !l.position.is_standard() || l.chosen {
                return Err(QuoteError::Invalid {
                    field: "lines",
                    reason: format!("line {}: an order holds no optional or alternative positions", i + 1),
                });
            }
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
    use super::super::DiscountPolicy;
    use super::super::test_support::{NO_COST, approval, quote};
    use super::*;
    use crate::fixtures::{date as day, dec as d, now};

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
}
