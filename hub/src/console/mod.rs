//! The back office in a browser (`/console`, issue 22, ADR 30): pages the
//! hub renders as plain HTML with forms, readable without JavaScript, in
//! German or English. Every value is escaped where it is written
//! ([`esc`]); every form carries the session's CSRF token; every table
//! pages. `http/console.rs` serves them.

use chrono::NaiveDate;
use onsite_core::devices::DeviceRecord;
use onsite_core::money::{Currency, DisplayLocale, Money};
use onsite_core::quote::{DiscountPolicy, Order, Quote, QuoteListing, QuoteQuery, QuoteState};
use rust_decimal::Decimal;

use crate::approval_page::esc;

mod accounts;
mod revisions;

pub use accounts::{CallList, account_page, accounts_page};
use revisions::revisions_section;

/// Rows per page of every table.
pub const PAGE_ROWS: usize = 50;

/// The console's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// German.
    De,
    /// English.
    En,
}

impl Lang {
    /// From `?lang=` (`de`, `en`), else `Accept-Language`'s first choice.
    pub fn pick(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        match query.map(str::to_ascii_lowercase).as_deref() {
            Some("de") => return Lang::De,
            Some("en") => return Lang::En,
            _ => {}
        }
        match accept_language.map(|s| s.trim_start().to_ascii_lowercase()) {
            Some(s) if s.starts_with("de") => Lang::De,
            _ => Lang::En,
        }
    }

    /// `de` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    fn locale(self) -> DisplayLocale {
        match self {
            Lang::De => DisplayLocale::De,
            Lang::En => DisplayLocale::En,
        }
    }

    fn other(self) -> Lang {
        match self {
            Lang::De => Lang::En,
            Lang::En => Lang::De,
        }
    }
}

/// The console's words, German and English.
fn t(lang: Lang, key: &str) -> &'static str {
    let (de, en) = match key {
        "console" => ("Back Office", "Back office"),
        "sign_in" => ("Anmelden", "Sign in"),
        "sign_out" => ("Abmelden", "Sign out"),
        "token" => ("Admin-Token", "Admin token"),
        "token_help" => (
            "Das Token eines Admin-Geräts (ost_…); es wird gegen eine Sitzung getauscht und nicht gespeichert.",
            "The token of an admin device (ost_…); it is exchanged for a session and not stored.",
        ),
        "today" => ("Heute", "Today"),
        "devices" => ("Geräte", "Devices"),
        "discounts" => ("Rabattfreigaben offen", "Discount decisions waiting"),
        "expiring" => ("Angebote beim Kunden, laufen bald ab", "Quotes with the customer, about to expire"),
        "orders" => ("Neue Aufträge (7 Tage)", "New orders (7 days)"),
        "stale" => ("Geräte seit einer Woche nicht synchronisiert", "Devices not synced for a week"),
        "none" => ("Keine.", "None."),
        "number" => ("Nummer", "Number"),
        "account" => ("Kunde", "Account"),
        "rep" => ("Außendienst", "Rep"),
        "requested" => ("Rabatt angefragt", "Discount asked"),
        "reason" => ("Begründung", "Reason"),
        "gross" => ("Brutto", "Gross"),
        "valid_until" => ("Gültig bis", "Valid until"),
        "state" => ("Status", "State"),
        "created" => ("Angelegt", "Created"),
        "lines" => ("Positionen", "Lines"),
        "quote" => ("Angebot", "Quote"),
        "sku" => ("Artikel", "SKU"),
        "name" => ("Bezeichnung", "Name"),
        "qty" => ("Menge", "Qty"),
        "price" => ("Einzelpreis", "Unit price"),
        "discount" => ("Rabatt", "Discount"),
        "decision" => ("Entscheidung", "Decision"),
        "approve" => ("Freigeben", "Approve"),
        "reject" => ("Ablehnen", "Reject"),
        "decision_reason" => ("Begründung für den Außendienst", "Reason for the rep"),
        "decided" => ("Entschieden", "Decided"),
        "approved" => ("freigegeben", "approved"),
        "rejected" => ("abgelehnt", "rejected"),
        "earlier" => ("Frühere Rabattentscheidungen für diesen Kunden", "Earlier discount decisions for this account"),
        "device" => ("Gerät", "Device"),
        "person" => ("Person", "Person"),
        "role" => ("Rolle", "Role"),
        "last_seen" => ("Zuletzt gesehen", "Last seen"),
        "never" => ("nie", "never"),
        "standing" => ("Stand", "Standing"),
        "active" => ("aktiv", "active"),
        "revoked" => ("gesperrt", "revoked"),
        "lost" => ("als verloren gemeldet", "reported lost"),
        "wiped" => ("gelöscht", "wiped"),
        "revoke" => ("Sperren", "Revoke"),
        "mark_lost" => ("Als verloren melden", "Mark lost"),
        "page" => ("Seite", "Page"),
        "campaigns" => ("Kampagnen", "Campaigns"),
        "stage" => ("Stufe", "Stage"),
        "people" => ("Personen", "People"),
        "rate" => ("Quote", "Rate"),
        "benchmark" => ("Vergleich", "Benchmark"),
        "weakest" => ("Schwächste Stufe", "Weakest stage"),
        "remedies" => ("Was dort meist hilft", "What usually helps there"),
        "ab" => ("A/B-Test", "A/B test"),
        "no_campaigns" => ("Keine Kampagnen veröffentlicht.", "No campaigns published."),
        "approval" => ("Freigabe durch den Kunden", "The customer's approval"),
        "no_approval" => ("Noch keine.", "None yet."),
        "revision" => ("Revision", "Revision"),
        "hash" => ("Prüfsumme der Revision", "Revision hash"),
        "how" => ("Wie", "How"),
        "when" => ("Wann", "When"),
        "who" => ("Wer", "Who"),
        "pdf" => ("PDF des Angebots", "The quote's PDF"),
        "superseded" => ("gilt für eine frühere Revision", "is for an earlier revision"),
        "catalog" => ("Katalog", "Catalog"),
        "file" => ("Katalog- oder Stammdatendatei (CSV oder JSON)", "Catalog or reference-data file (CSV or JSON)"),
        "publish" => ("Veröffentlichen", "Publish"),
        "catalog_help" => (
            "Die Datei wird ganz geprüft: Ist eine Zeile fehlerhaft, wird nichts veröffentlicht.",
            "The file is checked whole: if any row is bad, nothing is published.",
        ),
        "published" => ("Veröffentlicht", "Published"),
        "refused_file" => {
            ("Nichts veröffentlicht. Die Datei hat Fehler:", "Nothing was published. The file has errors:")
        }
        "catalog_seq" => ("Katalogstand", "Catalog sequence"),
        "quotes" => ("Angebote", "Quotes"),
        "all_orders" => ("Aufträge", "Orders"),
        "filter" => ("Filtern", "Filter"),
        "any" => ("alle", "any"),
        "from" => ("Gültig ab", "Valid from"),
        "to" => ("Gültig bis spätestens", "Valid until at most"),
        "account_id" => ("Kunden-ID", "Account id"),
        "found" => ("gefunden", "found"),
        "limit" => ("Grenze", "Limit"),
        "margin" => ("Marge", "Margin"),
        "floor" => ("Untergrenze", "Floor"),
        "below_floor" => ("unter der Untergrenze", "below the floor"),
        "no_cost" => ("keine Kosten", "no cost"),
        "policy_summary" => ("Richtlinie", "Policy"),
        "actions" => ("Aktionen", "Actions"),
        "fleet" => ("Alle Geräte", "The fleet"),
        "previous" => ("Zurück", "Previous"),
        "next" => ("Weiter", "Next"),
        "of" => ("von", "of"),
        "language" => ("English", "Deutsch"),
        "skip" => ("Zum Inhalt", "Skip to content"),
        "accounts" => ("Kunden", "Accounts"),
        "call_lists" => ("Anruflisten der Außendienste", "Each rep's call list"),
        "revisions" => ("Revisionen nebeneinander", "Revisions side by side"),
        "field" => ("Feld", "Field"),
        "changed" => ("geändert", "changed"),
        "changes" => ("Was sich geändert hat", "What changed"),
        "no_changes" => ("Nur eine Revision.", "Only one revision."),
        "conflicts" => ("Gleichzeitige Werte, noch offen", "Concurrent values still open"),
        "no_conflicts" => ("Keine: alle Geräte haben dieselben Werte.", "None: every device has the same values."),
        "values" => ("Werte (der geltende zuerst)", "Values (the one that counts first)"),
        "payment_terms" => ("Zahlungsbedingungen", "Payment terms"),
        "delivery_terms" => ("Lieferbedingungen", "Delivery terms"),
        "notes" => ("Notizen", "Notes"),
        "header_discount" => ("Kopfrabatt", "Header discount"),
        "contact" => ("Ansprechpartner", "Contact"),
        "made_on" => ("zuletzt geändert", "last changed"),
        _ => ("?", "?"),
    };
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

