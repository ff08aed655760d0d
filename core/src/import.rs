//! Catalog files: parsing CSV and JSON into domain values, with every bad row
//! reported by line number, and writing the CSV form back out.
//!
//! The formats are documented in `docs/catalog-import.md`. Parsing is pure;
//! checks that need the database (unknown tax class, unknown SKU in a price
//! list) and the all-or-nothing write are done by
//! [`Store::import_catalog`](crate::Store::import_catalog).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::catalog::{
    Attribute, ContentItem, ContentKind, PriceList, PriceListScope, PriceTier, Product, ProductCost, TaxClass,
};
use crate::money::{Currency, Money, parse_decimal_flexible};
use crate::quote::{CategoryLimit, DiscountPolicy};
use crate::release::{ReferenceData, Sequenced, Tombstone};
use crate::rules::FieldError;
pub use crate::table::Problem;
use crate::table::{detect_delimiter, problem, strip_bom};

/// A parsed item with the line of the file it started on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<T> {
    /// 1-based line number in the source file.
    pub line: u64,
    /// The parsed item.
    pub item: T,
}

/// Everything one import brings, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogBatch {
    /// New or changed tax classes.
    pub tax_classes: Vec<Row<TaxClass>>,
    /// New or changed products.
    pub products: Vec<Row<Product>>,
    /// New or changed price lists (each replaces the stored list whole).
    pub price_lists: Vec<Row<PriceList>>,
    /// Products to delete (a tombstone is kept).
    pub deleted_skus: Vec<Row<String>>,
    /// A new discount policy.
    pub discount_policy: Option<Row<DiscountPolicy>>,
    /// New or changed product costs.
    pub product_costs: Vec<Row<ProductCost>>,
    /// New or changed content library items.
    pub content: Vec<Row<ContentItem>>,
    /// A new lead-scoring model.
    pub scoring_model: Option<Row<crate::scoring::ScoringModel>>,
    /// New or changed campaigns (each replaces the stored one whole).
    pub campaigns: Vec<Row<crate::funnel::Campaign>>,
}

/// Every problem found in a rejected import. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// The bad rows, ordered by line.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "import rejected, nothing was changed: {n} problem{}", if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// Where each record of a [`CatalogBatch`] stands in its file, by kind and
/// position in [`ReferenceData`]'s lists (for problem reports).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceLines {
    /// Lines of the products.
    pub products: Vec<u64>,
    /// Lines of the price lists.
    pub price_lists: Vec<u64>,
    /// Lines of the tombstones (deleted SKUs).
    pub tombstones: Vec<u64>,
    /// Lines of the product costs.
    pub product_costs: Vec<u64>,
    /// Lines of the content items.
    pub content: Vec<u64>,
}

impl CatalogBatch {
    /// The rows as the store's write model (every record new: sequence 0),
    /// and the line each one came from.
    pub fn into_data(self) -> (ReferenceData, SourceLines) {
        fn split<T>(rows: Vec<Row<T>>) -> (Vec<T>, Vec<u64>) {
            rows.into_iter().map(|r| (r.item, r.line)).unzip()
        }
        let fresh = |r: Row<_>| Sequenced { seq: 0, item: r.item };
        let (tax_classes, _) = split(self.tax_classes);
        let (products, product_lines) = split(self.products);
        let (price_lists, list_lines) = split(self.price_lists);
        let (deleted, deleted_lines) = split(self.deleted_skus);
        let (product_costs, cost_lines) = split(self.product_costs);
        let (content, content_lines) = split(self.content);
        let data = ReferenceData {
            tax_classes,
            products,
            price_lists,
            tombstones: deleted.iter().map(|sku| Tombstone::product(sku)).collect(),
            discount_policy: self.discount_policy.map(fresh),
            product_costs,
            content,
            scoring_model: self.scoring_model.map(|r| Sequenced { seq: 0, item: r.item }),
            campaigns: self.campaigns.into_iter().map(|r| Sequenced { seq: 0, item: r.item }).collect(),
        };
        let lines = SourceLines {
            products: product_lines,
            price_lists: list_lines,
            tombstones: deleted_lines,
            product_costs: cost_lines,
            content: content_lines,
        };
        (data, lines)
    }
}

