//! Pricing: which unit price applies, and the totals of a quote.
//!
//! Pure functions over plain values; the rules are documented with worked
//! examples in `docs/pricing.md` (the examples there are run as tests).
//!
//! Price resolution, for a product, a customer and a quantity on a day:
//! the customer's own price list, else the customer group's, else the list
//! price. Only lists valid on that day count; within a list the tier whose
//! minimum quantity is met (the highest such) applies. If several valid lists
//! of the same kind price the product, the one valid from the latest date
//! wins (then the lowest id). A price in another currency than the quote's is
//! an error, never a conversion.
//!
//! Totals:
//! - line net = qty × unit price × (1 − line discount % / 100), rounded
//!   half-up to the currency's minor unit;
//! - lines are grouped by tax rate; group discount = group net × header
//!   discount % / 100, rounded half-up; group net after discount = group net
//!   − group discount;
//! - group tax = group net after discount × rate / 100, rounded half-up;
//! - net total = Σ group nets after discount; tax total = Σ group taxes;
//!   gross total = net total + tax total.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::{PriceList, PriceListScope, Product};
use crate::money::{Currency, round_half_up};

/// Why a price or a total could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// Quantity zero, negative, or finer than its unit allows.
    #[error("line {line}: invalid quantity: {reason}")]
    InvalidQuantity {
        /// 1-based line position.
        line: usize,
        /// Why.
        reason: String,
    },
    /// A discount outside 0–100 %.
    #[error("{what}: discount must be between 0 and 100 percent")]
    InvalidDiscount {
        /// `line N` or `header`.
        what: String,
    },
    /// A negative unit price or tax rate.
    #[error("line {line}: {reason}")]
    InvalidLine {
        /// 1-based line position.
        line: usize,
        /// Why.
        reason: String,
    },
    /// The product does not exist.
    #[error("unknown product {0}")]
    UnknownProduct(String),
    /// The product exists but is no longer offered.
    #[error("product {0} is inactive and cannot be quoted")]
    InactiveProduct(String),
    /// A price in another currency than the quote's.
    #[error("product {sku} is priced in {found}, the quote is in {expected}")]
    CurrencyMismatch {
        /// The product.
        sku: String,
        /// Its price's currency.
        found: Currency,
        /// The quote's currency.
        expected: Currency,
    },
    /// An amount too large for exact arithmetic.
    #[error("amount out of range")]
    Overflow,
}

/// Decimal places a quantity in `unit` may have: counted units (`pc`, `pair`,
/// `box`…) none, measured units (`m`, `kg`, `l`…) three, anything else two.
pub fn unit_decimals(unit: &str) -> u32 {
    match unit.to_ascii_lowercase().as_str() {
        "pc" | "pcs" | "stk" | "st" | "pair" | "paar" | "box" | "set" | "pack" | "roll" | "ea" => 0,
        "m" | "kg" | "l" | "m2" | "m²" | "m3" | "m³" | "t" | "g" | "km" | "h" => 3,
        _ => 2,
    }
}

/// Where a resolved unit price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// The product's list price.
    ListPrice,
    /// A price list for this customer.
    CustomerPriceList,
    /// A price list for the customer's group.
    GroupPriceList,
}

/// A unit price with its origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ResolvedPrice {
    /// Price per unit, in the quote's currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    /// Where it came from.
    pub source: PriceSource,
    /// The price list, if one applied.
    pub price_list_id: Option<String>,
    /// The tier's minimum quantity, if a price list applied.
    pub tier_min_qty: Option<String>,
}

/// Who is buying, when, in which currency.
#[derive(Debug, Clone, Copy)]
pub struct PriceContext<'a> {
    /// The account id.
    pub customer_id: &'a str,
    /// The account's customer group.
    pub customer_group: Option<&'a str>,
    /// The day the price must be valid on.
    pub day: NaiveDate,
    /// The quote's currency.
    pub currency: Currency,
}

/// Checks a quantity against its unit.
pub fn check_quantity(line: usize, qty: Decimal, unit: &str) -> Result<(), PricingError> {
    if qty <= Decimal::ZERO {
        return Err(PricingError::InvalidQuantity { line, reason: "must be greater than zero".into() });
    }
    let allowed = unit_decimals(unit);
    if qty.normalize().scale() > allowed {
        return Err(PricingError::InvalidQuantity {
            line,
            reason: format!("unit {unit} allows {allowed} decimal places"),
        });
    }
    Ok(())
}

