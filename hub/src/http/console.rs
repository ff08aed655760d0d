//! `/console`: the back office in a browser (ADR 30). An admin device's
//! token is exchanged for a session at sign-in: a random id in a cookie
//! (`HttpOnly`, `SameSite=Strict`, `Secure` under TLS, `Path=/console`)
//! that names a session kept in the hub's memory with its own CSRF token.
//! Every request looks the admin device up again (a revoked one ends its
//! sessions), every form must carry the session's CSRF token, sessions
//! expire and sign-out ends them. The pages are `console.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use onsite_core::devices::{DeviceRecord, Standing, token_hash};
use onsite_core::quote::{QuoteQuery, QuoteState};
use onsite_core::sync::DeviceRole;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::approval::html;
use super::auth::{client_ip, trusted_transport};
use super::body::read_body;
use super::{ApiError, Hub, blocking};
use crate::approval_page::parse_pairs;
use crate::console::{self as page, Lang, Listed, ListedOrder, PAGE_ROWS, QuoteDetail, Today, Upload};
use crate::log;
use crate::token;

const SESSION_COOKIE: &str = "onsite_console";
const LOGIN_COOKIE: &str = "onsite_login";
/// Most sessions held at once (sign-ins need an admin token, so only the
/// back office can fill it; expired ones go first).
const MAX_SESSIONS: usize = 10_000;
/// The highest page number asked for that is taken as given (beyond it,
/// the lists are empty anyway; no offset overflows).
const MAX_PAGE: usize = 1_000_000;
/// Largest console form.
const MAX_FORM: usize = 16 << 10;

/// One signed-in browser.
#[derive(Debug, Clone)]
struct Session {
    token_hash: [u8; 32],
    person: String,
    csrf: String,
    expires: Instant,
}

/// The sessions of this hub process, by the SHA-256 of their cookie value
/// (a memory dump shows no usable cookie).
#[derive(Debug, Default)]
pub(super) struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    fn start(&self, session: Session) -> crate::Result<String> {
        let id = token::random_hex()?;
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_SESSIONS {
            let now = Instant::now();
            map.retain(|_, s| s.expires > now);
            if map.len() >= MAX_SESSIONS
                && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        map.insert(key(&id), session);
        Ok(id)
    }

    fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let k = key(id);
        match map.get(&k) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(&k);
                None
            }
            None => None,
        }
    }

    fn end(&self, id: &str) {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&key(id));
    }
}

