//! The store object: one-line delegations to `onsite_core::Store`.

use std::sync::Arc;

use onsite_core::account::{Account, Contact};
use onsite_core::catalog::{Product, TaxClass};
use onsite_core::import::{self, Format};
use onsite_core::store::{AccountQuery, AccountSummary, ImportSummary, LeaseStatus, Page, ProductHit, ProductQuery};
use onsite_core::{Store, StoreKey, StoreOptions};

use crate::OnsiteError;
use crate::error::OpenError;

/// Deletes a store's files (database, WAL, shared memory, journal): what a
/// device does when its hub answers a sync with a wipe (it was reported
/// lost), before deleting the store's key and reporting back. Close the
/// store first (drop every reference). Returns how many files were deleted.
#[uniffi::export]
pub fn destroy_store(path: String) -> Result<u32, OnsiteError> {
    Ok(Store::destroy(path)?.len() as u32)
}

/// A new random 256-bit store key (32 bytes) from the operating system's
/// generator. Keep it wrapped by the platform's key store (the Kotlin and
/// Swift layers do) and pass it to [`OnsiteStore::open`].
#[uniffi::export]
pub fn generate_store_key() -> Result<Vec<u8>, OnsiteError> {
    Ok(StoreKey::generate()?.as_bytes().to_vec())
}

/// One page of product search results (UniFFI has no generic records).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProductPage {
    /// Hits, best first.
    pub items: Vec<ProductHit>,
    /// Offset of the first hit.
    pub offset: u32,
    /// Whether a next page exists.
    pub has_more: bool,
}

/// One page of accounts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccountPage {
    /// Accounts of this page.
    pub items: Vec<AccountSummary>,
    /// Offset of the first account.
    pub offset: u32,
    /// Whether a next page exists.
    pub has_more: bool,
}

impl From<Page<ProductHit>> for ProductPage {
    fn from(p: Page<ProductHit>) -> Self {
        ProductPage { items: p.items, offset: p.offset, has_more: p.has_more }
    }
}

impl From<Page<AccountSummary>> for AccountPage {
    fn from(p: Page<AccountSummary>) -> Self {
        AccountPage { items: p.items, offset: p.offset, has_more: p.has_more }
    }
}

/// Catalog file formats for [`OnsiteStore::import_catalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CatalogFormat {
    /// CSV, see docs/catalog-import.md.
    Csv,
    /// JSON catalog or product array.
    Json,
}

/// The device's offline database. Safe to use from several threads at once;
/// close it (Kotlin `use {}`/`close()`, Swift: drop the last reference,
/// Python: `del`) to release the file.
#[derive(Debug, uniffi::Object)]
pub struct OnsiteStore {
    pub(crate) inner: Store,
}

#[uniffi::export]
impl OnsiteStore {
    /// Opens or creates the encrypted database at `path` with its 32-byte
    /// `key` and migrates it; a plaintext database there is encrypted in
    /// place first. A wrong key, an encrypted file without its key or a
    /// damaged file is `OpenError::Storage` with its reason; nothing is
    /// created over an existing file.
    #[uniffi::constructor]
    pub fn open(path: String, mut key: Vec<u8>) -> Result<Arc<Self>, OpenError> {
        let parsed = StoreKey::from_bytes(&key);
        key.fill(0);
        let key = parsed?;
        let options = StoreOptions { key: Some(key), ..StoreOptions::default() };
        Ok(Arc::new(OnsiteStore { inner: Store::open(path, options)? }))
    }

    /// [`OnsiteStore::open`] for the device the hub registered: its changes
    /// are authored as `device_id` (the id the back office's
    /// `POST /v1/admin/devices` returned with the token). A store that has
    /// synced or written documents under another id is refused
    /// (`OpenError::Validation`); opening again with the same id is fine.
    #[uniffi::constructor]
    pub fn open_device(path: String, mut key: Vec<u8>, device_id: String) -> Result<Arc<Self>, OpenError> {
        let parsed = StoreKey::from_bytes(&key);
        key.fill(0);
        let options = StoreOptions { key: Some(parsed?), device_id: Some(device_id), ..StoreOptions::default() };
        Ok(Arc::new(OnsiteStore { inner: Store::open(path, options)? }))
    }