fn check_discount(what: impl Fn() -> String, pct: Decimal) -> Result<(), PricingError> {
    if pct < Decimal::ZERO || pct > Decimal::ONE_HUNDRED {
        return Err(PricingError::InvalidDiscount { what: what() });
    }
    Ok(())
}

/// The unit price of `product` for `qty` units in `ctx`, from `lists` (the
/// candidate lists: any list not for this customer or group is ignored).
pub fn resolve_price(
    product: &Product,
    lists: &[PriceList],
    ctx: &PriceContext<'_>,
    qty: Decimal,
) -> Result<ResolvedPrice, PricingError> {
    if !product.active {
        return Err(PricingError::InactiveProduct(product.sku.clone()));
    }
    let sku = product.sku.to_lowercase();
    let pick = |source: PriceSource| -> Option<(&PriceList, Decimal, Decimal)> {
        let mut best: Option<(&PriceList, Decimal, Decimal)> = None;
        for l in lists.iter().filter(|l| l.valid_on(ctx.day)) {
            let applies = match (&l.scope, source) {
                (PriceListScope::Customer(c), PriceSource::CustomerPriceList) => c == ctx.customer_id,
                (PriceListScope::CustomerGroup(g), PriceSource::GroupPriceList) => {
                    Some(g.as_str()) == ctx.customer_group
                }
                _ => false,
            };
            if !applies {
                continue;
            }
            let tier = l
                .tiers
                .iter()
                .filter(|t| t.sku.to_lowercase() == sku && t.min_qty <= qty)
                .max_by(|a, b| a.min_qty.cmp(&b.min_qty));
            if let Some(t) = tier {
                let better = match best {
                    None => true,
                    Some((b, _, _)) => {
                        (l.valid_from, std::cmp::Reverse(&l.id)) > (b.valid_from, std::cmp::Reverse(&b.id))
                    }
                };
                if better {
                    best = Some((l, t.unit_price, t.min_qty));
                }
            }
        }
        best
    };
    for source in [PriceSource::CustomerPriceList, PriceSource::GroupPriceList] {
        if let Some((list, price, min_qty)) = pick(source) {
            if list.currency != ctx.currency {
                return Err(PricingError::CurrencyMismatch {
                    sku: product.sku.clone(),
                    found: list.currency,
                    expected: ctx.currency,
                });
            }
            return Ok(ResolvedPrice {
                unit_price: price,
                source,
                price_list_id: Some(list.id.clone()),
                tier_min_qty: Some(min_qty.normalize().to_string()),
            });
        }
    }
    if product.list_price.currency != ctx.currency {
        return Err(PricingError::CurrencyMismatch {
            sku: product.sku.clone(),
            found: product.list_price.currency,
            expected: ctx.currency,
        });
    }
    Ok(ResolvedPrice {
        unit_price: product.list_price.amount,
        source: PriceSource::ListPrice,
        price_list_id: None,
        tier_min_qty: None,
    })
}

/// One line as pricing sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingLine {
    /// Quantity (checked against `unit`).
    pub qty: Decimal,
    /// Unit of measure.
    pub unit: String,
    /// Price per unit.
    pub unit_price: Decimal,
    /// Line discount in percent.
    pub discount_pct: Decimal,
    /// VAT rate in percent.
    pub tax_rate_pct: Decimal,
}

/// The totals of one tax rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TaxGroup {
    /// VAT rate in percent.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_pct: Decimal,
    /// Σ line nets at this rate.
    #[serde(with = "rust_decimal::serde::str")]
    pub net: Decimal,
    /// Header discount on this group.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
    /// Net after the header discount.
    #[serde(with = "rust_decimal::serde::str")]
    pub net_after_discount: Decimal,
    /// VAT of this group.
    #[serde(with = "rust_decimal::serde::str")]
    pub tax: Decimal,
}

/// A priced quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Totals {
    /// The currency of every amount.
    pub currency: Currency,
    /// Each line's net, in line order.
    pub line_nets: Vec<Decimal>,
    /// One group per tax rate, by rate.
    pub groups: Vec<TaxGroup>,
    /// Σ group nets after discount.
    #[serde(with = "rust_decimal::serde::str")]
    pub net_total: Decimal,
    /// Σ group taxes.
    #[serde(with = "rust_decimal::serde::str")]
    pub tax_total: Decimal,
    /// Net total + tax total.
    #[serde(with = "rust_decimal::serde::str")]
    pub gross_total: Decimal,
}

