//! Writing the catalog back out: CSV in the import's own format, JSON for
//! catalogs and for the reference data (lists, policy, costs, content).

use crate::catalog::{ContentItem, PriceList, PriceListScope, Product, ProductCost, TaxClass};
use crate::quote::DiscountPolicy;

/// Writes products in the documented CSV form (`;`-delimited, German decimal
/// commas, one `attr:` column per attribute name). [`parse_csv`](super::parse_csv) reads it
/// back to the same products.
pub fn export_csv(products: &[Product]) -> String {
    let mut attr_keys: Vec<&str> = Vec::new();
    for p in products {
        for a in &p.attributes {
            if !attr_keys.contains(&a.key.as_str()) {
                attr_keys.push(&a.key);
            }
        }
    }
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    let mut header: Vec<String> = [
        "sku",
        "name",
        "description",
        "category",
        "unit",
        "list_price",
        "currency",
        "tax_class",
        "c_part",
        "active",
        "image",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(attr_keys.iter().map(|k| format!("attr:{k}")));
    // Writing to a Vec cannot fail; errors are ignored rather than unwrapped.
    let _ = w.write_record(&header);
    for p in products {
        let mut rec = vec![
            p.sku.clone(),
            p.name.clone(),
            p.description.clone(),
            p.category.clone(),
            p.unit.clone(),
            p.list_price.amount.to_string().replace('.', ","),
            p.list_price.currency.code().to_string(),
            p.tax_class.clone(),
            if p.c_part { "ja" } else { "nein" }.to_string(),
            if p.active { "ja" } else { "nein" }.to_string(),
            p.image.clone().unwrap_or_default(),
        ];
        for k in &attr_keys {
            rec.push(p.attributes.iter().find(|a| a.key == *k).map(|a| a.value.clone()).unwrap_or_default());
        }
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Writes a catalog in the documented JSON import form. [`parse_json`](super::parse_json) reads
/// it back to the same values.
pub fn export_json(tax_classes: &[TaxClass], products: &[Product], price_lists: &[PriceList]) -> String {
    use serde_json::{Map, Value, json};
    let taxes: Vec<Value> = tax_classes
        .iter()
        .map(|t| json!({"code": t.code, "name": t.name, "rate_percent": t.rate_percent.to_string()}))
        .collect();
    let products: Vec<Value> = products
        .iter()
        .map(|p| {
            let attrs: Vec<Value> = p.attributes.iter().map(|a| json!({"key": a.key, "value": a.value})).collect();
            json!({
                "sku": p.sku, "name": p.name, "description": p.description, "category": p.category,
                "unit": p.unit, "list_price": p.list_price.amount.to_string(),
                "currency": p.list_price.currency.code(), "tax_class": p.tax_class,
                "attributes": attrs, "image": p.image, "c_part": p.c_part, "active": p.active,
            })
        })
        .collect();
    let lists: Vec<Value> = price_lists
        .iter()
        .map(|l| {
            let mut o = Map::new();
            o.insert("id".into(), json!(l.id));
            o.insert("name".into(), json!(l.name));
            o.insert("currency".into(), json!(l.currency.code()));
            match &l.scope {
                PriceListScope::CustomerGroup(g) => o.insert("customer_group".into(), json!(g)),
                PriceListScope::Customer(c) => o.insert("customer_id".into(), json!(c)),
            };
            o.insert("valid_from".into(), json!(l.valid_from));
            o.insert("valid_to".into(), json!(l.valid_to));
            let tiers: Vec<Value> = l
                .tiers
                .iter()
                .map(
                    |t| json!({"sku": t.sku, "min_qty": t.min_qty.to_string(), "unit_price": t.unit_price.to_string()}),
                )
                .collect();
            o.insert("tiers".into(), Value::Array(tiers));
            Value::Object(o)
        })
        .collect();
    let doc = json!({"tax_classes": taxes, "products": products, "price_lists": lists});
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Writes price lists, the discount policy, product costs and content in the
/// JSON import form (one file the back office publishes).
pub fn export_reference_json(
    price_lists: &[PriceList],
    policy: Option<&DiscountPolicy>,
    costs: &[ProductCost],
    content: &[ContentItem],
) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(&export_json(&[], &[], price_lists)).unwrap_or_default();
    if let Some(obj) = doc.as_object_mut() {
        obj.remove("tax_classes");
        obj.remove("products");
        if let Some(p) = policy {
            obj.insert("discount_policy".into(), serde_json::to_value(p).unwrap_or_default());
        }
        let costs: Vec<serde_json::Value> =
            costs.iter().map(|c| serde_json::json!({"sku": c.sku, "cost": c.cost.to_string()})).collect();
        obj.insert("product_costs".into(), serde_json::Value::Array(costs));
        let content: Vec<serde_json::Value> = content
            .iter()
            .map(|c| {
                serde_json::json!({"id": c.id, "kind": c.kind, "title": c.title, "summary": c.summary, "url": c.url, "skus": c.skus})
            })
            .collect();
        obj.insert("content".into(), serde_json::Value::Array(content));
    }
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
