//! Reference data the rules and quotes read: the discount policy, product
//! costs, and the prices the price lists give a line today.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

use super::codec::{currency, dec, json};
use crate::catalog::{PriceList, PriceListScope, PriceTier};
use crate::error::{Error, Result};
use crate::money::Currency;
use crate::pricing::{self, PriceContext, PricingError, ResolvedPrice};
use crate::quote::{DiscountPolicy, Quote, QuoteLine};

pub(super) fn load_policy(c: &Connection) -> Result<DiscountPolicy> {
    let body: Option<String> =
        c.prepare_cached("SELECT body FROM discount_policy WHERE id = 1")?.query_row([], |r| r.get(0)).optional()?;
    body.map_or_else(|| Ok(DiscountPolicy::default()), |b| json("discount policy", &b))
}

/// The published seller's country, read without decoding the profile (its
/// logo may be half a megabyte; the hub asks once per quote line).
pub(super) fn seller_country_in(c: &Connection) -> Result<Option<String>> {
    let country: Option<Option<String>> = c
        .prepare_cached("SELECT json_extract(body, '$.address.country') FROM company_profile WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(country.flatten())
}

pub(super) fn cost_of(c: &Connection, sku: &str) -> Option<Decimal> {
    let text: Option<String> = c
        .prepare_cached("SELECT cost FROM product_costs WHERE sku = ?1")
        .and_then(|mut s| s.query_row([sku], |r| r.get(0)).optional())
        .ok()
        .flatten();
    text.and_then(|t| Decimal::from_str_exact(&t).ok())
}

/// The price lists that may price `sku` for this customer or group, each
/// with only that SKU's tiers.
pub(super) fn lists_for(c: &Connection, sku: &str, customer_id: &str, group: Option<&str>) -> Result<Vec<PriceList>> {
    let mut stmt = c.prepare_cached(
        "SELECT l.id, l.name, l.currency, l.customer_group, l.customer_id, l.valid_from, l.valid_to, l.seq,
                t.min_qty, t.unit_price
         FROM price_tiers t JOIN price_lists l ON l.id = t.price_list_id
         WHERE t.sku = ?1 AND (l.customer_id = ?2 OR l.customer_group = ?3)
         ORDER BY l.id",
    )?;
    let mut rows = stmt.query(params![sku, customer_id, group])?;
    let mut out: Vec<PriceList> = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let tier = PriceTier {
            sku: sku.to_string(),
            min_qty: dec("tier min_qty", &r.get::<_, String>(8)?)?,
            unit_price: dec("tier unit_price", &r.get::<_, String>(9)?)?,
        };
        if let Some(last) = out.last_mut().filter(|l| l.id == id) {
            last.tiers.push(tier);
            continue;
        }
        let scope = match (r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?) {
            (Some(g), None) => PriceListScope::CustomerGroup(g),
            (None, Some(c)) => PriceListScope::Customer(c),
            _ => return Err(Error::Corrupt { what: "price list scope", reason: "neither or both set".into() }),
        };
        let date = |s: Option<String>| super::codec::date("price list validity", s);
        out.push(PriceList {
            id,
            name: r.get(1)?,
            currency: currency("price list currency", &r.get::<_, String>(2)?)?,
            scope,
            valid_from: date(r.get(5)?)?,
            valid_to: date(r.get(6)?)?,
            tiers: vec![tier],
            seq: r.get(7)?,
        });
    }
    Ok(out)
}

/// The prices in force for a quote's lines on a day, looked up once: what
/// the discount policy measures a lowered unit price against.
pub(crate) struct ReferencePrices(Vec<(String, Decimal, Option<Decimal>)>);

impl ReferencePrices {
    pub(crate) fn of(c: &Connection, q: &Quote, day: NaiveDate) -> Result<ReferencePrices> {
        let group: Option<Option<String>> = c
            .prepare_cached("SELECT customer_group FROM accounts WHERE id = ?1")?
            .query_row([&q.account_id], |r| r.get(0))
            .optional()?;
        let mut out = Vec::with_capacity(q.lines.len());
        for l in q.lines.iter().filter(|l| !l.sku.is_empty()) {
            let price = match &group {
                Some(g) => current_unit_price(c, &q.account_id, g.as_deref(), l, day, q.currency)?,
                None => None,
            };
            out.push((l.sku.clone(), l.qty, price));
        }
        Ok(ReferencePrices(out))
    }

