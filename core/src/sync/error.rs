//! How a sync frame fails: its bytes ([`FrameError`]) or what it asks
//! ([`SyncError`], with the hub's refusals in a [`Rejection`]).

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
    /// A request of a version the hub no longer answers (ADR 28).
    #[error("this app speaks sync protocol {found}; the hub needs {oldest} or later: update the app")]
    TooOld {
        /// Version in the frame.
        found: u8,
        /// The oldest version answered.
        oldest: u8,
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
    pub refusals: Vec<crate::transition::refusal::Refusal>,
    /// The refusal frame to answer the device with.
    pub frame: Vec<u8>,
}

fn describe(refusals: &[crate::transition::refusal::Refusal]) -> String {
    match refusals {
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
        [] => "changes refused".into(),
    }
}
