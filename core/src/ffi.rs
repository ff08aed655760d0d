//! UniFFI glue for the core's plain types, compiled only with the `uniffi`
//! feature: how decimals, currencies and timestamps cross the FFI boundary.
//! Records and enums elsewhere in the core derive `uniffi::Record` /
//! `uniffi::Enum` behind the same feature, so the bindings crate needs no
//! mirror structs. Nothing here knows about any foreign language.

use rust_decimal::Decimal;

use crate::ids::Timestamp;

/// How decimals are named in foreign code: `Decimal` would shadow
/// Foundation's `Decimal` in Swift.
type ExactDecimal = Decimal;
use crate::money::Currency;

// Exact decimals travel as their canonical text ("1234.50"): no floating point.
uniffi::custom_type!(ExactDecimal, String, {
    remote,
    lower: |d| d.to_string(),
    try_lift: |s| Decimal::from_str_exact(s.trim())
        .map_err(|e| uniffi::deps::anyhow::Error::msg(format!("not a decimal: {e}"))),
});

// Currencies travel as their ISO 4217 code ("EUR").
uniffi::custom_type!(Currency, String, {
    lower: |c| c.code().to_string(),
    try_lift: |s| Currency::new(&s).map_err(|e| uniffi::deps::anyhow::Error::msg(e.to_string())),
});

/// Calendar days, named apart from any platform's own date type.
type CalendarDate = chrono::NaiveDate;

// Calendar days travel as ISO 8601 text ("2026-03-31").
uniffi::custom_type!(CalendarDate, String, {
    remote,
    lower: |d| d.to_string(),
    try_lift: |s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|e| uniffi::deps::anyhow::Error::msg(format!("not a date (YYYY-MM-DD): {e}"))),
});

// Points in time travel as RFC 3339 text in UTC ("2026-03-01T10:00:00Z").
uniffi::custom_type!(Timestamp, String, {
    remote,
    lower: |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    try_lift: |s| chrono::DateTime::parse_from_rfc3339(&s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| uniffi::deps::anyhow::Error::msg(format!("not an RFC 3339 time: {e}"))),
});
