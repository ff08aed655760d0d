//! The write of checked reference data: every kind of row in one
//! transaction, stamped with the next sequence (an import at the hub) or
//! with the hub's own (a delta on a device), the search index kept in step,
//! and the catalog's sequence moved last.

use rusqlite::{OptionalExtension, Transaction, params};

use super::rows::{PRODUCT_COLS, load_price_list, product_from_row_at, same_list, same_product};
use super::{ImportProgress, ImportSummary};
use crate::catalog::{ContentItem, PriceList, PriceListScope, Product, ProductCost, Seq, TaxClass};
use crate::error::{Error, Result};
use crate::leads::{Campaign, ScoringModel};
use crate::profile::RepProfile;
use crate::quote::DiscountPolicy;
use crate::release::{ReferenceData, Sequenced, Tombstone};
use crate::store::codec::{dec, dec_key, to_json};
use crate::store::search_index::{self, SearchIndexer};

/// How written rows get their sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stamp {
    /// An import at the hub: every changed row gets the next sequence.
    Next,
    /// A delta on a device: rows keep the hub's sequence; the cursor moves to `to`.
    Carried { to: Seq },
}

/// Writes checked reference data in one transaction, step by step: tax
/// classes, products with their search entries, price lists, tombstones,
/// then the discount policy, costs, content and the marketing data; last,
/// the catalog's sequence moves.
pub(super) fn write_batch(
    tx: &Transaction<'_>,
    batch: &ReferenceData,
    stamp: Stamp,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportSummary> {
    let mut w = BatchWriter::new(tx, stamp)?;
    let total = batch.products.len() + batch.tombstones.len();
    let mut tick = |done| progress(ImportProgress { done, total });
    w.tax_classes(&batch.tax_classes)?;
    let mut products = ProductWriter::new(tx)?;
    w.products(&mut products, &batch.products, &mut tick)?;
    w.price_lists(&batch.price_lists)?;
    w.tombstones(&mut products, &batch.tombstones, batch.products.len(), &mut tick)?;
    products.indexer.finish(tx)?;
    w.discount_policy(batch.discount_policy.as_ref())?;
    w.product_costs(&batch.product_costs)?;
    w.content(&batch.content)?;
    w.media(&batch.media)?;
    w.scoring_model(batch.scoring_model.as_ref())?;
    w.campaigns(&batch.campaigns)?;
    w.profiles(batch)?;
    let s = w.move_cursor(stamp)?;
    tick(total);
    Ok(s)
}

/// One batch being written: its transaction, its sequence numbers and what
/// it changed so far.
struct BatchWriter<'a, 'c> {
    tx: &'a Transaction<'c>,
    /// The catalog's sequence before the batch.
    current: Seq,
    /// The sequence an import's changed rows get.
    next: Seq,
    /// Whether rows keep the hub's sequence (a delta on a device).
    carried: bool,
    /// What changed so far.
    s: ImportSummary,
}

/// What writing products needs throughout a batch: the statements, whether
/// any product tombstone exists, and the search indexer.
struct ProductWriter {
    insert_sql: String,
    select_sql: String,
    has_tombstones: bool,
    indexer: SearchIndexer,
}

impl ProductWriter {
    fn new(tx: &Transaction<'_>) -> Result<ProductWriter> {
        let insert_sql = format!(
            "INSERT INTO products ({PRODUCT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (sku) DO NOTHING"
        );
        let select_sql = format!("SELECT id, {PRODUCT_COLS} FROM products WHERE sku = ?1");
        let has_tombstones = tx.prepare("SELECT 1 FROM tombstones WHERE entity = 'product' LIMIT 1")?.exists([])?;
        let indexer = SearchIndexer::for_index(tx)?;
        Ok(ProductWriter { insert_sql, select_sql, has_tombstones, indexer })
    }

    /// Deletes a product and its search entries (a SKU not stored is no
    /// error: a device may never have received it). `bump_lists`: the price
    /// lists that priced it get the new sequence, so devices drop its tiers
    /// too.
    fn delete(&mut self, tx: &Transaction<'_>, sku: &str, seq: Seq, bump_lists: bool) -> Result<()> {
        let found = tx
            .prepare_cached(&self.select_sql)?
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
            self.indexer.remove(tx, id, &stored)?;
            tx.execute("DELETE FROM products WHERE id = ?1", [id])?;
        }
        Ok(())
    }
}

impl<'a, 'c> BatchWriter<'a, 'c> {
    fn new(tx: &'a Transaction<'c>, stamp: Stamp) -> Result<Self> {
        let current = super::seq_in(tx)?;
        let carried = matches!(stamp, Stamp::Carried { .. });
        Ok(BatchWriter { tx, current, next: current + 1, carried, s: ImportSummary::default() })
    }

