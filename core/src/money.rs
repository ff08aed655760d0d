//! Exact money: a decimal amount with an ISO 4217 currency.
//!
//! Amounts are [`rust_decimal::Decimal`] (96-bit mantissa, up to 28 decimal
//! places), never floating point. Rounding is *half-up* in the commercial
//! sense: halves round away from zero (`0.125 → 0.13`, `-0.125 → -0.13`).
//!
//! Two locales are supported for display and parsing:
//!
//! | locale  | 1234.56 EUR   | -0.5 USD  |
//! |---------|---------------|-----------|
//! | `de-DE` | `1.234,56 €`  | `-0,50 $` |
//! | `en-US` | `€1,234.56`   | `-$0.50`  |
//!
//! ```
//! use onsite_core::money::{Currency, DisplayLocale, Money};
//! let m = Money::parse("1.234,56 €", DisplayLocale::De)?;
//! assert_eq!(m.format(DisplayLocale::En), "€1,234.56");
//! assert_eq!(Money::parse("€1,234.56", DisplayLocale::En)?, m);
//! # Ok::<(), onsite_core::money::MoneyError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing to parse.
    #[error("amount is empty")]
    Empty,
    /// Not a number in the expected format.
    #[error("not a valid amount: {0}")]
    Invalid(String),
    /// More digits than an exact decimal can hold.
    #[error("amount out of range (at most 28 significant digits)")]
    Overflow,
    /// Not a currency this build knows.
    #[error("unknown currency code {0:?} (expected an ISO 4217 code such as EUR)")]
    UnknownCurrency(String),
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// Display and parsing conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum DisplayLocale {
    /// German (Germany): `1.234,56 €`.
    #[default]
    #[serde(rename = "de-DE")]
    De,
    /// English (United States): `€1,234.56`.
    #[serde(rename = "en-US")]
    En,
}

impl DisplayLocale {
    /// The BCP 47 tag, `de-DE` or `en-US`.
    pub fn tag(self) -> &'static str {
        match self {
            DisplayLocale::De => "de-DE",
            DisplayLocale::En => "en-US",
        }
    }

    fn decimal_sep(self) -> char {
        match self {
            DisplayLocale::De => ',',
            DisplayLocale::En => '.',
        }
    }

    fn group_sep(self) -> char {
        match self {
            DisplayLocale::De => '.',
            DisplayLocale::En => ',',
        }
    }
}

impl FromStr for DisplayLocale {
    type Err = MoneyError;
    /// Accepts `de`, `de-DE`, `de_DE`, `en`, `en-US`, `en_GB`… (language decides).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lang = s.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match lang.as_str() {
            "de" => Ok(DisplayLocale::De),
            "en" => Ok(DisplayLocale::En),
            _ => Err(MoneyError::Invalid(format!("unsupported locale {s:?} (use de-DE or en-US)"))),
        }
    }
}

/// ISO 4217 currencies this build knows: code, minor units, symbol.
const CURRENCIES: &[(&str, u32, Option<&str>)] = &[
    ("EUR", 2, Some("€")),
    ("USD", 2, Some("$")),
    ("GBP", 2, Some("£")),
    ("CHF", 2, None),
    ("JPY", 0, Some("¥")),
    ("SEK", 2, None),
    ("NOK", 2, None),
    ("DKK", 2, None),
    ("PLN", 2, None),
    ("CZK", 2, None),
    ("HUF", 2, None),
    ("CAD", 2, None),
    ("AUD", 2, None),
    ("CNY", 2, None),
    ("KWD", 3, None),
];

/// An ISO 4217 currency known to this build.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(u8);

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency(0);

    /// Looks up a code such as `"EUR"` (case-insensitive).
    pub fn new(code: &str) -> Result<Self, MoneyError> {
        let code = code.trim();
        CURRENCIES
            .iter()
            .position(|(c, _, _)| c.eq_ignore_ascii_case(code))
            .and_then(|i| u8::try_from(i).ok())
            .map(Currency)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.chars().take(8).collect()))
    }

    fn entry(self) -> &'static (&'static str, u32, Option<&'static str>) {
        // The index is only ever made from a position in CURRENCIES.
        &CURRENCIES[usize::from(self.0) % CURRENCIES.len()]
    }

    /// The three-letter code, e.g. `"EUR"`.
    pub fn code(self) -> &'static str {
        self.entry().0
    }

    /// Decimal places of the minor unit (2 for EUR, 0 for JPY).
    pub fn minor_units(self) -> u32 {
        self.entry().1
    }

    /// The symbol used in display, if the currency has a well-known one.
    pub fn symbol(self) -> Option<&'static str> {
        self.entry().2
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::new(&s).map_err(serde::de::Error::custom)
    }
}

