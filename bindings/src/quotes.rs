//! Quotes, orders and the discount policy: one-line delegations to the
//! store. Decimals and days arrive as text and are parsed here, so a bad
//! value is a `Validation` error naming the parameter.

use chrono::{NaiveDate, Utc};
use onsite_core::catalog::ContentItem;
use onsite_core::money::DisplayLocale;
use onsite_core::pdf::{PdfOptions, RepContact};
use onsite_core::pricing::Totals;
use onsite_core::profile::{CompanyProfile, RepProfile};
use onsite_core::quote::{Approval, ApprovalStatus, DiscountPolicy, Order, PolicyCheck, PositionChange, Quote};
use onsite_core::store::{GrantedDiscount, QuoteSummary};
use rust_decimal::Decimal;

use crate::{OnsiteError, OnsiteStore};

fn decimal(field: &str, text: &str) -> Result<Decimal, OnsiteError> {
    Decimal::from_str_exact(text.trim())
        .map_err(|_| OnsiteError::Validation(format!("invalid {field}: not a decimal number")))
}

fn day(field: &str, text: &str) -> Result<NaiveDate, OnsiteError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| OnsiteError::Validation(format!("invalid {field}: expected a date as YYYY-MM-DD")))
}

/// A changed quantity for a reorder (0 drops the line).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuantityChange {
    /// The SKU.
    pub sku: String,
    /// The new quantity, as decimal text.
    pub qty: String,
}

/// A product's cost (back office only; never shown to customers).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProductCost {
    /// The SKU.
    pub sku: String,
    /// Cost per unit, as decimal text.
    pub cost: String,
}

/// The totals of a quote, recomputed from its lines.
#[uniffi::export]
pub fn quote_totals(quote: Quote) -> Result<Totals, OnsiteError> {
    Ok(quote.totals().map_err(onsite_core::Error::from)?)
}

/// Default PDF options (sample letterhead) dated `date` (YYYY-MM-DD).
#[uniffi::export]
pub fn pdf_options(date: String) -> Result<PdfOptions, OnsiteError> {
    Ok(PdfOptions::dated(day("date", &date)?))
}

/// Whether the quote's approval holds for its current revision.
#[uniffi::export]
pub fn quote_approval_status(quote: Quote) -> ApprovalStatus {
    quote.approval_status()
}

#[uniffi::export]
impl OnsiteStore {
    /// Creates a draft quote for an account, valid until `valid_until` (YYYY-MM-DD).
    pub fn create_quote(
        &self,
        account_id: String,
        contact_id: Option<String>,
        rep: String,
        locale: DisplayLocale,
        valid_until: String,
    ) -> Result<Quote, OnsiteError> {
        Ok(self.inner.create_quote(&account_id, contact_id, &rep, locale, day("valid_until", &valid_until)?)?)
    }

    /// One quote.
    pub fn quote(&self, id: String) -> Result<Quote, OnsiteError> {
        Ok(self.inner.quote(&id)?)
    }

    /// Adds a line for `sku` at the account's price on `day` (YYYY-MM-DD).
    pub fn add_quote_line(
        &self,
        quote_id: String,
        sku: String,
        qty: String,
        discount_pct: String,
        day_text: String,
    ) -> Result<Quote, OnsiteError> {
        let (qty, disc, on) = (decimal("qty", &qty)?, decimal("discount_pct", &discount_pct)?, day("day", &day_text)?);
        Ok(self.inner.add_quote_line(&quote_id, &sku, qty, disc, on)?)
    }

    /// Makes lines standard, optional or alternative positions in one edit
    /// (a group of alternatives needs two lines and one choice).
    pub fn set_quote_positions(&self, quote_id: String, changes: Vec<PositionChange>) -> Result<Quote, OnsiteError> {
        Ok(self.inner.set_quote_positions(&quote_id, &changes)?)
    }

