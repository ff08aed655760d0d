//! Hand-made records for tests and benchmarks, in one place: one customer
//! account and its contact, quote lines, quotes, an approval, and what a
//! quote PDF is rendered with. Where [`crate::sample`] generates thousands
//! of varied records from a seed, these are the few fixed ones a test names
//! and asserts on (the ß in the street, the line name that wraps, the ids).
//!
//! Compiled for the crate's own tests and with the feature `sample` (the
//! command line, the test crates, the fuzz targets and the benchmarks), never
//! into the phone library. Every builder returns a fresh value; a test that
//! needs something else changes a field, or starts from a builder with
//! `..fixtures::account(id)`, and so says what it depends on.
//!
//! ```
//! use onsite_core::fixtures;
//! use onsite_core::money::DisplayLocale;
//!
//! let account = fixtures::account("acc-1");
//! let quote = fixtures::quote_with_lines("q-1", 12, DisplayLocale::De);
//! assert_eq!(quote.account_id, account.id);
//! assert_eq!(quote.lines.len(), 12);
//! assert_eq!(quote.revision_hash, quote.compute_hash());
//! ```

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::account::{Account, Address, BuyingRole, Contact};
use crate::ids::Timestamp;
use crate::money::{Currency, DisplayLocale};
use crate::pdf::{PdfOptions, QuoteContext, RepContact};
use crate::quote::{Approval, Quote, QuoteLine, SignerAuth};

/// The account id the quotes of these fixtures are for.
pub const ACCOUNT_ID: &str = "acc-1";
/// The contact id [`quote_with_lines`] addresses.
pub const CONTACT_ID: &str = "c-1";
/// The rep who makes the quotes of these fixtures.
pub const REP_ID: &str = "rep-1";

/// A decimal written exactly as in `s`, e.g. `dec("0.12")`.
///
/// # Panics
/// When `s` is not a decimal: a typo in a test's literal fails the test.
#[allow(clippy::expect_used)] // a fixture's typo must fail loudly, not price at zero
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).expect("a decimal literal")
}

/// The day `s` names, e.g. `date("2026-03-31")`.
///
/// # Panics
/// When `s` is not a `YYYY-MM-DD` date.
#[allow(clippy::expect_used)] // a fixture's typo must fail loudly
pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a YYYY-MM-DD date")
}

/// The fixtures' clock: 10 March 2026, 9:00 UTC, the morning of
/// [`document_date`].
pub fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).single().unwrap_or_default()
}

/// The day quotes are valid until: 31 March 2026.
pub fn valid_until() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default()
}

/// The day documents are dated: 10 March 2026.
pub fn document_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap_or_default()
}

/// A Munich address with an ß: Schloßallee 24, 80331 München, DE.
pub fn address() -> Address {
    Address {
        street: "Schloßallee 24".into(),
        postal_code: "80331".into(),
        city: "München".into(),
        country: "DE".into(),
    }
}

/// The customer: Müller Maschinenbau GmbH & Co. KG, 62 employees, at
/// [`address`]; no industry, VAT id, customer group or rep assigned.
pub fn account(id: &str) -> Account {
    Account {
        id: id.into(),
        name: "Müller Maschinenbau".into(),
        legal_form: Some("GmbH & Co. KG".into()),
        employees: Some(62),
        industry: None,
        billing_address: address(),
        shipping_address: None,
        vat_id: None,
        customer_group: None,
        assigned_rep: None,
        attributes: Default::default(),
        vat_confirmation: None,
    }
}

/// Anna Weiß, the decision maker at `account_id`; no title, e-mail, phone
/// or marketing consent.
pub fn contact(id: &str, account_id: &str) -> Contact {
    Contact {
        id: id.into(),
        account_id: account_id.into(),
        first_name: "Anna".into(),
        last_name: "Weiß".into(),
        role: BuyingRole::DecisionMaker,
        title: None,
        email: None,
        phone: None,
        consent: None,
        salutation: None,
    }
}

/// A quote line: `qty` pieces of `sku` (named `Artikel {sku}`) at
/// `unit_price`, no discount, 19 % VAT, a C-part in the category
/// `Schrauben`.
pub fn line(sku: &str, qty: Decimal, unit_price: Decimal) -> QuoteLine {
    QuoteLine {
        sku: sku.into(),
        name: format!("Artikel {sku}"),
        unit: "pc".into(),
        category: "Schrauben".into(),
        qty,
        unit_price,
        discount_pct: Decimal::ZERO,
        tax_rate_pct: Decimal::new(19, 0),
        c_part: true,
        position: Default::default(),
        chosen: false,
    }
}

/// Line `i` of a quote for hex bolts, `SKS-A2-00000i`: `100 + i` pieces at
/// `0.1234 + i/10 000` €, 5 % discount on every third line (0, 3, 6, …),
/// 7 % VAT on every fifth (0, 5, 10, …) and 19 % on the others. Every
/// seventh line (3, 10, 17, …) has a name too long for one row of a PDF
/// table, so it wraps.
pub fn screw_line(i: usize) -> QuoteLine {
    let n = i as i64;
    let name = if i % 7 == 3 {
        format!(
            "Sechskantschraube DIN 933 M8×{}, Edelstahl A2, für Außenanwendungen – Großpackung mit Prüfzeugnis 3.1",
            10 + i % 90
        )
    } else {
        format!("Sechskantschraube DIN 933 M8×{}, Edelstahl A2", 10 + i % 90)
    };
    QuoteLine {
        name,
        discount_pct: Decimal::new(if i.is_multiple_of(3) { 5 } else { 0 }, 0),
        tax_rate_pct: Decimal::new(if i.is_multiple_of(5) { 7 } else { 19 }, 0),
        ..line(&format!("SKS-A2-{i:06}"), Decimal::new(100 + n, 0), Decimal::new(1234 + n, 4))
    }
}

