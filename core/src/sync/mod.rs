//! The sans-IO sync engine.
//!
//! A device turns its state into a request frame ([`Store::sync_request`]),
//! some transport carries the bytes to the hub, the hub turns them into a
//! response frame ([`hub::handle`], over any [`hub::HubStorage`]), and the
//! device applies it ([`Store::sync_apply`]); repeat until the round
//! reports `done`. The core never opens a socket.
//!
//! One round trip carries the device's catalog cursor and the reference
//! data delta since it, and Automerge sync messages for every document that
//! changed on either side since the last round, many documents per frame.
//! Each side keeps, per document and peer, the whole Automerge sync state
//! of the current session, so a sync of any number of documents usually
//! settles in two round trips. Every apply is one SQLite transaction: a
//! dropped response or a crash loses nothing, and the next request starts a
//! new session from the heads both sides are known to share. The protocol
//! is described in `docs/sync.md`, its decisions in ADR 10.
//!
//! [`Store::sync_request`]: crate::Store::sync_request
//! [`Store::sync_apply`]: crate::Store::sync_apply

pub mod blob_frame;
pub mod blobs;
pub mod device;
pub mod driver;
pub mod error;
pub mod frame;
mod gzip;
mod health;
pub mod hub;
mod link;
#[cfg(test)]
mod memory;
mod sqlite;

mod state;
mod wire;

pub use crate::roles::DeviceRole;
pub use crate::scope::DeviceScope;
pub use device::{DeviceStorage, SyncRefusal, SyncRound};
pub use driver::{
    AuthProblem, CancelFlag, FileTransfer, Header, SyncFailure, SyncListener, SyncProgress, SyncSettings, SyncSummary,
    Transport, TransportFailure, TransportRequest, TransportResponse,
};
pub use error::{FrameError, Rejection, SyncError};
pub use frame::{MAX_ENTRIES, MAX_FRAME_BYTES, PROTOCOL_VERSION};
pub use health::SyncHealth;
pub use link::HubLink;
pub use sqlite::{SqliteDevice, SqliteHub};
pub use state::DocSync;

/// The peer name a device uses for its hub.
pub const HUB_PEER: &str = "hub";

/// How large the frames this side builds may grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// A frame stops taking documents at this size; the rest follow in the
    /// next round trip (default 4 MiB: a few seconds on a slow mobile link).
    pub frame_budget: usize,
    /// Products per catalog page (default 5,000, about 300 KB deflated).
    pub catalog_page: usize,
}

impl Default for SyncLimits {
    fn default() -> Self {
        SyncLimits { frame_budget: 4 << 20, catalog_page: 5_000 }
    }
}

/// Round trips and bytes of one sync run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Request/response pairs until done.
    pub round_trips: u32,
    /// Request bytes.
    pub bytes_up: u64,
    /// Response bytes.
    pub bytes_down: u64,
    /// Documents the hub refused on the way (each recovered on the device:
    /// see [`crate::Store::sync_refusals`]).
    pub refusals: u32,
}

/// Syncs `device` with `hub` in-process (the transport is a function call)
/// until a round reports done, at most `max_round_trips`. For tests, the
/// demo and benchmarks; apps pass the frames over HTTP instead.
pub fn sync_in_process(
    device: &crate::Store,
    hub: &crate::Store,
    scope: &DeviceScope,
    max_round_trips: u32,
) -> crate::Result<SyncReport> {
    let mut report = SyncReport::default();
    loop {
        let request = device.sync_request()?;
        // A refusal is an answer too: the device turns it into compensating
        // changes and the next request goes through.
        let response = match hub.hub_handle(scope, &request) {
            Ok(r) => r,
            Err(crate::Error::Sync(SyncError::Rejected(r))) => r.frame,
            Err(e) => return Err(e),
        };
        report.round_trips += 1;
        report.bytes_up += request.len() as u64;
        report.bytes_down += response.len() as u64;
        let round = device.sync_apply(&response)?;
        report.refusals += round.refused.len() as u32;
        if round.done {
            return Ok(report);
        }
        if report.round_trips >= max_round_trips {
            return Err(crate::Error::validation("sync", format!("not quiescent after {max_round_trips} round trips")));
        }
    }
}
