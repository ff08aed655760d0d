//! A whole sync in one call (ADR 27): rounds until quiescent, request
//! bodies gzip-compressed, retries with backoff and jitter, resumption
//! after a dropped connection, cancellation, progress, and one typed
//! outcome. The bytes travel through a [`Transport`] the platform
//! implements (OkHttp, `URLSession`, `urllib`, ureq in the command line),
//! so TLS, proxies and certificate pinning stay the platform's; the core
//! opens no socket and links no HTTP library. It reads the hub's answers
//! by their status codes and a few headers, the hub's protocol as
//! `docs/sync.md` describes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::MAX_FRAME_BYTES;
use super::device::SyncRefusal;
use crate::Store;

/// The content type of sync frames.
pub const SYNC_CONTENT_TYPE: &str = "application/x-onsite-sync";
/// The answer header that hands the device its next token (ADR 23).
pub const NEXT_TOKEN_HEADER: &str = "x-onsite-next-token";
/// When that next token expires (RFC 3339).
pub const NEXT_TOKEN_EXPIRES_HEADER: &str = "x-onsite-next-token-expires";
/// The path of the sync endpoint under the hub's URL.
pub const SYNC_PATH: &str = "/v1/sync";
/// The path of the file transfer endpoint (ADR 29).
pub const BLOB_PATH: &str = "/v1/blobs";
/// The content type of file transfer frames.
pub const BLOB_CONTENT_TYPE: &str = "application/x-onsite-blob";
/// Request bodies above this size are sent gzip-compressed.
const COMPRESS_ABOVE: usize = 1024;

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Header {
    /// The name, lower case.
    pub name: String,
    /// The value.
    pub value: String,
}

/// What the transport posts: to `url`, with these headers, this body. It
/// carries the device token (`authorization`): never log it whole (its
/// `Debug` hides the header's value).
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransportRequest {
    /// The hub's sync URL.
    pub url: String,
    /// `authorization`, `content-type`, `content-encoding` when compressed,
    /// `accept-encoding`.
    pub headers: Vec<Header>,
    /// The body (the frame, maybe gzip-compressed).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for TransportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.as_str(),
                    if h.name.eq_ignore_ascii_case("authorization") { "<redacted>" } else { h.value.as_str() },
                )
            })
            .collect();
        f.debug_struct("TransportRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .finish()
    }
}

/// What the hub answered, as the transport received it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransportResponse {
    /// The HTTP status.
    pub status: u16,
    /// The answer's headers (names in any case).
    pub headers: Vec<Header>,
    /// The body as received (inflated by the platform or not: both are read).
    pub body: Vec<u8>,
}

/// Why the transport could not deliver a request: the platform says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportFailure {
    /// No connection: no network, the host unreachable, refused, or the
    /// connection dropped before an answer arrived. Retried.
    #[error("offline: {0}")]
    Offline(String),
    /// The request or its answer took too long. Retried.
    #[error("timed out: {0}")]
    Timeout(String),
    /// TLS failed (a certificate not trusted, a pin not matched): not
    /// retried, it will not heal by itself.
    #[error("TLS: {0}")]
    Tls(String),
    /// The app cancelled the call.
    #[error("cancelled")]
    Cancelled,
    /// The transport itself failed (a bug in it, an unexpected exception):
    /// not retried.
    #[error("transport failed: {0}")]
    Failed(String),
}

/// Carries one request to the hub and returns its answer. Implementations
/// block the calling thread (the driver runs on a background thread) and
/// follow no redirects.
pub trait Transport: Send + Sync {
    /// Posts `request` and returns the answer, whatever its status.
    fn post(&self, request: TransportRequest) -> Result<TransportResponse, TransportFailure>;
}

/// How far a sync has come, after each round trip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncProgress {
    /// Round trips answered.
    pub round_trips: u32,
    /// Documents offered to the hub.
    pub documents_sent: u32,
    /// Documents the hub sent a message for.
    pub documents_received: u32,
    /// Products received.
    pub products_received: u32,
    /// Bytes sent (as on the wire).
    pub bytes_up: u64,
    /// Bytes received.
    pub bytes_down: u64,
    /// The hub has more: another round trip follows.
    pub more: bool,
}

/// What the app hears while a sync runs.
pub trait SyncListener: Send + Sync {
    /// After every round trip (for a progress bar).
    fn progress(&self, progress: SyncProgress);
    /// The hub handed over the device's next token: keep it (the old one
    /// stops working once the next request used this one).
    fn token_rotated(&self, token: String, expires_at: String);
}

/// How one sync run behaves; the defaults suit a phone. Holds the token:
/// its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncSettings {
    /// The hub's base URL (`https://hub.example.com`); the sync path is added.
    pub hub_url: String,
    /// The device token (`ost_…`).
    pub token: String,
    /// Most round trips in one run before it stops with `Server` (a hub
    /// that never quiesces); default 500.
    pub max_round_trips: u32,
    /// Most attempts in a row that fail (offline, timeouts, 5xx, busy)
    /// before the run gives up; default 6.
    pub max_attempts: u32,
    /// The first wait before a retry, in milliseconds; it doubles up to
    /// `max_backoff_ms`, each wait drawn between half and all of it.
    pub initial_backoff_ms: u64,
    /// The longest wait between attempts, in milliseconds (also the cap on
    /// a hub's `Retry-After`).
    pub max_backoff_ms: u64,
}

