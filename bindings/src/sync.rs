//! Sync and documents: the device's frames, the in-process hub role, the
//! concurrent values of a record, export and import, activities.

use onsite_core::activity::Activity;
use onsite_core::docs::FieldConflict;
use onsite_core::store::DocInfo;
use onsite_core::sync::{DeviceRole, DeviceScope, SyncRound};

use crate::{OnsiteError, OnsiteStore};

/// What a device may see, as the hub decides it from the device's token.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncScope {
    /// The authenticated device.
    pub device_id: String,
    /// Accounts it may see; `None` for all.
    pub accounts: Option<Vec<String>>,
    /// Whether product costs are sent (never to customers).
    pub include_costs: bool,
    /// What the person behind the device may change.
    pub role: DeviceRole,
}

impl From<SyncScope> for DeviceScope {
    fn from(s: SyncScope) -> Self {
        DeviceScope {
            device_id: s.device_id,
            accounts: s.accounts.map(|a| a.into_iter().collect()),
            include_costs: s.include_costs,
            role: s.role,
        }
    }
}

#[uniffi::export]
impl OnsiteStore {
    /// This database's device id (the author of its changes).
    pub fn device_id(&self) -> Result<String, OnsiteError> {
        Ok(self.inner.device_id()?)
    }

    /// The next request frame for the hub: send its bytes, then pass the
    /// response to [`OnsiteStore::sync_apply`]; repeat until `done`.
    pub fn sync_request(&self) -> Result<Vec<u8>, OnsiteError> {
        Ok(self.inner.sync_request()?)
    }

    /// Applies the hub's response to the last request.
    pub fn sync_apply(&self, response: Vec<u8>) -> Result<SyncRound, OnsiteError> {
        Ok(self.inner.sync_apply(&response)?)
    }

    /// Answers a device's request frame as the hub (this store is the hub's).
    pub fn hub_handle(&self, scope: SyncScope, request: Vec<u8>) -> Result<Vec<u8>, OnsiteError> {
        Ok(self.inner.hub_handle(&scope.into(), &request)?)
    }

    /// Fields of a document with concurrent values, e.g. `quote/<id>`.
    pub fn conflicts(&self, doc_id: String) -> Result<Vec<FieldConflict>, OnsiteError> {
        Ok(self.inner.conflicts(&doc_id)?)
    }

    /// Every stored document.
    pub fn documents(&self) -> Result<Vec<DocInfo>, OnsiteError> {
        Ok(self.inner.documents()?)
    }

    /// A document as standard Automerge bytes.
    pub fn export_doc(&self, doc_id: String) -> Result<Vec<u8>, OnsiteError> {
        Ok(self.inner.export_doc(&doc_id)?)
    }

    /// Imports (merges) Automerge bytes; returns the document id.
    pub fn import_doc(&self, bytes: Vec<u8>) -> Result<String, OnsiteError> {
        Ok(self.inner.import_doc(&bytes)?)
    }

    /// Logs or corrects an activity.
    pub fn log_activity(&self, activity: Activity) -> Result<(), OnsiteError> {
        Ok(self.inner.log_activity(&activity)?)
    }

    /// An account's activities, newest first.
    pub fn activities_for_account(&self, account_id: String, limit: u32) -> Result<Vec<Activity>, OnsiteError> {
        Ok(self.inner.activities_for_account(&account_id, limit)?)
    }
}
