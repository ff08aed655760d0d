//! VAT identification numbers of the EU member states (and Northern
//! Ireland, `XI`): the format each country uses, and the check digits
//! where the country publishes how they are computed. Pure functions; the
//! hub, the apps and the tax rules (issue 19) use them to tell a business
//! customer of another member state, whose quote is zero-rated under the
//! reverse charge, from one whose number cannot be right.
//!
//! A number that passes is well formed; whether it is registered is what an
//! online check with the tax authorities (VIES, BZSt) confirms.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::money::DisplayLocale;
use crate::rules::FieldError;

/// The seller's country when no company profile is published (a published
/// profile's address says it, ADR 26).
pub const DEFAULT_SELLER_COUNTRY: &str = "DE";

/// The member states by ISO 3166 code (Greece is `GR` here, `EL` in VAT IDs).
const EU: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// How VAT applies to a supply of goods, by where they go and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TaxTreatment {
    /// In the seller's country, or to a customer in another member state
    /// without a valid VAT ID of that state: the product's rate.
    Domestic,
    /// To a business in another member state with a valid VAT ID of that
    /// state: a tax-exempt intra-Community supply, 0 %, the customer
    /// accounts for the VAT (reverse charge).
    IntraCommunity,
    /// To a country outside the EU: a tax-exempt export, 0 %.
    Export,
}

impl TaxTreatment {
    /// The rate a line of a product whose tax class has `class_rate` carries.
    pub fn rate(self, class_rate: Decimal) -> Decimal {
        match self {
            TaxTreatment::Domestic => class_rate,
            TaxTreatment::IntraCommunity | TaxTreatment::Export => Decimal::ZERO,
        }
    }

    /// The note a quote or invoice must carry, with the customer's VAT ID
    /// for an intra-Community supply; `None` for a domestic one.
    pub fn note(self, locale: DisplayLocale, vat_id: Option<&str>) -> Option<String> {
        let id = vat_id.unwrap_or_default();
        match (self, locale) {
            (TaxTreatment::Domestic, _) => None,
            (TaxTreatment::IntraCommunity, DisplayLocale::De) => Some(format!(
                "Steuerfreie innergemeinschaftliche Lieferung (§ 4 Nr. 1b, § 6a UStG). Steuerschuldnerschaft des \
                 Leistungsempfängers (Reverse Charge). USt-IdNr. des Kunden: {id}"
            )),
            (TaxTreatment::IntraCommunity, DisplayLocale::En) => Some(format!(
                "Tax-exempt intra-Community supply (Art. 138 VAT Directive). VAT to be accounted for by the \
                 recipient (reverse charge). Customer's VAT ID: {id}"
            )),
            (TaxTreatment::Export, DisplayLocale::De) => {
                Some("Steuerfreie Ausfuhrlieferung (§ 4 Nr. 1a, § 6 UStG).".into())
            }
            (TaxTreatment::Export, DisplayLocale::En) => {
                Some("Tax-exempt export supply (Art. 146 VAT Directive).".into())
            }
        }
    }
}

/// The country goods go to: the shipping address's, else the billing's.
fn destination(account: &Account) -> &str {
    account
        .shipping_address
        .as_ref()
        .map(|a| a.country.as_str())
        .filter(|c| !c.is_empty())
        .unwrap_or(&account.billing_address.country)
}

/// How VAT applies when `seller_country` supplies goods to `account`: the
/// destination (shipping, else billing address) decides, and for another
/// member state the customer's VAT ID, which must be valid
/// ([`check_vat_id`]) and of that state. An account without a country is
/// treated as domestic.
pub fn treatment(seller_country: &str, account: &Account) -> TaxTreatment {
    treatment_of(seller_country, destination(account), account.vat_id.as_deref())
}

/// [`treatment`] from the destination country and the customer's VAT ID.
pub fn treatment_of(seller_country: &str, to: &str, vat_id: Option<&str>) -> TaxTreatment {
    if to.is_empty() || to == seller_country {
        return TaxTreatment::Domestic;
    }
    if !EU.contains(&to) {
        // Northern Ireland's goods trade stays in the EU's VAT area.
        let xi = to == "GB" && vat_id.is_some_and(|v| v.trim().to_uppercase().starts_with("XI"));
        if !xi {
            return TaxTreatment::Export;
        }
    }
    let prefix = match to {
        "GR" => "EL",
        "GB" => "XI",
        other => other,
    };
    match vat_id.map(check_vat_id) {
        Some(Ok(id)) if id.country == prefix => TaxTreatment::IntraCommunity,
        _ => TaxTreatment::Domestic,
    }
}

