//! The back office in a browser (`/console`, ADR 30) over real HTTP, on
//! SQLite and PostgreSQL, with a client that keeps cookies as a browser
//! does: sign-in exchanges an admin token for a session cookie; a rep's
//! or a customer's token does not open it; forms without the session's
//! CSRF token, or with another one, are refused and change nothing;
//! ended, expired and revoked sessions are refused; hostile names are
//! escaped; a discount decided in the console reaches the rep's tablet
//! with its reason, and a device revoked there is refused at its next sync.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Days, Utc};
use onsite_core::money::DisplayLocale;
use rust_decimal::Decimal;
use serde_json::json;

use crate::common::{Db, hub, hub_with, publish_catalog, quiet, seed_accounts};

on_both_backends!(
    signing_in_takes_an_admin_token_and_sessions_end,
    forms_need_the_sessions_csrf_token,
    a_discount_decided_in_the_console_reaches_the_tablet_with_its_reason,
    hostile_names_are_escaped_and_a_revoked_device_is_refused,
    the_quote_list_filters_and_pages,
    a_catalog_file_with_a_bad_row_publishes_nothing,
    campaign_funnels_are_drawn_on_the_hub,
    a_quotes_revisions_and_open_concurrent_values_are_side_by_side,
    accounts_explain_their_scores_and_each_rep_has_a_call_list,
);

/// One answer: status, headers that matter here, body.
struct Answer {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

/// A browser: a cookie jar, no redirects followed, a language.
struct Browser {
    base: String,
    jar: BTreeMap<String, String>,
    agent: ureq::Agent,
    lang: &'static str,
}

impl Browser {
    fn new(base: &str, lang: &'static str) -> Browser {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Browser { base: base.to_string(), jar: BTreeMap::new(), agent, lang }
    }

    fn cookie_header(&self) -> String {
        self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, mut resp: ureq::http::Response<ureq::Body>) -> Answer {
        let set_cookies: Vec<String> =
            resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(str::to_string)).collect();
        for c in &set_cookies {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_string(), v.to_string());
            }
        }
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        Answer { status, location, set_cookies, body }
    }

    fn get(&mut self, path: &str) -> Answer {
        let resp = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("Accept-Language", self.lang)
            .header("Cookie", self.cookie_header())
            .call()
            .unwrap();
        self.keep(resp)
    }

    fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let resp = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Accept-Language", self.lang)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", self.cookie_header())
            .send(body.as_bytes())
            .unwrap();
        self.keep(resp)
    }

    fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Answer {
        let boundary = "----onsite-test-7f3a";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").bytes());
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                file.0
            )
            .bytes(),
        );
        body.extend(file.1);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let resp = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Accept-Language", self.lang)
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .header("Cookie", self.cookie_header())
            .send(&body[..])
            .unwrap();
        self.keep(resp)
    }

    /// Signs in with `token` through the login form; the answer to the post.
    fn sign_in(&mut self, token: &str) -> Answer {
        let page = self.get("/console/login");
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = hidden(&page.body, "csrf");
        self.post("/console/login", &[("csrf", &csrf), ("token", token)])
    }

    /// The CSRF token of the page at `path`.
    fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "{}", page.body);
        hidden(&page.body, "csrf")
    }
}

