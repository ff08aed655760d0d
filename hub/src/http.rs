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

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use onsite_core::devices::{DeviceRecord, NewDevice, TokenSecrets, token_hash};
use onsite_core::import::Format;
use onsite_core::quote::{DiscountPolicy, QuoteState};
use onsite_core::sync::{DeviceRole, MAX_FRAME_BYTES, SyncError};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use super::backend::Backend;
use super::config::HubConfig;
use super::log;
use super::metrics::Metrics;
use super::token;
use crate::error::Error;

/// Every endpoint, as `(method, path)`: what `docs/openapi.yaml` documents
/// (a test checks both ways, against a running hub).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("POST", "/v1/sync"),
    ("POST", "/v1/admin/devices"),
    ("GET", "/v1/admin/devices"),
    ("POST", "/v1/admin/devices/{id}/revoke"),
    ("POST", "/v1/admin/reps/{rep}/accounts"),
    ("POST", "/v1/admin/catalog"),
    ("PUT", "/v1/admin/discount-policy"),
    ("GET", "/v1/admin/quotes"),
    ("POST", "/v1/admin/quotes/{id}/discount-decision"),
    ("GET", "/v1/admin/orders"),
    ("GET", "/a/{link}"),
    ("POST", "/a/{link}"),
    ("GET", "/a/{link}/quote.pdf"),
];

/// Largest catalog upload (after decompression).
pub const MAX_CATALOG_BYTES: usize = 256 << 20;
/// Largest JSON body of the other back-office calls.
const MAX_JSON_BYTES: usize = 1 << 20;

#[derive(Clone)]
struct Hub {
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
    config: Arc<HubConfig>,
    /// The memory budget of request bodies in flight, in KiB permits.
    budget: Arc<Semaphore>,
    limiter: Arc<AuthLimiter>,
}

/// Failed authentications per address in the current window.
#[derive(Debug, Default)]
struct AuthLimiter {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AuthLimiter {
    /// Seconds until `ip` may try again, if it is over the limit.
    fn blocked(&self, ip: IpAddr, (limit, window): (u32, Duration)) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (since, n) = *map.get(&ip)?;
        let left = window.checked_sub(since.elapsed())?;
        (n >= limit).then(|| left.as_secs().max(1))
    }

    fn failed(&self, ip: IpAddr, (_, window): (u32, Duration)) {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (since, _)| since.elapsed() < window);
        }
        let e = map.entry(ip).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= window {
            *e = (Instant::now(), 0);
        }
        e.1 = e.1.saturating_add(1);
    }
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
    let hub = Hub { backend, metrics, config: Arc::new(config), budget, limiter: Arc::new(AuthLimiter::default()) };
    let open_metrics = Router::new().route("/metrics", get(metrics_open)).with_state(hub.clone());
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/v1/sync", post(sync))
        .route("/v1/admin/devices", post(issue_device).get(list_devices))
        .route("/v1/admin/devices/{id}/revoke", post(revoke_device))
        .route("/v1/admin/reps/{rep}/accounts", post(assign_accounts))
        .route("/v1/admin/discount-policy", put(publish_policy))
        .route("/v1/admin/quotes", get(list_quotes))
        .route("/v1/admin/quotes/{id}/discount-decision", post(decide_discount))
        .route("/v1/admin/orders", get(list_orders))
        .route("/v1/admin/catalog", post(publish_catalog))
        .route("/a/{link}", get(approval_get).post(approval_post))
        .route("/a/{link}/quote.pdf", get(approval_pdf))
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

/// Memory reserved from the budget for one request body; given back when
/// dropped.
struct Reserved(Vec<tokio::sync::OwnedSemaphorePermit>);

fn reserve(hub: &Hub, held: &mut Reserved, bytes: usize) -> ApiResult<()> {
    let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
    if kib == 0 {
        return Ok(());
    }
    match hub.budget.clone().try_acquire_many_owned(kib) {
        Ok(p) => {
            held.0.push(p);
            Ok(())
        }
        Err(_) => {
            hub.metrics.memory_refusal();
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "the hub is busy; try again in a moment"))
        }
    }
}

