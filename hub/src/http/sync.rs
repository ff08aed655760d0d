//! `POST /v1/sync`: a device's frame in, the hub's frame (or a refusal
//! frame) out, with the device's next token when its token is in the last
//! third of its life; `POST /v1/wiped`: a lost device's report (ADR 23).

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onsite_core::sync::{MAX_FRAME_BYTES, SyncError};

use super::auth::{authenticate, lost_device};
use super::body::read_body;
use super::{ApiError, Hub};
use crate::error::Error;
use crate::log;

pub(super) async fn sync(
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
    let rotate = device.rotation_due(chrono::Utc::now(), hub.config.token_lifetime).then_some(device.role);
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
            let mut response = ([(header::CONTENT_TYPE, HeaderValue::from_static(SYNC_TYPE))], frame).into_response();
            if let Some(role) = rotate {
                next_token(&hub, &device_id, role, &mut response).await;
            }
            response
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

/// `POST /v1/blobs`: one chunk of a file in or out (ADR 29). The body is
/// at most a chunk and its header, so the hub holds no more than that of
/// a file in memory per request, however large the file.
pub(super) async fn blobs(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let device = match authenticate(&hub, peer, &headers).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let (body, _held) = match read_body(&hub, &headers, body, onsite_core::sync::blob_frame::MAX_BLOB_FRAME).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let backend = hub.backend.clone();
    let device_id = device.device_id.clone();
    let result = super::blocking(move || {
        let scope = backend.scope(&device)?;
        backend.blob(&scope, &body)
    })
    .await;
    match result {
        Ok(Ok(answer)) => ([(header::CONTENT_TYPE, HeaderValue::from_static(BLOB_TYPE))], answer).into_response(),
        Ok(Err(refusal)) => {
            let e = ApiError::from(Error::Core(refusal));
            hub.metrics.refused(e.code);
            if hub.config.log {
                log::line("warn", &format!("file transfer refused for device {device_id}: {}", e.code));
            }
            e.into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Stages the device's next token and puts it into the answer. The old
/// token keeps working until the device first uses the new one, so an
/// answer lost on the way costs nothing: the device keeps its old token,
/// and a sync after `token_restage_after` hands out another. While a
/// staged token is younger than that, concurrent syncs get none, so no
/// answer can hand the device a token another answer then replaces.
async fn next_token(hub: &Hub, device_id: &str, role: onsite_core::roles::DeviceRole, response: &mut Response) {
    let backend = hub.backend.clone();
    let config = hub.config.clone();
    let id = device_id.to_string();
    let staged = tokio::task::spawn_blocking(move || -> crate::error::Result<Option<(String, String)>> {
        let token = crate::token::generate()?;
        let secrets = config.token_secrets(&token, role);
        let cutoff =
            (chrono::Utc::now() - config.token_restage_after).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        if !backend.stage_token(&id, &secrets, &cutoff)? {
            return Ok(None);
        }
        Ok(secrets.expires_at_text().map(|e| (token, e)))
    })
    .await;
    match staged {
        Ok(Ok(None)) => {}
        Ok(Ok(Some((token, expires)))) => {
            if let (Ok(t), Ok(e)) = (HeaderValue::from_str(&token), HeaderValue::from_str(&expires)) {
                let h = response.headers_mut();
                h.insert(NEXT_TOKEN, t);
                h.insert(NEXT_TOKEN_EXPIRES, e);
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        }
        // The sync itself succeeded; the next one tries again.
        _ if hub.config.log => log::line("warn", &format!("token rotation failed for device {device_id}")),
        _ => {}
    }
}

/// `GET /v1/device`: who the hub says the asking device is (its id, person,
/// role, a customer's account, label, token expiry), for a device that
/// links itself to the hub (`onsite device register`). Never the token.
pub(super) async fn whoami(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match authenticate(&hub, peer, &headers).await {
        Ok(d) => axum::Json(serde_json::json!({
            "device_id": d.device_id,
            "person": d.person,
            "role": d.role.as_str(),
            "account_id": d.account_id,
            "label": d.label,
            "token_expires_at": d.token_expires_at,
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn wiped(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let device = match lost_device(&hub, peer, &headers).await {
        Ok(d) => d,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            // A report sent again after its answer was lost: it landed.
            let hash = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::token::from_header)
                .map(onsite_core::devices::token_hash);
            let backend = hub.backend.clone();
            let again = match hash {
                Some(h) => super::blocking(move || backend.wiped_device(&h)).await.ok().flatten(),
                None => None,
            };
            return match again {
                Some(d) => axum::Json(serde_json::json!({ "device": d })).into_response(),
                None => e.into_response(),
            };
        }
        Err(e) => return e.into_response(),
    };
    let backend = hub.backend.clone();
    match super::blocking(move || backend.record_wiped(&device.device_id)).await {
        Ok(d) => {
            if hub.config.log {
                log::line("info", &format!("device {} reported wiped", d.device_id));
            }
            axum::Json(serde_json::json!({ "device": d })).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The header carrying a device's next token on a sync answer.
pub const NEXT_TOKEN: &str = "x-onsite-next-token";
/// When that token expires (RFC 3339).
pub const NEXT_TOKEN_EXPIRES: &str = "x-onsite-next-token-expires";

/// The media type of sync frames (requests, responses and refusals).
pub const SYNC_TYPE: &str = "application/x-onsite-sync";

/// The media type of file transfer frames.
pub const BLOB_TYPE: &str = "application/x-onsite-blob";
