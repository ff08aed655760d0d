//! `onsite demo`: the main job. Builds a realistic sample on an embedded
//! SQLite file through the same paths a real deployment uses (CSV and JSON
//! import, the account repository, search) and prints what it did.

use std::path::Path;
use std::time::Instant;

use onsite_core::import::{self, Format};
use onsite_core::money::DisplayLocale;
use onsite_core::store::{AccountQuery, ProductQuery};
use onsite_core::{Store, StoreOptions, sample};

use crate::cli::{DemoArgs, Io};
use crate::commands::{import_file, print_accounts, print_products};
use crate::error::{Error, Result};

const SEED: u64 = 2026;

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::File { path: path.to_path_buf(), source })
}

fn write_file_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::File { path: path.to_path_buf(), source })
}

fn remove_db(path: &Path) -> Result<bool> {
    let mut removed = false;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = std::path::PathBuf::from(p);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|source| Error::File { path: p.clone(), source })?;
            removed = true;
        }
    }
    Ok(removed)
}

fn ms(t: Instant) -> String {
    let us = t.elapsed().as_micros();
    if us < 10_000 { format!("{:.2} ms", us as f64 / 1000.0) } else { format!("{} ms", us / 1000) }
}

/// Step 8: a quote at the customer's table, through the discount policy,
/// approval and order, then a reorder of the consumables.
fn quote_demo(
    store: &Store,
    accounts: &[(onsite_core::account::Account, Vec<onsite_core::account::Contact>)],
    products: &[onsite_core::catalog::Product],
    out: &Path,
    w: &mut dyn std::io::Write,
) -> Result<()> {
    use onsite_core::quote::{Approval, SignerAuth};
    use rust_decimal::Decimal;

    let Some((account, contacts)) = accounts.iter().find(|(a, _)| a.customer_group.is_some()) else {
        return Ok(());
    };
    let today = chrono::Local::now().date_naive();
    let now = chrono::Utc::now();
    let pick = |prefix: &str| products.iter().find(|p| p.active && p.sku.starts_with(prefix));
    let items: Vec<(&onsite_core::catalog::Product, i64, i64)> =
        [("SKS-", 500, 0), ("HSN-", 24, 0), ("TRS-", 50, 5), ("AKB-", 2, 12)]
            .iter()
            .filter_map(|(prefix, qty, disc)| pick(prefix).map(|p| (p, *qty, *disc)))
            .collect();
    let t = Instant::now();
    let contact = contacts.first().map(|c| c.id.clone());
    let mut q = store.create_quote(
        &account.id,
        contact,
        "rep-1",
        onsite_core::money::DisplayLocale::De,
        today + chrono::Days::new(30),
    )?;
    for (p, qty, disc) in &items {
        q = store.add_quote_line(&q.id, &p.sku, Decimal::new(*qty, 0), Decimal::new(*disc, 0), today)?;
    }
    // Attach the case studies that argue for the quoted products.
    let mut arguments = Vec::new();
    for (p, _, _) in &items {
        arguments.extend(store.content_for_product(&p.sku)?.into_iter().map(|c| c.id));
    }
    if !arguments.is_empty() {
        let mut edited = q.clone();
        edited.value_arguments = arguments;
        q = store.edit_quote(&edited)?;
    }
    let totals = q.totals().map_err(onsite_core::Error::from)?;
    writeln!(
        w,
        "\n8. Quote {} for {} ({}), built in {}:",
        q.number,
        account.name,
        account.billing_address.city,
        ms(t)
    )?;
    let de = DisplayLocale::De;
    for (i, (l, net)) in q.lines.iter().zip(&totals.line_nets).enumerate() {
        let price = onsite_core::money::Money::new(l.unit_price, q.currency).format(de);
        let disc = if l.discount_pct.is_zero() { String::new() } else { format!("−{} %", l.discount_pct) };
        writeln!(
            w,
            "   {}  {}  {} {}  × {}  {}  = {}",
            i + 1,
            crate::output::pad(&crate::output::clip(&l.name, 44), 44),
            crate::output::rpad(&l.qty.to_string(), 4),
            l.unit,
            crate::output::rpad(&price, 9),
            crate::output::pad(&disc, 7),
            crate::output::rpad(&onsite_core::money::Money::new(*net, q.currency).format(de), 11)
        )?;
    }
    for g in &totals.groups {
        let m = |d: Decimal| onsite_core::money::Money::new(d, q.currency).format(de);
        writeln!(w, "      USt. {} % auf {}: {}", g.rate_pct, m(g.net_after_discount), m(g.tax))?;
    }
    let m = |d: Decimal| onsite_core::money::Money::new(d, q.currency).format(de);
    writeln!(
        w,
        "      netto {}   USt. {}   brutto {}",
        m(totals.net_total),
        m(totals.tax_total),
        m(totals.gross_total)
    )?;
    for id in &q.value_arguments {
        if let Some(c) = store.content_items()?.into_iter().find(|c| &c.id == id) {
            writeln!(w, "   value argument: {}", c.title)?;
        }
    }
    writeln!(w, "   revision {} · hash {}…", q.revision, &q.revision_hash[..16])?;

    match store.send_quote(&q.id, today) {
        Err(e) => writeln!(w, "   send refused by the discount policy: {e}")?,
        Ok(_) => writeln!(w, "   sent (within the rep's limits)")?,
    }
    if store.quote(&q.id)?.state == onsite_core::quote::QuoteState::Draft {
        store.request_discount_approval(&q.id, "Wettbewerbsangebot liegt vor, Rahmenvertrag in Aussicht", now)?;
        writeln!(w, "   rep requested approval; back office approved it")?;
        store.decide_discount(&q.id, true, "backoffice-1", now)?;
        store.send_quote(&q.id, today)?;
        writeln!(w, "   sent")?;
    }
    let q = store.quote(&q.id)?;
    let signer = contacts.first().map(|c| c.full_name()).unwrap_or_else(|| "Kunde".into());
    let approval = Approval {
        quote_id: q.id.clone(),
        revision_hash: q.revision_hash.clone(),
        signer_name: signer,
        signer_role: "Einkauf".into(),
        auth: SignerAuth::RepDeviceOnSite,
        device_time: now,
        device_id: "demo-tablet".into(),
    };
    store.approve_quote(&q.id, approval, today)?;
    let signed = store.quote(&q.id)?;
    let doc = crate::pdf_cmd::QuoteDocument {
        quote: signed,
        account: account.clone(),
        contact: contacts.first().cloned(),
        rep: onsite_core::pdf::RepContact {
            name: "Jürgen Groß".into(),
            email: "j.gross@onsite.example".into(),
            phone: "+49 170 123 45 67".into(),
        },
        value_arguments: {
            let all = store.content_items()?;
            q.value_arguments
                .iter()
                .filter_map(|id| all.iter().find(|c| &c.id == id).map(|c| c.title.clone()))
                .collect()
        },
        date: Some(today),
    };
    let json_path = out.join("quote.json");
    write_file(&json_path, &serde_json::to_string_pretty(&doc)?)?;
    let pdf_path = out.join("quote.pdf");
    let t = Instant::now();
    let size = crate::pdf_cmd::write_pdf(&doc, None, &pdf_path)?;
    writeln!(w, "   rendered {} ({} KB) in {}", pdf_path.display(), size / 1024, ms(t))?;
    if let Some((p, _, _)) = items.first() {
        let sheet = out.join("datasheet.pdf");
        let t = Instant::now();
        let bytes = store.render_datasheet_pdf(
            &p.sku,
            &account.id,
            doc.rep.clone(),
            None,
            &onsite_core::pdf::PdfOptions::dated(today),
        )?;
        write_file_bytes(&sheet, &bytes)?;
        writeln!(
            w,
            "   datasheet for {} with {}'s prices: {} ({} KB) in {}",
            p.sku,
            account.name,
            sheet.display(),
            bytes.len() / 1024,
            ms(t)
        )?;
    }
    let order = store.order_quote(&q.id, now)?;
    writeln!(w, "   approved on site for revision {} and ordered: {}", q.revision, m(order.gross_total))?;
    for g in store.granted_discounts(&account.id)? {
        writeln!(
            w,
            "   discount history: {} on {}: {} % ({})",
            g.quote_number,
            g.date,
            g.discount_pct,
            g.reason.unwrap_or_default()
        )?;
    }
    let consumables: Vec<(String, Decimal)> =
        order.lines.iter().filter(|l| !l.c_part).map(|l| (l.sku.clone(), Decimal::ZERO)).collect();
    let again = store.reorder(&order.id, &consumables, today, now)?;
    writeln!(
        w,
        "   reorder of the consumables from the customer's phone: {} lines, {}",
        again.lines.len(),
        m(again.gross_total)
    )?;
    Ok(())
}