/// Equal in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// Whether the browser reached the hub over HTTPS: the hub terminates TLS,
/// or a trusted proxy that did says so (`X-Forwarded-Proto: https`).
fn over_https(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> bool {
    hub.config.tls
        || (hub.config.trusted_proxies.contains(&peer.ip())
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

fn set_cookie(secure: bool, name: &str, value: &str, max_age: Duration) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{secure}", max_age.as_secs());
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("onsite_console=; Max-Age=0"))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

fn lang_of(headers: &HeaderMap, q: &PageQuery) -> Lang {
    Lang::pick(q.lang.as_deref(), headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

fn refused(lang: Lang, status: StatusCode, what: &str) -> Response {
    let next = (format!("/console/login?lang={}", lang.code()), page::refusal(lang, "").to_string());
    let title = if lang == Lang::De { "Abgelehnt" } else { "Refused" };
    html(status, page::message_page(lang, title, page::refusal(lang, what), Some((&next.0, &next.1))))
}

fn error_page(lang: Lang, e: &ApiError) -> Response {
    let title = if lang == Lang::De { "Fehler" } else { "Error" };
    html(e.status, page::message_page(lang, title, &e.message, Some(("/console", "Onsite"))))
}

/// Plain HTTP only from loopback or a trusted proxy, as for tokens.
fn transport_ok(hub: &Hub, peer: SocketAddr) -> bool {
    hub.config.tls || trusted_transport(hub, peer)
}

/// The signed-in user of a request: the session named by the cookie, its
/// admin device still active.
struct User {
    id: String,
    person: String,
    csrf: String,
}

async fn user(hub: &Hub, headers: &HeaderMap) -> Option<User> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let s = hub.sessions.get(&id)?;
    let backend = hub.backend.clone();
    let hash = s.token_hash;
    let device = blocking(move || backend.authenticate(&hash)).await;
    match device {
        Ok(Some(d)) if d.role == DeviceRole::Admin && d.standing(Utc::now()) == Standing::Active => {
            Some(User { id, person: s.person, csrf: s.csrf })
        }
        // The database failing is no reason to end the session: this
        // request is refused, the next one may pass.
        Err(_) => None,
        _ => {
            hub.sessions.end(&id);
            None
        }
    }
}

/// The signed-in user, or the answer that sends the browser to sign in.
async fn signed_in(hub: &Hub, peer: SocketAddr, headers: &HeaderMap, lang: Lang) -> Result<User, Response> {
    if !transport_ok(hub, peer) {
        return Err(refused(lang, StatusCode::FORBIDDEN, "https"));
    }
    match user(hub, headers).await {
        Some(u) => Ok(u),
        None if cookie(headers, SESSION_COOKIE).is_some() => Err(refused(lang, StatusCode::UNAUTHORIZED, "expired")),
        None => Err(see_other(&format!("/console/login?lang={}", lang.code()))),
    }
}

/// A signed-in admin's page request: the language, the user and the page
/// number asked for, or the answer that refuses it (sign in first, session
/// expired, plain HTTP from afar). Every console page but sign-in takes it.
pub(super) struct Signed {
    lang: Lang,
    user: User,
    page: usize,
}

impl axum::extract::FromRequestParts<Hub> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, hub: &Hub) -> Result<Signed, Response> {
        let q: PageQuery = Query::<PageQuery>::try_from_uri(&parts.uri).map(|Query(q)| q).unwrap_or_default();
        let lang = lang_of(&parts.headers, &q);
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied() else {
            return Err(refused(lang, StatusCode::FORBIDDEN, "https"));
        };
        let user = signed_in(hub, peer, &parts.headers, lang).await?;
        Ok(Signed { lang, user, page: q.page.unwrap_or(0).min(MAX_PAGE) })
    }
}

/// A form of a signed-in user, its CSRF token checked.
async fn form(
    hub: &Hub,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: Body,
    lang: Lang,
) -> Result<(User, HashMap<String, String>), Response> {
    let user = signed_in(hub, peer, headers, lang).await?;
    let (bytes, _) = read_body(hub, headers, body, MAX_FORM).await.map_err(|e| error_page(lang, &e))?;
    let fields: HashMap<String, String> = parse_pairs(&bytes).unwrap_or_default().into_iter().collect();
    if !fields.get("csrf").is_some_and(|c| same(c, &user.csrf)) {
        if hub.config.log {
            log::line("warn", "console form refused: no or a wrong CSRF token");
        }
        return Err(refused(lang, StatusCode::FORBIDDEN, "csrf"));
    }
    Ok((user, fields))
}

pub(super) async fn login_get(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    if !transport_ok(&hub, peer) {
        return refused(lang, StatusCode::FORBIDDEN, "https");
    }
    let Ok(csrf) = token::random_hex() else {
        return error_page(lang, &ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "no randomness"));
    };
    let mut r = html(StatusCode::OK, page::login_page(lang, &csrf, None));
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(over_https(&hub, peer, &headers), LOGIN_COOKIE, &csrf, Duration::from_secs(900)),
    );
    r
}