const STYLE: &str = "body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}\
header{background:#1f4e79;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}\
header a,header button{color:#fff}nav a{margin-right:1rem}main{padding:1rem;max-width:72rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{text-align:left;padding:.35rem .5rem;\
border-bottom:1px solid #bbb;vertical-align:top}th{background:#eef2f6}td.n{text-align:right;white-space:nowrap}\
a{color:#0b4f8a}a:focus,button:focus,input:focus,textarea:focus{outline:3px solid #e8a33d;outline-offset:2px}\
button{font:inherit;padding:.35rem .8rem;border:1px solid #1f4e79;background:#1f4e79;color:#fff;border-radius:3px}\
button.secondary{background:#fff;color:#1f4e79}label{display:block;font-weight:600;margin-top:.6rem}\
input,textarea{font:inherit;padding:.35rem;border:1px solid #555;max-width:100%}\
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:.5rem;background:#fff;color:#000;padding:.3rem}\
.error{border-left:4px solid #b00020;padding:.4rem .8rem;background:#fdecee}\
.note{color:#444}td.changed{background:#fff4d6}mark{background:#ffe08a;color:#1a1a1a}form.inline{display:inline}.scroll{overflow-x:auto}@media (max-width:40rem){th,td{padding:.3rem}}";

/// A whole page: the header with the navigation (none before sign-in),
/// the sign-out form, the language switch, and `body`.
fn layout(lang: Lang, title: &str, signed_in: Option<(&str, &str)>, (page, path): (&str, &str), body: &str) -> String {
    let nav = match signed_in {
        Some((person, csrf)) => format!(
            "<nav aria-label=\"{console}\"><a href=\"/console?lang={l}\">{today}</a><a \
             href=\"/console/quotes?lang={l}\">{quotes}</a><a href=\"/console/orders?lang={l}\">{orders}</a><a \
             href=\"/console/accounts?lang={l}\">{accounts}</a><a href=\"/console/devices?lang={l}\">{devices}</a><a href=\"/console/catalog?lang={l}\">{catalog}</a><a \
             href=\"/console/campaigns?lang={l}\">{campaigns}</a></nav>\
             <span>{person}</span>\
             <form class=\"inline\" method=\"post\" action=\"/console/logout\"><input type=\"hidden\" \
             name=\"csrf\" value=\"{csrf}\"><button class=\"secondary\" type=\"submit\">{out}</button></form>",
            console = t(lang, "console"),
            l = lang.code(),
            today = t(lang, "today"),
            quotes = t(lang, "quotes"),
            orders = t(lang, "all_orders"),
            accounts = t(lang, "accounts"),
            devices = t(lang, "devices"),
            catalog = t(lang, "catalog"),
            campaigns = t(lang, "campaigns"),
            person = esc(person),
            csrf = esc(csrf),
            out = t(lang, "sign_out"),
        ),
        None => String::new(),
    };
    let other = lang.other();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title} · Onsite</title><style>{STYLE}</style>\
         </head><body><a class=\"skip\" href=\"#main\">{skip}</a><header><strong>Onsite · {console}</strong>\
         {nav}<a href=\"{path}?lang={other_code}\" lang=\"{other_code}\">{language}</a></header>\
         <main id=\"main\" data-page=\"{page}\"><h1>{title}</h1>{body}</main></body></html>\n",
        code = lang.code(),
        title = esc(title),
        skip = t(lang, "skip"),
        console = t(lang, "console"),
        path = esc(path),
        other_code = other.code(),
        language = t(lang, "language"),
    )
}

