//! The console's pages at size (issue 22): a hub on SQLite with 10,000
//! accounts and 50,000 quotes (1 % waiting for a discount decision, a
//! tenth sent, some expiring this week), served on loopback; a signed-in
//! browser asks for the today page, the quote list (first and a middle
//! page) and a quote's detail, each many times over keep-alive HTTP.
//! `GET /health` in the same run is the baseline. Prints p50 and p99.
//!
//!   cargo bench -p onsite-cli --bench console
//!   ONSITE_BENCH_ACCOUNTS=1000 ONSITE_BENCH_QUOTES=5000 cargo bench -p onsite-cli --bench console

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use onsite_core::devices::{NewDevice, TokenSecrets};
use onsite_core::money::DisplayLocale;
use onsite_core::quote::{DiscountPolicy, QuoteState};
use onsite_core::sample;
use onsite_core::sync::DeviceRole;
use onsite_hub::backend::Backend;
use onsite_hub::sqlite::SqliteBackend;
use onsite_hub::{HubConfig, RunningHub, token};
use rust_decimal::Decimal;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Client {
    base: String,
    agent: ureq::Agent,
    cookies: Vec<(String, String)>,
}

impl Client {
    fn keep(&mut self, resp: &ureq::http::Response<ureq::Body>) {
        for c in resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != k);
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    fn cookie(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn get(&mut self, path: &str) -> (u16, String) {
        let mut resp = self.agent.get(format!("{}{path}", self.base)).header("Cookie", self.cookie()).call().unwrap();
        self.keep(&resp);
        (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap_or_default())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let n_accounts = env("ONSITE_BENCH_ACCOUNTS", 10_000);
    let n_quotes = env("ONSITE_BENCH_QUOTES", 50_000);
    let runs = env("ONSITE_BENCH_RUNS", 200);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let backend = Arc::new(SqliteBackend::open(&dir.path().join("hub.sqlite"), 8, None).unwrap());
    let store = backend.store();
    let products = sample::products(200, 7);
    store
        .import_catalog(
            onsite_core::import::parse(
                onsite_core::import::export_csv(&products).as_bytes(),
                onsite_core::import::Format::Csv,
            ),
            &mut |_| {},
        )
        .unwrap();
    store
        .set_discount_policy(&DiscountPolicy { max_discount_pct: Decimal::new(5, 0), ..DiscountPolicy::default() })
        .unwrap();
    let accounts = sample::accounts(n_accounts, 7);
    for (a, contacts) in &accounts {
        store.save_account_with_contacts(a, contacts).unwrap();
    }
    let today = Utc::now().date_naive();
    let skus: Vec<&str> = products.iter().filter(|p| p.active).map(|p| p.sku.as_str()).collect();
    let mut sample_quote = None;
    for i in 0..n_quotes {
        let (a, _) = &accounts[i % accounts.len()];
        let rep = a.assigned_rep.clone().unwrap_or_else(|| "rep-1".into());
        let valid = today + Days::new(3 + (i % 60) as u64);
        let q = store.create_quote(&a.id, None, &rep, DisplayLocale::De, valid).unwrap();
        let discount = if i % 100 == 0 { 12 } else { 0 };
        for k in 0..3 {
            let sku = skus[(i * 3 + k) % skus.len()];
            store.add_quote_line(&q.id, sku, Decimal::new(10, 0), Decimal::new(discount, 0), today).unwrap();
        }
        if i % 100 == 0 {
            store.request_discount_approval(&q.id, "Wettbewerbsangebot", Utc::now()).unwrap();
            sample_quote.get_or_insert(q.id.clone());
        } else if i % 10 == 1 {
            store.send_quote(&q.id, today).unwrap();
        }
    }
    let fill = t.elapsed();
    let admin_token = token::generate().unwrap();
    let admin =
        NewDevice { person: "backoffice".into(), role: DeviceRole::Admin, account_id: None, label: "office".into() };
    backend.register_device(&uuid::Uuid::new_v4().to_string(), &admin, &TokenSecrets::of(&admin_token)).unwrap();
    let sent = backend.quotes(Some(QuoteState::Sent), false).unwrap().len();
    let shared: Arc<dyn Backend> = backend.clone();
    let running =
        RunningHub::start(shared, HubConfig { log: false, ..HubConfig::default() }, "127.0.0.1:0", None).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut c = Client { base: running.url(), agent, cookies: Vec::new() };
    let (_, login) = c.get("/console/login");
    let at = login.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = login[at..at + 64].to_string();
    let body = format!("csrf={csrf}&token={admin_token}");
    let resp = c
        .agent
        .post(format!("{}/console/login", c.base))
        .header("Cookie", c.cookie())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap();
    c.keep(&resp);
    assert_eq!(resp.status().as_u16(), 303, "signed in");

    println!("## The console's pages at size\n");
    println!(
        "{n_accounts} accounts, {n_quotes} quotes (3 lines each; {} waiting for a discount decision, {sent} sent), \
         filled in {:.1} s; {runs} requests per page over keep-alive HTTP on loopback.\n",
        n_quotes.div_ceil(100),
        fill.as_secs_f64()
    );
    println!("| page | p50 | p99 | bytes |\n|---|---|---|---|");
    let quote = sample_quote.unwrap();
    let middle = n_quotes / 2 / onsite_hub::console::PAGE_ROWS;
    let pages = [
        ("`GET /health` (baseline)", "/health".to_string()),
        ("today", "/console".to_string()),
        ("quote list, first page", "/console/quotes".to_string()),
        ("quote list, a middle page", format!("/console/quotes?page={middle}")),
        ("quote list, filtered by a rep", "/console/quotes?rep=rep-2".to_string()),
        ("a quote's detail", format!("/console/quotes/{quote}")),
    ];
    for (name, path) in pages {
        let (status, first) = c.get(&path);
        assert_eq!(status, 200, "{path}: {first}");
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let (status, _) = c.get(&path);
            times.push(t.elapsed());
            assert_eq!(status, 200);
        }
        times.sort();
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            first.len()
        );
    }
    running.stop().unwrap();
}
