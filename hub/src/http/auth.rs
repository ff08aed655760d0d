//! Who is asking: the device token checked from the headers before any
//! body byte is read, failed attempts rate-limited per address, plain HTTP
//! only from loopback or a trusted proxy, and the back-office guard.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, StatusCode, header};
use onsite_core::devices::{DeviceRecord, Standing, token_hash};
use onsite_core::sync::DeviceRole;

use super::{ApiError, ApiResult, Hub, blocking};
use crate::log;
use crate::token;

/// Failed authentications per address in the current window.
#[derive(Debug, Default)]
pub(super) struct AuthLimiter {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AuthLimiter {
    /// Seconds until `ip` may try again, if it is over the limit.
    pub(super) fn blocked(&self, ip: IpAddr, (limit, window): (u32, Duration)) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (since, n) = *map.get(&ip)?;
        let left = window.checked_sub(since.elapsed())?;
        (n >= limit).then(|| left.as_secs().max(1))
    }

    pub(super) fn failed(&self, ip: IpAddr, (_, window): (u32, Duration)) {
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

/// Checks the bearer token and the transport and the device's standing:
/// an expired token is answered 401 `token_expired`, a device reported lost
/// 410 `wipe` (it deletes its data and reports back, ADR 23).
pub(super) async fn authenticate(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> ApiResult<DeviceRecord> {
    let device = identify(hub, peer, headers).await?;
    match device.standing(chrono::Utc::now()) {
        Standing::Active => Ok(device),
        Standing::Lost => {
            if hub.config.log {
                log::line("warn", &format!("device {} reported lost: told to wipe", device.device_id));
            }
            Err(ApiError::new(
                StatusCode::GONE,
                "wipe",
                "this device was reported lost: delete its data and its key, then report back (POST /v1/wiped)",
            ))
        }
        Standing::Expired => {
            hub.metrics.auth_failure();
            if hub.config.log {
                log::line("warn", &format!("authentication refused: token_expired (device {})", device.device_id));
            }
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "token_expired",
                "the device token expired; the back office issues a new one",
            ))
        }
        Standing::Revoked => {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "unknown or revoked device token"))
        }
    }
}

/// The device a lost device's report comes from: authenticated, lost.
pub(super) async fn lost_device(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> ApiResult<DeviceRecord> {
    let device = identify(hub, peer, headers).await?;
    if device.standing(chrono::Utc::now()) != Standing::Lost {
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", "this device was not reported lost"));
    }
    Ok(device)
}

/// Checks the bearer token and the transport; counts and logs failures.
async fn identify(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> ApiResult<DeviceRecord> {
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
pub(super) fn trusted_transport(hub: &Hub, peer: SocketAddr) -> bool {
    peer.ip().is_loopback() || hub.config.trusted_proxies.contains(&peer.ip())
}

/// The client's address: the peer's, or behind a trusted proxy the last
/// `X-Forwarded-For` entry (the one that proxy added). Any other peer's
/// `X-Forwarded-For` is ignored.
pub(super) fn client_ip(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
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
pub(super) struct Admin(pub(super) DeviceRecord);

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

pub(super) async fn admin(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> ApiResult<DeviceRecord> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
