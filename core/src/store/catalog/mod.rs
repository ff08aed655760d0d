//! Reference data in the store: the all-or-nothing catalog import, lookups,
//! and deltas "since sequence N" for devices.
//!
//! The room: `mod.rs` the entry points of a write (a file, the back
//! office's data, a delta from the hub) and what they report; `check.rs`
//! every record's rules and the references that need the database;
//! `write.rs` the write itself, step by step, and the search index it
//! keeps; `rows.rs` rows read back into records; `lookups.rs` the
//! catalog's lookups; `delta.rs` deltas and their pages for devices.

use rusqlite::Transaction;

use super::Store;
use crate::catalog::Seq;
use crate::error::{Error, Result};
use crate::import::{ImportReport, ParsedCatalog, Problem, SourceLines};
use crate::release::{CatalogDelta, ReferenceData, Tombstone};

mod check;
mod delta;
mod lookups;
pub(crate) mod rows;
mod write;

pub(crate) use delta::catalog_page;
pub(crate) use rows::{costs_in, product_in};
pub(super) use write::rebuild_search_index;
pub(crate) use write::{republish_price_lists_in, republish_rep_profile_in};

use check::{UNKNOWN_DELETION, reference_problems, validate};
use write::{Stamp, write_batch};

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
    /// Published images added or changed.
    pub media_changed: u64,
    /// Whether the discount policy changed.
    pub policy_changed: bool,
    /// Company profile, unit labels and rep profiles changed.
    pub profiles_changed: u64,
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

/// The catalog's current sequence number, in a transaction or snapshot.
pub(crate) fn seq_in(c: &rusqlite::Connection) -> Result<Seq> {
    Ok(c.prepare_cached("SELECT seq FROM catalog_state WHERE id = 1")?.query_row([], |r| r.get(0))?)
}

impl Store {
    /// The catalog's current sequence number (0 for an empty catalog).
    pub fn catalog_seq(&self) -> Result<Seq> {
        self.read(seq_in)
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
        self.publish_with(data, |_| Ok(()))
    }

    /// [`Store::publish`] with `before` run first in the same transaction
    /// (the published images' blobs are stored with their media rows).
    pub(crate) fn publish_with(
        &self,
        data: &ReferenceData,
        before: impl FnOnce(&Transaction<'_>) -> Result<()>,
    ) -> Result<ImportSummary> {
        validate(data, |reason| Error::validation("reference data", reason))?;
        self.write(|tx| {
            before(tx)?;
            publish_in(tx, data, &SourceLines::default(), Vec::new(), &mut |_| {})
        })
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
    let current = seq_in(tx)?;
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

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::test_support::{CSV, import};
    use super::*;
    use crate::catalog::Attribute;
    use crate::import::{Format, parse};
    use crate::store::tests::temp_store;

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
}

/// What the tests of the room's files start from.
#[cfg(test)]
mod test_support {
    use super::*;
    use crate::import::{Format, parse};

    pub(super) const CSV: &str = "sku;name;unit;list_price;tax_class;c_part;attr:Material\n\
                       DIN933-M8X40;Sechskantschraube DIN 933 M8×40;pc;0,12;DE-STD;ja;Stahl verzinkt\n\
                       MS-100;Müller-Schraube Holzbau 6×100;pc;0,35;DE-STD;ja;Stahl\n\
                       BOOK-1;Handbuch Befestigungstechnik;pc;49,90;DE-RED;nein;\n";

    pub(super) fn import(store: &Store, text: &str) -> Result<ImportSummary> {
        let parsed = parse(text.as_bytes(), Format::detect(None, text.as_bytes()));
        store.import_catalog(parsed, &mut |_| {})
    }
}
