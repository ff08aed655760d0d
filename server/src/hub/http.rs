//! The hub's HTTP interface on axum: the sync endpoint, health and
//! metrics, and the back-office JSON API (documented in `docs/openapi.yaml`;
//! a test checks the two agree).
//!
//! Every database call runs on Tokio's blocking pool. A device token is
//! accepted over plain HTTP only from a loopback peer (a TLS-terminating
//! proxy on the same host, or tests); otherwise the hub must terminate TLS
//! itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use onsite_core::devices::{DeviceRecord, NewDevice, TokenSecrets, token_hash};
use onsite_core::import::Format;
use onsite_core::pdf::Letterhead;
use onsite_core::quote::{DiscountPolicy, QuoteState};
use onsite_core::sync::{DeviceRole, MAX_FRAME_BYTES, SyncError, SyncLimits};
use serde::Deserialize;
use serde_json::json;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::TimeoutLayer;

use super::backend::Backend;
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
    /// The date the hub takes as today for link and quote validity;
    /// `None` (the default) is the local date. For tests.
    pub today: Option<chrono::NaiveDate>,
}

impl HubConfig {
    fn today(&self) -> chrono::NaiveDate {
        self.today.unwrap_or_else(|| chrono::Local::now().date_naive())
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
        }
    }
}

#[derive(Clone)]
struct Hub {
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
    config: Arc<HubConfig>,
}

/// An error answered as `{"error": code, "message": …}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.code, "message": self.message }))).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        use onsite_core::Error as C;
        let (status, code) = match &e {
            Error::Core(C::Sync(s)) => match s {
                SyncError::Frame(_) => (StatusCode::BAD_REQUEST, "bad_frame"),
                SyncError::WrongDevice => (StatusCode::FORBIDDEN, "wrong_device"),
                SyncError::Replayed { .. } | SyncError::NoRequestWaiting => (StatusCode::CONFLICT, "replayed"),
                SyncError::OutOfScope { .. } => (StatusCode::FORBIDDEN, "out_of_scope"),
                SyncError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden_change"),
                SyncError::Refused { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "refused_change"),
            },
            Error::Core(
                C::Validation { .. } | C::Import(_) | C::Money(_) | C::Pricing(_) | C::Quote(_) | C::Pdf(_),
            )
            | Error::Json(_)
            | Error::Usage(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Error::Core(C::NotFound { .. }) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Core(C::Conflict { .. }) => (StatusCode::CONFLICT, "conflict"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            log::line("error", &format!("internal error: {e}"));
            return ApiError::new(status, code, "internal error; see the hub's log");
        }
        ApiError::new(status, code, e.to_string())
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs a blocking backend call on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> crate::error::Result<T> + Send + 'static) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("worker failed: {e}"))),
    }
}

/// The router with its layers. The caller serves it with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn router(backend: Arc<dyn Backend>, metrics: Arc<Metrics>, config: HubConfig) -> Router {
    let timeout = config.request_timeout;
    let hub = Hub { backend, metrics, config: Arc::new(config) };
    let admin = Router::new()
        .route("/v1/admin/devices", post(issue_device).get(list_devices))
        .route("/v1/admin/devices/{id}/revoke", post(revoke_device))
        .route("/v1/admin/reps/{rep}/accounts", post(assign_accounts))
        .route("/v1/admin/discount-policy", put(publish_policy))
        .route("/v1/admin/quotes", get(list_quotes))
        .route("/v1/admin/quotes/{id}/discount-decision", post(decide_discount))
        .route("/v1/admin/orders", get(list_orders))
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .route("/v1/admin/catalog", post(publish_catalog).layer(DefaultBodyLimit::max(MAX_CATALOG_BYTES)));
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/v1/sync", post(sync).layer(DefaultBodyLimit::max(MAX_FRAME_BYTES)))
        .merge(admin)
        .route(
            "/a/{link}",
            get(approval_get).post(approval_post).layer(DefaultBodyLimit::max(super::approval_page::MAX_FORM_BYTES)),
        )
        .route("/a/{link}/quote.pdf", get(approval_pdf))
        .route_layer(axum::middleware::from_fn_with_state(hub.clone(), count))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .with_state(hub)
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
    if !hub.config.tls && !peer.ip().is_loopback() {
        return Err(fail(
            StatusCode::FORBIDDEN,
            "https_required",
            "device tokens are accepted only over HTTPS (or from a proxy on this host)",
        ));
    }
    let Some(token) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(token::from_header)
    else {
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
        None => Err(fail(StatusCode::UNAUTHORIZED, "unauthenticated", "unknown or revoked device token")),
    }
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

