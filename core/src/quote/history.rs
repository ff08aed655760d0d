//! What changed from one revision of a quote to the next (ADR 31); the
//! revisions themselves come from the document's history
//! ([`crate::crdt::quote_revisions`]).

use rust_decimal::Decimal;

use super::Quote;

/// One difference between two revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What changed: a header field (`valid_until`, `payment_terms`,
    /// `delivery_terms`, `notes`, `header_discount_pct`, `contact_id`) or a
    /// line's (`line:<sku or position>:qty|unit_price|discount_pct|name|added|removed`).
    pub what: String,
    /// The value before (empty for an added line).
    pub before: String,
    /// The value after (empty for a removed line).
    pub after: String,
}

fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A line's key: its SKU, or its position for a free line without one.
fn line_key(i: usize, sku: &str) -> String {
    if sku.is_empty() { format!("#{}", i + 1) } else { sku.to_string() }
}

/// What changed from `before` to `after`: header fields in a fixed order,
/// then lines matched by SKU (lines without one by position), in the order
/// of `after` followed by the lines it dropped.
pub fn compare(before: &Quote, after: &Quote) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut field = |what: &str, b: String, a: String| {
        if b != a {
            out.push(Difference { what: what.to_string(), before: b, after: a });
        }
    };
    field("valid_until", before.valid_until.to_string(), after.valid_until.to_string());
    field("contact_id", before.contact_id.clone().unwrap_or_default(), after.contact_id.clone().unwrap_or_default());
    field("payment_terms", before.payment_terms.clone(), after.payment_terms.clone());
    field("delivery_terms", before.delivery_terms.clone(), after.delivery_terms.clone());
    field("notes", before.notes.clone(), after.notes.clone());
    field("header_discount_pct", num(before.header_discount_pct), num(after.header_discount_pct));
    let keyed = |q: &Quote| -> Vec<(String, super::QuoteLine)> {
        q.lines.iter().enumerate().map(|(i, l)| (line_key(i, &l.sku), l.clone())).collect()
    };
    let (old, new) = (keyed(before), keyed(after));
    for (key, l) in &new {
        match old.iter().find(|(k, _)| k == key) {
            None => out.push(Difference {
                what: format!("line:{key}:added"),
                before: String::new(),
                after: format!("{} × {}", num(l.qty), num(l.unit_price)),
            }),
            Some((_, o)) => {
                for (what, b, a) in [
                    ("name", o.name.clone(), l.name.clone()),
                    ("qty", num(o.qty), num(l.qty)),
                    ("unit_price", num(o.unit_price), num(l.unit_price)),
                    ("discount_pct", num(o.discount_pct), num(l.discount_pct)),
                ] {
                    if b != a {
                        out.push(Difference { what: format!("line:{key}:{what}"), before: b, after: a });
                    }
                }
            }
        }
    }
    for (key, o) in &old {
        if !new.iter().any(|(k, _)| k == key) {
            out.push(Difference {
                what: format!("line:{key}:removed"),
                before: format!("{} × {}", num(o.qty), num(o.unit_price)),
                after: String::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::test_support::{line, quote};

    #[test]
    fn changes_between_revisions_are_named_field_by_field() {
        let mut before = quote();
        before.lines = vec![line("A-1", "2", "10.00", "0", "x", false), line("B-2", "1", "5.00", "0", "x", false)];
        let mut after = before.clone();
        assert!(compare(&before, &after).is_empty(), "the same content: no difference");
        after.lines[0].qty = Decimal::new(5, 0);
        after.lines.remove(1);
        after.payment_terms = "sofort ohne Abzug".into();
        after.lines.push(before.lines[0].clone());
        after.lines[1].sku = "C-3".into();
        let d = compare(&before, &after);
        let whats: Vec<&str> = d.iter().map(|x| x.what.as_str()).collect();
        assert_eq!(whats, ["payment_terms", "line:A-1:qty", "line:C-3:added", "line:B-2:removed"], "{d:?}");
        assert_eq!((d[1].before.as_str(), d[1].after.as_str()), ("2", "5"));
        assert_eq!(d[3].after, "", "a removed line has nothing after");
    }
}