/// A checked VAT ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VatId {
    /// The prefix: ISO 3166 alpha-2, except `EL` for Greece and `XI` for
    /// Northern Ireland.
    pub country: String,
    /// The number after the prefix, upper case, without spaces or dots.
    pub number: String,
    /// Whether its check digits were verified (`false`: the country's
    /// format only, for the states whose algorithm is not built in).
    pub check_digits: bool,
}

impl VatId {
    /// The ID as written on documents, e.g. `DE136695976`.
    pub fn text(&self) -> String {
        format!("{}{}", self.country, self.number)
    }
}

/// The member states' prefixes (with `XI`).
pub const PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

fn bad(reason: impl Into<String>) -> FieldError {
    FieldError::new("VAT ID", reason.into())
}

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn all_digits(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Luhn: doubling every second digit from the right, the sum ends in 0.
fn luhn(d: &[u32]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Σ digit × weight.
fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(a, b)| a * b).sum()
}

/// ISO 7064 MOD 97-10 over a string of digits and letters (A = 10 … Z = 35).
fn mod97(s: &str) -> u32 {
    s.chars().fold(0u32, |acc, c| {
        let v = c.to_digit(36).unwrap_or(0);
        if v >= 10 { (acc * 100 + v) % 97 } else { (acc * 10 + v) % 97 }
    })
}