    /// A row's sequence: its own when carried from the hub, else the next.
    fn stamp_of(&self, row_seq: Seq) -> Seq {
        if self.carried { row_seq } else { self.next }
    }

    fn tax_classes(&mut self, classes: &[TaxClass]) -> Result<()> {
        let (tx, carried) = (self.tx, self.carried);
        for t in classes {
            let seq = self.stamp_of(t.seq);
            let old: Option<(String, String)> = tx
                .query_row("SELECT name, rate_percent FROM tax_classes WHERE code = ?1", [&t.code], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let unchanged = !carried
                && old.is_some_and(|(n, r)| n == t.name && dec("tax rate", &r).is_ok_and(|r| r == t.rate_percent));
            if !unchanged {
                tx.execute(
                    "INSERT INTO tax_classes (code, name, rate_percent, seq) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, rate_percent = excluded.rate_percent, seq = excluded.seq",
                    params![t.code, t.name, dec_key(t.rate_percent), seq],
                )?;
                tx.execute("DELETE FROM tombstones WHERE entity = 'tax_class' AND key = ?1", [&t.code])?;
                self.s.tax_classes_changed += 1;
            }
        }
        Ok(())
    }

    /// Inserts new SKUs, updates changed ones (and their search entries);
    /// `tick` hears of every 1,000 rows.
    fn products(&mut self, w: &mut ProductWriter, products: &[Product], tick: &mut dyn FnMut(usize)) -> Result<()> {
        let (tx, carried) = (self.tx, self.carried);
        for (i, p) in products.iter().enumerate() {
            let seq = self.stamp_of(p.seq);
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
            let inserted = tx.prepare_cached(&w.insert_sql)?.execute(&values[..])?;
            if inserted == 1 {
                let id = tx.last_insert_rowid();
                w.indexer.add(tx, id, p)?;
                if w.has_tombstones {
                    tx.prepare_cached("DELETE FROM tombstones WHERE entity = 'product' AND key = ?1 COLLATE NOCASE")?
                        .execute([&p.sku])?;
                }
                self.s.products_added += 1;
            } else {
                let (id, stored) = tx
                    .prepare_cached(&w.select_sql)?
                    .query_row([&p.sku], |r| Ok((r.get::<_, i64>(0)?, product_from_row_at(r, 1))))?;
                let stored = stored?;
                if !carried && same_product(&stored, p) {
                    self.s.products_unchanged += 1;
                } else {
                    let mut with_id = values.to_vec();
                    with_id.push(&id);
                    tx.prepare_cached(
                        "UPDATE products SET sku = ?1, name = ?2, description = ?3, category = ?4, unit = ?5,
                         list_price = ?6, currency = ?7, tax_class = ?8, attributes = ?9, image = ?10,
                         c_part = ?11, active = ?12, seq = ?13 WHERE id = ?14",
                    )?
                    .execute(&with_id[..])?;
                    w.indexer.remove(tx, id, &stored)?;
                    w.indexer.add(tx, id, p)?;
                    self.s.products_updated += 1;
                }
            }
            if (i + 1).is_multiple_of(1000) {
                tick(i + 1);
            }
        }
        Ok(())
    }

    /// Writes each changed list with its tiers (all of them replaced).
    fn price_lists(&mut self, lists: &[PriceList]) -> Result<()> {
        let (tx, carried) = (self.tx, self.carried);
        for l in lists {
            let seq = self.stamp_of(l.seq);
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
            self.s.price_lists_changed += 1;
        }
        Ok(())
    }

    /// Deletes what the tombstones name and keeps them for deltas; `tick`
    /// hears of every 1,000 rows, counted after the `done_before` products.
    fn tombstones(
        &mut self,
        w: &mut ProductWriter,
        tombstones: &[Tombstone],
        done_before: usize,
        tick: &mut dyn FnMut(usize),
    ) -> Result<()> {
        let (tx, carried) = (self.tx, self.carried);
        for (i, t) in tombstones.iter().enumerate() {
            let seq = self.stamp_of(t.seq);
            match t.entity.as_str() {
                Tombstone::PRODUCT => {
                    w.delete(tx, &t.key, seq, !carried)?;
                    self.s.products_deleted += 1;
                }
                Tombstone::PRICE_LIST => {
                    tx.execute("DELETE FROM price_lists WHERE id = ?1", [&t.key])?;
                    self.s.price_lists_changed += 1;
                }
                _ => return Err(Error::validation("tombstone", "unknown kind of record")),
            }
            tx.execute(
                "INSERT INTO tombstones (entity, key, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (entity, key) DO UPDATE SET seq = excluded.seq",
                params![t.entity, t.key, seq],
            )?;
            if (done_before + i + 1).is_multiple_of(1000) {
                tick(done_before + i + 1);
            }
        }
        Ok(())
    }

    fn discount_policy(&mut self, policy: Option<&Sequenced<DiscountPolicy>>) -> Result<()> {
        if let Some(Sequenced { seq, item: policy }) = policy {
            let body = to_json("discount policy", policy)?;
            self.s.policy_changed =
                write_single(self.tx, "discount_policy", &body, self.carried.then_some(*seq), self.next)?;
        }
        Ok(())
    }

    fn product_costs(&mut self, costs: &[ProductCost]) -> Result<()> {
        let tx = self.tx;
        for c in costs {
            let old: Option<String> = tx
                .prepare_cached("SELECT cost FROM product_costs WHERE sku = ?1")?
                .query_row([&c.sku], |r| r.get(0))
                .optional()?;
            if self.carried || old.as_deref() != Some(dec_key(c.cost).as_str()) {
                tx.prepare_cached(
                    "INSERT INTO product_costs (sku, cost, seq) VALUES (?1, ?2, ?3)
                     ON CONFLICT (sku) DO UPDATE SET cost = excluded.cost, seq = excluded.seq",
                )?
                .execute(params![c.sku, dec_key(c.cost), self.stamp_of(c.seq)])?;
                self.s.costs_changed += 1;
            }
        }
        Ok(())
    }

    fn content(&mut self, content: &[ContentItem]) -> Result<()> {
        let tx = self.tx;
        for c in content {
            let skus = to_json("content skus", &c.skus)?;
            let old: Option<(String, String, String, Option<String>, String)> = tx
                .prepare_cached("SELECT kind, title, summary, url, skus FROM content_items WHERE id = ?1")?
                .query_row([&c.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .optional()?;
            let new = (c.kind.as_str().to_string(), c.title.clone(), c.summary.clone(), c.url.clone(), skus.clone());
            if self.carried || old.as_ref() != Some(&new) {
                tx.prepare_cached(
                    "INSERT INTO content_items (id, kind, title, summary, url, skus, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, summary = excluded.summary,
                       url = excluded.url, skus = excluded.skus, seq = excluded.seq",
                )?
                .execute(params![c.id, new.0, new.1, new.2, new.3, new.4, self.stamp_of(c.seq)])?;
                self.s.content_changed += 1;
            }
        }
        Ok(())
    }

    fn media(&mut self, media: &[crate::blob::MediaItem]) -> Result<()> {
        let tx = self.tx;
        for m in media {
            let old: Option<(String, String)> = tx
                .prepare_cached("SELECT hash, thumb_hash FROM media WHERE name = ?1")?
                .query_row([&m.name], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if self.carried || old.as_ref() != Some(&(m.hash.clone(), m.thumb_hash.clone())) {
                tx.prepare_cached(
                    "INSERT INTO media (name, hash, kind, media_type, size, width, height, thumb_hash, thumb_size, seq)
                     VALUES (?1, ?2, 'image', ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, media_type = excluded.media_type,
                       size = excluded.size, width = excluded.width, height = excluded.height,
                       thumb_hash = excluded.thumb_hash, thumb_size = excluded.thumb_size, seq = excluded.seq",
                )?
                .execute(params![
                    m.name,
                    m.hash,
                    m.media_type,
                    m.size as i64,
                    m.width,
                    m.height,
                    m.thumb_hash,
                    m.thumb_size as i64,
                    self.stamp_of(m.seq)
                ])?;
                self.s.media_changed += 1;
            }
        }
        Ok(())
    }

    fn scoring_model(&mut self, model: Option<&Sequenced<ScoringModel>>) -> Result<()> {
        if let Some(Sequenced { seq, item: model }) = model {
            let body = to_json("scoring model", model)?;
            self.s.scoring_changed =
                write_single(self.tx, "scoring_model", &body, self.carried.then_some(*seq), self.next)?;
        }
        Ok(())
    }

    fn campaigns(&mut self, campaigns: &[Sequenced<Campaign>]) -> Result<()> {
        let tx = self.tx;
        for Sequenced { seq: carried_seq, item: c } in campaigns {
            let body = to_json("campaign", c)?;
            let old: Option<String> = tx
                .prepare_cached("SELECT body FROM campaigns WHERE id = ?1")?
                .query_row([&c.id], |r| r.get(0))
                .optional()?;
            if self.carried || old.as_deref() != Some(body.as_str()) {
                let seq = self.stamp_of(*carried_seq);
                tx.prepare_cached(
                    "INSERT INTO campaigns (id, body, seq) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET body = excluded.body, seq = excluded.seq",
                )?
                .execute(params![c.id, body, seq])?;
                self.s.campaigns_changed += 1;
            }
        }
        Ok(())
    }

    /// The company profile, the unit labels and the reps' profiles.
    fn profiles(&mut self, batch: &ReferenceData) -> Result<()> {
        if let Some(Sequenced { seq, item }) = &batch.company_profile {
            let item = if self.carried { item.clone() } else { crate::store::blobs::logo_to_file(self.tx, item)? };
            let body = to_json("company profile", &item)?;
            self.s.profiles_changed +=
                u64::from(write_single(self.tx, "company_profile", &body, self.carried.then_some(*seq), self.next)?);
        }
        if let Some(Sequenced { seq, item }) = &batch.unit_labels {
            let body = to_json("unit labels", item)?;
            self.s.profiles_changed +=
                u64::from(write_single(self.tx, "unit_labels", &body, self.carried.then_some(*seq), self.next)?);
        }
        for Sequenced { seq: carried_seq, item } in &batch.rep_profiles {
            self.rep_profile(item, *carried_seq)?;
        }
        Ok(())
    }

    fn rep_profile(&mut self, r: &RepProfile, carried_seq: Seq) -> Result<()> {
        let body = to_json("rep profile", r)?;
        let old: Option<String> = self
            .tx
            .prepare_cached("SELECT body FROM rep_profiles WHERE rep = ?1")?
            .query_row([&r.rep], |row| row.get(0))
            .optional()?;
        if self.carried || old.as_deref() != Some(body.as_str()) {
            self.tx
                .prepare_cached(
                    "INSERT INTO rep_profiles (rep, body, seq) VALUES (?1, ?2, ?3)
                     ON CONFLICT (rep) DO UPDATE SET body = excluded.body, seq = excluded.seq",
                )?
                .execute(params![r.rep, body, self.stamp_of(carried_seq)])?;
            self.s.profiles_changed += 1;
        }
        Ok(())
    }

    /// The catalog's sequence after the batch: the hub's `to` for a delta,
    /// the next one for an import that changed something, else unchanged.
    fn move_cursor(mut self, stamp: Stamp) -> Result<ImportSummary> {
        let s = &mut self.s;
        let changed = s.products_added
            + s.products_updated
            + s.products_deleted
            + s.price_lists_changed
            + s.tax_classes_changed
            + s.costs_changed
            + s.content_changed
            + s.media_changed
            + s.campaigns_changed
            + s.profiles_changed
            + u64::from(s.policy_changed)
            + u64::from(s.scoring_changed);
        s.seq = match stamp {
            Stamp::Carried { to } => to,
            Stamp::Next if changed > 0 => self.next,
            Stamp::Next => self.current,
        };
        if s.seq != self.current {
            self.tx.execute("UPDATE catalog_state SET seq = ?1 WHERE id = 1", [s.seq])?;
        }
        Ok(self.s)
    }
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

/// Rebuilds the search index and its vocabulary from the products (a store
/// upgraded from an older index format, see `search_index::INDEX_FORMAT`).
pub(in crate::store) fn rebuild_search_index(tx: &Transaction<'_>) -> Result<u64> {
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

/// Sends a rep's profile again (the rep was assigned to an account, whose
/// customers' devices did not receive it): it gets the next sequence.
pub(crate) fn republish_rep_profile_in(tx: &Transaction<'_>, rep: &str) -> Result<Seq> {
    let current = super::seq_in(tx)?;
    let exists = tx.prepare_cached("SELECT 1 FROM rep_profiles WHERE rep = ?1")?.exists([rep])?;
    if !exists {
        return Ok(current);
    }
    let seq = current + 1;
    tx.execute("UPDATE catalog_state SET seq = ?1 WHERE id = 1", [seq])?;
    tx.execute("UPDATE rep_profiles SET seq = ?1 WHERE rep = ?2", params![seq, rep])?;
    Ok(seq)
}

pub(crate) fn republish_price_lists_in(tx: &Transaction<'_>, accounts: &[String]) -> Result<Seq> {
    let current = super::seq_in(tx)?;
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

#[cfg(test)]
mod tests {
    use crate::error::Result;
    use crate::import::{Format, parse};
    use crate::store::tests::temp_store;

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