/// Makes room in `buf` for `more` bytes, reserving from the budget what its
/// allocation grows by (its capacity, not its length: a doubling vector
/// may hold twice what it has been given).
fn grow(hub: &Hub, held: &mut Reserved, buf: &mut Vec<u8>, more: usize, limit: usize) -> ApiResult<()> {
    let needed = buf.len() + more;
    if needed <= buf.capacity() {
        return Ok(());
    }
    let capacity = buf.capacity().saturating_mul(2).max(64 << 10).max(needed).min(limit.max(needed));
    reserve(hub, held, capacity - buf.capacity())?;
    buf.reserve_exact(capacity - buf.len());
    Ok(())
}

/// Reads a request body: within the body deadline, at most `limit` bytes
/// as sent and (for `Content-Encoding: gzip`) at most `limit` inflated,
/// every byte reserved from the memory budget of requests in flight.
/// Called only after the request was authenticated (the approval form,
/// which its link authenticates, reads at most a few KiB).
async fn read_body(hub: &Hub, headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<(Bytes, Reserved)> {
    let gzip =
        match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase()) {
            None => false,
            Some(e) if e == "identity" => false,
            Some(e) if e == "gzip" => true,
            Some(_) => {
                return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "encoding", "bodies are plain or gzip"));
            }
        };
    if let Some(len) = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        && len > limit
    {
        return Err(too_large(limit));
    }
    let mut held = Reserved(Vec::new());
    let read = async {
        use http_body_util::BodyExt;
        let mut body = body;
        let mut raw = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_body", "the body broke off"))?;
            if let Ok(chunk) = frame.into_data() {
                if raw.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                grow(hub, &mut held, &mut raw, chunk.len(), limit)?;
                raw.extend_from_slice(&chunk);
            }
        }
        Ok(raw)
    };
    let raw = match tokio::time::timeout(hub.config.body_timeout, read).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "body_timeout", "the body did not arrive in time"));
        }
    };
    if !gzip {
        return Ok((Bytes::from(raw), held));
    }
    // Inflate a slice at a time, each reserved before it is written, on the
    // blocking pool (it is CPU work).
    let h = hub.clone();
    let inflated = tokio::task::spawn_blocking(move || -> ApiResult<(Vec<u8>, Reserved)> {
        use std::io::Read;
        let mut decoder = flate2::read::GzDecoder::new(&raw[..]);
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = decoder
                .read(&mut buf)
                .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_body", "the gzip body does not inflate"))?;
            if n == 0 {
                break;
            }
            if out.len() + n > limit {
                h.metrics.inflated(out.len());
                return Err(too_large(limit));
            }
            if let Err(e) = grow(&h, &mut held, &mut out, n, limit) {
                h.metrics.inflated(out.len());
                return Err(e);
            }
            out.extend_from_slice(&buf[..n]);
        }
        h.metrics.inflated(out.len());
        Ok((out, held))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("worker failed: {e}")))??;
    Ok((Bytes::from(inflated.0), inflated.1))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("the body exceeds {limit} bytes"))
}

/// Counts every answered request by its route template and status.
async fn count(State(hub): State<Hub>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    hub.metrics.request(route, response.status().as_u16());
    response
}

/// Checks the bearer token and the transport; counts and logs failures.
async fn authenticate(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> ApiResult<DeviceRecord> {
    let fail = |status, code, message: &str| {
        hub.metrics.auth_failure();
        if hub.config.log {
            log::line("warn", &format!("authentication refused: {code}"));
        }
        ApiError::new(status, code, message)
    };
    if !hub.config.tls && !trusted_transport(hub, peer) {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "https_required",
            "device tokens are accepted only over HTTPS (or from a proxy on this host)",
        ));
    }
    let ip = client_ip(hub, peer, headers);
    if let Some(wait) = hub.limiter.blocked(ip, hub.config.auth_failures) {
        hub.metrics.rate_limited();
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed authentications; try again in {wait} s"),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let Some(token) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(token::from_header)
    else {
        hub.limiter.failed(ip, hub.config.auth_failures);
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a device token is required (Authorization: Bearer ost_…)",
        ));
    };
    let hash = token_hash(token);
    let backend = hub.backend.clone();
    match blocking(move || backend.authenticate(&hash)).await? {
        Some(device) => {
            hub.metrics.seen(&device.device_id);
            Ok(device)
        }
        None => {
            hub.limiter.failed(ip, hub.config.auth_failures);
            Err(fail(StatusCode::UNAUTHORIZED, "unauthenticated", "unknown or revoked device token"))
        }
    }
}