async fn metrics_text(State(hub): State<Hub>) -> Response {
    let backend = hub.backend.clone();
    let counts = blocking(move || backend.counts()).await.ok();
    let text = hub.metrics.render(hub.backend.kind(), counts);
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], text).into_response()
}

async fn sync(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let size = body.len();
    match sync_inner(&hub, peer, &headers, body).await {
        Ok(frame) => {
            hub.metrics.sync(started.elapsed(), size, frame.len());
            ([(header::CONTENT_TYPE, HeaderValue::from_static("application/x-onsite-sync"))], frame).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn sync_inner(hub: &Hub, peer: SocketAddr, headers: &HeaderMap, body: Bytes) -> ApiResult<Vec<u8>> {
    let device = authenticate(hub, peer, headers).await?;
    let backend = hub.backend.clone();
    let limits = hub.config.limits;
    let device_id = device.device_id.clone();
    let result = blocking(move || {
        let scope = backend.scope(&device)?;
        backend.sync(&scope, &body, &limits)
    })
    .await;
    if let Err(e) = &result {
        hub.metrics.refused(e.code);
        if hub.config.log && e.status != StatusCode::INTERNAL_SERVER_ERROR {
            // Reasons name documents by id and rules by name, never people.
            log::line("warn", &format!("sync refused for device {device_id}: {}: {}", e.code, e.message));
        }
    }
    result
}

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

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("request body: {e}")))
}

async fn issue_device(State(hub): State<Hub>, _: Admin, body: Bytes) -> ApiResult<Response> {
    let req: IssueRequest = json_body(&body)?;
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
    body: Bytes,
) -> ApiResult<Response> {
    let req: AssignRequest = json_body(&body)?;
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
    body: Bytes,
) -> ApiResult<Response> {
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

async fn publish_policy(State(hub): State<Hub>, _: Admin, body: Bytes) -> ApiResult<Response> {
    let policy: DiscountPolicy = json_body(&body)?;
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
    body: Bytes,
) -> ApiResult<Response> {
    let by = admin.person;
    let req: DecisionRequest = json_body(&body)?;
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

use super::approval_page::{self as page, DecisionForm, Outcome, PageContext};
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

/// The address the approval is recorded with: the peer, or behind a proxy
/// on this host the last `X-Forwarded-For` entry (the one it added).
fn client_address(peer: SocketAddr, headers: &HeaderMap) -> String {
    if peer.ip().is_loopback()
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok())
    {
        return ip.to_string();
    }
    peer.ip().to_string()
}

/// Resolves a link: its outcome, or the page to answer right away.
async fn resolve(
    hub: &Hub,
    peer: SocketAddr,
    headers: &HeaderMap,
    segment: &str,
) -> Result<(ApprovalLink, Outcome), Response> {
    let seller = hub.config.letterhead.company.clone();
    if !hub.config.tls && !peer.ip().is_loopback() {
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
        if !l.verify(&key) {
            return Ok(None);
        }
        Ok(backend.quote_view(&l.quote_id)?.map(|v| (device, v)))
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
    body: Bytes,
) -> Response {
    let (link, outcome) = match resolve(&hub, peer, &headers, &segment).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let form: DecisionForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let Outcome::Open(view) = &outcome else {
        let ctx = page_context(&hub, &segment, &link);
        return html(outcome_status(&outcome), page::outcome_page(&outcome, &ctx));
    };
    let client = client_address(peer, &headers);
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
        Ok(_) | Err(ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, .. }) => {
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
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!("attachment; filename=\"{number}-r{revision}.pdf\""))
                        .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
