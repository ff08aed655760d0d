//! Conversions between stored column values and domain values. Stored
//! decimals are canonical TEXT; a value that does not decode is reported as
//! [`Error::Corrupt`], never unwrapped.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::money::Currency;

/// Canonical text of a decimal: no trailing zeros beyond what the value needs
/// (`1.50 → 1.5`), so equal quantities compare equal as TEXT.
pub(crate) fn dec_key(d: Decimal) -> String {
    d.normalize().to_string()
}

pub(crate) fn dec(what: &'static str, s: &str) -> Result<Decimal> {
    Decimal::from_str_exact(s).map_err(|e| Error::Corrupt { what, reason: format!("not a decimal: {e}") })
}

pub(crate) fn currency(what: &'static str, s: &str) -> Result<Currency> {
    Currency::new(s).map_err(|e| Error::Corrupt { what, reason: e.to_string() })
}

pub(crate) fn date(what: &'static str, s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| Error::Corrupt { what, reason: format!("not a date: {e}") })
    })
    .transpose()
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Corrupt { what, reason: format!("bad JSON: {e}") })
}

pub(crate) fn to_json<T: serde::Serialize>(what: &'static str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Corrupt { what, reason: format!("cannot encode: {e}") })
}