/// Whether plain HTTP from `peer` may carry tokens: loopback (a proxy on
/// this host) or a proxy named with `--trusted-proxy`.
fn trusted_transport(hub: &Hub, peer: SocketAddr) -> bool {
    peer.ip().is_loopback() || hub.config.trusted_proxies.contains(&peer.ip())
}

/// The client's address: the peer's, or behind a trusted proxy the last
/// `X-Forwarded-For` entry (the one that proxy added). Any other peer's
/// `X-Forwarded-For` is ignored.
fn client_ip(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if hub.config.trusted_proxies.contains(&peer.ip())
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    peer.ip()
}

/// An authenticated admin device: the extractor of every back-office
/// handler (401 without a valid token, 403 for other roles).
struct Admin(DeviceRecord);

impl axum::extract::FromRequestParts<Hub> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, hub: &Hub) -> ApiResult<Admin> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "no peer address"))?;
        admin(hub, peer, &parts.headers).await.map(Admin)
    }
}

async fn admin(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> ApiResult<DeviceRecord> {
    let device = authenticate(hub, peer, headers).await?;
    if device.role != DeviceRole::Admin {
        if hub.config.log {
            log::line(
                "warn",
                &format!("back-office call refused for device {} (role {})", device.device_id, device.role.as_str()),
            );
        }
        return Err(ApiError::new(StatusCode::FORBIDDEN, "admin_only", "the back-office API needs an admin device"));
    }
    Ok(device)
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

async fn sync(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let device = match authenticate(&hub, peer, &headers).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let (body, _held) = match read_body(&hub, &headers, body, MAX_FRAME_BYTES).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let size = body.len();
    let backend = hub.backend.clone();
    let limits = hub.config.limits;
    let now = hub.config.now();
    let device_id = device.device_id.clone();
    let result = match tokio::task::spawn_blocking(move || {
        let scope = backend.scope(&device)?;
        backend.sync(&scope, &body, &limits, now)
    })
    .await
    {
        Ok(r) => r,
        Err(e) => {
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("worker failed: {e}"))
                .into_response();
        }
    };
    match result {
        Ok(frame) => {
            hub.metrics.sync(started.elapsed(), size, frame.len());
            ([(header::CONTENT_TYPE, HeaderValue::from_static(SYNC_TYPE))], frame).into_response()
        }
        // Refused by the transition rules: the refusal frame, for the
        // device to recover from (409 with the frame as the body).
        Err(Error::Core(onsite_core::Error::Sync(SyncError::Rejected(r)))) => {
            let codes: Vec<String> = r.refusals.iter().map(|x| format!("{} {}", x.code, x.doc)).collect();
            for x in &r.refusals {
                hub.metrics.refused(x.code.as_str());
            }
            if hub.config.log {
                log::line("warn", &format!("sync refused for device {device_id}: {}", codes.join(", ")));
            }
            hub.metrics.sync(started.elapsed(), size, r.frame.len());
            let names: Vec<&str> = r.refusals.iter().map(|x| x.code.as_str()).collect();
            let mut response =
                (StatusCode::CONFLICT, [(header::CONTENT_TYPE, HeaderValue::from_static(SYNC_TYPE))], r.frame)
                    .into_response();
            if let Ok(v) = HeaderValue::from_str(&names.join(",")) {
                response.headers_mut().insert("x-onsite-refused", v);
            }
            response
        }
        Err(e) => {
            let e = ApiError::from(e);
            hub.metrics.refused(e.code);
            if hub.config.log && e.status != StatusCode::INTERNAL_SERVER_ERROR {
                // Reason codes and ids only, never what the frame held.
                log::line("warn", &format!("sync refused for device {device_id}: {}", e.code));
            }
            e.into_response()
        }
    }
}

/// The media type of sync frames (requests, responses and refusals).
pub const SYNC_TYPE: &str = "application/x-onsite-sync";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    person: String,
    role: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    label: String,
}

async fn json_body<T: serde::de::DeserializeOwned>(hub: &Hub, headers: &HeaderMap, body: Body) -> ApiResult<T> {
    let (bytes, _held) = read_body(hub, headers, body, MAX_JSON_BYTES).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("request body: {e}")))
}