/// Whether `n` (the part after the prefix) has `country`'s format, and
/// whether its check digits hold where they are built in: `Some(true)`
/// checked, `Some(false)` the format only, `None` wrong.
fn check(country: &str, n: &str) -> Option<bool> {
    let ok = |b: bool| b.then_some(true);
    match country {
        // ISO 7064 MOD 11,10 over the first eight digits.
        "DE" => {
            if !all_digits(n, &[9]) || n.starts_with('0') {
                return None;
            }
            let d = digits(n)?;
            let mut p = 10;
            for &x in &d[..8] {
                let mut s = (x + p) % 10;
                if s == 0 {
                    s = 10;
                }
                p = (2 * s) % 11;
            }
            let c = (11 - p) % 10;
            ok(c == d[8])
        }
        "AT" => {
            let rest = n.strip_prefix('U')?;
            if !all_digits(rest, &[8]) {
                return None;
            }
            let d = digits(rest)?;
            let s: u32 =
                d[..7].iter().enumerate().map(|(i, &x)| if i % 2 == 1 { (x * 2) / 10 + (x * 2) % 10 } else { x }).sum();
            ok((10 - (s + 4) % 10) % 10 == d[7])
        }
        "BE" => {
            let n = if n.len() == 9 { format!("0{n}") } else { n.to_string() };
            if !all_digits(&n, &[10]) || !matches!(&n[..1], "0" | "1") {
                return None;
            }
            let head: u64 = n[..8].parse().ok()?;
            let tail: u64 = n[8..].parse().ok()?;
            ok((head + tail).is_multiple_of(97))
        }
        "DK" => {
            if !all_digits(n, &[8]) || n.starts_with('0') {
                return None;
            }
            ok(weighted(&digits(n)?, &[2, 7, 6, 5, 4, 3, 2, 1]).is_multiple_of(11))
        }
        "FI" => {
            if !all_digits(n, &[8]) {
                return None;
            }
            let d = digits(n)?;
            let r = weighted(&d[..7], &[7, 9, 10, 5, 8, 4, 2]) % 11;
            ok(r != 1 && (if r == 0 { 0 } else { 11 - r }) == d[7])
        }
        "FR" => {
            // Two key characters, then the 9-digit SIREN (itself Luhn).
            if n.len() != 11 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) || !all_digits(&n[2..], &[9]) {
                return None;
            }
            let siren = digits(&n[2..])?;
            if !luhn(&siren) {
                return None;
            }
            match n[..2].parse::<u64>() {
                Ok(key) => {
                    let s: u64 = n[2..].parse().ok()?;
                    ok(key == (12 + 3 * (s % 97)) % 97)
                }
                // Keys with letters follow another rule: format only.
                Err(_) => Some(false),
            }
        }
        "IT" => {
            if !all_digits(n, &[11]) {
                return None;
            }
            let d = digits(n)?;
            let office: u32 = n[7..10].parse().ok()?;
            if !(1..=100).contains(&office) && ![120, 121, 888, 999].contains(&office) {
                return None;
            }
            ok(luhn(&d))
        }
        "LU" => {
            if !all_digits(n, &[8]) {
                return None;
            }
            let head: u32 = n[..6].parse().ok()?;
            let tail: u32 = n[6..].parse().ok()?;
            ok(head % 89 == tail)
        }
        "NL" => {
            // Nine digits, `B`, two digits: the old eleven-test or, for the
            // numbers issued since 2020, MOD 97-10 over "NL" and the number.
            if n.len() != 12 || !all_digits(&n[..9], &[9]) || &n[9..10] != "B" || !all_digits(&n[10..], &[2]) {
                return None;
            }
            let d = digits(&n[..9])?;
            let eleven = {
                let s = weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) % 11;
                s != 10 && s == d[8]
            };
            ok(eleven || mod97(&format!("NL{n}")) == 1)
        }
        "PL" => {
            if !all_digits(n, &[10]) {
                return None;
            }
            let d = digits(n)?;
            let c = weighted(&d[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
            ok(c != 10 && c == d[9])
        }
        "PT" => {
            if !all_digits(n, &[9]) || n.starts_with('0') {
                return None;
            }
            let d = digits(n)?;
            let r = weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) % 11;
            ok((if r < 2 { 0 } else { 11 - r }) == d[8])
        }
        "SE" => {
            if !all_digits(n, &[12]) || !n.ends_with("01") {
                return None;
            }
            ok(luhn(&digits(&n[..10])?))
        }
        // The format only.
        "BG" => all_digits(n, &[9, 10]).then_some(false),
        "CY" => (n.len() == 9 && all_digits(&n[..8], &[8]) && n.as_bytes()[8].is_ascii_uppercase()).then_some(false),
        "CZ" => all_digits(n, &[8, 9, 10]).then_some(false),
        "EE" => all_digits(n, &[9]).then_some(false),
        "EL" => all_digits(n, &[9]).then_some(false),
        "ES" => (n.len() == 9 && n.bytes().all(|b| b.is_ascii_alphanumeric()) && all_digits(&n[1..8], &[7]))
            .then_some(false),
        "HR" => all_digits(n, &[11]).then_some(false),
        "HU" => all_digits(n, &[8]).then_some(false),
        "IE" => ((n.len() == 8 || n.len() == 9)
            && n.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && n.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(false),
        "LT" => all_digits(n, &[9, 12]).then_some(false),
        "LV" => all_digits(n, &[11]).then_some(false),
        "MT" => all_digits(n, &[8]).then_some(false),
        "RO" => (all_digits(n, &[2, 3, 4, 5, 6, 7, 8, 9, 10]) && !n.starts_with('0')).then_some(false),
        "SI" => all_digits(n, &[8]).then_some(false),
        "SK" => all_digits(n, &[10]).then_some(false),
        "XI" => (all_digits(n, &[9, 12])
            || (n.len() == 5 && (n.starts_with("GD") || n.starts_with("HA")) && all_digits(&n[2..], &[3])))
        .then_some(false),
        _ => None,
    }
}