impl std::fmt::Debug for SyncSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSettings")
            .field("hub_url", &self.hub_url)
            .field("token", &"<redacted>")
            .field("max_round_trips", &self.max_round_trips)
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff_ms", &self.initial_backoff_ms)
            .field("max_backoff_ms", &self.max_backoff_ms)
            .finish()
    }
}

impl SyncSettings {
    /// The defaults for `hub_url` and `token`.
    pub fn new(hub_url: &str, token: &str) -> SyncSettings {
        SyncSettings {
            hub_url: hub_url.to_string(),
            token: token.to_string(),
            max_round_trips: 500,
            max_attempts: 6,
            initial_backoff_ms: 250,
            max_backoff_ms: 8_000,
        }
    }
}

/// A finished sync. Holds the token in use: its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncSummary {
    /// The last progress (round trips, documents, bytes).
    pub progress: SyncProgress,
    /// Attempts that failed and were retried on the way.
    pub retries: u32,
    /// Changes the hub refused (each recovered here; also in
    /// [`Store::sync_refusals`]).
    pub refused: Vec<SyncRefusal>,
    /// The catalog sequence afterwards.
    pub catalog_seq: i64,
    /// The token in use at the end (the rotated one, if the hub handed one over).
    pub token: String,
    /// Files moved after the documents (ADR 29).
    pub files: FileTransfer,
}

/// The files of one sync: uploads of what was attached here, then what
/// the device prefetches (open quotes' attachments, product thumbnails).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FileTransfer {
    /// Files the hub now holds.
    pub uploaded: u32,
    /// Files now held whole here.
    pub downloaded: u32,
    /// Bytes sent (chunks).
    pub bytes_up: u64,
    /// Bytes received (chunks).
    pub bytes_down: u64,
    /// Uploads the hub refused (kept here, not retried).
    pub refused: u32,
    /// Prefetches left out: the storage budget is full of files that may
    /// not be evicted, or the hub does not hold them (yet).
    pub skipped: u32,
}

impl std::fmt::Debug for SyncSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSummary")
            .field("progress", &self.progress)
            .field("retries", &self.retries)
            .field("refused", &self.refused)
            .field("catalog_seq", &self.catalog_seq)
            .field("token", &"<redacted>")
            .field("files", &self.files)
            .finish()
    }
}

/// Why the hub did not accept the device's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AuthProblem {
    /// Unknown or revoked: the back office must register the device again.
    Revoked,
    /// Expired: the back office issues a new token for the same device.
    Expired,
}

