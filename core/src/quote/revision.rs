//! What a revision is: its canonical encoding and SHA-256 hash (a contract
//! between platforms), and the human quote numbers the hash covers.

use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Quote;

/// The content of a revision, in its canonical order: what the hash covers.
#[derive(Serialize)]
struct Canonical<'a> {
    format: &'static str,
    id: &'a str,
    number: &'a str,
    account_id: &'a str,
    contact_id: Option<&'a str>,
    currency: &'a str,
    locale: &'a str,
    valid_until: String,
    payment_terms: &'a str,
    delivery_terms: &'a str,
    notes: &'a str,
    header_discount_pct: String,
    value_arguments: &'a [String],
    lines: Vec<[String; 8]>,
    /// The optional and alternative positions with the customer's choice:
    /// `[line index, "optional" | "alternative:<group>", "chosen" | ""]`;
    /// absent when every line is a standard position (so the hashes of
    /// quotes without any stay what they were).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    positions: Vec<[String; 3]>,
}

fn norm(d: Decimal) -> String {
    d.normalize().to_string()
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The human quote number for the quote `id`: `Q-` and 12 Crockford
/// base-32 characters in groups of four (`Q-7K3M-Q9XD-2F8A`), 60 bits of
/// SHA-256 of the id (and of `attempt`, from 0, for a renumbering after a
/// clash). At a million quotes the chance that any two share a number is
/// about 4 × 10⁻⁷; the hub refuses a clash anyway (ADR 17).
pub fn quote_number(id: &str, attempt: u32) -> String {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    if attempt > 0 {
        h.update(attempt.to_be_bytes());
    }
    let digest = h.finalize();
    let bits = digest[..8].iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) >> 4;
    let mut out = String::from("Q-");
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(CROCKFORD[((bits >> (55 - 5 * i)) & 31) as usize]));
    }
    out
}

/// Whether `n` has the shape of a quote number (this scheme's or the
/// earlier `Q-` and 8 characters).
pub fn is_quote_number(n: &str) -> bool {
    n.strip_prefix("Q-").is_some_and(|rest| {
        (1..=20).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    })
}

