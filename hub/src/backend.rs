//! What the hub stores, behind one trait: the embedded SQLite default
//! ([`super::sqlite::SqliteBackend`]) and PostgreSQL for several instances
//! ([`super::postgres::PgBackend`]). Calls block; the HTTP layer runs them
//! on Tokio's blocking pool.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use onsite_core::account::{Account, Contact};
use onsite_core::approval_link::LinkKey;
use onsite_core::catalog::Seq;
use onsite_core::devices::{DeviceRecord, NewDevice, TokenSecrets};
use onsite_core::import::Format;
use onsite_core::profile::{CompanyProfile, RepProfile};
use onsite_core::quote::{CustomerDecision, DiscountPolicy, Order, Quote, QuoteListing, QuoteState};
use onsite_core::store::ImportSummary;
use onsite_core::sync::{DeviceScope, SyncLimits};

use crate::error::Result;

/// Sizes the metrics endpoint reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Field-data documents stored.
    pub documents: u64,
    /// Registered devices (revoked ones included).
    pub devices: u64,
    /// The catalog's sequence.
    pub catalog_seq: i64,
}

/// An account as the console shows it: its people, activities, scores.
#[derive(Debug, Clone)]
pub struct AccountDetail {
    /// The account.
    pub account: Account,
    /// Its people (the buying center).
    pub contacts: Vec<Contact>,
    /// Its activities, newest first (at most [`ACCOUNT_ACTIVITIES`]).
    pub activities: Vec<onsite_core::activity::Activity>,
    /// Its scores with their explanations (`None`: no scoring model is
    /// published).
    pub score: Option<onsite_core::leads::AccountScore>,
}

/// Most activities an account's page lists.
pub const ACCOUNT_ACTIVITIES: usize = 200;

/// A quote as its approval page shows it.
#[derive(Debug, Clone)]
pub struct QuoteView {
    /// The quote.
    pub quote: Quote,
    /// Its customer.
    pub account: Account,
    /// The addressee.
    pub contact: Option<Contact>,
    /// Titles of the attached case studies and stories.
    pub value_arguments: Vec<String>,
    /// The published sender and the quote's rep.
    pub senders: Senders,
}

impl QuoteView {
    /// The seller's name: the published company's, else `fallback`.
    pub fn seller(&self, fallback: &str) -> String {
        self.senders.company.as_ref().map_or_else(|| fallback.to_string(), |c| c.full_name())
    }

    /// The rep as the customer knows them: the published profile's name,
    /// else the rep's id.
    pub fn rep_name(&self) -> String {
        self.senders.rep.as_ref().map_or_else(|| self.quote.rep.clone(), |r| r.name.clone())
    }
}

/// Who the hub's pages and PDFs name as sender and rep.
#[derive(Debug, Clone, Default)]
pub struct Senders {
    /// The published company profile (`None`: documents are samples).
    pub company: Option<CompanyProfile>,
    /// The published unit labels.
    pub unit_labels: Vec<onsite_core::catalog::UnitLabel>,
    /// The rep's published profile.
    pub rep: Option<RepProfile>,
}

