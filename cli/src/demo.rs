//! `onsite demo`: the main job, a whole field day on one machine over real
//! HTTP on loopback. A hub on the embedded SQLite default; a back-office
//! admin, two reps' tablets and a customer's phone provisioned through the
//! back-office API; the catalog published; offline edits on both tablets
//! that converge; a discount held until the back office approves it; a
//! quote PDF with its signed approval link and a datasheet; the customer
//! approving revision 1 on the phone while the rep makes revision 2; and
//! finally revision 2 approved through the browser link. Everything it
//! wrote stays in the output directory.

use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Days, Utc};
use onsite_core::account::{Account, BuyingRole, Contact};
use onsite_core::crdt::FieldConflict;
use onsite_core::devices::{NewDevice, TokenSecrets};
use onsite_core::import;
use onsite_core::money::{DisplayLocale, Money};
use onsite_core::pdf::{PdfOptions, RepContact};
use onsite_core::quote::{Approval, ApprovalStatus, CategoryLimit, DiscountPolicy, Quote, SignerAuth};
use onsite_core::store::ProductQuery;
use onsite_core::sync::{DeviceRole, SyncReport};
use onsite_core::{Store, StoreOptions, sample};
use rust_decimal::Decimal;
use serde_json::json;

use crate::client::{HubClient, sync_store, web_get, web_post_form};
use crate::commands::catalog::print_products;
use crate::error::{Error, Result};
use crate::output::Io;
use onsite_hub::backend::Backend;
use onsite_hub::sqlite::SqliteBackend;
use onsite_hub::{HubConfig, RunningHub, token};

const SEED: u64 = 2026;

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::File { path: path.to_path_buf(), source })
}

/// Removes a SQLite database with its WAL files; whether one existed.
fn remove_db(path: &Path) -> Result<bool> {
    let mut removed = false;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|source| Error::File { path: p.clone(), source })?;
            removed = true;
        }
    }
    Ok(removed)
}

fn ms(t: Instant) -> String {
    let us = t.elapsed().as_micros();
    if us < 10_000 { format!("{:.1} ms", us as f64 / 1000.0) } else { format!("{} ms", us / 1000) }
}

fn kb(bytes: u64) -> String {
    if bytes < 10 * 1024 { format!("{:.1} KB", bytes as f64 / 1024.0) } else { format!("{} KB", bytes / 1024) }
}

/// The sample discount policy: 10 % overall, 5 % on tools, a 15 % margin floor.
fn demo_policy() -> DiscountPolicy {
    let pct = |n: i64| Decimal::new(n, 0);
    DiscountPolicy {
        max_discount_pct: pct(10),
        category_limits: vec![CategoryLimit { category: "Werkzeug/".into(), max_discount_pct: pct(5) }],
        min_margin_pct: pct(15),
        reason_required: true,
    }
}

/// One device of the day: who holds it, its store, its connection.
struct Device {
    who: &'static str,
    store: Store,
    client: HubClient,
    token: String,
    path: PathBuf,
}

impl Device {
    fn sync(&self) -> Result<SyncReport> {
        sync_store(&self.store, &self.client, 200)
    }
}

fn sync_line(d: &Device, r: &SyncReport, t: Instant) -> String {
    format!(
        "{}: {} round trip{}, {} up, {} down, {}",
        d.who,
        r.round_trips,
        if r.round_trips == 1 { "" } else { "s" },
        kb(r.bytes_up),
        kb(r.bytes_down),
        ms(t)
    )
}

struct Day<'a> {
    w: &'a mut dyn std::io::Write,
    out: PathBuf,
    written: Vec<(PathBuf, &'static str)>,
}

