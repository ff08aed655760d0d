//! Reference data in the store: the all-or-nothing catalog import, lookups,
//! and deltas "since sequence N" for devices.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row as SqlRow, Transaction, params};

use super::Store;
use super::codec::{currency, date, dec, dec_key, json, to_json};
use super::search_index::{self, SearchIndexer};
use crate::catalog::{Attribute, ContentItem, PriceList, PriceListScope, PriceTier, Product, Seq, TaxClass};
use crate::error::{Error, Result};
use crate::import::{ImportReport, ParsedCatalog, Problem, SourceLines};
use crate::money::Money;
use crate::release::{CatalogDelta, ReferenceData, Sequenced, Tombstone};

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ImportSummary {
    /// The catalog sequence after the import (unchanged if nothing changed).
    pub seq: Seq,
    /// Products that were new.
    pub products_added: u64,
    /// Products whose data changed.
    pub products_updated: u64,
    /// Products identical to what was stored (their sequence is kept).
    pub products_unchanged: u64,
    /// Products deleted (tombstones written).
    pub products_deleted: u64,
    /// Price lists new or changed.
    pub price_lists_changed: u64,
    /// Tax classes new or changed.
    pub tax_classes_changed: u64,
    /// Product costs new or changed.
    pub costs_changed: u64,
    /// Content library items new or changed.
    pub content_changed: u64,
    /// Whether the discount policy changed.
    pub policy_changed: bool,
    /// Whether the lead-scoring model changed.
    pub scoring_changed: bool,
    /// Campaigns new or changed.
    pub campaigns_changed: u64,
}

/// Progress of a long import, reported every 1,000 rows and at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Rows written so far.
    pub done: usize,
    /// Rows to write in all.
    pub total: usize,
}

const PRODUCT_COLS: &str =
    "sku, name, description, category, unit, list_price, currency, tax_class, attributes, image, c_part, active, seq";

fn product_from_row(r: &SqlRow<'_>) -> Result<Product> {
    product_from_row_at(r, 0)
}

/// Decodes the [`PRODUCT_COLS`] starting at column `at`.
fn product_from_row_at(r: &SqlRow<'_>, at: usize) -> Result<Product> {
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

fn same_product(a: &Product, b: &Product) -> bool {
    let strip = |p: &Product| Product { seq: 0, ..p.clone() };
    strip(a) == strip(b) && a.sku == b.sku
}

/// Rebuilds the search index and its vocabulary from the products (a store
/// upgraded from an older index format, see `search_index::INDEX_FORMAT`).
pub(super) fn rebuild_search_index(tx: &Transaction<'_>) -> Result<u64> {
    search_index::recreate(tx)?;
    let mut indexer = SearchIndexer::default();
    let mut n = 0;
    {
        let mut stmt = tx.prepare(&format!("SELECT id, {PRODUCT_COLS} FROM products ORDER BY id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            indexer.add(tx, id, &product_from_row_at(r, 1)?)?;
            n += 1;
        }
    }
    indexer.finish(tx)?;
    search_index::mark_current(tx)?;
    Ok(n)
}

fn load_price_list(c: &Connection, id: &str) -> Result<Option<PriceList>> {
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

fn same_list(a: &PriceList, b: &PriceList) -> bool {
    a.name == b.name
        && a.currency == b.currency
        && a.scope == b.scope
        && a.valid_from == b.valid_from
        && a.valid_to == b.valid_to
        && sorted_tiers(a) == sorted_tiers(b)
}

fn sku_exists(c: &Connection, sku: &str) -> Result<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM products WHERE sku = ?1")?.exists([sku])?)
}

/// Checks that need the database: references to tax classes and products.
/// `lines` says where each record came from (empty: not from a file, line 0).
fn reference_problems(tx: &Transaction<'_>, data: &ReferenceData, lines: &SourceLines) -> Result<Vec<Problem>> {
    let at = |of: &[u64], i: usize| of.get(i).copied().unwrap_or(0);
    let mut problems = Vec::new();
    let mut tax: HashSet<String> = {
        let mut stmt = tx.prepare("SELECT code FROM tax_classes")?;
        let codes = stmt.query_map([], |r| r.get::<_, String>(0))?;
        codes.collect::<Result<_, _>>()?
    };
    tax.extend(data.tax_classes.iter().map(|t| t.code.clone()));
    let deleted: HashSet<String> = data.deleted_products().map(|d| d.key.to_lowercase()).collect();
    let in_batch: HashSet<String> = data.products.iter().map(|p| p.sku.to_lowercase()).collect();
    let known = |sku: &str| -> Result<bool> {
        let k = sku.to_lowercase();
        Ok(!deleted.contains(&k) && (in_batch.contains(&k) || sku_exists(tx, sku)?))
    };
    for (i, item) in data.products.iter().enumerate() {
        let line = at(&lines.products, i);
        if !tax.contains(&item.tax_class) {
            problems.push(problem(line, &item.sku, format!("unknown tax class {:?}", item.tax_class)));
        }
        if deleted.contains(&item.sku.to_lowercase()) {
            problems.push(problem(line, &item.sku, "is also listed in deleted_skus"));
        }
    }
    for (i, item) in data.price_lists.iter().enumerate() {
        let mut missing: Vec<&str> = Vec::new();
        for t in &item.tiers {
            if !known(&t.sku)? && !missing.contains(&t.sku.as_str()) {
                missing.push(&t.sku);
            }
        }
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(5).copied().collect();
            let more = if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() };
            let reason = format!("prices unknown SKU {}{more}", shown.join(", "));
            problems.push(problem(at(&lines.price_lists, i), &item.id, reason));
        }
    }
    for (i, item) in data.product_costs.iter().enumerate() {
        if !known(&item.sku)? {
            problems.push(problem(at(&lines.product_costs, i), &item.sku, "cost for an unknown SKU"));
        }
    }
    for (i, item) in data.content.iter().enumerate() {
        for sku in &item.skus {
            if !known(sku)? {
                problems.push(problem(at(&lines.content, i), &item.id, format!("refers to unknown SKU {sku}")));
                break;
            }
        }
    }
    for (i, t) in data.tombstones.iter().enumerate() {
        if t.entity == Tombstone::PRODUCT && !sku_exists(tx, &t.key)? {
            problems.push(problem(at(&lines.tombstones, i), &t.key, UNKNOWN_DELETION));
        }
    }
    Ok(problems)
}

