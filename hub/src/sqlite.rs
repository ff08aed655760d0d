//! The embedded hub: everything in one SQLite file through the core's
//! [`Store`] (documents, projections, sync states, catalog, devices).

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use onsite_core::approval_link::LinkKey;
use onsite_core::catalog::Seq;
use onsite_core::devices::{DeviceRecord, NewDevice, TokenSecrets};
use onsite_core::import::{self, Format};
use onsite_core::quote::{CustomerDecision, DiscountPolicy, Order, Quote, QuoteListing, QuoteState};
use onsite_core::store::ImportSummary;
use onsite_core::sync::{DeviceScope, SyncLimits};
use onsite_core::{Store, StoreOptions};

use super::backend::{Backend, Counts, QuoteView};
use crate::error::Result;

/// The hub on one SQLite file (WAL: one writer, `readers` readers).
#[derive(Debug)]
pub struct SqliteBackend {
    store: Store,
}

impl SqliteBackend {
    /// Opens or creates the hub database at `path`, encrypted at rest with
    /// `key` if one is given (a plaintext database is encrypted in place).
    pub fn open(path: &Path, readers: usize, key: Option<onsite_core::StoreKey>) -> Result<SqliteBackend> {
        let options = StoreOptions { readers: readers.clamp(1, 64), key, ..StoreOptions::default() };
        SqliteBackend::open_with(path, options)
    }

    /// Opens the hub database with the store's options as given (the
    /// durability tests open it on their power-cut VFS, or with a weaker
    /// `synchronous` for their negative controls).
    #[doc(hidden)]
    pub fn open_with(path: &Path, options: StoreOptions) -> Result<SqliteBackend> {
        Ok(SqliteBackend { store: Store::open(path, options)? })
    }

