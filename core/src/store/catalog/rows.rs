//! Reference rows read back into records, and the comparisons that tell
//! a changed row from an unchanged one.

use rusqlite::{Connection, OptionalExtension, Row as SqlRow};

use crate::catalog::{Attribute, ContentItem, PriceList, PriceListScope, PriceTier, Product};
use crate::error::{Error, Result};
use crate::money::Money;
use crate::store::codec::{currency, date, dec, dec_key, json};

pub(super) const PRODUCT_COLS: &str =
    "sku, name, description, category, unit, list_price, currency, tax_class, attributes, image, c_part, active, seq";

pub(super) fn product_from_row(r: &SqlRow<'_>) -> Result<Product> {
    product_from_row_at(r, 0)
}

/// Decodes the [`PRODUCT_COLS`] starting at column `at`.
pub(super) fn product_from_row_at(r: &SqlRow<'_>, at: usize) -> Result<Product> {
    let price: String = r.get(at + 5)?;
    let cur: String = r.get(at + 6)?;
    let attrs: String = r.get(at + 8)?;
    Ok(Product {
        sku: r.get(at)?,
        name: r.get(at + 1)?,
        description: r.get(at + 2)?,
        category: r.get(at + 3)?,
        unit: r.get(at + 4)?,
        list_price: Money::new(dec("product list_price", &price)?, currency("product currency", &cur)?),
        tax_class: r.get(at + 7)?,
        attributes: json::<Vec<Attribute>>("product attributes", &attrs)?,
        image: r.get(at + 9)?,
        c_part: r.get(at + 10)?,
        active: r.get(at + 11)?,
        seq: r.get(at + 12)?,
    })
}

pub(super) fn same_product(a: &Product, b: &Product) -> bool {
    let strip = |p: &Product| Product { seq: 0, ..p.clone() };
    strip(a) == strip(b) && a.sku == b.sku
}

pub(super) fn load_price_list(c: &Connection, id: &str) -> Result<Option<PriceList>> {
    let header = c
        .prepare_cached(
            "SELECT id, name, currency, customer_group, customer_id, valid_from, valid_to, seq FROM price_lists WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    let Some((id, name, cur, group, customer, from, to, seq)) = header else {
        return Ok(None);
    };
    let scope = match (group, customer) {
        (Some(g), None) => PriceListScope::CustomerGroup(g),
        (None, Some(c)) => PriceListScope::Customer(c),
        _ => return Err(Error::Corrupt { what: "price list scope", reason: "neither or both set".into() }),
    };
    let mut stmt = c.prepare_cached(
        "SELECT sku, min_qty, unit_price FROM price_tiers WHERE price_list_id = ?1 ORDER BY sku, CAST(min_qty AS REAL)",
    )?;
    let mut rows = stmt.query([&id])?;
    let mut tiers = Vec::new();
    while let Some(r) = rows.next()? {
        let q: String = r.get(1)?;
        let p: String = r.get(2)?;
        tiers.push(PriceTier {
            sku: r.get(0)?,
            min_qty: dec("tier min_qty", &q)?,
            unit_price: dec("tier unit_price", &p)?,
        });
    }
    Ok(Some(PriceList {
        id,
        name,
        currency: currency("price list currency", &cur)?,
        scope,
        valid_from: date("price list valid_from", from)?,
        valid_to: date("price list valid_to", to)?,
        tiers,
        seq,
    }))
}

fn sorted_tiers(l: &PriceList) -> Vec<(String, String, String)> {
    let mut t: Vec<_> =
        l.tiers.iter().map(|t| (t.sku.to_lowercase(), dec_key(t.min_qty), dec_key(t.unit_price))).collect();
    t.sort();
    t
}

pub(super) fn same_list(a: &PriceList, b: &PriceList) -> bool {
    a.name == b.name
        && a.currency == b.currency
        && a.scope == b.scope
        && a.valid_from == b.valid_from
        && a.valid_to == b.valid_to
        && sorted_tiers(a) == sorted_tiers(b)
}

pub(super) fn sku_exists(c: &Connection, sku: &str) -> Result<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM products WHERE sku = ?1")?.exists([sku])?)
}

pub(super) fn content_where(c: &Connection, filter: &str, arg: impl rusqlite::ToSql) -> Result<Vec<ContentItem>> {
    let mut stmt = c.prepare(&format!(
        "SELECT id, kind, title, summary, url, skus, seq FROM content_items WHERE {filter} ORDER BY id"
    ))?;
    let mut rows = stmt.query([arg])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let kind: String = r.get(1)?;
        out.push(ContentItem {
            id: r.get(0)?,
            kind: json("content kind", &format!("\"{kind}\""))?,
            title: r.get(2)?,
            summary: r.get(3)?,
            url: r.get(4)?,
            skus: json("content skus", &r.get::<_, String>(5)?)?,
            seq: r.get(6)?,
        });
    }
    Ok(out)
}

/// One product by SKU on a connection, if it exists.
pub(crate) fn product_in(c: &Connection, sku: &str) -> Result<Option<Product>> {
    c.prepare_cached(&format!("SELECT {PRODUCT_COLS} FROM products WHERE sku = ?1"))?
        .query_row([sku], |r| Ok(product_from_row(r)))
        .optional()?
        .transpose()
}

/// Every product cost.
pub(crate) fn costs_in(c: &Connection) -> Result<Vec<crate::catalog::ProductCost>> {
    let mut stmt = c.prepare_cached("SELECT sku, cost, seq FROM product_costs ORDER BY sku")?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(crate::catalog::ProductCost {
            sku: r.get(0)?,
            cost: dec("product cost", &r.get::<_, String>(1)?)?,
            seq: r.get(2)?,
        });
    }
    Ok(out)
}

/// Published images where `filter` holds, by name.
pub(crate) fn media_where(
    c: &Connection,
    filter: &str,
    arg: impl rusqlite::ToSql,
) -> Result<Vec<crate::blob::MediaItem>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT name, hash, media_type, size, width, height, thumb_hash, thumb_size, seq FROM media WHERE {filter} ORDER BY name"
    ))?;
    let rows = stmt.query_map([arg], |r| {
        Ok(crate::blob::MediaItem {
            name: r.get(0)?,
            hash: r.get(1)?,
            media_type: r.get(2)?,
            size: r.get::<_, i64>(3)? as u64,
            width: r.get(4)?,
            height: r.get(5)?,
            thumb_hash: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            thumb_size: r.get::<_, Option<i64>>(7)?.unwrap_or_default() as u64,
            seq: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
