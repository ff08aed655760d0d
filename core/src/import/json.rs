//! Catalog files as JSON: a catalog object (tax classes, products, price
//! lists, deletions, policy, costs, content, scoring model, campaigns) or an
//! array of products, every record reported by the line it starts on.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{ParsedCatalog, Refused, Row, Seen, push_product, rule_reason};
use crate::catalog::{
    Attribute, ContentItem, ContentKind, PriceList, PriceListScope, PriceTier, Product, ProductCost, TaxClass,
};
use crate::money::{Currency, Money, parse_decimal_flexible};
use crate::quote::{CategoryLimit, DiscountPolicy};
use crate::table::{problem, strip_bom};

/// A decimal given as a JSON string (`"12,50"`, `"12.50"`) or a plain JSON
/// number (`12.5`), read from its exact text: never through a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalText(pub Decimal);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        let text = raw.get();
        let parsed = if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(D::Error::custom)?;
            parse_decimal_flexible(&s)
        } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
            parse_decimal_flexible(text)
        } else {
            return Err(D::Error::custom(format!(
                "expected a decimal number or string, found {}",
                text.chars().take(20).collect::<String>()
            )));
        };
        parsed.map(DecimalText).map_err(D::Error::custom)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCatalog<'a> {
    #[serde(borrow, default)]
    tax_classes: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    products: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    price_lists: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    deleted_skus: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    discount_policy: Option<&'a RawValue>,
    #[serde(borrow, default)]
    product_costs: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    content: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    scoring_model: Option<&'a RawValue>,
    #[serde(borrow, default)]
    campaigns: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    company_profile: Option<&'a RawValue>,
    #[serde(borrow, default)]
    unit_labels: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLimit {
    category: String,
    max_discount_pct: DecimalText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPolicy {
    max_discount_pct: DecimalText,
    #[serde(default)]
    category_limits: Vec<JsonLimit>,
    #[serde(default)]
    min_margin_pct: Option<DecimalText>,
    #[serde(default = "yes")]
    reason_required: bool,
    #[serde(default)]
    offline_lease_days: Option<u32>,
    #[serde(default)]
    storage_budget_mib: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCost {
    sku: String,
    cost: DecimalText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonContent {
    id: String,
    kind: ContentKind,
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    skus: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTaxClass {
    code: String,
    name: String,
    rate_percent: DecimalText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonProduct {
    sku: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    unit: String,
    list_price: DecimalText,
    #[serde(default)]
    currency: Option<String>,
    tax_class: String,
    #[serde(default)]
    attributes: Option<serde_json::Value>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    c_part: bool,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonTier {
    sku: String,
    min_qty: DecimalText,
    unit_price: DecimalText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonPriceList {
    id: String,
    name: String,
    currency: String,
    #[serde(default)]
    customer_group: Option<String>,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    valid_from: Option<NaiveDate>,
    #[serde(default)]
    valid_to: Option<NaiveDate>,
    tiers: Vec<JsonTier>,
}

fn json_attributes(v: Option<serde_json::Value>) -> Result<Vec<Attribute>, String> {
    use serde_json::Value;
    let scalar = |v: Value| match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("attribute values must be strings, numbers or booleans".to_string()),
    };
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => {
            map.into_iter().map(|(key, value)| Ok(Attribute { key, value: scalar(value)? })).collect()
        }
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(mut o) => {
                    let key = o.remove("key").map(scalar).transpose()?;
                    let value = o.remove("value").map(scalar).transpose()?;
                    match (key, value, o.is_empty()) {
                        (Some(key), Some(value), true) => Ok(Attribute { key, value }),
                        _ => Err("each attribute needs exactly \"key\" and \"value\"".to_string()),
                    }
                }
                _ => Err("each attribute needs exactly \"key\" and \"value\"".to_string()),
            })
            .collect(),
        Some(_) => Err("attributes must be an object or a list of {key, value}".to_string()),
    }
}

/// Maps byte offsets of items to line numbers, walking forward only.
struct LineCounter<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_of(&mut self, item: &RawValue) -> u64 {
        let offset = (item.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let offset = offset.min(self.text.len());
        if offset >= self.pos {
            self.line += self.text.as_bytes()[self.pos..offset].iter().filter(|&&b| b == b'\n').count() as u64;
            self.pos = offset;
        }
        self.line
    }
}

fn json_key(raw: &RawValue, field: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
    v.get(field)?.as_str().map(|s| s.chars().take(64).collect())
}

/// Parses JSON: either an object with `tax_classes`, `products`,
/// `price_lists` and `deleted_skus` (all optional), or an array of products.
/// One JSON record as `J`, or refused with the key read from `key_field`.
fn read_json<J: serde::de::DeserializeOwned>(raw: &RawValue, key_field: &str) -> Result<J, Refused> {
    serde_json::from_str(raw.get()).map_err(|e| Refused { key: json_key(raw, key_field), reason: e.to_string() })
}

fn json_tax_class(raw: &RawValue) -> Result<TaxClass, Refused> {
    let t: JsonTaxClass = read_json(raw, "code")?;
    let tc = TaxClass { code: t.code, name: t.name, rate_percent: t.rate_percent.0, seq: 0 };
    tc.validate().map_err(|e| Refused::of(&tc.code, rule_reason(&e)))?;
    Ok(tc)
}

fn json_product(raw: &RawValue) -> Result<Product, Refused> {
    let p: JsonProduct = read_json(raw, "sku")?;
    let currency = p.currency.as_deref().map_or(Ok(Currency::EUR), Currency::new);
    let currency = currency.map_err(|e| Refused::of(&p.sku, e.to_string()))?;
    let attributes = json_attributes(p.attributes).map_err(|e| Refused::of(&p.sku, e))?;
    Ok(Product {
        sku: p.sku,
        name: p.name,
        description: p.description,
        category: p.category,
        unit: p.unit,
        list_price: Money::new(p.list_price.0, currency),
        tax_class: p.tax_class,
        attributes,
        image: p.image,
        c_part: p.c_part,
        active: p.active,
        seq: 0,
    })
}

fn json_price_list(raw: &RawValue) -> Result<PriceList, Refused> {
    let pl: JsonPriceList = read_json(raw, "id")?;
    let refuse = |reason: String| Refused::of(&pl.id, reason);
    let scope = match (pl.customer_group.clone(), pl.customer_id.clone()) {
        (Some(g), None) => PriceListScope::CustomerGroup(g),
        (None, Some(c)) => PriceListScope::Customer(c),
        _ => return Err(refuse("give exactly one of customer_group and customer_id".into())),
    };
    let currency = Currency::new(&pl.currency).map_err(|e| refuse(e.to_string()))?;
    let list = PriceList {
        id: pl.id.clone(),
        name: pl.name.clone(),
        currency,
        scope,
        valid_from: pl.valid_from,
        valid_to: pl.valid_to,
        tiers: pl
            .tiers
            .iter()
            .map(|t| PriceTier { sku: t.sku.clone(), min_qty: t.min_qty.0, unit_price: t.unit_price.0 })
            .collect(),
        seq: 0,
    };
    list.validate().map_err(|e| refuse(rule_reason(&e)))?;
    Ok(list)
}

fn json_policy(raw: &RawValue) -> Result<DiscountPolicy, Refused> {
    let p: JsonPolicy = serde_json::from_str(raw.get()).map_err(|e| Refused::of("discount_policy", e.to_string()))?;
    let policy = DiscountPolicy {
        max_discount_pct: p.max_discount_pct.0,
        category_limits: p
            .category_limits
            .into_iter()
            .map(|l| CategoryLimit { category: l.category, max_discount_pct: l.max_discount_pct.0 })
            .collect(),
        min_margin_pct: p.min_margin_pct.map_or(Decimal::ZERO, |m| m.0),
        reason_required: p.reason_required,
        offline_lease_days: p.offline_lease_days.unwrap_or(crate::quote::DEFAULT_LEASE_DAYS),
        storage_budget_mib: p.storage_budget_mib.unwrap_or(crate::quote::DEFAULT_STORAGE_MIB),
    };
    policy.validate().map_err(|e| Refused::of("discount_policy", e.reason))?;
    Ok(policy)
}

fn json_company(raw: &RawValue) -> Result<crate::profile::CompanyProfile, Refused> {
    let p: crate::profile::CompanyProfile =
        serde_json::from_str(raw.get()).map_err(|e| Refused::of("company_profile", e.to_string()))?;
    p.validate().map_err(|e| Refused::of("company_profile", e.to_string()))?;
    Ok(p)
}

fn json_unit_label(raw: &RawValue) -> Result<crate::catalog::UnitLabel, Refused> {
    let u: crate::catalog::UnitLabel = read_json(raw, "unit")?;
    u.validate().map_err(|e| Refused { key: Some(u.unit.clone()), reason: e.to_string() })?;
    Ok(u)
}

fn json_cost(raw: &RawValue) -> Result<ProductCost, Refused> {
    let c: JsonCost = read_json(raw, "sku")?;
    if c.cost.0 < Decimal::ZERO {
        return Err(Refused::of(&c.sku, "cost is negative"));
    }
    Ok(ProductCost { sku: c.sku, cost: c.cost.0, seq: 0 })
}

fn json_scoring_model(raw: &RawValue) -> Result<crate::leads::ScoringModel, Refused> {
    let refuse = |reason: String| Refused::of("scoring_model", reason);
    let m: crate::leads::ScoringModel = serde_json::from_str(raw.get()).map_err(|e| refuse(e.to_string()))?;
    m.validate().map_err(|e| refuse(e.to_string()))?;
    Ok(m)
}

fn json_campaign(raw: &RawValue) -> Result<crate::leads::Campaign, Refused> {
    let c: crate::leads::Campaign = read_json(raw, "id")?;
    c.validate().map_err(|e| Refused::of(&c.id, e.to_string()))?;
    Ok(c)
}

fn json_content(raw: &RawValue) -> Result<ContentItem, Refused> {
    let c: JsonContent = read_json(raw, "id")?;
    let item =
        ContentItem { id: c.id, kind: c.kind, title: c.title, summary: c.summary, url: c.url, skus: c.skus, seq: 0 };
    item.validate().map_err(|e| Refused::of(&item.id, rule_reason(&e)))?;
    Ok(item)
}

fn json_deleted_sku(raw: &RawValue) -> Result<String, Refused> {
    serde_json::from_str(raw.get())
        .map_err(|_| Refused { key: None, reason: "deleted_skus must be a list of SKU strings".into() })
}

pub fn parse_json(bytes: &[u8]) -> ParsedCatalog {
    let mut out = ParsedCatalog::default();
    let text = match std::str::from_utf8(strip_bom(bytes)) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64;
            out.problems.push(problem(line, None, "is not valid UTF-8"));
            return out;
        }
    };
    let catalog = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<&RawValue>>(text).map(|products| JsonCatalog {
            tax_classes: Vec::new(),
            products,
            price_lists: Vec::new(),
            deleted_skus: Vec::new(),
            discount_policy: None,
            product_costs: Vec::new(),
            content: Vec::new(),
            scoring_model: None,
            campaigns: Vec::new(),
            company_profile: None,
            unit_labels: Vec::new(),
        })
    } else {
        serde_json::from_str::<JsonCatalog<'_>>(text)
    };
    let catalog = match catalog {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(problem(e.line().max(1) as u64, None, format!("bad JSON: {e}")));
            return out;
        }
    };
    let mut lines = LineCounter { text, pos: 0, line: 1 };
    let mut items: Vec<(u64, &str, &RawValue)> = Vec::new();
    for (kind, list) in [
        ("tax_class", &catalog.tax_classes),
        ("product", &catalog.products),
        ("price_list", &catalog.price_lists),
        ("deleted_sku", &catalog.deleted_skus),
        ("product_cost", &catalog.product_costs),
        ("content", &catalog.content),
        ("discount_policy", &catalog.discount_policy.into_iter().collect::<Vec<_>>()),
        ("scoring_model", &catalog.scoring_model.into_iter().collect::<Vec<_>>()),
        ("campaign", &catalog.campaigns),
        ("company_profile", &catalog.company_profile.into_iter().collect::<Vec<_>>()),
        ("unit_label", &catalog.unit_labels),
    ] {
        for raw in list {
            items.push((0, kind, raw));
        }
    }
    items.sort_by_key(|(_, _, raw)| raw.get().as_ptr() as usize);
    for item in &mut items {
        item.0 = lines.line_of(item.2);
    }

    let mut seen = Seen::default();
    for (line, kind, raw) in items {
        let batch = &mut out.batch;
        let outcome = match kind {
            "tax_class" => json_tax_class(raw).and_then(|t| {
                seen.once("tax class", &t.code, line).map(|()| batch.tax_classes.push(Row { line, item: t }))
            }),
            "product" => json_product(raw).map(|p| push_product(&mut out, &mut seen, line, p)),
            "price_list" => json_price_list(raw).and_then(|l| {
                seen.once("price list", &l.id, line).map(|()| batch.price_lists.push(Row { line, item: l }))
            }),
            "discount_policy" => json_policy(raw).map(|p| batch.discount_policy = Some(Row { line, item: p })),
            "product_cost" => json_cost(raw).map(|c| batch.product_costs.push(Row { line, item: c })),
            "scoring_model" => json_scoring_model(raw).map(|m| batch.scoring_model = Some(Row { line, item: m })),
            "campaign" => json_campaign(raw)
                .and_then(|c| seen.once("campaign", &c.id, line).map(|()| batch.campaigns.push(Row { line, item: c }))),
            "content" => json_content(raw).map(|item| batch.content.push(Row { line, item })),
            "company_profile" => json_company(raw).map(|p| batch.company_profile = Some(Row { line, item: p })),
            "unit_label" => json_unit_label(raw).and_then(|u| {
                seen.once("unit", &u.unit.to_lowercase(), line).map(|()| batch.unit_labels.push(Row { line, item: u }))
            }),
            _ => json_deleted_sku(raw).map(|sku| {
                if seen.once("deleted SKU", &sku, line).is_ok() {
                    batch.deleted_skus.push(Row { line, item: sku });
                }
            }),
        };
        if let Err(Refused { key, reason }) = outcome {
            out.problems.push(problem(line, key.as_deref(), reason));
        }
    }
    out.problems.sort_by_key(|p| p.line);
    out
}
