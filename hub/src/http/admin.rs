//! The back-office JSON API: devices, rep assignments, the catalog and
//! the discount policy, quotes, discount decisions and orders.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use onsite_core::devices::NewDevice;
use onsite_core::import::Format;
use onsite_core::quote::{DiscountPolicy, QuoteState};
use onsite_core::sync::DeviceRole;
use serde::Deserialize;
use serde_json::json;

use super::auth::Admin;
use super::body::{MAX_CATALOG_BYTES, json_body, read_body};
use super::{ApiError, ApiResult, Hub, blocking};
use crate::token;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssueRequest {
    person: String,
    role: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    label: String,
}

pub(super) async fn issue_device(
    State(hub): State<Hub>,
    _: Admin,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let req: IssueRequest = json_body(&hub, &headers, body).await?;
    let role = DeviceRole::parse(&req.role).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "role must be admin, rep or customer")
    })?;
    if let Some(account) = req.account_id.clone() {
        let backend = hub.backend.clone();
        if !blocking(move || backend.unknown_accounts(&[account])).await?.is_empty() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "the customer's account is not at the hub; import or sync it first",
            ));
        }
    }
    let new = NewDevice { person: req.person, role, account_id: req.account_id, label: req.label };
    let backend = hub.backend.clone();
    let config = hub.config.clone();
    let (device, token) = blocking(move || {
        let token = token::generate()?;
        let id = uuid::Uuid::new_v4().to_string();
        Ok((backend.register_device(&id, &new, &config.token_secrets(&token, new.role))?, token))
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "device": device, "token": token }))).into_response())
}

pub(super) async fn list_devices(State(hub): State<Hub>, _: Admin) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let devices = blocking(move || backend.devices()).await?;
    Ok(axum::Json(json!({ "devices": devices })).into_response())
}

pub(super) async fn revoke_device(State(hub): State<Hub>, _: Admin, Path(id): Path<String>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let device = blocking(move || backend.revoke_device(&id)).await?;
    Ok(axum::Json(json!({ "device": device })).into_response())
}

/// `POST /v1/admin/devices/{id}/token`: a new token for the same device
/// (its token expired or leaked); the old one stops working, the device's
/// store keeps its data. Shown once, like an issued one.
pub(super) async fn reissue_token(State(hub): State<Hub>, _: Admin, Path(id): Path<String>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let config = hub.config.clone();
    let (device, token) = blocking(move || {
        let role = backend
            .device_link_key(&id)?
            .map(|(d, _)| d.role)
            .ok_or_else(|| onsite_core::Error::not_found("device", id.clone()))?;
        let token = token::generate()?;
        Ok((backend.reissue_token(&id, &config.token_secrets(&token, role))?, token))
    })
    .await?;
    Ok(axum::Json(json!({ "device": device, "token": token })).into_response())
}

/// `POST /v1/admin/devices/{id}/lost`: the device's next contact is
/// answered with a wipe.
pub(super) async fn mark_lost(State(hub): State<Hub>, _: Admin, Path(id): Path<String>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let device = blocking(move || backend.mark_lost(&id)).await?;
    Ok(axum::Json(json!({ "device": device })).into_response())
}

/// `GET /v1/admin/persons/{id}`: every datum held on a contact (GDPR
/// Art. 15, ADR 24), as JSON.
pub(super) async fn export_person(State(hub): State<Hub>, _: Admin, Path(id): Path<String>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let export = blocking(move || backend.export_person(&id)).await?;
    Ok(axum::Json(export).into_response())
}