/// The sample discount policy: 10 % overall, 5 % on tools, a 15 % margin floor.
fn demo_policy() -> onsite_core::quote::DiscountPolicy {
    use onsite_core::quote::{CategoryLimit, DiscountPolicy};
    let pct = |n: i64| rust_decimal::Decimal::new(n, 0);
    DiscountPolicy {
        max_discount_pct: pct(10),
        category_limits: vec![CategoryLimit { category: "Werkzeug/".into(), max_discount_pct: pct(5) }],
        min_margin_pct: pct(15),
        reason_required: true,
    }
}

/// Runs the demo.
pub fn run(args: &DemoArgs, io: &mut Io<'_>) -> Result<()> {
    let all = Instant::now();
    let out = &args.out;
    std::fs::create_dir_all(out).map_err(|source| Error::File { path: out.clone(), source })?;
    let db_path = out.join("onsite.sqlite");
    let replaced = remove_db(&db_path)?;
    let w = &mut *io.out;

    writeln!(w, "Onsite demo: an offline store for a B2B field sales rep")?;
    writeln!(w, "=======================================================\n")?;

    // 1. The back office publishes the catalog as CSV and price lists as JSON.
    let t = Instant::now();
    let products = sample::products(args.products as usize, SEED);
    let accounts = sample::accounts(args.accounts as usize, SEED);
    let lists = sample::price_lists(&products, &accounts, SEED);
    let csv_path = out.join("catalog.csv");
    write_file(&csv_path, &import::export_csv(&products))?;
    let policy = demo_policy();
    let costs = sample::costs(&products, SEED);
    let content = sample::content(&products);
    let json_path = out.join("reference-data.json");
    write_file(&json_path, &import::export_reference_json(&lists, Some(&policy), &costs, &content))?;
    writeln!(
        w,
        "1. Generated {} products, {} price lists and {} accounts ({})",
        products.len(),
        lists.len(),
        accounts.len(),
        ms(t)
    )?;
    writeln!(w, "   {}\n   {}", csv_path.display(), json_path.display())?;

    let t = Instant::now();
    let store = Store::open(&db_path, StoreOptions::default())?;
    writeln!(
        w,
        "\n2. {} the store {} (SQLite, WAL, schema version {}) in {}",
        if replaced { "Replaced" } else { "Created" },
        db_path.display(),
        store.schema_version()?,
        ms(t)
    )?;

    let t = Instant::now();
    let s = import_file(&store, &csv_path, Some(Format::Csv), io.progress)?;
    let w = &mut *io.out;
    writeln!(w, "\n3. Imported catalog.csv: {} products at catalog sequence {} in {}", s.products_added, s.seq, ms(t))?;
    let t = Instant::now();
    let s = import_file(&store, &json_path, Some(Format::Json), false)?;
    let tiers: usize = lists.iter().map(|l| l.tiers.len()).sum();
    writeln!(
        w,
        "   Imported reference-data.json: {} price lists with {tiers} prices and quantity tiers, the discount policy, \
         {} product costs, {} case studies and stories; sequence {} in {}",
        s.price_lists_changed,
        s.costs_changed,
        s.content_changed,
        s.seq,
        ms(t)
    )?;

    // 4. A file with bad rows is refused whole, every problem listed.
    let bad_path = out.join("bad-rows.csv");
    let good = &products[0];
    write_file(
        &bad_path,
        &format!(
            "sku;name;unit;list_price;tax_class\n\
             NEU-0001;Neuer Artikel;pc;1,99;DE-STD\n\
             NEU-0002;Preis fehlt;pc;;DE-STD\n\
             NEU-0003;Falsche Steuerklasse;pc;2,50;US-SALES\n\
             {};Doppelte SKU;pc;3,00;DE-STD\n\
             {};Doppelte SKU;pc;3,00;DE-STD\n",
            good.sku, good.sku
        ),
    )?;
    let before = store.product_count()?;
    match import_file(&store, &bad_path, None, false) {
        Err(Error::Core(onsite_core::Error::Import(report))) => {
            writeln!(w, "\n4. Tried bad-rows.csv: refused, {} products before and after", before)?;
            for line in report.to_string().lines() {
                writeln!(w, "   {line}")?;
            }
        }
        other => {
            writeln!(w, "\n4. bad-rows.csv was unexpectedly accepted: {other:?}")?;
        }
    }
    debug_assert_eq!(before, store.product_count()?);

    // 5. Accounts with their buying centers, saved as a device would.
    let t = Instant::now();
    let mut contacts = 0;
    for (a, cs) in &accounts {
        store.save_account_with_contacts(a, cs)?;
        contacts += cs.len();
    }
    writeln!(w, "\n5. Saved {} accounts with {contacts} buying-center contacts in {}", accounts.len(), ms(t))?;

    // 6. Searches, as the rep types them.
    writeln!(w, "\n6. Product search (prefix, case- and umlaut-insensitive, ranked):")?;
    let exact_sku = products.iter().find(|p| p.active).map(|p| p.sku.clone()).unwrap_or_default();
    for (q, locale) in [
        ("mull", DisplayLocale::De),
        ("schraub m8 a4", DisplayLocale::De),
        ("strasse", DisplayLocale::De),
        ("gloves", DisplayLocale::En),
        (exact_sku.as_str(), DisplayLocale::De),
    ] {
        let t = Instant::now();
        let page = store.search_products(&ProductQuery::new(q).page(0, 3))?;
        writeln!(w, "\n   \"{q}\" ({}):", ms(t))?;
        let mut buf = Vec::new();
        print_products(&mut buf, &page, locale)?;
        for line in String::from_utf8_lossy(&buf).lines() {
            writeln!(w, "   {line}")?;
        }
    }

    writeln!(w, "\n7. Account search (company, city, contact):")?;
    let contact_name = accounts.first().and_then(|(_, c)| c.first()).map(|c| c.last_name.clone()).unwrap_or_default();
    for q in ["münchen masch", contact_name.as_str()] {
        let t = Instant::now();
        let page = store.search_accounts(&AccountQuery { text: q.into(), offset: 0, limit: 3 })?;
        writeln!(w, "\n   \"{q}\" ({}):", ms(t))?;
        let mut buf = Vec::new();
        print_accounts(&mut buf, &page)?;
        for line in String::from_utf8_lossy(&buf).lines() {
            writeln!(w, "   {line}")?;
        }
    }

    quote_demo(&store, &accounts, &products, out, w)?;

    let db = db_path.display();
    // Suggest the binary as it was invoked (cargo run leaves it under target/).
    let exe = std::env::args().next().filter(|a| a.contains('/')).unwrap_or_else(|| "onsite".into());
    writeln!(w, "\nDone in {}. Everything is in {}:", ms(all), out.display())?;
    writeln!(w, "   onsite.sqlite     the store (open it with sqlite3, or the commands below)")?;
    writeln!(w, "   catalog.csv       the catalog as published (import format: docs/catalog-import.md)")?;
    writeln!(
        w,
        "   reference-data.json  price lists with tiers, discount policy, costs, content (JSON import format)"
    )?;
    writeln!(w, "   bad-rows.csv      the refused file")?;
    writeln!(w, "   quote.json        the quote as a document; quote.pdf is it rendered")?;
    writeln!(w, "   datasheet.pdf     a product datasheet with the customer's prices")?;
    writeln!(w, "\nTry:")?;
    writeln!(w, "   {exe} catalog search --db {db} sechskant m10 edelstahl")?;
    writeln!(w, "   {exe} catalog show --db {db} {exact_sku}")?;
    writeln!(w, "   {exe} account search --db {db} köln")?;
    writeln!(w, "   {exe} account list --db {db} --rep rep-1")?;
    Ok(())
}
