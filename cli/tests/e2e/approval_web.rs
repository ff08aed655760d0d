//! The customer's approval page over real HTTP on loopback: signed links
//! per revision, every refusal page, approvals and rejections reaching the
//! rep's tablet through sync (on SQLite and PostgreSQL), and the page in a
//! real headless Chromium at phone size, driven without JavaScript.

use crate::common::browser::{Browser, artefact_dir};
use crate::common::{Db, Dev, Hub, hub_with, publish_catalog, quiet, seed_accounts};
use chrono::{Days, Utc};
use onsite_cli::client::{web_get, web_post_form};
use onsite_core::money::{DisplayLocale, Money};
use onsite_core::quote::{ApprovalStatus, Quote, QuoteState, SignerAuth};
use onsite_hub::{HubConfig, RunningHub};
use rust_decimal::Decimal;

on_both_backends!(links_approve_one_revision_and_refuse_everything_else, a_rejection_with_its_reason_reaches_the_rep);

/// A second hub on the same database whose clock is a month ahead.
fn a_month_later(hub: &Hub) -> RunningHub {
    let today = Utc::now().date_naive() + Days::new(31);
    RunningHub::start(
        hub.backend.clone(),
        HubConfig { log: false, today: Some(today), ..HubConfig::default() },
        "127.0.0.1:0",
        None,
    )
    .unwrap()
}

/// A hub (behind a proxy on this host, which it trusts), a catalog, one
/// account, a rep's tablet holding its link key.
fn setup(db: &Db) -> (Hub, Dev, String) {
    let hub = hub_with(db, HubConfig { trusted_proxies: vec![[127, 0, 0, 1].into()], ..quiet() });
    publish_catalog(&hub, 50);
    let (_crm, accounts) = seed_accounts(&hub, db.dir.path(), 1);
    hub.assign("rep-anna", &[&accounts[0]]);
    let anna = hub.device(db.dir.path(), "rep-anna", "rep", None);
    anna.store.set_approval_link_key(&anna.token).unwrap();
    anna.sync();
    (hub, anna, accounts[0].clone())
}

/// A sent quote with two lines at two VAT rates where the catalog has them.
fn sent_quote(dev: &Dev, account: &str, locale: DisplayLocale, valid_days: u64) -> Quote {
    let today = Utc::now().date_naive();
    let q = dev.store.create_quote(account, None, "rep-anna", locale, today + Days::new(valid_days)).unwrap();
    let products = dev.store.products().unwrap();
    let mut skus: Vec<&onsite_core::catalog::Product> = Vec::new();
    for p in products.iter().filter(|p| p.active) {
        if skus.len() < 2 && skus.iter().all(|s| s.tax_class != p.tax_class) {
            skus.push(p);
        }
    }
    for p in products.iter().filter(|p| p.active).take(3) {
        if skus.len() < 3 && !skus.iter().any(|s| s.sku == p.sku) {
            skus.push(p);
        }
    }
    for p in &skus {
        dev.store.add_quote_line(&q.id, &p.sku, Decimal::new(12, 0), Decimal::ZERO, today).unwrap();
    }
    let q = dev.store.send_quote(&q.id, today).unwrap();
    dev.sync();
    q
}

fn gross(q: &Quote) -> String {
    Money::new(q.totals().unwrap().gross_total, q.currency).format(q.locale)
}