/// Why a sync stopped, as a UI acts on it. Local data is intact in every case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error))]
pub enum SyncFailure {
    /// No connection after every attempt: try again when online.
    #[error("offline: {detail} (after {attempts} attempts)")]
    Offline {
        /// The platform's last word.
        detail: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The token was refused: ask the back office.
    #[error("not authorized: {detail}")]
    Unauthorized {
        /// Revoked or expired.
        problem: AuthProblem,
        /// The hub's message.
        detail: String,
    },
    /// The device was reported lost: delete its data and key, then report.
    #[error("this device was reported lost: {detail}")]
    Wipe {
        /// The hub's message.
        detail: String,
    },
    /// The hub refused the request for a reason that retrying will not
    /// change (out of scope, a malformed frame, too large); its code and
    /// message say which.
    #[error("refused by the hub ({code}): {detail}")]
    Refused {
        /// The hub's code (`out_of_scope`, `bad_frame`, `too_large`, …).
        code: String,
        /// Its message.
        detail: String,
    },
    /// This app is too old for the hub: update it, then sync.
    #[error("update the app: {detail}")]
    UpgradeRequired {
        /// The hub's message.
        detail: String,
    },
    /// The hub failed (5xx after every attempt) or did not quiesce.
    #[error("hub error {status}: {detail}")]
    Server {
        /// The status (0 when the run did not quiesce).
        status: u16,
        /// What it said.
        detail: String,
    },
    /// TLS failed: a certificate or pin the platform did not accept.
    #[error("TLS: {detail}")]
    Tls {
        /// The platform's words.
        detail: String,
    },
    /// The app cancelled the sync; what was applied stays applied.
    #[error("cancelled")]
    Cancelled,
    /// The platform's transport failed in a way it did not classify.
    #[error("transport failed: {detail}")]
    Transport {
        /// Its words.
        detail: String,
    },
    /// The local store failed (disk full, a damaged file): see the detail.
    #[error("local store: {detail}")]
    Local {
        /// The store's error.
        detail: String,
    },
}

/// A flag the app sets to stop a running sync at the next safe point
/// (between round trips and during waits). Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag not set.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }
    /// Asks the sync to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// Whether it was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What one answer means for the run (public for the fuzz target).
#[derive(Debug)]
pub enum Verdict {
    /// A frame to apply (a response, or a refusal frame).
    Frame(Vec<u8>),
    /// Worth another attempt, after at least this long.
    Retry {
        /// What went wrong.
        why: SyncFailure,
        /// The hub's `Retry-After`, if it sent one.
        after: Option<Duration>,
    },
    /// Stop with this.
    Stop(SyncFailure),
}

fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// The hub's `{"error": code, "message": …}`, or the body's first words.
fn hub_words(body: &[u8]) -> (String, String) {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| json.as_ref().and_then(|v| v.get(k)).and_then(|v| v.as_str()).map(str::to_string);
    let code = field("error").unwrap_or_default();
    let message = field("message").unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    (code, message)
}

/// Reads one answer of the hub: a frame to apply, a failure worth another
/// attempt, or one to stop with. Never panics, whatever the bytes.
pub fn judge(resp: TransportResponse) -> Verdict {
    let is_frame = header(&resp.headers, "content-type")
        .is_some_and(|v| v.starts_with(SYNC_CONTENT_TYPE) || v.starts_with(BLOB_CONTENT_TYPE));
    let mut body = resp.body;
    if super::gzip::is_gzip(&body) {
        match super::gzip::decompress(&body, MAX_FRAME_BYTES) {
            Some(b) => body = b,
            None => {
                return Verdict::Retry {
                    why: SyncFailure::Server { status: resp.status, detail: "the answer does not inflate".into() },
                    after: None,
                };
            }
        }
    }
    let retry_after =
        header(&resp.headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
    match resp.status {
        200 if is_frame => Verdict::Frame(body),
        409 if is_frame => Verdict::Frame(body),
        status => {
            let (code, detail) = hub_words(&body);
            match (status, code.as_str()) {
                (200, _) => Verdict::Stop(SyncFailure::Server {
                    status,
                    detail: "the answer is not a sync frame (a proxy or captive portal?)".into(),
                }),
                // The previous answer was lost after the hub applied it:
                // the next request starts a new session (nothing doubled).
                (409, "replayed") => Verdict::Retry { why: SyncFailure::Server { status, detail }, after: None },
                (401, "token_expired") => {
                    Verdict::Stop(SyncFailure::Unauthorized { problem: AuthProblem::Expired, detail })
                }
                (401, _) => Verdict::Stop(SyncFailure::Unauthorized { problem: AuthProblem::Revoked, detail }),
                (410, _) => Verdict::Stop(SyncFailure::Wipe { detail }),
                (426, _) => Verdict::Stop(SyncFailure::UpgradeRequired { detail }),
                (408 | 429 | 502 | 503 | 504, _) | (500..=599, _) => {
                    Verdict::Retry { why: SyncFailure::Server { status, detail }, after: retry_after }
                }
                (_, code) => Verdict::Stop(SyncFailure::Refused {
                    code: if code.is_empty() { format!("http_{status}") } else { code.to_string() },
                    detail,
                }),
            }
        }
    }
}

/// A random fraction in [0.5, 1): "equal jitter", so devices that lost the
/// hub at the same moment do not come back at the same moment.
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    let r = getrandom::fill(&mut b).map(|()| u32::from_le_bytes(b)).unwrap_or(0x8000_0000);
    0.5 + f64::from(r) / (f64::from(u32::MAX) * 2.0 + 2.0)
}

/// The wait before attempt `failures + 1`.
fn backoff(settings: &SyncSettings, failures: u32, at_least: Option<Duration>) -> Duration {
    let cap = settings.max_backoff_ms.max(1);
    let base = settings.initial_backoff_ms.max(1).saturating_mul(1u64 << failures.saturating_sub(1).min(20)).min(cap);
    let drawn = Duration::from_millis((base as f64 * jitter()) as u64);
    match at_least {
        Some(a) => drawn.max(a.min(Duration::from_millis(cap))),
        None => drawn,
    }
}

/// Sleeps `d` in short slices; `false` when cancelled meanwhile.
fn wait(d: Duration, cancel: &CancelFlag) -> bool {
    let slice = Duration::from_millis(20);
    let mut left = d;
    while !left.is_zero() {
        if cancel.is_cancelled() {
            return false;
        }
        let s = left.min(slice);
        std::thread::sleep(s);
        left -= s;
    }
    !cancel.is_cancelled()
}

fn local(e: &crate::Error) -> SyncFailure {
    SyncFailure::Local { detail: e.to_string() }
}

/// Syncs `store` with its hub until quiescent. Every round trip is applied
/// in one transaction, so a cut connection, a hub restart or a cancel at
/// any moment loses nothing: the next request starts from what both sides
/// are known to share. The outcome is recorded for [`Store::sync_health`].
pub fn sync(
    store: &Store,
    transport: &dyn Transport,
    settings: &SyncSettings,
    listener: Option<&dyn SyncListener>,
    cancel: &CancelFlag,
) -> Result<SyncSummary, SyncFailure> {
    let _ = store.note_sync_attempt();
    let outcome = run(store, transport, settings, listener, cancel);
    let _ = match &outcome {
        Ok(_) => store.note_sync_success(),
        Err(SyncFailure::Cancelled) => Ok(()),
        Err(e) => store.note_sync_failure(&e.to_string()),
    };
    outcome
}

fn run(
    store: &Store,
    transport: &dyn Transport,
    settings: &SyncSettings,
    listener: Option<&dyn SyncListener>,
    cancel: &CancelFlag,
) -> Result<SyncSummary, SyncFailure> {
    let url = format!("{}{SYNC_PATH}", settings.hub_url.trim_end_matches('/'));
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(SyncFailure::Refused {
            code: "bad_url".into(),
            detail: "the hub URL must start with https:// or http://".into(),
        });
    }
    // A successor the store kept from an earlier sync wins over the app's
    // token (which the hub no longer accepts once the successor was used).
    let mut token = store.current_token(&settings.token).unwrap_or_else(|_| settings.token.clone());
    let mut progress = SyncProgress::default();
    let mut refused = Vec::new();
    let mut retries = 0u32;
    let mut failures = 0u32;
    loop {
        if cancel.is_cancelled() {
            return Err(SyncFailure::Cancelled);
        }
        let frame = store.sync_request().map_err(|e| local(&e))?;
        let offered = super::frame::entry_count(&frame).unwrap_or(0);
        let mut headers = vec![
            Header { name: "authorization".into(), value: format!("Bearer {token}") },
            Header { name: "content-type".into(), value: SYNC_CONTENT_TYPE.into() },
            Header { name: "accept-encoding".into(), value: "gzip".into() },
        ];
        let body = if frame.len() > COMPRESS_ABOVE {
            headers.push(Header { name: "content-encoding".into(), value: "gzip".into() });
            super::gzip::compress(&frame)
        } else {
            frame
        };
        let sent = body.len() as u64;
        let verdict = match transport.post(TransportRequest { url: url.clone(), headers, body }) {
            Ok(resp) => {
                let next = header(&resp.headers, NEXT_TOKEN_HEADER).map(str::to_string);
                let expires = header(&resp.headers, NEXT_TOKEN_EXPIRES_HEADER).unwrap_or_default().to_string();
                let received = resp.body.len() as u64;
                let verdict = judge(resp);
                if let Verdict::Frame(_) = &verdict {
                    progress.bytes_up += sent;
                    progress.bytes_down += received;
                    // Switched to only once kept: until the new token is
                    // used, the old one works, so a failed write costs nothing.
                    if let Some(next) = next.filter(|t| well_formed_token(t) && *t != token)
                        && store.note_rotation(&token, &next, &expires).is_ok()
                    {
                        token = next.clone();
                        if let Some(l) = listener {
                            l.token_rotated(next, expires);
                        }
                    }
                }
                verdict
            }
            Err(TransportFailure::Cancelled) => return Err(SyncFailure::Cancelled),
            Err(TransportFailure::Tls(detail)) => Verdict::Stop(SyncFailure::Tls { detail }),
            Err(TransportFailure::Failed(detail)) => Verdict::Stop(SyncFailure::Transport { detail }),
            Err(TransportFailure::Offline(detail) | TransportFailure::Timeout(detail)) => {
                Verdict::Retry { why: SyncFailure::Offline { detail, attempts: failures + 1 }, after: None }
            }
        };
        match verdict {
            Verdict::Frame(answer) => {
                failures = 0;
                let round = store.sync_apply(&answer).map_err(|e| match e {
                    crate::Error::Sync(super::SyncError::Frame(super::FrameError::Version { .. })) => {
                        SyncFailure::UpgradeRequired { detail: e.to_string() }
                    }
                    e => local(&e),
                })?;
                progress.round_trips += 1;
                progress.documents_sent += offered;
                progress.documents_received += round.docs_received;
                progress.products_received += round.products_received;
                progress.more = !round.done;
                refused.extend(round.refused);
                if let Some(l) = listener {
                    l.progress(progress);
                }
                if round.done {
                    let files = transfer_files(store, transport, settings, &token, cancel, &mut retries)?;
                    return Ok(SyncSummary {
                        progress,
                        retries,
                        refused,
                        catalog_seq: round.catalog_seq,
                        token,
                        files,
                    });
                }
                if progress.round_trips >= settings.max_round_trips {
                    return Err(SyncFailure::Server {
                        status: 0,
                        detail: format!("not finished after {} round trips", settings.max_round_trips),
                    });
                }
            }
            Verdict::Retry { why, after } => {
                failures += 1;
                if failures >= settings.max_attempts.max(1) {
                    return Err(match why {
                        SyncFailure::Offline { detail, .. } => SyncFailure::Offline { detail, attempts: failures },
                        other => other,
                    });
                }
                retries += 1;
                if !wait(backoff(settings, failures, after), cancel) {
                    return Err(SyncFailure::Cancelled);
                }
            }
            Verdict::Stop(why) => return Err(why),
        }
    }
}