    pub(crate) fn get(&self, l: &QuoteLine) -> Option<Decimal> {
        self.0.iter().find(|(s, q, _)| *s == l.sku && *q == l.qty).and_then(|(_, _, p)| *p)
    }
}

/// A quote line for `sku`: the product's snapshot and the price that applies.
pub(super) fn resolve_line(
    c: &Connection,
    account_id: &str,
    sku: &str,
    qty: Decimal,
    day: NaiveDate,
    cur: Currency,
) -> Result<(QuoteLine, ResolvedPrice)> {
    let group: Option<String> = c
        .prepare_cached("SELECT customer_group FROM accounts WHERE id = ?1")?
        .query_row([account_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::not_found("account", account_id))?;
    resolve_line_for(c, account_id, group.as_deref(), sku, qty, day, cur)
}

/// The unit price the price lists in force give `line` for an account in
/// `group` on `day` (`None`: the product cannot be priced any more).
pub(crate) fn current_unit_price(
    c: &Connection,
    account_id: &str,
    group: Option<&str>,
    line: &QuoteLine,
    day: NaiveDate,
    cur: Currency,
) -> Result<Option<Decimal>> {
    match resolve_line_for(c, account_id, group, &line.sku, line.qty, day, cur) {
        Ok((_, price)) => Ok(Some(price.unit_price)),
        Err(Error::Pricing(_) | Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn resolve_line_for(
    c: &Connection,
    account_id: &str,
    group: Option<&str>,
    sku: &str,
    qty: Decimal,
    day: NaiveDate,
    cur: Currency,
) -> Result<(QuoteLine, ResolvedPrice)> {
    let product = super::catalog::product_in(c, sku)?.ok_or_else(|| PricingError::UnknownProduct(sku.to_string()))?;
    let rate: String = c
        .prepare_cached("SELECT rate_percent FROM tax_classes WHERE code = ?1")?
        .query_row([&product.tax_class], |r| r.get(0))?;
    let lists = lists_for(c, &product.sku, account_id, group)?;
    let ctx = PriceContext { customer_id: account_id, customer_group: group, day, currency: cur };
    pricing::check_quantity(1, qty, &product.unit)?;
    let price = pricing::resolve_price(&product, &lists, &ctx, qty)?;
    let line = QuoteLine {
        sku: product.sku.clone(),
        name: product.name.clone(),
        unit: product.unit.clone(),
        category: product.category.clone(),
        qty,
        unit_price: price.unit_price,
        discount_pct: Decimal::ZERO,
        tax_rate_pct: treatment_in(c, account_id)?.rate(dec("tax rate", &rate)?),
        c_part: product.c_part,
        position: Default::default(),
        chosen: false,
    };
    Ok((line, price))
}

/// How VAT applies to goods for the account (its projection row): where
/// they go and its VAT ID (`vat::treatment`); domestic for an account this
/// database does not hold.
pub(crate) fn treatment_in(c: &Connection, account_id: &str) -> Result<crate::vat::TaxTreatment> {
    let row: Option<(String, Option<String>, Option<String>)> = c
        .prepare_cached("SELECT billing_country, shipping_country, vat_id FROM accounts WHERE id = ?1")?
        .query_row([account_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((billing, shipping, vat_id)) = row else { return Ok(crate::vat::TaxTreatment::Domestic) };
    let to = shipping.filter(|s| !s.is_empty()).unwrap_or(billing);
    let seller = seller_country_in(c)?;
    let seller = seller.as_deref().unwrap_or(crate::vat::DEFAULT_SELLER_COUNTRY);
    Ok(crate::vat::treatment_of(seller, &to, vat_id.as_deref()))
}

/// The VAT rate a line of `sku` carries for the account: its tax class's
/// rate under the account's treatment; `None` for an unknown product.
pub(crate) fn line_tax_rate(c: &Connection, account_id: &str, sku: &str) -> Result<Option<Decimal>> {
    let Some(rate) = class_rate(c, sku)? else { return Ok(None) };
    Ok(Some(treatment_in(c, account_id)?.rate(rate)))
}

/// The rate of a product's tax class; `None` for an unknown product.
pub(crate) fn class_rate(c: &Connection, sku: &str) -> Result<Option<Decimal>> {
    let Some(product) = super::catalog::product_in(c, sku)? else { return Ok(None) };
    let rate: Option<String> = c
        .prepare_cached("SELECT rate_percent FROM tax_classes WHERE code = ?1")?
        .query_row([&product.tax_class], |r| r.get(0))
        .optional()?;
    rate.map(|r| dec("tax rate", &r)).transpose()
}