/// The result of parsing a file: the rows that parsed and the problems of
/// those that did not. An import goes ahead only if `problems` stays empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedCatalog {
    /// Rows that parsed and passed the per-row rules.
    pub batch: CatalogBatch,
    /// Rows that did not.
    pub problems: Vec<Problem>,
}

/// Catalog file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text, `;`, `,` or tab; see `docs/catalog-import.md`.
    Csv,
    /// A JSON catalog object or an array of products.
    Json,
}

impl Format {
    /// From the file extension, else from the content (`{` or `[` first).
    pub fn detect(path: Option<&Path>, bytes: &[u8]) -> Format {
        match path.and_then(|p| p.extension()).and_then(|e| e.to_str()).map(str::to_ascii_lowercase) {
            Some(e) if e == "json" => return Format::Json,
            Some(e) if e == "csv" || e == "tsv" || e == "txt" => return Format::Csv,
            _ => {}
        }
        let first = strip_bom(bytes).iter().find(|b| !b.is_ascii_whitespace());
        if matches!(first, Some(b'{' | b'[')) { Format::Json } else { Format::Csv }
    }
}

/// Parses a catalog file in `format`.
pub fn parse(bytes: &[u8], format: Format) -> ParsedCatalog {
    match format {
        Format::Csv => parse_csv(bytes),
        Format::Json => parse_json(bytes),
    }
}

fn rule_reason(e: &FieldError) -> String {
    format!("{} {}", e.field, e.reason)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "ja" | "j" | "x" | "wahr" => Some(true),
        "0" | "false" | "no" | "n" | "nein" | "falsch" => Some(false),
        _ => None,
    }
}

/// Keeps track of keys already seen in one file, case-insensitively.
#[derive(Default)]
struct Seen(HashMap<String, u64>);

impl Seen {
    fn first_line(&mut self, key: &str, line: u64) -> Option<u64> {
        let k = key.to_lowercase();
        match self.0.get(&k) {
            Some(&first) => Some(first),
            None => {
                self.0.insert(k, line);
                None
            }
        }
    }
}

// ---------------------------------------------------------------- CSV ----

