//! How the hub is configured: what it answers and how it bounds
//! connections. Plain values, read by the HTTP layer and the accept loop.

use std::net::IpAddr;
use std::time::Duration;

use onsite_core::pdf::Letterhead;
use onsite_core::sync::SyncLimits;

/// How long running requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How the hub answers.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// A request running longer is answered with 408.
    pub request_timeout: Duration,
    /// Frame sizes.
    pub limits: SyncLimits,
    /// Whether this listener terminates TLS (tokens accepted from anywhere).
    pub tls: bool,
    /// Write a log line per refusal and failed authentication to stderr.
    pub log: bool,
    /// The address customers reach the hub at (printed into PDFs the hub
    /// renders); `None` takes scheme and `Host` of each request.
    pub public_url: Option<String>,
    /// The seller shown on approval pages and hub-rendered PDFs.
    pub letterhead: Letterhead,
    /// The date the hub takes as today for link and quote validity and the
    /// transition rules; `None` (the default) is the local date. For tests.
    pub today: Option<chrono::NaiveDate>,
    /// Connection limits: head and handshake deadlines, how many, shutdown grace.
    pub connections: ConnectionLimits,
    /// A request body must arrive within this (else 408).
    pub body_timeout: Duration,
    /// Bytes all request bodies in flight may hold together, compressed
    /// and inflated (beyond it: 503 with `Retry-After`).
    pub memory_budget: usize,
    /// Proxies whose `X-Forwarded-For` is believed (and from which plain
    /// HTTP carries tokens, like loopback).
    pub trusted_proxies: Vec<IpAddr>,
    /// A separate address serving `/metrics` without a token (for
    /// Prometheus on an internal interface); on the main address
    /// `/metrics` needs an admin token.
    pub metrics_listen: Option<String>,
    /// Failed authentications an address may make per window before it is
    /// answered 429 (with `Retry-After`) until the window ends.
    pub auth_failures: (u32, Duration),
    /// How long a device token lives (default 90 days); a sync in its last
    /// third hands the device the next one (ADR 23).
    pub token_lifetime: chrono::Duration,
    /// A staged next token is handed out again (replaced) only when it has
    /// waited unused this long (default 1 hour): concurrent syncs of one
    /// device all keep a valid token.
    pub token_restage_after: chrono::Duration,
    /// How long a console sign-in lasts (default 8 hours); signing out
    /// ends it sooner, and so does revoking the admin device behind it.
    pub console_session: Duration,
}

impl HubConfig {
    pub(crate) fn today(&self) -> chrono::NaiveDate {
        self.today.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// What the registry keeps of a token issued now for a device in
    /// `role`: it expires after the token lifetime, except a back-office
    /// (admin) token, which never syncs and so is never rotated.
    pub fn token_secrets(
        &self,
        token: &str,
        role: onsite_core::roles::DeviceRole,
    ) -> onsite_core::devices::TokenSecrets {
        match role {
            onsite_core::roles::DeviceRole::Admin => onsite_core::devices::TokenSecrets::of(token),
            _ => onsite_core::devices::TokenSecrets::expiring(token, chrono::Utc::now() + self.token_lifetime),
        }
    }

    /// The hub's clock for the transition rules: noon of the configured
    /// day, or the real time.
    pub(crate) fn now(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.today.and_then(|d| d.and_hms_opt(12, 0, 0)).map(|t| t.and_utc())
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            request_timeout: Duration::from_secs(60),
            limits: SyncLimits::default(),
            tls: false,
            log: true,
            public_url: None,
            letterhead: Letterhead::default(),
            today: None,
            connections: ConnectionLimits::default(),
            body_timeout: Duration::from_secs(30),
            memory_budget: 256 << 20,
            trusted_proxies: Vec::new(),
            metrics_listen: None,
            auth_failures: (20, Duration::from_secs(60)),
            token_lifetime: chrono::Duration::days(i64::from(onsite_core::devices::DEFAULT_TOKEN_DAYS)),
            token_restage_after: chrono::Duration::hours(1),
            console_session: Duration::from_secs(8 * 3600),
        }
    }
}

/// How connections are bounded.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// The request head (request line and headers) must arrive within this.
    pub header_timeout: Duration,
    /// The TLS handshake must finish within this.
    pub handshake_timeout: Duration,
    /// Open connections at most; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// After a shutdown signal, running requests may finish within this;
    /// then every connection still open is closed.
    pub grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            max_connections: 4096,
            grace: SHUTDOWN_GRACE,
        }
    }
}
