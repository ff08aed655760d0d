//! The scenes of the field day, one function each, in the order `run`
//! plays them. Each says what happened through [`Day`] and hands on what
//! the next scenes need.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Days, NaiveDate, Utc};
use onsite_core::account::{Account, BuyingRole, Contact};
use onsite_core::blob::AttachmentParent;
use onsite_core::catalog::Product;
use onsite_core::devices::{NewDevice, TokenSecrets};
use onsite_core::import;
use onsite_core::money::{DisplayLocale, Money};
use onsite_core::pdf::{PdfOptions, RepContact};
use onsite_core::quote::{Approval, Quote, QuoteState, SignerAuth};
use onsite_core::sample;
use onsite_core::store::ProductQuery;
use onsite_core::sync::DeviceRole;
use rust_decimal::Decimal;
use serde_json::json;

use super::words::{conflict_words, kb, money, ms, status_words, sync_line};
use super::{Day, DemoArgs, Device, SEED, demo_policy};
use crate::client::{HubClient, web_get, web_post_form};
use crate::commands::catalog::print_products;
use crate::error::{Error, Result};
use onsite_hub::backend::Backend;
use onsite_hub::sqlite::SqliteBackend;
use onsite_hub::{HubConfig, RunningHub, token};

/// The back office's reference data, and the files it is published from.
pub(super) struct Catalog {
    pub products: Vec<Product>,
    pub accounts: Vec<(Account, Vec<Contact>)>,
    pub csv: String,
    pub reference: String,
}

/// The running hub and the back office's client of it.
pub(super) struct Hub {
    pub backend: Arc<SqliteBackend>,
    pub running: RunningHub,
    pub url: String,
    pub admin: HubClient,
}

/// The account of the day and the three devices around it.
pub(super) struct Cast<'a> {
    pub account: &'a Account,
    pub contacts: &'a [Contact],
    pub anna: Device,
    pub ben: Device,
    pub eva: Device,
}

/// Scene 1: Reference data from the back office.
pub(super) fn prepare(day: &mut Day<'_>, args: &DemoArgs) -> Result<Catalog> {
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
    Ok(Catalog { products, accounts, csv, reference })
}

/// Scene 2: The hub, on its embedded SQLite database, with an admin device.
pub(super) fn start_hub(day: &mut Day<'_>, path: &Path, replaced: bool) -> Result<Hub> {
    let t = Instant::now();
    let backend = Arc::new(SqliteBackend::open(path, 8, Some(day.key_for(path)?))?);
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
            path.display(),
            if replaced { ", replacing the previous demo's database" } else { "" },
            ms(t)
        ),
    )?;
    day.say(&format!("back-office admin device {} bootstrapped in the database", admin_device.device_id))?;
    Ok(Hub { backend, running, url, admin })
}

/// Scene 3: The catalog through the back-office API; a bad file is refused whole.
pub(super) fn publish(day: &mut Day<'_>, hub: &Hub, catalog: &Catalog) -> Result<()> {
    let t = Instant::now();
    let admin = &hub.admin;
    let r = admin.post_bytes("/v1/admin/catalog?format=csv", "text/csv", catalog.csv.as_bytes())?;
    let r2 = admin.post_bytes("/v1/admin/catalog?format=json", "application/json", catalog.reference.as_bytes())?;
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
        "scoring_model": onsite_core::leads::ScoringModel::sample(),
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
    // Who sends the documents: the company profile and the reps' profiles.
    let company =
        onsite_core::profile::CompanyProfile { logo: Some(sample::logo_png()), ..sample::company_profile(&hub.url) };
    let company_json = serde_json::to_string_pretty(&company)?;
    day.file("company.json", company_json.as_bytes(), "the company profile every document prints (docs/pdf.md)")?;
    admin.put_json("/v1/admin/company", &serde_json::to_value(&company)?)?;
    let mut reps = Vec::new();
    for r in sample::rep_profiles() {
        let body = serde_json::json!({ "name": r.name, "title": r.title, "phone": r.phone, "email": r.email });
        let v = admin.put_json(&format!("/v1/admin/reps/{}/profile", r.rep), &body)?;
        reps.push(format!("{} ({})", r.name, r.rep));
        if r.rep == "rep-2" {
            day.say(&format!(
                "the company profile of {} and the profiles of {}: catalog sequence {}",
                company.full_name(),
                reps.join(", "),
                v["catalog_seq"]
            ))?;
        }
    }
    publish_images(day, hub, catalog)?;
    let good = &catalog.products[0];
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
    Ok(())
}

