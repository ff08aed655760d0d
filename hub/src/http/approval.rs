//! The customer's approval page (`approval_page.rs` renders it): the link
//! resolved and checked, the decision taken, the quote's PDF.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onsite_core::approval_link::ApprovalLink;
use onsite_core::money::DisplayLocale;
use onsite_core::sync::DeviceRole;
use serde::Deserialize;

use super::auth::{client_ip, trusted_transport};
use super::body::read_body;
use super::{ApiError, Hub, blocking};
use crate::approval_page::{self as page, Outcome, PageContext};
use crate::log;

pub(super) fn html(status: StatusCode, body: String) -> Response {
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

pub(super) fn header_locale(headers: &HeaderMap) -> DisplayLocale {
    page::locale_from_header(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The address the approval is recorded with: the peer, or behind a
/// trusted proxy the last `X-Forwarded-For` entry (the one it added).
pub(super) fn client_address(hub: &Hub, peer: SocketAddr, headers: &HeaderMap) -> String {
    client_ip(hub, peer, headers).to_string()
}

/// Resolves a link: its outcome, or the page to answer right away.
pub(super) async fn resolve(
    hub: &Hub,
    peer: SocketAddr,
    headers: &HeaderMap,
    segment: &str,
) -> Result<(ApprovalLink, Outcome), Response> {
    // Before a link is verified, the page names no seller: an unknown
    // peer learns nothing and costs no lookup.
    let seller = String::new();
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
            // A device reported lost signs nothing any more: its links are
            // withdrawn like a revoked one's (ADR 23).
            let withdrawn = device.revoked_at.is_some() || device.lost_at.is_some();
            let outcome = page::classify(&link, withdrawn, view, today);
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

pub(super) fn page_context<'a>(hub: &'a Hub, segment: &'a str, link: &ApprovalLink) -> PageContext<'a> {
    PageContext {
        seller: &hub.config.letterhead.company,
        segment,
        link_revision: link.revision,
        just_decided: false,
        form_error: None,
    }
}

pub(super) fn outcome_status(outcome: &Outcome) -> StatusCode {
    match outcome {
        Outcome::Withdrawn(_) | Outcome::Expired(..) => StatusCode::GONE,
        Outcome::Superseded(..) => StatusCode::CONFLICT,
        Outcome::Closed(_) | Outcome::Open(_) => StatusCode::OK,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn approval_get(
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

pub(super) async fn approval_post(
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
            page::message_page(header_locale(&headers), "error", "Error", message, ""),
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
            page::message_page(
                view.quote.locale,
                "error",
                "Error",
                &e.message,
                &view.seller(&hub.config.letterhead.company),
            ),
        ),
    }
}

pub(super) async fn approval_pdf(
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
    pdf_of(&hub, *view, Some(link.url(&base))).await
}

/// The PDF of a quote the hub holds, rendered with the published senders
/// (the approval page's, with its link; the console's, without one).
pub(super) async fn pdf_of(hub: &Hub, view: crate::backend::QuoteView, approval_link: Option<String>) -> Response {
    let mut opts = onsite_core::pdf::PdfOptions::dated(hub.config.today());
    opts.letterhead = hub.config.letterhead.clone();
    opts.company = view.senders.company.clone();
    opts.unit_labels = view.senders.unit_labels.clone();
    opts.approval_link = approval_link;
    let number = view.quote.number.clone();
    let revision = view.quote.revision;
    let rendered = blocking(move || {
        let rep = match &view.senders.rep {
            Some(p) => onsite_core::pdf::RepContact::from_profile(p),
            None => onsite_core::pdf::RepContact { name: view.quote.rep.clone(), ..Default::default() },
        };
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
}
