//! Money helpers for platforms: formatting and parsing in a locale.

use onsite_core::money::{DisplayLocale, Money};

use crate::OnsiteError;

/// Formats an amount for display, e.g. `1.234,56 €` (de-DE) or `€1,234.56` (en-US).
#[uniffi::export]
pub fn format_money(money: Money, locale: DisplayLocale) -> String {
    money.format(locale)
}

/// Parses a formatted amount with its currency, e.g. `1.234,56 €`.
#[uniffi::export]
pub fn parse_money(text: String, locale: DisplayLocale) -> Result<Money, OnsiteError> {
    Ok(Money::parse(&text, locale)?)
}

/// A fresh random id for a new account or contact.
#[uniffi::export]
pub fn new_id() -> String {
    onsite_core::ids::new_id()
}