/// The problem of deleting a SKU the store does not have (a device that
/// never received it: not a problem in a delta).
const UNKNOWN_DELETION: &str = "cannot delete an unknown SKU";

fn problem(line: u64, key: &str, reason: impl Into<String>) -> Problem {
    Problem { line, key: Some(key.to_string()), reason: reason.into() }
}

/// How written rows get their sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    /// An import at the hub: every changed row gets the next sequence.
    Next,
    /// A delta on a device: rows keep the hub's sequence; the cursor moves to `to`.
    Carried { to: Seq },
}

/// Writes a one-row reference table (`discount_policy`, `scoring_model`)
/// when its body changed, or always when `carried` brings the hub's
/// sequence; returns whether it wrote.
fn write_single(tx: &Transaction<'_>, table: &str, body: &str, carried: Option<Seq>, next: Seq) -> Result<bool> {
    let old: Option<String> =
        tx.query_row(&format!("SELECT body FROM {table} WHERE id = 1"), [], |r| r.get(0)).optional()?;
    if carried.is_none() && old.as_deref() == Some(body) {
        return Ok(false);
    }
    tx.execute(
        &format!(
            "INSERT INTO {table} (id, body, seq) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, seq = excluded.seq"
        ),
        params![body, carried.unwrap_or(next)],
    )?;
    Ok(true)
}

/// Deletes a product and its search entries (a SKU not stored is no error: a
/// device may never have received it). `bump_lists`: the price lists that
/// priced it get the new sequence, so devices drop its tiers too.
fn delete_product(
    tx: &Transaction<'_>,
    indexer: &mut SearchIndexer,
    select_sql: &str,
    sku: &str,
    seq: Seq,
    bump_lists: bool,
) -> Result<()> {
    let found = tx
        .prepare_cached(select_sql)?
        .query_row([sku], |r| Ok((r.get::<_, i64>(0)?, product_from_row_at(r, 1))))
        .optional()?;
    if let Some((id, stored)) = found {
        let stored = stored?;
        if bump_lists {
            tx.execute(
                "UPDATE price_lists SET seq = ?1 WHERE id IN (SELECT price_list_id FROM price_tiers WHERE sku = ?2)",
                params![seq, sku],
            )?;
        }
        indexer.remove(tx, id, &stored)?;
        tx.execute("DELETE FROM products WHERE id = ?1", [id])?;
    }
    Ok(())
}

