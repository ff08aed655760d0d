//! Request bodies within bounds: read within the body deadline, at most a
//! limit as sent and inflated, every byte of their allocation reserved from
//! the memory budget all requests in flight share.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};

use super::{ApiError, ApiResult, Hub};

/// Largest catalog upload (after decompression).
pub const MAX_CATALOG_BYTES: usize = 256 << 20;

/// Largest JSON body of the other back-office calls.
pub(super) const MAX_JSON_BYTES: usize = 1 << 20;

/// Memory reserved from the budget for one request body; given back when
/// dropped.
pub(super) struct Reserved(Vec<tokio::sync::OwnedSemaphorePermit>);

pub(super) fn reserve(hub: &Hub, held: &mut Reserved, bytes: usize) -> ApiResult<()> {
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
pub(super) fn grow(hub: &Hub, held: &mut Reserved, buf: &mut Vec<u8>, more: usize, limit: usize) -> ApiResult<()> {
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
pub(super) async fn read_body(
    hub: &Hub,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> ApiResult<(Bytes, Reserved)> {
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

pub(super) fn too_large(limit: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("the body exceeds {limit} bytes"))
}

pub(super) async fn json_body<T: serde::de::DeserializeOwned>(
    hub: &Hub,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<T> {
    let (bytes, _held) = read_body(hub, headers, body, MAX_JSON_BYTES).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("request body: {e}")))
}