/// The value of the hidden field `name` in `html`.
fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn signing_in_takes_an_admin_token_and_sessions_end(db: &Db) {
    let hub = hub(db);
    let mut b = Browser::new(&hub.url(), "en-GB");
    // Signed out, the console sends the browser to sign in.
    let r = b.get("/console");
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/console/login?lang=en")));
    let login = b.get("/console/login");
    let cookie = login.set_cookies.iter().find(|c| c.starts_with("onsite_login=")).unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback: no Secure flag");
    assert!(login.body.contains("<html lang=\"en\"") && login.body.contains("Admin token"));

    // A rep's and a customer's valid tokens do not open it; a wrong one is told so.
    let dir = db.dir.path();
    let (_crm, accounts) = seed_accounts(&hub, dir, 1);
    let rep = hub.device(dir, "rep-anna", "rep", None);
    let customer = hub.device(dir, "eva", "customer", Some(&accounts[0]));
    for token in [&rep.token, &customer.token] {
        let r = b.sign_in(token);
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("only admin devices"), "{}", r.body);
        assert!(!b.jar.contains_key("onsite_console"));
    }
    let r = b.sign_in("ost_0000000000000000000000000000000000000000000000000000000000000000");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Unknown or revoked token"));
    // A bearer token does not stand in for a session.
    let r =
        b.agent.get(format!("{}/console", hub.url())).header("Authorization", format!("Bearer {}", hub.admin_token));
    assert_eq!(r.call().unwrap().status().as_u16(), 303);

    // The admin's token gives a session cookie with the right flags.
    let r = b.sign_in(&hub.admin_token);
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/console?lang=en")));
    let session = r.set_cookies.iter().find(|c| c.starts_with("onsite_console=")).unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=28800"] {
        assert!(session.contains(attr), "{session}");
    }
    assert!(!session.contains(&hub.admin_token), "the cookie is not the token");
    let today = b.get("/console");
    assert_eq!(today.status, 200);
    assert!(today.body.contains("Discount decisions waiting") && today.body.contains("backoffice"));
    // German on request.
    assert!(b.get("/console?lang=de").body.contains("Rabattfreigaben offen"));

    // Signing out ends it: the old cookie is refused.
    let kept = b.jar.clone();
    let csrf = b.csrf("/console");
    let r = b.post("/console/logout", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert!(!b.jar.contains_key("onsite_console"));
    b.jar = kept;
    assert_eq!(b.get("/console").status, 401, "an ended session");

    // A session of a revoked admin device ends with it.
    let other = hub.device(dir, "office-2", "admin", None);
    let mut b2 = Browser::new(&hub.url(), "de-DE");
    assert_eq!(b2.sign_in(&other.token).status, 303);
    assert_eq!(b2.get("/console").status, 200);
    hub.admin.post_json(&format!("/v1/admin/devices/{}/revoke", other.id), &json!({})).unwrap();
    let r = b2.get("/console");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Sitzung ist abgelaufen"), "{}", r.body);

    // Behind a trusted TLS-terminating proxy that says so, the cookies are Secure.
    let proxied = hub_with(db, onsite_hub::HubConfig { trusted_proxies: vec![[127, 0, 0, 1].into()], ..quiet() });
    let agent = Browser::new(&proxied.url(), "en").agent;
    let resp =
        agent.get(format!("{}/console/login", proxied.url())).header("X-Forwarded-Proto", "https").call().unwrap();
    let c = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(c.starts_with("onsite_login=") && c.contains("; Secure"), "{c}");
    let plain = agent.get(format!("{}/console/login", proxied.url())).call().unwrap();
    assert!(!plain.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Secure"));

    // An expired session is refused.
    let short = hub_with(db, onsite_hub::HubConfig { console_session: Duration::ZERO, ..quiet() });
    let mut b3 = Browser::new(&short.url(), "en");
    let r = b3.sign_in(&short.admin_token);
    assert_eq!(r.status, 303);
    // A browser drops a cookie of Max-Age 0; one that keeps it anyway is refused.
    let c = r.set_cookies.iter().find(|c| c.starts_with("onsite_console=")).unwrap();
    let value = c["onsite_console=".len()..].split(';').next().unwrap().to_string();
    b3.jar.insert("onsite_console".into(), value);
    assert_eq!(b3.get("/console").status, 401, "expired at once");
}

fn forms_need_the_sessions_csrf_token(db: &Db) {
    let hub = hub(db);
    let dir = db.dir.path();
    let rep = hub.device(dir, "rep-anna", "rep", None);
    let mut b = Browser::new(&hub.url(), "en");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    let mut other = Browser::new(&hub.url(), "en");
    assert_eq!(other.sign_in(&hub.admin_token).status, 303);
    let foreign = other.csrf("/console/devices");
    let revoke = format!("/console/devices/{}/revoke", rep.id);
    let devices = || hub.backend.devices().unwrap();
    let before = format!("{:?}", devices());
    for fields in [vec![], vec![("csrf", "forged")], vec![("csrf", foreign.as_str())]] {
        let r = b.post(&revoke, &fields);
        assert_eq!(r.status, 403, "{fields:?}: {}", r.body);
        assert!(r.body.contains("did not come from this session"));
        assert_eq!(format!("{:?}", devices()), before, "nothing changed");
    }
    // The login form is guarded too: a form without the cookie's token.
    let mut fresh = Browser::new(&hub.url(), "en");
    let r = fresh.post("/console/login", &[("csrf", "guess"), ("token", &hub.admin_token)]);
    assert_eq!(r.status, 403);
    // With the session's own token it is done.
    let csrf = b.csrf("/console/devices");
    let r = b.post(&revoke, &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(devices().iter().any(|d| d.device_id == rep.id && d.revoked_at.is_some()));
}

fn a_discount_decided_in_the_console_reaches_the_tablet_with_its_reason(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 20);
    hub.admin
        .put_json(
            "/v1/admin/discount-policy",
            &json!({ "max_discount_pct": "5", "category_limits": [], "min_margin_pct": "0", "reason_required": true }),
        )
        .unwrap();
    let dir = db.dir.path();
    let (_crm, accounts) = seed_accounts(&hub, dir, 1);
    hub.assign("rep-anna", &[accounts[0].as_str()]);
    let anna = hub.device(dir, "rep-anna", "rep", None);
    anna.sync();
    let today = Utc::now().date_naive();
    let q = anna.store.create_quote(&accounts[0], None, "rep-anna", DisplayLocale::De, today + Days::new(30)).unwrap();
    let sku = anna.store.products().unwrap()[0].sku.clone();
    anna.store.add_quote_line(&q.id, &sku, Decimal::new(10, 0), Decimal::new(12, 0), today).unwrap();
    anna.store.request_discount_approval(&q.id, "Wettbewerber bietet 10 %", Utc::now()).unwrap();
    anna.sync();

    let mut b = Browser::new(&hub.url(), "de-DE");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    let page = b.get("/console");
    let account = hub.backend.account_name(&accounts[0]).unwrap().unwrap();
    assert!(page.body.contains(&q.number) && page.body.contains("Wettbewerber bietet 10 %"), "{}", page.body);
    assert!(page.body.contains(&onsite_hub::approval_page::esc(&account)));
    let path = format!("/console/quotes/{}", q.id);
    let detail = b.get(&path);
    assert!(detail.body.contains("Freigeben") && detail.body.contains(&sku), "{}", detail.body);
    // The line's discount against the policy's limit, flagged; the state in words.
    assert!(detail.body.contains("12 % <strong>!</strong>") && detail.body.contains(">5 %<"), "{}", detail.body);
    assert!(detail.body.contains("wartet auf Rabattfreigabe"));
    let csrf = hidden(&detail.body, "csrf");
    let r = b.post(
        &format!("{path}/decision"),
        &[("csrf", &csrf), ("decision", "approve"), ("reason", "Rahmenvertrag <ab 2027>")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let after = b.get(&path);
    assert!(after.body.contains("freigegeben") && after.body.contains("Rahmenvertrag &lt;ab 2027&gt;"));
    // Decided once: the form is gone; a second post is refused with the reason.
    assert!(!after.body.contains("name=\"decision\""));
    let r = b.post(&format!("{path}/decision"), &[("csrf", &csrf), ("decision", "reject")]);
    assert_eq!(r.status, 409, "{}", r.body);

    anna.sync();
    let on_tablet = anna.store.quote(&q.id).unwrap().discount_request.unwrap();
    assert_eq!(on_tablet.approved, Some(true));
    assert_eq!(on_tablet.decided_by.as_deref(), Some("backoffice"));
    assert_eq!(on_tablet.decision_reason.as_deref(), Some("Rahmenvertrag <ab 2027>"));
    assert!(anna.store.send_quote(&q.id, today).is_ok(), "the granted discount lets her send it");
    anna.sync();

    // The customer approves on her phone: the console shows who, when, how
    // and which revision; the hub renders the quote's PDF.
    let eva = hub.device(dir, "eva", "customer", Some(&accounts[0]));
    eva.sync();
    let sent = eva.store.quote(&q.id).unwrap();
    let approval = onsite_core::fixtures::approval(&sent, "Eva Weiß", &eva.id, Utc::now());
    eva.store.approve_quote(&q.id, approval, today).unwrap();
    eva.sync();
    let page = b.get(&path).body;
    assert!(page.contains("Eva Weiß") && page.contains("auf dem Gerät des Kunden"), "{page}");
    assert!(page.contains(&sent.revision_hash) && !page.contains("frühere Revision"), "{page}");
    let pdf = b.agent.get(format!("{}{path}/quote.pdf", hub.url())).header("Cookie", b.cookie_header()).call().unwrap();
    assert_eq!(pdf.headers().get("content-type").unwrap(), "application/pdf");
    let bytes = pdf.into_body().read_to_vec().unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // Signed out, no PDF.
    let anon = b.agent.get(format!("{}{path}/quote.pdf", hub.url())).call().unwrap();
    assert_eq!(anon.status().as_u16(), 303);
}

fn hostile_names_are_escaped_and_a_revoked_device_is_refused(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 10);
    let dir = db.dir.path();
    let crm = hub.device(dir, "crm-import", "admin", None);
    let mut accounts = onsite_core::sample::accounts(1, 3);
    let (a, contacts) = &mut accounts[0];
    // (Direction overrides never get this far: the core refuses them in names.)
    a.name = "<script>alert('x')</script> \"Müller\" GmbH".into();
    a.assigned_rep = Some("rep-anna".into());
    crm.store.save_account_with_contacts(a, contacts).unwrap();
    crm.sync();
    hub.assign("rep-anna", &[a.id.as_str()]);
    let rep = hub.device(dir, "rep-anna", "rep", None);
    rep.sync();
    let today = Utc::now().date_naive();
    let q = rep.store.create_quote(&a.id, None, "rep-anna", DisplayLocale::De, today + Days::new(3)).unwrap();
    let sku = rep.store.products().unwrap()[0].sku.clone();
    rep.store.add_quote_line(&q.id, &sku, Decimal::new(10, 0), Decimal::ZERO, today).unwrap();
    rep.store.send_quote(&q.id, today).unwrap();
    rep.sync();

    let mut b = Browser::new(&hub.url(), "en");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    for path in [
        "/console".to_string(),
        format!("/console/quotes/{}", q.id),
        "/console/devices".to_string(),
        format!("/console/accounts/{}", a.id),
        "/console/accounts?rep=rep-anna".to_string(),
        format!("/console/quotes?account={}", a.id),
    ] {
        let page = b.get(&path);
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains("<script>"), "{path}: {}", page.body);
    }
    let today_page = b.get("/console").body;
    assert!(today_page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;Müller&quot;"), "{today_page}");
    assert!(today_page.contains(&q.number), "expiring within a week: {today_page}");

    // Revoked in the console, the tablet's next sync is refused.
    let csrf = b.csrf("/console/devices");
    assert_eq!(b.post(&format!("/console/devices/{}/revoke", rep.id), &[("csrf", &csrf)]).status, 303);
    let e = rep.try_sync().unwrap_err();
    assert_eq!(crate::common::status(e), 401);
}

/// The console in a real headless Chromium (scripts disabled) at laptop
/// and tablet size: sign in by typing the token, find the discount request
/// on the today page, approve it with a reason and see it reach the rep's
/// tablet; revoke a device on the devices page and see its next sync
/// refused. Nothing is wider than the screen; screenshots are left in
/// `target/test-artefacts/console-*.png`.
#[test]
fn the_console_in_a_real_browser_at_laptop_and_tablet_size() {
    use crate::common::browser::{Browser as Chromium, artefact_dir};
    let Some(mut chrome) = Chromium::launch() else { return };
    let db = Db::sqlite();
    let hub = hub(&db);
    publish_catalog(&hub, 20);
    hub.admin
        .put_json(
            "/v1/admin/discount-policy",
            &json!({ "max_discount_pct": "5", "category_limits": [], "min_margin_pct": "0", "reason_required": true }),
        )
        .unwrap();
    let dir = db.dir.path();
    let (_crm, accounts) = seed_accounts(&hub, dir, 3);
    hub.assign("rep-anna", &accounts.iter().map(String::as_str).collect::<Vec<_>>());
    let anna = hub.device(dir, "rep-anna", "rep", None);
    let ben = hub.device(dir, "rep-ben", "rep", None);
    anna.sync();
    let today = Utc::now().date_naive();
    let q = anna.store.create_quote(&accounts[0], None, "rep-anna", DisplayLocale::De, today + Days::new(30)).unwrap();
    let sku = anna.store.products().unwrap()[0].sku.clone();
    anna.store.add_quote_line(&q.id, &sku, Decimal::new(40, 0), Decimal::new(9, 0), today).unwrap();
    anna.store.request_discount_approval(&q.id, "Jahresmenge 2027 zugesagt", Utc::now()).unwrap();
    anna.sync();
    let shot = |chrome: &mut Chromium, name: &str| {
        let (content, viewport) = chrome.widths();
        assert!(content <= viewport, "{name}: the page is {content}px wide on a {viewport}px screen");
        std::fs::write(artefact_dir().join(format!("console-{name}.png")), chrome.screenshot()).unwrap();
    };

    // A laptop: sign in, the today page, the quote, approve with a reason.
    chrome.screen(1366, 768, false);
    chrome.goto(&format!("{}/console?lang=de", hub.url()));
    chrome.wait_for("main[data-page=\"login\"]");
    shot(&mut chrome, "login-laptop");
    chrome.type_into("#token", &hub.admin_token);
    chrome.tap("#sign-in");
    chrome.wait_for("main[data-page=\"today\"]");
    assert!(chrome.text("main").contains("Jahresmenge 2027 zugesagt"), "{}", chrome.text("main"));
    shot(&mut chrome, "today-laptop");
    chrome.tap(&format!("a[href^=\"/console/quotes/{}\"]", q.id));
    chrome.wait_for("main[data-page=\"quote\"]");
    assert_eq!(chrome.text("h1"), format!("Angebot {}", q.number));
    chrome.type_into("#reason", "Freigegeben wegen Jahresvertrag");
    shot(&mut chrome, "quote-laptop");
    chrome.tap("#approve");
    chrome.wait_for("#decision[data-approved=\"true\"]");
    assert!(chrome.text("#decision").contains("Freigegeben wegen Jahresvertrag"));
    shot(&mut chrome, "quote-decided-laptop");
    anna.sync();
    let r = anna.store.quote(&q.id).unwrap().discount_request.unwrap();
    assert_eq!((r.approved, r.decision_reason.as_deref()), (Some(true), Some("Freigegeben wegen Jahresvertrag")));

    // A catalog file with a bad row: its error shown, nothing published.
    let seq = hub.backend.counts().unwrap().catalog_seq;
    let bad = dir.join("neu.csv");
    std::fs::write(&bad, "sku;name;unit;list_price;tax_class\nNEU-1;Neu;pc;1,99;DE-STD\nNEU-2;Ohne Preis;pc;;DE-STD\n")
        .unwrap();
    chrome.goto(&format!("{}/console/catalog?lang=de", hub.url()));
    chrome.wait_for("main[data-page=\"catalog\"]");
    chrome.choose_file("#file", &bad);
    chrome.tap("#publish");
    chrome.wait_for("#outcome[data-outcome=\"refused\"]");
    assert!(chrome.text("#outcome").contains("line 3 (NEU-2): bad list_price"), "{}", chrome.text("#outcome"));
    assert_eq!(hub.backend.counts().unwrap().catalog_seq, seq, "nothing published");
    shot(&mut chrome, "catalog-refused-laptop");

    // The campaigns' funnels, drawn by the hub.
    let file = json!({ "scoring_model": onsite_core::leads::ScoringModel::sample(), "campaigns": onsite_core::sample::campaigns() });
    hub.admin.post_bytes("/v1/admin/catalog?format=json", "application/json", file.to_string().as_bytes()).unwrap();
    chrome.goto(&format!("{}/console/campaigns?lang=en", hub.url()));
    chrome.wait_for("main[data-page=\"campaigns\"] svg rect");
    assert!(chrome.node_count("svg rect") >= 4, "the funnel's bars");
    shot(&mut chrome, "campaigns-laptop");

    // A tablet: the devices page, revoke Ben's tablet.
    chrome.screen(1024, 768, true);
    chrome.goto(&format!("{}/console/devices?lang=en", hub.url()));
    chrome.wait_for("main[data-page=\"devices\"]");
    shot(&mut chrome, "devices-tablet");
    chrome.tap(&format!("form[action^=\"/console/devices/{}/revoke\"] button", ben.id));
    chrome.wait_for(&format!("tr[data-device=\"{}\"][data-standing=\"revoked\"]", ben.id));
    assert!(hub.backend.devices().unwrap().iter().any(|d| d.device_id == ben.id && d.revoked_at.is_some()));
    shot(&mut chrome, "devices-revoked-tablet");
    assert_eq!(crate::common::status(ben.try_sync().unwrap_err()), 401);
    chrome.goto(&format!("{}/console?lang=en", hub.url()));
    chrome.wait_for("main[data-page=\"today\"]");
    shot(&mut chrome, "today-tablet");
}

fn the_quote_list_filters_and_pages(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 5);
    let dir = db.dir.path();
    let (_crm, accounts) = seed_accounts(&hub, dir, 2);
    hub.assign("rep-anna", &[accounts[0].as_str()]);
    hub.assign("rep-ben", &[accounts[1].as_str()]);
    let anna = hub.device(dir, "rep-anna", "rep", None);
    let ben = hub.device(dir, "rep-ben", "rep", None);
    anna.sync();
    ben.sync();
    let today = Utc::now().date_naive();
    for i in 0..53u64 {
        anna.store.create_quote(&accounts[0], None, "rep-anna", DisplayLocale::De, today + Days::new(10 + i)).unwrap();
    }
    let sku = ben.store.products().unwrap()[0].sku.clone();
    for _ in 0..2 {
        let q = ben.store.create_quote(&accounts[1], None, "rep-ben", DisplayLocale::De, today + Days::new(5)).unwrap();
        ben.store.add_quote_line(&q.id, &sku, Decimal::ONE, Decimal::ZERO, today).unwrap();
        ben.store.send_quote(&q.id, today).unwrap();
    }
    anna.sync();
    ben.sync();

    let mut b = Browser::new(&hub.url(), "en");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    let found = |b: &mut Browser, query: &str| {
        let page = b.get(&format!("/console/quotes?lang=en{query}"));
        assert_eq!(page.status, 200, "{query}: {}", page.body);
        let at = page.body.find("<p id=\"found\">").unwrap() + 14;
        let n: usize = page.body[at..].split(' ').next().unwrap().parse().unwrap();
        (n, page.body.matches("<tr><td><a href=\"/console/quotes/").count(), page.body)
    };
    let (n, rows, all) = found(&mut b, "");
    assert_eq!((n, rows), (55, 50), "a page holds 50");
    assert!(all.contains("Page 1 of 2") && all.contains("page=1&amp;lang=en"));
    assert_eq!(found(&mut b, "&page=1").1, 5);
    // A page number far beyond the end (or beyond usize) is an empty page, not an error.
    assert_eq!(found(&mut b, &format!("&page={}", usize::MAX)).1, 0);
    assert_eq!(found(&mut b, "&rep=rep-ben").0, 2);
    assert_eq!(found(&mut b, "&state=sent").0, 2);
    assert_eq!(found(&mut b, "&state=draft&rep=rep-ben").0, 0);
    assert_eq!(found(&mut b, &format!("&account={}", accounts[0])).0, 53);
    let to = (today + Days::new(20)).to_string();
    assert_eq!(found(&mut b, &format!("&rep=rep-anna&to={to}")).0, 11, "valid until day 10 to 20");
    // The filters stay in the pager's links, and a hostile filter is escaped.
    let (_, _, page) = found(&mut b, &format!("&account={}", accounts[0]));
    assert!(page.contains(&format!("page=1&amp;lang=en&amp;account={}", accounts[0])), "{page}");
    let (n, _, page) = found(&mut b, "&rep=%3Cscript%3E%22");
    assert_eq!(n, 0);
    assert!(!page.contains("<script>") && page.contains("value=\"&lt;script&gt;&quot;\""));
    // Orders list pages too (none yet).
    let orders = b.get("/console/orders?lang=de");
    assert!(orders.status == 200 && orders.body.contains("Keine."));
}

fn a_catalog_file_with_a_bad_row_publishes_nothing(db: &Db) {
    let hub = hub(db);
    let mut b = Browser::new(&hub.url(), "en");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    let seq = || hub.backend.counts().unwrap().catalog_seq;
    let before = seq();
    let csrf = b.csrf("/console/catalog");
    let bad = "sku;name;unit;list_price;tax_class\nNEU-1;Gut;pc;1,99;DE-STD\nNEU-2;<b>Preis fehlt</b>;pc;;DE-STD\n\
               NEU-3;Steuer;pc;2,50;US-SALES\n";
    let r = b.post_multipart("/console/catalog", &[("csrf", &csrf)], ("neu.csv", bad.as_bytes()));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("data-outcome=\"refused\""));
    assert!(r.body.contains("line 3 (NEU-2): bad list_price"), "{}", r.body);
    assert!(r.body.contains("line 4 (NEU-3): unknown tax class"), "{}", r.body);
    assert_eq!(seq(), before, "nothing published");
    // Without the session's CSRF token: refused, nothing published.
    let good = "sku;name;unit;list_price;tax_class\nNEU-1;Gut;pc;1,99;DE-STD\n";
    let r = b.post_multipart("/console/catalog", &[("csrf", "forged")], ("neu.csv", good.as_bytes()));
    assert_eq!(r.status, 403);
    assert_eq!(seq(), before);
    let r = b.post_multipart("/console/catalog", &[("csrf", &csrf)], ("neu.csv", good.as_bytes()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("data-outcome=\"published\"") && r.body.contains("products added: 1"));
    assert!(seq() > before);
}

fn campaign_funnels_are_drawn_on_the_hub(db: &Db) {
    let hub = hub(db);
    let mut b = Browser::new(&hub.url(), "en");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    assert!(b.get("/console/campaigns").body.contains("No campaigns published."));
    let campaigns = onsite_core::sample::campaigns();
    let file = json!({ "scoring_model": onsite_core::leads::ScoringModel::sample(), "campaigns": campaigns });
    hub.admin.post_bytes("/v1/admin/catalog?format=json", "application/json", file.to_string().as_bytes()).unwrap();
    let page = b.get("/console/campaigns");
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("<svg").count(), campaigns.len(), "a chart per campaign");
    for c in &campaigns {
        let report = hub.backend.campaign_reports().unwrap().into_iter().find(|r| r.campaign_id == c.id).unwrap();
        assert!(page.body.contains(&format!("id=\"campaign-{}\"", c.id)));
        // The chart's description and the table carry the same figures.
        for st in &report.stages {
            assert!(page.body.contains(&format!("{}: {}", st.stage.name(), st.people)), "{}", st.stage.name());
        }
        if let Some(w) = report.weakest {
            assert!(page.body.contains(&format!("Weakest stage: {}", w.name())), "{}", page.body);
        }
    }
}