/// The sign-in page: an admin token for a session.
pub fn login_page(lang: Lang, login_csrf: &str, error: Option<&str>) -> String {
    let error = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e))).unwrap_or_default();
    let body = format!(
        "{error}<form method=\"post\" action=\"/console/login?lang={l}\"><input type=\"hidden\" name=\"csrf\" \
         value=\"{csrf}\"><label for=\"token\">{label}</label><p class=\"note\" id=\"token-help\">{help}</p>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" size=\"70\" required \
         aria-describedby=\"token-help\"><p><button id=\"sign-in\" type=\"submit\">{sign_in}</button></p></form>",
        l = lang.code(),
        csrf = esc(login_csrf),
        label = t(lang, "token"),
        help = t(lang, "token_help"),
        sign_in = t(lang, "sign_in"),
    );
    layout(lang, t(lang, "sign_in"), None, ("login", "/console/login"), &body)
}

/// A message page (refusals, errors), with a link to go on.
pub fn message_page(lang: Lang, title: &str, text: &str, next: Option<(&str, &str)>) -> String {
    let next = next.map(|(href, label)| format!("<p><a href=\"{}\">{}</a></p>", esc(href), esc(label)));
    let body = format!("<p class=\"error\" role=\"alert\">{}</p>{}", esc(text), next.unwrap_or_default());
    layout(lang, title, None, ("message", "/console"), &body)
}

/// The words for a sign-in refused, a session ended, a form refused.
pub fn refusal(lang: Lang, what: &str) -> &'static str {
    match (what, lang) {
        ("not_admin", Lang::De) => "Dieses Token öffnet die Konsole nicht: nur Admin-Geräte melden sich hier an.",
        ("not_admin", Lang::En) => "This token does not open the console: only admin devices sign in here.",
        ("expired", Lang::De) => "Die Sitzung ist abgelaufen oder beendet. Bitte neu anmelden.",
        ("expired", Lang::En) => "The session expired or was ended. Please sign in again.",
        ("csrf", Lang::De) => "Das Formular kam nicht aus dieser Sitzung und wurde abgelehnt.",
        ("csrf", Lang::En) => "The form did not come from this session and was refused.",
        ("https", Lang::De) => "Die Konsole ist nur über HTTPS erreichbar.",
        ("https", Lang::En) => "The console is served over HTTPS only.",
        ("rate", Lang::De) => "Zu viele fehlgeschlagene Anmeldungen; bitte später erneut versuchen.",
        ("rate", Lang::En) => "Too many failed sign-ins; try again later.",
        (_, Lang::De) => "Die Anfrage wurde abgelehnt.",
        (_, Lang::En) => "The request was refused.",
    }
}

/// A quote listing with its account's name.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The quote.
    pub quote: QuoteListing,
    /// Its account's name (the id when the hub holds no such account).
    pub account: String,
}

/// An order with its account's name.
#[derive(Debug, Clone)]
pub struct ListedOrder {
    /// The order.
    pub order: Order,
    /// Its account's name.
    pub account: String,
}

/// What the today page shows, each list already cut to its page.
#[derive(Debug, Default)]
pub struct Today {
    /// Quotes waiting for a discount decision (this page of them) and how many in all.
    pub discounts: (Vec<Listed>, usize),
    /// Quotes sent, expiring within a week.
    pub expiring: (Vec<Listed>, usize),
    /// Orders of the last seven days.
    pub orders: (Vec<ListedOrder>, usize),
    /// Field devices not seen for a week.
    pub stale: (Vec<DeviceRecord>, usize),
    /// The page shown (0-based), the same for every list.
    pub page: usize,
}

fn money(lang: Lang, amount: Decimal, currency: &str) -> String {
    let currency = Currency::new(currency).unwrap_or(Currency::EUR);
    Money::new(amount, currency).format(lang.locale())
}

fn date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::De => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

fn pct(lang: Lang, p: Decimal) -> String {
    let s = p.normalize().to_string();
    match lang {
        Lang::De => format!("{} %", s.replace('.', ",")),
        Lang::En => format!("{s} %"),
    }
}

fn when(lang: Lang, rfc3339: Option<&str>) -> String {
    match rfc3339.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
        Some(t) => match lang {
            Lang::De => t.format("%d.%m.%Y %H:%M").to_string(),
            Lang::En => t.format("%-d %b %Y %H:%M").to_string(),
        },
        None => t(lang, "never").to_string(),
    }
}

