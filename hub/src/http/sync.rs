//! `POST /v1/sync`: a device's frame in, the hub's frame (or a refusal
//! frame) out.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onsite_core::sync::{MAX_FRAME_BYTES, SyncError};

use super::auth::authenticate;
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
