//! The checks a write of reference data passes before anything is
//! written: every record's own rules, and the references to tax classes
//! and products that need the database.

use std::collections::HashSet;

use rusqlite::Transaction;

use super::rows::sku_exists;
use crate::error::{Error, Result};
use crate::import::{Problem, SourceLines};
use crate::release::{ReferenceData, Tombstone};

/// Checks that need the database: references to tax classes and products.
/// `lines` says where each record came from (empty: not from a file, line 0).
pub(super) fn reference_problems(
    tx: &Transaction<'_>,
    data: &ReferenceData,
    lines: &SourceLines,
) -> Result<Vec<Problem>> {
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
pub(super) const UNKNOWN_DELETION: &str = "cannot delete an unknown SKU";

fn problem(line: u64, key: &str, reason: impl Into<String>) -> Problem {
    Problem { line, key: Some(key.to_string()), reason: reason.into() }
}

/// Every record's own rules (a file's rows passed them in the parser, with
/// their lines); `invalid` words what is wrong with the whole.
pub(super) fn validate(data: &ReferenceData, invalid: impl Fn(String) -> Error) -> Result<()> {
    if let Some(m) = &data.scoring_model {
        m.item.validate().map_err(|e| invalid(e.to_string()))?;
    }
    for c in &data.campaigns {
        c.item.validate().map_err(|e| invalid(e.to_string()))?;
    }
    for c in &data.content {
        c.validate()?;
    }
    for m in &data.media {
        m.validate()?;
    }
    if let Some(p) = &data.company_profile {
        p.item.validate()?;
    }
    for l in data.unit_labels.iter().flat_map(|l| &l.item) {
        l.validate()?;
    }
    if data.unit_labels.as_ref().is_some_and(|l| l.item.len() > 500) {
        return Err(invalid("more than 500 unit labels".into()));
    }
    for r in &data.rep_profiles {
        r.item.validate()?;
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{CSV, import};
    use crate::error::{Error, Result};
    use crate::store::tests::temp_store;

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
}
