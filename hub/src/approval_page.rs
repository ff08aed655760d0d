//! The customer's approval page: what the QR code and the link on a quote
//! PDF open. One signed link per quote revision (see
//! `onsite_core::approval_link`); the page shows that revision as HTML with
//! the PDF for download and takes an approval (name and role) or a
//! rejection (a reason) through plain HTML forms: no JavaScript.
//!
//! Every way a link can fail gets its own page in the quote's language:
//! not valid (malformed, forged, unknown: one page, so a guesser learns
//! nothing), withdrawn (the signing device was revoked), expired,
//! superseded by a later revision, already decided, not open.

use chrono::NaiveDate;
use onsite_core::approval_link::ApprovalLink;
use onsite_core::money::{DisplayLocale, Money};
use onsite_core::quote::{Approval, ApprovalStatus, CustomerDecision, Quote, QuoteState, SignerAuth};

use super::backend::QuoteView;

/// Longest name, role or reason accepted from the form.
pub const MAX_NAME: usize = 120;
/// Longest rejection reason.
pub const MAX_REASON: usize = 2000;
/// Largest form body accepted.
pub const MAX_FORM_BYTES: usize = 64 << 10;

/// What a link leads to, decided from the link, the signing device and the
/// quote the hub holds.
#[derive(Debug)]
pub enum Outcome {
    /// The device that signed it was revoked.
    Withdrawn(Box<QuoteView>),
    /// Past the link's or the quote's validity.
    Expired(Box<QuoteView>, NaiveDate),
    /// The link is for an earlier revision.
    Superseded(Box<QuoteView>, u32),
    /// Decided already (approved, ordered, rejected), or withdrawn by the seller.
    Closed(Box<QuoteView>),
    /// Open: the customer may decide.
    Open(Box<QuoteView>),
}

/// Classifies a verified link against the quote the hub holds.
pub fn classify(link: &ApprovalLink, revoked: bool, view: QuoteView, today: NaiveDate) -> Outcome {
    let view = Box::new(view);
    let q = &view.quote;
    if revoked {
        return Outcome::Withdrawn(view);
    }
    let current = link.is_current_for(q);
    if !current {
        // An approval of this revision already superseded: still "superseded".
        let rev = view.quote.revision;
        return Outcome::Superseded(view, rev);
    }
    match q.state {
        QuoteState::Approved | QuoteState::Ordered | QuoteState::Rejected | QuoteState::Cancelled => {
            Outcome::Closed(view)
        }
        QuoteState::Expired => {
            let until = q.valid_until.min(link.expires);
            Outcome::Expired(view, until)
        }
        QuoteState::Sent if today > link.expires || today > q.valid_until => {
            let until = q.valid_until.min(link.expires);
            Outcome::Expired(view, until)
        }
        QuoteState::Sent => Outcome::Open(view),
        // Draft or waiting for a discount decision: not offered.
        _ => Outcome::Closed(view),
    }
}

/// The form the page posts.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct DecisionForm {
    /// `approve` or `reject`.
    #[serde(default)]
    pub decision: String,
    /// Signer's name.
    #[serde(default)]
    pub name: String,
    /// Signer's role.
    #[serde(default)]
    pub role: String,
    /// Why the quote is rejected.
    #[serde(default)]
    pub reason: String,
}

/// Parses an `application/x-www-form-urlencoded` body strictly: `None` if
/// a value is not valid UTF-8 once percent-decoded (a lossy decoder would
/// turn it into U+FFFD and record that as a signature) or a percent escape
/// is broken. Unknown fields are ignored.
pub fn parse_form(body: &[u8]) -> Option<DecisionForm> {
    let mut form = DecisionForm::default();
    for (key, value) in parse_pairs(body)? {
        match key.as_str() {
            "decision" => form.decision = value,
            "name" => form.name = value,
            "role" => form.role = value,
            "reason" => form.reason = value,
            _ => {}
        }
    }
    Some(form)
}

/// The fields of an `application/x-www-form-urlencoded` body, in order:
/// `None` if a value is not valid UTF-8 once percent-decoded or a percent
/// escape is broken (never a lossy decoding).
pub fn parse_pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    fn decode(part: &[u8]) -> Option<String> {
        let mut out = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            match part[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = part.get(i + 1..i + 3)?;
                    let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                    out.push(v);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    let mut pairs = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let mut kv = pair.splitn(2, |b| *b == b'=');
        let key = decode(kv.next()?)?;
        let value = decode(kv.next().unwrap_or_default())?;
        pairs.push((key, value));
    }
    Some(pairs)
}