impl Quote {
    /// The canonical encoding of the revision's content: a JSON object with
    /// a fixed field order and normalised decimals (`1.50 → 1.5`), UTF-8.
    /// Identical content gives identical bytes on every platform.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let c = Canonical {
            format: "onsite-quote-revision-1",
            id: &self.id,
            number: &self.number,
            account_id: &self.account_id,
            contact_id: self.contact_id.as_deref(),
            currency: self.currency.code(),
            locale: self.locale.tag(),
            valid_until: self.valid_until.to_string(),
            payment_terms: &self.payment_terms,
            delivery_terms: &self.delivery_terms,
            notes: &self.notes,
            header_discount_pct: norm(self.header_discount_pct),
            value_arguments: &self.value_arguments,
            lines: self
                .lines
                .iter()
                .map(|l| {
                    [
                        l.sku.clone(),
                        l.name.clone(),
                        l.unit.clone(),
                        norm(l.qty),
                        norm(l.unit_price),
                        norm(l.discount_pct),
                        norm(l.tax_rate_pct),
                        l.category.clone(),
                    ]
                })
                .collect(),
            positions: self
                .lines
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let kind = match &l.position {
                        super::Position::Standard => return None,
                        super::Position::Optional => "optional".to_string(),
                        super::Position::Alternative { group } => format!("alternative:{group}"),
                    };
                    Some([i.to_string(), kind, if l.chosen { "chosen".into() } else { String::new() }])
                })
                .collect(),
        };
        serde_json::to_vec(&c).unwrap_or_default()
    }

    /// SHA-256 of [`Quote::canonical_bytes`], lower-case hex.
    pub fn compute_hash(&self) -> String {
        let digest = Sha256::digest(self.canonical_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Gives the quote another number after its number was found taken
    /// (`attempt` from 1); identity is unchanged, so is the content hash
    /// apart from the number it covers.
    pub fn renumber(&mut self, attempt: u32) {
        self.number = quote_number(&self.id, attempt);
        self.revision_hash = self.compute_hash();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::quote;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_hash_is_pinned() {
        // The canonical encoding is a contract between platforms: a change
        // here breaks every stored approval. Update only with a new format tag.
        let q = quote();
        assert_eq!(q.revision_hash.len(), 64);
        let text = String::from_utf8(q.canonical_bytes()).unwrap();
        let prefix =
            format!(r#"{{"format":"onsite-quote-revision-1","id":"q-1","number":"{}""#, quote_number("q-1", 0));
        assert!(text.starts_with(&prefix), "{text}");
        assert!(text.contains(r#"["A","Artikel A","pc","100","0.12","5","19","Schrauben"]"#), "{text}");
        assert_eq!(q.compute_hash(), PINNED, "the encoding of a quote of standard lines changed");
    }

    /// The hash of the test quote: the same before and after optional
    /// positions joined the encoding (a quote without any writes no
    /// `positions`), and it must stay so.
    const PINNED: &str = "359557c864902d2c822649c6d4d63cd03b3fbfb30b4e925929d393a49d2f9dea";

    #[test]
    fn numbers_have_60_bits_in_groups_and_renumber_on_demand() {
        let n = quote_number("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a", 0);
        assert_eq!(n.len(), 2 + 12 + 2, "{n}");
        assert!(is_quote_number(&n) && n.starts_with("Q-") && n.as_bytes()[6] == b'-' && n.as_bytes()[11] == b'-');
        assert!(n[2..].bytes().all(|b| b == b'-' || CROCKFORD.contains(&b)), "{n}");
        assert_ne!(quote_number("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a", 1), n, "another attempt, another number");
        assert!(is_quote_number("Q-4F2A9C01"), "numbers of earlier versions stay valid");
        for bad in ["", "Q-", "4F2A9C01", "Q-4f2a", "Q-A B", "Q-\u{202e}A"] {
            assert!(!is_quote_number(bad), "{bad:?}");
        }
        // 10,000 ids, 10,000 distinct numbers (60 bits: a clash here would
        // mean the bits are not spread).
        let numbers: std::collections::HashSet<String> =
            (0..10_000).map(|i| quote_number(&format!("id-{i}"), 0)).collect();
        assert_eq!(numbers.len(), 10_000);
        let mut q = quote();
        let before = (q.number.clone(), q.revision_hash.clone());
        q.renumber(1);
        assert_ne!(q.number, before.0);
        assert_ne!(q.revision_hash, before.1, "the number is part of the content");
    }

    proptest! {
        #[test]
        fn the_hash_ignores_decimal_spelling_and_follows_content(qty in 1i64..10_000, cents in 1i64..1_000_000, extra_zeros in 0u32..4) {
            let mut a = quote();
            a.edit(|q| { q.lines[0].qty = Decimal::new(qty, 0); q.lines[0].unit_price = Decimal::new(cents, 2); }).unwrap();
            let mut b = a.clone();
            // The same values written with trailing zeros encode identically.
            b.lines[0].unit_price.rescale(2 + extra_zeros);
            b.lines[0].qty.rescale(extra_zeros);
            prop_assert_eq!(a.compute_hash(), b.compute_hash());
            // Re-encoding after a serde round trip gives the same hash.
            let back: Quote = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
            prop_assert_eq!(back.compute_hash(), a.compute_hash());
            // Any content change changes it.
            let mut c = a.clone();
            c.lines[0].qty += Decimal::ONE;
            prop_assert_ne!(c.compute_hash(), a.compute_hash());
            let mut e = a.clone();
            e.payment_terms.push('.');
            prop_assert_ne!(e.compute_hash(), a.compute_hash());
        }
    }
}