/// An exact amount in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Money {
    /// The amount; may carry more decimals than the minor unit (unit prices).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in a currency.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Self {
        Money::new(Decimal::ZERO, currency)
    }

    /// Rounded half-up (away from zero) to the currency's minor unit.
    pub fn rounded(self) -> Self {
        Money::new(round_half_up(self.amount, self.currency.minor_units()), self.currency)
    }

    /// Sum of two amounts in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        self.amount.checked_add(other.amount).map(|a| Money::new(a, self.currency)).ok_or(MoneyError::Overflow)
    }

    /// Formats for display in `locale`, with at least the currency's minor
    /// unit of decimals (more if the amount has them, as unit prices may).
    pub fn format(&self, locale: DisplayLocale) -> String {
        let decimals = self.amount.normalize().scale().max(self.currency.minor_units());
        let number = format_decimal(self.amount.abs(), decimals, locale);
        let sign = if self.amount.is_sign_negative() && !self.amount.is_zero() { "-" } else { "" };
        let code = self.currency.code();
        match (locale, self.currency.symbol()) {
            (DisplayLocale::De, Some(sym)) => format!("{sign}{number} {sym}"),
            (DisplayLocale::De, None) => format!("{sign}{number} {code}"),
            (DisplayLocale::En, Some(sym)) => format!("{sign}{sym}{number}"),
            (DisplayLocale::En, None) => format!("{sign}{code} {number}"),
        }
    }

    /// Parses a formatted amount such as `1.234,56 €`, `-€1,234.56`,
    /// `EUR 12.50` or `12,50 EUR`. The currency symbol or code is required;
    /// digit grouping must follow `locale`.
    pub fn parse(text: &str, locale: DisplayLocale) -> Result<Money, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let mut currency = None;
        let mut rest = t.to_string();
        for (i, (code, _, sym)) in CURRENCIES.iter().enumerate() {
            let found = if let Some(p) = find_code(&rest, code) {
                Some((p, code.len()))
            } else {
                sym.and_then(|s| rest.find(s).map(|p| (p, s.len())))
            };
            if let Some((pos, len)) = found {
                rest.replace_range(pos..pos + len, " ");
                currency = u8::try_from(i).ok().map(Currency);
                break;
            }
        }
        let currency = currency.ok_or_else(|| MoneyError::Invalid(format!("no currency in {:?}", clip(t))))?;
        let compact: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
        let amount = parse_localized(&compact, locale)?;
        Ok(Money::new(amount, currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

fn find_code(s: &str, code: &str) -> Option<usize> {
    let upper = s.to_ascii_uppercase();
    let pos = upper.find(code)?;
    let before = upper[..pos].chars().next_back();
    let after = upper[pos + code.len()..].chars().next();
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
    (!is_word(before) && !is_word(after)).then_some(pos)
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Rounds half-up (halves away from zero) to `dp` decimal places.
pub fn round_half_up(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Formats a non-negative decimal with exactly `decimals` places and the
/// locale's grouping, rounding half-up when it has more.
pub fn format_decimal(d: Decimal, decimals: u32, locale: DisplayLocale) -> String {
    let mut d = round_half_up(d, decimals);
    d.rescale(decimals);
    let s = d.abs().to_string();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 2);
    if d.is_sign_negative() && !d.is_zero() {
        out.push('-');
    }
    let n = int.len();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(locale.group_sep());
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push(locale.decimal_sep());
        out.push_str(f);
    }
    out
}

/// Parses a number written in `locale`'s convention, grouping optional:
/// `1.234,56` / `1234,56` in German, `1,234.56` / `1234.56` in English.
pub fn parse_localized(s: &str, locale: DisplayLocale) -> Result<Decimal, MoneyError> {
    let (neg, body) = split_sign(s)?;
    let (int, frac) = match body.split_once(locale.decimal_sep()) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int = ungroup(int, locale.group_sep(), s)?;
    build_decimal(neg, &int, frac, s)
}

/// Parses a plain number as found in spreadsheets and CSV files, in either
/// convention. Rules (documented in `docs/catalog-import.md`):
///
/// - a leading `-` or `+`; spaces, no-break spaces and `'` are ignored;
/// - if both `.` and `,` occur, the one that occurs last is the decimal
///   separator and the other groups thousands (`1.234,56`, `1,234.56`);
/// - if only one of them occurs, once, it is the decimal separator
///   (`12,5` and `12.5` are both twelve and a half);
/// - if one occurs several times, it groups thousands (`1.234.567`);
/// - grouping must be in threes; exponents, letters and empty input are refused.
pub fn parse_decimal_flexible(s: &str) -> Result<Decimal, MoneyError> {
    let compact: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'')).collect();
    if compact.is_empty() {
        return Err(MoneyError::Empty);
    }
    let (neg, body) = split_sign(&compact)?;
    let last_dot = body.rfind('.');
    let last_comma = body.rfind(',');
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let (group, dec) = match (last_dot, last_comma) {
        (Some(d), Some(c)) if d > c => (Some(','), Some('.')),
        (Some(_), Some(_)) => (Some('.'), Some(',')),
        (Some(_), None) if dots == 1 => (None, Some('.')),
        (Some(_), None) => (Some('.'), None),
        (None, Some(_)) if commas == 1 => (None, Some(',')),
        (None, Some(_)) => (Some(','), None),
        (None, None) => (None, None),
    };
    let (int, frac) = match dec.and_then(|d| body.rsplit_once(d)) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int = match group {
        Some(g) => ungroup(int, g, s)?,
        None => int.to_string(),
    };
    build_decimal(neg, &int, frac, s)
}