/// The pager under a table: previous and next links, "page n of m".
fn pager(lang: Lang, path: &str, page: usize, total: usize) -> String {
    pager_with(lang, path, "", page, total)
}

/// [`pager`] keeping a list's filters (`query`, already escaped for a URL).
fn pager_with(lang: Lang, path: &str, query: &str, page: usize, total: usize) -> String {
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    if pages == 1 {
        return String::new();
    }
    let link = |p: usize, key: &str| {
        format!("<a href=\"{}?page={p}&amp;lang={}{}\">{}</a>", esc(path), lang.code(), esc(query), t(lang, key))
    };
    let prev = if page > 0 { link(page - 1, "previous") } else { String::new() };
    let next = if page + 1 < pages { link(page + 1, "next") } else { String::new() };
    format!(
        "<nav class=\"pager\" aria-label=\"{p}\">{prev} {p} {} {of} {pages} {next}</nav>",
        page + 1,
        p = t(lang, "page"),
        of = t(lang, "of"),
    )
}

fn table(lang: Lang, caption: &str, heads: &[&str], rows: &[String]) -> String {
    if rows.is_empty() {
        return format!("<h2>{}</h2><p>{}</p>", esc(caption), t(lang, "none"));
    }
    let heads: String = heads.iter().map(|h| format!("<th scope=\"col\">{}</th>", t(lang, h))).collect();
    format!(
        "<h2>{c}</h2><div class=\"scroll\"><table><caption class=\"skip\">{c}</caption><thead><tr>{heads}</tr>\
         </thead><tbody>{}</tbody></table></div>",
        rows.concat(),
        c = esc(caption),
    )
}

/// A quote's state in words.
pub fn state_words(lang: Lang, state: QuoteState) -> &'static str {
    let (de, en) = match state {
        QuoteState::Draft => ("Entwurf", "draft"),
        QuoteState::NeedsDiscountApproval => ("wartet auf Rabattfreigabe", "waiting for a discount decision"),
        QuoteState::Sent => ("beim Kunden", "with the customer"),
        QuoteState::Approved => ("angenommen", "approved"),
        QuoteState::Rejected => ("abgelehnt", "rejected"),
        QuoteState::Ordered => ("beauftragt", "ordered"),
        QuoteState::Expired => ("abgelaufen", "expired"),
        QuoteState::Cancelled => ("storniert", "cancelled"),
    };
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

fn quote_link(lang: Lang, q: &QuoteListing) -> String {
    format!("<a href=\"/console/quotes/{}?lang={}\">{}</a>", esc(&q.id), lang.code(), esc(&q.number))
}

/// The today page.
pub fn today_page(lang: Lang, person: &str, csrf: &str, d: &Today) -> String {
    let (discounts, n_discounts) = &d.discounts;
    let rows: Vec<String> = discounts
        .iter()
        .map(|l| {
            let r = l.quote.discount_request.as_ref();
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                quote_link(lang, &l.quote),
                esc(&l.account),
                esc(&l.quote.rep),
                r.map(|r| pct(lang, r.requested_pct)).unwrap_or_default(),
                esc(r.map(|r| r.reason.as_str()).unwrap_or_default()),
                money(lang, l.quote.gross_total, l.quote.currency),
            )
        })
        .collect();
    let mut body =
        table(lang, t(lang, "discounts"), &["number", "account", "rep", "requested", "reason", "gross"], &rows);
    body.push_str(&pager(lang, "/console", d.page, *n_discounts));
    let (expiring, n_expiring) = &d.expiring;
    let rows: Vec<String> = expiring
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                quote_link(lang, &l.quote),
                esc(&l.account),
                esc(&l.quote.rep),
                date(lang, l.quote.valid_until),
                money(lang, l.quote.gross_total, l.quote.currency),
            )
        })
        .collect();
    body.push_str(&table(lang, t(lang, "expiring"), &["number", "account", "rep", "valid_until", "gross"], &rows));
    body.push_str(&pager(lang, "/console", d.page, *n_expiring));
    let (orders, n_orders) = &d.orders;
    let rows: Vec<String> = orders.iter().map(|o| order_row(lang, o)).collect();
    body.push_str(&table(lang, t(lang, "orders"), &["number", "account", "created", "gross"], &rows));
    body.push_str(&pager(lang, "/console", d.page, *n_orders));
    let (stale, n_stale) = &d.stale;
    let rows: Vec<String> = stale.iter().map(|dev| device_row(lang, csrf, dev, false)).collect();
    body.push_str(&table(lang, t(lang, "stale"), &["device", "person", "role", "last_seen", "standing"], &rows));
    body.push_str(&pager(lang, "/console", d.page, *n_stale));
    layout(lang, t(lang, "today"), Some((person, csrf)), ("today", "/console"), &body)
}

fn order_row(lang: Lang, o: &ListedOrder) -> String {
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
        esc(&o.order.id.chars().take(8).collect::<String>()),
        esc(&o.account),
        when(lang, Some(&o.order.created_at.to_rfc3339())),
        money(lang, o.order.gross_total, o.order.currency.code()),
    )
}

fn standing_code(d: &DeviceRecord) -> &'static str {
    if d.wiped_at.is_some() {
        "wiped"
    } else if d.lost_at.is_some() {
        "lost"
    } else if d.revoked_at.is_some() {
        "revoked"
    } else {
        "active"
    }
}

fn standing(lang: Lang, d: &DeviceRecord) -> &'static str {
    t(lang, standing_code(d))
}

