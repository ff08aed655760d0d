//! Catalog files as delimited text (`;`, `,` or tab): the header names the
//! columns, then one product a line; `docs/catalog-import.md`.

use std::collections::HashMap;

use super::{ParsedCatalog, Seen, parse_bool, push_product};
use crate::catalog::{Attribute, Product};
use crate::money::{Currency, Money, parse_decimal_flexible};
use crate::table::{problem, reader};

const CSV_REQUIRED: &[&str] = &["sku", "name", "unit", "list_price", "tax_class"];
const CSV_OPTIONAL: &[&str] = &["description", "category", "currency", "c_part", "active", "image"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    Known(&'static str),
    Attr(usize),
}

/// Parses CSV: a header line naming the columns, then one product a line.
pub fn parse_csv(bytes: &[u8]) -> ParsedCatalog {
    let mut out = ParsedCatalog::default();
    let mut reader = reader(bytes);
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