impl Day<'_> {
    fn step(&mut self, n: u32, text: &str) -> Result<()> {
        writeln!(self.w, "\n{n}. {text}")?;
        self.w.flush()?;
        Ok(())
    }

    fn say(&mut self, text: &str) -> Result<()> {
        writeln!(self.w, "   {text}")?;
        self.w.flush()?;
        Ok(())
    }

    fn file(&mut self, name: &str, bytes: &[u8], what: &'static str) -> Result<PathBuf> {
        let path = self.out.join(name);
        write_file(&path, bytes)?;
        self.written.push((path.clone(), what));
        Ok(path)
    }

    fn device(
        &mut self,
        admin: &HubClient,
        url: &str,
        (who, file): (&'static str, &str),
        new: serde_json::Value,
    ) -> Result<Device> {
        let issued = admin.post_json("/v1/admin/devices", &new)?;
        let id = issued["device"]["device_id"].as_str().unwrap_or_default().to_string();
        let token = issued["token"].as_str().unwrap_or_default().to_string();
        let path = self.out.join(file);
        remove_db(&path)?;
        let store = Store::open(&path, StoreOptions { device_id: Some(id.clone()), ..StoreOptions::default() })?;
        let client = HubClient::new(url, &token, None)?;
        if new["role"] != "admin" {
            self.say(&format!(
                "{who}: device {id} ({} {}); its token is shown once and kept on the device",
                new["role"].as_str().unwrap_or_default(),
                new["person"].as_str().unwrap_or_default()
            ))?;
        }
        Ok(Device { who, store, client, token, path })
    }
}

fn money(q: &Quote, d: Decimal) -> String {
    Money::new(d, q.currency).format(DisplayLocale::De)
}

fn status_words(q: &Quote) -> String {
    let approval = match q.approval_status() {
        ApprovalStatus::NotApproved => "not approved".to_string(),
        ApprovalStatus::Approved => {
            let a = q.approval.as_ref();
            format!(
                "approved by {} ({}) via {}",
                a.map(|a| a.signer_name.as_str()).unwrap_or_default(),
                a.map(|a| a.signer_role.as_str()).unwrap_or_default(),
                match a.map(|a| a.auth) {
                    Some(SignerAuth::WebLink) => format!(
                        "the web link from {}",
                        a.and_then(|a| a.client_address.clone()).unwrap_or_else(|| "?".into())
                    ),
                    Some(SignerAuth::CustomerDevice) => "the customer's phone".into(),
                    Some(SignerAuth::RepDeviceOnSite) => "the rep's tablet on site".into(),
                    None => String::new(),
                }
            )
        }
        ApprovalStatus::Superseded { current_revision } => format!(
            "approval superseded by revision {current_revision} ({} approved revision {})",
            q.approval.as_ref().map(|a| a.signer_name.as_str()).unwrap_or_default(),
            current_revision.saturating_sub(1)
        ),
    };
    format!("revision {}, {}, {approval}", q.revision, q.state.as_str())
}

fn conflict_words(conflicts: &[FieldConflict], path_end: &str, devices: &[&Device]) -> Option<String> {
    let c = conflicts.iter().find(|c| c.path.ends_with(path_end))?;
    let name = |id: &str| {
        devices
            .iter()
            .find(|d| d.store.device_id().ok().as_deref() == Some(id))
            .map_or_else(|| id.to_string(), |d| d.who.to_string())
    };
    let values: Vec<String> = c.values.iter().map(|v| format!("{} from {}", v.value, name(&v.device_id))).collect();
    Some(values.join(" wins over "))
}