/// The product images of the catalog, one per product family, through the
/// back-office API: the hub checks each, sniffs its type and makes its
/// thumbnail, which every tablet then prefetches for its price lists.
fn publish_images(day: &mut Day<'_>, hub: &Hub, catalog: &Catalog) -> Result<()> {
    let t = Instant::now();
    let mut names: Vec<&str> = catalog.products.iter().filter_map(|p| p.image.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    let dir = day.out.join("images");
    std::fs::create_dir_all(&dir).map_err(|source| Error::File { path: dir.clone(), source })?;
    let (mut bytes, mut thumbs) = (0u64, 0u64);
    for (i, name) in names.iter().enumerate() {
        let png = sample::product_png(i as u64, 1200, 900);
        super::write_file(&dir.join(name), &png)?;
        let v = hub.admin.put_bytes(&format!("/v1/admin/images/{name}"), "application/octet-stream", &png)?;
        bytes += png.len() as u64;
        thumbs += v["image"]["thumb_size"].as_u64().unwrap_or(0);
    }
    day.written.push((dir, "the product images, one per family (onsite admin publish images DIR)"));
    day.say(&format!(
        "and {} product images ({}), one per product family: the hub checked each and made its thumbnail \
         ({} in all) ({})",
        names.len(),
        kb(bytes),
        kb(thumbs),
        ms(t)
    ))
}

/// Scene 4: Accounts from the CRM import, an admin device of its own.
pub(super) fn crm_import(day: &mut Day<'_>, hub: &Hub, catalog: &Catalog) -> Result<Device> {
    let t = Instant::now();
    let crm = day.device(
        &hub.admin,
        &hub.url,
        ("CRM import", "crm.sqlite"),
        json!({ "person": "crm-import", "role": "admin", "label": "CRM" }),
    )?;
    let mut contact_count = 0;
    for (a, cs) in &catalog.accounts {
        crm.store.save_account_with_contacts(a, cs)?;
        contact_count += cs.len();
    }
    let r = crm.sync()?;
    day.step(
        4,
        &format!(
            "The CRM import, an admin device of its own, sent {} accounts with {contact_count} buying-center \
             contacts to the hub ({})",
            catalog.accounts.len(),
            sync_line(&crm, &r, t)
        ),
    )?;
    Ok(crm)
}

/// Marketing's tools: a year of opens, clicks, downloads, webinars and
/// social interactions, imported at the hub with contacts matched by e-mail.
pub(super) fn marketing_export(day: &mut Day<'_>, hub: &Hub, catalog: &Catalog) -> Result<()> {
    let t = Instant::now();
    let now = Utc::now();
    let activities = sample::activities(&catalog.accounts, 6, SEED, now);
    let emails: std::collections::HashMap<&str, &str> = catalog
        .accounts
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
    let imported = hub.backend.store().import_activities(csv_rows.as_bytes(), "marketing-automation")?;
    day.say(&format!(
        "the marketing tool's export: {} activities matched to contacts by e-mail, {} row(s) skipped \
         (no such contact) ({})",
        imported.imported,
        imported.unmatched.len(),
        ms(t)
    ))
}

/// Scene 5: Devices for two reps and a customer; assignments.
pub(super) fn provision<'c>(day: &mut Day<'_>, hub: &Hub, catalog: &'c Catalog) -> Result<Cast<'c>> {
    let accounts = &catalog.accounts;
    let (account, contacts): (&Account, &Vec<Contact>) = accounts
        .iter()
        .find(|(a, cs)| a.customer_group.is_some() && a.assigned_rep.as_deref() == Some("rep-1") && !cs.is_empty())
        .or_else(|| accounts.iter().find(|(_, cs)| !cs.is_empty()))
        .map(|(a, cs)| (a, cs))
        .ok_or_else(|| Error::Usage("the demo needs at least one account with contacts".into()))?;
    day.step(5, "Provisioned devices through the back-office API (POST /v1/admin/devices):")?;
    let (admin, url) = (&hub.admin, hub.url.as_str());
    let anna = day.device(
        admin,
        url,
        ("Anna's tablet", "anna-tablet.sqlite"),
        json!({ "person": "rep-1", "role": "rep", "label": "Anna Berger, tablet" }),
    )?;
    let ben = day.device(
        admin,
        url,
        ("Ben's tablet", "ben-tablet.sqlite"),
        json!({ "person": "rep-2", "role": "rep", "label": "Ben Krause, tablet" }),
    )?;
    let eva = day.device(
        admin,
        url,
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
    Ok(Cast { account, contacts, anna, ben, eva })
}

/// Scene 6: First sync of every device; Anna searches and scores offline.
pub(super) fn first_sync(day: &mut Day<'_>, cast: &Cast<'_>) -> Result<()> {
    day.step(6, "Every device synced for the first time:")?;
    for d in [&cast.anna, &cast.ben, &cast.eva] {
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
    let anna = &cast.anna;
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
    Ok(())
}

/// Scene 7: Offline, both reps edit the same account; Anna's edit of the contact.
pub(super) fn offline_edits(day: &mut Day<'_>, cast: &Cast<'_>) -> Result<Contact> {
    let contact = &cast.contacts[0];
    let mut a_edit = contact.clone();
    a_edit.phone = Some("+49 171 555 01 01".into());
    cast.anna.store.save_contact(&a_edit)?;
    let mut b_edit = contact.clone();
    b_edit.phone = Some("+49 171 555 02 02".into());
    cast.ben.store.save_contact(&b_edit)?;
    let newcomer = Contact {
        id: onsite_core::ids::new_id(),
        account_id: cast.account.id.clone(),
        first_name: "Katrin".into(),
        last_name: "Vogt".into(),
        role: BuyingRole::BudgetHolder,
        title: Some("Kaufmännische Leiterin".into()),
        email: Some("k.vogt@example.com".into()),
        phone: None,
        consent: None,
        salutation: None,
    };
    cast.ben.store.save_contact(&newcomer)?;
    day.step(7, "Offline, both reps edit the same account:")?;
    day.say(&format!(
        "Anna sets the phone number of {} ({}) to +49 171 555 01 01",
        contact.full_name(),
        contact.role.as_str().replace('_', " ")
    ))?;
    day.say("Ben sets the same phone to +49 171 555 02 02 and adds Katrin Vogt (budget holder) to the buying center")?;
    Ok(a_edit)
}

/// Scene 8: A quote with a discount over the limit, held for the back office,
/// approved and sent; returns the quote and the SKU of its first line.
pub(super) fn discounted_quote(
    day: &mut Day<'_>,
    hub: &Hub,
    cast: &Cast<'_>,
    catalog: &Catalog,
    today: NaiveDate,
) -> Result<(Quote, Option<String>)> {
    let anna = &cast.anna;
    let pick = |prefix: &str| catalog.products.iter().find(|p| p.active && p.sku.starts_with(prefix));
    let items: Vec<(&Product, i64, i64)> = [("SKS-", 500, 0), ("HSN-", 24, 0), ("TRS-", 50, 5), ("AKB-", 2, 12)]
        .iter()
        .filter_map(|(prefix, qty, disc)| pick(prefix).map(|p| (p, *qty, *disc)))
        .collect();
    let t = Instant::now();
    let mut q = anna.store.create_quote(
        &cast.account.id,
        Some(cast.contacts[0].id.clone()),
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
    if anna.store.quote(&q.id)?.state == QuoteState::Draft {
        anna.store.request_discount_approval(
            &q.id,
            "Wettbewerbsangebot liegt vor, Rahmenvertrag in Aussicht",
            Utc::now(),
        )?;
        anna.sync()?;
        let pending = hub.admin.get_json("/v1/admin/quotes?pending_discount=true")?;
        day.say(&format!(
            "she asks the back office; after her sync the hub lists {} quote(s) waiting for a discount decision",
            pending["quotes"].as_array().map_or(0, Vec::len)
        ))?;
        hub.admin.post_json(&format!("/v1/admin/quotes/{}/discount-decision", q.id), &json!({ "approved": true }))?;
        let t = Instant::now();
        let r = anna.sync()?;
        day.say(&format!("the back office approves it over the API; {}", sync_line(anna, &r, t)))?;
        anna.store.send_quote(&q.id, today)?;
        day.say("Anna sends the quote")?;
    }
    let on_quote = AttachmentParent::Quote { quote_id: q.id.clone() };
    let photo = sample::product_png(7, 1600, 1200);
    anna.store.add_attachment(&on_quote, "regal-c-teile.png", &photo, true, "rep-1")?;
    let sketch = sample::product_png(8, 800, 600);
    anna.store.add_attachment(&on_quote, "skizze-montage.png", &sketch, false, "rep-1")?;
    day.say(&format!(
        "she photographs the customer's shelf ({}) and attaches it to the quote for Eva, and a mounting sketch \
         ({}) for the back office only: both wait on her tablet for the next sync",
        kb(photo.len() as u64),
        kb(sketch.len() as u64)
    ))?;
    Ok((q, items.first().map(|(p, _, _)| p.sku.clone())))
}

/// Scene 9: PDFs with the signed approval link; the link for revision 1.
pub(super) fn pdfs(
    day: &mut Day<'_>,
    hub: &Hub,
    cast: &Cast<'_>,
    q: &Quote,
    datasheet_sku: Option<&str>,
    opts: &PdfOptions,
) -> Result<String> {
    let anna = &cast.anna;
    let t = Instant::now();
    let pdf = anna.store.render_quote_pdf(&q.id, RepContact::default(), opts)?;
    let pdf1 = day.file("quote-revision-1.pdf", &pdf, "the quote, revision 1, with its QR approval link")?;
    day.step(
        9,
        &format!("Anna renders the quote PDF on her tablet: {} ({}, {})", pdf1.display(), kb(pdf.len() as u64), ms(t)),
    )?;
    let link1 = anna.store.approval_link(&q.id, &hub.url)?;
    day.say(&format!("its QR code and link (signed, for revision 1 only): {link1}"))?;
    if let Some(sku) = datasheet_sku {
        let t = Instant::now();
        let dated = PdfOptions::dated(opts.document_date);
        let rep = anna.store.rep_contact("rep-1")?.unwrap_or_default();
        let bytes = anna.store.render_datasheet_pdf(sku, &cast.account.id, rep, None, &dated)?;
        let sheet = day.file("datasheet.pdf", &bytes, "a product datasheet with the customer's prices")?;
        day.say(&format!(
            "and a datasheet for {sku} with {}'s prices: {} ({}, {})",
            cast.account.name,
            sheet.display(),
            kb(bytes.len() as u64),
            ms(t)
        ))?;
    }
    Ok(link1)
}

/// Scene 10: The customer approves revision 1 offline; the rep makes revision 2.
pub(super) fn approval_meets_revision(
    day: &mut Day<'_>,
    cast: &Cast<'_>,
    q: &Quote,
    opts: &PdfOptions,
    today: NaiveDate,
) -> Result<()> {
    let (anna, eva) = (&cast.anna, &cast.eva);
    let t = Instant::now();
    let up = anna.sync()?;
    let t2 = Instant::now();
    let down = eva.sync()?;
    let on_phone = eva.store.quote(&q.id)?;
    day.step(
        10,
        &format!("Eva's phone receives the quote ({}); then her train enters a tunnel", status_words(&on_phone)),
    )?;
    let files = eva.store.attachments(&AttachmentParent::Quote { quote_id: q.id.clone() })?;
    let held = files.iter().filter(|a| eva.store.has_blob(&a.file.hash).unwrap_or(false)).count();
    day.say(&format!("{} (the two files uploaded)", sync_line(anna, &up, t)))?;
    day.say(&format!(
        "{}: the quote's files on her phone: {} ({held} held offline); the sketch is not shown to customers",
        sync_line(eva, &down, t2),
        files.iter().map(|a| a.file.name.as_str()).collect::<Vec<_>>().join(", "),
    ))?;
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
    let pdf = anna.store.render_quote_pdf(&q.id, RepContact::default(), opts)?;
    let pdf2 = day.file("quote-revision-2.pdf", &pdf, "the quote, revision 2, with its own approval link")?;
    day.say(&format!(
        "meanwhile Anna doubles the screws and splits the delivery: revision {} ({} gross), sent again, {}",
        q2.revision,
        money(&q2, q2.totals().map_err(onsite_core::Error::from)?.gross_total),
        pdf2.display()
    ))
}

/// Scenes 11 and 12: Everyone syncs; the state converges, the concurrent phone
/// numbers are both kept, the revision-1 link is stale. The link for
/// revision 2.
pub(super) fn converge(day: &mut Day<'_>, hub: &Hub, cast: &Cast<'_>, q: &Quote, link1: &str) -> Result<String> {
    let (anna, ben, eva) = (&cast.anna, &cast.ben, &cast.eva);
    day.step(11, "Everyone is back online and syncs:")?;
    for d in [eva, anna, ben, eva, anna] {
        let t = Instant::now();
        let r = d.sync()?;
        day.say(&sync_line(d, &r, t))?;
    }
    day.step(12, "The converged state, the same on every device and the hub:")?;
    for d in [anna, ben, eva] {
        let q = d.store.quote(&q.id)?;
        day.say(&format!("{:<14} quote {}: {}", d.who, q.number, status_words(&q)))?;
    }
    let hub_quote = hub.backend.store().quote(&q.id)?;
    day.say(&format!("{:<14} quote {}: {}", "hub", hub_quote.number, status_words(&hub_quote)))?;
    let contact = &cast.contacts[0];
    for d in [anna, ben] {
        let cs = d.store.contacts(&cast.account.id)?;
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
    let conflicts = anna.store.conflicts(&format!("account/{}", cast.account.id))?;
    if let Some(words) = conflict_words(&conflicts, "/phone", &[anna, ben, eva]) {
        day.say(&format!("the concurrent phone numbers are both kept: {words}"))?;
    }
    let link2 = anna.store.approval_link(&q.id, &hub.url)?;
    day.say(&format!("the approval link for revision 2: {link2}"))?;
    let stale = web_get(link1, "de")?;
    day.say(&format!("the revision-1 link now answers HTTP {} (\"Dieses Angebot wurde überarbeitet\")", stale.status))?;
    Ok(link2)
}

/// Scene 13: Eva approves revision 2 in the browser.
pub(super) fn browser_approval(day: &mut Day<'_>, link2: &str) -> Result<()> {
    let t = Instant::now();
    let page = web_get(link2, "de")?;
    let answer =
        web_post_form(link2, &[("decision", "approve"), ("name", "Eva Weiß"), ("role", "Leiterin Einkauf")], &[])?;
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
    Ok(())
}

/// Scene 14: A last sync: approved everywhere, and ordered.
pub(super) fn order(day: &mut Day<'_>, hub: &Hub, cast: &Cast<'_>, q: &Quote) -> Result<()> {
    day.step(14, "A last sync:")?;
    for d in [&cast.anna, &cast.ben, &cast.eva] {
        d.sync()?;
        let q = d.store.quote(&q.id)?;
        day.say(&format!("{:<14} quote {}: {}", d.who, q.number, status_words(&q)))?;
    }
    let order = cast.anna.store.order_quote(&q.id, Utc::now())?;
    cast.anna.sync()?;
    let orders = hub.admin.get_json(&format!("/v1/admin/orders?account={}", cast.account.id))?;
    day.say(&format!(
        "Anna turns it into order {} ({} gross); the back office sees {} order(s) for {} (GET /v1/admin/orders)",
        order.id.chars().take(8).collect::<String>(),
        Money::new(order.gross_total, order.currency).format(DisplayLocale::De),
        orders["orders"].as_array().map_or(0, Vec::len),
        cast.account.name
    ))?;
    let t = Instant::now();
    let opts = PdfOptions::dated(order.created_at.date_naive());
    let pdf = cast.anna.store.render_order_confirmation_pdf(&order.id, RepContact::default(), &opts)?;
    let path = day.file("order-confirmation.pdf", &pdf, "the order confirmation of the approved revision")?;
    day.say(&format!("and hands over the order confirmation: {} ({}, {})", path.display(), kb(pdf.len() as u64), ms(t)))
}

/// Eva reorders the order's C-parts from her phone, twice the quantity, at
/// the prices in force today; the hub takes the reorder (ADR 17's rules).
pub(super) fn reorder(day: &mut Day<'_>, hub: &Hub, cast: &Cast<'_>) -> Result<()> {
    let eva = &cast.eva;
    eva.sync()?;
    let orders = eva.store.order_listings(Some(&cast.account.id))?;
    let Some(past) = orders.first() else {
        return day.say("Eva's phone has no order to reorder from");
    };
    // Twice each C-part; the other lines dropped (quantity 0).
    let mut quantities = Vec::new();
    for l in past.lines.iter().filter(|l| !l.sku.is_empty()) {
        let c_part = eva.store.product(&l.sku).is_ok_and(|p| p.c_part);
        quantities.push((l.sku.clone(), if c_part { l.qty * Decimal::TWO } else { Decimal::ZERO }));
    }
    if quantities.iter().all(|(_, q)| q.is_zero()) {
        return day.say("the order holds no C-parts to reorder");
    }
    let today = chrono::Local::now().date_naive();
    let order = eva.store.reorder(&past.id, &quantities, today, Utc::now())?;
    eva.sync()?;
    let at_hub = hub.admin.get_json(&format!("/v1/admin/orders?account={}", cast.account.id))?;
    let lines: Vec<String> = order
        .lines
        .iter()
        .map(|l| {
            format!("{} × {} at {}", l.qty, l.sku, Money::new(l.unit_price, order.currency).format(DisplayLocale::De))
        })
        .collect();
    day.step(15, "On the train, Eva reorders the C-parts from her phone:")?;
    day.say(&format!(
        "{} ({} gross, today's prices); synced, the back office now sees {} orders for {}",
        lines.join(", "),
        Money::new(order.gross_total, order.currency).format(DisplayLocale::De),
        at_hub["orders"].as_array().map_or(0, Vec::len),
        cast.account.name
    ))
}

/// The approved quote as a document, the input of `onsite quote pdf`.
pub(super) fn leave_quote_document(
    day: &mut Day<'_>,
    cast: &Cast<'_>,
    q: &Quote,
    contact: Contact,
    today: NaiveDate,
) -> Result<()> {
    let doc = crate::commands::pdf::QuoteDocument {
        quote: cast.anna.store.quote(&q.id)?,
        account: cast.account.clone(),
        contact: Some(contact),
        rep: cast.anna.store.rep_contact("rep-1")?.unwrap_or_default(),
        value_arguments: Vec::new(),
        date: Some(today),
        company: cast.anna.store.company_profile()?,
        unit_labels: cast.anna.store.unit_labels()?,
    };
    day.file(
        "quote.json",
        serde_json::to_string_pretty(&doc)?.as_bytes(),
        "the approved quote as a document (input of `onsite quote pdf`)",
    )?;
    Ok(())
}

/// What is left in the output directory, and what to try next.
pub(super) fn summary(day: &mut Day<'_>, hub_path: &Path, devices: [&Device; 4], all: Instant) -> Result<()> {
    let out = day.out.clone();
    let w = &mut *day.w;
    writeln!(w, "\nDone in {}. The hub has stopped; everything is in {}:", ms(all), out.display())?;
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    writeln!(w, "   {:<22} the hub's database (devices, documents, catalog)", name(hub_path))?;
    for d in devices {
        writeln!(w, "   {:<22} {}'s own store", name(&d.path), d.who)?;
    }
    for (path, what) in &day.written {
        writeln!(w, "   {:<22} {what}", name(path))?;
    }
    writeln!(w, "\nStorage on each device (the database with its files; the files against the policy's budget):")?;
    for d in devices {
        let budget = d.store.blob_budget()?;
        let db = ["", "-wal"]
            .iter()
            .filter_map(|s| {
                let mut p = d.path.as_os_str().to_owned();
                p.push(s);
                std::fs::metadata(p).ok().map(|m| m.len())
            })
            .sum::<u64>();
        writeln!(
            w,
            "   {:<22} {:>9} in all; files {} in {} (budget {} MiB, {} waiting to be uploaded)",
            d.who,
            kb(db),
            kb(budget.used_bytes),
            budget.blobs,
            budget.budget_bytes >> 20,
            budget.pending_uploads
        )?;
    }
    let exe = std::env::args().next().filter(|a| a.contains('/')).unwrap_or_else(|| "onsite".into());
    let hub_db = hub_path.display();
    let anna = devices[1].path.display();
    let keys = out.join("keys");
    let key = |p: &Path| {
        keys.join(format!("{}.key", p.file_stem().unwrap_or_default().to_string_lossy())).display().to_string()
    };
    let (hub_key, anna_key) = (key(hub_path), key(&devices[1].path));
    writeln!(w, "\nWhat just happened: one hub and four devices talked over HTTP on this machine. Every device")?;
    writeln!(w, "worked offline on its own SQLite store; edits met at the hub as CRDT changes and converged")?;
    writeln!(w, "without losing either phone number; the discount waited for the back office; the customer's")?;
    writeln!(w, "approval of revision 1 was kept but marked superseded, and only revision 2's signed link approved.")?;
    writeln!(w, "Anna's call list was scored on her tablet from the published buyer personas and the marketing")?;
    writeln!(w, "activities imported at the hub, weighed by recency and marketing consent.")?;
    writeln!(w, "Every store is encrypted at rest (ChaCha20-Poly1305, a random 256-bit key each): `sqlite3` reads")?;
    writeln!(
        w,
        "nothing of them. The demo keeps the keys in {}; a tablet keeps its key in the Android",
        keys.display()
    )?;
    writeln!(w, "Keystore or the Keychain.")?;
    writeln!(w, "\nTry:")?;
    writeln!(w, "   {exe} serve --database sqlite:{hub_db} --database-key-file {hub_key}")?;
    writeln!(
        w,
        "   {exe} admin quotes --hub http://127.0.0.1:8080 --token $(cat {})",
        out.join("admin-token.txt").display()
    )?;
    writeln!(w, "   ONSITE_KEY_FILE={anna_key} {exe} catalog search --db {anna} sechskant m10 edelstahl")?;
    writeln!(w, "   ONSITE_KEY_FILE={hub_key} {exe} account list --db {hub_db} --rep rep-1")?;
    writeln!(w, "   ONSITE_KEY_FILE={anna_key} {exe} lead calllist --db {anna} --limit 10")?;
    writeln!(w, "   ONSITE_KEY_FILE={anna_key} {exe} campaign report --db {anna} kanban-c-teile")?;
    Ok(())
}