/// `POST /v1/admin/persons/{id}/erase`: forgets a contact everywhere (GDPR
/// Art. 17, ADR 24); answers what was removed and what is kept and why.
pub(super) async fn erase_person(State(hub): State<Hub>, _: Admin, Path(id): Path<String>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let report = blocking(move || backend.erase_person(&id)).await?;
    if !report.already_erased {
        // The id only: the log names no one.
        crate::log::line("info", &format!("person {} erased", report.contact_id));
    }
    Ok(axum::Json(report).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AssignRequest {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

pub(super) async fn assign_accounts(
    State(hub): State<Hub>,
    _: Admin,
    Path(rep): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let req: AssignRequest = json_body(&hub, &headers, body).await?;
    let backend = hub.backend.clone();
    let rep2 = rep.clone();
    let add = req.add.clone();
    let unknown = blocking(move || backend.unknown_accounts(&add)).await?;
    if !unknown.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no account {} at the hub; import or sync it first", unknown.join(", ")),
        ));
    }
    let backend = hub.backend.clone();
    let accounts = blocking(move || backend.assign(&rep2, &req.add, &req.remove)).await?;
    Ok(axum::Json(json!({ "rep": rep, "accounts": accounts })).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct CatalogQuery {
    #[serde(default)]
    format: Option<String>,
}

pub(super) async fn publish_catalog(
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

/// `PUT /v1/admin/images/{name}`: publishes one product image under the
/// file name the catalog's `image` column uses (ADR 29). The content is
/// sniffed (PNG or JPEG), decoded and made into a thumbnail; a damaged,
/// oversized or other file is refused (422) with nothing published.
pub(super) async fn publish_image(
    State(hub): State<Hub>,
    _: Admin,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let limit = onsite_core::blob::BlobKind::Image.max_bytes() as usize;
    let (body, _held) = read_body(&hub, &headers, body, limit).await?;
    let backend = hub.backend.clone();
    let (summary, item) = blocking(move || {
        let prepared = onsite_core::blob::prepare_image(&name, &body).map_err(onsite_core::Error::from)?;
        let item = prepared.item.clone();
        Ok((backend.publish_images(&[prepared])?, item))
    })
    .await?;
    Ok(axum::Json(serde_json::json!({ "seq": summary.seq, "image": item })).into_response())
}

/// `POST /v1/admin/accounts`: accounts with their contacts from a CRM
/// export (CSV or a JSON array, docs/hub.md), all or nothing; every bad row
/// is answered with its line (422).
pub(super) async fn import_accounts(
    State(hub): State<Hub>,
    _: Admin,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (body, _held) = read_body(&hub, &headers, body, MAX_CATALOG_BYTES).await?;
    let backend = hub.backend.clone();
    let (accounts, contacts) = blocking(move || {
        let imports = onsite_core::import::parse_accounts(&body)
            .map_err(|problems| onsite_core::Error::Import(onsite_core::import::ImportReport { problems }))?;
        backend.import_accounts(&imports)
    })
    .await?;
    Ok(axum::Json(json!({ "accounts": accounts, "contacts": contacts })).into_response())
}

pub(super) async fn publish_policy(
    State(hub): State<Hub>,
    _: Admin,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let policy: DiscountPolicy = json_body(&hub, &headers, body).await?;
    let backend = hub.backend.clone();
    let seq = blocking(move || backend.publish_policy(&policy)).await?;
    Ok(axum::Json(json!({ "catalog_seq": seq })).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct QuotesQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    pending_discount: Option<bool>,
}

pub(super) async fn list_quotes(State(hub): State<Hub>, _: Admin, Query(q): Query<QuotesQuery>) -> ApiResult<Response> {
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
pub(super) struct DecisionRequest {
    approved: bool,
    /// Why, for the rep (shown on the tablet with the decision).
    #[serde(default)]
    reason: Option<String>,
}

pub(super) async fn decide_discount(
    State(hub): State<Hub>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let by = admin.person;
    let req: DecisionRequest = json_body(&hub, &headers, body).await?;
    let backend = hub.backend.clone();
    let quote = blocking(move || backend.decide_discount(&id, req.approved, &by, req.reason.as_deref())).await?;
    Ok(axum::Json(json!({ "quote": quote })).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct OrdersQuery {
    #[serde(default)]
    account: Option<String>,
}

pub(super) async fn list_orders(State(hub): State<Hub>, _: Admin, Query(q): Query<OrdersQuery>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    let orders = blocking(move || backend.orders(q.account.as_deref())).await?;
    Ok(axum::Json(json!({ "orders": orders })).into_response())
}

pub(super) async fn publish_company(
    State(hub): State<Hub>,
    _: Admin,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let profile: onsite_core::profile::CompanyProfile = json_body(&hub, &headers, body).await?;
    let backend = hub.backend.clone();
    let seq = blocking(move || backend.publish_company(&profile)).await?;
    Ok(axum::Json(json!({ "catalog_seq": seq })).into_response())
}

pub(super) async fn get_company(State(hub): State<Hub>, _: Admin) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    match blocking(move || backend.senders("")).await?.company {
        Some(p) => Ok(axum::Json(p).into_response()),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no company profile is published")),
    }
}

/// A rep's profile as the API takes it: the rep's id is the path's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RepProfileRequest {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

pub(super) async fn publish_rep_profile(
    State(hub): State<Hub>,
    _: Admin,
    Path(rep): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let r: RepProfileRequest = json_body(&hub, &headers, body).await?;
    let profile =
        onsite_core::profile::RepProfile { rep, name: r.name, title: r.title, phone: r.phone, email: r.email };
    let backend = hub.backend.clone();
    let seq = blocking(move || backend.publish_rep_profile(&profile)).await?;
    Ok(axum::Json(json!({ "catalog_seq": seq })).into_response())
}

pub(super) async fn get_rep_profile(State(hub): State<Hub>, _: Admin, Path(rep): Path<String>) -> ApiResult<Response> {
    let backend = hub.backend.clone();
    match blocking(move || backend.senders(&rep)).await?.rep {
        Some(p) => Ok(axum::Json(p).into_response()),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no profile is published for this rep")),
    }
}