/// The hub's storage and back-office operations.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// Fails if the database does not answer (the health check).
    fn check(&self) -> Result<()>;
    /// The device a token hash (or its staged next token's hash, which then
    /// becomes its token) belongs to; `None`: unknown or revoked. Expired
    /// and lost devices are returned: the caller answers by their standing.
    fn authenticate(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>>;
    /// What a device may see and change, from its role and assignments.
    fn scope(&self, device: &DeviceRecord) -> Result<DeviceScope>;
    /// Answers one sync request frame in one transaction (a refused frame
    /// stores nothing), judging dates by `now` (`None`: the clock).
    fn sync(
        &self,
        scope: &DeviceScope,
        request: &[u8],
        limits: &SyncLimits,
        now: Option<onsite_core::ids::Timestamp>,
    ) -> Result<Vec<u8>>;
    /// Answers one file transfer request (ADR 29) in one transaction;
    /// `Ok(Err(_))` is a refusal of the request, committed (a refused
    /// upload leaves nothing behind).
    fn blob(&self, scope: &DeviceScope, request: &[u8]) -> Result<onsite_core::sync::blobs::Judged>;
    /// Registers a device under `device_id` with its token's hash and link key.
    fn register_device(&self, device_id: &str, new: &NewDevice, secrets: &TokenSecrets) -> Result<DeviceRecord>;
    /// A registered device (revoked ones too) with the key its approval
    /// links are signed with.
    fn device_link_key(&self, device_id: &str) -> Result<Option<(DeviceRecord, Option<LinkKey>)>>;
    /// A quote with what its approval page and PDF show (`None`: unknown).
    fn quote_view(&self, quote_id: &str) -> Result<Option<QuoteView>>;
    /// Records a customer's decision from an approval link, in one
    /// transaction with the check that it is for the current revision.
    fn customer_decision(&self, quote_id: &str, decision: CustomerDecision, today: NaiveDate) -> Result<Quote>;
    /// Revokes a device's token.
    fn revoke_device(&self, device_id: &str) -> Result<DeviceRecord>;
    /// Stages a device's next token unless one staged after
    /// `unless_staged_after` (RFC 3339) waits unused; `false`: nothing staged
    /// (see `Store::stage_device_token`).
    fn stage_token(&self, device_id: &str, secrets: &TokenSecrets, unless_staged_after: &str) -> Result<bool>;
    /// A new token for the same device (see `Store::reissue_device_token`).
    fn reissue_token(&self, device_id: &str, secrets: &TokenSecrets) -> Result<DeviceRecord>;
    /// Reports a device lost: its next contact is answered with a wipe.
    fn mark_lost(&self, device_id: &str) -> Result<DeviceRecord>;
    /// Records a lost device's report that it wiped itself (once; revokes
    /// its token).
    fn record_wiped(&self, device_id: &str) -> Result<DeviceRecord>;
    /// The device a token hash belongs to if that device reported its wipe
    /// already (a report sent again after its answer was lost).
    fn wiped_device(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>>;
    /// Every registered device.
    fn devices(&self) -> Result<Vec<DeviceRecord>>;
    /// Adds and removes a rep's accounts; returns the rep's accounts after.
    fn assign(&self, rep: &str, add: &[String], remove: &[String]) -> Result<BTreeSet<String>>;
    /// Imports a catalog file (products, tax classes, price lists, costs,
    /// discount policy), all or nothing, and publishes it under a new
    /// catalog sequence.
    fn publish_catalog(&self, bytes: &[u8], format: Format) -> Result<ImportSummary>;
    /// Publishes checked images with their thumbnails (ADR 29): the blobs
    /// stored once, the media rows under a new catalog sequence.
    fn publish_images(&self, images: &[onsite_core::blob::PreparedImage]) -> Result<ImportSummary>;
    /// Imports accounts with their contacts (a CRM export) in one
    /// transaction, each record through the rules; (accounts, contacts).
    fn import_accounts(&self, imports: &[onsite_core::import::AccountImport]) -> Result<(usize, usize)>;
    /// Those of `ids` that name no account at the hub.
    fn unknown_accounts(&self, ids: &[String]) -> Result<Vec<String>>;
    /// Publishes a new discount policy; returns the new catalog sequence.
    fn publish_policy(&self, policy: &DiscountPolicy) -> Result<Seq>;
    /// Publishes the company profile every document prints (ADR 26).
    fn publish_company(&self, profile: &CompanyProfile) -> Result<Seq>;
    /// Publishes a rep's profile, which the registry keeps and devices receive.
    fn publish_rep_profile(&self, profile: &RepProfile) -> Result<Seq>;
    /// The published company profile, unit labels and the profile of
    /// `rep`: what the hub's own pages and PDFs print.
    fn senders(&self, rep: &str) -> Result<Senders>;
    /// Quotes, newest first, by state or with a pending discount request.
    fn quotes(&self, state: Option<QuoteState>, pending_discount: bool) -> Result<Vec<QuoteListing>>;
    /// The back office's decision on a quote's discount request, with its
    /// reason for the rep.
    fn decide_discount(&self, quote_id: &str, approved: bool, by: &str, reason: Option<&str>) -> Result<QuoteListing>;
    /// What a discount is judged by: the published policy and the costs of
    /// `skus` that the hub knows (never shown to customers).
    fn discount_facts(
        &self,
        skus: &[String],
    ) -> Result<(DiscountPolicy, std::collections::HashMap<String, rust_decimal::Decimal>)>;
    /// A page of the quotes `q` selects, newest first, and how many in all.
    fn quote_page(
        &self,
        q: &onsite_core::quote::QuoteQuery,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<QuoteListing>, usize)>;
    /// Every published campaign's funnel, newest first (ADR 21).
    fn campaign_reports(&self) -> Result<Vec<onsite_core::leads::FunnelReport>>;
    /// A quote's revisions side by side and its open concurrent values
    /// (`None`: the hub holds no such quote).
    fn quote_history(&self, quote_id: &str) -> Result<Option<onsite_core::crdt::QuoteHistory>>;
    /// An account with its people, activities and scores (`None`: the hub
    /// holds no such account).
    fn account_detail(&self, account_id: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Option<AccountDetail>>;
    /// A rep's call list: the accounts assigned to them, best first, the
    /// first `limit` (`None`: no scoring model is published).
    fn call_list(
        &self,
        rep: &str,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> Result<Option<Vec<onsite_core::leads::CallListEntry>>>;
    /// An account's name (`None`: the hub holds no such account).
    fn account_name(&self, account_id: &str) -> Result<Option<String>>;
    /// Orders, newest first, optionally of one account.
    fn orders(&self, account_id: Option<&str>) -> Result<Vec<Order>>;
    /// Sizes for the metrics.
    fn counts(&self) -> Result<Counts>;
    /// Every datum held on a person (GDPR Art. 15, ADR 24).
    fn export_person(&self, contact_id: &str) -> Result<onsite_core::erasure::PersonExport>;
    /// Erases a person (GDPR Art. 17, ADR 24): their document with every
    /// stored change, snapshot and sync state; the id refused from now on
    /// and announced to devices. Erasing again reports `already_erased`.
    fn erase_person(&self, contact_id: &str) -> Result<onsite_core::erasure::ErasureReport>;
}
