//! Deltas for devices: everything that changed after a sequence, in pages
//! of products, and what of it an audience may receive.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{PRODUCT_COLS, content_where, load_price_list, product_from_row};
use crate::catalog::{Seq, TaxClass};
use crate::error::Result;
use crate::release::{CatalogDelta, Tombstone};
use crate::store::Store;
use crate::store::codec::{dec, json};

impl Store {
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
    let to = super::seq_in(c)?;
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
    delta.media = super::rows::media_where(c, "seq > ?1", since)?;
    let company: Option<String> =
        c.query_row("SELECT body FROM company_profile WHERE id = 1 AND seq > ?1", [since], |r| r.get(0)).optional()?;
    delta.company_profile = company.map(|b| json("company profile", &b)).transpose()?;
    let units: Option<String> =
        c.query_row("SELECT body FROM unit_labels WHERE id = 1 AND seq > ?1", [since], |r| r.get(0)).optional()?;
    delta.unit_labels = units.map(|b| json("unit labels", &b)).transpose()?;
    let mut stmt = c.prepare("SELECT rep, body FROM rep_profiles WHERE seq > ?1 ORDER BY seq, rep")?;
    let reps: Vec<(String, String)> =
        stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (rep, body) in reps {
        if audience.sees_rep(&rep) {
            delta.rep_profiles.push(json("rep profile", &body)?);
        }
    }
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
    use rust_decimal::Decimal;

    use super::super::test_support::{CSV, import};
    use super::*;
    use crate::error::Error;
    use crate::store::tests::temp_store;

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
}
