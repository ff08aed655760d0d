//! The hub's HTTP interface on axum: the sync endpoint, health and
//! metrics, and the back-office JSON API (documented in `docs/openapi.yaml`;
//! a test checks the two agree).
//!
//! Every database call runs on Tokio's blocking pool. A device token is
//! accepted over plain HTTP only from a loopback peer or a trusted proxy
//! (a TLS-terminating proxy, or tests); otherwise the hub must terminate TLS
//! itself.
//!
//! An unauthenticated peer costs almost nothing: its token is checked from
//! the headers before any body byte is read, failed authentications are
//! rate-limited per address, bodies are read within a deadline and
//! inflated within a per-request limit and a budget shared by all requests
//! in flight (ADR 17).
//!
//! This file holds the router, the shared state and the error answer;
//! `auth.rs` who is asking, `body.rs` bounded bodies, `sync.rs` the sync
//! endpoint, `admin.rs` the back-office API, `approval.rs` the customer's
//! approval page, `console.rs` the back office in a browser.

mod admin;
mod approval;
mod auth;
mod body;
mod console;
mod sync;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use onsite_core::sync::{FrameError, SyncError};
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use super::backend::Backend;
use super::config::HubConfig;
use super::log;
use super::metrics::Metrics;
use crate::error::Error;
use admin::{
    assign_accounts, decide_discount, erase_person, export_person, get_company, get_rep_profile, import_accounts,
    issue_device, list_devices, list_orders, list_quotes, mark_lost, publish_catalog, publish_company, publish_image,
    publish_policy, publish_rep_profile, reissue_token, revoke_device,
};
use approval::{approval_get, approval_pdf, approval_post};
use auth::{Admin, AuthLimiter};
use sync::{blobs, sync, whoami, wiped};

pub use approval::attachment;
pub use body::MAX_CATALOG_BYTES;
pub use sync::{BLOB_TYPE, NEXT_TOKEN, NEXT_TOKEN_EXPIRES, SYNC_TYPE};

/// Every endpoint, as `(method, path)`: what `docs/openapi.yaml` documents
/// (a test checks both ways, against a running hub).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("POST", "/v1/sync"),
    ("POST", "/v1/blobs"),
    ("POST", "/v1/wiped"),
    ("GET", "/v1/device"),
    ("POST", "/v1/admin/devices"),
    ("GET", "/v1/admin/devices"),
    ("POST", "/v1/admin/devices/{id}/revoke"),
    ("POST", "/v1/admin/devices/{id}/lost"),
    ("POST", "/v1/admin/devices/{id}/token"),
    ("POST", "/v1/admin/reps/{rep}/accounts"),
    ("POST", "/v1/admin/catalog"),
    ("PUT", "/v1/admin/images/{name}"),
    ("POST", "/v1/admin/accounts"),
    ("PUT", "/v1/admin/discount-policy"),
    ("PUT", "/v1/admin/company"),
    ("GET", "/v1/admin/company"),
    ("PUT", "/v1/admin/reps/{rep}/profile"),
    ("GET", "/v1/admin/reps/{rep}/profile"),
    ("GET", "/v1/admin/quotes"),
    ("POST", "/v1/admin/quotes/{id}/discount-decision"),
    ("GET", "/v1/admin/orders"),
    ("GET", "/v1/admin/persons/{id}"),
    ("POST", "/v1/admin/persons/{id}/erase"),
    ("GET", "/a/{link}"),
    ("POST", "/a/{link}"),
    ("GET", "/a/{link}/quote.pdf"),
    ("GET", "/console"),
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("POST", "/console/logout"),
    ("GET", "/console/quotes"),
    ("GET", "/console/orders"),
    ("GET", "/console/quotes/{id}"),
    ("POST", "/console/quotes/{id}/decision"),
    ("GET", "/console/quotes/{id}/quote.pdf"),
    ("GET", "/console/devices"),
    ("GET", "/console/catalog"),
    ("POST", "/console/catalog"),
    ("GET", "/console/campaigns"),
    ("GET", "/console/accounts"),
    ("GET", "/console/accounts/open"),
    ("GET", "/console/accounts/{id}"),
    ("POST", "/console/devices/{id}/{action}"),
];