fn field(value: &str, max: usize, what_de: &str, what_en: &str, locale: DisplayLocale) -> Result<String, String> {
    let v = value.trim();
    let chars = v.chars().count();
    if chars == 0 {
        return Err(match locale {
            DisplayLocale::De => format!("Bitte {what_de} angeben."),
            DisplayLocale::En => format!("Please enter {what_en}."),
        });
    }
    if chars > max || v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(match locale {
            DisplayLocale::De => format!("{what_de} ist zu lang oder enthält Steuerzeichen (höchstens {max} Zeichen)."),
            DisplayLocale::En => format!("{what_en} is too long or contains control characters (at most {max})."),
        });
    }
    Ok(v.to_string())
}

/// Turns a posted form into a decision on the quote's current revision;
/// `Err` is the message to show above the form.
pub fn decision(
    form: &DecisionForm,
    quote: &Quote,
    client: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<CustomerDecision, String> {
    let l = quote.locale;
    match form.decision.as_str() {
        "approve" => {
            let name = field(&form.name, MAX_NAME, "Ihren Namen", "your name", l)?;
            let role = field(&form.role, MAX_NAME, "Ihre Funktion", "your role", l)?;
            Ok(CustomerDecision::Approve(Approval {
                quote_id: quote.id.clone(),
                revision_hash: quote.revision_hash.clone(),
                signer_name: name,
                signer_role: role,
                auth: SignerAuth::WebLink,
                device_time: now,
                device_id: "web".into(),
                client_address: Some(client.to_string()),
            }))
        }
        "reject" => {
            let reason = field(&form.reason, MAX_REASON, "einen Grund", "a reason", l)?;
            Ok(CustomerDecision::Reject { revision_hash: quote.revision_hash.clone(), reason })
        }
        _ => Err(match l {
            DisplayLocale::De => "Bitte „Freigeben“ oder „Ablehnen“ wählen.".into(),
            DisplayLocale::En => "Please choose Approve or Reject.".into(),
        }),
    }
}

struct Words {
    lang: &'static str,
    quote: &'static str,
    for_: &'static str,
    revision: &'static str,
    valid_until: &'static str,
    discount: &'static str,
    net_total: &'static str,
    vat_on: &'static str,
    gross_total: &'static str,
    header_discount: &'static str,
    payment: &'static str,
    delivery: &'static str,
    notes: &'static str,
    arguments: &'static str,
    download: &'static str,
    approve_h: &'static str,
    approve_text: &'static str,
    name: &'static str,
    role: &'static str,
    approve_btn: &'static str,
    reject_h: &'static str,
    reason: &'static str,
    reject_btn: &'static str,
    hash: &'static str,
    contact: &'static str,
    sample: &'static str,
    optional: &'static str,
    alternative: &'static str,
    chosen: &'static str,
    not_in_total: &'static str,
    invalid_h: &'static str,
    invalid: &'static str,
    withdrawn_h: &'static str,
    withdrawn: &'static str,
    expired_h: &'static str,
    expired: &'static str,
    superseded_h: &'static str,
    superseded: &'static str,
    approved_h: &'static str,
    thanks_h: &'static str,
    approved: &'static str,
    rejected_h: &'static str,
    rejected: &'static str,
    cancelled_h: &'static str,
    not_open_h: &'static str,
    not_open: &'static str,
    https_h: &'static str,
    https: &'static str,
}

const DE: Words = Words {
    lang: "de",
    quote: "Angebot",
    for_: "für",
    revision: "Revision",
    valid_until: "gültig bis",
    discount: "Rabatt",
    net_total: "Summe netto",
    vat_on: "USt. {rate} % auf {base}",
    gross_total: "Gesamtbetrag brutto",
    header_discount: "Gesamtrabatt",
    payment: "Zahlungsbedingungen",
    delivery: "Lieferbedingungen",
    notes: "Hinweise",
    arguments: "Beigefügt",
    download: "Angebot als PDF herunterladen",
    approve_h: "Angebot freigeben",
    approve_text: "Mit der Freigabe nehmen Sie dieses Angebot in genau dieser Revision an.",
    name: "Ihr Name",
    role: "Ihre Funktion",
    approve_btn: "Verbindlich freigeben",
    reject_h: "Angebot ablehnen",
    reason: "Grund",
    reject_btn: "Ablehnen",
    hash: "Prüfsumme dieser Revision",
    contact: "Ihr Ansprechpartner",
    sample: "Muster: Es ist kein Firmenprofil veröffentlicht, der Absender ist ein Beispiel.",
    optional: "Optionale Position",
    alternative: "Alternativposition",
    chosen: "gewählt",
    not_in_total: "nicht in der Summe",
    invalid_h: "Dieser Link ist nicht gültig",
    invalid: "Der Link ist unvollständig oder gehört zu keinem Angebot. Bitte öffnen Sie ihn noch einmal aus dem PDF oder fragen Sie Ihren Ansprechpartner.",
    withdrawn_h: "Dieser Link wurde zurückgezogen",
    withdrawn: "Der Link wurde aus Sicherheitsgründen gesperrt. Bitte fordern Sie bei {rep} einen neuen an.",
    expired_h: "Dieses Angebot ist abgelaufen",
    expired: "Das Angebot {number} war bis zum {date} gültig und kann nicht mehr freigegeben werden. Bitte fragen Sie {rep} nach einem neuen Angebot.",
    superseded_h: "Dieses Angebot wurde überarbeitet",
    superseded: "Der Link gehört zu Revision {old} des Angebots {number}. Inzwischen gilt Revision {new}; diese Fassung kann nicht mehr freigegeben werden. Bitte verwenden Sie den Link aus dem aktuellen PDF.",
    approved_h: "Dieses Angebot ist freigegeben",
    thanks_h: "Vielen Dank, das Angebot ist freigegeben",
    approved: "Freigegeben von {name} ({role}) am {date} für Revision {rev}.",
    rejected_h: "Dieses Angebot wurde abgelehnt",
    rejected: "Abgelehnt. Grund: {reason}",
    cancelled_h: "Dieses Angebot wurde zurückgezogen",
    not_open_h: "Dieses Angebot ist nicht zur Freigabe offen",
    not_open: "Das Angebot wird gerade bearbeitet. Sie erhalten einen neuen Link, sobald es wieder vorliegt.",
    https_h: "Bitte über HTTPS öffnen",
    https: "Diese Seite wird nur über eine gesicherte Verbindung ausgeliefert.",
};

const EN: Words = Words {
    lang: "en",
    quote: "Quote",
    for_: "for",
    revision: "Revision",
    valid_until: "valid until",
    discount: "discount",
    net_total: "Net total",
    vat_on: "VAT {rate} % on {base}",
    gross_total: "Total incl. VAT",
    header_discount: "Overall discount",
    payment: "Payment terms",
    delivery: "Delivery terms",
    notes: "Notes",
    arguments: "Attached",
    download: "Download the quote as PDF",
    approve_h: "Approve the quote",
    approve_text: "By approving you accept this quote in exactly this revision.",
    name: "Your name",
    role: "Your role",
    approve_btn: "Approve (binding)",
    reject_h: "Reject the quote",
    reason: "Reason",
    reject_btn: "Reject",
    hash: "Checksum of this revision",
    contact: "Your contact",
    sample: "Sample: no company profile is published, the sender is an example.",
    optional: "Optional item",
    alternative: "Alternative",
    chosen: "chosen",
    not_in_total: "not in the total",
    invalid_h: "This link is not valid",
    invalid: "The link is incomplete or does not belong to any quote. Please open it again from the PDF or ask your contact.",
    withdrawn_h: "This link has been withdrawn",
    withdrawn: "The link was blocked for security reasons. Please ask {rep} for a new one.",
    expired_h: "This quote has expired",
    expired: "Quote {number} was valid until {date} and can no longer be approved. Please ask {rep} for a new quote.",
    superseded_h: "This quote has been revised",
    superseded: "The link belongs to revision {old} of quote {number}. Revision {new} now applies; this version can no longer be approved. Please use the link from the current PDF.",
    approved_h: "This quote is approved",
    thanks_h: "Thank you, the quote is approved",
    approved: "Approved by {name} ({role}) on {date} for revision {rev}.",
    rejected_h: "This quote was rejected",
    rejected: "Rejected. Reason: {reason}",
    cancelled_h: "This quote was withdrawn",
    not_open_h: "This quote is not open for approval",
    not_open: "The quote is being revised. You will receive a new link once it is ready.",
    https_h: "Please open this page over HTTPS",
    https: "This page is served only over a secure connection.",
};

fn words(locale: DisplayLocale) -> &'static Words {
    match locale {
        DisplayLocale::De => &DE,
        DisplayLocale::En => &EN,
    }
}