fn a_quotes_revisions_and_open_concurrent_values_are_side_by_side(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 20);
    let dir = db.dir.path();
    let (_crm, accounts) = seed_accounts(&hub, dir, 1);
    hub.assign("rep-anna", &[accounts[0].as_str()]);
    let tablet = hub.device(dir, "rep-anna", "rep", None);
    let phone = hub.device(dir, "rep-anna", "rep", None);
    tablet.sync();
    let today = Utc::now().date_naive();
    let q =
        tablet.store.create_quote(&accounts[0], None, "rep-anna", DisplayLocale::En, today + Days::new(30)).unwrap();
    let skus: Vec<String> = tablet.store.products().unwrap().iter().take(2).map(|p| p.sku.clone()).collect();
    for sku in &skus {
        tablet.store.add_quote_line(&q.id, sku, Decimal::new(10, 0), Decimal::ZERO, today).unwrap();
    }
    let sent = tablet.store.send_quote(&q.id, today).unwrap();
    // Revision 2: more of the first line, the second dropped.
    let mut edited = sent.clone();
    edited.lines[0].qty = Decimal::new(25, 0);
    edited.lines.truncate(1);
    assert_eq!(tablet.store.edit_quote(&edited).unwrap().revision, 2);
    tablet.sync();
    phone.sync();
    // Both of Anna's devices change the notes offline, neither seeing the other.
    for (device, note) in [(&tablet, "Lieferung Tor 3"), (&phone, "Lieferung Tor 5")] {
        let mut q2 = device.store.quote(&q.id).unwrap();
        q2.notes = note.into();
        device.store.edit_quote(&q2).unwrap();
    }
    tablet.sync();
    phone.sync();

    let mut b = Browser::new(&hub.url(), "en");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    let page = b.get(&format!("/console/quotes/{}", q.id)).body;
    assert!(page.contains("<section id=\"revisions\" data-count=\"2\">"), "{page}");
    assert!(page.contains("Revision 1 <span class=\"note\">(with the customer"), "revision 1 as sent: {page}");
    let first = format!("data-changed=\"line:{}\"", skus[0]);
    assert!(page.contains(&first), "the changed quantity is marked: {page}");
    assert!(page.contains(&format!("<li data-what=\"line:{}:removed\">", skus[1])), "{page}");
    assert!(
        page.contains(&format!("<li data-what=\"line:{}:qty\">line:{}:qty: 10 → 25</li>", skus[0], skus[0])),
        "{page}"
    );
    // The notes are open: both values with the device that wrote each.
    assert!(page.contains("<tr data-conflict=\"notes\">"), "{page}");
    assert!(page.contains("Lieferung Tor 3") && page.contains("Lieferung Tor 5"), "{page}");
    // A quote with one revision and no concurrent values says so.
    let single = tablet.store.create_quote(&accounts[0], None, "rep-anna", DisplayLocale::En, today).unwrap();
    tablet.store.add_quote_line(&single.id, &skus[0], Decimal::ONE, Decimal::ZERO, today).unwrap();
    tablet.sync();
    let page = b.get(&format!("/console/quotes/{}", single.id)).body;
    assert!(page.contains("data-count=\"1\"") && page.contains("Only one revision."), "{page}");
    assert!(page.contains("None: every device has the same values.") && !page.contains("data-changed="), "{page}");
}

