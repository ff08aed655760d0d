//! The catalog's lookups: products, content, tax classes, price lists and
//! costs, read from a reader connection.

use rusqlite::OptionalExtension;

use super::rows::{PRODUCT_COLS, content_where, costs_in, load_price_list, product_from_row};
use crate::catalog::{ContentItem, PriceList, Product, Seq, TaxClass};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::codec::dec;

impl Store {
    /// One product by SKU (case-insensitive).
    pub fn product(&self, sku: &str) -> Result<Product> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {PRODUCT_COLS} FROM products WHERE sku = ?1"))?
                .query_row([sku], |r| Ok(product_from_row(r)))
                .optional()?
                .transpose()?
                .ok_or_else(|| Error::not_found("product", sku.chars().take(64).collect::<String>()))
        })
    }

    /// The whole content library, by id.
    pub fn content_items(&self) -> Result<Vec<ContentItem>> {
        self.read(|c| content_where(c, "?1 = 1", 1))
    }

    /// The content items that argue for a product.
    pub fn content_for_product(&self, sku: &str) -> Result<Vec<ContentItem>> {
        let sku = sku.to_lowercase();
        Ok(self.content_items()?.into_iter().filter(|i| i.skus.iter().any(|s| s.to_lowercase() == sku)).collect())
    }

    /// Every product, active or not, by SKU.
    pub fn products(&self) -> Result<Vec<Product>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {PRODUCT_COLS} FROM products ORDER BY sku"))?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(product_from_row(r)?);
            }
            Ok(out)
        })
    }

    /// Number of products, active or not.
    pub fn product_count(&self) -> Result<u64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM products", [], |r| r.get::<_, i64>(0))? as u64))
    }

    /// All tax classes, by code.
    pub fn tax_classes(&self) -> Result<Vec<TaxClass>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT code, name, rate_percent, seq FROM tax_classes ORDER BY code")?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let rate: String = r.get(2)?;
                out.push(TaxClass {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    rate_percent: dec("tax rate", &rate)?,
                    seq: r.get(3)?,
                });
            }
            Ok(out)
        })
    }

    /// One price list with its tiers.
    pub fn price_list(&self, id: &str) -> Result<PriceList> {
        self.read(|c| load_price_list(c, id)?.ok_or_else(|| Error::not_found("price list", id)))
    }

    /// Ids of all price lists, ordered.
    pub fn price_list_ids(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id FROM price_lists ORDER BY id")?;
            let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(ids)
        })
    }

    /// Every product cost (at the hub; never on customers' devices).
    pub fn product_costs(&self) -> Result<Vec<crate::catalog::ProductCost>> {
        self.read(costs_in)
    }

    /// Publishes the customer-specific price lists of `accounts` again
    /// (under a new catalog sequence, unchanged), so a rep who was just
    /// assigned those accounts receives them: reps receive only their own
    /// accounts' lists. Returns the catalog sequence afterwards.
    pub fn republish_price_lists(&self, accounts: &[String]) -> Result<Seq> {
        self.write(|tx| super::republish_price_lists_in(tx, accounts))
    }
}