fn device_row(lang: Lang, csrf: &str, d: &DeviceRecord, actions: bool) -> String {
    let mut cells = format!(
        "<tr data-device=\"{}\" data-standing=\"{}\"><td>{}<span class=\"note\">{}</span></td><td>{}</td>\
         <td>{}</td><td>{}</td><td>{}</td>",
        esc(&d.device_id),
        standing_code(d),
        if d.label.is_empty() { String::new() } else { format!("{}<br>", esc(&d.label)) },
        esc(&d.device_id),
        esc(&d.person),
        esc(d.role.as_str()),
        when(lang, d.last_seen_at.as_deref()),
        standing(lang, d),
    );
    if actions {
        cells.push_str("<td>");
        if d.revoked_at.is_none() {
            for (action, key) in [("revoke", "revoke"), ("lost", "mark_lost")] {
                cells.push_str(&format!(
                    "<form class=\"inline\" method=\"post\" action=\"/console/devices/{id}/{action}?lang={l}\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button class=\"secondary\" \
                     type=\"submit\" aria-label=\"{label}: {name}\">{label}</button></form> ",
                    id = esc(&d.device_id),
                    l = lang.code(),
                    csrf = esc(csrf),
                    label = t(lang, key),
                    name = esc(&d.label),
                ));
            }
        }
        cells.push_str("</td>");
    }
    cells.push_str("</tr>");
    cells
}

/// The devices page: the fleet, a page of it, with revoke and mark-lost.
pub fn devices_page(
    lang: Lang,
    person: &str,
    csrf: &str,
    devices: &[DeviceRecord],
    page: usize,
    total: usize,
) -> String {
    let rows: Vec<String> = devices.iter().map(|d| device_row(lang, csrf, d, true)).collect();
    let mut body =
        table(lang, t(lang, "fleet"), &["device", "person", "role", "last_seen", "standing", "actions"], &rows);
    body.push_str(&pager(lang, "/console/devices", page, total));
    layout(lang, t(lang, "devices"), Some((person, csrf)), ("devices", "/console/devices"), &body)
}

/// A quote with its discount request and the decision form.
#[derive(Debug)]
pub struct QuoteDetail {
    /// The quote.
    pub quote: Quote,
    /// Its account's name.
    pub account: String,
    /// The account's other quotes whose discount requests were decided.
    pub earlier: Vec<QuoteListing>,
    /// An error to show above the form (a decision refused).
    pub error: Option<String>,
    /// The published discount policy.
    pub policy: DiscountPolicy,
    /// The costs the hub knows of the quote's SKUs.
    pub costs: std::collections::HashMap<String, Decimal>,
    /// Its revisions and open concurrent values.
    pub history: onsite_core::crdt::QuoteHistory,
    /// Device labels by device id, to say who wrote what.
    pub device_labels: std::collections::HashMap<String, String>,
}