fn write_batch(
    tx: &Transaction<'_>,
    batch: &ReferenceData,
    stamp: Stamp,
    progress: &mut dyn FnMut(super::ImportProgress),
) -> Result<ImportSummary> {
    let current: Seq = tx.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
    let next = current + 1;
    let carried = matches!(stamp, Stamp::Carried { .. });
    let stamp_of = |row_seq: Seq| if carried { row_seq } else { next };
    let mut s = ImportSummary::default();

    for t in &batch.tax_classes {
        let seq = stamp_of(t.seq);
        let old: Option<(String, String)> = tx
            .query_row("SELECT name, rate_percent FROM tax_classes WHERE code = ?1", [&t.code], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let unchanged =
            !carried && old.is_some_and(|(n, r)| n == t.name && dec("tax rate", &r).is_ok_and(|r| r == t.rate_percent));
        if !unchanged {
            tx.execute(
                "INSERT INTO tax_classes (code, name, rate_percent, seq) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, rate_percent = excluded.rate_percent, seq = excluded.seq",
                params![t.code, t.name, dec_key(t.rate_percent), seq],
            )?;
            tx.execute("DELETE FROM tombstones WHERE entity = 'tax_class' AND key = ?1", [&t.code])?;
            s.tax_classes_changed += 1;
        }
    }

    let total = batch.products.len() + batch.tombstones.len();
    let insert_sql = format!(
        "INSERT INTO products ({PRODUCT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (sku) DO NOTHING"
    );
    let select_sql = format!("SELECT id, {PRODUCT_COLS} FROM products WHERE sku = ?1");
    let has_tombstones = tx.prepare("SELECT 1 FROM tombstones WHERE entity = 'product' LIMIT 1")?.exists([])?;
    let mut indexer = SearchIndexer::for_index(tx)?;
    for (i, p) in batch.products.iter().enumerate() {
        let seq = stamp_of(p.seq);
        let attrs = to_json("product attributes", &p.attributes)?;
        let price = p.list_price.amount.to_string();
        let values: [&dyn rusqlite::ToSql; 13] = [
            &p.sku,
            &p.name,
            &p.description,
            &p.category,
            &p.unit,
            &price,
            &p.list_price.currency.code(),
            &p.tax_class,
            &attrs,
            &p.image,
            &p.c_part,
            &p.active,
            &seq,
        ];
        // New SKUs (the common case of a bulk import) take one statement.
        let inserted = tx.prepare_cached(&insert_sql)?.execute(&values[..])?;
        if inserted == 1 {
            let id = tx.last_insert_rowid();
            indexer.add(tx, id, p)?;
            if has_tombstones {
                tx.prepare_cached("DELETE FROM tombstones WHERE entity = 'product' AND key = ?1 COLLATE NOCASE")?
                    .execute([&p.sku])?;
            }
            s.products_added += 1;
        } else {
            let (id, stored) = tx
                .prepare_cached(&select_sql)?
                .query_row([&p.sku], |r| Ok((r.get::<_, i64>(0)?, product_from_row_at(r, 1))))?;
            let stored = stored?;
            if !carried && same_product(&stored, p) {
                s.products_unchanged += 1;
            } else {
                let mut with_id = values.to_vec();
                with_id.push(&id);
                tx.prepare_cached(
                    "UPDATE products SET sku = ?1, name = ?2, description = ?3, category = ?4, unit = ?5,
                     list_price = ?6, currency = ?7, tax_class = ?8, attributes = ?9, image = ?10,
                     c_part = ?11, active = ?12, seq = ?13 WHERE id = ?14",
                )?
                .execute(&with_id[..])?;
                indexer.remove(tx, id, &stored)?;
                indexer.add(tx, id, p)?;
                s.products_updated += 1;
            }
        }
        if (i + 1).is_multiple_of(1000) {
            progress(super::ImportProgress { done: i + 1, total });
        }
    }

    for l in &batch.price_lists {
        let seq = stamp_of(l.seq);
        let old = load_price_list(tx, &l.id)?;
        if !carried && old.as_ref().is_some_and(|o| same_list(o, l)) {
            continue;
        }
        let (group, customer) = match &l.scope {
            PriceListScope::CustomerGroup(g) => (Some(g.as_str()), None),
            PriceListScope::Customer(c) => (None, Some(c.as_str())),
        };
        tx.execute(
            "INSERT INTO price_lists (id, name, currency, customer_group, customer_id, valid_from, valid_to, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency,
               customer_group = excluded.customer_group, customer_id = excluded.customer_id,
               valid_from = excluded.valid_from, valid_to = excluded.valid_to, seq = excluded.seq",
            params![
                l.id,
                l.name,
                l.currency.code(),
                group,
                customer,
                l.valid_from.map(|d| d.to_string()),
                l.valid_to.map(|d| d.to_string()),
                seq
            ],
        )?;
        tx.execute("DELETE FROM price_tiers WHERE price_list_id = ?1", [&l.id])?;
        let mut ins = tx.prepare_cached(
            "INSERT INTO price_tiers (price_list_id, sku, min_qty, unit_price) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for t in &l.tiers {
            ins.execute(params![l.id, t.sku, dec_key(t.min_qty), dec_key(t.unit_price)])?;
        }
        tx.execute("DELETE FROM tombstones WHERE entity = 'price_list' AND key = ?1", [&l.id])?;
        s.price_lists_changed += 1;
    }

    for (i, t) in batch.tombstones.iter().enumerate() {
        let seq = stamp_of(t.seq);
        match t.entity.as_str() {
            Tombstone::PRODUCT => {
                delete_product(tx, &mut indexer, &select_sql, &t.key, seq, !carried)?;
                s.products_deleted += 1;
            }
            Tombstone::PRICE_LIST => {
                tx.execute("DELETE FROM price_lists WHERE id = ?1", [&t.key])?;
                s.price_lists_changed += 1;
            }
            _ => return Err(Error::validation("tombstone", "unknown kind of record")),
        }
        tx.execute(
            "INSERT INTO tombstones (entity, key, seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (entity, key) DO UPDATE SET seq = excluded.seq",
            params![t.entity, t.key, seq],
        )?;
        if (batch.products.len() + i + 1).is_multiple_of(1000) {
            progress(super::ImportProgress { done: batch.products.len() + i + 1, total });
        }
    }

    indexer.finish(tx)?;

    if let Some(Sequenced { seq, item: policy }) = &batch.discount_policy {
        let body = to_json("discount policy", policy)?;
        s.policy_changed = write_single(tx, "discount_policy", &body, carried.then_some(*seq), next)?;
    }
    for c in &batch.product_costs {
        let old: Option<String> = tx
            .prepare_cached("SELECT cost FROM product_costs WHERE sku = ?1")?
            .query_row([&c.sku], |r| r.get(0))
            .optional()?;
        if carried || old.as_deref() != Some(dec_key(c.cost).as_str()) {
            tx.prepare_cached(
                "INSERT INTO product_costs (sku, cost, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sku) DO UPDATE SET cost = excluded.cost, seq = excluded.seq",
            )?
            .execute(params![c.sku, dec_key(c.cost), stamp_of(c.seq)])?;
            s.costs_changed += 1;
        }
    }
    for c in &batch.content {
        let skus = to_json("content skus", &c.skus)?;
        let old: Option<(String, String, String, Option<String>, String)> = tx
            .prepare_cached("SELECT kind, title, summary, url, skus FROM content_items WHERE id = ?1")?
            .query_row([&c.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .optional()?;
        let new = (c.kind.as_str().to_string(), c.title.clone(), c.summary.clone(), c.url.clone(), skus.clone());
        if carried || old.as_ref() != Some(&new) {
            tx.prepare_cached(
                "INSERT INTO content_items (id, kind, title, summary, url, skus, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, summary = excluded.summary,
                   url = excluded.url, skus = excluded.skus, seq = excluded.seq",
            )?
            .execute(params![c.id, new.0, new.1, new.2, new.3, new.4, stamp_of(c.seq)])?;
            s.content_changed += 1;
        }
    }

    if let Some(Sequenced { seq, item: model }) = &batch.scoring_model {
        let body = to_json("scoring model", model)?;
        s.scoring_changed = write_single(tx, "scoring_model", &body, carried.then_some(*seq), next)?;
    }
    for Sequenced { seq: carried_seq, item: c } in &batch.campaigns {
        let body = to_json("campaign", c)?;
        let old: Option<String> = tx
            .prepare_cached("SELECT body FROM campaigns WHERE id = ?1")?
            .query_row([&c.id], |r| r.get(0))
            .optional()?;
        if carried || old.as_deref() != Some(body.as_str()) {
            let seq = stamp_of(*carried_seq);
            tx.prepare_cached(
                "INSERT INTO campaigns (id, body, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body, seq = excluded.seq",
            )?
            .execute(params![c.id, body, seq])?;
            s.campaigns_changed += 1;
        }
    }

    let changed = s.products_added
        + s.products_updated
        + s.products_deleted
        + s.price_lists_changed
        + s.tax_classes_changed
        + s.costs_changed
        + s.content_changed
        + s.campaigns_changed
        + u64::from(s.policy_changed)
        + u64::from(s.scoring_changed);
    s.seq = match stamp {
        Stamp::Carried { to } => to,
        Stamp::Next if changed > 0 => next,
        Stamp::Next => current,
    };
    if s.seq != current {
        tx.execute("UPDATE catalog_state SET seq = ?1 WHERE id = 1", [s.seq])?;
    }
    progress(super::ImportProgress { done: total, total });
    Ok(s)
}

fn content_where(c: &Connection, filter: &str, arg: impl rusqlite::ToSql) -> Result<Vec<ContentItem>> {
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

impl Store {
    /// The catalog's current sequence number (0 for an empty catalog).
    pub fn catalog_seq(&self) -> Result<Seq> {
        self.read(|c| Ok(c.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?))
    }

    /// Imports a parsed catalog file all-or-nothing: if the file had bad rows
    /// or any row refers to an unknown tax class or SKU, nothing is changed
    /// and [`Error::Import`] lists every problem by line. Otherwise all rows
    /// are written in one transaction under the next catalog sequence
    /// number; rows identical to the stored ones keep their sequence.
    pub fn import_catalog(
        &self,
        parsed: ParsedCatalog,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary> {
        let ParsedCatalog { batch, problems } = parsed;
        let (data, lines) = batch.into_data();
        self.write(|tx| publish_in(tx, &data, &lines, problems, progress))
    }

    /// Publishes reference data the back office made (a policy, costs,
    /// deletions, counted campaign figures) through the same checked write
    /// as a file: all or nothing, under the next catalog sequence.
    pub(crate) fn publish(&self, data: &ReferenceData) -> Result<ImportSummary> {
        validate(data, |reason| Error::validation("reference data", reason))?;
        self.write(|tx| publish_in(tx, data, &SourceLines::default(), Vec::new(), &mut |_| {}))
    }

    /// Applies a delta from the hub on a device: rows keep the hub's
    /// sequence numbers, tombstones delete, and the device's cursor moves to
    /// [`CatalogDelta::to`], all in one transaction. Every row is checked as
    /// an import row is; a delta that starts after this device's cursor (a
    /// gap) is refused, one that ends before it (stale) changes nothing.
    pub fn apply_catalog_delta(&self, delta: &CatalogDelta) -> Result<ImportSummary> {
        self.write(|tx| apply_delta_in(tx, delta, true))
    }

    /// Deletes products by SKU, keeping tombstones for deltas. Unknown SKUs
    /// fail the whole call.
    pub fn delete_products(&self, skus: &[&str]) -> Result<ImportSummary> {
        let tombstones = skus.iter().map(|s| Tombstone::product(s)).collect();
        self.publish(&ReferenceData { tombstones, ..Default::default() })
    }
}

/// Every record's own rules (a file's rows passed them in the parser, with
/// their lines); `invalid` words what is wrong with the whole.
fn validate(data: &ReferenceData, invalid: impl Fn(String) -> Error) -> Result<()> {
    if let Some(m) = &data.scoring_model {
        m.item.validate().map_err(|e| invalid(e.to_string()))?;
    }
    for c in &data.campaigns {
        c.item.validate().map_err(|e| invalid(e.to_string()))?;
    }
    for c in &data.content {
        c.validate()?;
    }
    if data.product_costs.iter().any(|c| c.cost < rust_decimal::Decimal::ZERO) {
        return Err(invalid("a product cost is negative".into()));
    }
    if data.tombstones.iter().any(|t| t.entity != Tombstone::PRODUCT && t.entity != Tombstone::PRICE_LIST) {
        return Err(invalid("unknown kind of tombstone".into()));
    }
    for t in &data.tax_classes {
        t.validate()?;
    }
    for p in &data.products {
        p.validate()?;
    }
    for l in &data.price_lists {
        l.validate()?;
    }
    Ok(())
}

/// A file's rows or the back office's data, checked and written under the
/// next sequence (`problems`: those the parser found already).
fn publish_in(
    tx: &Transaction<'_>,
    data: &ReferenceData,
    lines: &SourceLines,
    mut problems: Vec<Problem>,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportSummary> {
    problems.extend(reference_problems(tx, data, lines)?);
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(Error::Import(ImportReport { problems }));
    }
    write_batch(tx, data, Stamp::Next, progress)
}

/// [`Store::apply_catalog_delta`] inside a transaction. A page that is not
/// `complete` (a split delta) writes its rows but leaves the cursor.
pub(crate) fn apply_delta_in(tx: &Transaction<'_>, delta: &CatalogDelta, complete: bool) -> Result<ImportSummary> {
    let invalid = |reason: String| Error::validation("catalog delta", reason);
    if delta.to < delta.since {
        return Err(invalid("ends before it starts".into()));
    }
    let data = ReferenceData::from_delta(delta);
    validate(&data, invalid)?;
    let current: Seq = tx.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
    if delta.since > current {
        return Err(invalid(format!(
            "starts after sequence {} but this device is at {current}; ask for a delta since {current}",
            delta.since
        )));
    }
    if complete && delta.to <= current {
        return Ok(ImportSummary { seq: current, ..Default::default() });
    }
    let mut problems = reference_problems(tx, &data, &SourceLines::default())?;
    problems.retain(|p| p.reason != UNKNOWN_DELETION);
    if let Some(p) = problems.first() {
        return Err(invalid(p.reason.clone()));
    }
    let to = if complete { delta.to } else { current };
    write_batch(tx, &data, Stamp::Carried { to }, &mut |_| {})
}

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
        self.write(|tx| republish_price_lists_in(tx, accounts))
    }

    /// Everything that changed after `since`: what a device at cursor
    /// `since` needs to reach [`CatalogDelta::to`]. Rows at sequence 0 are
    /// the seed every database is created with (the German tax classes) and
    /// are never shipped.
    pub fn catalog_changes_since(&self, since: Seq) -> Result<CatalogDelta> {
        let all = crate::release::CatalogAudience::Everything { costs: true };
        self.read(|c| Ok(catalog_page(c, since, None, usize::MAX, &all)?.0))
    }

    /// One page of the reference-data delta since `since`, as the hub
    /// sends it (see [`crate::sync::hub::HubStorage::catalog_page`]): for a
    /// hub whose catalog lives in a local replica of this store.
    pub fn catalog_page(
        &self,
        since: Seq,
        after: Option<(Seq, i64)>,
        limit: usize,
        audience: &crate::release::CatalogAudience<'_>,
    ) -> Result<(CatalogDelta, Option<(Seq, i64)>)> {
        self.read(|c| catalog_page(c, since, after, limit, audience))
    }
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

pub(crate) fn republish_price_lists_in(tx: &Transaction<'_>, accounts: &[String]) -> Result<Seq> {
    let current: Seq = tx.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
    let list = serde_json::to_string(accounts).map_err(|e| Error::validation("accounts", e.to_string()))?;
    let n: i64 = tx.query_row(
        "SELECT count(*) FROM price_lists WHERE customer_id IN (SELECT value FROM json_each(?1))",
        [&list],
        |r| r.get(0),
    )?;
    if n == 0 {
        return Ok(current);
    }
    let seq = current + 1;
    tx.execute("UPDATE catalog_state SET seq = ?1 WHERE id = 1", [seq])?;
    tx.execute(
        "UPDATE price_lists SET seq = ?1 WHERE customer_id IN (SELECT value FROM json_each(?2))",
        rusqlite::params![seq, list],
    )?;
    Ok(seq)
}

/// One page of the delta since `since`: at most `limit` products after
/// `after` (in sequence, row order: a device that applies them in this order
/// gets the hub's row order, which unselective searches list by), and with the last page everything else
/// (price lists, tombstones, the discount policy, content, and product costs
/// as `audience` allows). Returns the page and, if more products follow,
/// where the next page starts.
pub(crate) fn catalog_page(
    c: &Connection,
    since: Seq,
    after: Option<(Seq, i64)>,
    limit: usize,
    audience: &crate::release::CatalogAudience<'_>,
) -> Result<(CatalogDelta, Option<(Seq, i64)>)> {
    let to: Seq = c.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
    let mut delta = CatalogDelta { since, to, ..Default::default() };
    if after.is_none() {
        let mut stmt =
            c.prepare_cached("SELECT code, name, rate_percent, seq FROM tax_classes WHERE seq > ?1 ORDER BY code")?;
        let mut rows = stmt.query([since])?;
        while let Some(r) = rows.next()? {
            let rate: String = r.get(2)?;
            delta.tax_classes.push(TaxClass {
                code: r.get(0)?,
                name: r.get(1)?,
                rate_percent: dec("tax rate", &rate)?,
                seq: r.get(3)?,
            });
        }
    }
    let (a_seq, a_row) = after.unwrap_or((Seq::MIN, i64::MIN));
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {PRODUCT_COLS}, id FROM products WHERE seq > ?1 AND (seq, id) > (?2, ?3) ORDER BY seq, id LIMIT ?4"
    ))?;
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let mut rows = stmt.query(params![since, a_seq, a_row, fetch])?;
    let mut last = None;
    while let Some(r) = rows.next()? {
        if delta.products.len() == limit {
            return Ok((delta, last));
        }
        let p = product_from_row(r)?;
        last = Some((p.seq, r.get::<_, i64>(13)?));
        delta.products.push(p);
    }
    let mut stmt = c.prepare("SELECT id FROM price_lists WHERE seq > ?1 ORDER BY seq, id")?;
    let ids: Vec<String> = stmt.query_map([since], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for id in ids {
        if let Some(l) = load_price_list(c, &id)? {
            // A customer's device never receives another customer's or
            // another group's prices, a rep's only their accounts'.
            if !audience.sees_list(&l.scope) {
                continue;
            }
            delta.price_lists.push(l);
        }
    }
    let mut stmt = c.prepare("SELECT entity, key, seq FROM tombstones WHERE seq > ?1 ORDER BY seq, entity, key")?;
    let rows = stmt.query_map([since], |r| Ok(Tombstone { entity: r.get(0)?, key: r.get(1)?, seq: r.get(2)? }))?;
    delta.tombstones = rows.collect::<Result<_, _>>()?;
    delta.content = content_where(c, "seq > ?1", since)?;
    if !audience.staff() {
        return Ok((delta, None));
    }
    let policy: Option<String> =
        c.query_row("SELECT body FROM discount_policy WHERE id = 1 AND seq > ?1", [since], |r| r.get(0)).optional()?;
    delta.discount_policy = policy.map(|b| json("discount policy", &b)).transpose()?;
    // Marketing reference data goes to reps and admins, like costs.
    let model: Option<String> =
        c.query_row("SELECT body FROM scoring_model WHERE id = 1 AND seq > ?1", [since], |r| r.get(0)).optional()?;
    delta.scoring_model = model.map(|b| json("scoring model", &b)).transpose()?;
    let mut stmt = c.prepare("SELECT body FROM campaigns WHERE seq > ?1 ORDER BY seq, id")?;
    let bodies: Vec<String> = stmt.query_map([since], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for b in bodies {
        delta.campaigns.push(json("campaign", &b)?);
    }
    if !audience.costs() {
        return Ok((delta, None));
    }
    let mut stmt = c.prepare("SELECT sku, cost, seq FROM product_costs WHERE seq > ?1 ORDER BY seq, sku")?;
    let mut rows = stmt.query([since])?;
    while let Some(r) = rows.next()? {
        delta.product_costs.push(crate::catalog::ProductCost {
            sku: r.get(0)?,
            cost: dec("product cost", &r.get::<_, String>(1)?)?,
            seq: r.get(2)?,
        });
    }
    Ok((delta, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Format, parse};
    use crate::store::tests::temp_store;
    use rust_decimal::Decimal;

    const CSV: &str = "sku;name;unit;list_price;tax_class;c_part;attr:Material\n\
                       DIN933-M8X40;Sechskantschraube DIN 933 M8×40;pc;0,12;DE-STD;ja;Stahl verzinkt\n\
                       MS-100;Müller-Schraube Holzbau 6×100;pc;0,35;DE-STD;ja;Stahl\n\
                       BOOK-1;Handbuch Befestigungstechnik;pc;49,90;DE-RED;nein;\n";

    fn import(store: &Store, text: &str) -> Result<ImportSummary> {
        let parsed = parse(text.as_bytes(), Format::detect(None, text.as_bytes()));
        store.import_catalog(parsed, &mut |_| {})
    }

    #[test]
    fn import_writes_rows_and_bumps_the_sequence() -> Result<()> {
        let (_d, store) = temp_store();
        let s = import(&store, CSV)?;
        assert_eq!((s.seq, s.products_added, s.products_updated), (1, 3, 0));
        let p = store.product("din933-m8x40")?;
        assert_eq!(p.list_price.amount, Decimal::new(12, 2));
        assert_eq!(p.attributes, vec![Attribute { key: "Material".into(), value: "Stahl verzinkt".into() }]);
        assert_eq!(p.seq, 1);
        assert!(p.c_part && p.active);
        assert_eq!(store.product_count()?, 3);

        // Same file again: nothing changes, not even the sequence.
        let again = import(&store, CSV)?;
        assert_eq!((again.seq, again.products_unchanged, again.products_added), (1, 3, 0));

        // One changed price: only that row moves to sequence 2.
        let changed = CSV.replace("0,35", "0,39");
        let s2 = import(&store, &changed)?;
        assert_eq!((s2.seq, s2.products_updated, s2.products_unchanged), (2, 1, 2));
        assert_eq!(store.product("MS-100")?.seq, 2);
        assert_eq!(store.product("DIN933-M8X40")?.seq, 1);
        Ok(())
    }

    #[test]
    fn a_bad_file_changes_nothing_and_lists_every_problem() -> Result<()> {
        let (_d, store) = temp_store();
        import(&store, CSV)?;
        let bad = "sku;name;unit;list_price;tax_class\n\
                   NEW-1;Neu;pc;1,00;DE-STD\n\
                   NEW-2;Neu 2;pc;1,00;AT-STD\n\
                   NEW-3;Neu 3;pc;teuer;DE-STD\n\
                   NEW-1;Neu 1 nochmal;pc;1,00;DE-STD\n";
        let err = import(&store, bad).err();
        let Some(Error::Import(report)) = err else { panic!("expected an import error, got {err:?}") };
        let lines: Vec<u64> = report.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(report.problems[0].reason.contains("unknown tax class \"AT-STD\""));
        assert!(report.problems[1].reason.contains("list_price"));
        assert!(report.problems[2].reason.contains("duplicate SKU"));
        assert_eq!(store.product_count()?, 3, "the good row NEW-1 was not written either");
        assert_eq!(store.catalog_seq()?, 1);
        assert!(report.to_string().starts_with("import rejected, nothing was changed: 3 problems"));
        Ok(())
    }

    #[test]
    fn price_lists_tax_classes_and_deltas() -> Result<()> {
        let (_d, store) = temp_store();
        import(&store, CSV)?;
        let json = r#"{
          "tax_classes": [{"code": "AT-STD", "name": "USt. 20 %", "rate_percent": "20"}],
          "price_lists": [
            {"id": "PL-A", "name": "Gruppe A", "currency": "EUR", "customer_group": "A",
             "valid_from": "2026-01-01", "valid_to": "2026-12-31",
             "tiers": [{"sku": "MS-100", "min_qty": "1", "unit_price": "0,30"},
                       {"sku": "MS-100", "min_qty": "500", "unit_price": "0,25"}]},
            {"id": "PL-X", "name": "Unknown", "currency": "EUR", "customer_id": "c-1",
             "tiers": [{"sku": "NOPE", "min_qty": "1", "unit_price": "1"}]}
          ]
        }"#;
        let err = import(&store, json).err();
        assert!(
            matches!(&err, Some(Error::Import(r)) if r.problems.len() == 1 && r.problems[0].reason.contains("NOPE")),
            "{err:?}"
        );

        let json = json.replace("\"sku\": \"NOPE\"", "\"sku\": \"BOOK-1\"");
        let s = import(&store, &json)?;
        assert_eq!((s.seq, s.price_lists_changed, s.tax_classes_changed), (2, 2, 1));
        let pl = store.price_list("PL-A")?;
        assert_eq!(pl.tiers.len(), 2);
        assert_eq!(pl.tiers[1].min_qty, Decimal::new(500, 0));
        assert_eq!(pl.tiers[1].unit_price, Decimal::new(25, 2));
        assert_eq!(store.tax_classes()?.len(), 3);

        // A device at cursor 1 gets the price lists and the new tax class.
        let d = store.catalog_changes_since(1)?;
        assert_eq!((d.since, d.to), (1, 2));
        assert_eq!(d.price_lists.len(), 2);
        assert_eq!(d.tax_classes.iter().map(|t| t.code.as_str()).collect::<Vec<_>>(), vec!["AT-STD"]);
        assert!(d.products.is_empty());

        // Deleting a product leaves a tombstone and re-ships the lists that priced it.
        let del = store.delete_products(&["MS-100"])?;
        assert_eq!((del.seq, del.products_deleted), (3, 1));
        assert!(matches!(store.product("MS-100"), Err(Error::NotFound { .. })));
        let d = store.catalog_changes_since(2)?;
        assert_eq!(d.tombstones, vec![Tombstone { entity: "product".into(), key: "MS-100".into(), seq: 3 }]);
        assert_eq!(d.price_lists.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), vec!["PL-A"]);
        assert!(d.price_lists[0].tiers.is_empty());
        assert!(store.delete_products(&["MS-100"]).is_err(), "unknown SKU");

        // A full delta from 0 has every live row but the seed rows every
        // database starts with (sequence 0).
        let all = store.catalog_changes_since(0)?;
        assert_eq!(all.products.len(), 2);
        assert_eq!(all.tax_classes.len(), 1);

        // Re-creating the product clears its tombstone.
        import(&store, CSV)?;
        assert!(store.catalog_changes_since(0)?.tombstones.is_empty());
        Ok(())
    }

    #[test]
    fn a_device_follows_the_hub_through_deltas() -> Result<()> {
        let (_h, hub) = temp_store();
        let (_d, device) = temp_store();
        let products = crate::sample::products(300, 11);
        let accounts = crate::sample::accounts(10, 11);
        let lists = crate::sample::price_lists(&products, &accounts, 11);
        let json = crate::import::export_json(&[], &products, &lists);
        hub.import_catalog(parse(json.as_bytes(), Format::Json), &mut |_| {})?;

        let first = device.apply_catalog_delta(&hub.catalog_changes_since(device.catalog_seq()?)?)?;
        assert_eq!(first.seq, 1);
        assert_eq!(device.products()?, hub.products()?);
        assert_eq!(device.price_list_ids()?, hub.price_list_ids()?);

        // The hub changes one price and deletes a product; the device catches up.
        import(&hub, CSV)?;
        let gone = products[0].sku.clone();
        hub.delete_products(&[gone.as_str()])?;
        let delta = hub.catalog_changes_since(device.catalog_seq()?)?;
        assert_eq!(delta.products.len(), 3, "only the new rows travel");
        let second = device.apply_catalog_delta(&delta)?;
        assert_eq!(second.seq, hub.catalog_seq()?);
        assert_eq!(device.products()?, hub.products()?);
        for id in hub.price_list_ids()? {
            assert_eq!(device.price_list(&id)?, hub.price_list(&id)?);
        }
        assert!(matches!(device.product(&gone), Err(Error::NotFound { .. })));
        let found = device.search_products(&crate::store::ProductQuery::new("sechskant m8"))?;
        assert!(found.items.iter().any(|h| h.sku == "DIN933-M8X40"), "the device's search index follows");

        // Replaying an old delta changes nothing; a delta with a gap is refused.
        assert_eq!(device.apply_catalog_delta(&delta)?.seq, second.seq);
        let gap = CatalogDelta { since: second.seq + 5, to: second.seq + 6, ..Default::default() };
        assert!(matches!(device.apply_catalog_delta(&gap), Err(Error::Validation { .. })));
        Ok(())
    }

    #[test]
    fn a_hostile_delta_changes_nothing() -> Result<()> {
        let (_d, device) = temp_store();
        let mut p = crate::sample::products(1, 3).remove(0);
        p.seq = 1;
        let mut bad = p.clone();
        bad.sku = "X".into();
        bad.list_price.amount = rust_decimal::Decimal::NEGATIVE_ONE;
        let delta = CatalogDelta { since: 0, to: 1, products: vec![p.clone(), bad], ..Default::default() };
        assert!(matches!(device.apply_catalog_delta(&delta), Err(Error::Validation { .. })));
        let mut unknown_tax = p.clone();
        unknown_tax.tax_class = "NOPE".into();
        let delta = CatalogDelta { since: 0, to: 1, products: vec![unknown_tax], ..Default::default() };
        assert!(matches!(device.apply_catalog_delta(&delta), Err(Error::Validation { .. })));
        let weird = CatalogDelta {
            since: 0,
            to: 1,
            tombstones: vec![Tombstone { entity: "account".into(), key: "x".into(), seq: 1 }],
            ..Default::default()
        };
        assert!(device.apply_catalog_delta(&weird).is_err());
        assert_eq!(device.product_count()?, 0);
        assert_eq!(device.catalog_seq()?, 0);
        Ok(())
    }

    #[test]
    fn policy_costs_and_content_are_published_and_travel() -> Result<()> {
        let (_h, hub) = temp_store();
        import(&hub, CSV)?;
        let json = r#"{
          "discount_policy": {"max_discount_pct": "8", "category_limits": [{"category": "Werkzeug/", "max_discount_pct": 4}],
                              "min_margin_pct": "12", "reason_required": false},
          "product_costs": [{"sku": "MS-100", "cost": "0.21"}, {"sku": "NOPE", "cost": "1"}],
          "content": [{"id": "CS-1", "kind": "case_study", "title": "Holzbau Huber: 30 % schneller montiert",
                       "skus": ["MS-100"], "url": "https://example.invalid/cs-1"},
                      {"id": "CS-2", "kind": "podcast", "title": "x"}]
        }"#;
        let err = import(&hub, json).err();
        let Some(Error::Import(report)) = err else { panic!("{err:?}") };
        let reasons: Vec<&str> = report.problems.iter().map(|p| p.reason.as_str()).collect();
        assert_eq!(report.problems.len(), 2, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("unknown variant `podcast`")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("cost for an unknown SKU")), "{reasons:?}");
        assert_eq!(hub.discount_policy()?.max_discount_pct, rust_decimal::Decimal::TEN, "nothing changed");

        let good = json.replace(r#", {"sku": "NOPE", "cost": "1"}"#, "").replace(
            r#"{"id": "CS-2", "kind": "podcast", "title": "x"}"#,
            r#"{"id": "CS-2", "kind": "customer_story", "title": "Schreinerei Weiß", "skus": []}"#,
        );
        let s = import(&hub, &good)?;
        assert!(s.policy_changed);
        assert_eq!((s.costs_changed, s.content_changed, s.seq), (1, 2, 2));
        assert_eq!(hub.discount_policy()?.limit_for("Werkzeug/Akku"), rust_decimal::Decimal::new(4, 0));
        assert_eq!(hub.content_for_product("ms-100")?.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["CS-1"]);
        let again = import(&hub, &good)?;
        assert!(!again.policy_changed && again.costs_changed == 0 && again.content_changed == 0, "{again:?}");

        let (_d, device) = temp_store();
        device.apply_catalog_delta(&hub.catalog_changes_since(0)?)?;
        assert_eq!(device.discount_policy()?, hub.discount_policy()?);
        assert_eq!(device.content_items()?, hub.content_items()?);
        assert_eq!(device.catalog_changes_since(0)?.product_costs, hub.catalog_changes_since(0)?.product_costs);
        Ok(())
    }

    #[test]
    fn progress_is_reported() -> Result<()> {
        let (_d, store) = temp_store();
        let products = crate::sample::products(2_500, 7);
        let text = crate::import::export_csv(&products);
        let mut seen = Vec::new();
        let parsed = parse(text.as_bytes(), Format::Csv);
        store.import_catalog(parsed, &mut |p| seen.push(p.done))?;
        assert_eq!(seen, vec![1000, 2000, 2500]);
        Ok(())
    }
}
