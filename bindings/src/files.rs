//! Files on the device (ADR 29): attachments added offline, fetched on
//! demand, the storage budget. One-line delegations.

use std::sync::Arc;

use onsite_core::blob::{Attachment, AttachmentParent, BlobRef, MediaItem};
use onsite_core::store::BlobBudget;
use onsite_core::sync::{SyncFailure, SyncSettings, driver};

use crate::OnsiteError;
use crate::store::OnsiteStore;
use crate::sync::{Foreign, SyncCancel, SyncTransport};

#[uniffi::export]
impl OnsiteStore {
    /// Attaches `bytes` named `name` to a quote or an activity, offline;
    /// the next sync uploads it. Its type is sniffed from the content;
    /// `for_customer` shows a quote's file on the customer's phone.
    pub fn add_attachment(
        &self,
        parent: AttachmentParent,
        name: String,
        bytes: Vec<u8>,
        for_customer: bool,
        by: String,
    ) -> Result<Attachment, OnsiteError> {
        Ok(self.inner.add_attachment(&parent, &name, &bytes, for_customer, &by)?)
    }

    /// The files of a quote or an activity, oldest first.
    pub fn attachments(&self, parent: AttachmentParent) -> Result<Vec<Attachment>, OnsiteError> {
        Ok(self.inner.attachments(&parent)?)
    }

    /// Shows a quote's file to the customer, or hides it again.
    pub fn set_attachment_for_customer(&self, id: String, for_customer: bool) -> Result<Attachment, OnsiteError> {
        Ok(self.inner.set_attachment_for_customer(&id, for_customer)?)
    }

    /// Removes an attachment (the removal syncs).
    pub fn remove_attachment(&self, id: String) -> Result<Attachment, OnsiteError> {
        Ok(self.inner.remove_attachment(&id)?)
    }

    /// A file's bytes if this device holds it; `NotFound` when it must be
    /// fetched (`fetch_file`).
    pub fn file_bytes(&self, hash: String) -> Result<Vec<u8>, OnsiteError> {
        Ok(self.inner.blob(&hash)?)
    }

    /// Whether this device holds the file whole.
    pub fn has_file(&self, hash: String) -> Result<bool, OnsiteError> {
        Ok(self.inner.has_blob(&hash)?)
    }

    /// What this device holds of files against its storage budget.
    pub fn file_budget(&self) -> Result<BlobBudget, OnsiteError> {
        Ok(self.inner.blob_budget()?)
    }

    /// The published image a product names (its full image and thumbnail).
    pub fn product_image(&self, sku: String) -> Result<Option<MediaItem>, OnsiteError> {
        Ok(self.inner.product_image(&sku)?)
    }

    /// Fetches a file from the hub (a full product image, an attachment),
    /// resuming a cut download, within the storage budget; returns its
    /// bytes. Blocks: call it off the main thread.
    pub fn fetch_file(
        &self,
        settings: SyncSettings,
        transport: Arc<dyn SyncTransport>,
        file: BlobRef,
        cancel: Option<Arc<SyncCancel>>,
    ) -> Result<Vec<u8>, SyncFailure> {
        let flag = cancel.map(|c| c.flag.clone()).unwrap_or_default();
        driver::fetch_file(&self.inner, &Foreign(transport), &settings, &file, &flag)
    }
}