const CSV_REQUIRED: &[&str] = &["sku", "name", "unit", "list_price", "tax_class"];
const CSV_OPTIONAL: &[&str] = &["description", "category", "currency", "c_part", "active", "image"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    Known(&'static str),
    Attr(usize),
}

/// Parses CSV: a header line naming the columns, then one product a line.
pub fn parse_csv(bytes: &[u8]) -> ParsedCatalog {
    let bytes = strip_bom(bytes);
    let mut out = ParsedCatalog::default();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(detect_delimiter(bytes))
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();

    let header = match records.next() {
        None => {
            out.problems.push(problem(1, None, "the file is empty: expected a header line"));
            return out;
        }
        Some(Err(e)) => {
            out.problems.push(problem(1, None, format!("unreadable header: {e}")));
            return out;
        }
        Some(Ok(h)) => h,
    };
    let header_line = header.position().map_or(1, |p| p.line());
    let mut cols = Vec::with_capacity(header.len());
    let mut attr_keys = Vec::new();
    let mut seen_cols = Seen::default();
    for (i, raw) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(raw).trim().to_string();
        let lower = name.to_lowercase();
        if seen_cols.first_line(&lower, i as u64).is_some() {
            out.problems.push(problem(header_line, None, format!("column {name:?} appears twice")));
            continue;
        }
        if let Some(key) = lower.strip_prefix("attr:").map(|_| name.get(5..).unwrap_or("").trim().to_string()) {
            if key.is_empty() {
                out.problems.push(problem(header_line, None, "column \"attr:\" has no attribute name"));
            }
            cols.push(Col::Attr(attr_keys.len()));
            attr_keys.push(key);
        } else if let Some(k) = CSV_REQUIRED.iter().chain(CSV_OPTIONAL).find(|k| **k == lower) {
            cols.push(Col::Known(k));
        } else {
            out.problems.push(problem(
                header_line,
                None,
                format!(
                    "unknown column {:?} (known: {}, {}, attr:NAME)",
                    name.chars().take(40).collect::<String>(),
                    CSV_REQUIRED.join(", "),
                    CSV_OPTIONAL.join(", ")
                ),
            ));
        }
    }
    for req in CSV_REQUIRED {
        if !cols.contains(&Col::Known(req)) {
            out.problems.push(problem(header_line, None, format!("missing column {req}")));
        }
    }
    if !out.problems.is_empty() {
        return out;
    }

    let mut seen = Seen::default();
    let mut line = header_line;
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let l = e.position().map_or(line + 1, |p| p.line());
                out.problems.push(problem(l, None, format!("unreadable row: {e}")));
                continue;
            }
        };
        line = rec.position().map_or(line + 1, |p| p.line());
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if rec.len() != cols.len() {
            out.problems.push(problem(line, None, format!("has {} fields, the header has {}", rec.len(), cols.len())));
            continue;
        }
        let mut fields: HashMap<&'static str, String> = HashMap::new();
        let mut attrs: Vec<Attribute> = Vec::new();
        let mut utf8_bad = false;
        for (col, raw) in cols.iter().zip(rec.iter()) {
            let Ok(v) = std::str::from_utf8(raw) else {
                utf8_bad = true;
                break;
            };
            match col {
                Col::Known(k) => {
                    fields.insert(k, v.trim().to_string());
                }
                Col::Attr(i) => {
                    if !v.trim().is_empty() {
                        attrs.push(Attribute { key: attr_keys[*i].clone(), value: v.trim().to_string() });
                    }
                }
            }
        }
        if utf8_bad {
            out.problems.push(problem(line, None, "is not valid UTF-8 (save the file as UTF-8)"));
            continue;
        }
        let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
        let sku = get("sku");
        let key = (!sku.is_empty()).then_some(sku);
        let mut reasons = Vec::new();
        let price = match parse_decimal_flexible(get("list_price")) {
            Ok(p) => Some(p),
            Err(e) => {
                reasons.push(format!("bad list_price: {e}"));
                None
            }
        };
        let currency = match get("currency") {
            "" => Some(Currency::EUR),
            c => match Currency::new(c) {
                Ok(c) => Some(c),
                Err(e) => {
                    reasons.push(e.to_string());
                    None
                }
            },
        };
        let mut flag = |name: &str, default: bool| match get(name) {
            "" => default,
            v => parse_bool(v).unwrap_or_else(|| {
                reasons.push(format!("bad {name}: expected yes/no, true/false or 1/0"));
                default
            }),
        };
        let c_part = flag("c_part", false);
        let active = flag("active", true);
        let (Some(price), Some(currency), true) = (price, currency, reasons.is_empty()) else {
            out.problems.push(problem(line, key, reasons.join("; ")));
            continue;
        };
        let image = match get("image") {
            "" => None,
            s => Some(s.to_string()),
        };
        let product = Product {
            sku: sku.to_string(),
            name: get("name").to_string(),
            description: get("description").to_string(),
            category: get("category").to_string(),
            unit: get("unit").to_string(),
            list_price: Money::new(price, currency),
            tax_class: get("tax_class").to_string(),
            attributes: attrs,
            image,
            c_part,
            active,
            seq: 0,
        };
        push_product(&mut out, &mut seen, line, product);
    }
    out
}

fn push_product(out: &mut ParsedCatalog, seen: &mut Seen, line: u64, product: Product) {
    if let Err(e) = product.validate() {
        let key = (!product.sku.is_empty()).then_some(product.sku.as_str());
        out.problems.push(problem(line, key, rule_reason(&e)));
        return;
    }
    if let Some(first) = seen.first_line(&product.sku, line) {
        out.problems.push(problem(line, Some(&product.sku), format!("duplicate SKU (first on line {first})")));
        return;
    }
    out.batch.products.push(Row { line, item: product });
}