/// A quote's page: lines, the request, the decision form, earlier decisions.
pub fn quote_page(lang: Lang, person: &str, csrf: &str, d: &QuoteDetail) -> String {
    let q = &d.quote;
    let cur = q.currency.code();
    let mut body = String::new();
    if let Some(e) = &d.error {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)));
    }
    body.push_str(&format!(
        "<p>{}: {} · {}: {} · {}: {} · {}: {}</p>",
        t(lang, "account"),
        esc(&d.account),
        t(lang, "rep"),
        esc(&q.rep),
        t(lang, "state"),
        state_words(lang, q.state),
        t(lang, "valid_until"),
        date(lang, q.valid_until),
    ));
    let header = Decimal::ONE - q.header_discount_pct / Decimal::ONE_HUNDRED;
    let floor = d.policy.min_margin_pct;
    let rows: Vec<String> = q
        .lines
        .iter()
        .map(|l| {
            let keep = (Decimal::ONE - l.discount_pct / Decimal::ONE_HUNDRED) * header;
            let effective = ((Decimal::ONE - keep) * Decimal::ONE_HUNDRED).round_dp(2);
            let limit = d.policy.limit_for(&l.category);
            let net = l.unit_price * keep;
            let margin = match d.costs.get(&l.sku) {
                Some(c) if net > Decimal::ZERO => {
                    let m = ((net - c) / net * Decimal::ONE_HUNDRED).round_dp(1);
                    let flag = if m < floor {
                        format!(" <strong>({})</strong>", t(lang, "below_floor"))
                    } else {
                        String::new()
                    };
                    format!("{}{flag}", pct(lang, m))
                }
                _ => t(lang, "no_cost").to_string(),
            };
            let over = if effective > limit { " <strong>!</strong>" } else { "" };
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}{over}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&l.sku),
                esc(&l.name),
                esc(&l.qty.normalize().to_string()),
                money(lang, l.unit_price, cur),
                pct(lang, effective),
                pct(lang, limit),
                margin,
            )
        })
        .collect();
    body.push_str(&table(
        lang,
        t(lang, "lines"),
        &["sku", "name", "qty", "price", "discount", "limit", "margin"],
        &rows,
    ));
    body.push_str(&format!(
        "<p class=\"note\">{}: {} {} · {} {}</p>",
        t(lang, "policy_summary"),
        t(lang, "limit"),
        pct(lang, d.policy.max_discount_pct),
        t(lang, "floor"),
        pct(lang, floor),
    ));
    if let Some(r) = &q.discount_request {
        body.push_str(&format!(
            "<h2>{}</h2><p>{} {} · {}: {}</p>",
            t(lang, "requested"),
            esc(&r.requested_by),
            pct(lang, r.requested_pct),
            t(lang, "reason"),
            esc(&r.reason),
        ));
        match r.approved {
            Some(a) => body.push_str(&format!(
                "<p id=\"decision\" data-approved=\"{a}\">{}: {} ({}){}</p>",
                t(lang, "decided"),
                t(lang, if a { "approved" } else { "rejected" }),
                esc(r.decided_by.as_deref().unwrap_or_default()),
                r.decision_reason.as_deref().map(|s| format!(": {}", esc(s))).unwrap_or_default(),
            )),
            None => body.push_str(&format!(
                "<form method=\"post\" action=\"/console/quotes/{id}/decision?lang={l}\"><input type=\"hidden\" \
                 name=\"csrf\" value=\"{csrf}\"><label for=\"reason\">{why}</label><textarea id=\"reason\" \
                 name=\"reason\" rows=\"3\" cols=\"60\" maxlength=\"2000\"></textarea><p><button id=\"approve\" \
                 type=\"submit\" name=\"decision\" value=\"approve\">{approve}</button> <button id=\"reject\" \
                 class=\"secondary\" type=\"submit\" name=\"decision\" value=\"reject\">{reject}</button></p></form>",
                id = esc(&q.id),
                l = lang.code(),
                csrf = esc(csrf),
                why = t(lang, "decision_reason"),
                approve = t(lang, "approve"),
                reject = t(lang, "reject"),
            )),
        }
    }
    body.push_str(&format!("<h2>{}</h2>", t(lang, "approval")));
    match &q.approval {
        Some(a) => {
            let how = match a.auth {
                onsite_core::quote::SignerAuth::CustomerDevice => match lang {
                    Lang::De => "auf dem Gerät des Kunden",
                    Lang::En => "on the customer's device",
                },
                onsite_core::quote::SignerAuth::WebLink => match lang {
                    Lang::De => "über den Link im Browser",
                    Lang::En => "through the link in a browser",
                },
                onsite_core::quote::SignerAuth::RepDeviceOnSite => match lang {
                    Lang::De => "im Beisein des Außendiensts",
                    Lang::En => "in the rep's presence",
                },
            };
            let stale = if a.revision_hash == q.revision_hash {
                String::new()
            } else {
                format!(" ({})", t(lang, "superseded"))
            };
            body.push_str(&format!(
                "<dl id=\"approval\"><dt>{}</dt><dd>{} ({})</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{how}{}</dd>\
                 <dt>{}</dt><dd><code>{}</code>{stale}</dd></dl>",
                t(lang, "who"),
                esc(&a.signer_name),
                esc(&a.signer_role),
                t(lang, "when"),
                when(lang, Some(&a.device_time.to_rfc3339())),
                t(lang, "how"),
                a.client_address.as_deref().map(|c| format!(", {}", esc(c))).unwrap_or_default(),
                t(lang, "hash"),
                esc(&a.revision_hash),
            ));
        }
        None => body.push_str(&format!("<p>{}</p>", t(lang, "no_approval"))),
    }
    body.push_str(&format!(
        "<p><a id=\"pdf\" href=\"/console/quotes/{}/quote.pdf\">{} ({} {})</a></p>",
        esc(&q.id),
        t(lang, "pdf"),
        t(lang, "revision"),
        q.revision,
    ));
    body.push_str(&revisions_section(lang, d));
    let rows: Vec<String> = d
        .earlier
        .iter()
        .filter_map(|e| {
            let r = e.discount_request.as_ref()?;
            Some(format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                quote_link(lang, e),
                pct(lang, r.requested_pct),
                t(lang, if r.approved == Some(true) { "approved" } else { "rejected" }),
                esc(r.decision_reason.as_deref().unwrap_or_default()),
            ))
        })
        .collect();
    body.push_str(&table(lang, t(lang, "earlier"), &["number", "requested", "decision", "reason"], &rows));
    let title = format!("{} {}", t(lang, "quote"), q.number);
    layout(lang, &title, Some((person, csrf)), ("quote", &format!("/console/quotes/{}", q.id)), &body)
}

/// `s` percent-encoded for a path segment or a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A quote list's filters as a query string tail (`&state=sent…`), for the pager.
fn filter_query(f: &QuoteQuery) -> String {
    let mut q = String::new();
    let enc = urlencode;
    if let Some(s) = f.state {
        q.push_str(&format!("&state={}", s.as_str()));
    }
    for (k, v) in [("rep", &f.rep), ("account", &f.account_id)] {
        if let Some(v) = v {
            q.push_str(&format!("&{k}={}", enc(v)));
        }
    }
    for (k, v) in [("from", f.valid_from), ("to", f.valid_to)] {
        if let Some(v) = v {
            q.push_str(&format!("&{k}={v}"));
        }
    }
    q
}

const STATES: [QuoteState; 8] = [
    QuoteState::Draft,
    QuoteState::NeedsDiscountApproval,
    QuoteState::Sent,
    QuoteState::Approved,
    QuoteState::Rejected,
    QuoteState::Ordered,
    QuoteState::Expired,
    QuoteState::Cancelled,
];