    /// The choice of an optional or alternative position, made by the rep
    /// with the customer (a new revision once sent; choosing an alternative
    /// leaves the others of its group).
    pub fn choose_quote_position(&self, quote_id: String, index: u32, chosen: bool) -> Result<Quote, OnsiteError> {
        Ok(self.inner.choose_quote_position(&quote_id, index as usize, chosen)?)
    }

    /// Saves the editable content of `quote` (a sent quote gets a new revision).
    pub fn edit_quote(&self, quote: Quote) -> Result<Quote, OnsiteError> {
        Ok(self.inner.edit_quote(&quote)?)
    }

    /// Sends a quote on `today` (YYYY-MM-DD).
    pub fn send_quote(&self, id: String, today: String) -> Result<Quote, OnsiteError> {
        Ok(self.inner.send_quote(&id, day("today", &today)?)?)
    }

    /// Asks the back office to approve the quote's discount.
    pub fn request_discount_approval(&self, id: String, reason: String) -> Result<Quote, OnsiteError> {
        Ok(self.inner.request_discount_approval(&id, &reason, Utc::now())?)
    }

    /// The back office decides a discount request.
    pub fn decide_discount(&self, id: String, approved: bool, by: String) -> Result<Quote, OnsiteError> {
        Ok(self.inner.decide_discount(&id, approved, &by, None, Utc::now())?)
    }

    /// Records the customer's approval of the current revision.
    pub fn approve_quote(&self, id: String, approval: Approval, today: String) -> Result<Quote, OnsiteError> {
        Ok(self.inner.approve_quote(&id, approval, day("today", &today)?)?)
    }

    /// Records the customer's rejection.
    pub fn reject_quote(&self, id: String, reason: Option<String>) -> Result<Quote, OnsiteError> {
        Ok(self.inner.reject_quote(&id, reason)?)
    }

    /// Withdraws an open quote.
    pub fn cancel_quote(&self, id: String) -> Result<Quote, OnsiteError> {
        Ok(self.inner.cancel_quote(&id)?)
    }

    /// Turns an approved quote into an order.
    pub fn order_quote(&self, id: String) -> Result<Order, OnsiteError> {
        Ok(self.inner.order_quote(&id, Utc::now())?)
    }

    /// One order.
    pub fn order(&self, id: String) -> Result<Order, OnsiteError> {
        Ok(self.inner.order(&id)?)
    }

    /// Reorders from a past order at the prices of `day` (YYYY-MM-DD).
    pub fn reorder(
        &self,
        order_id: String,
        changes: Vec<QuantityChange>,
        day_text: String,
    ) -> Result<Order, OnsiteError> {
        let changes = changes
            .into_iter()
            .map(|c| Ok((c.sku, decimal("qty", &c.qty)?)))
            .collect::<Result<Vec<_>, OnsiteError>>()?;
        Ok(self.inner.reorder(&order_id, &changes, day("day", &day_text)?, Utc::now())?)
    }

    /// The quotes of an account, newest first.
    pub fn quotes_for_account(&self, account_id: String) -> Result<Vec<QuoteSummary>, OnsiteError> {
        Ok(self.inner.quotes_for_account(&account_id)?)
    }

    /// Discounts given to an account before.
    pub fn granted_discounts(&self, account_id: String) -> Result<Vec<GrantedDiscount>, OnsiteError> {
        Ok(self.inner.granted_discounts(&account_id)?)
    }

    /// What the discount policy says about a quote before it is sent.
    pub fn policy_check(&self, quote: Quote) -> Result<PolicyCheck, OnsiteError> {
        Ok(self.inner.policy_check(&quote)?)
    }

    /// The content library (case studies, customer stories…).
    pub fn content_items(&self) -> Result<Vec<ContentItem>, OnsiteError> {
        Ok(self.inner.content_items()?)
    }

    /// The content items that argue for a product.
    pub fn content_for_product(&self, sku: String) -> Result<Vec<ContentItem>, OnsiteError> {
        Ok(self.inner.content_for_product(&sku)?)
    }