/// Runs the demo.
pub fn run(args: &DemoArgs, io: &mut Io<'_>) -> Result<()> {
    let all = Instant::now();
    let out = args.out.clone();
    std::fs::create_dir_all(&out).map_err(|source| Error::File { path: out.clone(), source })?;
    let hub_path = out.join("hub.sqlite");
    let replaced = remove_db(&hub_path)?;
    // The store of demos before the hub existed.
    remove_db(&out.join("onsite.sqlite"))?;
    let mut day = Day { w: &mut *io.out, out: out.clone(), written: Vec::new() };
    writeln!(day.w, "Onsite demo: a field day, offline first, over real HTTP on this machine")?;
    writeln!(day.w, "=======================================================================")?;

    // 1. Reference data from the back office.
    let t = Instant::now();
    let products = sample::products(args.products as usize, SEED);
    let accounts = sample::accounts(args.accounts as usize, SEED);
    let lists = sample::price_lists(&products, &accounts, SEED);
    let policy = demo_policy();
    let costs = sample::costs(&products, SEED);
    let content = sample::content(&products);
    let csv = import::export_csv(&products);
    let reference = import::export_reference_json(&lists, Some(&policy), &costs, &content);
    day.file("catalog.csv", csv.as_bytes(), "the catalog as published (format: docs/catalog-import.md)")?;
    day.file("reference-data.json", reference.as_bytes(), "price lists, discount policy, costs, case studies")?;
    day.step(
        1,
        &format!(
            "The back office prepared {} products, {} price lists and {} customer accounts ({})",
            products.len(),
            lists.len(),
            accounts.len(),
            ms(t)
        ),
    )?;

    // 2. The hub.
    let t = Instant::now();
    let backend = Arc::new(SqliteBackend::open(&hub_path, 8)?);
    let schema = backend.store().schema_version()?;
    let admin_token = token::generate()?;
    let admin_new = NewDevice {
        person: "backoffice".into(),
        role: DeviceRole::Admin,
        account_id: None,
        label: "back office".into(),
    };
    let admin_device =
        backend.register_device(&uuid::Uuid::new_v4().to_string(), &admin_new, &TokenSecrets::of(&admin_token))?;
    let shared: Arc<dyn Backend> = backend.clone();
    let running = RunningHub::start(shared, HubConfig { log: false, ..HubConfig::default() }, "127.0.0.1:0", None)?;
    let url = running.url();
    let admin = HubClient::new(&url, &admin_token, None)?;
    day.file("admin-token.txt", format!("{admin_token}\n").as_bytes(), "the back-office admin token (demo only)")?;
    day.step(
        2,
        &format!(
            "Started the hub at {url}: embedded SQLite {} (schema {schema}{}), in {}",
            hub_path.display(),
            if replaced { ", replacing the previous demo's database" } else { "" },
            ms(t)
        ),
    )?;
    day.say(&format!("back-office admin device {} bootstrapped in the database", admin_device.device_id))?;

    // 3. The catalog through the back-office API; a bad file is refused whole.
    let t = Instant::now();
    let r = admin.post_bytes("/v1/admin/catalog?format=csv", "text/csv", csv.as_bytes())?;
    let r2 = admin.post_bytes("/v1/admin/catalog?format=json", "application/json", reference.as_bytes())?;
    day.step(
        3,
        &format!(
            "Published the catalog over HTTP: {} products, then {} price lists, {} costs, {} case studies and the \
             discount policy (10 % overall, 5 % on tools, 15 % margin floor); catalog sequence {} ({})",
            r["products_added"],
            r2["price_lists_changed"],
            r2["costs_changed"],
            r2["content_changed"],
            r2["seq"],
            ms(t)
        ),
    )?;
    let marketing = serde_json::json!({
        "scoring_model": onsite_core::scoring::ScoringModel::sample(),
        "campaigns": sample::campaigns(),
    })
    .to_string();
    day.file("marketing.json", marketing.as_bytes(), "the lead-scoring model and the campaigns (docs/scoring.md)")?;
    let r3 = admin.post_bytes("/v1/admin/catalog?format=json", "application/json", marketing.as_bytes())?;
    day.say(&format!(
        "and the lead-scoring model (2 buyer personas, points per activity, 30-day half-life) with {} campaigns: \
         catalog sequence {}",
        r3["campaigns_changed"], r3["seq"]
    ))?;
    let good = &products[0];
    let bad = format!(
        "sku;name;unit;list_price;tax_class\nNEU-0001;Neuer Artikel;pc;1,99;DE-STD\nNEU-0002;Preis fehlt;pc;;DE-STD\n\
         NEU-0003;Falsche Steuerklasse;pc;2,50;US-SALES\n{};Doppelte SKU;pc;3,00;DE-STD\n{};Doppelte SKU;pc;3,00;DE-STD\n",
        good.sku, good.sku
    );
    day.file("bad-rows.csv", bad.as_bytes(), "a catalog file with bad rows (refused)")?;
    match admin.post_bytes("/v1/admin/catalog?format=csv", "text/csv", bad.as_bytes()) {
        Err(Error::Hub { status, message }) => {
            day.say(&format!("bad-rows.csv refused whole (HTTP {status}), nothing published:"))?;
            for line in message.lines().take(6) {
                day.say(&format!("  {line}"))?;
            }
        }
        Err(e) => return Err(e),
        Ok(_) => day.say("bad-rows.csv was unexpectedly accepted")?,
    }

    // 4. Accounts from the CRM import.
    let t = Instant::now();
    let crm = day.device(
        &admin,
        &url,
        ("CRM import", "crm.sqlite"),
        json!({ "person": "crm-import", "role": "admin", "label": "CRM" }),
    )?;
    let mut contact_count = 0;
    for (a, cs) in &accounts {
        crm.store.save_account_with_contacts(a, cs)?;
        contact_count += cs.len();
    }
    let r = crm.sync()?;
    day.step(
        4,
        &format!(
            "The CRM import, an admin device of its own, sent {} accounts with {contact_count} buying-center \
             contacts to the hub ({})",
            accounts.len(),
            sync_line(&crm, &r, t)
        ),
    )?;

    // Marketing's tools: a year of opens, clicks, downloads, webinars and
    // social interactions, imported at the hub with contacts matched by e-mail.
    let t = Instant::now();
    let now = Utc::now();
    let activities = sample::activities(&accounts, 6, SEED, now);
    let emails: std::collections::HashMap<&str, &str> = accounts
        .iter()
        .flat_map(|(_, cs)| cs.iter())
        .filter_map(|c| c.email.as_deref().map(|e| (c.id.as_str(), e)))
        .collect();
    let mut csv_rows = String::from("email;kind;at;subject\n");
    for a in activities.iter().filter(|a| !matches!(a.kind.as_str(), "visit" | "call" | "meeting" | "inbound_call")) {
        if let Some(email) = a.contact_id.as_deref().and_then(|c| emails.get(c)) {
            csv_rows.push_str(&format!("{email};{};{};\n", a.kind.as_str(), a.at.to_rfc3339()));
        }
    }
    csv_rows.push_str(&format!("nicht.im.crm@example.org;email_opened;{};\n", now.to_rfc3339()));
    day.file("marketing-export.csv", csv_rows.as_bytes(), "a marketing tool's activity export")?;
    let imported = backend.store().import_activities(csv_rows.as_bytes(), "marketing-automation")?;
    day.say(&format!(
        "the marketing tool's export: {} activities matched to contacts by e-mail, {} row(s) skipped \
         (no such contact) ({})",
        imported.imported,
        imported.unmatched.len(),
        ms(t)
    ))?;

    // 5. Devices for two reps and a customer; assignments.
    let (account, contacts): (&Account, &Vec<Contact>) = accounts
        .iter()
        .find(|(a, cs)| a.customer_group.is_some() && a.assigned_rep.as_deref() == Some("rep-1") && !cs.is_empty())
        .or_else(|| accounts.iter().find(|(_, cs)| !cs.is_empty()))
        .map(|(a, cs)| (a, cs))
        .ok_or_else(|| Error::Usage("the demo needs at least one account with contacts".into()))?;
    day.step(5, "Provisioned devices through the back-office API (POST /v1/admin/devices):")?;
    let anna = day.device(
        &admin,
        &url,
        ("Anna's tablet", "anna-tablet.sqlite"),
        json!({ "person": "rep-1", "role": "rep", "label": "Anna Berger, tablet" }),
    )?;
    let ben = day.device(
        &admin,
        &url,
        ("Ben's tablet", "ben-tablet.sqlite"),
        json!({ "person": "rep-2", "role": "rep", "label": "Ben Krause, tablet" }),
    )?;
    let eva = day.device(
        &admin,
        &url,
        ("Eva's phone", "eva-phone.sqlite"),
        json!({ "person": "eva.weiss", "role": "customer", "account_id": account.id, "label": "Eva Weiß, phone" }),
    )?;
    for d in [&anna, &ben] {
        d.store.set_approval_link_key(&d.token)?;
    }
    for rep in ["rep-1", "rep-2"] {
        let mut mine: Vec<String> = accounts
            .iter()
            .filter(|(a, _)| a.assigned_rep.as_deref() == Some(rep))
            .map(|(a, _)| a.id.clone())
            .collect();
        if !mine.contains(&account.id) {
            mine.push(account.id.clone());
        }
        admin.post_json(&format!("/v1/admin/reps/{rep}/accounts"), &json!({ "add": mine }))?;
    }
    day.say(&format!(
        "Anna (rep-1) and Ben (rep-2) both cover {} ({}); Eva Weiß buys for it",
        account.name, account.billing_address.city
    ))?;

    // 6. First sync of every device.
    day.step(6, "Every device synced for the first time:")?;
    for d in [&anna, &ben, &eva] {
        let t = Instant::now();
        let r = d.sync()?;
        day.say(&format!(
            "{}; now holds {} products, {} price lists, {}",
            sync_line(d, &r, t),
            d.store.product_count()?,
            d.store.price_list_ids()?.len(),
            match d.store.account_count()? {
                1 => "1 account".to_string(),
                n => format!("{n} accounts"),
            }
        ))?;
    }
    day.say("the phone holds only Eva's own account and the price lists of her account and group")?;
    let t = Instant::now();
    let page = anna.store.search_products(&ProductQuery::new("schraub m8 a4").page(0, 3))?;
    day.say(&format!("Anna searches her tablet for \"schraub m8 a4\" offline ({}):", ms(t)))?;
    let mut buf = Vec::new();
    print_products(&mut buf, &page, DisplayLocale::De)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        day.say(&format!("  {line}"))?;
    }

    let t = Instant::now();
    let calls = anna.store.call_list(None, Utc::now(), 5)?;
    day.say(&format!("Anna's call list for the day, scored on her tablet offline from fit and interest ({}):", ms(t)))?;
    let mut buf = Vec::new();
    crate::commands::lead::print_call_list(&mut buf, &calls)?;
    for line in String::from_utf8_lossy(&buf).lines() {
        day.say(&format!("  {line}"))?;
    }

    // 7. Offline: both reps edit the same account.
    let contact = contacts[0].clone();
    let mut a_edit = contact.clone();
    a_edit.phone = Some("+49 171 555 01 01".into());
    anna.store.save_contact(&a_edit)?;
    let mut b_edit = contact.clone();
    b_edit.phone = Some("+49 171 555 02 02".into());
    ben.store.save_contact(&b_edit)?;
    let newcomer = Contact {
        id: onsite_core::ids::new_id(),
        account_id: account.id.clone(),
        first_name: "Katrin".into(),
        last_name: "Vogt".into(),
        role: BuyingRole::BudgetHolder,
        title: Some("Kaufmännische Leiterin".into()),
        email: Some("k.vogt@example.com".into()),
        phone: None,
        consent: None,
    };
    ben.store.save_contact(&newcomer)?;
    day.step(7, "Offline, both reps edit the same account:")?;
    day.say(&format!(
        "Anna sets the phone number of {} ({}) to +49 171 555 01 01",
        contact.full_name(),
        contact.role.as_str().replace('_', " ")
    ))?;
    day.say("Ben sets the same phone to +49 171 555 02 02 and adds Katrin Vogt (budget holder) to the buying center")?;

    // 8. A quote with a discount over the limit, held for the back office.
    let today = chrono::Local::now().date_naive();
    let pick = |prefix: &str| products.iter().find(|p| p.active && p.sku.starts_with(prefix));
    let items: Vec<(&onsite_core::catalog::Product, i64, i64)> =
        [("SKS-", 500, 0), ("HSN-", 24, 0), ("TRS-", 50, 5), ("AKB-", 2, 12)]
            .iter()
            .filter_map(|(prefix, qty, disc)| pick(prefix).map(|p| (p, *qty, *disc)))
            .collect();
    let t = Instant::now();
    let mut q = anna.store.create_quote(
        &account.id,
        Some(contact.id.clone()),
        "rep-1",
        DisplayLocale::De,
        today + Days::new(30),
    )?;
    for (p, qty, disc) in &items {
        q = anna.store.add_quote_line(&q.id, &p.sku, Decimal::new(*qty, 0), Decimal::new(*disc, 0), today)?;
    }
    let mut arguments = Vec::new();
    for (p, _, _) in &items {
        arguments.extend(anna.store.content_for_product(&p.sku)?.into_iter().map(|c| c.id));
    }
    if !arguments.is_empty() {
        let mut edited = q.clone();
        edited.value_arguments = arguments;
        q = anna.store.edit_quote(&edited)?;
    }
    let totals = q.totals().map_err(onsite_core::Error::from)?;
    day.step(
        8,
        &format!(
            "Anna quotes {} at the customer's table, offline ({}): {} lines, {} net, {} gross",
            q.number,
            ms(t),
            q.lines.len(),
            money(&q, totals.net_total),
            money(&q, totals.gross_total)
        ),
    )?;
    match anna.store.send_quote(&q.id, today) {
        Err(e) => day.say(&format!("sending is refused by the discount policy: {e}"))?,
        Ok(_) => day.say("sent (within her limits)")?,
    }
    if anna.store.quote(&q.id)?.state == onsite_core::quote::QuoteState::Draft {
        anna.store.request_discount_approval(
            &q.id,
            "Wettbewerbsangebot liegt vor, Rahmenvertrag in Aussicht",
            Utc::now(),
        )?;
        anna.sync()?;
        let pending = admin.get_json("/v1/admin/quotes?pending_discount=true")?;
        day.say(&format!(
            "she asks the back office; after her sync the hub lists {} quote(s) waiting for a discount decision",
            pending["quotes"].as_array().map_or(0, Vec::len)
        ))?;
        admin.post_json(&format!("/v1/admin/quotes/{}/discount-decision", q.id), &json!({ "approved": true }))?;
        let t = Instant::now();
        let r = anna.sync()?;
        day.say(&format!("the back office approves it over the API; {}", sync_line(&anna, &r, t)))?;
        anna.store.send_quote(&q.id, today)?;
        day.say("Anna sends the quote")?;
    }

    // 9. PDFs with the signed approval link.
    let rep = RepContact {
        name: "Anna Berger".into(),
        email: "a.berger@onsite.example".into(),
        phone: "+49 170 123 45 67".into(),
    };
    let opts = PdfOptions { approval_base_url: url.clone(), ..PdfOptions::dated(today) };
    let t = Instant::now();
    let pdf = anna.store.render_quote_pdf(&q.id, rep.clone(), &opts)?;
    let pdf1 = day.file("quote-revision-1.pdf", &pdf, "the quote, revision 1, with its QR approval link")?;
    day.step(
        9,
        &format!("Anna renders the quote PDF on her tablet: {} ({}, {})", pdf1.display(), kb(pdf.len() as u64), ms(t)),
    )?;
    let link1 = anna.store.approval_link(&q.id, &url)?;
    day.say(&format!("its QR code and link (signed, for revision 1 only): {link1}"))?;
    if let Some((p, _, _)) = items.first() {
        let t = Instant::now();
        let bytes =
            anna.store.render_datasheet_pdf(&p.sku, &account.id, rep.clone(), None, &PdfOptions::dated(today))?;
        let sheet = day.file("datasheet.pdf", &bytes, "a product datasheet with the customer's prices")?;
        day.say(&format!(
            "and a datasheet for {} with {}'s prices: {} ({}, {})",
            p.sku,
            account.name,
            sheet.display(),
            kb(bytes.len() as u64),
            ms(t)
        ))?;
    }

    // 10. The customer approves revision 1 offline; the rep makes revision 2.
    anna.sync()?;
    eva.sync()?;
    let on_phone = eva.store.quote(&q.id)?;
    day.step(
        10,
        &format!("Eva's phone receives the quote ({}); then her train enters a tunnel", status_words(&on_phone)),
    )?;
    let approval = Approval {
        quote_id: on_phone.id.clone(),
        revision_hash: on_phone.revision_hash.clone(),
        signer_name: "Eva Weiß".into(),
        signer_role: "Leiterin Einkauf".into(),
        auth: SignerAuth::CustomerDevice,
        device_time: Utc::now(),
        device_id: eva.store.device_id()?,
        client_address: None,
    };
    let approved = eva.store.approve_quote(&q.id, approval, today)?;
    day.say(&format!("offline, Eva approves on her phone: {}", status_words(&approved)))?;
    let mut edited = anna.store.quote(&q.id)?;
    if let Some(first) = edited.lines.first_mut() {
        first.qty = Decimal::new(1000, 0);
    }
    edited.delivery_terms = "frei Haus, Lieferung in zwei Teilen".into();
    anna.store.edit_quote(&edited)?;
    let q2 = anna.store.send_quote(&q.id, today)?;
    let pdf = anna.store.render_quote_pdf(&q.id, rep, &opts)?;
    let pdf2 = day.file("quote-revision-2.pdf", &pdf, "the quote, revision 2, with its own approval link")?;
    day.say(&format!(
        "meanwhile Anna doubles the screws and splits the delivery: revision {} ({} gross), sent again, {}",
        q2.revision,
        money(&q2, q2.totals().map_err(onsite_core::Error::from)?.gross_total),
        pdf2.display()
    ))?;

    // 11. Everyone syncs; the state converges.
    day.step(11, "Everyone is back online and syncs:")?;
    for d in [&eva, &anna, &ben, &eva, &anna] {
        let t = Instant::now();
        let r = d.sync()?;
        day.say(&sync_line(d, &r, t))?;
    }
    let devices = [&anna, &ben, &eva];
    day.step(12, "The converged state, the same on every device and the hub:")?;
    for d in devices {
        let q = d.store.quote(&q.id)?;
        day.say(&format!("{:<14} quote {}: {}", d.who, q.number, status_words(&q)))?;
    }
    let hub_quote = backend.store().quote(&q.id)?;
    day.say(&format!("{:<14} quote {}: {}", "hub", hub_quote.number, status_words(&hub_quote)))?;
    for d in [&anna, &ben] {
        let cs = d.store.contacts(&account.id)?;
        let phone = cs.iter().find(|c| c.id == contact.id).and_then(|c| c.phone.clone()).unwrap_or_default();
        let mut roles: Vec<String> =
            cs.iter().map(|c| format!("{} ({})", c.full_name(), c.role.as_str().replace('_', " "))).collect();
        roles.sort();
        day.say(&format!(
            "{:<14} {}'s phone {phone}; buying center: {}",
            d.who,
            contact.full_name(),
            roles.join(", ")
        ))?;
    }
    let conflicts = anna.store.conflicts(&format!("account/{}", account.id))?;
    if let Some(words) = conflict_words(&conflicts, "/phone", &[&anna, &ben, &eva]) {
        day.say(&format!("the concurrent phone numbers are both kept: {words}"))?;
    }
    let link2 = anna.store.approval_link(&q.id, &url)?;
    day.say(&format!("the approval link for revision 2: {link2}"))?;
    let stale = web_get(&link1, "de")?;
    day.say(&format!("the revision-1 link now answers HTTP {} (\"Dieses Angebot wurde überarbeitet\")", stale.status))?;

    // 13. Eva approves revision 2 in the browser.
    let t = Instant::now();
    let page = web_get(&link2, "de")?;
    let answer =
        web_post_form(&link2, &[("decision", "approve"), ("name", "Eva Weiß"), ("role", "Leiterin Einkauf")], &[])?;
    day.step(
        13,
        &format!(
            "Eva opens the link in her phone's browser (HTTP {}, {} of HTML, no JavaScript), enters name and role \
             and approves revision 2 (HTTP {} to the confirmation page, {})",
            page.status,
            kb(page.body.len() as u64),
            answer.status,
            ms(t)
        ),
    )?;
    if answer.status != 303 {
        return Err(Error::Usage(format!("the approval page answered {}: {}", answer.status, answer.text())));
    }

    // 14. A last sync: approved everywhere, and ordered.
    day.step(14, "A last sync:")?;
    for d in devices {
        d.sync()?;
        let q = d.store.quote(&q.id)?;
        day.say(&format!("{:<14} quote {}: {}", d.who, q.number, status_words(&q)))?;
    }
    let order = anna.store.order_quote(&q.id, Utc::now())?;
    anna.sync()?;
    let orders = admin.get_json(&format!("/v1/admin/orders?account={}", account.id))?;
    day.say(&format!(
        "Anna turns it into order {} ({} gross); the back office sees {} order(s) for {} (GET /v1/admin/orders)",
        order.id.chars().take(8).collect::<String>(),
        Money::new(order.gross_total, order.currency).format(DisplayLocale::De),
        orders["orders"].as_array().map_or(0, Vec::len),
        account.name
    ))?;

    // Files for the commands below.
    let final_quote = anna.store.quote(&q.id)?;
    let doc = crate::commands::pdf::QuoteDocument {
        quote: final_quote,
        account: account.clone(),
        contact: Some(a_edit),
        rep: RepContact { name: "Anna Berger".into(), email: "a.berger@onsite.example".into(), phone: String::new() },
        value_arguments: Vec::new(),
        date: Some(today),
    };
    day.file(
        "quote.json",
        serde_json::to_string_pretty(&doc)?.as_bytes(),
        "the approved quote as a document (input of `onsite quote pdf`)",
    )?;
    running.stop()?;
    drop(backend);

    let w = &mut *day.w;
    writeln!(w, "\nDone in {}. The hub has stopped; everything is in {}:", ms(all), out.display())?;
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    writeln!(w, "   {:<22} the hub's database (devices, documents, catalog)", name(&hub_path))?;
    for d in [&crm, &anna, &ben, &eva] {
        writeln!(w, "   {:<22} {}'s own store", name(&d.path), d.who)?;
    }
    for (path, what) in &day.written {
        writeln!(w, "   {:<22} {what}", name(path))?;
    }
    let exe = std::env::args().next().filter(|a| a.contains('/')).unwrap_or_else(|| "onsite".into());
    let hub_db = hub_path.display();
    writeln!(w, "\nWhat just happened: one hub and four devices talked over HTTP on this machine. Every device")?;
    writeln!(w, "worked offline on its own SQLite store; edits met at the hub as CRDT changes and converged")?;
    writeln!(w, "without losing either phone number; the discount waited for the back office; the customer's")?;
    writeln!(w, "approval of revision 1 was kept but marked superseded, and only revision 2's signed link approved.")?;
    writeln!(w, "Anna's call list was scored on her tablet from the published buyer personas and the marketing")?;
    writeln!(w, "activities imported at the hub, weighed by recency and marketing consent.")?;
    writeln!(w, "\nTry:")?;
    writeln!(w, "   {exe} serve --database sqlite:{hub_db}")?;
    writeln!(
        w,
        "   {exe} admin quotes --hub http://127.0.0.1:8080 --token $(cat {})",
        out.join("admin-token.txt").display()
    )?;
    writeln!(w, "   {exe} catalog search --db {} sechskant m10 edelstahl", anna.path.display())?;
    writeln!(w, "   {exe} account list --db {hub_db} --rep rep-1")?;
    writeln!(w, "   {exe} lead calllist --db {} --limit 10", anna.path.display())?;
    writeln!(w, "   {exe} campaign report --db {} kanban-c-teile", anna.path.display())?;
    Ok(())
}

/// Arguments of `onsite demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the database and the sample files (created if missing;
    /// a previous demo database in it is replaced).
    #[arg(long, default_value = "onsite-demo")]
    pub out: PathBuf,
    /// Number of sample products.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub products: u32,
    /// Number of sample accounts.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub accounts: u32,
}