/// The quote list: the filter form (a GET form, so a filtered list can be
/// bookmarked) and a page of the quotes that pass.
pub fn quotes_page(
    lang: Lang,
    person: &str,
    csrf: &str,
    f: &QuoteQuery,
    rows: &[Listed],
    page: usize,
    total: usize,
) -> String {
    let options: String = std::iter::once(format!("<option value=\"\">{}</option>", t(lang, "any")))
        .chain(STATES.iter().map(|s| {
            let selected = if f.state == Some(*s) { " selected" } else { "" };
            format!("<option value=\"{}\"{selected}>{}</option>", s.as_str(), state_words(lang, *s))
        }))
        .collect();
    let value = |v: &Option<String>| esc(v.as_deref().unwrap_or_default());
    let date_value = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut body = format!(
        "<form method=\"get\" action=\"/console/quotes\"><input type=\"hidden\" name=\"lang\" value=\"{l}\">\
         <label for=\"state\">{state}</label><select id=\"state\" name=\"state\">{options}</select>\
         <label for=\"rep\">{rep}</label><input id=\"rep\" name=\"rep\" value=\"{rep_v}\">\
         <label for=\"account\">{account}</label><input id=\"account\" name=\"account\" value=\"{account_v}\">\
         <label for=\"from\">{from}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{from_v}\">\
         <label for=\"to\">{to}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{to_v}\">\
         <p><button id=\"filter\" type=\"submit\">{filter}</button></p></form><p id=\"found\">{total} {found}</p>",
        l = lang.code(),
        state = t(lang, "state"),
        rep = t(lang, "rep"),
        rep_v = value(&f.rep),
        account = t(lang, "account_id"),
        account_v = value(&f.account_id),
        from = t(lang, "from"),
        from_v = date_value(f.valid_from),
        to = t(lang, "to"),
        to_v = date_value(f.valid_to),
        filter = t(lang, "filter"),
        found = t(lang, "found"),
    );
    let rows: Vec<String> = rows
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                quote_link(lang, &l.quote),
                esc(&l.account),
                esc(&l.quote.rep),
                QuoteState::parse(l.quote.state).map(|s| state_words(lang, s)).unwrap_or(l.quote.state),
                date(lang, l.quote.valid_until),
                money(lang, l.quote.gross_total, l.quote.currency),
            )
        })
        .collect();
    body.push_str(&table(
        lang,
        t(lang, "quotes"),
        &["number", "account", "rep", "state", "valid_until", "gross"],
        &rows,
    ));
    body.push_str(&pager_with(lang, "/console/quotes", &filter_query(f), page, total));
    layout(lang, t(lang, "quotes"), Some((person, csrf)), ("quotes", "/console/quotes"), &body)
}

/// The order list, newest first, a page of it.
pub fn orders_page(lang: Lang, person: &str, csrf: &str, rows: &[ListedOrder], page: usize, total: usize) -> String {
    let rows: Vec<String> = rows.iter().map(|o| order_row(lang, o)).collect();
    let mut body = table(lang, t(lang, "all_orders"), &["number", "account", "created", "gross"], &rows);
    body.push_str(&pager(lang, "/console/orders", page, total));
    layout(lang, t(lang, "all_orders"), Some((person, csrf)), ("orders", "/console/orders"), &body)
}

/// What became of an uploaded catalog file.
#[derive(Debug)]
pub enum Upload {
    /// Nothing uploaded yet.
    None,
    /// Published: what changed, by kind, and the catalog's new sequence.
    Published(Vec<(String, u64)>, i64),
    /// Refused whole: the problems, one per line (`line 3 (SKU): …`).
    Refused(Vec<String>),
}

/// The catalog page: the upload form, what the last upload did.
pub fn catalog_page(lang: Lang, person: &str, csrf: &str, seq: i64, upload: &Upload) -> String {
    let mut body = String::new();
    match upload {
        Upload::None => {}
        Upload::Published(changed, seq) => {
            let items: String = changed.iter().map(|(k, n)| format!("<li>{}: {n}</li>", esc(k))).collect();
            body.push_str(&format!(
                "<div id=\"outcome\" data-outcome=\"published\" role=\"status\"><h2>{}</h2><ul>{items}</ul>\
                 <p>{}: {seq}</p></div>",
                t(lang, "published"),
                t(lang, "catalog_seq"),
            ));
        }
        Upload::Refused(problems) => {
            let items: String = problems.iter().map(|p| format!("<li>{}</li>", esc(p))).collect();
            body.push_str(&format!(
                "<div id=\"outcome\" data-outcome=\"refused\" class=\"error\" role=\"alert\"><p>{}</p><ul>{items}</ul>\
                 </div>",
                t(lang, "refused_file"),
            ));
        }
    }
    body.push_str(&format!(
        "<p>{}: <span id=\"seq\">{seq}</span></p><form method=\"post\" action=\"/console/catalog?lang={l}\" \
         enctype=\"multipart/form-data\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label \
         for=\"file\">{file}</label><p class=\"note\" id=\"file-help\">{help}</p><input id=\"file\" name=\"file\" \
         type=\"file\" accept=\".csv,.json,.txt,.tsv\" required aria-describedby=\"file-help\"><p><button \
         id=\"publish\" type=\"submit\">{publish}</button></p></form>",
        t(lang, "catalog_seq"),
        l = lang.code(),
        csrf = esc(csrf),
        file = t(lang, "file"),
        help = t(lang, "catalog_help"),
        publish = t(lang, "publish"),
    ));
    layout(lang, t(lang, "catalog"), Some((person, csrf)), ("catalog", "/console/catalog"), &body)
}