// --------------------------------------------------------------- JSON ----

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
    ] {
        for raw in list {
            items.push((0, kind, raw));
        }
    }
    items.sort_by_key(|(_, _, raw)| raw.get().as_ptr() as usize);
    for item in &mut items {
        item.0 = lines.line_of(item.2);
    }

    let mut seen_sku = Seen::default();
    let mut seen_list = Seen::default();
    let mut seen_tax = Seen::default();
    let mut seen_deleted = Seen::default();
    for (line, kind, raw) in items {
        match kind {
            "tax_class" => match serde_json::from_str::<JsonTaxClass>(raw.get()) {
                Err(e) => out.problems.push(problem(line, json_key(raw, "code").as_deref(), e.to_string())),
                Ok(t) => {
                    let tc = TaxClass { code: t.code, name: t.name, rate_percent: t.rate_percent.0, seq: 0 };
                    if let Err(e) = tc.validate() {
                        out.problems.push(problem(line, Some(&tc.code), rule_reason(&e)));
                    } else if let Some(first) = seen_tax.first_line(&tc.code, line) {
                        out.problems.push(problem(
                            line,
                            Some(&tc.code),
                            format!("duplicate tax class (first on line {first})"),
                        ));
                    } else {
                        out.batch.tax_classes.push(Row { line, item: tc });
                    }
                }
            },
            "product" => match serde_json::from_str::<JsonProduct>(raw.get()) {
                Err(e) => out.problems.push(problem(line, json_key(raw, "sku").as_deref(), e.to_string())),
                Ok(p) => {
                    let currency = p.currency.as_deref().map_or(Ok(Currency::EUR), Currency::new);
                    match (currency, json_attributes(p.attributes)) {
                        (Err(e), _) => out.problems.push(problem(line, Some(&p.sku), e.to_string())),
                        (_, Err(e)) => out.problems.push(problem(line, Some(&p.sku), e)),
                        (Ok(currency), Ok(attributes)) => {
                            let product = Product {
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
                            };
                            push_product(&mut out, &mut seen_sku, line, product);
                        }
                    }
                }
            },
            "price_list" => match serde_json::from_str::<JsonPriceList>(raw.get()) {
                Err(e) => out.problems.push(problem(line, json_key(raw, "id").as_deref(), e.to_string())),
                Ok(pl) => {
                    let scope = match (pl.customer_group, pl.customer_id) {
                        (Some(g), None) => Ok(PriceListScope::CustomerGroup(g)),
                        (None, Some(c)) => Ok(PriceListScope::Customer(c)),
                        _ => Err("give exactly one of customer_group and customer_id".to_string()),
                    };
                    let currency = Currency::new(&pl.currency).map_err(|e| e.to_string());
                    let list = scope.and_then(|scope| {
                        Ok(PriceList {
                            id: pl.id.clone(),
                            name: pl.name,
                            currency: currency?,
                            scope,
                            valid_from: pl.valid_from,
                            valid_to: pl.valid_to,
                            tiers: pl
                                .tiers
                                .into_iter()
                                .map(|t| PriceTier { sku: t.sku, min_qty: t.min_qty.0, unit_price: t.unit_price.0 })
                                .collect(),
                            seq: 0,
                        })
                    });
                    match list.and_then(|l| l.validate().map(|()| l).map_err(|e| rule_reason(&e))) {
                        Err(reason) => out.problems.push(problem(line, Some(&pl.id), reason)),
                        Ok(l) => {
                            if let Some(first) = seen_list.first_line(&l.id, line) {
                                out.problems.push(problem(
                                    line,
                                    Some(&l.id),
                                    format!("duplicate price list (first on line {first})"),
                                ));
                            } else {
                                out.batch.price_lists.push(Row { line, item: l });
                            }
                        }
                    }
                }
            },
            "discount_policy" => match serde_json::from_str::<JsonPolicy>(raw.get()) {
                Err(e) => out.problems.push(problem(line, Some("discount_policy"), e.to_string())),
                Ok(p) => {
                    let policy = DiscountPolicy {
                        max_discount_pct: p.max_discount_pct.0,
                        category_limits: p
                            .category_limits
                            .into_iter()
                            .map(|l| CategoryLimit { category: l.category, max_discount_pct: l.max_discount_pct.0 })
                            .collect(),
                        min_margin_pct: p.min_margin_pct.map_or(Decimal::ZERO, |m| m.0),
                        reason_required: p.reason_required,
                    };
                    let pct_ok = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED;
                    if !pct_ok(policy.max_discount_pct)
                        || !policy.category_limits.iter().all(|l| pct_ok(l.max_discount_pct))
                        || policy.min_margin_pct < Decimal::ZERO
                    {
                        out.problems.push(problem(
                            line,
                            Some("discount_policy"),
                            "percentages must be between 0 and 100",
                        ));
                    } else {
                        out.batch.discount_policy = Some(Row { line, item: policy });
                    }
                }
            },
            "product_cost" => match serde_json::from_str::<JsonCost>(raw.get()) {
                Err(e) => out.problems.push(problem(line, json_key(raw, "sku").as_deref(), e.to_string())),
                Ok(c) if c.cost.0 < Decimal::ZERO => out.problems.push(problem(line, Some(&c.sku), "cost is negative")),
                Ok(c) => {
                    out.batch.product_costs.push(Row { line, item: ProductCost { sku: c.sku, cost: c.cost.0, seq: 0 } })
                }
            },
            "scoring_model" => match serde_json::from_str::<crate::scoring::ScoringModel>(raw.get()) {
                Err(e) => out.problems.push(problem(line, Some("scoring_model"), e.to_string())),
                Ok(m) => match m.validate() {
                    Err(e) => out.problems.push(problem(line, Some("scoring_model"), e.to_string())),
                    Ok(()) => out.batch.scoring_model = Some(Row { line, item: m }),
                },
            },
            "campaign" => match serde_json::from_str::<crate::funnel::Campaign>(raw.get()) {
                Err(e) => out.problems.push(problem(line, json_key(raw, "id").as_deref(), e.to_string())),
                Ok(c) => match c.validate() {
                    Err(e) => out.problems.push(problem(line, Some(&c.id), e.to_string())),
                    Ok(()) => {
                        if let Some(first) = seen_list.first_line(&format!("campaign:{}", c.id), line) {
                            out.problems.push(problem(
                                line,
                                Some(&c.id),
                                format!("duplicate campaign (first on line {first})"),
                            ));
                        } else {
                            out.batch.campaigns.push(Row { line, item: c });
                        }
                    }
                },
            },
            "content" => match serde_json::from_str::<JsonContent>(raw.get()) {
                Err(e) => out.problems.push(problem(line, json_key(raw, "id").as_deref(), e.to_string())),
                Ok(c) => {
                    let item = ContentItem {
                        id: c.id,
                        kind: c.kind,
                        title: c.title,
                        summary: c.summary,
                        url: c.url,
                        skus: c.skus,
                        seq: 0,
                    };
                    match item.validate() {
                        Err(e) => out.problems.push(problem(line, Some(&item.id), rule_reason(&e))),
                        Ok(()) => out.batch.content.push(Row { line, item }),
                    }
                }
            },
            _ => match serde_json::from_str::<String>(raw.get()) {
                Err(_) => out.problems.push(problem(line, None, "deleted_skus must be a list of SKU strings")),
                Ok(sku) => {
                    if seen_deleted.first_line(&sku, line).is_none() {
                        out.batch.deleted_skus.push(Row { line, item: sku });
                    }
                }
            },
        }
    }
    out.problems.sort_by_key(|p| p.line);
    out
}