pub(super) async fn login_post(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    body: Body,
) -> Response {
    let lang = lang_of(&headers, &q);
    if !transport_ok(&hub, peer) {
        return refused(lang, StatusCode::FORBIDDEN, "https");
    }
    let ip = client_ip(&hub, peer, &headers);
    if hub.limiter.blocked(ip, hub.config.auth_failures).is_some() {
        hub.metrics.rate_limited();
        return refused(lang, StatusCode::TOO_MANY_REQUESTS, "rate");
    }
    let (bytes, _) = match read_body(&hub, &headers, body, MAX_FORM).await {
        Ok(b) => b,
        Err(e) => return error_page(lang, &e),
    };
    hub.metrics.unauthenticated_body(bytes.len());
    let fields: HashMap<String, String> = parse_pairs(&bytes).unwrap_or_default().into_iter().collect();
    // Double submit: the form's token must be the one this browser was given.
    let given = cookie(&headers, LOGIN_COOKIE);
    if !matches!((fields.get("csrf"), &given), (Some(f), Some(c)) if same(f, c)) {
        return refused(lang, StatusCode::FORBIDDEN, "csrf");
    }
    let token = fields.get("token").map(|t| t.trim().to_string()).unwrap_or_default();
    let device = if token::well_formed(&token) {
        let hash = token_hash(&token);
        let backend = hub.backend.clone();
        match blocking(move || backend.authenticate(&hash)).await {
            Ok(d) => d.map(|d| (d, hash)),
            Err(e) => return error_page(lang, &e),
        }
    } else {
        None
    };
    let Some((device, hash)) = device.filter(|(d, _)| d.standing(Utc::now()) == Standing::Active) else {
        hub.limiter.failed(ip, hub.config.auth_failures);
        hub.metrics.auth_failure();
        let csrf = given.unwrap_or_default();
        let message = if lang == Lang::De { "Unbekanntes oder gesperrtes Token." } else { "Unknown or revoked token." };
        return html(StatusCode::UNAUTHORIZED, page::login_page(lang, &csrf, Some(message)));
    };
    if device.role != DeviceRole::Admin {
        if hub.config.log {
            log::line(
                "warn",
                &format!("console sign-in refused for device {} (role {})", device.device_id, device.role.as_str()),
            );
        }
        return refused(lang, StatusCode::FORBIDDEN, "not_admin");
    }
    let session = match token::random_hex().map_err(ApiError::from).and_then(|csrf| {
        let expires = Instant::now() + hub.config.console_session;
        hub.sessions
            .start(Session { token_hash: hash, person: device.person.clone(), csrf, expires })
            .map_err(ApiError::from)
    }) {
        Ok(id) => id,
        Err(e) => return error_page(lang, &e),
    };
    let mut r = see_other(&format!("/console?lang={}", lang.code()));
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(over_https(&hub, peer, &headers), SESSION_COOKIE, &session, hub.config.console_session),
    );
    h.append(header::SET_COOKIE, set_cookie(over_https(&hub, peer, &headers), LOGIN_COOKIE, "", Duration::ZERO));
    r
}

pub(super) async fn logout(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    body: Body,
) -> Response {
    let lang = lang_of(&headers, &q);
    let (user, _) = match form(&hub, peer, &headers, body, lang).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    hub.sessions.end(&user.id);
    let mut r = see_other(&format!("/console/login?lang={}", lang.code()));
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(over_https(&hub, peer, &headers), SESSION_COOKIE, "", Duration::ZERO));
    r
}

fn name_of(backend: &dyn crate::backend::Backend, account_id: &str) -> crate::Result<String> {
    Ok(backend.account_name(account_id)?.unwrap_or_else(|| account_id.to_string()))
}

fn cut<T: Clone>(all: &[T], page: usize) -> (Vec<T>, usize) {
    (all.iter().skip(page * PAGE_ROWS).take(PAGE_ROWS).cloned().collect(), all.len())
}