/// Posts one blob request until it has an answer: `Ok(Ok(body))` an
/// answer, `Ok(Err(_))` the hub's refusal of this request (the next file
/// may still go), `Err` a failure that stops the sync.
fn exchange(
    transport: &dyn Transport,
    url: &str,
    token: &str,
    body: Vec<u8>,
    settings: &SyncSettings,
    cancel: &CancelFlag,
    retries: &mut u32,
) -> Result<Result<Vec<u8>, SyncFailure>, SyncFailure> {
    let mut failures = 0u32;
    loop {
        if cancel.is_cancelled() {
            return Err(SyncFailure::Cancelled);
        }
        let headers = vec![
            Header { name: "authorization".into(), value: format!("Bearer {token}") },
            Header { name: "content-type".into(), value: BLOB_CONTENT_TYPE.into() },
        ];
        let verdict = match transport.post(TransportRequest { url: url.to_string(), headers, body: body.clone() }) {
            Ok(resp) => judge(resp),
            Err(TransportFailure::Cancelled) => return Err(SyncFailure::Cancelled),
            Err(TransportFailure::Tls(detail)) => Verdict::Stop(SyncFailure::Tls { detail }),
            Err(TransportFailure::Failed(detail)) => Verdict::Stop(SyncFailure::Transport { detail }),
            Err(TransportFailure::Offline(detail) | TransportFailure::Timeout(detail)) => {
                Verdict::Retry { why: SyncFailure::Offline { detail, attempts: failures + 1 }, after: None }
            }
        };
        match verdict {
            Verdict::Frame(answer) => return Ok(Ok(answer)),
            Verdict::Stop(why @ SyncFailure::Refused { .. }) => return Ok(Err(why)),
            Verdict::Stop(why) => return Err(why),
            Verdict::Retry { why, after } => {
                failures += 1;
                if failures >= settings.max_attempts.max(1) {
                    return Err(match why {
                        SyncFailure::Offline { detail, .. } => SyncFailure::Offline { detail, attempts: failures },
                        other => other,
                    });
                }
                *retries += 1;
                if !wait(backoff(settings, failures, after), cancel) {
                    return Err(SyncFailure::Cancelled);
                }
            }
        }
    }
}