fn links_approve_one_revision_and_refuse_everything_else(db: &Db) {
    let (hub, anna, account) = setup(db);
    let q1 = sent_quote(&anna, &account, DisplayLocale::De, 30);
    let link1 = anna.store.approval_link(&q1.id, &hub.url()).unwrap();
    assert!(link1.starts_with(&format!("{}/a/{}.1.", hub.url(), q1.id)), "{link1}");

    // The page shows the revision in German (the quote's locale).
    let page = web_get(&link1, "en").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
    let html = page.text();
    assert!(html.contains("<html lang=\"de\">"));
    assert!(html.contains(&q1.number));
    assert!(html.contains(&q1.revision_hash), "the full revision hash is shown");
    assert!(html.contains(&gross(&q1)), "gross total {} is shown", gross(&q1));
    for g in &q1.totals().unwrap().groups {
        let tax = Money::new(g.tax, q1.currency).format(DisplayLocale::De);
        assert!(html.contains(&format!("USt. {} %", g.rate_pct.normalize())) && html.contains(&tax), "{tax}");
    }
    for l in &q1.lines {
        assert!(html.contains(&l.sku), "line {} is listed", l.sku);
    }
    assert!(html.contains("data-status=\"open\"") && html.contains("name=\"decision\" value=\"approve\""));
    assert!(!html.contains("<script"), "no JavaScript");

    // The PDF of that revision, with the same link in it.
    let pdf = web_get(&format!("{link1}/quote.pdf"), "de").unwrap();
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF");

    // Forged, malformed and unknown links get one "not valid" page.
    let sig_at = link1.len() - 1;
    let flipped = if link1.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{flipped}", &link1[..sig_at]);
    for bad in [
        forged.clone(),
        format!("{}/a/garbage", hub.url()),
        link1.replace(&anna.id, "00000000-0000-4000-8000-000000000000"),
    ] {
        let a = web_get(&bad, "de-DE,de;q=0.9").unwrap();
        assert_eq!(a.status, 404, "{bad}");
        assert!(a.text().contains("Dieser Link ist nicht gültig"), "{}", a.text());
    }
    let a = web_post_form(&forged, &[("decision", "approve"), ("name", "X"), ("role", "Y")], &[]).unwrap();
    assert_eq!(a.status, 404, "a forged link cannot approve");

    // A form without a name is shown again with the message, nothing stored.
    let a = web_post_form(&link1, &[("decision", "approve"), ("name", "  "), ("role", "Einkauf")], &[]).unwrap();
    assert_eq!(a.status, 422);
    assert!(a.text().contains("Bitte Ihren Namen angeben.") && a.text().contains("value=\"Einkauf\""));
    assert_eq!(hub.quotes("?state=sent").len(), 1);

    // The rep revises the quote: revision 1's link no longer approves.
    let mut edited = anna.store.quote(&q1.id).unwrap();
    edited.lines[0].qty = Decimal::new(20, 0);
    let q2 = anna.store.edit_quote(&edited).unwrap();
    let q2 = anna.store.send_quote(&q2.id, Utc::now().date_naive()).unwrap();
    assert_eq!(q2.revision, 2);
    anna.sync();
    let old = web_get(&link1, "de").unwrap();
    assert_eq!(old.status, 409);
    assert!(old.text().contains("data-status=\"superseded\""));
    assert!(old.text().contains("Revision 1") && old.text().contains("Revision 2"), "{}", old.text());
    assert!(!old.text().contains(&gross(&q2)), "the old link does not show the new revision");
    let a = web_post_form(&link1, &[("decision", "approve"), ("name", "Eva Weiß"), ("role", "Einkauf")], &[]).unwrap();
    assert_eq!(a.status, 409, "a leaked link for revision 1 cannot approve revision 2");
    assert_eq!(web_get(&format!("{link1}/quote.pdf"), "de").unwrap().status, 409);
    assert_eq!(hub.quotes("?state=approved").len(), 0);

    // Revision 2's link approves, with the address a proxy on this host saw.
    let link2 = anna.store.approval_link(&q2.id, &hub.url()).unwrap();
    let a = web_post_form(
        &link2,
        &[("decision", "approve"), ("name", "Eva Weiß"), ("role", "Leiterin Einkauf")],
        &[("X-Forwarded-For", "198.51.100.4, 203.0.113.9")],
    )
    .unwrap();
    assert_eq!(a.status, 303);
    assert!(a.location.as_deref().unwrap().ends_with("?done=1"));
    let thanks = web_get(&format!("{}{}", hub.url(), a.location.unwrap()), "de").unwrap();
    assert_eq!(thanks.status, 200);
    assert!(thanks.text().contains("Vielen Dank, das Angebot ist freigegeben"));
    assert!(thanks.text().contains("Eva Weiß (Leiterin Einkauf)"));
    assert_eq!(hub.quotes("?state=approved").len(), 1);

    // It reaches the rep's tablet as the customer's device would send it.
    anna.sync();
    let got = anna.store.quote(&q1.id).unwrap();
    assert_eq!(got.state, QuoteState::Approved);
    assert_eq!(got.approval_status(), ApprovalStatus::Approved);
    let approval = got.approval.unwrap();
    assert_eq!(approval.revision_hash, q2.revision_hash);
    assert_eq!(approval.auth, SignerAuth::WebLink);
    assert_eq!(approval.signer_name, "Eva Weiß");
    assert_eq!(approval.client_address.as_deref(), Some("203.0.113.9"));
    assert!((Utc::now() - approval.device_time).num_minutes() < 5);

    // The link used again says so and records nothing new.
    let again = web_post_form(&link2, &[("decision", "reject"), ("reason", "doch nicht")], &[]).unwrap();
    assert_eq!(again.status, 200);
    assert!(
        again.text().contains("data-status=\"approved\"") && again.text().contains("Dieses Angebot ist freigegeben")
    );
    anna.sync();
    assert_eq!(anna.store.quote(&q1.id).unwrap().state, QuoteState::Approved);

    // Past the validity (the hub's clock a month ahead): an expiry page.
    let q3 = sent_quote(&anna, &account, DisplayLocale::En, 10);
    let link3 = anna.store.approval_link(&q3.id, &hub.url()).unwrap();
    let later = a_month_later(&hub);
    let expired_link = link3.replace(&hub.url(), &later.url());
    let a = web_get(&expired_link, "de").unwrap();
    assert_eq!(a.status, 410);
    assert!(a.text().contains("<html lang=\"en\">") && a.text().contains("This quote has expired"), "{}", a.text());
    let a = web_post_form(&expired_link, &[("decision", "approve"), ("name", "A"), ("role", "B")], &[]).unwrap();
    assert_eq!(a.status, 410);
    later.stop().unwrap();
    assert_eq!(web_get(&link3, "en").unwrap().status, 200, "still open on today's clock");

    // A tablet reported lost signs nothing any more: its links are
    // withdrawn at once (a decision too is refused), before it wipes itself.
    hub.admin.post_json(&format!("/v1/admin/devices/{}/lost", anna.id), &serde_json::json!({})).unwrap();
    let a = web_get(&link3, "en").unwrap();
    assert_eq!(a.status, 410);
    assert!(a.text().contains("This link has been withdrawn"));
    let a = web_post_form(&link3, &[("decision", "approve"), ("name", "A"), ("role", "B")], &[]).unwrap();
    assert_eq!(a.status, 410);
    assert_eq!(hub.quotes("?state=approved").len(), 1, "no decision recorded");
    // Once it reported its wipe (which revokes it), they stay withdrawn.
    anna.client.report_wiped().unwrap();
    let a = web_get(&link3, "en").unwrap();
    assert_eq!(a.status, 410);
    assert!(a.text().contains("This link has been withdrawn"));
}

