//! Tax helpers for platforms: VAT IDs.

use onsite_core::vat::VatId;

use crate::OnsiteError;

/// Checks a VAT ID as typed (spaces, dots, hyphens and case ignored): its
/// country's format and, where built in, its check digits. A wrong one is
/// `OnsiteError.Validation` with what is wrong.
#[uniffi::export]
pub fn check_vat_id(text: String) -> Result<VatId, OnsiteError> {
    Ok(onsite_core::vat::check_vat_id(&text).map_err(onsite_core::Error::from)?)
}

/// How VAT applies to goods for `account` sold from Germany (a store's
/// `tax_treatment` uses its published company profile's country): where they
/// go (shipping, else billing address) and its VAT ID decide between the
/// product's rate, a zero-rated intra-Community supply and an export.
#[uniffi::export]
pub fn tax_treatment(account: onsite_core::account::Account) -> onsite_core::vat::TaxTreatment {
    onsite_core::vat::treatment(onsite_core::vat::DEFAULT_SELLER_COUNTRY, &account)
}