/// A draft quote `id` for [`ACCOUNT_ID`] by [`REP_ID`], in euros and German,
/// valid until [`valid_until`], holding `lines` (its hash computed).
pub fn quote(id: &str, lines: Vec<QuoteLine>) -> Quote {
    let mut q =
        Quote::new(id.into(), ACCOUNT_ID.into(), None, REP_ID.into(), Currency::EUR, DisplayLocale::De, valid_until());
    q.lines = lines;
    q.revision_hash = q.compute_hash();
    q
}

/// A [`quote`] in `locale` to [`CONTACT_ID`] with `n` [`screw_line`]s and a
/// 3 % header discount: `n = 12` fills one page, `n = 200` several.
pub fn quote_with_lines(id: &str, n: usize, locale: DisplayLocale) -> Quote {
    let mut q = quote(id, (0..n).map(screw_line).collect());
    q.contact_id = Some(CONTACT_ID.into());
    q.locale = locale;
    q.header_discount_pct = Decimal::new(3, 0);
    q.revision_hash = q.compute_hash();
    q
}

/// The customer's approval of `quote` as it is now (its current revision),
/// signed by `signer`, purchasing, on the customer's own device `device_id`
/// at `at`.
pub fn approval(quote: &Quote, signer: &str, device_id: &str, at: Timestamp) -> Approval {
    Approval {
        quote_id: quote.id.clone(),
        revision_hash: quote.revision_hash.clone(),
        signer_name: signer.into(),
        signer_role: "Einkauf".into(),
        auth: SignerAuth::CustomerDevice,
        device_time: at,
        device_id: device_id.into(),
        client_address: None,
    }
}

/// The rep printed on documents: Jürgen Groß, with an e-mail address and a
/// phone number.
pub fn rep() -> RepContact {
    RepContact {
        name: "Jürgen Groß".into(),
        email: "j.gross@onsite.example".into(),
        phone: "+49 170 1234567".into(),
        title: Some("Gebietsleiter Nord".into()),
    }
}

/// What a quote for `account` is rendered with: addressed to `contact`, by
/// [`rep`], with one value argument (C-parts by Kanban).
pub fn quote_context<'a>(account: &'a Account, contact: Option<&'a Contact>) -> QuoteContext<'a> {
    QuoteContext {
        account,
        contact,
        rep: rep(),
        value_arguments: vec!["Kanban für C-Teile: 40 % weniger Lagerbestand".into()],
    }
}

/// A complete company profile (a GmbH in Nürnberg with a valid VAT ID,
/// IBAN and BIC): the sample's, with its approval address.
pub fn company_profile() -> crate::profile::CompanyProfile {
    crate::sample::company_profile("https://angebote.keller-befestigung.de")
}

/// Anna Berger's profile, the demo's rep `rep-1`.
pub fn rep_profile() -> crate::profile::RepProfile {
    crate::sample::rep_profiles().remove(0)
}

/// The sample company's profile as the sender, dated [`document_date`],
/// in the quote's locale.
pub fn pdf_options() -> PdfOptions {
    PdfOptions { company: Some(company_profile()), ..PdfOptions::dated(document_date()) }
}

/// A ZIP archive of `(name, bytes, deflated)` entries, built by the format
/// (stored and deflated entries) so tests need no `zip` tool.
pub fn zip_archive(files: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, bytes, deflate) in files {
        let data = if *deflate { miniz_oxide::deflate::compress_to_vec(bytes, 6) } else { bytes.to_vec() };
        let offset = out.len() as u32;
        let method: u16 = if *deflate { 8 } else { 0 };
        let head = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(method.to_le_bytes());
            h.extend([0u8; 4]);
            h.extend(0u32.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((bytes.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes());
            if central {
                h.extend([0u8; 6]);
                h.extend(0u32.to_le_bytes());
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(head(0x0403_4b50, false));
        out.extend(&data);
        central.extend(head(0x0201_4b50, true));
    }
    let at = out.len() as u32;
    out.extend(&central);
    out.extend(b"PK\x05\x06\0\0\0\0");
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixtures_are_valid_records() {
        assert!(account(ACCOUNT_ID).validate().is_ok());
        assert!(contact(CONTACT_ID, ACCOUNT_ID).validate().is_ok());
        let q = quote_with_lines("q-1", 200, DisplayLocale::En);
        assert!(q.validate().is_ok());
        assert_eq!(q.revision_hash, q.compute_hash());
        assert!(q.totals().is_ok());
        assert!(q.lines[3].name.len() > 90 && q.lines[4].name.len() < 60, "every seventh name wraps");
        assert_eq!((dec("0.10"), date("2026-03-10")), (Decimal::new(1, 1), document_date()));
        assert_eq!(now().date_naive(), document_date());
    }
}