    /// Keeps this device's approval-link key, derived from its hub token;
    /// from then on quote PDFs carry a signed link per revision.
    pub fn set_approval_link_key(&self, token: String) -> Result<(), OnsiteError> {
        Ok(self.inner.set_approval_link_key(&token)?)
    }

    /// The signed approval link for the quote's current revision under the
    /// hub's public address (needs the link key).
    pub fn approval_link(&self, quote_id: String, base_url: String) -> Result<String, OnsiteError> {
        Ok(self.inner.approval_link(&quote_id, &base_url)?)
    }

    /// The published company profile every document prints; `None`: none
    /// is published and documents say they are samples.
    pub fn company_profile(&self) -> Result<Option<CompanyProfile>, OnsiteError> {
        Ok(self.inner.company_profile()?)
    }

    /// Publishes the company profile (back office; checked whole).
    pub fn set_company_profile(&self, profile: CompanyProfile) -> Result<(), OnsiteError> {
        self.inner.set_company_profile(&profile)?;
        Ok(())
    }

    /// How VAT applies to goods for `account` sold by the published company.
    pub fn tax_treatment(
        &self,
        account: onsite_core::account::Account,
    ) -> Result<onsite_core::vat::TaxTreatment, OnsiteError> {
        Ok(self.inner.tax_treatment(&account)?)
    }

    /// A rep's published profile.
    pub fn rep_profile(&self, rep: String) -> Result<Option<RepProfile>, OnsiteError> {
        Ok(self.inner.rep_profile(&rep)?)
    }

    /// Every rep profile this device received (a customer's: its own reps').
    pub fn rep_profiles(&self) -> Result<Vec<RepProfile>, OnsiteError> {
        Ok(self.inner.rep_profiles()?)
    }

    /// Renders a stored quote as PDF bytes.
    pub fn render_quote_pdf(
        &self,
        quote_id: String,
        rep: RepContact,
        options: PdfOptions,
    ) -> Result<Vec<u8>, OnsiteError> {
        Ok(self.inner.render_quote_pdf(&quote_id, rep, &options)?)
    }

    /// Renders the order confirmation (Auftragsbestätigung) of an order
    /// placed from an approved quote, as PDF bytes.
    pub fn render_order_confirmation_pdf(
        &self,
        order_id: String,
        rep: RepContact,
        options: PdfOptions,
    ) -> Result<Vec<u8>, OnsiteError> {
        Ok(self.inner.render_order_confirmation_pdf(&order_id, rep, &options)?)
    }

    /// Renders a product datasheet with an account's prices as PDF bytes;
    /// `image` is the product image (PNG or JPEG), `None` for a placeholder.
    pub fn render_datasheet_pdf(
        &self,
        sku: String,
        account_id: String,
        rep: RepContact,
        image: Option<Vec<u8>>,
        options: PdfOptions,
    ) -> Result<Vec<u8>, OnsiteError> {
        Ok(self.inner.render_datasheet_pdf(&sku, &account_id, rep, image.as_deref(), &options)?)
    }

    /// The discount policy.
    pub fn discount_policy(&self) -> Result<DiscountPolicy, OnsiteError> {
        Ok(self.inner.discount_policy()?)
    }

    /// Publishes the discount policy (back office).
    pub fn set_discount_policy(&self, policy: DiscountPolicy) -> Result<(), OnsiteError> {
        Ok(self.inner.set_discount_policy(&policy)?)
    }

    /// Publishes product costs (back office).
    pub fn set_product_costs(&self, costs: Vec<ProductCost>) -> Result<(), OnsiteError> {
        let costs = costs
            .into_iter()
            .map(|c| Ok((c.sku, decimal("cost", &c.cost)?)))
            .collect::<Result<Vec<_>, OnsiteError>>()?;
        Ok(self.inner.set_product_costs(&costs)?)
    }
}
