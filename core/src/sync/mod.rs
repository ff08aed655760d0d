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

mod device;
pub mod frame;
pub mod hub;
mod roles;
mod state;
mod wire;

use std::collections::BTreeSet;

pub use device::{SyncRefusal, SyncRound};
pub use roles::DeviceRole;
pub use state::DocSync;

/// The frame format version this build speaks (2: discount documents and
/// refusal frames, ADR 17).
pub const PROTOCOL_VERSION: u8 = 2;
/// Largest frame accepted (32 MiB).
pub const MAX_FRAME_BYTES: usize = 32 << 20;
/// Most documents in one frame.
pub const MAX_ENTRIES: usize = 100_000;
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

/// What a frame's bytes got wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The bytes end in the middle of a field.
    #[error("the frame is truncated")]
    Truncated,
    /// A field holds something the format does not allow.
    #[error("malformed frame: {0}")]
    Malformed(&'static str),
    /// A length exceeds its limit.
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A protocol version this build does not speak.
    #[error("protocol version {found} is not supported (this build speaks {supported}); update the app")]
    Version {
        /// Version in the frame.
        found: u8,
        /// Version this build speaks.
        supported: u8,
    },
    /// A document id that is not one of ours.
    #[error("a document id in the frame is malformed")]
    BadDocId,
    /// An Automerge sync message that does not decode.
    #[error("an Automerge sync message does not decode: {0}")]
    BadMessage(String),
}

/// Why a frame was refused. Nothing of a refused frame is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The bytes are not a valid frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The frame names another device than the one authenticated.
    #[error("the frame is from another device")]
    WrongDevice,
    /// A request whose round was already handled (a replay), or a response
    /// to a request that is not the one waiting.
    #[error("replayed or out-of-order frame: round {round}, expected after {last}")]
    Replayed {
        /// The frame's round.
        round: u64,
        /// The last round handled.
        last: u64,
    },
    /// A response arrived while no request was waiting for one.
    #[error("no request is waiting for a response")]
    NoRequestWaiting,
    /// The frame touches a document outside the device's scope.
    #[error("document {doc} is outside this device's scope")]
    OutOfScope {
        /// The document.
        doc: String,
    },
    /// The hub refused changes of the frame by the transition rules
    /// (ADR 17): nothing of the frame was stored. `frame` is the refusal
    /// frame for the device, which [`crate::Store::sync_apply`] turns into
    /// compensating changes, so its next request goes through.
    #[error("{}", describe(&.0.refusals))]
    Rejected(Box<Rejection>),
    /// A document that cannot be merged or read as its record.
    #[error("change to {doc} refused: {reason}")]
    Refused {
        /// The document.
        doc: String,
        /// Why.
        reason: String,
    },
}

/// What the hub refused of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Every refused document with its reason.
    pub refusals: Vec<crate::transition::Refusal>,
    /// The refusal frame to answer the device with.
    pub frame: Vec<u8>,
}

fn describe(refusals: &[crate::transition::Refusal]) -> String {
    match refusals {
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
        [] => "changes refused".into(),
    }
}

/// What a device may see: set by the hub from the device's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceScope {
    /// The authenticated device.
    pub device_id: String,
    /// The person behind it, from the hub's registry: the transition rules
    /// compare names written into records with it.
    pub person: String,
    /// Accounts it may see; `None` for all (an admin).
    pub accounts: Option<BTreeSet<String>>,
    /// Whether product costs (the margin floor) are sent; never to customers.
    pub include_costs: bool,
    /// What the person behind the device may change.
    pub role: DeviceRole,
}

impl DeviceScope {
    /// Everything (the back office).
    pub fn all(device_id: &str) -> DeviceScope {
        DeviceScope {
            device_id: device_id.to_string(),
            person: String::new(),
            accounts: None,
            include_costs: true,
            role: DeviceRole::Admin,
        }
    }

    /// The actor the transition rules judge this device's changes as.
    pub fn actor(&self) -> crate::transition::Actor<'_> {
        crate::transition::Actor { role: Some(self.role), person: &self.person, device_id: &self.device_id }
    }

    /// Which reference data the device receives (ADR 17): the back office
    /// everything; a rep the group price lists and the customer-specific
    /// lists of their own accounts, the policy, and costs once they have
    /// an account to quote for; a customer only their own account's and
    /// group's prices, and never the policy, costs or marketing data.
    pub fn audience<'a>(&'a self, customer_group: Option<&'a str>) -> crate::catalog::CatalogAudience<'a> {
        use crate::catalog::CatalogAudience as A;
        match (self.role, &self.accounts) {
            (DeviceRole::Customer, _) => {
                A::Customer { customer: self.customer().unwrap_or_default(), group: customer_group }
            }
            (DeviceRole::Admin, _) | (DeviceRole::Rep, None) => A::Everything { costs: self.include_costs },
            (DeviceRole::Rep, Some(accounts)) => A::Rep { accounts, costs: self.include_costs && !accounts.is_empty() },
        }
    }

    /// Whether documents of `account_id` are visible.
    pub fn allows(&self, account_id: &str) -> bool {
        self.accounts.as_ref().is_none_or(|a| a.contains(account_id))
    }

    /// Whether a document of `kind` belonging to `account_id` is visible.
    pub fn allows_doc(&self, kind: crate::docs::DocKind, account_id: &str) -> bool {
        self.allows_kind(kind) && self.allows(account_id)
    }

    /// Whether documents of `kind` are visible at all: a customer never
    /// receives activities (the reps' notes) or discount requests (the
    /// reps' internal reasons and the back office's decisions).
    pub fn allows_kind(&self, kind: crate::docs::DocKind) -> bool {
        match self.role {
            DeviceRole::Customer => !matches!(kind, crate::docs::DocKind::Activities | crate::docs::DocKind::Discount),
            DeviceRole::Admin | DeviceRole::Rep => true,
        }
    }

    /// The customer's account, for a customer's device (its reference data
    /// leaves out other customers' price lists).
    pub fn customer(&self) -> Option<&str> {
        match (self.role, &self.accounts) {
            (DeviceRole::Customer, Some(a)) if a.len() == 1 => a.iter().next().map(String::as_str),
            _ => None,
        }
    }

    /// The scope the back office grants a registered device: an admin sees
    /// everything; a rep the accounts assigned to them (`assigned`); a
    /// customer their own account, without product costs.
    pub fn for_device(device: &crate::devices::DeviceRecord, assigned: BTreeSet<String>) -> DeviceScope {
        let (accounts, include_costs) = match device.role {
            DeviceRole::Admin => (None, true),
            DeviceRole::Rep => (Some(assigned), true),
            DeviceRole::Customer => (Some(device.account_id.iter().cloned().collect()), false),
        };
        DeviceScope {
            device_id: device.device_id.clone(),
            person: device.person.clone(),
            accounts,
            include_costs,
            role: device.role,
        }
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