fn a_rejection_with_its_reason_reaches_the_rep(db: &Db) {
    let (hub, anna, account) = setup(db);
    let q = sent_quote(&anna, &account, DisplayLocale::En, 30);
    let link = anna.store.approval_link(&q.id, &hub.url()).unwrap();
    let a = web_post_form(&link, &[("decision", "reject"), ("reason", "")], &[]).unwrap();
    assert_eq!(a.status, 422);
    assert!(a.text().contains("Please enter a reason."));
    let a = web_post_form(&link, &[("decision", "maybe")], &[]).unwrap();
    assert_eq!(a.status, 422, "an unknown decision is refused");
    let long = "x".repeat(5000);
    let a = web_post_form(&link, &[("decision", "reject"), ("reason", &long)], &[]).unwrap();
    assert_eq!(a.status, 422, "an overlong reason is refused");
    let a = web_post_form(&link, &[("decision", "reject"), ("reason", "Budget moved to next year")], &[]).unwrap();
    assert_eq!(a.status, 303);
    let page = web_get(&link, "en").unwrap();
    assert!(page.text().contains("This quote was rejected") && page.text().contains("Budget moved to next year"));
    anna.sync();
    let got = anna.store.quote(&q.id).unwrap();
    assert_eq!(got.state, QuoteState::Rejected);
    assert_eq!(got.rejection_reason.as_deref(), Some("Budget moved to next year"));
}

