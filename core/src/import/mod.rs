//! Catalog files: parsing CSV and JSON into domain values, with every bad row
//! reported by line number, and writing the CSV form back out.
//!
//! The formats are documented in `docs/catalog-import.md`. Parsing is pure;
//! checks that need the database (unknown tax class, unknown SKU in a price
//! list) and the all-or-nothing write are done by
//! [`Store::import_catalog`](crate::Store::import_catalog).

mod accounts;
mod delimited;
mod export;
mod json;
mod zip;
pub use zip::{ZipFile, read_zip};

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::catalog::{ContentItem, PriceList, Product, ProductCost, TaxClass};
use crate::quote::DiscountPolicy;
use crate::release::{ReferenceData, Sequenced, Tombstone};
use crate::rules::FieldError;
use crate::table::{problem, strip_bom};

pub use crate::table::Problem;
pub use accounts::{AccountImport, MAX_ACCOUNTS, merge_account, merge_contact, parse_accounts};
pub use delimited::parse_csv;
pub use export::{export_csv, export_json, export_reference_json};
pub use json::{DecimalText, parse_json};

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
    pub scoring_model: Option<Row<crate::leads::ScoringModel>>,
    /// New or changed campaigns (each replaces the stored one whole).
    pub campaigns: Vec<Row<crate::leads::Campaign>>,
    /// A new company profile.
    pub company_profile: Option<Row<crate::profile::CompanyProfile>>,
    /// The unit labels (a file that has any replaces the published ones whole).
    pub unit_labels: Vec<Row<crate::catalog::UnitLabel>>,
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
            company_profile: self.company_profile.map(|r| Sequenced { seq: 0, item: r.item }),
            unit_labels: (!self.unit_labels.is_empty())
                .then(|| Sequenced { seq: 0, item: self.unit_labels.into_iter().map(|r| r.item).collect() }),
            rep_profiles: Vec::new(),
            media: Vec::new(),
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
    /// `Ok` the first time a `kind` of record has `key` (case-insensitive);
    /// refused as a duplicate, naming the first line, after.
    fn once(&mut self, kind: &str, key: &str, line: u64) -> Result<(), Refused> {
        match self.first_line(&format!("{kind}\u{0}{key}"), line) {
            None => Ok(()),
            Some(first) => Err(Refused::of(key, format!("duplicate {kind} (first on line {first})"))),
        }
    }

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

/// Why one record of a file was refused, and its key if it had one.
pub(crate) struct Refused {
    pub(crate) key: Option<String>,
    pub(crate) reason: String,
}

impl Refused {
    pub(crate) fn of(key: &str, reason: impl Into<String>) -> Refused {
        Refused { key: Some(key.to_string()), reason: reason.into() }
    }
}

/// A parsed product: checked by its rules and once per SKU, then kept.
fn push_product(out: &mut ParsedCatalog, seen: &mut Seen, line: u64, product: Product) {
    if let Err(e) = product.validate() {
        let key = (!product.sku.is_empty()).then_some(product.sku.as_str());
        out.problems.push(problem(line, key, rule_reason(&e)));
        return;
    }
    match seen.once("SKU", &product.sku, line) {
        Ok(()) => out.batch.products.push(Row { line, item: product }),
        Err(r) => out.problems.push(problem(line, r.key.as_deref(), r.reason)),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::catalog::Attribute;

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
    fn json_refuses_duplicates_and_bad_records_of_every_kind_by_line() {
        let json = r#"{
 "tax_classes": [
  {"code": "DE-STD", "name": "Standard", "rate_percent": "19"},
  {"code": "de-std", "name": "again", "rate_percent": "19"}
 ],
 "products": [{"sku": "A", "name": "x", "unit": "pc", "list_price": "1", "tax_class": "DE-STD", "currency": "EURO"}],
 "price_lists": [
  {"id": "L", "name": "l", "currency": "EUR", "customer_group": "g", "tiers": []},
  {"id": "L", "name": "l", "currency": "EUR", "customer_group": "g", "tiers": []}
 ],
 "product_costs": [{"sku": "A", "cost": "-1"}],
 "discount_policy": {"max_discount_pct": "120", "category_limits": []},
 "deleted_skus": ["OLD", "old", 7]
}"#;
        let p = parse_json(json.as_bytes());
        let found: Vec<(u64, Option<&str>, &str)> =
            p.problems.iter().map(|p| (p.line, p.key.as_deref(), p.reason.as_str())).collect();
        assert_eq!(
            found,
            vec![
                (4, Some("de-std"), "duplicate tax class (first on line 3)"),
                (6, Some("A"), found[1].2),
                (9, Some("L"), "duplicate price list (first on line 8)"),
                (11, Some("A"), "cost is negative"),
                (12, Some("discount_policy"), "percentages must be between 0 and 100"),
                (13, None, "deleted_skus must be a list of SKU strings"),
            ],
            "{:?}",
            reasons(&p)
        );
        assert!(found[1].2.contains("currency"), "{:?}", found[1]);
        let deleted: Vec<&str> = p.batch.deleted_skus.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(deleted, ["OLD"], "a SKU deleted twice is deleted once");
        assert_eq!((p.batch.tax_classes.len(), p.batch.price_lists.len()), (1, 1));
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