fn mul(a: Decimal, b: Decimal) -> Result<Decimal, PricingError> {
    a.checked_mul(b).ok_or(PricingError::Overflow)
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, PricingError> {
    a.checked_add(b).ok_or(PricingError::Overflow)
}

/// Net of one line: qty × unit price × (1 − discount / 100), rounded half-up.
pub fn line_net(line: &PricingLine, currency: Currency) -> Result<Decimal, PricingError> {
    let factor = Decimal::ONE - line.discount_pct / Decimal::ONE_HUNDRED;
    let raw = mul(mul(line.qty, line.unit_price)?, factor)?;
    Ok(round_half_up(raw, currency.minor_units()))
}

/// Prices a quote by the rules in the module docs.
pub fn totals(lines: &[PricingLine], header_discount_pct: Decimal, currency: Currency) -> Result<Totals, PricingError> {
    totals_of_counted(lines, &vec![true; lines.len()], header_discount_pct, currency)
}

/// [`totals`] where only the lines with `counted[i]` go into the groups
/// and totals (a quote's optional and alternative positions not chosen);
/// every line is checked and its net reported.
pub fn totals_of_counted(
    lines: &[PricingLine],
    counted: &[bool],
    header_discount_pct: Decimal,
    currency: Currency,
) -> Result<Totals, PricingError> {
    check_discount(|| "header".into(), header_discount_pct)?;
    let dp = currency.minor_units();
    let mut nets = Vec::with_capacity(lines.len());
    let mut by_rate: BTreeMap<Decimal, Decimal> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        check_quantity(n, l.qty, &l.unit)?;
        check_discount(|| format!("line {n}"), l.discount_pct)?;
        if l.unit_price < Decimal::ZERO {
            return Err(PricingError::InvalidLine { line: n, reason: "unit price is negative".into() });
        }
        if l.tax_rate_pct < Decimal::ZERO || l.tax_rate_pct > Decimal::ONE_HUNDRED {
            return Err(PricingError::InvalidLine { line: n, reason: "tax rate must be 0–100 %".into() });
        }
        let net = line_net(l, currency)?;
        if counted.get(i).copied().unwrap_or(true) {
            let group = by_rate.entry(l.tax_rate_pct.normalize()).or_insert(Decimal::ZERO);
            *group = add(*group, net)?;
        }
        nets.push(net);
    }
    let mut groups = Vec::with_capacity(by_rate.len());
    let (mut net_total, mut tax_total) = (Decimal::ZERO, Decimal::ZERO);
    for (rate, net) in by_rate {
        let discount = round_half_up(mul(net, header_discount_pct)? / Decimal::ONE_HUNDRED, dp);
        let after = net - discount;
        let tax = round_half_up(mul(after, rate)? / Decimal::ONE_HUNDRED, dp);
        net_total = add(net_total, after)?;
        tax_total = add(tax_total, tax)?;
        groups.push(TaxGroup { rate_pct: rate, net, discount, net_after_discount: after, tax });
    }
    let fix = |d: Decimal| {
        let mut d = d;
        d.rescale(dp);
        d
    };
    Ok(Totals {
        currency,
        line_nets: nets.into_iter().map(fix).collect(),
        groups: groups
            .into_iter()
            .map(|g| TaxGroup {
                rate_pct: g.rate_pct,
                net: fix(g.net),
                discount: fix(g.discount),
                net_after_discount: fix(g.net_after_discount),
                tax: fix(g.tax),
            })
            .collect(),
        net_total: fix(net_total),
        tax_total: fix(tax_total),
        gross_total: fix(add(net_total, tax_total)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PriceTier;
    use crate::fixtures::dec as d;
    use crate::money::Money;
    use proptest::prelude::*;

    fn line(qty: &str, price: &str, disc: &str, rate: &str) -> PricingLine {
        PricingLine {
            qty: d(qty),
            unit: "pc".into(),
            unit_price: d(price),
            discount_pct: d(disc),
            tax_rate_pct: d(rate),
        }
    }

    /// Parses the worked examples of docs/pricing.md and checks each one.
    #[test]
    fn worked_examples_in_the_docs_hold() {
        let doc = include_str!("../../docs/pricing.md");
        let mut checked = 0;
        for row in doc.lines().filter(|l| l.starts_with("| E")) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let (lines, header, net, tax, gross) = (cells[2], cells[3], cells[4], cells[5], cells[6]);
            let parsed = lines
                .split(';')
                .map(|l| {
                    // "3 × 10.00 −5 % @19 [optional, chosen]" : qty × price
                    // [−disc %] @rate, and whether the position counts.
                    let (l, position) = l.split_once('[').unwrap_or((l, ""));
                    let counts = position.is_empty() || position.contains("chosen");
                    let (lhs, rate) = l.split_once('@').unwrap();
                    let (qty, rest) = lhs.split_once('×').unwrap();
                    let mut parts = rest.split_whitespace();
                    let price = parts.next().unwrap();
                    let disc = parts.next().map(|p| p.trim_start_matches('−').to_string()).unwrap_or("0".into());
                    (line(qty.trim(), price, &disc, rate.trim()), counts)
                })
                .collect::<Vec<_>>();
            let (parsed, counted): (Vec<PricingLine>, Vec<bool>) = parsed.into_iter().unzip();
            let t = totals_of_counted(&parsed, &counted, d(header.trim_end_matches(" %")), Currency::EUR).unwrap();
            assert_eq!(t.net_total.to_string(), net, "{row}");
            assert_eq!(t.tax_total.to_string(), tax, "{row}");
            assert_eq!(t.gross_total.to_string(), gross, "{row}");
            checked += 1;
        }
        assert!(checked >= 10, "found {checked} examples");
    }

    #[test]
    fn groups_by_rate_with_header_discount() {
        let t = totals(
            &[line("3", "10", "5", "19"), line("1", "99.99", "0", "7"), line("2", "0.125", "0", "19")],
            d("10"),
            Currency::EUR,
        )
        .unwrap();
        assert_eq!(t.line_nets, vec![d("28.50"), d("99.99"), d("0.25")]);
        assert_eq!(t.groups.len(), 2);
        assert_eq!((t.groups[0].rate_pct, t.groups[0].net, t.groups[0].discount), (d("7"), d("99.99"), d("10.00")));
        assert_eq!(t.groups[0].tax, d("6.30")); // 89.99 × 7 % = 6.2993
        assert_eq!(t.groups[1].net, d("28.75"));
        assert_eq!(t.groups[1].discount, d("2.88")); // 2.875 half-up
        assert_eq!(t.groups[1].tax, d("4.92")); // 25.87 × 19 % = 4.9153
        assert_eq!((t.net_total, t.tax_total, t.gross_total), (d("115.86"), d("11.22"), d("127.08")));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let e = |l: PricingLine| totals(&[l], Decimal::ZERO, Currency::EUR).unwrap_err();
        assert!(matches!(e(line("0", "1", "0", "19")), PricingError::InvalidQuantity { line: 1, .. }));
        assert!(matches!(e(line("-1", "1", "0", "19")), PricingError::InvalidQuantity { .. }));
        assert!(matches!(e(line("1.5", "1", "0", "19")), PricingError::InvalidQuantity { .. }), "pieces are whole");
        let mut metres = line("1.5", "1", "0", "19");
        metres.unit = "m".into();
        assert!(totals(&[metres.clone()], Decimal::ZERO, Currency::EUR).is_ok());
        metres.qty = d("1.2345");
        assert!(totals(&[metres], Decimal::ZERO, Currency::EUR).is_err());
        assert!(matches!(e(line("1", "1", "101", "19")), PricingError::InvalidDiscount { .. }));
        assert!(matches!(e(line("1", "1", "-1", "19")), PricingError::InvalidDiscount { .. }));
        assert!(matches!(e(line("1", "-1", "0", "19")), PricingError::InvalidLine { .. }));
        let huge = Decimal::MAX.to_string();
        assert_eq!(e(line(&huge, &huge, "0", "19")), PricingError::Overflow);
        assert!(matches!(totals(&[], d("100.5"), Currency::EUR), Err(PricingError::InvalidDiscount { .. })));
    }

    fn product(sku: &str, price: &str) -> Product {
        Product {
            sku: sku.into(),
            name: "x".into(),
            description: String::new(),
            category: "Schrauben".into(),
            unit: "pc".into(),
            list_price: Money::new(d(price), Currency::EUR),
            tax_class: "DE-STD".into(),
            attributes: vec![],
            image: None,
            c_part: true,
            active: true,
            seq: 0,
        }
    }

    fn list(id: &str, scope: PriceListScope, from: &str, to: &str, tiers: &[(&str, &str)]) -> PriceList {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        PriceList {
            id: id.into(),
            name: id.into(),
            currency: Currency::EUR,
            scope,
            valid_from: day(from),
            valid_to: day(to),
            tiers: tiers.iter().map(|(q, p)| PriceTier { sku: "A".into(), min_qty: d(q), unit_price: d(p) }).collect(),
            seq: 0,
        }
    }

    #[test]
    fn resolution_order_tiers_and_validity() {
        let p = product("A", "10.00");
        let lists = vec![
            list(
                "G",
                PriceListScope::CustomerGroup("A".into()),
                "2026-01-01",
                "2026-12-31",
                &[("1", "9.00"), ("100", "8.00")],
            ),
            list("C", PriceListScope::Customer("c1".into()), "2026-03-01", "2026-03-31", &[("10", "7.50")]),
        ];
        let ctx = |day: &str, group: Option<&'static str>| PriceContext {
            customer_id: "c1",
            customer_group: group,
            day: NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap(),
            currency: Currency::EUR,
        };
        let r = |day, group, qty: &str| resolve_price(&p, &lists, &ctx(day, group), d(qty)).unwrap();
        assert_eq!(r("2026-03-15", Some("A"), "10").unit_price, d("7.50"), "customer list, tier met");
        assert_eq!(r("2026-03-15", Some("A"), "10").source, PriceSource::CustomerPriceList);
        assert_eq!(r("2026-03-15", Some("A"), "5").unit_price, d("9.00"), "customer tier not met: group");
        assert_eq!(r("2026-04-01", Some("A"), "150").unit_price, d("8.00"), "customer list expired; group tier 100");
        assert_eq!(r("2026-04-01", Some("A"), "150").tier_min_qty.as_deref(), Some("100"));
        assert_eq!(r("2026-04-01", Some("B"), "150").unit_price, d("10.00"), "other group: list price");
        assert_eq!(r("2027-01-01", Some("A"), "1").source, PriceSource::ListPrice);

        let mut usd = lists.clone();
        usd[1].currency = Currency::new("USD").unwrap();
        assert!(matches!(
            resolve_price(&p, &usd, &ctx("2026-03-15", None), d("10")),
            Err(PricingError::CurrencyMismatch { .. })
        ));
        let mut inactive = p.clone();
        inactive.active = false;
        assert!(matches!(
            resolve_price(&inactive, &lists, &ctx("2026-03-15", None), d("1")),
            Err(PricingError::InactiveProduct(_))
        ));
    }

    fn arb_line() -> impl Strategy<Value = PricingLine> {
        (1i64..10_000, 0i64..1_000_000, 0i64..=10_000, prop::sample::select(vec!["0", "7", "19"])).prop_map(
            |(q, p, disc, rate)| PricingLine {
                qty: Decimal::new(q, 0),
                unit: "pc".into(),
                unit_price: Decimal::new(p, 4),
                discount_pct: Decimal::new(disc, 2),
                tax_rate_pct: d(rate),
            },
        )
    }

    proptest! {
        #[test]
        fn gross_is_net_plus_tax(lines in prop::collection::vec(arb_line(), 0..30), header in 0i64..=10_000) {
            let t = totals(&lines, Decimal::new(header, 2), Currency::EUR).unwrap();
            prop_assert_eq!(t.gross_total, t.net_total + t.tax_total);
            let sum_groups: Decimal = t.groups.iter().map(|g| g.net_after_discount).sum();
            prop_assert_eq!(sum_groups, t.net_total);
        }

        #[test]
        fn discounts_never_raise_a_price(l in arb_line(), extra in 0i64..=10_000, header in 0i64..=10_000) {
            let base = totals(std::slice::from_ref(&l), Decimal::ZERO, Currency::EUR).unwrap();
            let mut more = l.clone();
            more.discount_pct = (l.discount_pct + Decimal::new(extra, 2)).min(Decimal::ONE_HUNDRED);
            let discounted = totals(&[more], Decimal::new(header, 2), Currency::EUR).unwrap();
            prop_assert!(discounted.net_total <= base.net_total);
            prop_assert!(discounted.gross_total <= base.gross_total);
            prop_assert!(discounted.net_total >= Decimal::ZERO);
        }

        #[test]
        fn totals_do_not_depend_on_line_order(mut lines in prop::collection::vec(arb_line(), 1..20), header in 0i64..=10_000, seed in any::<u64>()) {
            let a = totals(&lines, Decimal::new(header, 2), Currency::EUR).unwrap();
            let n = lines.len();
            lines.rotate_left((seed as usize) % n);
            lines.reverse();
            let b = totals(&lines, Decimal::new(header, 2), Currency::EUR).unwrap();
            prop_assert_eq!((a.net_total, a.tax_total, a.gross_total), (b.net_total, b.tax_total, b.gross_total));
            prop_assert_eq!(a.groups, b.groups);
        }
    }
}
