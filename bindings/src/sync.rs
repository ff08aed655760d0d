//! Sync and documents: the device's frames, the in-process hub role, the
//! concurrent values of a record, export and import, activities.

use onsite_core::activity::Activity;
use onsite_core::crdt::FieldConflict;
use onsite_core::store::DocInfo;
use onsite_core::sync::{DeviceRole, DeviceScope, SyncRefusal, SyncRound};

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
    /// The person behind the device, from the hub's registry (the
    /// transition rules compare names written into records with it).
    #[uniffi(default = "")]
    pub person: String,
}

impl From<SyncScope> for DeviceScope {
    fn from(s: SyncScope) -> Self {
        DeviceScope {
            device_id: s.device_id,
            person: s.person,
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

    /// Applies the hub's answer to the last request: its response, or the
    /// refusal frame it answers HTTP 409 with (the round then lists what was
    /// refused and how the device recovered).
    pub fn sync_apply(&self, response: Vec<u8>) -> Result<SyncRound, OnsiteError> {
        Ok(self.inner.sync_apply(&response)?)
    }

    /// The changes the hub refused, newest first, for the user.
    pub fn sync_refusals(&self) -> Result<Vec<SyncRefusal>, OnsiteError> {
        Ok(self.inner.sync_refusals()?)
    }

    /// Answers a device's request frame as the hub (this store is the
    /// hub's): the response, or the refusal frame when the hub refused
    /// changes (pass either to the device's `sync_apply`).
    pub fn hub_handle(&self, scope: SyncScope, request: Vec<u8>) -> Result<Vec<u8>, OnsiteError> {
        match self.inner.hub_handle(&scope.into(), &request) {
            Err(onsite_core::Error::Sync(onsite_core::sync::SyncError::Rejected(r))) => Ok(r.frame),
            other => Ok(other?),
        }
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