#[derive(Clone)]
struct Hub {
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
    config: Arc<HubConfig>,
    /// The memory budget of request bodies in flight, in KiB permits.
    budget: Arc<Semaphore>,
    limiter: Arc<AuthLimiter>,
    /// The console's signed-in browsers (ADR 30).
    sessions: Arc<console::Sessions>,
}

/// An error answered as `{"error": code, "message": …}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = match (self.retry_after, self.status) {
            (Some(s), _) => Some(s),
            (None, StatusCode::SERVICE_UNAVAILABLE) => Some(1),
            _ => None,
        };
        let mut r = (self.status, axum::Json(json!({ "error": self.code, "message": self.message }))).into_response();
        if let Some(s) = retry {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        use onsite_core::ErrorKind as K;
        let (status, code) = match &e {
            // The one classification (`onsite_core::Error::kind`), with the
            // sync codes a client acts on.
            Error::Core(c) => match (c.kind(), c) {
                (K::Sync, onsite_core::Error::Sync(SyncError::Replayed { .. } | SyncError::NoRequestWaiting)) => {
                    (StatusCode::CONFLICT, "replayed")
                }
                (K::Sync, onsite_core::Error::Sync(SyncError::Refused { .. })) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "refused_change")
                }
                // An app too old for this hub: told to update (ADR 28).
                (K::Sync, onsite_core::Error::Sync(SyncError::Frame(FrameError::TooOld { .. }))) => {
                    (StatusCode::UPGRADE_REQUIRED, "upgrade_required")
                }
                // An app newer than this hub.
                (K::Sync, onsite_core::Error::Sync(SyncError::Frame(FrameError::Version { .. }))) => {
                    (StatusCode::BAD_REQUEST, "unsupported_version")
                }
                (K::Sync, _) => (StatusCode::BAD_REQUEST, "bad_frame"),
                (K::Unauthorized, onsite_core::Error::Sync(SyncError::WrongDevice)) => {
                    (StatusCode::FORBIDDEN, "wrong_device")
                }
                (K::Unauthorized, _) => (StatusCode::FORBIDDEN, "out_of_scope"),
                (K::Conflict, onsite_core::Error::Refused(_) | onsite_core::Error::Sync(_)) => {
                    (StatusCode::CONFLICT, "refused_change")
                }
                (K::Conflict, _) => (StatusCode::CONFLICT, "conflict"),
                (K::Invalid, _) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
                (K::NotFound, _) => (StatusCode::NOT_FOUND, "not_found"),
                // A hub store never has a lease; should one ever run out,
                // the answer says so rather than hiding it as internal.
                (K::LeaseExpired, _) => (StatusCode::SERVICE_UNAVAILABLE, "lease_expired"),
                (K::Storage | K::Internal, _) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            },
            Error::Json(_) | Error::Config(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            // The kind only: a stored record's words stay out of the log.
            log::line("error", &format!("internal error: {}", log::kind_of(&e)));
            return ApiError::new(status, code, "internal error; see the hub's log");
        }
        ApiError::new(status, code, e.to_string())
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs a blocking backend call on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> crate::Result<T> + Send + 'static) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("worker failed: {e}"))),
    }
}

