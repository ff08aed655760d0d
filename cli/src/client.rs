//! A blocking client of the hub's HTTP API: the `onsite admin` commands,
//! the demo and the load generator use it, and [`sync_store`] carries a
//! device store's frames to the hub (the transport at the edge of the
//! sans-IO engine).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onsite_core::Store;
use onsite_core::sync::{MAX_FRAME_BYTES, SyncReport};
use serde_json::Value;

use crate::error::{Error, Result};

/// Bodies above this size are sent gzip-compressed.
const COMPRESS_ABOVE: usize = 1024;
/// Largest JSON answer read.
const MAX_JSON: u64 = 256 << 20;

/// A hub URL and a device token. The token is replaced by the next one
/// when a sync answer hands it over (ADR 23); clones share it.
#[derive(Clone)]
pub struct HubClient {
    base: String,
    token: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient").field("base", &self.base).field("token", &"<redacted>").finish()
    }
}

fn http_err(e: ureq::Error) -> Error {
    Error::Http(e.to_string())
}

impl HubClient {
    /// A client of the hub at `base` (`http://…` or `https://…`) using
    /// `token`; `ca` adds a PEM certificate to trust (a private CA).
    pub fn new(base: &str, token: &str, ca: Option<&Path>) -> Result<HubClient> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Usage(format!("the hub URL must start with http:// or https://, not {base:?}")));
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            // The hub's API never redirects; a redirect would carry a body
            // without its token (the sync transport's contract, ADR 27).
            .max_redirects(0)
            .max_idle_connections_per_host(4);
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).map_err(|source| Error::File { path: ca.to_path_buf(), source })?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(Error::Tls(format!("{}: no certificate found", ca.display())));
            }
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(certs)))
                    .build(),
            );
        }
        Ok(HubClient { base, token: Arc::new(Mutex::new(token.to_string())), agent: config.build().into() })
    }

    /// The token in use (the rotated one after a sync handed one over):
    /// what a device keeps for its next sync.
    pub fn token(&self) -> String {
        self.token.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn authorization(&self) -> String {
        format!("Bearer {}", self.token())
    }

    /// A lost device's report that it deleted its data (after the hub
    /// answered a sync with a wipe); the hub revokes the token with it.
    pub fn report_wiped(&self) -> Result<Value> {
        self.post_json("/v1/wiped", &serde_json::json!({}))
    }

    /// The hub's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn answer(mut resp: ureq::http::Response<ureq::Body>, limit: u64) -> Result<Vec<u8>> {
        let status = resp.status().as_u16();
        let frame = resp
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(onsite_hub::http::SYNC_TYPE.as_bytes()));
        let body = resp.body_mut().with_config().limit(limit).read_to_vec().map_err(http_err)?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        if status == 409 && frame {
            return Err(Error::HubFrame(body));
        }
        let json = serde_json::from_slice::<Value>(&body).ok();
        let message = json
            .as_ref()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect());
        if status == 410 && json.as_ref().and_then(|v| v.get("error")).and_then(Value::as_str) == Some("wipe") {
            return Err(Error::Wipe(message));
        }
        Err(Error::Hub { status, message })
    }

    /// Sends `body` (gzip-compressed when large) to `path` with `method`.
    fn send(&self, method: &str, path: &str, content_type: &str, body: &[u8], limit: u64) -> Result<Vec<u8>> {
        Self::answer(self.send_raw(method, path, content_type, body)?, limit)
    }

    fn send_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let auth = self.authorization();
        let req = match method {
            "PUT" => self.agent.put(self.url(path)),
            _ => self.agent.post(self.url(path)),
        }
        .header("Authorization", &auth)
        .header("Content-Type", content_type);
        let resp = if body.len() > COMPRESS_ABOVE {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(body)?;
            req.header("Content-Encoding", "gzip").send(&gz.finish()?[..])
        } else {
            req.send(body)
        }
        .map_err(http_err)?;
        Ok(resp)
    }

    /// One sync round trip: a request frame out, the answer back: the
    /// response frame, or the refusal frame the hub answers 409 with when
    /// it refused changes (the device applies both). A next token in the
    /// answer replaces the client's once the whole answer has arrived.
    pub fn sync_frame(&self, frame: &[u8]) -> Result<Vec<u8>> {
        let resp = self.send_raw("POST", "/v1/sync", onsite_hub::http::SYNC_TYPE, frame)?;
        let next = resp
            .headers()
            .get(onsite_hub::http::NEXT_TOKEN)
            .and_then(|v| v.to_str().ok())
            .filter(|t| onsite_hub::token::well_formed(t))
            .map(str::to_string);
        match Self::answer(resp, MAX_FRAME_BYTES as u64) {
            Ok(body) => {
                if let Some(next) = next {
                    *self.token.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = next;
                }
                Ok(body)
            }
            Err(Error::HubFrame(refusal)) => Ok(refusal),
            Err(e) => Err(e),
        }
    }

    /// `GET path` with the token: the answer's bytes, at most `MAX_JSON`.
    fn get(&self, path: &str) -> Result<Vec<u8>> {
        let resp =
            self.agent.get(self.url(path)).header("Authorization", &self.authorization()).call().map_err(http_err)?;
        Self::answer(resp, MAX_JSON)
    }

    /// `GET path` as JSON.
    pub fn get_json(&self, path: &str) -> Result<Value> {
        Ok(serde_json::from_slice(&self.get(path)?)?)
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        let bytes = serde_json::to_vec(body)?;
        Ok(serde_json::from_slice(&self.send("POST", path, "application/json", &bytes, MAX_JSON)?)?)
    }

    /// `PUT path` with a JSON body.
    pub fn put_json(&self, path: &str, body: &Value) -> Result<Value> {
        let bytes = serde_json::to_vec(body)?;
        Ok(serde_json::from_slice(&self.send("PUT", path, "application/json", &bytes, MAX_JSON)?)?)
    }

    /// `POST path` with a raw body (a catalog file).
    pub fn post_bytes(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Value> {
        Ok(serde_json::from_slice(&self.send("POST", path, content_type, body, MAX_JSON)?)?)
    }

    /// `PUT path` with a raw body, the answer as JSON.
    pub fn put_bytes(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Value> {
        Ok(serde_json::from_slice(&self.send("PUT", path, content_type, body, MAX_JSON)?)?)
    }

    /// `GET path` as text (health, metrics).
    pub fn get_text(&self, path: &str) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.get(path)?).into_owned())
    }
}