async fn issue_device(State(hub): State<Hub>, _: Admin, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let req: IssueRequest = json_body(&hub, &headers, body).await?;
    let role = DeviceRole::parse(&req.role).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "role must be admin, rep or customer")
    })?;
    let new = NewDevice { person: req.person, role, account_id: req.account_id, label: req.label };
    let backend = hub.backend.clone();
    let (device, token) = blocking(move || {
        let token = token::generate()?;
        let id = uuid::Uuid::new_v4().to_string();
        Ok((backend.register_device(&id, &new, &TokenSecrets::of(&token))?, token))
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "device": device, "token": token }))).into_response())
}

async fn list_devices(State(hub): State<Hub>, _: Admin) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let devices = blocking(move || backend.devices()).await?;
    Ok(axum::Json(json!({ "devices": devices })).into_response())
}

async fn revoke_device(State(hub): State<Hub>, _: Admin, Path(id): Path<String>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let device = blocking(move || backend.revoke_device(&id)).await?;
    Ok(axum::Json(json!({ "device": device })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignRequest {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

async fn assign_accounts(
    State(hub): State<Hub>,
    _: Admin,
    Path(rep): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let req: AssignRequest = json_body(&hub, &headers, body).await?;
    let backend = hub.backend.clone();
    let rep2 = rep.clone();
    let accounts = blocking(move || backend.assign(&rep2, &req.add, &req.remove)).await?;
    Ok(axum::Json(json!({ "rep": rep, "accounts": accounts })).into_response())
}

#[derive(Debug, Deserialize)]
struct CatalogQuery {
    #[serde(default)]
    format: Option<String>,
}

async fn publish_catalog(
    State(hub): State<Hub>,
    _: Admin,
    Query(q): Query<CatalogQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (body, _held) = read_body(&hub, &headers, body, MAX_CATALOG_BYTES).await?;
    let format = match q.format.as_deref() {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        None => Format::detect(None, &body),
        Some(_) => {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "format must be csv or json"));
        }
    };
    let backend = hub.backend.clone();
    let summary = blocking(move || backend.publish_catalog(&body, format)).await?;
    Ok(axum::Json(summary).into_response())
}

async fn publish_policy(State(hub): State<Hub>, _: Admin, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let policy: DiscountPolicy = json_body(&hub, &headers, body).await?;
    let backend = hub.backend.clone();
    let seq = blocking(move || backend.publish_policy(&policy)).await?;
    Ok(axum::Json(json!({ "catalog_seq": seq })).into_response())
}

#[derive(Debug, Deserialize)]
struct QuotesQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    pending_discount: Option<bool>,
}

async fn list_quotes(State(hub): State<Hub>, _: Admin, Query(q): Query<QuotesQuery>) -> ApiResult<Response> {
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(QuoteState::parse(s).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("unknown quote state {s:?}"))
        })?),
    };
    let backend = hub.backend.clone();
    let pending = q.pending_discount.unwrap_or(false);
    let quotes = blocking(move || backend.quotes(state, pending)).await?;
    Ok(axum::Json(json!({ "quotes": quotes })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionRequest {
    approved: bool,
}

async fn decide_discount(
    State(hub): State<Hub>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let by = admin.person;
    let req: DecisionRequest = json_body(&hub, &headers, body).await?;
    let backend = hub.backend.clone();
    let quote = blocking(move || backend.decide_discount(&id, req.approved, &by)).await?;
    Ok(axum::Json(json!({ "quote": quote })).into_response())
}

#[derive(Debug, Deserialize)]
struct OrdersQuery {
    #[serde(default)]
    account: Option<String>,
}

async fn list_orders(State(hub): State<Hub>, _: Admin, Query(q): Query<OrdersQuery>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let orders = blocking(move || backend.orders(q.account.as_deref())).await?;
    Ok(axum::Json(json!({ "orders": orders })).into_response())
}

// ---------------------------------------------------------------------------
// The customer's approval page (approval_page.rs renders it).

use super::approval_page::{self as page, Outcome, PageContext};
use onsite_core::approval_link::ApprovalLink;
use onsite_core::money::DisplayLocale;

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; \
                     base-uri 'none'; frame-ancestors 'none'",
                ),
            ),
        ],
        body,
    )
        .into_response()
}