/// The language for pages that know no quote: from `Accept-Language`.
pub fn locale_from_header(accept_language: Option<&str>) -> DisplayLocale {
    match accept_language.map(|s| s.trim_start().to_ascii_lowercase()) {
        Some(s) if s.starts_with("de") => DisplayLocale::De,
        _ => DisplayLocale::En,
    }
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn date(d: NaiveDate, locale: DisplayLocale) -> String {
    match locale {
        DisplayLocale::De => d.format("%d.%m.%Y").to_string(),
        DisplayLocale::En => d.format("%-d %b %Y").to_string(),
    }
}

const STYLE: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\
body{margin:0;font:17px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1d2630;background:#f3f5f7}\
main{max-width:40rem;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}\
h1{font-size:1.45rem;margin:.2rem 0 .3rem;line-height:1.2}\
h2{font-size:1.15rem;margin:1.6rem 0 .5rem}\
.seller{color:#5b6873;font-size:.9rem;margin:0}\
.meta{color:#5b6873;font-size:.95rem;margin:.2rem 0 1rem}\
.banner{border-radius:.5rem;padding:.8rem 1rem;margin:1rem 0;background:#e8f1fb;border-left:.35rem solid #1f6fc5}\
.banner.ok{background:#e7f6ec;border-color:#1e8a4c}\
.banner.warn{background:#fdf3e4;border-color:#c77700}\
.banner.err{background:#fbe9e9;border-color:#b3261e}\
.line{border-top:1px solid #e1e6ea;padding:.6rem 0}\
.line .name{font-weight:600;overflow-wrap:anywhere}\
.line .position{color:#0d548c;font-size:.9rem}\
.line .detail{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.2rem 1rem;color:#3d4a55;font-size:.95rem}\
.line .net{font-weight:600;color:#1d2630;margin-left:auto}\
.totals{width:100%;border-collapse:collapse;margin-top:.4rem;border-top:2px solid #1d2630}\
.totals td{padding:.3rem 0;vertical-align:top}\
.totals td+td{text-align:right;white-space:nowrap;padding-left:1rem}\
.totals .gross td{font-weight:700;font-size:1.1rem;border-top:1px solid #1d2630}\
dl{margin:.5rem 0}dt{font-weight:600;margin-top:.6rem}dd{margin:0;overflow-wrap:anywhere}\
.hash{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.8rem;overflow-wrap:anywhere;color:#5b6873}\
a.pdf{display:block;text-align:center;padding:.8rem;border:2px solid #1f6fc5;border-radius:.5rem;color:#1f6fc5;font-weight:600;text-decoration:none;margin:1.2rem 0}\
form{margin:0;padding:1rem;border:1px solid #d5dce2;border-radius:.6rem;margin-top:1rem}\
form h2{margin-top:0}\
label{display:block;font-weight:600;margin:.7rem 0 .25rem}\
input,textarea{width:100%;font:inherit;padding:.65rem;border:1px solid #8795a1;border-radius:.4rem}\
textarea{min-height:5rem}\
button{display:block;width:100%;font:inherit;font-weight:700;padding:.85rem;margin-top:1rem;border:0;border-radius:.5rem;background:#1e8a4c;color:#fff}\
button.secondary{background:#fff;color:#b3261e;border:2px solid #b3261e}\
.error{color:#b3261e;font-weight:600}\
footer{margin-top:2rem;color:#5b6873;font-size:.8rem}";

fn page(locale: DisplayLocale, title: &str, body: &str) -> String {
    let w = words(locale);
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>\n",
        lang = w.lang,
        title = esc(title),
    )
}

/// A page for a link that cannot be used, with a heading and one paragraph.
pub fn message_page(locale: DisplayLocale, kind: &str, heading: &str, text: &str, seller: &str) -> String {
    let seller = if seller.is_empty() { String::new() } else { format!("<p class=\"seller\">{}</p>", esc(seller)) };
    let body = format!(
        "{seller}<div class=\"banner {kind}\" id=\"status\" data-status=\"{kind}\">\
         <h1>{}</h1><p>{}</p></div>",
        esc(heading),
        esc(text)
    );
    page(locale, heading, &body)
}

/// The page for a malformed, forged or unknown link.
pub fn invalid_page(locale: DisplayLocale, seller: &str) -> String {
    let w = words(locale);
    message_page(locale, "invalid", w.invalid_h, w.invalid, seller)
}

/// The page saying plain HTTP from afar is refused.
pub fn https_page(locale: DisplayLocale, seller: &str) -> String {
    let w = words(locale);
    message_page(locale, "https", w.https_h, w.https, seller)
}

/// Everything a quote page needs besides the quote.
#[derive(Debug)]
pub struct PageContext<'a> {
    /// The seller's name (letterhead).
    pub seller: &'a str,
    /// The link's path segment (for the form and the PDF link).
    pub segment: &'a str,
    /// The link's revision (for "superseded").
    pub link_revision: u32,
    /// Set right after this page's own form approved or rejected.
    pub just_decided: bool,
    /// A form error to show, with the values to keep.
    pub form_error: Option<(&'a str, &'a DecisionForm)>,
}

fn fill(template: &str, pairs: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in pairs {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn quote_body(view: &QuoteView, w: &Words, locale: DisplayLocale) -> String {
    let q = &view.quote;
    let money = |d| Money::new(d, q.currency).format(locale);
    let mut b = String::new();
    b.push_str("<section aria-label=\"lines\">");
    let totals = q.totals().ok();
    for (i, l) in q.lines.iter().enumerate() {
        let net = totals.as_ref().and_then(|t| t.line_nets.get(i)).map(|n| money(*n)).unwrap_or_default();
        // Optional and alternative positions: marked, in parentheses when
        // they do not count.
        let net = if l.counts() { net } else { format!("({net})") };
        let state = if l.chosen { w.chosen } else { w.not_in_total };
        let marker = match &l.position {
            onsite_core::quote::Position::Standard => String::new(),
            onsite_core::quote::Position::Optional => format!("{} – {state}", w.optional),
            onsite_core::quote::Position::Alternative { group } => format!("{} {group} – {state}", w.alternative),
        };
        let marker = if marker.is_empty() {
            marker
        } else {
            format!("<div class=\"position\" data-counts=\"{}\">{}</div>", l.counts(), esc(&marker))
        };
        let disc = if l.discount_pct.is_zero() {
            String::new()
        } else {
            format!(" · −{} % {}", l.discount_pct.normalize(), w.discount)
        };
        b.push_str(&format!(
            "<div class=\"line\"><div class=\"name\">{pos}. {name}</div>{marker}<div class=\"detail\">\
             <span>{sku} · {qty} {unit} × {price}{disc}</span><span class=\"net\">{net}</span></div></div>",
            pos = i + 1,
            name = esc(&l.name),
            sku = esc(&l.sku),
            qty = esc(&onsite_core::money::format_decimal(l.qty, l.qty.normalize().scale(), locale)),
            unit = esc(&onsite_core::catalog::unit_label(&view.senders.unit_labels, &l.unit, locale)),
            price = esc(&money(l.unit_price)),
            disc = esc(&disc),
            net = esc(&net),
        ));
    }
    b.push_str("</section>");
    if let Some(t) = &totals {
        b.push_str("<table class=\"totals\" id=\"totals\">");
        if !q.header_discount_pct.is_zero() {
            b.push_str(&format!(
                "<tr><td>{}</td><td>−{} %</td></tr>",
                esc(w.header_discount),
                esc(&q.header_discount_pct.normalize().to_string())
            ));
        }
        b.push_str(&format!("<tr><td>{}</td><td>{}</td></tr>", esc(w.net_total), esc(&money(t.net_total))));
        for g in &t.groups {
            let label =
                fill(w.vat_on, &[("rate", g.rate_pct.normalize().to_string()), ("base", money(g.net_after_discount))]);
            b.push_str(&format!("<tr class=\"vat\"><td>{}</td><td>{}</td></tr>", esc(&label), esc(&money(g.tax))));
        }
        b.push_str(&format!(
            "<tr class=\"gross\"><td>{}</td><td id=\"gross\">{}</td></tr></table>",
            esc(w.gross_total),
            esc(&money(t.gross_total))
        ));
    }
    b.push_str("<dl>");
    for (label, value) in [(w.payment, &q.payment_terms), (w.delivery, &q.delivery_terms), (w.notes, &q.notes)] {
        if !value.trim().is_empty() {
            b.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(label), esc(value)));
        }
    }
    if !view.value_arguments.is_empty() {
        let items: Vec<String> = view.value_arguments.iter().map(|t| esc(t)).collect();
        b.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(w.arguments), items.join("<br>")));
    }
    b.push_str("</dl>");
    b
}

fn header(view: &QuoteView, w: &Words, locale: DisplayLocale, seller: &str) -> String {
    let q = &view.quote;
    format!(
        "<p class=\"seller\">{seller}</p>{sample}<h1>{quote} {number}</h1>\
         <p class=\"meta\">{for_} {account}, {city}<br>{revision} {rev} · {valid} {until}</p>",
        seller = esc(seller),
        sample = if view.senders.company.is_none() {
            format!("<p class=\"banner sample\" id=\"sample\">{}</p>", esc(w.sample))
        } else {
            String::new()
        },
        quote = esc(w.quote),
        number = esc(&q.number),
        for_ = esc(w.for_),
        account = esc(&view.account.name),
        city = esc(&view.account.billing_address.city),
        revision = esc(w.revision),
        rev = q.revision,
        valid = esc(w.valid_until),
        until = esc(&date(q.valid_until, locale)),
    )
}

/// The rep with their phone and e-mail, as published.
fn rep_line(view: &QuoteView) -> String {
    match &view.senders.rep {
        Some(r) => [Some(r.name.as_str()), r.phone.as_deref(), r.email.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        None => view.quote.rep.clone(),
    }
}

fn footer(view: &QuoteView, w: &Words) -> String {
    format!(
        "<footer><p>{hash}: <span class=\"hash\" id=\"revision-hash\">{h}</span></p><p>{contact}: {rep}</p></footer>",
        hash = esc(w.hash),
        h = esc(&view.quote.revision_hash),
        contact = esc(w.contact),
        rep = esc(&rep_line(view)),
    )
}

/// The page for an outcome (a link that is not valid has [`invalid_page`]).
pub fn outcome_page(outcome: &Outcome, ctx: &PageContext<'_>) -> String {
    let view = match outcome {
        Outcome::Withdrawn(v)
        | Outcome::Expired(v, _)
        | Outcome::Superseded(v, _)
        | Outcome::Closed(v)
        | Outcome::Open(v) => v,
    };
    let q = &view.quote;
    let locale = q.locale;
    let w = words(locale);
    let vars = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        let mut v = vec![("number", q.number.clone()), ("rep", view.rep_name())];
        v.extend(extra.iter().cloned());
        v
    };
    let seller = view.seller(ctx.seller);
    let message = |kind: &str, heading: &str, text: String| message_page(locale, kind, heading, &text, &seller);
    match outcome {
        Outcome::Withdrawn(_) => message("withdrawn", w.withdrawn_h, fill(w.withdrawn, &vars(&[]))),
        Outcome::Expired(_, until) => {
            message("expired", w.expired_h, fill(w.expired, &vars(&[("date", date(*until, locale))])))
        }
        Outcome::Superseded(_, new) => message(
            "superseded",
            w.superseded_h,
            fill(w.superseded, &vars(&[("old", ctx.link_revision.to_string()), ("new", new.to_string())])),
        ),
        Outcome::Closed(_) => {
            let (kind, heading, text) = match (q.state, q.approval_status()) {
                (QuoteState::Approved | QuoteState::Ordered, ApprovalStatus::Approved) => {
                    let a = q.approval.as_ref();
                    let text = fill(
                        w.approved,
                        &[
                            ("name", a.map(|a| a.signer_name.clone()).unwrap_or_default()),
                            ("role", a.map(|a| a.signer_role.clone()).unwrap_or_default()),
                            ("date", a.map(|a| date(a.device_time.date_naive(), locale)).unwrap_or_default()),
                            ("rev", q.revision.to_string()),
                        ],
                    );
                    ("approved", if ctx.just_decided { w.thanks_h } else { w.approved_h }, text)
                }
                (QuoteState::Rejected, _) => (
                    "rejected",
                    w.rejected_h,
                    fill(w.rejected, &[("reason", q.rejection_reason.clone().unwrap_or_default())]),
                ),
                (QuoteState::Cancelled, _) => ("cancelled", w.cancelled_h, String::new()),
                _ => ("not-open", w.not_open_h, w.not_open.to_string()),
            };
            let kind_class = match kind {
                "approved" => "ok",
                "rejected" | "cancelled" => "warn",
                _ => "",
            };
            let body = format!(
                "{head}<div class=\"banner {kind_class}\" id=\"status\" data-status=\"{kind}\"><h2>{h}</h2><p>{t}</p></div>\
                 {quote}{pdf}{foot}",
                head = header(view, w, locale, &seller),
                h = esc(heading),
                t = esc(&text),
                quote = quote_body(view, w, locale),
                pdf = pdf_link(ctx, w),
                foot = footer(view, w),
            );
            page(locale, &format!("{} {}", w.quote, q.number), &body)
        }
        Outcome::Open(_) => {
            let (error, kept) = match ctx.form_error {
                Some((msg, form)) => (
                    format!("<p class=\"banner err error\" id=\"form-error\" role=\"alert\">{}</p>", esc(msg)),
                    form.clone(),
                ),
                None => (String::new(), DecisionForm::default()),
            };
            let action = format!("/a/{}", esc(ctx.segment));
            let body = format!(
                "{head}<div id=\"status\" data-status=\"open\"></div>{error}{quote}{pdf}\
                 <form method=\"post\" action=\"{action}\" id=\"approve\"><h2>{approve_h}</h2><p>{approve_text}</p>\
                 <label for=\"name\">{name}</label><input id=\"name\" name=\"name\" autocomplete=\"name\" required maxlength=\"{max}\" value=\"{kname}\">\
                 <label for=\"role\">{role}</label><input id=\"role\" name=\"role\" autocomplete=\"organization-title\" required maxlength=\"{max}\" value=\"{krole}\">\
                 <button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve-button\">{approve_btn}</button></form>\
                 <form method=\"post\" action=\"{action}\" id=\"reject\"><h2>{reject_h}</h2>\
                 <label for=\"reason\">{reason}</label><textarea id=\"reason\" name=\"reason\" required maxlength=\"{maxr}\">{kreason}</textarea>\
                 <button type=\"submit\" name=\"decision\" value=\"reject\" class=\"secondary\" id=\"reject-button\">{reject_btn}</button></form>\
                 {foot}",
                head = header(view, w, locale, &seller),
                quote = quote_body(view, w, locale),
                pdf = pdf_link(ctx, w),
                approve_h = esc(w.approve_h),
                approve_text = esc(w.approve_text),
                name = esc(w.name),
                role = esc(w.role),
                max = MAX_NAME,
                maxr = MAX_REASON,
                kname = esc(&kept.name),
                krole = esc(&kept.role),
                kreason = esc(&kept.reason),
                approve_btn = esc(w.approve_btn),
                reject_h = esc(w.reject_h),
                reason = esc(w.reason),
                reject_btn = esc(w.reject_btn),
                foot = footer(view, w),
            );
            page(locale, &format!("{} {}", w.quote, q.number), &body)
        }
    }
}

fn pdf_link(ctx: &PageContext<'_>, w: &Words) -> String {
    format!("<a class=\"pdf\" id=\"pdf\" href=\"/a/{}/quote.pdf\" download>{}</a>", esc(ctx.segment), esc(w.download))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">Müller & 'Söhne'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Müller &amp; &#39;Söhne&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn language_from_accept_language() {
        assert_eq!(locale_from_header(Some("de-DE,de;q=0.9,en;q=0.8")), DisplayLocale::De);
        assert_eq!(locale_from_header(Some("en-GB")), DisplayLocale::En);
        assert_eq!(locale_from_header(None), DisplayLocale::En);
    }

    #[test]
    fn form_fields_are_trimmed_bounded_and_free_of_control_characters() {
        let l = DisplayLocale::De;
        assert_eq!(field("  Anna  ", 10, "x", "x", l).unwrap(), "Anna");
        assert!(field("   ", 10, "Ihren Namen", "x", l).unwrap_err().contains("Ihren Namen"));
        assert!(field(&"a".repeat(11), 10, "x", "x", l).is_err());
        assert!(field("a\u{0}b", 10, "x", "x", l).is_err());
        assert_eq!(field("zwei\nZeilen", 20, "x", "x", l).unwrap(), "zwei\nZeilen");
    }
}