fn blob_url(settings: &SyncSettings) -> String {
    format!("{}{BLOB_PATH}", settings.hub_url.trim_end_matches('/'))
}

/// Uploads what was attached here, then prefetches what the device keeps
/// (ADR 29): small files many to a round trip, others one chunk per round
/// trip, so a cut continues at the next chunk.
fn transfer_files(
    store: &Store,
    transport: &dyn Transport,
    settings: &SyncSettings,
    token: &str,
    cancel: &CancelFlag,
    retries: &mut u32,
) -> Result<FileTransfer, SyncFailure> {
    let url = blob_url(settings);
    let mut files = FileTransfer::default();
    while let Some(out) = store.blob_upload_request().map_err(|e| local(&e))? {
        let sent = out.bytes.len() as u64;
        match exchange(transport, &url, token, out.bytes, settings, cancel, retries)? {
            Ok(answer) => {
                files.bytes_up += sent;
                store.blob_upload_apply(&out.hash, &answer).map_err(|e| local(&e))?;
                if !store.blob_pending(&out.hash).map_err(|e| local(&e))? {
                    files.uploaded += 1;
                }
            }
            Err(why) => {
                files.refused += 1;
                store.blob_upload_refused(&out.hash, &why.to_string()).map_err(|e| local(&e))?;
            }
        }
    }
    // Small files (thumbnails, the logo) many to a round trip; the rest,
    // and what did not fit an answer, chunk by chunk.
    let wanted = store.blob_prefetch().map_err(|e| local(&e))?;
    let (mut small, mut large): (Vec<_>, Vec<_>) =
        wanted.into_iter().partition(|w| w.size <= super::blob_frame::BATCH_BYTES as u64);
    while let Some((asked, body)) =
        store.blob_batch_request(&mut small, &mut large, &mut files.skipped).map_err(|e| local(&e))?
    {
        let answer = match exchange(transport, &url, token, body, settings, cancel, retries)? {
            Ok(a) => a,
            // A hub that does not batch: one file at a time.
            Err(_) => {
                large.extend(asked);
                large.append(&mut small);
                break;
            }
        };
        files.bytes_down += answer.len() as u64;
        let fetched = store.blob_batch_apply(&asked, &answer).map_err(|e| local(&e))?;
        for (want, f) in asked.into_iter().zip(fetched) {
            match f {
                super::blobs::Fetched::Done => files.downloaded += 1,
                super::blobs::Fetched::NotFound => files.skipped += 1,
                super::blobs::Fetched::More => large.push(want),
            }
        }
    }
    for want in large {
        match fetch_into(store, transport, settings, token, &want, cancel, retries, &mut files)? {
            Some(_) => files.downloaded += 1,
            None => files.skipped += 1,
        }
    }
    Ok(files)
}

/// Downloads one blob chunk by chunk; `None` when it cannot be held (the
/// budget) or the hub does not hold it for this device.
#[allow(clippy::too_many_arguments)]
fn fetch_into(
    store: &Store,
    transport: &dyn Transport,
    settings: &SyncSettings,
    token: &str,
    want: &crate::blob::BlobRef,
    cancel: &CancelFlag,
    retries: &mut u32,
    files: &mut FileTransfer,
) -> Result<Option<()>, SyncFailure> {
    let url = blob_url(settings);
    loop {
        let out = match store.blob_download_request(want) {
            Ok(Some(out)) => out,
            Ok(None) => return Ok(Some(())),
            Err(crate::Error::Conflict { .. }) => return Ok(None),
            Err(e) => return Err(local(&e)),
        };
        let answer = match exchange(transport, &url, token, out.bytes, settings, cancel, retries)? {
            Ok(a) => a,
            Err(_) => return Ok(None),
        };
        files.bytes_down += answer.len() as u64;
        match store.blob_download_apply(&want.hash, &answer) {
            Ok(super::blobs::Fetched::More) => {}
            Ok(super::blobs::Fetched::Done) => return Ok(Some(())),
            Ok(super::blobs::Fetched::NotFound) => return Ok(None),
            Err(e) => return Err(local(&e)),
        }
    }
}

/// Fetches one file from the hub on demand (a full product image, an
/// attachment), resuming a partial download, and returns its bytes.
pub fn fetch_file(
    store: &Store,
    transport: &dyn Transport,
    settings: &SyncSettings,
    want: &crate::blob::BlobRef,
    cancel: &CancelFlag,
) -> Result<Vec<u8>, SyncFailure> {
    if let Ok(bytes) = store.blob(&want.hash) {
        return Ok(bytes);
    }
    let token = store.current_token(&settings.token).unwrap_or_else(|_| settings.token.clone());
    let mut retries = 0;
    let mut files = FileTransfer::default();
    match fetch_into(store, transport, settings, &token, want, cancel, &mut retries, &mut files)? {
        Some(()) => store.blob(&want.hash).map_err(|e| local(&e)),
        None => Err(SyncFailure::Refused {
            code: "not_found".into(),
            detail: "the hub holds no such file for this device, or the storage budget is full".into(),
        }),
    }
}

