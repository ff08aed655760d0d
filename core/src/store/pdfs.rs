//! Documents from stored data: a quote PDF by quote id, a product datasheet
//! for an account. Loading happens here; layout lives in `crate::pdf`.

use chrono::NaiveDate;
use rusqlite::OptionalExtension;

use super::Store;
use super::reference::lists_for;
use crate::error::{Error, Result};
use crate::pdf::{self, CustomerPrice, DatasheetContext, PdfOptions, PriceStep, QuoteContext, RepContact};

impl Store {
    /// Renders a stored quote as a PDF: the quote's revision with its
    /// account, addressee and value arguments.
    pub fn render_quote_pdf(&self, quote_id: &str, rep: RepContact, opts: &PdfOptions) -> Result<Vec<u8>> {
        let quote = self.quote(quote_id)?;
        let account = self.account(&quote.account_id)?;
        let contact = match &quote.contact_id {
            Some(id) => self.contacts(&account.id)?.into_iter().find(|c| &c.id == id),
            None => None,
        };
        let items = self.content_items()?;
        let value_arguments = quote
            .value_arguments
            .iter()
            .filter_map(|id| items.iter().find(|c| &c.id == id).map(|c| c.title.clone()))
            .collect();
        let rep = self.rep_for(&quote.rep, rep)?;
        let ctx = QuoteContext { account: &account, contact: contact.as_ref(), rep, value_arguments };
        let mut opts = self.with_profiles(opts)?;
        if opts.approval_link.is_none()
            && let Some(link) = self.signed_link(&quote)?
        {
            opts.approval_link = Some(link.url(opts.link_base()));
        }
        Ok(pdf::render_quote(&quote, &ctx, &opts)?)
    }

    /// Renders the order confirmation of an order placed from a quote: the
    /// approved revision's content that counts, its hash and approval
    /// record (see [`pdf::render_order_confirmation`]).
    pub fn render_order_confirmation_pdf(&self, order_id: &str, rep: RepContact, opts: &PdfOptions) -> Result<Vec<u8>> {
        let order = self.order(order_id)?;
        let Some(quote_id) = &order.quote_id else {
            return Err(Error::validation("order", "a reorder has no quote to confirm"));
        };
        let quote = self.quote(quote_id)?;
        let account = self.account(&quote.account_id)?;
        let contact = match &quote.contact_id {
            Some(id) => self.contacts(&account.id)?.into_iter().find(|c| &c.id == id),
            None => None,
        };
        let rep = self.rep_for(&quote.rep, rep)?;
        let ctx = QuoteContext { account: &account, contact: contact.as_ref(), rep, value_arguments: Vec::new() };
        let opts = self.with_profiles(opts)?;
        Ok(pdf::render_order_confirmation(&quote, &order, &ctx, &opts)?)
    }

    /// `opts` with the published company profile and unit labels (those
    /// given in `opts` win).
    pub(crate) fn with_profiles(&self, opts: &PdfOptions) -> Result<PdfOptions> {
        let mut opts = opts.clone();
        if opts.company.is_none() {
            opts.company = self.company_profile()?;
        }
        if opts.unit_labels.is_empty() {
            opts.unit_labels = self.unit_labels()?;
        }
        Ok(opts)
    }

    /// The rep a document names: `rep`'s published profile, else `given`
    /// (else, with no name given, the rep's id).
    fn rep_for(&self, rep: &str, given: RepContact) -> Result<RepContact> {
        Ok(match self.rep_profile(rep)? {
            Some(p) => RepContact::from_profile(&p),
            None if given.name.trim().is_empty() && !rep.is_empty() => RepContact { name: rep.to_string(), ..given },
            None => given,
        })
    }

    /// The contact block of `rep`'s published profile, if there is one.
    pub fn rep_contact(&self, rep: &str) -> Result<Option<RepContact>> {
        Ok(self.rep_profile(rep)?.map(|p| RepContact::from_profile(&p)))
    }

    /// The prices an account pays for a product on `day`: the steps of its
    /// customer price list, else of its group's, else the list price.
    pub fn customer_price(&self, sku: &str, account_id: &str, day: NaiveDate) -> Result<CustomerPrice> {
        let product = self.product(sku)?;
        let account = self.account(account_id)?;
        let lists = self.read(|c| {
            let exists: Option<i64> =
                c.query_row("SELECT 1 FROM products WHERE sku = ?1", [&product.sku], |r| r.get(0)).optional()?;
            if exists.is_none() {
                return Err(Error::not_found("product", sku));
            }
            lists_for(c, &product.sku, account_id, account.customer_group.as_deref())
        })?;
        let valid: Vec<_> =
            lists.iter().filter(|l| l.valid_on(day) && l.currency == product.list_price.currency).collect();
        let pick = valid
            .iter()
            .find(|l| matches!(&l.scope, crate::catalog::PriceListScope::Customer(_)))
            .or_else(|| valid.first());
        Ok(match pick {
            Some(l) => {
                let mut steps: Vec<PriceStep> =
                    l.tiers.iter().map(|t| PriceStep { min_qty: t.min_qty, unit_price: t.unit_price }).collect();
                steps.sort_by_key(|s| s.min_qty);
                CustomerPrice { customer: account.name, steps, valid_from: l.valid_from, valid_to: l.valid_to }
            }
            None => CustomerPrice {
                customer: account.name,
                steps: vec![PriceStep { min_qty: rust_decimal::Decimal::ONE, unit_price: product.list_price.amount }],
                valid_from: None,
                valid_to: None,
            },
        })
    }

    /// Renders a product datasheet for an account, with the account's price
    /// on the document date and the content linked to the product; `rep` as
    /// given (see [`Store::rep_contact`] for a published profile).
    pub fn render_datasheet_pdf(
        &self,
        sku: &str,
        account_id: &str,
        rep: RepContact,
        image: Option<&[u8]>,
        opts: &PdfOptions,
    ) -> Result<Vec<u8>> {
        let product = self.product(sku)?;
        let price = self.customer_price(sku, account_id, opts.document_date)?;
        let content = self.content_for_product(sku)?;
        let opts = self.with_profiles(opts)?;
        // The product's synced image unless the caller passes one (ADR 29).
        let synced = if image.is_none() { self.product_image_bytes(sku)? } else { None };
        let image = image.or(synced.as_deref());
        let ctx = DatasheetContext { price, content: &content, rep, image };
        Ok(pdf::render_datasheet(&product, &ctx, &opts)?)
    }
}