#[test]
fn a_device_without_a_link_key_gets_a_clear_error() {
    let db = Db::sqlite();
    let (hub, anna, account) = setup(&db);
    let q = sent_quote(&anna, &account, DisplayLocale::De, 30);
    let bob = hub.device(db.dir.path(), "rep-anna", "rep", None);
    bob.sync();
    assert_eq!(bob.store.quote(&q.id).unwrap().revision_hash, q.revision_hash);
    let e = bob.store.approval_link(&q.id, &hub.url()).unwrap_err();
    assert!(e.to_string().contains("link key"), "{e}");
    assert!(matches!(bob.store.set_approval_link_key(" "), Err(onsite_core::Error::Validation { .. })));
    // Each tablet signs with its own key; both links verify at the hub.
    bob.store.set_approval_link_key(&bob.token).unwrap();
    bob.store.set_approval_link_key(&bob.token).unwrap();
    // A later token (rotated, renewed) does not replace the key the hub verifies with.
    let later = onsite_hub::token::generate().unwrap();
    assert!(matches!(bob.store.set_approval_link_key(&later), Err(onsite_core::Error::Conflict { .. })));
    let (a, b) =
        (anna.store.approval_link(&q.id, &hub.url()).unwrap(), bob.store.approval_link(&q.id, &hub.url()).unwrap());
    assert_ne!(a, b);
    assert_eq!(web_get(&a, "de").unwrap().status, 200);
    assert_eq!(web_get(&b, "de").unwrap().status, 200);
    // A link signed with anna's key but naming bob's tablet is not valid.
    let forged = a.replace(&anna.id, &bob.id);
    assert_eq!(web_get(&forged, "de").unwrap().status, 404);
}