fn split_sign(s: &str) -> Result<(bool, &str), MoneyError> {
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    Ok(match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    })
}

fn ungroup(int: &str, sep: char, original: &str) -> Result<String, MoneyError> {
    if !int.contains(sep) {
        return Ok(int.to_string());
    }
    let parts: Vec<&str> = int.split(sep).collect();
    let ok = parts.iter().enumerate().all(|(i, p)| if i == 0 { (1..=3).contains(&p.len()) } else { p.len() == 3 });
    if !ok {
        return Err(MoneyError::Invalid(format!("digit grouping in {:?} must be in threes", clip(original))));
    }
    Ok(parts.concat())
}

fn build_decimal(neg: bool, int: &str, frac: Option<&str>, original: &str) -> Result<Decimal, MoneyError> {
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let frac = frac.unwrap_or("");
    if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) {
        return Err(MoneyError::Invalid(format!("{:?} is not a number", clip(original))));
    }
    let int = int.trim_start_matches('0');
    let frac_trimmed = frac.trim_end_matches('0');
    if int.len() + frac_trimmed.len() > 28 || frac.len() > 28 {
        return Err(MoneyError::Overflow);
    }
    let text = format!(
        "{}{}.{}",
        if neg { "-" } else { "" },
        if int.is_empty() { "0" } else { int },
        if frac.is_empty() { "0" } else { frac }
    );
    let mut d = Decimal::from_str_exact(&text).map_err(|_| MoneyError::Overflow)?;
    if frac.is_empty() {
        d.rescale(0);
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::dec;
    use proptest::prelude::*;

    #[test]
    fn formats_german_and_english() {
        let m = Money::new(dec("1234.56"), Currency::EUR);
        assert_eq!(m.format(DisplayLocale::De), "1.234,56 €");
        assert_eq!(m.format(DisplayLocale::En), "€1,234.56");
        let neg = Money::new(dec("-1234567.5"), Currency::EUR);
        assert_eq!(neg.format(DisplayLocale::De), "-1.234.567,50 €");
        assert_eq!(neg.format(DisplayLocale::En), "-€1,234,567.50");
        let chf = Money::new(dec("12"), Currency::new("chf").unwrap_or(Currency::EUR));
        assert_eq!(chf.format(DisplayLocale::De), "12,00 CHF");
        assert_eq!(chf.format(DisplayLocale::En), "CHF 12.00");
        let yen = Money::new(dec("1500"), Currency::new("JPY").unwrap_or(Currency::EUR));
        assert_eq!(yen.format(DisplayLocale::En), "¥1,500");
    }

    #[test]
    fn unit_prices_keep_their_decimals() {
        let m = Money::new(dec("0.0345"), Currency::EUR);
        assert_eq!(m.format(DisplayLocale::De), "0,0345 €");
        assert_eq!(Money::new(dec("999.9"), Currency::EUR).format(DisplayLocale::En), "€999.90");
        assert_eq!(Money::new(dec("100"), Currency::EUR).format(DisplayLocale::De), "100,00 €");
    }

    #[test]
    fn rounds_half_up_away_from_zero() {
        assert_eq!(round_half_up(dec("0.125"), 2), dec("0.13"));
        assert_eq!(round_half_up(dec("0.124"), 2), dec("0.12"));
        assert_eq!(round_half_up(dec("-0.125"), 2), dec("-0.13"));
        assert_eq!(Money::new(dec("2.675"), Currency::EUR).rounded().amount, dec("2.68"));
        assert_eq!(format_decimal(dec("0.005"), 2, DisplayLocale::De), "0,01");
    }

    #[test]
    fn parses_both_locales() {
        let m = Money::parse("1.234,56 €", DisplayLocale::De).unwrap_or(Money::zero(Currency::EUR));
        assert_eq!(m.amount, dec("1234.56"));
        assert_eq!(m.currency, Currency::EUR);
        assert_eq!(Money::parse("-€1,234.56", DisplayLocale::En).map(|m| m.amount), Ok(dec("-1234.56")));
        assert_eq!(Money::parse("EUR 12.5", DisplayLocale::En).map(|m| m.amount), Ok(dec("12.5")));
        assert_eq!(Money::parse("12,50\u{a0}EUR", DisplayLocale::De).map(|m| m.amount), Ok(dec("12.50")));
        assert_eq!(Money::parse("$3", DisplayLocale::En).map(|m| m.currency.code()), Ok("USD"));
    }

    #[test]
    fn refuses_bad_amounts() {
        assert_eq!(Money::parse("", DisplayLocale::De), Err(MoneyError::Empty));
        assert!(matches!(Money::parse("12,50", DisplayLocale::De), Err(MoneyError::Invalid(_))));
        assert!(matches!(Money::parse("1.23,4 €", DisplayLocale::De), Err(MoneyError::Invalid(_))));
        assert!(matches!(Money::parse("1e5 €", DisplayLocale::De), Err(MoneyError::Invalid(_))));
        assert!(matches!(Money::parse("12 XYZ", DisplayLocale::De), Err(MoneyError::Invalid(_))));
        assert!(matches!(Currency::new("XYZ"), Err(MoneyError::UnknownCurrency(_))));
        let huge = format!("{} €", "9".repeat(40));
        assert_eq!(Money::parse(&huge, DisplayLocale::De), Err(MoneyError::Overflow));
    }

    #[test]
    fn flexible_numbers_follow_the_documented_rules() {
        let ok = |s: &str| parse_decimal_flexible(s).ok();
        assert_eq!(ok("12,50"), Some(dec("12.50")));
        assert_eq!(ok("12.50"), Some(dec("12.50")));
        assert_eq!(ok("1.234,56"), Some(dec("1234.56")));
        assert_eq!(ok("1,234.56"), Some(dec("1234.56")));
        assert_eq!(ok("1.234.567"), Some(dec("1234567")));
        assert_eq!(ok("1 234,5"), Some(dec("1234.5")));
        assert_eq!(ok("-0,5"), Some(dec("-0.5")));
        assert_eq!(ok("7"), Some(dec("7")));
        assert_eq!(ok(",5"), Some(dec("0.5")));
        for bad in ["", "abc", "1,2,3.4,5", "12.34.5", "1e3", "--1", "1.2.3,4.5", "12,3a", ".", "+"] {
            assert!(parse_decimal_flexible(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn currency_mismatch_is_an_error() {
        let usd = Currency::new("USD").unwrap_or(Currency::EUR);
        let r = Money::new(dec("1"), Currency::EUR).checked_add(Money::new(dec("1"), usd));
        assert!(matches!(r, Err(MoneyError::CurrencyMismatch(_, _))));
        let max = Money::new(Decimal::MAX, Currency::EUR);
        assert_eq!(max.checked_add(max), Err(MoneyError::Overflow));
    }

    #[test]
    fn locale_tags() {
        assert_eq!("de".parse::<DisplayLocale>(), Ok(DisplayLocale::De));
        assert_eq!("en_GB".parse::<DisplayLocale>(), Ok(DisplayLocale::En));
        assert!("fr-FR".parse::<DisplayLocale>().is_err());
        assert_eq!(DisplayLocale::En.tag(), "en-US");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(cents in -10_000_000_000_000i64..10_000_000_000_000i64, de in any::<bool>()) {
            let locale = if de { DisplayLocale::De } else { DisplayLocale::En };
            let m = Money::new(Decimal::new(cents, 2), Currency::EUR);
            let text = m.format(locale);
            prop_assert_eq!(Money::parse(&text, locale), Ok(m));
        }

        #[test]
        fn flexible_parse_reads_plain_formatting(cents in 0i64..1_000_000_000_000i64, de in any::<bool>()) {
            let locale = if de { DisplayLocale::De } else { DisplayLocale::En };
            let d = Decimal::new(cents, 2);
            // Grouped numbers with two decimals always contain the decimal
            // separator last, so the flexible reader must agree.
            let text = format_decimal(d, 2, locale);
            prop_assert_eq!(parse_decimal_flexible(&text), Ok(d));
        }

        #[test]
        fn rounding_is_within_half_a_cent(units in -1_000_000_000i64..1_000_000_000i64, scale in 0u32..8) {
            let d = Decimal::new(units, scale);
            let r = round_half_up(d, 2);
            prop_assert!((r - d).abs() <= Decimal::new(5, 3));
            prop_assert!(r.scale() <= 2);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = parse_decimal_flexible(&s);
            let _ = Money::parse(&s, DisplayLocale::De);
            let _ = Money::parse(&s, DisplayLocale::En);
        }
    }
}