    /// The underlying store (for tests and the demo).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Backend for SqliteBackend {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn check(&self) -> Result<()> {
        self.store.catalog_seq()?;
        Ok(())
    }

    fn authenticate(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        Ok(self.store.authenticate_device(token_hash)?)
    }

    fn scope(&self, device: &DeviceRecord) -> Result<DeviceScope> {
        Ok(self.store.device_scope(device)?)
    }

    fn sync(
        &self,
        scope: &DeviceScope,
        request: &[u8],
        limits: &SyncLimits,
        now: Option<onsite_core::ids::Timestamp>,
    ) -> Result<Vec<u8>> {
        Ok(match now {
            Some(now) => self.store.hub_handle_at(scope, request, limits, now)?,
            None => self.store.hub_handle_with(scope, request, limits)?,
        })
    }

    fn blob(&self, scope: &DeviceScope, request: &[u8]) -> Result<onsite_core::sync::blobs::Judged> {
        Ok(self.store.blob_hub_handle(scope, request)?)
    }

    fn register_device(&self, device_id: &str, new: &NewDevice, secrets: &TokenSecrets) -> Result<DeviceRecord> {
        Ok(self.store.register_device(device_id, new, secrets)?)
    }

    fn device_link_key(&self, device_id: &str) -> Result<Option<(DeviceRecord, Option<LinkKey>)>> {
        Ok(self.store.device_link_key(device_id)?)
    }

    fn quote_view(&self, quote_id: &str) -> Result<Option<QuoteView>> {
        let quote = match self.store.quote(quote_id) {
            Ok(q) => q,
            Err(onsite_core::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let account = self.store.account(&quote.account_id)?;
        let contact = match &quote.contact_id {
            Some(id) => self.store.contacts(&account.id)?.into_iter().find(|c| &c.id == id),
            None => None,
        };
        let items = self.store.content_items()?;
        let value_arguments = quote
            .value_arguments
            .iter()
            .filter_map(|id| items.iter().find(|c| &c.id == id).map(|c| c.title.clone()))
            .collect();
        let senders = self.senders(&quote.rep)?;
        Ok(Some(QuoteView { quote, account, contact, value_arguments, senders }))
    }

    fn customer_decision(&self, quote_id: &str, decision: CustomerDecision, today: NaiveDate) -> Result<Quote> {
        Ok(self.store.record_customer_decision(quote_id, decision, today)?)
    }

    fn revoke_device(&self, device_id: &str) -> Result<DeviceRecord> {
        Ok(self.store.revoke_device(device_id)?)
    }

    fn stage_token(&self, device_id: &str, secrets: &TokenSecrets, unless_staged_after: &str) -> Result<bool> {
        Ok(self.store.stage_device_token(device_id, secrets, unless_staged_after)?)
    }

    fn reissue_token(&self, device_id: &str, secrets: &TokenSecrets) -> Result<DeviceRecord> {
        Ok(self.store.reissue_device_token(device_id, secrets)?)
    }

    fn mark_lost(&self, device_id: &str) -> Result<DeviceRecord> {
        Ok(self.store.mark_device_lost(device_id)?)
    }

    fn record_wiped(&self, device_id: &str) -> Result<DeviceRecord> {
        Ok(self.store.record_device_wiped(device_id)?)
    }

    fn wiped_device(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        Ok(self.store.wiped_device(token_hash)?)
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>> {
        Ok(self.store.devices()?)
    }

    fn assign(&self, rep: &str, add: &[String], remove: &[String]) -> Result<BTreeSet<String>> {
        Ok(self.store.assign_accounts(rep, add, remove)?)
    }

    fn unknown_accounts(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut unknown = Vec::new();
        for id in ids {
            match self.store.account(id) {
                Ok(_) => {}
                Err(onsite_core::Error::NotFound { .. } | onsite_core::Error::Validation { .. }) => {
                    unknown.push(id.clone())
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(unknown)
    }

    fn import_accounts(&self, imports: &[onsite_core::import::AccountImport]) -> Result<(usize, usize)> {
        Ok(self.store.import_accounts(imports)?)
    }

    fn publish_catalog(&self, bytes: &[u8], format: Format) -> Result<ImportSummary> {
        Ok(self.store.import_catalog(import::parse(bytes, format), &mut |_| {})?)
    }

    fn publish_images(&self, images: &[onsite_core::blob::PreparedImage]) -> Result<ImportSummary> {
        Ok(self.store.publish_images(images)?)
    }

    fn publish_policy(&self, policy: &DiscountPolicy) -> Result<Seq> {
        self.store.set_discount_policy(policy)?;
        Ok(self.store.catalog_seq()?)
    }

    fn publish_company(&self, profile: &onsite_core::profile::CompanyProfile) -> Result<Seq> {
        Ok(self.store.set_company_profile(profile)?)
    }

    fn publish_rep_profile(&self, profile: &onsite_core::profile::RepProfile) -> Result<Seq> {
        Ok(self.store.set_rep_profile(profile)?)
    }

    fn senders(&self, rep: &str) -> Result<crate::backend::Senders> {
        Ok(crate::backend::Senders {
            company: self.store.company_profile()?,
            unit_labels: self.store.unit_labels()?,
            rep: self.store.rep_profile(rep)?,
        })
    }

    fn quotes(&self, state: Option<QuoteState>, pending_discount: bool) -> Result<Vec<QuoteListing>> {
        Ok(self.store.quote_listings(state, pending_discount)?)
    }

    fn decide_discount(&self, quote_id: &str, approved: bool, by: &str, reason: Option<&str>) -> Result<QuoteListing> {
        let q = self.store.decide_discount(quote_id, approved, by, reason, chrono::Utc::now())?;
        Ok(QuoteListing::of(&q).map_err(onsite_core::Error::from)?)
    }

    fn discount_facts(
        &self,
        skus: &[String],
    ) -> Result<(DiscountPolicy, std::collections::HashMap<String, rust_decimal::Decimal>)> {
        Ok((self.store.discount_policy()?, self.store.costs_of(skus)?))
    }

    fn quote_page(
        &self,
        q: &onsite_core::quote::QuoteQuery,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<QuoteListing>, usize)> {
        Ok(self.store.quote_page(q, offset, limit)?)
    }

    fn campaign_reports(&self) -> Result<Vec<onsite_core::leads::FunnelReport>> {
        let all = self.store.campaigns()?;
        Ok(all.iter().map(|c| onsite_core::leads::funnel(c, &all)).collect())
    }

    fn quote_history(&self, quote_id: &str) -> Result<Option<onsite_core::crdt::QuoteHistory>> {
        match self.store.quote_history(quote_id) {
            Ok(h) => Ok(Some(h)),
            Err(onsite_core::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn account_detail(
        &self,
        account_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<crate::backend::AccountDetail>> {
        let account = match self.store.account(account_id) {
            Ok(a) => a,
            Err(onsite_core::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let contacts = self.store.contacts(account_id)?;
        let limit = crate::backend::ACCOUNT_ACTIVITIES as u32;
        let activities = self.store.activities_for_account(account_id, limit)?;
        let score = match self.store.scoring_model()? {
            Some(_) => Some(self.store.account_score(account_id, now)?),
            None => None,
        };
        Ok(Some(crate::backend::AccountDetail { account, contacts, activities, score }))
    }

    fn call_list(
        &self,
        rep: &str,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Option<Vec<onsite_core::leads::CallListEntry>>> {
        if self.store.scoring_model()?.is_none() {
            return Ok(None);
        }
        Ok(Some(self.store.call_list(Some(rep), now, limit)?))
    }

    fn account_name(&self, account_id: &str) -> Result<Option<String>> {
        match self.store.account(account_id) {
            Ok(a) => Ok(Some(a.name)),
            Err(onsite_core::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn orders(&self, account_id: Option<&str>) -> Result<Vec<Order>> {
        Ok(self.store.order_listings(account_id)?)
    }

    fn counts(&self) -> Result<Counts> {
        Ok(Counts {
            documents: self.store.document_count()?,
            devices: self.store.devices()?.len() as u64,
            catalog_seq: self.store.catalog_seq()?,
        })
    }

    fn export_person(&self, contact_id: &str) -> Result<onsite_core::erasure::PersonExport> {
        Ok(self.store.export_person(contact_id)?)
    }

    fn erase_person(&self, contact_id: &str) -> Result<onsite_core::erasure::ErasureReport> {
        Ok(self.store.erase_person(contact_id)?)
    }
}