/// The AIDA funnel of a campaign as an SVG drawn on the hub: one bar per
/// stage, its width the people who reached it against those at the top,
/// the rate and its benchmark written beside it; the weakest stage in the
/// accent colour. A title and a description make it readable to a screen
/// reader, and the same figures stand in the table next to it.
pub fn funnel_svg(lang: Lang, r: &onsite_core::leads::FunnelReport) -> String {
    const W: f64 = 560.0;
    const BAR: f64 = 34.0;
    const LABEL: f64 = 120.0;
    let top = r.stages.iter().map(|s| s.people).max().unwrap_or(0).max(1) as f64;
    let height = (r.stages.len() as f64) * (BAR + 10.0) + 10.0;
    let mut bars = String::new();
    for (i, st) in r.stages.iter().enumerate() {
        let y = 10.0 + i as f64 * (BAR + 10.0);
        let width = ((W - LABEL - 150.0) * st.people as f64 / top).max(2.0);
        let x = LABEL + (W - LABEL - 150.0 - width) / 2.0;
        let fill = if r.weakest == Some(st.stage) { "#c0392b" } else { "#1f4e79" };
        bars.push_str(&format!(
            "<text x=\"0\" y=\"{ty:.0}\" font-size=\"14\">{name}</text><rect x=\"{x:.1}\" y=\"{y:.0}\" \
             width=\"{width:.1}\" height=\"{BAR}\" fill=\"{fill}\"/><text x=\"{tx:.0}\" y=\"{ty:.0}\" \
             font-size=\"13\">{people} · {rate} ({bench})</text>",
            ty = y + BAR / 2.0 + 5.0,
            name = esc(st.stage.name()),
            tx = W - 145.0,
            people = st.people,
            rate = pct_f(lang, st.rate_pct),
            bench = pct_f(lang, st.benchmark_pct),
        ));
    }
    let title = format!("{} {}", t(lang, "campaigns"), r.topic);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {W} {height:.0}\" width=\"100%\" \
         style=\"max-width:{W}px\" aria-labelledby=\"t-{id} d-{id}\"><title id=\"t-{id}\">{title}</title><desc \
         id=\"d-{id}\">{desc}</desc>{bars}</svg>",
        id = esc(&r.campaign_id),
        title = esc(&title),
        desc =
            esc(&r.stages.iter().map(|s| format!("{}: {}", s.stage.name(), s.people)).collect::<Vec<_>>().join(", ")),
    )
}

fn pct_f(lang: Lang, p: f64) -> String {
    let s = format!("{p:.1} %");
    match lang {
        Lang::De => s.replace('.', ","),
        Lang::En => s,
    }
}

/// The campaigns page: each campaign's funnel chart, its stages against
/// their benchmarks, the weakest stage with its remedies, the A/B verdict.
pub fn campaigns_page(
    lang: Lang,
    person: &str,
    csrf: &str,
    reports: &[onsite_core::leads::FunnelReport],
    reps: &[String],
) -> String {
    // Each rep's call list: whom the campaigns' interest says to call first.
    let links: Vec<String> = reps
        .iter()
        .map(|r| {
            format!("<li><a href=\"/console/accounts?lang={}&rep={}\">{}</a></li>", lang.code(), urlencode(r), esc(r))
        })
        .collect();
    let mut body = format!("<h2>{}</h2>", t(lang, "call_lists"));
    if links.is_empty() {
        body.push_str(&format!("<p>{}</p>", t(lang, "none")));
    } else {
        body.push_str(&format!("<ul id=\"call-lists\">{}</ul>", links.concat()));
    }
    if reports.is_empty() {
        body.push_str(&format!("<p>{}</p>", t(lang, "no_campaigns")));
    }
    for r in reports {
        body.push_str(&format!("<section id=\"campaign-{}\"><h2>{}</h2>", esc(&r.campaign_id), esc(&r.topic)));
        body.push_str(&funnel_svg(lang, r));
        let rows: Vec<String> = r
            .stages
            .iter()
            .map(|st| {
                format!(
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} ({})</td></tr>",
                    esc(st.stage.name()),
                    st.people,
                    pct_f(lang, st.rate_pct),
                    pct_f(lang, st.benchmark_pct),
                    esc(&st.benchmark_source),
                )
            })
            .collect();
        body.push_str(&table(lang, &r.topic, &["stage", "people", "rate", "benchmark"], &rows));
        if let (Some(w), Some(rem)) = (r.weakest, &r.remedies) {
            body.push_str(&format!(
                "<p class=\"weakest\"><strong>{}: {}</strong>. {}: {}</p>",
                t(lang, "weakest"),
                esc(w.name()),
                t(lang, "remedies"),
                esc(rem)
            ));
        }
        if let Some(ab) = &r.ab_test {
            body.push_str(&format!("<p>{}: {}</p>", t(lang, "ab"), esc(&ab.verdict)));
        }
        body.push_str("</section>");
    }
    layout(lang, t(lang, "campaigns"), Some((person, csrf)), ("campaigns", "/console/campaigns"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_escaped_and_both_languages_read() {
        let evil = "<script>alert(1)</script>\"'\u{202E}";
        let page = message_page(Lang::De, evil, evil, Some(("/console?x=\"><script>", evil)));
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;") && page.contains("&quot;"));
        let login = login_page(Lang::En, "abc\"def", Some(evil));
        assert!(login.contains("value=\"abc&quot;def\"") && !login.contains("<script>"));
        assert!(login.contains("<html lang=\"en\"") && login.contains("Sign in"));
        assert!(login_page(Lang::De, "x", None).contains("Anmelden"));
        assert_eq!(Lang::pick(Some("en"), Some("de-DE")), Lang::En);
        assert_eq!(Lang::pick(None, Some("de-DE,de;q=0.9")), Lang::De);
        assert_eq!(Lang::pick(Some("fr"), None), Lang::En);
    }

    #[test]
    fn tables_page_and_an_empty_one_says_so() {
        assert_eq!(pager(Lang::En, "/console/devices", 0, PAGE_ROWS), "");
        let p = pager(Lang::En, "/console/devices", 1, 3 * PAGE_ROWS);
        assert!(p.contains("page=0") && p.contains("page=2") && p.contains("Page 2 of 3"), "{p}");
        let last = pager(Lang::De, "/console/devices", 2, 3 * PAGE_ROWS);
        assert!(!last.contains("page=3") && last.contains("Seite 3 von 3"), "{last}");
        assert!(table(Lang::De, "Geräte", &["device"], &[]).contains("Keine."));
    }
}