pub(super) async fn today(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let user = match signed_in(&hub, peer, &headers, lang).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let page_no = q.page.unwrap_or(0).min(MAX_PAGE);
    let backend = hub.backend.clone();
    let today = hub.config.today();
    let data = blocking(move || {
        let b = backend.as_ref();
        let listed = |l: Vec<onsite_core::quote::QuoteListing>| -> crate::Result<Vec<Listed>> {
            l.into_iter().map(|quote| Ok(Listed { account: name_of(b, &quote.account_id)?, quote })).collect()
        };
        let offset = page_no * PAGE_ROWS;
        let waiting = QuoteQuery { state: Some(QuoteState::NeedsDiscountApproval), ..QuoteQuery::default() };
        let (pending, n_pending) = b.quote_page(&waiting, offset, PAGE_ROWS)?;
        let soon = QuoteQuery {
            state: Some(QuoteState::Sent),
            valid_from: Some(today),
            valid_to: Some(today + chrono::Days::new(7)),
            ..QuoteQuery::default()
        };
        let (expiring, n_expiring) = b.quote_page(&soon, offset, PAGE_ROWS)?;
        let week_ago = Utc::now() - chrono::Duration::days(7);
        let orders: Vec<_> = b.orders(None)?.into_iter().filter(|o| o.created_at >= week_ago).collect();
        let (orders, n_orders) = cut(&orders, page_no);
        let orders = orders
            .into_iter()
            .map(|order| Ok(ListedOrder { account: name_of(b, &order.account_id)?, order }))
            .collect::<crate::Result<Vec<_>>>()?;
        let stale: Vec<DeviceRecord> = b
            .devices()?
            .into_iter()
            .filter(|d| d.role != DeviceRole::Admin && d.standing(Utc::now()) == Standing::Active)
            .filter(|d| {
                d.last_seen_at
                    .as_deref()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .is_none_or(|t| t < week_ago)
            })
            .collect();
        Ok(Today {
            discounts: (listed(pending)?, n_pending),
            expiring: (listed(expiring)?, n_expiring),
            orders: (orders, n_orders),
            stale: cut(&stale, page_no),
            page: page_no,
        })
    })
    .await;
    match data {
        Ok(d) => html(StatusCode::OK, page::today_page(lang, &user.person, &user.csrf, &d)),
        Err(e) => error_page(lang, &e),
    }
}

async fn quote_detail(hub: &Hub, id: String, error: Option<String>) -> Result<Option<QuoteDetail>, ApiError> {
    let backend = hub.backend.clone();
    blocking(move || {
        let Some(view) = backend.quote_view(&id)? else { return Ok(None) };
        let of_account = QuoteQuery { account_id: Some(view.quote.account_id.clone()), ..QuoteQuery::default() };
        let earlier = backend
            .quote_page(&of_account, 0, 500)?
            .0
            .into_iter()
            .filter(|l| l.id != view.quote.id && l.discount_request.as_ref().is_some_and(|r| r.approved.is_some()))
            .take(PAGE_ROWS)
            .collect();
        let skus: Vec<String> = view.quote.lines.iter().map(|l| l.sku.clone()).collect();
        let (policy, costs) = backend.discount_facts(&skus)?;
        let history = backend
            .quote_history(&view.quote.id)?
            .unwrap_or(onsite_core::crdt::QuoteHistory { revisions: Vec::new(), conflicts: Vec::new() });
        let device_labels = backend
            .devices()?
            .into_iter()
            .map(|d| {
                let label = if d.label.is_empty() { d.person.clone() } else { format!("{} ({})", d.label, d.person) };
                (d.device_id, label)
            })
            .collect();
        Ok(Some(QuoteDetail {
            account: view.account.name.clone(),
            quote: view.quote,
            earlier,
            error,
            policy,
            costs,
            history,
            device_labels,
        }))
    })
    .await
}

pub(super) async fn quote(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let user = match signed_in(&hub, peer, &headers, lang).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match quote_detail(&hub, id, None).await {
        Ok(Some(d)) => html(StatusCode::OK, page::quote_page(lang, &user.person, &user.csrf, &d)),
        Ok(None) => error_page(lang, &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such quote")),
        Err(e) => error_page(lang, &e),
    }
}

pub(super) async fn decide(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
    body: Body,
) -> Response {
    let lang = lang_of(&headers, &q);
    let (user, fields) = match form(&hub, peer, &headers, body, lang).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let approved = match fields.get("decision").map(String::as_str) {
        Some("approve") => true,
        Some("reject") => false,
        _ => {
            let e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "decision: approve or reject");
            return error_page(lang, &e);
        }
    };
    let reason = fields.get("reason").cloned().filter(|r| !r.trim().is_empty());
    let backend = hub.backend.clone();
    let (qid, by) = (id.clone(), user.person.clone());
    match blocking(move || backend.decide_discount(&qid, approved, &by, reason.as_deref())).await {
        Ok(_) => see_other(&format!("/console/quotes/{}?lang={}", page::urlencode(&id), lang.code())),
        Err(e) if e.status == StatusCode::NOT_FOUND => error_page(lang, &e),
        Err(e) => match quote_detail(&hub, id, Some(e.message.clone())).await {
            Ok(Some(d)) => html(e.status, page::quote_page(lang, &user.person, &user.csrf, &d)),
            _ => error_page(lang, &e),
        },
    }
}