fn header_locale(headers: &HeaderMap) -> DisplayLocale {
    page::locale_from_header(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The address the approval is recorded with: the peer, or behind a
/// trusted proxy the last `X-Forwarded-For` entry (the one it added).
fn client_address(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> String {
    client_ip(hub, peer, headers).to_string()
}

/// Resolves a link: its outcome, or the page to answer right away.
async fn resolve(
    hub: &Hub,
    peer: SocketAddr,
    headers: &HeaderMap,
    segment: &str,
) -> Result<(ApprovalLink, Outcome), Response> {
    let seller = hub.config.letterhead.company.clone();
    if !hub.config.tls && !trusted_transport(hub, peer) {
        return Err(html(StatusCode::FORBIDDEN, page::https_page(header_locale(headers), &seller)));
    }
    let invalid = || html(StatusCode::NOT_FOUND, page::invalid_page(header_locale(headers), &seller));
    let Ok(link) = ApprovalLink::parse(segment) else {
        return Err(invalid());
    };
    let backend = hub.backend.clone();
    let l = link.clone();
    let found = blocking(move || {
        let Some((device, Some(key))) = backend.device_link_key(&l.device_id)? else { return Ok(None) };
        // Only a rep's device signs links, and only while it serves the
        // quote's account (revoked: the page says "withdrawn").
        if device.role != DeviceRole::Rep || !l.verify(&key) {
            return Ok(None);
        }
        let Some(view) = backend.quote_view(&l.quote_id)? else { return Ok(None) };
        if !backend.scope(&device)?.allows(&view.quote.account_id) {
            return Ok(None);
        }
        Ok(Some((device, view)))
    })
    .await;
    match found {
        Ok(Some((device, view))) => {
            let today = hub.config.today();
            let outcome = page::classify(&link, device.revoked_at.is_some(), view, today);
            Ok((link, outcome))
        }
        Ok(None) => {
            if hub.config.log {
                log::line("warn", "approval link refused: not valid");
            }
            Err(invalid())
        }
        Err(e) => {
            Err(html(e.status, page::message_page(header_locale(headers), "error", "Error", &e.message, &seller)))
        }
    }
}

fn page_context<'a>(hub: &'a Hub, segment: &'a str, link: &ApprovalLink) -> PageContext<'a> {
    PageContext {
        seller: &hub.config.letterhead.company,
        segment,
        link_revision: link.revision,
        just_decided: false,
        form_error: None,
    }
}

fn outcome_status(outcome: &Outcome) -> StatusCode {
    match outcome {
        Outcome::Withdrawn(_) | Outcome::Expired(..) => StatusCode::GONE,
        Outcome::Superseded(..) => StatusCode::CONFLICT,
        Outcome::Closed(_) | Outcome::Open(_) => StatusCode::OK,
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn approval_get(
    State(hub): State<Hub>,
    Path(segment): Path<String>,
    Query(query): Query<PageQuery>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (link, outcome) = match resolve(&hub, peer, &headers, &segment).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let ctx = PageContext { just_decided: query.done.is_some(), ..page_context(&hub, &segment, &link) };
    html(outcome_status(&outcome), page::outcome_page(&outcome, &ctx))
}

async fn approval_post(
    State(hub): State<Hub>,
    Path(segment): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (link, outcome) = match resolve(&hub, peer, &headers, &segment).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    // A verified link authenticates the form; it is small.
    let body = match read_body(&hub, &headers, body, page::MAX_FORM_BYTES).await {
        Ok((b, _)) => b,
        Err(e) => return e.into_response(),
    };
    hub.metrics.unauthenticated_body(body.len());
    let Some(form) = page::parse_form(&body) else {
        let message = "the form is not valid UTF-8 text";
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            page::message_page(header_locale(&headers), "error", "Error", message, &hub.config.letterhead.company),
        );
    };
    let Outcome::Open(view) = &outcome else {
        let ctx = page_context(&hub, &segment, &link);
        return html(outcome_status(&outcome), page::outcome_page(&outcome, &ctx));
    };
    let client = client_address(&hub, peer, &headers);
    let decision = match page::decision(&form, &view.quote, &client, chrono::Utc::now()) {
        Ok(d) => d,
        Err(message) => {
            let ctx = PageContext { form_error: Some((&message, &form)), ..page_context(&hub, &segment, &link) };
            return html(StatusCode::UNPROCESSABLE_ENTITY, page::outcome_page(&outcome, &ctx));
        }
    };
    let backend = hub.backend.clone();
    let quote_id = view.quote.id.clone();
    let today = hub.config.today();
    let result = blocking(move || backend.customer_decision(&quote_id, decision, today)).await;
    match result {
        Ok(_) | Err(ApiError { status: StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT, .. }) => {
            // Recorded, or overtaken (a new revision, expiry, a decision on
            // another device): the page shows where the quote stands now.
            let done = if result.is_ok() { "?done=1" } else { "" };
            (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/a/{segment}{done}"))]).into_response()
        }
        Err(e) => html(
            e.status,
            page::message_page(view.quote.locale, "error", "Error", &e.message, &hub.config.letterhead.company),
        ),
    }
}

async fn approval_pdf(
    State(hub): State<Hub>,
    Path(segment): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (link, outcome) = match resolve(&hub, peer, &headers, &segment).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let (Outcome::Open(view) | Outcome::Closed(view)) = outcome else {
        let ctx = page_context(&hub, &segment, &link);
        return html(outcome_status(&outcome), page::outcome_page(&outcome, &ctx));
    };
    let base = match &hub.config.public_url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
            format!("{}://{host}", if hub.config.tls { "https" } else { "http" })
        }
    };
    let mut opts = onsite_core::pdf::PdfOptions::dated(hub.config.today());
    opts.letterhead = hub.config.letterhead.clone();
    opts.approval_link = Some(link.url(&base));
    let number = view.quote.number.clone();
    let revision = view.quote.revision;
    let rendered = blocking(move || {
        let rep = onsite_core::pdf::RepContact { name: view.quote.rep.clone(), ..Default::default() };
        let ctx = onsite_core::pdf::QuoteContext {
            account: &view.account,
            contact: view.contact.as_ref(),
            rep,
            value_arguments: view.value_arguments.clone(),
        };
        Ok(onsite_core::pdf::render_quote(&view.quote, &ctx, &opts).map_err(onsite_core::Error::from)?)
    })
    .await;
    match rendered {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (header::CONTENT_DISPOSITION, attachment(&format!("{number}-r{revision}.pdf"))),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `Content-Disposition: attachment` for `name` as RFC 6266 and RFC 5987
/// write it: a plain ASCII fallback (anything else, quotes and backslashes
/// become `_`) and the exact name percent-encoded as UTF-8.
pub fn attachment(name: &str) -> HeaderValue {
    let plain: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_cannot_inject_parameters() {
        let v = attachment("Q-\"; filename*=UTF-8''evil.exe; x=\"-r1.pdf");
        let text = v.to_str().unwrap_or_default();
        assert_eq!(text.matches("filename=").count(), 1, "{text}");
        assert_eq!(text.matches("filename*=").count(), 1, "{text}");
        assert!(!text.contains("evil.exe;"), "{text}");
        let umlaut = attachment("Angebot-Müller.pdf");
        assert_eq!(
            umlaut.to_str().unwrap_or_default(),
            "attachment; filename=\"Angebot-M_ller.pdf\"; filename*=UTF-8''Angebot-M%C3%BCller.pdf"
        );
    }

    #[test]
    fn the_limiter_blocks_an_address_after_its_failures_until_the_window_ends() {
        let l = AuthLimiter::default();
        let ip: IpAddr = [203, 0, 113, 7].into();
        let rule = (3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.blocked(ip, rule).is_none());
            l.failed(ip, rule);
        }
        let wait = l.blocked(ip, rule);
        assert!(wait.is_some_and(|w| (1..=60).contains(&w)), "{wait:?}");
        assert!(l.blocked([203, 0, 113, 8].into(), rule).is_none(), "other addresses unaffected");
        let short = (1, Duration::from_millis(1));
        let other: IpAddr = [198, 51, 100, 1].into();
        l.failed(other, short);
        std::thread::sleep(Duration::from_millis(5));
        assert!(l.blocked(other, short).is_none(), "the window ended");
    }
}