// ------------------------------------------------------------- export ----

/// Writes products in the documented CSV form (`;`-delimited, German decimal
/// commas, one `attr:` column per attribute name). [`parse_csv`] reads it
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

/// Writes a catalog in the documented JSON import form. [`parse_json`] reads
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(p: &ParsedCatalog) -> Vec<String> {
        p.problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn csv_semicolon_with_german_decimals_and_attributes() {
        let csv = "\u{feff}SKU;Name;Unit;List_Price;Tax_Class;C_Part;attr:Material;attr:Gewinde\n\
                   DIN933-M8;Sechskantschraube M8;pc;1.234,5;DE-STD;ja;Stahl verzinkt;M8\n\
                   HS-01;\"Handschuh; Nitril, \"\"Größe\"\" 9\";pair;0,89;DE-STD;;;\n";
        let p = parse_csv(csv.as_bytes());
        assert!(p.problems.is_empty(), "{:?}", reasons(&p));
        let rows = &p.batch.products;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].item.list_price.amount, Decimal::new(12345, 1));
        assert!(rows[0].item.c_part && rows[0].item.active);
        assert_eq!(rows[0].item.attributes.len(), 2);
        assert_eq!(rows[0].item.attributes[1], Attribute { key: "Gewinde".into(), value: "M8".into() });
        assert_eq!(rows[1].item.name, "Handschuh; Nitril, \"Größe\" 9");
        assert!(rows[1].item.attributes.is_empty());
        assert_eq!(rows[1].item.list_price.amount, Decimal::new(89, 2));
    }

    #[test]
    fn csv_comma_delimited_with_decimal_points() {
        let csv = "sku,name,unit,list_price,tax_class,currency\nA-1,Bolt,pc,12.50,DE-STD,usd\n";
        let p = parse_csv(csv.as_bytes());
        assert!(p.problems.is_empty(), "{:?}", reasons(&p));
        assert_eq!(p.batch.products[0].item.list_price.currency.code(), "USD");
        assert_eq!(p.batch.products[0].item.list_price.amount, Decimal::new(1250, 2));
    }

    #[test]
    fn csv_reports_every_bad_row_with_its_line() {
        let csv = "sku;name;unit;list_price;tax_class;active\n\
                   A-1;Gut;pc;1,00;DE-STD;ja\n\
                   A-2;Schlecht;pc;zwölf;DE-STD;ja\n\
                   A-1;Doppelt;pc;1,00;DE-STD;ja\n\
                   ;Ohne SKU;pc;1,00;DE-STD;ja\n\
                   A-5;Negativ;pc;-3;DE-STD;vielleicht\n\
                   A-6;Kurz;pc\n";
        let p = parse_csv(csv.as_bytes());
        let r = reasons(&p);
        assert_eq!(p.problems.iter().map(|p| p.line).collect::<Vec<_>>(), vec![3, 4, 5, 6, 7], "{r:?}");
        assert!(r[0].contains("A-2") && r[0].contains("list_price"), "{r:?}");
        assert!(r[1].contains("duplicate SKU (first on line 2)"), "{r:?}");
        assert!(r[2].contains("sku is empty"), "{r:?}");
        assert!(r[3].contains("active"), "{r:?}");
        assert!(r[4].contains("3 fields"), "{r:?}");
        assert_eq!(p.batch.products.len(), 1);
    }

    #[test]
    fn csv_header_problems() {
        let p = parse_csv(b"sku;name;price;tax_class\nA;B;1;DE-STD\n");
        let r = reasons(&p);
        assert!(r.iter().any(|r| r.contains("unknown column \"price\"")), "{r:?}");
        assert!(r.iter().any(|r| r.contains("missing column unit")), "{r:?}");
        assert!(r.iter().any(|r| r.contains("missing column list_price")), "{r:?}");
        assert!(p.batch.products.is_empty());
        assert!(reasons(&parse_csv(b"")).iter().any(|r| r.contains("empty")));
        let dup = parse_csv(b"sku;SKU;name;unit;list_price;tax_class\n");
        assert!(reasons(&dup).iter().any(|r| r.contains("twice")));
    }

    #[test]
    fn csv_multiline_fields_keep_line_numbers_right() {
        let csv = "sku,name,description,unit,list_price,tax_class\n\
                   A,Eins,\"zwei\nZeilen\",pc,1,DE-STD\n\
                   B,Zwei,,pc,x,DE-STD\n";
        let p = parse_csv(csv.as_bytes());
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].line, 4);
        assert_eq!(p.batch.products[0].item.description, "zwei\nZeilen");
    }

    #[test]
    fn csv_non_utf8_row_is_reported() {
        let mut bytes = b"sku;name;unit;list_price;tax_class\nA;M".to_vec();
        bytes.push(0xFC); // 'ü' in Latin-1
        bytes.extend_from_slice(b"ller;pc;1;DE-STD\n");
        let p = parse_csv(&bytes);
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].reason.contains("UTF-8"));
    }

    #[test]
    fn json_catalog_with_lines_and_exact_numbers() {
        let json = r#"{
  "tax_classes": [ {"code": "AT-STD", "name": "USt. 20 %", "rate_percent": 20} ],
  "products": [
    {"sku": "A-1", "name": "Müller-Schraube", "unit": "pc", "list_price": 0.1,
     "tax_class": "AT-STD", "attributes": {"Material": "Stahl", "Länge": 40}},
    {"sku": "A-2", "name": "Zwei", "unit": "pc", "list_price": "1.234,56",
     "tax_class": "DE-STD", "attributes": [{"key": "Farbe", "value": "rot"}], "c_part": true}
  ],
  "price_lists": [
    {"id": "PL-A", "name": "Gruppe A", "currency": "EUR", "customer_group": "A",
     "valid_from": "2026-01-01", "tiers": [{"sku": "A-1", "min_qty": 100, "unit_price": "0.08"}]}
  ],
  "deleted_skus": ["OLD-1"]
}"#;
        let p = parse_json(json.as_bytes());
        assert!(p.problems.is_empty(), "{:?}", reasons(&p));
        assert_eq!(p.batch.tax_classes[0].item.rate_percent, Decimal::new(20, 0));
        let a1 = &p.batch.products[0];
        assert_eq!(a1.line, 4);
        assert_eq!(a1.item.list_price.amount, Decimal::new(1, 1));
        assert_eq!(a1.item.attributes[1], Attribute { key: "Länge".into(), value: "40".into() });
        assert_eq!(p.batch.products[1].line, 6);
        assert_eq!(p.batch.products[1].item.list_price.amount, Decimal::new(123456, 2));
        assert_eq!(p.batch.price_lists[0].line, 10);
        assert_eq!(p.batch.price_lists[0].item.tiers[0].min_qty, Decimal::new(100, 0));
        assert_eq!(p.batch.deleted_skus[0].item, "OLD-1");
    }

    #[test]
    fn json_reports_each_bad_item() {
        let json = "[\n {\"sku\": \"A\", \"name\": \"x\", \"unit\": \"pc\", \"list_price\": 1e3, \"tax_class\": \"DE-STD\"},\n\
                    {\"sku\": \"B\", \"name\": \"y\", \"unit\": \"pc\", \"tax_class\": \"DE-STD\"},\n\
                    {\"sku\": \"C\", \"name\": \"z\", \"unit\": \"pc\", \"list_price\": 1, \"tax_class\": \"DE-STD\", \"colour\": 1},\n\
                    {\"sku\": \"D\", \"name\": \"w\", \"unit\": \"pc\", \"list_price\": \"-2\", \"tax_class\": \"DE-STD\"}\n]";
        let p = parse_json(json.as_bytes());
        let r = reasons(&p);
        assert_eq!(p.problems.iter().map(|p| p.line).collect::<Vec<_>>(), vec![2, 3, 4, 5], "{r:?}");
        assert!(r[0].contains("(A)") && r[0].contains("decimal"), "{r:?}");
        assert!(r[1].contains("missing field `list_price`"), "{r:?}");
        assert!(r[2].contains("unknown field `colour`"), "{r:?}");
        assert!(r[3].contains("negative"), "{r:?}");
    }

    #[test]
    fn json_syntax_error_has_a_line() {
        let p = parse_json(b"{\n \"products\": [\n {\"sku\": }\n]}");
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].line, 3);
        let p = parse_json(b"{\"products\": [], \"extra\": 1}");
        assert!(p.problems[0].reason.contains("unknown field `extra`"));
    }

    #[test]
    fn json_price_list_scope_must_be_one() {
        let json = r#"{"price_lists": [{"id": "X", "name": "x", "currency": "EUR", "tiers": []}]}"#;
        let p = parse_json(json.as_bytes());
        assert!(p.problems[0].reason.contains("exactly one"), "{:?}", reasons(&p));
    }

    #[test]
    fn export_round_trips() {
        let csv = "sku;name;description;unit;list_price;tax_class;c_part;attr:Material\n\
                   A-1;\"Schraube; lang\";\"Zeile 1\nZeile 2\";pc;0,0345;DE-STD;ja;Stahl\n\
                   B-2;Handschuh;;pair;12;DE-RED;nein;\n";
        let first = parse_csv(csv.as_bytes());
        assert!(first.problems.is_empty());
        let products: Vec<Product> = first.batch.products.iter().map(|r| r.item.clone()).collect();
        let again = parse_csv(export_csv(&products).as_bytes());
        assert!(again.problems.is_empty(), "{:?}", reasons(&again));
        let back: Vec<Product> = again.batch.products.into_iter().map(|r| r.item).collect();
        assert_eq!(back, products);
    }

    #[test]
    fn json_export_round_trips() {
        let products = crate::sample::products(200, 5);
        let accounts = crate::sample::accounts(20, 5);
        let lists = crate::sample::price_lists(&products, &accounts, 5);
        let taxes = vec![TaxClass {
            code: "AT-STD".into(),
            name: "USt. 20 %".into(),
            rate_percent: Decimal::new(20, 0),
            seq: 0,
        }];
        let text = export_json(&taxes, &products, &lists);
        let back = parse_json(text.as_bytes());
        assert!(back.problems.is_empty(), "{:?}", reasons(&back));
        assert_eq!(back.batch.tax_classes.into_iter().map(|r| r.item).collect::<Vec<_>>(), taxes);
        assert_eq!(back.batch.products.into_iter().map(|r| r.item).collect::<Vec<_>>(), products);
        assert_eq!(back.batch.price_lists.into_iter().map(|r| r.item).collect::<Vec<_>>(), lists);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_csv(&bytes);
            let _ = parse_json(&bytes);
        }

        #[test]
        fn mangled_csv_rows_are_reported_never_lost(
            cut in 0usize..200,
            junk in "[;,\"\n0-9a-zäöüß€.-]{0,12}",
        ) {
            let good = "sku;name;unit;list_price;tax_class\nA-1;Eins;pc;1,50;DE-STD\nA-2;Zwei;pc;2;DE-STD\n";
            let cut = cut.min(good.len());
            let mut text = good.as_bytes()[..cut].to_vec();
            text.extend_from_slice(junk.as_bytes());
            let parsed = parse_csv(&text);
            // Nothing vanishes silently: a file without problems yields one
            // product per non-blank record after the header.
            if parsed.problems.is_empty() {
                let records = csv::ReaderBuilder::new()
                    .delimiter(b';')
                    .has_headers(true)
                    .flexible(true)
                    .from_reader(text.as_slice())
                    .byte_records()
                    .filter_map(Result::ok)
                    .filter(|r| r.iter().any(|f| !f.iter().all(u8::is_ascii_whitespace)))
                    .count();
                proptest::prop_assert_eq!(parsed.batch.products.len(), records, "{:?}", parsed);
            } else {
                proptest::prop_assert!(parsed.problems.iter().all(|p| p.line >= 1 && !p.reason.is_empty()));
            }
        }
    }

    #[test]
    fn reference_export_round_trips() {
        let products = crate::sample::products(100, 8);
        let policy = DiscountPolicy { max_discount_pct: Decimal::new(125, 1), ..DiscountPolicy::default() };
        let costs = vec![ProductCost { sku: products[0].sku.clone(), cost: Decimal::new(7, 2), seq: 0 }];
        let content = crate::sample::content(&products);
        let text = export_reference_json(&[], Some(&policy), &costs, &content);
        let back = parse_json(text.as_bytes());
        assert!(back.problems.is_empty(), "{:?}", reasons(&back));
        assert_eq!(back.batch.discount_policy.map(|r| r.item), Some(policy));
        assert_eq!(back.batch.product_costs.into_iter().map(|r| r.item).collect::<Vec<_>>(), costs);
        assert_eq!(back.batch.content.into_iter().map(|r| r.item).collect::<Vec<_>>(), content);
    }

    #[test]
    fn format_detection() {
        assert_eq!(Format::detect(Some(Path::new("a.JSON")), b""), Format::Json);
        assert_eq!(Format::detect(None, b"\xEF\xBB\xBF  [1]"), Format::Json);
        assert_eq!(Format::detect(Some(Path::new("a.csv")), b"{"), Format::Csv);
        assert_eq!(Format::detect(None, b"sku;name"), Format::Csv);
    }
}