/// The hub's router with its layers, and the router of a separate metrics
/// address (`/metrics` without a token). Requests carry their peer address
/// as `ConnectInfo<SocketAddr>` (see `listen.rs`).
pub fn routers(backend: Arc<dyn Backend>, metrics: Arc<Metrics>, config: HubConfig) -> (Router, Router) {
    let timeout = config.request_timeout;
    let budget = Arc::new(Semaphore::new((config.memory_budget >> 10).clamp(1, Semaphore::MAX_PERMITS)));
    let hub = Hub {
        backend,
        metrics,
        config: Arc::new(config),
        budget,
        limiter: Arc::new(AuthLimiter::default()),
        sessions: Arc::new(console::Sessions::default()),
    };
    let open_metrics = Router::new().route("/metrics", get(metrics_open)).with_state(hub.clone());
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/v1/sync", post(sync))
        .route("/v1/blobs", post(blobs))
        .route("/v1/wiped", post(wiped))
        .route("/v1/device", get(whoami))
        .route("/v1/admin/devices", post(issue_device).get(list_devices))
        .route("/v1/admin/devices/{id}/revoke", post(revoke_device))
        .route("/v1/admin/devices/{id}/lost", post(mark_lost))
        .route("/v1/admin/devices/{id}/token", post(reissue_token))
        .route("/v1/admin/reps/{rep}/accounts", post(assign_accounts))
        .route("/v1/admin/reps/{rep}/profile", put(publish_rep_profile).get(get_rep_profile))
        .route("/v1/admin/company", put(publish_company).get(get_company))
        .route("/v1/admin/discount-policy", put(publish_policy))
        .route("/v1/admin/quotes", get(list_quotes))
        .route("/v1/admin/quotes/{id}/discount-decision", post(decide_discount))
        .route("/v1/admin/orders", get(list_orders))
        .route("/v1/admin/persons/{id}", get(export_person))
        .route("/v1/admin/persons/{id}/erase", post(erase_person))
        .route("/v1/admin/catalog", post(publish_catalog))
        .route("/v1/admin/images/{name}", put(publish_image))
        .route("/v1/admin/accounts", post(import_accounts))
        .route("/a/{link}", get(approval_get).post(approval_post))
        .route("/a/{link}/quote.pdf", get(approval_pdf))
        .route("/console", get(console::today))
        .route("/console/login", get(console::login_get).post(console::login_post))
        .route("/console/logout", post(console::logout))
        .route("/console/quotes", get(console::quotes))
        .route("/console/orders", get(console::orders))
        .route("/console/quotes/{id}", get(console::quote))
        .route("/console/quotes/{id}/decision", post(console::decide))
        .route("/console/quotes/{id}/quote.pdf", get(console::quote_pdf))
        .route("/console/devices", get(console::devices))
        .route("/console/catalog", get(console::catalog).post(console::catalog_upload))
        .route("/console/campaigns", get(console::campaigns))
        .route("/console/accounts", get(console::accounts))
        .route("/console/accounts/open", get(console::account_open))
        .route("/console/accounts/{id}", get(console::account))
        .route("/console/devices/{id}/{action}", post(console::device_action))
        .route_layer(axum::middleware::from_fn_with_state(hub.clone(), count))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .with_state(hub);
    (app, open_metrics)
}

/// The hub's router alone (tests that serve it themselves).
pub fn router(backend: Arc<dyn Backend>, metrics: Arc<Metrics>, config: HubConfig) -> Router {
    routers(backend, metrics, config).0
}

/// Counts every answered request by its route template and status.
async fn count(State(hub): State<Hub>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let api = route.starts_with("/v1/");
    let mut response = next.run(request).await;
    hub.metrics.request(route, response.status().as_u16());
    if api {
        // Answers of the API carry customer data and tokens: no cache
        // (a proxy's or the client's) keeps them.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn health(State(hub): State<Hub>) -> Response {
    let backend = hub.backend.clone();
    let kind = backend.kind();
    let status = match blocking(move || backend.check()).await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(json!({ "status": "ok", "backend": kind, "version": env!("CARGO_PKG_VERSION") })),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "unavailable", "backend": kind, "message": e.message })),
        ),
    };
    status.into_response()
}

/// `/metrics` on the main address: back office only.
async fn metrics_text(State(hub): State<Hub>, _: Admin) -> Response {
    metrics_open(State(hub)).await
}

/// `/metrics` on the separate metrics address.
async fn metrics_open(State(hub): State<Hub>) -> Response {
    let backend = hub.backend.clone();
    let counts = blocking(move || backend.counts()).await.ok();
    let text = hub.metrics.render(hub.backend.kind(), counts);
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], text).into_response()
}