pub(super) async fn devices(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let user = match signed_in(&hub, peer, &headers, lang).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let page_no = q.page.unwrap_or(0).min(MAX_PAGE);
    let backend = hub.backend.clone();
    match blocking(move || backend.devices()).await {
        Ok(all) => {
            let (rows, total) = cut(&all, page_no);
            html(StatusCode::OK, page::devices_page(lang, &user.person, &user.csrf, &rows, page_no, total))
        }
        Err(e) => error_page(lang, &e),
    }
}

pub(super) async fn device_action(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    body: Body,
) -> Response {
    let lang = lang_of(&headers, &q);
    let (user, _) = match form(&hub, peer, &headers, body, lang).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let backend = hub.backend.clone();
    let lost = match action.as_str() {
        "revoke" => false,
        "lost" => true,
        _ => return error_page(lang, &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such action")),
    };
    let done = blocking(move || if lost { backend.mark_lost(&id) } else { backend.revoke_device(&id) }).await;
    match done {
        Ok(d) => {
            if hub.config.log {
                let what = if lost { "reported lost" } else { "revoked" };
                log::line("info", &format!("console: device {} {what} by {}", d.device_id, user.person));
            }
            see_other(&format!("/console/devices?lang={}", lang.code()))
        }
        Err(e) => error_page(lang, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct QuotesQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    rep: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

pub(super) async fn quotes(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<QuotesQuery>,
) -> Response {
    let lang = lang_of(&headers, &PageQuery { lang: q.lang.clone(), page: None });
    let user = match signed_in(&hub, peer, &headers, lang).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let date = |v: &Option<String>| text(v).and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let filter = QuoteQuery {
        state: text(&q.state).and_then(|s| QuoteState::parse(&s)),
        rep: text(&q.rep),
        account_id: text(&q.account),
        valid_from: date(&q.from),
        valid_to: date(&q.to),
    };
    let page_no = q.page.unwrap_or(0).min(MAX_PAGE);
    let backend = hub.backend.clone();
    let query = filter.clone();
    let found = blocking(move || {
        let (rows, total) = backend.quote_page(&query, page_no * PAGE_ROWS, PAGE_ROWS)?;
        let rows = rows
            .into_iter()
            .map(|quote| Ok(Listed { account: name_of(backend.as_ref(), &quote.account_id)?, quote }))
            .collect::<crate::Result<Vec<_>>>()?;
        Ok((rows, total))
    })
    .await;
    match found {
        Ok((rows, total)) => {
            html(StatusCode::OK, page::quotes_page(lang, &user.person, &user.csrf, &filter, &rows, page_no, total))
        }
        Err(e) => error_page(lang, &e),
    }
}

pub(super) async fn orders(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let user = match signed_in(&hub, peer, &headers, lang).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let page_no = q.page.unwrap_or(0).min(MAX_PAGE);
    let backend = hub.backend.clone();
    let found = blocking(move || {
        let (rows, total) = cut(&backend.orders(None)?, page_no);
        let rows = rows
            .into_iter()
            .map(|order| Ok(ListedOrder { account: name_of(backend.as_ref(), &order.account_id)?, order }))
            .collect::<crate::Result<Vec<_>>>()?;
        Ok((rows, total))
    })
    .await;
    match found {
        Ok((rows, total)) => {
            html(StatusCode::OK, page::orders_page(lang, &user.person, &user.csrf, &rows, page_no, total))
        }
        Err(e) => error_page(lang, &e),
    }
}

/// One part of a `multipart/form-data` body: its field name, the file
/// name if it is a file, its bytes.
#[derive(Debug, PartialEq, Eq)]
struct Part {
    name: String,
    filename: Option<String>,
    data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let (kind, params) = ct.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 70).then(|| v.to_string())
    })
}

/// Splits a `multipart/form-data` body (RFC 7578) into its parts; `None`
/// when it is not well formed (no closing delimiter, a part without
/// headers, at most 16 parts).
fn multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
    }
    let open = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let mut at = find(body, open.as_bytes(), 0)? + open.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2)? == b"--" {
            return Some(parts);
        }
        if body.get(at..at + 2)? != b"\r\n" || parts.len() == 16 {
            return None;
        }
        let head_end = find(body, b"\r\n\r\n", at + 2)?;
        let head = std::str::from_utf8(&body[at + 2..head_end]).ok()?;
        let end = find(body, delimiter.as_bytes(), head_end + 4)?;
        let (mut name, mut filename) = (None, None);
        for line in head.split("\r\n") {
            let (k, v) = line.split_once(':')?;
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                for param in v.split(';').skip(1) {
                    let (pk, pv) = param.trim().split_once('=')?;
                    let pv = pv.trim().trim_matches('"').to_string();
                    match pk.trim() {
                        "name" => name = Some(pv),
                        "filename" => filename = Some(pv),
                        _ => {}
                    }
                }
            }
        }
        parts.push(Part { name: name?, filename, data: body[head_end + 4..end].to_vec() });
        at = end + delimiter.len();
    }
}

