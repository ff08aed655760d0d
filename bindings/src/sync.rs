//! Sync and documents: the device's frames, the in-process hub role, the
//! concurrent values of a record, export and import, activities.

use onsite_core::activity::Activity;
use onsite_core::crdt::FieldConflict;
use onsite_core::store::DocInfo;
use std::sync::Arc;

use onsite_core::sync::driver;
use onsite_core::sync::{
    CancelFlag, DeviceRole, DeviceScope, SyncFailure, SyncHealth, SyncListener, SyncProgress, SyncRefusal, SyncRound,
    SyncSettings, SyncSummary, Transport, TransportFailure, TransportRequest, TransportResponse,
};

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

/// Why the platform's transport could not deliver a request.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TransportError {
    /// No connection, the host unreachable or refused, or the connection
    /// dropped before the answer arrived: retried with backoff.
    #[error("offline: {detail}")]
    Offline {
        /// The platform's words.
        detail: String,
    },
    /// The request or its answer took too long: retried.
    #[error("timed out: {detail}")]
    Timeout {
        /// The platform's words.
        detail: String,
    },
    /// TLS failed (an untrusted certificate, a pin not matched): not retried.
    #[error("TLS: {detail}")]
    Tls {
        /// The platform's words.
        detail: String,
    },
    /// The app cancelled the call.
    #[error("cancelled")]
    Cancelled,
    /// Anything else (also an exception the transport did not expect): not
    /// retried, reported as `SyncFailure.Transport`.
    #[error("transport failed: {detail}")]
    Failed {
        /// What happened.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Failed { detail: e.reason }
    }
}

/// Carries one sync request to the hub over the platform's HTTP client
/// (OkHttp, `java.net.http`, `URLSession`, `urllib`): post `request.body`
/// to `request.url` with its headers, follow no redirects, and return the
/// answer whatever its status. Called on the thread that called
/// [`OnsiteStore::sync_with_hub`].
#[uniffi::export(with_foreign)]
pub trait SyncTransport: Send + Sync {
    /// Posts the request and returns the hub's answer.
    fn post(&self, request: TransportRequest) -> Result<TransportResponse, TransportError>;
}

/// An observer's own failure: ignored by the sync (it goes on).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ObserverError {
    /// What went wrong in the app's code.
    #[error("observer failed: {detail}")]
    Failed {
        /// Its words.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ObserverError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ObserverError::Failed { detail: e.reason }
    }
}

/// What the app hears while a sync runs. An exception thrown here does not
/// stop the sync.
#[uniffi::export(with_foreign)]
pub trait SyncObserver: Send + Sync {
    /// After every round trip.
    fn progress(&self, progress: SyncProgress) -> Result<(), ObserverError>;
    /// The hub handed over the device's next token: store it now (the old
    /// one stops working once a request used this one). The store keeps it
    /// too: `current_token` gives it back after a failed sync.
    fn token_rotated(&self, token: String, expires_at: String) -> Result<(), ObserverError>;
}

/// Stops a running [`OnsiteStore::sync_with_hub`] at its next safe point.
#[derive(Debug, Default, uniffi::Object)]
pub struct SyncCancel {
    pub(crate) flag: CancelFlag,
}

#[uniffi::export]
impl SyncCancel {
    /// A fresh, unset handle.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(SyncCancel::default())
    }

    /// Asks the sync to stop (between round trips and during waits).
    pub fn cancel(&self) {
        self.flag.cancel();
    }

    /// Whether it was asked to.
    pub fn is_cancelled(&self) -> bool {
        self.flag.is_cancelled()
    }
}

pub(crate) struct Foreign(pub(crate) Arc<dyn SyncTransport>);

impl Transport for Foreign {
    fn post(&self, request: TransportRequest) -> Result<TransportResponse, TransportFailure> {
        self.0.post(request).map_err(|e| match e {
            TransportError::Offline { detail } => TransportFailure::Offline(detail),
            TransportError::Timeout { detail } => TransportFailure::Timeout(detail),
            TransportError::Tls { detail } => TransportFailure::Tls(detail),
            TransportError::Cancelled => TransportFailure::Cancelled,
            TransportError::Failed { detail } => TransportFailure::Failed(detail),
        })
    }
}

struct Listener(Arc<dyn SyncObserver>);

impl SyncListener for Listener {
    fn progress(&self, progress: SyncProgress) {
        let _ = self.0.progress(progress);
    }
    fn token_rotated(&self, token: String, expires_at: String) {
        let _ = self.0.token_rotated(token, expires_at);
    }
}

#[uniffi::export]
impl OnsiteStore {
    /// Syncs with the hub until quiescent, in one call, over the platform's
    /// `transport`: gzip, retries with backoff and jitter, resumption after
    /// a dropped connection, progress and token rotation through
    /// `observer`, a stop through `cancel`. Blocks: call it off the main
    /// thread. Local data is intact whatever the outcome.
    pub fn sync_with_hub(
        &self,
        settings: SyncSettings,
        transport: Arc<dyn SyncTransport>,
        observer: Option<Arc<dyn SyncObserver>>,
        cancel: Option<Arc<SyncCancel>>,
    ) -> Result<SyncSummary, SyncFailure> {
        let listener = observer.map(Listener);
        let flag = cancel.map(|c| c.flag.clone()).unwrap_or_default();
        driver::sync(
            &self.inner,
            &Foreign(transport),
            &settings,
            listener.as_ref().map(|l| l as &dyn SyncListener),
            &flag,
        )
    }

    /// The token to keep in place of `token`: its newest successor a sync
    /// received and kept (also when that sync failed afterwards), else
    /// `token`. The hub accepts only the successor once it was used.
    pub fn current_token(&self, token: String) -> Result<String, OnsiteError> {
        Ok(self.inner.current_token(&token)?)
    }

    /// The sync-health record: last sync, what waits to be sent, the last
    /// error in plain words, the catalog sequence, the storage used.
    pub fn sync_health(&self) -> Result<SyncHealth, OnsiteError> {
        Ok(self.inner.sync_health()?)
    }
}

/// The default settings for a hub URL and token (500 round trips, 6
/// attempts, backoff from 250 ms to 8 s).
#[uniffi::export]
pub fn sync_settings(hub_url: String, token: String) -> SyncSettings {
    SyncSettings::new(&hub_url, &token)
}