/// The page in a real headless Chromium at phone size, without JavaScript:
/// read it, type name and role, tap approve, see the approval on the rep's
/// tablet; then a superseded and an expired link. Screenshots are left in
/// `target/test-artefacts/`.
#[test]
fn a_customer_approves_in_a_real_browser_on_a_phone() {
    let Some(mut browser) = Browser::launch() else { return };
    let db = Db::sqlite();
    let (hub, anna, account) = setup(&db);
    let q = sent_quote(&anna, &account, DisplayLocale::De, 30);
    let link = anna.store.approval_link(&q.id, &hub.url()).unwrap();

    browser.goto(&link);
    browser.wait_for("#status[data-status=\"open\"]");
    let heading = browser.text("h1");
    assert_eq!(heading, format!("Angebot {}", q.number));
    assert!(browser.text("#totals").contains(&gross(&q)), "{}", browser.text("#totals"));
    assert_eq!(browser.text("#revision-hash"), q.revision_hash);
    assert!(browser.html("#pdf").contains("/quote.pdf"));
    // Readable on a phone without zooming: nothing wider than the screen,
    // body text at least 16 px, buttons as wide as the column.
    let (content, viewport) = browser.widths();
    assert!(content <= viewport, "page is {content}px wide on a {viewport}px screen");
    let font: f64 = browser.style("body", "font-size").trim_end_matches("px").parse().unwrap();
    assert!(font >= 16.0, "body text is {font}px");
    let button: f64 = browser.style("#approve-button", "width").trim_end_matches("px").parse().unwrap();
    assert!(button >= viewport * 0.7, "the approve button is {button}px of {viewport}px");
    std::fs::write(artefact_dir().join("approval-page-phone.png"), browser.screenshot()).unwrap();

    browser.type_into("#name", "Eva Weiß");
    browser.type_into("#role", "Leiterin Einkauf");
    browser.tap("#approve-button");
    browser.wait_for("#status[data-status=\"approved\"]");
    assert!(browser.text("#status").contains("Eva Weiß (Leiterin Einkauf)"));
    std::fs::write(artefact_dir().join("approval-page-approved-phone.png"), browser.screenshot()).unwrap();

    anna.sync();
    let got = anna.store.quote(&q.id).unwrap();
    assert_eq!(got.state, QuoteState::Approved);
    let approval = got.approval.unwrap();
    assert_eq!((approval.signer_name.as_str(), approval.auth), ("Eva Weiß", SignerAuth::WebLink));
    assert_eq!(approval.client_address.as_deref(), Some("127.0.0.1"));

    // A link for a superseded revision, in the browser.
    let q2 = sent_quote(&anna, &account, DisplayLocale::De, 30);
    let old = anna.store.approval_link(&q2.id, &hub.url()).unwrap();
    let mut edited = anna.store.quote(&q2.id).unwrap();
    edited.notes = "Lieferung in zwei Teilen".into();
    anna.store.edit_quote(&edited).unwrap();
    anna.store.send_quote(&q2.id, Utc::now().date_naive()).unwrap();
    anna.sync();
    browser.goto(&old);
    browser.wait_for("#status[data-status=\"superseded\"]");
    assert!(browser.text("h1").contains("überarbeitet"));
    assert!(browser.node_count("form") == 0, "no form on a superseded link");
    std::fs::write(artefact_dir().join("approval-page-superseded-phone.png"), browser.screenshot()).unwrap();

    // An expired link, in the browser (the hub's clock a month ahead).
    let q3 = sent_quote(&anna, &account, DisplayLocale::De, 5);
    let link3 = anna.store.approval_link(&q3.id, &hub.url()).unwrap();
    let later = a_month_later(&hub);
    browser.goto(&link3.replace(&hub.url(), &later.url()));
    browser.wait_for("#status[data-status=\"expired\"]");
    assert!(browser.text("#status").contains("abgelaufen"));
    later.stop().unwrap();
}

/// A PostgreSQL hub database of schema 1 (before link keys and the quote
/// number columns) is upgraded in place when an instance opens it.
#[test]
fn a_version_1_postgres_hub_database_is_upgraded() {
    let Some(db) = Db::postgres() else { return };
    drop(db.backend());
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    c.batch_execute(
        "ALTER TABLE devices DROP COLUMN link_key, DROP COLUMN token_expires_at, DROP COLUMN next_token_hash,
           DROP COLUMN next_token_expires_at, DROP COLUMN lost_at, DROP COLUMN wiped_at;
         ALTER TABLE documents DROP COLUMN number, DROP COLUMN quote_ref;
         INSERT INTO devices (device_id, person, role, label, token_hash, created_at)
           VALUES ('old-tablet', 'rep-old', 'rep', '', '\\x00', '2025-01-01T00:00:00Z');
         UPDATE hub_meta SET version = 1",
    )
    .unwrap();
    let (hub, anna, account) = setup(&db);
    let version: i32 = c.query_one("SELECT version FROM hub_meta", &[]).unwrap().get(0);
    assert_eq!(version, 6);
    // A token from before expiry existed gets the default lifetime from the upgrade.
    let expires: String =
        c.query_one("SELECT token_expires_at FROM devices WHERE device_id = 'old-tablet'", &[]).unwrap().get(0);
    let left = chrono::DateTime::parse_from_rfc3339(&expires).unwrap().signed_duration_since(chrono::Utc::now());
    assert!(left > chrono::Duration::days(89) && left <= chrono::Duration::days(90), "{expires}");
    let q = sent_quote(&anna, &account, DisplayLocale::De, 30);
    let link = anna.store.approval_link(&q.id, &hub.url()).unwrap();
    assert_eq!(web_get(&link, "de").unwrap().status, 200);
}