    /// Opens an encrypted store whose offline lease may have run out, to
    /// sync it: until the hub's answer is applied, every call but
    /// `sync_request`, `sync_apply` and `lease_status` fails with
    /// `OnsiteError::LeaseExpired`. [`OnsiteStore::open`] refuses such a
    /// store with `OpenError::LeaseExpired`.
    #[uniffi::constructor]
    pub fn open_to_renew(path: String, mut key: Vec<u8>) -> Result<Arc<Self>, OpenError> {
        let parsed = StoreKey::from_bytes(&key);
        key.fill(0);
        let options = StoreOptions { key: Some(parsed?), ..StoreOptions::default() };
        Ok(Arc::new(OnsiteStore { inner: Store::open_to_renew(path, options)? }))
    }

    /// Where the device stands with its offline lease (also while the store
    /// is open only to sync): last contact with the hub, days granted, when
    /// it runs out.
    pub fn lease_status(&self) -> Result<LeaseStatus, OnsiteError> {
        Ok(self.inner.lease_status()?)
    }

    /// Opens or creates a plaintext database (back-office scripts on a
    /// server's disk); devices use [`OnsiteStore::open`].
    #[uniffi::constructor]
    pub fn open_unencrypted(path: String) -> Result<Arc<Self>, OpenError> {
        Ok(Arc::new(OnsiteStore { inner: Store::open(path, StoreOptions::default())? }))
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, OnsiteError> {
        Ok(self.inner.schema_version()?)
    }

    /// The catalog's sequence number (the device's delta cursor).
    pub fn catalog_seq(&self) -> Result<i64, OnsiteError> {
        Ok(self.inner.catalog_seq()?)
    }

    /// Imports a catalog file all-or-nothing; a bad file changes nothing and
    /// its `Validation` message lists every bad row by line.
    pub fn import_catalog(&self, data: Vec<u8>, format: CatalogFormat) -> Result<ImportSummary, OnsiteError> {
        let format = match format {
            CatalogFormat::Csv => Format::Csv,
            CatalogFormat::Json => Format::Json,
        };
        Ok(self.inner.import_catalog(import::parse(&data, format), &mut |_| {})?)
    }

    /// One product by SKU (case-insensitive).
    pub fn product(&self, sku: String) -> Result<Product, OnsiteError> {
        Ok(self.inner.product(&sku)?)
    }

    /// Number of products.
    pub fn product_count(&self) -> Result<u64, OnsiteError> {
        Ok(self.inner.product_count()?)
    }

    /// The tax classes.
    pub fn tax_classes(&self) -> Result<Vec<TaxClass>, OnsiteError> {
        Ok(self.inner.tax_classes()?)
    }

    /// Searches products by word beginnings, case- and umlaut-insensitive.
    pub fn search_products(
        &self,
        text: String,
        offset: u32,
        limit: u32,
        include_inactive: bool,
    ) -> Result<ProductPage, OnsiteError> {
        Ok(self.inner.search_products(&ProductQuery { text, offset, limit, include_inactive })?.into())
    }

    /// Creates or replaces an account with the given contacts, in one transaction.
    pub fn save_account(&self, account: Account, contacts: Vec<Contact>) -> Result<(), OnsiteError> {
        Ok(self.inner.save_account_with_contacts(&account, &contacts)?)
    }

    /// One account by id.
    pub fn account(&self, id: String) -> Result<Account, OnsiteError> {
        Ok(self.inner.account(&id)?)
    }

    /// Deletes an account and its contacts.
    pub fn delete_account(&self, id: String) -> Result<(), OnsiteError> {
        Ok(self.inner.delete_account(&id)?)
    }

    /// Creates or replaces one contact of an existing account.
    pub fn save_contact(&self, contact: Contact) -> Result<(), OnsiteError> {
        Ok(self.inner.save_contact(&contact)?)
    }

    /// Deletes one contact.
    pub fn delete_contact(&self, id: String) -> Result<(), OnsiteError> {
        Ok(self.inner.delete_contact(&id)?)
    }

    /// The contacts of an account.
    pub fn contacts(&self, account_id: String) -> Result<Vec<Contact>, OnsiteError> {
        Ok(self.inner.contacts(&account_id)?)
    }

    /// Accounts by name, optionally only a rep's.
    pub fn list_accounts(&self, rep: Option<String>, offset: u32, limit: u32) -> Result<AccountPage, OnsiteError> {
        Ok(self.inner.list_accounts(rep.as_deref(), offset, limit)?.into())
    }

    /// Searches accounts by company, city or contact name.
    pub fn search_accounts(&self, text: String, offset: u32, limit: u32) -> Result<AccountPage, OnsiteError> {
        Ok(self.inner.search_accounts(&AccountQuery { text, offset, limit })?.into())
    }
}