/// Syncs `store` with the hub until a round reports done (at most
/// `max_round_trips`). A failed round trip loses nothing: the next sync
/// starts a new session from what both sides are known to share.
pub fn sync_store(store: &Store, client: &HubClient, max_round_trips: u32) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    loop {
        let request = store.sync_request()?;
        let response = client.sync_frame(&request)?;
        report.round_trips += 1;
        report.bytes_up += request.len() as u64;
        report.bytes_down += response.len() as u64;
        let round = store.sync_apply(&response)?;
        report.refusals += round.refused.len() as u32;
        if round.done {
            return Ok(report);
        }
        if report.round_trips >= max_round_trips {
            return Err(Error::Hub {
                status: 0,
                message: format!("sync not finished after {max_round_trips} round trips"),
            });
        }
    }
}

/// The sync driver's transport over this client's ureq agent (its TLS
/// roots, a private CA included): `onsite device sync` (ADR 27).
#[derive(Debug)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl HubClient {
    /// A transport for [`onsite_core::sync::driver::sync`] over this client.
    pub fn transport(&self) -> UreqTransport {
        UreqTransport { agent: self.agent.clone() }
    }
}

impl onsite_core::sync::Transport for UreqTransport {
    fn post(
        &self,
        request: onsite_core::sync::TransportRequest,
    ) -> std::result::Result<onsite_core::sync::TransportResponse, onsite_core::sync::TransportFailure> {
        use onsite_core::sync::{Header, TransportFailure as F, TransportResponse};
        let mut req = self.agent.post(&request.url);
        for h in &request.headers {
            req = req.header(h.name.as_str(), h.value.as_str());
        }
        let mut resp = req.send(&request.body[..]).map_err(|e| match e {
            ureq::Error::Timeout(_) => F::Timeout(e.to_string()),
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => F::Tls(e.to_string()),
            // A connection that broke off shows as I/O or as an answer cut
            // mid-protocol: retried.
            ureq::Error::Io(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_) => F::Offline(e.to_string()),
            // A malformed URL, a redirect, a body over a limit: not retried.
            other => F::Failed(other.to_string()),
        })?;
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| Header { name: k.as_str().to_string(), value: v.to_string() }))
            .collect();
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_FRAME_BYTES as u64 + 1024)
            .read_to_vec()
            .map_err(|e| F::Offline(format!("the answer broke off: {e}")))?;
        Ok(TransportResponse { status, headers, body })
    }
}

/// What a browser would get from a hub page.
#[derive(Debug, Clone)]
pub struct WebAnswer {
    /// HTTP status.
    pub status: u16,
    /// The `Location` of a redirect.
    pub location: Option<String>,
    /// `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl WebAnswer {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn web_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn web_answer(mut resp: ureq::http::Response<ureq::Body>) -> Result<WebAnswer> {
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let location = header("location");
    let content_type = header("content-type").unwrap_or_default();
    let status = resp.status().as_u16();
    let body = resp.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(http_err)?;
    Ok(WebAnswer { status, location, content_type, body })
}

/// `GET url` as a browser would (no token, redirects not followed).
pub fn web_get(url: &str, accept_language: &str) -> Result<WebAnswer> {
    web_answer(web_agent().get(url).header("Accept-Language", accept_language).call().map_err(http_err)?)
}

/// Submits a form to `url` as a browser would (`application/x-www-form-urlencoded`).
pub fn web_post_form(url: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Result<WebAnswer> {
    let body = serde_urlencoded::to_string(fields).map_err(|e| Error::Usage(e.to_string()))?;
    let mut req = web_agent().post(url).header("Content-Type", "application/x-www-form-urlencoded");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    web_answer(req.send(body.as_bytes()).map_err(http_err)?)
}