fn changed_kinds(s: &onsite_core::store::ImportSummary) -> Vec<(String, u64)> {
    [
        ("products added", s.products_added),
        ("products updated", s.products_updated),
        ("products deleted", s.products_deleted),
        ("price lists", s.price_lists_changed),
        ("tax classes", s.tax_classes_changed),
        ("costs", s.costs_changed),
        ("content", s.content_changed),
        ("profiles", s.profiles_changed),
        ("campaigns", s.campaigns_changed),
        ("discount policy", u64::from(s.policy_changed)),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| (k.to_string(), n))
    .collect()
}

async fn catalog_seq(hub: &Hub) -> Result<i64, ApiError> {
    let backend = hub.backend.clone();
    blocking(move || Ok(backend.counts()?.catalog_seq)).await
}

pub(super) async fn catalog(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let user = match signed_in(&hub, peer, &headers, lang).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match catalog_seq(&hub).await {
        Ok(seq) => html(StatusCode::OK, page::catalog_page(lang, &user.person, &user.csrf, seq, &Upload::None)),
        Err(e) => error_page(lang, &e),
    }
}

pub(super) async fn catalog_upload(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    body: Body,
) -> Response {
    let lang = lang_of(&headers, &q);
    let user = match signed_in(&hub, peer, &headers, lang).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let invalid = |m: &str| error_page(lang, &ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m));
    let Some(boundary) = boundary(&headers) else { return invalid("the form must be multipart/form-data") };
    let (bytes, _held) = match read_body(&hub, &headers, body, super::MAX_CATALOG_BYTES + 64 * 1024).await {
        Ok(b) => b,
        Err(e) => return error_page(lang, &e),
    };
    let Some(parts) = multipart(&bytes, &boundary) else { return invalid("the form is not well formed") };
    let csrf = parts.iter().find(|p| p.name == "csrf").and_then(|p| std::str::from_utf8(&p.data).ok());
    if !csrf.is_some_and(|c| same(c, &user.csrf)) {
        return refused(lang, StatusCode::FORBIDDEN, "csrf");
    }
    let Some(file) = parts.into_iter().find(|p| p.name == "file" && !p.data.is_empty()) else {
        return invalid("no file was chosen");
    };
    let format = onsite_core::import::Format::detect(file.filename.as_deref().map(std::path::Path::new), &file.data);
    let backend = hub.backend.clone();
    let outcome = blocking(move || backend.publish_catalog(&file.data, format)).await;
    let (status, upload) = match outcome {
        Ok(s) => {
            if hub.config.log {
                log::line("info", &format!("console: catalog published by {} (sequence {})", user.person, s.seq));
            }
            (StatusCode::OK, Upload::Published(changed_kinds(&s), s.seq))
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let lines = e.message.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
            (StatusCode::UNPROCESSABLE_ENTITY, Upload::Refused(lines))
        }
        Err(e) => return error_page(lang, &e),
    };
    match catalog_seq(&hub).await {
        Ok(seq) => html(status, page::catalog_page(lang, &user.person, &user.csrf, seq, &upload)),
        Err(e) => error_page(lang, &e),
    }
}