/// The shape of an Onsite token (`ost_` and 64 hexadecimal digits), so a
/// header mangled on the way is never kept as the device's token.
fn well_formed_token(t: &str) -> bool {
    t.strip_prefix("ost_").is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> TransportResponse {
        TransportResponse {
            status,
            headers: headers.iter().map(|(n, v)| Header { name: (*n).into(), value: (*v).into() }).collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn answers_are_judged_by_status_and_code() {
        let frame = [("Content-Type", SYNC_CONTENT_TYPE)];
        assert!(matches!(judge(answer(200, &frame, b"OSYN")), Verdict::Frame(b) if b == b"OSYN"));
        assert!(matches!(judge(answer(409, &frame, b"OSYN")), Verdict::Frame(_)), "a refusal frame is applied");
        let json = |code: &str| format!(r#"{{"error":"{code}","message":"m"}}"#).into_bytes();
        assert!(matches!(
            judge(answer(401, &[], &json("token_expired"))),
            Verdict::Stop(SyncFailure::Unauthorized { problem: AuthProblem::Expired, .. })
        ));
        assert!(matches!(
            judge(answer(401, &[], &json("unauthenticated"))),
            Verdict::Stop(SyncFailure::Unauthorized { problem: AuthProblem::Revoked, .. })
        ));
        assert!(matches!(judge(answer(410, &[], &json("wipe"))), Verdict::Stop(SyncFailure::Wipe { .. })));
        assert!(matches!(
            judge(answer(426, &[], &json("upgrade_required"))),
            Verdict::Stop(SyncFailure::UpgradeRequired { .. })
        ));
        assert!(matches!(
            judge(answer(403, &[], &json("out_of_scope"))),
            Verdict::Stop(SyncFailure::Refused { code, .. }) if code == "out_of_scope"
        ));
        assert!(matches!(judge(answer(409, &[], &json("replayed"))), Verdict::Retry { .. }));
        assert!(matches!(
            judge(answer(503, &[("Retry-After", "3")], &json("busy"))),
            Verdict::Retry { after: Some(d), .. } if d == Duration::from_secs(3)
        ));
        assert!(matches!(judge(answer(500, &[], b"")), Verdict::Retry { .. }));
        assert!(
            matches!(
                judge(answer(200, &[("content-type", "text/html")], b"<html>")),
                Verdict::Stop(SyncFailure::Server { .. })
            ),
            "a captive portal's page is not applied"
        );
        assert!(matches!(
            judge(answer(418, &[], b"teapot")),
            Verdict::Stop(SyncFailure::Refused { code, .. }) if code == "http_418"
        ));
        // A compressed answer the platform passed through is inflated.
        let packed = super::super::gzip::compress(b"OSYN frame");
        assert!(matches!(judge(answer(200, &frame, &packed)), Verdict::Frame(b) if b == b"OSYN frame"));
    }

    #[test]
    fn backoff_doubles_within_its_cap_with_jitter() {
        let s = SyncSettings { initial_backoff_ms: 100, max_backoff_ms: 1_000, ..SyncSettings::new("http://h", "t") };
        for _ in 0..50 {
            let first = backoff(&s, 1, None);
            assert!((50..=100).contains(&first.as_millis()), "{first:?}");
            let third = backoff(&s, 3, None);
            assert!((200..=400).contains(&third.as_millis()), "{third:?}");
            let late = backoff(&s, 40, None);
            assert!((500..=1_000).contains(&late.as_millis()), "capped: {late:?}");
            let told = backoff(&s, 1, Some(Duration::from_secs(60)));
            assert_eq!(told, Duration::from_millis(1_000), "Retry-After is honoured up to the cap");
        }
        let draws: std::collections::HashSet<u128> = (0..20).map(|_| backoff(&s, 4, None).as_millis()).collect();
        assert!(draws.len() > 1, "the waits are spread: {draws:?}");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let secret = format!("ost_{}", "ab".repeat(32));
        let settings = SyncSettings::new("https://hub", &secret);
        let request = TransportRequest {
            url: "https://hub/v1/sync".into(),
            headers: vec![Header { name: "authorization".into(), value: format!("Bearer {secret}") }],
            body: vec![1, 2, 3],
        };
        let summary = SyncSummary {
            progress: SyncProgress::default(),
            retries: 0,
            refused: vec![],
            catalog_seq: 0,
            token: secret.clone(),
            files: FileTransfer::default(),
        };
        for shown in [format!("{settings:?}"), format!("{request:?}"), format!("{summary:?}")] {
            assert!(!shown.contains(&secret) && shown.contains("<redacted>"), "{shown}");
        }
    }

    #[test]
    fn only_well_formed_tokens_are_kept() {
        assert!(well_formed_token(&format!("ost_{}", "a0".repeat(32))));
        assert!(!well_formed_token("ost_short"));
        assert!(!well_formed_token(&format!("ost_{}\r\n", "a".repeat(62))));
        assert!(!well_formed_token(&format!("xyz_{}", "a".repeat(64))));
    }

    /// What the fault-injecting transport does with one call.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Fault {
        /// Deliver and answer.
        None,
        /// Fail before the hub sees the request.
        Refused,
        /// The hub applies the request; its answer is lost on the way.
        AnswerLost,
        /// Answer 503 with a Retry-After of 0.
        Busy,
        /// Answer 401 as for a revoked token.
        Revoked,
    }

    /// The hub role in-process behind the statuses the HTTP hub answers
    /// with, and a script of faults per call (the real HTTP hub is tested in
    /// the bindings' and the command line's tests).
    struct InProcess {
        hub: Store,
        scope: crate::sync::DeviceScope,
        faults: std::sync::Mutex<Vec<Fault>>,
        calls: std::sync::atomic::AtomicU32,
        gzip_seen: AtomicBool,
        cancel_on_call: Option<(u32, CancelFlag)>,
    }

    impl Transport for InProcess {
        fn post(&self, request: TransportRequest) -> Result<TransportResponse, TransportFailure> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some((at, flag)) = &self.cancel_on_call
                && *at == n
            {
                flag.cancel();
            }
            let fault = {
                let mut f = self.faults.lock().unwrap();
                if f.is_empty() { Fault::None } else { f.remove(0) }
            };
            assert_eq!(header(&request.headers, "authorization"), Some("Bearer tok"));
            let body = if header(&request.headers, "content-encoding") == Some("gzip") {
                self.gzip_seen.store(true, Ordering::SeqCst);
                super::super::gzip::decompress(&request.body, MAX_FRAME_BYTES).expect("a whole gzip member")
            } else {
                request.body
            };
            let frame = [("content-type", SYNC_CONTENT_TYPE)];
            match fault {
                Fault::Refused => return Err(TransportFailure::Offline("connection refused".into())),
                Fault::Busy => return Ok(answer(503, &[("retry-after", "0")], br#"{"error":"busy","message":"m"}"#)),
                Fault::Revoked => {
                    return Ok(answer(401, &[], br#"{"error":"unauthenticated","message":"unknown or revoked"}"#));
                }
                Fault::None | Fault::AnswerLost => {}
            }
            let out = match self.hub.hub_handle(&self.scope, &body) {
                Ok(r) => answer(200, &frame, &r),
                Err(crate::Error::Sync(crate::sync::SyncError::Rejected(r))) => answer(409, &frame, &r.frame),
                Err(crate::Error::Sync(crate::sync::SyncError::Replayed { .. })) => {
                    answer(409, &[], br#"{"error":"replayed","message":"m"}"#)
                }
                Err(e) => panic!("hub: {e}"),
            };
            if fault == Fault::AnswerLost {
                return Err(TransportFailure::Offline("connection reset".into()));
            }
            Ok(out)
        }
    }

    fn fast() -> SyncSettings {
        SyncSettings { initial_backoff_ms: 1, max_backoff_ms: 5, ..SyncSettings::new("http://hub.test", "tok") }
    }

    fn setup(faults: Vec<Fault>) -> (tempfile::TempDir, Store, InProcess) {
        let dir = tempfile::tempdir().unwrap();
        let hub = Store::open(dir.path().join("hub.sqlite"), crate::StoreOptions::default()).unwrap();
        let device = Store::open(
            dir.path().join("tablet.sqlite"),
            crate::StoreOptions { device_id: Some("tablet-1".into()), ..crate::StoreOptions::default() },
        )
        .unwrap();
        let scope = crate::sync::DeviceScope {
            role: crate::roles::DeviceRole::Rep,
            person: "rep-1".into(),
            ..crate::sync::DeviceScope::all("tablet-1")
        };
        let t = InProcess {
            hub,
            scope,
            faults: std::sync::Mutex::new(faults),
            calls: Default::default(),
            gzip_seen: AtomicBool::new(false),
            cancel_on_call: None,
        };
        (dir, device, t)
    }

    fn accounts(device: &Store, n: usize) {
        for i in 0..n {
            let mut a = crate::fixtures::account(&format!("acc-{i:03}"));
            a.assigned_rep = Some("rep-1".into());
            a.name = format!("Kunde {i} {}", "Maschinenbau ".repeat(8));
            device.save_account(&a).unwrap();
        }
    }

    #[test]
    fn a_sync_survives_lost_connections_and_lost_answers_without_doubling() {
        let (_d, device, t) = setup(vec![Fault::Refused, Fault::AnswerLost, Fault::Busy]);
        accounts(&device, 40);
        let cancel = CancelFlag::new();
        let done = sync(&device, &t, &fast(), None, &cancel).expect("synced");
        assert_eq!(done.retries, 3, "three failed attempts were retried");
        assert!(t.gzip_seen.load(Ordering::SeqCst), "the large first frame went compressed");
        // The answer lost after the hub applied it doubled nothing.
        let hub_accounts: i64 =
            t.hub.read(|c| Ok(c.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?)).unwrap();
        assert_eq!(hub_accounts, 40);
        let health = device.sync_health().unwrap();
        assert_eq!(health.pending_documents, 0, "{health:?}");
        assert!(health.last_success_at.is_some() && health.last_error.is_none(), "{health:?}");
        assert!(done.progress.documents_sent >= 40 && done.progress.bytes_up > 0, "{:?}", done.progress);
        // A second sync has nothing to send.
        let again = sync(&device, &t, &fast(), None, &cancel).unwrap();
        assert_eq!(again.progress.documents_sent, 0, "{:?}", again.progress);
    }

    #[test]
    fn pending_work_and_failures_are_on_the_health_record() {
        let (_d, device, t) = setup(vec![Fault::Refused; 3]);
        accounts(&device, 3);
        assert_eq!(device.sync_health().unwrap().pending_documents, 3);
        let settings = SyncSettings { max_attempts: 3, ..fast() };
        let e = sync(&device, &t, &settings, None, &CancelFlag::new()).unwrap_err();
        assert!(matches!(&e, SyncFailure::Offline { attempts: 3, .. }), "{e:?}");
        let h = device.sync_health().unwrap();
        assert_eq!(h.pending_documents, 3, "offered but never confirmed: still pending");
        assert_eq!(h.failures_in_a_row, 1);
        assert!(h.last_error.as_deref().is_some_and(|m| m.contains("offline")), "{h:?}");
        assert!(h.storage_bytes > 0);
        // Back online: everything arrives once.
        sync(&device, &t, &settings, None, &CancelFlag::new()).unwrap();
        let h = device.sync_health().unwrap();
        assert_eq!((h.pending_documents, h.failures_in_a_row, h.last_error), (0, 0, None));
    }

    #[test]
    fn a_revoked_token_stops_at_once_with_its_type() {
        let (_d, device, t) = setup(vec![Fault::Revoked]);
        accounts(&device, 1);
        let e = sync(&device, &t, &fast(), None, &CancelFlag::new()).unwrap_err();
        assert!(matches!(e, SyncFailure::Unauthorized { problem: AuthProblem::Revoked, .. }), "{e:?}");
        assert_eq!(t.calls.load(Ordering::SeqCst), 1, "not retried");
    }

    #[test]
    fn a_cancelled_sync_stops_at_the_next_safe_point_and_loses_nothing() {
        // Cancelled while the first failed attempt waits for its retry.
        let (_d, device, mut t) = setup(vec![Fault::Refused]);
        accounts(&device, 2);
        let cancel = CancelFlag::new();
        t.cancel_on_call = Some((1, cancel.clone()));
        let slow = SyncSettings { initial_backoff_ms: 60_000, max_backoff_ms: 60_000, ..fast() };
        assert_eq!(sync(&device, &t, &slow, None, &cancel).unwrap_err(), SyncFailure::Cancelled);
        assert_eq!(t.calls.load(Ordering::SeqCst), 1, "no attempt after the cancel");
        let cancel = CancelFlag::new();
        cancel.cancel();
        assert_eq!(sync(&device, &t, &fast(), None, &cancel).unwrap_err(), SyncFailure::Cancelled);
        let h = device.sync_health().unwrap();
        assert_eq!(h.failures_in_a_row, 0, "a cancel is no failure");
        sync(&device, &t, &fast(), None, &CancelFlag::new()).unwrap();
        assert_eq!(device.sync_health().unwrap().pending_documents, 0);
    }

    #[test]
    fn progress_and_a_rotated_token_reach_the_listener() {
        struct Seen(std::sync::Mutex<Vec<SyncProgress>>, std::sync::Mutex<Option<String>>);
        impl SyncListener for Seen {
            fn progress(&self, p: SyncProgress) {
                self.0.lock().unwrap().push(p);
            }
            fn token_rotated(&self, token: String, _: String) {
                *self.1.lock().unwrap() = Some(token);
            }
        }
        struct Rotating<'a>(&'a InProcess, String);
        impl Transport for Rotating<'_> {
            fn post(&self, mut r: TransportRequest) -> Result<TransportResponse, TransportFailure> {
                let auth = header(&r.headers, "authorization").unwrap().to_string();
                for h in &mut r.headers {
                    if h.name == "authorization" {
                        h.value = "Bearer tok".into();
                    }
                }
                let mut a = self.0.post(r)?;
                if auth == "Bearer tok" {
                    a.headers.push(Header { name: NEXT_TOKEN_HEADER.into(), value: self.1.clone() });
                } else {
                    assert_eq!(auth, format!("Bearer {}", self.1), "the next request uses the rotated token");
                }
                Ok(a)
            }
        }
        let (_d, device, t) = setup(vec![]);
        accounts(&device, 2);
        let next = format!("ost_{}", "7".repeat(64));
        let seen = Seen(Default::default(), Default::default());
        let done = sync(&device, &Rotating(&t, next.clone()), &fast(), Some(&seen), &CancelFlag::new()).unwrap();
        assert_eq!(done.token, next);
        assert_eq!(seen.1.lock().unwrap().as_deref(), Some(next.as_str()));
        // Kept in the store before it was used: an app that lost it (a
        // sync failing later, a listener that dropped it) gets it back, and
        // the next sync with the old token uses the new one by itself.
        assert_eq!(device.current_token("tok").unwrap(), next);
        device.save_account(&crate::fixtures::account("acc-late")).unwrap();
        let again = sync(&device, &Rotating(&t, next.clone()), &fast(), None, &CancelFlag::new()).unwrap();
        assert_eq!(again.token, next, "the old token led to its successor");
        let p = seen.0.lock().unwrap();
        assert_eq!(p.len() as u32, done.progress.round_trips);
        assert!(!p.last().unwrap().more && p.windows(2).all(|w| w[0].bytes_up <= w[1].bytes_up));
    }
}