fn accounts_explain_their_scores_and_each_rep_has_a_call_list(db: &Db) {
    let hub = hub(db);
    let dir = db.dir.path();
    let (_crm, accounts) = seed_accounts(&hub, dir, 4);
    hub.assign("rep-anna", &[accounts[0].as_str(), accounts[1].as_str(), accounts[2].as_str()]);
    let anna = hub.device(dir, "rep-anna", "rep", None);
    anna.sync();
    let mut b = Browser::new(&hub.url(), "en");
    assert_eq!(b.sign_in(&hub.admin_token).status, 303);
    // No scoring model yet: the page says there is nothing to rank by.
    let page = b.get("/console/accounts?rep=rep-anna").body;
    assert!(page.contains("id=\"no-model\""), "{page}");

    let file = json!({ "scoring_model": onsite_core::leads::ScoringModel::sample() });
    hub.admin.post_bytes("/v1/admin/catalog?format=json", "application/json", file.to_string().as_bytes()).unwrap();
    // Anna logs a case study download by the account's first person and a visit.
    let contacts = anna.store.contacts(&accounts[1]).unwrap();
    assert!(!contacts.is_empty());
    let at = Utc::now() - chrono::Duration::days(2);
    for (kind, subject) in [
        (onsite_core::activity::ActivityKind::CaseStudyDownload, "Fallstudie Rohrleitungsbau"),
        (onsite_core::activity::ActivityKind::Visit, "Besuch <Werk 2>"),
    ] {
        let act = onsite_core::activity::Activity {
            id: onsite_core::ids::new_id(),
            account_id: accounts[1].clone(),
            contact_id: Some(contacts[0].id.clone()),
            kind,
            at,
            by: "rep-anna".into(),
            subject: subject.into(),
            notes: String::new(),
        };
        anna.store.log_activity(&act).unwrap();
    }
    anna.sync();

    // The call list holds exactly her three accounts, ranked.
    let page = b.get("/console/accounts?rep=rep-anna").body;
    let listed: std::collections::BTreeSet<String> = page
        .match_indices("<tr data-account=\"")
        .map(|(i, _)| page[i + 18..].split('"').next().unwrap().to_string())
        .collect();
    let expected: std::collections::BTreeSet<String> = accounts[..3].iter().cloned().collect();
    assert_eq!(listed, expected, "{page}");
    assert!(page.contains("<option value=\"rep-anna\" selected>"), "{page}");
    // The campaigns page links each rep's call list.
    let campaigns = b.get("/console/campaigns").body;
    assert!(campaigns.contains("href=\"/console/accounts?lang=en&rep=rep-anna\""), "{campaigns}");

    // The account: its buying center, fit per persona, interest with its activities.
    let page = b.get(&format!("/console/accounts/{}", accounts[1])).body;
    assert_eq!(page.matches("<tr data-contact=").count(), contacts.len(), "every person: {page}");
    assert!(page.contains(&onsite_hub::approval_page::esc(&contacts[0].last_name)));
    let personas = onsite_core::leads::ScoringModel::sample().personas.len();
    assert_eq!(page.matches("<div class=\"fit\" data-persona=").count(), personas, "{page}");
    assert!(page.contains("<div id=\"interest\">") && page.contains("case_study_download"), "{page}");
    assert!(page.contains("Besuch &lt;Werk 2&gt;") && page.matches("<tr data-activity=").count() == 2, "{page}");
    assert!(page.contains("id=\"coverage\"") && page.contains("id=\"summary\""), "{page}");
    // The interest shown is the core's for the same account.
    let score = anna.store.account_score(&accounts[1], Utc::now()).unwrap();
    assert!(score.interest.points > 0.0 || score.interest.items.iter().any(|i| i.excluded_no_consent));
    assert!(page.contains(&format!("What shows interest: {:.1}", score.interest.points)), "{page}");
    // Opening by id, and an unknown one.
    let r = b.get(&format!("/console/accounts/open?account={}", accounts[3]));
    assert_eq!(r.location.as_deref(), Some(format!("/console/accounts/{}?lang=en", accounts[3]).as_str()));
    assert_eq!(b.get("/console/accounts/no-such-account").status, 404);
    // German headings.
    assert!(b.get(&format!("/console/accounts/{}?lang=de", accounts[1])).body.contains("Buying Center"));
}