pub(super) async fn quote_pdf(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    if let Err(r) = signed_in(&hub, peer, &headers, lang).await {
        return r;
    }
    let backend = hub.backend.clone();
    match blocking(move || backend.quote_view(&id)).await {
        Ok(Some(view)) => super::approval::pdf_of(&hub, view, None).await,
        Ok(None) => error_page(lang, &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such quote")),
        Err(e) => error_page(lang, &e),
    }
}

pub(super) async fn campaigns(State(hub): State<Hub>, s: Signed) -> Response {
    let backend = hub.backend.clone();
    match blocking(move || Ok((backend.campaign_reports()?, reps_of(&backend.devices()?)))).await {
        Ok((reports, reps)) => {
            html(StatusCode::OK, page::campaigns_page(s.lang, &s.user.person, &s.user.csrf, &reports, &reps))
        }
        Err(e) => error_page(s.lang, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_are_split_and_malformed_ones_refused() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"k.csv\"\r\nContent-Type: text/csv\r\n\r\nsku;name\r\nA;B\r\n\r\n--XyZ--\r\n";
        let parts = multipart(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data.as_slice()), ("csrf", &b"abc"[..]));
        assert_eq!(parts[1].filename.as_deref(), Some("k.csv"));
        assert_eq!(parts[1].data, b"sku;name\r\nA;B\r\n");
        // Cut anywhere, it is refused (never a part cut short taken whole).
        for cut in 0..body.len() - 2 {
            assert!(multipart(&body[..cut], "XyZ").is_none(), "{cut}");
        }
        assert!(multipart(b"--XyZ\r\nno headers end", "XyZ").is_none());
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("multipart/form-data; boundary=\"XyZ\""));
        assert_eq!(boundary(&h).as_deref(), Some("XyZ"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        assert_eq!(boundary(&h), None);
    }
}

#[derive(Deserialize)]
pub(super) struct AccountsQuery {
    #[serde(default)]
    rep: Option<String>,
    #[serde(default)]
    account: Option<String>,
}

/// The reps the hub knows (people behind rep devices), sorted.
fn reps_of(devices: &[DeviceRecord]) -> Vec<String> {
    let mut reps: Vec<String> =
        devices.iter().filter(|d| d.role == DeviceRole::Rep).map(|d| d.person.clone()).collect();
    reps.sort();
    reps.dedup();
    reps
}

pub(super) async fn accounts(State(hub): State<Hub>, s: Signed, Query(q): Query<AccountsQuery>) -> Response {
    let backend = hub.backend.clone();
    let (rep, page_no) = (q.rep.filter(|r| !r.is_empty()), s.page);
    let wanted = rep.clone();
    let found = blocking(move || {
        let reps = reps_of(&backend.devices()?);
        let list = match &wanted {
            None => page::CallList::NotChosen,
            // One more than the page asks, to know whether another follows.
            Some(r) => match backend.call_list(r, Utc::now(), (page_no + 1) * PAGE_ROWS + 1)? {
                None => page::CallList::NoModel,
                Some(all) => {
                    let total = all.len();
                    let rows = all.into_iter().skip(page_no * PAGE_ROWS).take(PAGE_ROWS).collect();
                    page::CallList::Entries(rows, total)
                }
            },
        };
        Ok((reps, list))
    })
    .await;
    match found {
        Ok((reps, list)) => html(
            StatusCode::OK,
            page::accounts_page(s.lang, &s.user.person, &s.user.csrf, &reps, rep.as_deref(), &list, page_no),
        ),
        Err(e) => error_page(s.lang, &e),
    }
}

pub(super) async fn account_open(s: Signed, Query(q): Query<AccountsQuery>) -> Response {
    match q.account.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()) {
        Some(id) => see_other(&format!("/console/accounts/{}?lang={}", page::urlencode(&id), s.lang.code())),
        None => see_other(&format!("/console/accounts?lang={}", s.lang.code())),
    }
}

pub(super) async fn account(State(hub): State<Hub>, s: Signed, Path(id): Path<String>) -> Response {
    let backend = hub.backend.clone();
    match blocking(move || backend.account_detail(&id, Utc::now())).await {
        Ok(Some(d)) => html(StatusCode::OK, page::account_page(s.lang, &s.user.person, &s.user.csrf, &d, s.page)),
        Ok(None) => error_page(s.lang, &ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such account")),
        Err(e) => error_page(s.lang, &e),
    }
}