/// Checks a VAT ID as a customer or the back office types it: spaces, dots
/// and hyphens are ignored, letters may be lower case. An error says what
/// is wrong: an unknown prefix, the country's format, or the check digits.
pub fn check_vat_id(text: &str) -> Result<VatId, FieldError> {
    let clean: String =
        text.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}')).flat_map(char::to_uppercase).collect();
    if clean.len() > 16 || !clean.is_ascii() {
        return Err(bad("at most 16 letters and digits after removing spaces"));
    }
    let (country, number) = clean.split_at(clean.len().min(2));
    if country == "GR" {
        return Err(bad("Greece's prefix is EL, not GR"));
    }
    if !PREFIXES.contains(&country) {
        return Err(bad(format!("{country:?} is not the prefix of an EU member state (e.g. DE, AT, FR, EL, XI)")));
    }
    match check(country, number) {
        Some(check_digits) => Ok(VatId { country: country.into(), number: number.into(), check_digits }),
        None => {
            Err(bad(format!("{country}{number} does not have the format or the check digits of a {country} VAT ID")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Makes a number valid by trying every last digit (the algorithms
    /// have exactly one that fits, or none).
    fn completed(country: &str, head: &str) -> Option<String> {
        (0..10).map(|d| format!("{head}{d}")).find(|n| check(country, n) == Some(true))
    }

    #[test]
    fn the_german_check_digit_is_iso_7064_mod_11_10() {
        // Valid by python-stdnum too (the Python tests compare thousands).
        assert!(check_vat_id("DE136695976").unwrap().check_digits);
        assert!(check_vat_id("DE136695977").is_err());
        assert!(check_vat_id("de 136.695.976").is_ok(), "spaces, dots and case do not matter");
        assert!(check_vat_id("DE12345678").is_err(), "eight digits");
    }

    #[test]
    fn one_changed_digit_is_caught_where_check_digits_exist() {
        for (country, head) in [("DE", "81234567"), ("DK", "1234567"), ("PL", "123456789"), ("PT", "50123456")] {
            let Some(n) = completed(country, head) else { continue };
            assert!(check_vat_id(&format!("{country}{n}")).is_ok(), "{country}{n}");
            for i in 0..n.len() {
                let mut b = n.clone().into_bytes();
                b[i] = if b[i] == b'9' { b'0' } else { b[i] + 1 };
                let changed = String::from_utf8(b).unwrap();
                if country == "DK" {
                    continue; // weights of 1 and 11's multiples let some changes through
                }
                assert!(check(country, &changed) != Some(true), "{country}{changed} passed");
            }
        }
    }

    fn account(country: &str, ship: Option<&str>, vat: Option<&str>) -> Account {
        let mut a = crate::fixtures::account("acc-1");
        a.billing_address.country = country.into();
        a.shipping_address = ship.map(|c| crate::account::Address { country: c.into(), ..a.billing_address.clone() });
        a.vat_id = vat.map(str::to_string);
        a
    }

    #[test]
    fn where_the_goods_go_and_the_vat_id_decide_the_treatment() {
        use TaxTreatment::*;
        let cases = [
            (account("DE", None, Some("DE136695976")), Domestic),
            (account("AT", None, Some("ATU13585627")), IntraCommunity),
            (account("AT", None, None), Domestic),
            (account("AT", None, Some("ATU13585628")), Domestic),
            (account("AT", None, Some("DE136695976")), Domestic),
            (account("CH", None, None), Export),
            (account("DE", Some("CH"), Some("DE136695976")), Export),
            (account("CH", Some("DE"), None), Domestic),
            (account("GR", None, Some("EL094259216")), IntraCommunity),
            (account("GB", None, None), Export),
            (account("", None, None), Domestic),
        ];
        for (a, want) in cases {
            assert_eq!(treatment(DEFAULT_SELLER_COUNTRY, &a), want, "{:?} {:?}", a.billing_address.country, a.vat_id);
        }
        let nineteen = Decimal::new(19, 0);
        assert_eq!(Domestic.rate(nineteen), nineteen);
        assert_eq!(IntraCommunity.rate(nineteen), Decimal::ZERO);
        assert!(IntraCommunity.note(DisplayLocale::De, Some("ATU13585627")).unwrap().contains("ATU13585627"));
        assert!(Export.note(DisplayLocale::En, None).unwrap().contains("export"));
        assert_eq!(Domestic.note(DisplayLocale::De, None), None);
    }

    #[test]
    fn the_sample_customers_have_well_formed_vat_ids() {
        for (a, _) in crate::sample::accounts(50, 7) {
            let id = a.vat_id.unwrap();
            assert!(check_vat_id(&id).is_ok_and(|v| v.check_digits), "{id}");
        }
    }

    #[test]
    fn prefixes_formats_and_plain_words() {
        assert!(check_vat_id("GR123456789").unwrap_err().to_string().contains("EL"));
        assert!(check_vat_id("US123456789").is_err());
        assert!(check_vat_id("").is_err());
        assert!(check_vat_id("DE").is_err());
        assert!(check_vat_id("ÄÖ123").is_err());
        assert!(check_vat_id(&"9".repeat(40)).is_err());
        let hu = check_vat_id("HU12345678").unwrap();
        assert!(!hu.check_digits, "Hungary: the format only");
        assert_eq!(hu.text(), "HU12345678");
    }
}
