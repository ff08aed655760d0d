//! Sync and document benchmarks (issue 6):
//!
//! 1. the largest realistic documents: size, load, read (hydrate + rules),
//!    one edit;
//! 2. a rep's week offline (50 quotes, 200 activities, contact edits, and
//!    concurrent edits from a second device): round trips and bytes on the
//!    wire against the raw Automerge change bytes and against shipping
//!    whole documents;
//! 3. the first sync of a new device (100,000 products, 500 accounts,
//!    2,000 quotes): time, round trips and bytes, against shipping every
//!    document's save();
//! 4. opening that device store and its first queries.
//!
//! Run: `cargo bench -p onsite-core --bench sync` (add `-- --quick` for a
//! smaller first-sync hub).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use onsite_core::account::{BuyingRole, Contact};
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::crdt::{self, DocId, Record};
use onsite_core::ids::new_id;
use onsite_core::import::{CatalogBatch, ParsedCatalog, Row};
use onsite_core::money::DisplayLocale;
use onsite_core::sample::{self, Rng};
use onsite_core::sync::{DeviceScope, sync_in_process};
use onsite_core::{Store, StoreOptions};
use rust_decimal::Decimal;

fn rows<T: Clone>(v: &[T]) -> Vec<Row<T>> {
    v.iter().enumerate().map(|(i, item)| Row { line: i as u64 + 2, item: item.clone() }).collect()
}

/// The hub judges validity by its clock: the week is this week.
fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn hub_with(dir: &std::path::Path, products: usize, accounts: usize) -> (Store, Vec<String>) {
    let hub = Store::open(dir.join("hub.sqlite"), StoreOptions::default()).unwrap();
    let ps = sample::products(products, 11);
    let accs = sample::accounts(accounts, 11);
    let batch = CatalogBatch {
        products: rows(&ps),
        price_lists: rows(&sample::price_lists(&ps, &accs, 11)),
        content: rows(&sample::content(&ps)),
        product_costs: rows(&sample::costs(&ps, 11)),
        ..Default::default()
    };
    hub.import_catalog(ParsedCatalog { batch, problems: Vec::new() }, &mut |_| {}).unwrap();
    let ids = accs
        .into_iter()
        .map(|(a, c)| {
            hub.save_account_with_contacts(&a, &c).unwrap();
            a.id
        })
        .collect();
    (hub, ids)
}

fn active_skus(s: &Store, n: usize) -> Vec<String> {
    s.products().unwrap().into_iter().filter(|p| p.active).take(n).map(|p| p.sku).collect()
}

fn activity(rng: &mut Rng, account: &str, by: &str, day: i64) -> Activity {
    let kinds =
        [ActivityKind::Visit, ActivityKind::Call, ActivityKind::Meeting, ActivityKind::Email, ActivityKind::Note];
    Activity {
        id: new_id(),
        account_id: account.to_string(),
        contact_id: None,
        kind: *rng.pick(&kinds),
        at: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
            + Duration::days(day)
            + Duration::minutes(rng.below(600) as i64),
        by: by.into(),
        subject: "Besuch Einkauf, Bedarf Befestigungstechnik Q1".into(),
        notes: "Rahmenvertrag besprochen; Muster für Edelstahl A4 mitgebracht.".into(),
    }
}

/// Heads of every document, to measure what changed after.
fn heads(s: &Store) -> BTreeMap<String, Vec<automerge::ChangeHash>> {
    s.documents()
        .unwrap()
        .into_iter()
        .map(|d| {
            let mut doc = automerge::AutoCommit::load(&s.export_doc(&d.doc_id).unwrap()).unwrap();
            (d.doc_id, doc.get_heads())
        })
        .collect()
}

/// Raw bytes of the changes in `s` made after `before`, and the save() size
/// of every document that changed.
fn changed_since(s: &Store, before: &BTreeMap<String, Vec<automerge::ChangeHash>>) -> (u64, u64, usize) {
    let (mut raw, mut whole, mut docs) = (0u64, 0u64, 0usize);
    for d in s.documents().unwrap() {
        let bytes = s.export_doc(&d.doc_id).unwrap();
        let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
        let since = before.get(&d.doc_id).cloned().unwrap_or_default();
        let changes = doc.get_changes(&since);
        if !changes.is_empty() {
            raw += changes.iter().map(|c| c.raw_bytes().len() as u64).sum::<u64>();
            whole += bytes.len() as u64;
            docs += 1;
        }
    }
    (raw, whole, docs)
}

fn kb(b: u64) -> String {
    format!("{:.1} KB", b as f64 / 1000.0)
}

fn largest_documents() {
    println!("\n## Largest realistic documents\n");
    println!(
        "| document | changes | save() size | load | read (hydrate + rules) | one edit (load, write, commit, save) |"
    );
    println!("|---|---|---|---|---|---|");
    let actor = crdt::actor_for("5b0c6a2e-8f1d-4c3b-9a7e-2d4f6b8c0e1a");
    let ps = sample::products(300, 5);
    let accs = sample::accounts(1, 5);
    let (account, contacts) = accs[0].clone();
    let mut rng = Rng::new(9);

    // A 200-line quote built one line per commit (as the app does).
    let mut q = onsite_core::quote::Quote::new(
        new_id(),
        account.id.clone(),
        None,
        "rep-1".into(),
        onsite_core::money::Currency::EUR,
        DisplayLocale::De,
        today(),
    );
    let qid = DocId::quote(&q.id);
    let mut doc = crdt::genesis(&qid, actor.clone()).unwrap();
    for p in ps.iter().filter(|p| p.active).take(200) {
        q.lines.push(onsite_core::quote::QuoteLine {
            sku: p.sku.clone(),
            name: p.name.clone(),
            unit: p.unit.clone(),
            category: p.category.clone(),
            qty: Decimal::new(1 + rng.below(100) as i64, 0),
            unit_price: p.list_price.amount,
            discount_pct: Decimal::ZERO,
            tax_rate_pct: Decimal::new(19, 0),
            c_part: p.c_part,
            position: Default::default(),
            chosen: false,
        });
        q.revision_hash = q.compute_hash();
        crdt::write(&mut doc, &Record::Quote(Box::new(q.clone()))).unwrap();
        doc.commit();
    }
    measure("quote, 200 lines", &qid, doc.save());

    // An account with 50 contacts, one commit per contact.
    let aid = DocId::account(&account.id);
    let mut doc = crdt::genesis(&aid, actor.clone()).unwrap();
    let mut record = crdt::AccountRecord { account: account.clone(), contacts: Vec::new(), deleted: false };
    for i in 0..50 {
        let mut c = contacts[i % contacts.len()].clone();
        c.id = new_id();
        c.last_name = format!("{} {i}", c.last_name);
        c.role = BuyingRole::User;
        record.contacts.push(c);
        crdt::write(&mut doc, &Record::Account(Box::new(record.clone()))).unwrap();
        doc.commit();
    }
    measure("account, 50 contacts", &aid, doc.save());

    // A busy month: 300 activities for one account.
    let mid = DocId::activities(&account.id, "2026-11");
    let mut doc = crdt::genesis(&mid, actor).unwrap();
    let mut month =
        crdt::ActivitiesRecord { account_id: account.id.clone(), period: "2026-11".into(), activities: Vec::new() };
    for _ in 0..300 {
        let day = rng.below(7) as i64;
        month.activities.push(activity(&mut rng, &account.id, "rep-1", day));
        crdt::write(&mut doc, &Record::Activities(month.clone())).unwrap();
        doc.commit();
    }
    measure("activities, 300 in one month", &mid, doc.save());
}

fn measure(name: &str, id: &DocId, bytes: Vec<u8>) {
    let doc = crdt::load(&bytes).unwrap();
    let changes = automerge::AutoCommit::load(&bytes).unwrap().get_changes(&[]).len();
    let (load, _, _) = common::time(50, || {
        std::hint::black_box(crdt::load(&bytes).unwrap());
    });
    let (read, _, _) = common::time(50, || {
        std::hint::black_box(crdt::read(&doc, id).unwrap());
    });
    let record = crdt::read(&doc, id).unwrap().unwrap();
    let (edit, _, _) = common::time(50, || {
        let mut d = crdt::load(&bytes).unwrap();
        let mut r = record.clone();
        match &mut r {
            Record::Quote(q) => q.lines[100].qty += Decimal::ONE,
            Record::Account(a) => a.contacts[25].phone = Some("+49 89 4242".into()),
            Record::Person(p) => p.contact.phone = Some("+49 89 4242".into()),
            Record::Activities(m) => m.activities[150].notes.push('!'),
            Record::Order(_) | Record::Discount(_) | Record::Attachment(_) => {}
        }
        crdt::write(&mut d, &r).unwrap();
        d.commit();
        std::hint::black_box(d.save());
    });
    println!(
        "| {name} | {changes} | {} | {} | {} | {} |",
        kb(bytes.len() as u64),
        common::ms(load),
        common::ms(read),
        common::ms(edit)
    );
}

fn reps_week() {
    println!("\n## A rep's week offline\n");
    let dir = tempfile::tempdir().unwrap();
    let (hub, accounts) = hub_with(dir.path(), 2_000, 40);
    let rep = Store::open(dir.path().join("rep.sqlite"), StoreOptions::default()).unwrap();
    let other = Store::open(dir.path().join("other.sqlite"), StoreOptions::default()).unwrap();
    let scope = |s: &Store| DeviceScope {
        device_id: s.device_id().unwrap(),
        person: if std::ptr::eq(s, &rep) { "rep-1".into() } else { "rep-2".into() },
        accounts: Some(accounts.iter().cloned().collect()),
        include_costs: true,
        role: onsite_core::sync::DeviceRole::Rep,
    };
    sync_in_process(&rep, &hub, &scope(&rep), 20).unwrap();
    sync_in_process(&other, &hub, &scope(&other), 20).unwrap();
    let before = heads(&rep);
    let skus = active_skus(&rep, 400);
    let mut rng = Rng::new(21);

    // Monday to Friday on the rep's tablet.
    for i in 0..50 {
        let account = &accounts[i % accounts.len()];
        let q = rep.create_quote(account, None, "rep-1", DisplayLocale::De, today() + chrono::Days::new(30)).unwrap();
        for _ in 0..4 {
            let sku = rng.pick(&skus).clone();
            rep.add_quote_line(&q.id, &sku, Decimal::new(1 + rng.below(200) as i64, 0), Decimal::ZERO, today())
                .unwrap();
        }
        if i % 5 != 0 {
            rep.send_quote(&q.id, today()).unwrap();
        }
    }
    for i in 0..200 {
        let account = &accounts[rng.below(accounts.len())];
        rep.log_activity(&activity(&mut rng, account, "rep-1", (i % 5) as i64)).unwrap();
    }
    for (i, account) in accounts.iter().enumerate().take(20) {
        let mut c: Contact = rep.contacts(account).unwrap()[0].clone();
        c.phone = Some(format!("+49 89 {}", 1000 + i));
        rep.save_contact(&c).unwrap();
    }
    // Meanwhile the second device edits some of the same accounts and syncs first.
    for i in 0..10 {
        let account = &accounts[i * 2];
        let mut c: Contact = other.contacts(account).unwrap()[0].clone();
        c.phone = Some(format!("+49 30 {}", 2000 + i));
        other.save_contact(&c).unwrap();
        other.log_activity(&activity(&mut rng, account, "rep-2", (i % 5) as i64)).unwrap();
    }
    sync_in_process(&other, &hub, &scope(&other), 20).unwrap();

    let started = Instant::now();
    let report = sync_in_process(&rep, &hub, &scope(&rep), 20).unwrap();
    let took = started.elapsed();
    let (raw, whole, changed_docs) = changed_since(&rep, &before);
    let wire = report.bytes_up + report.bytes_down;
    println!("| measure | value |");
    println!("|---|---|");
    println!("| documents changed (either side) | {changed_docs} |");
    println!("| round trips until quiescent (goal ≤ 3) | {} |", report.round_trips);
    println!("| bytes up / down | {} / {} |", kb(report.bytes_up), kb(report.bytes_down));
    println!("| bytes on the wire | {} |", kb(wire));
    println!("| raw Automerge change bytes of the week (both sides) | {} |", kb(raw));
    println!("| wire / raw changes (goal ≤ 2×) | {:.2}× |", wire as f64 / raw as f64);
    println!(
        "| baseline: every changed document shipped whole (save()) | {} ({:.2}× of raw) |",
        kb(whole),
        whole as f64 / raw as f64
    );
    println!("| sync time, in process | {} |", common::ms(took));
    // A second sync right after has nothing to do.
    let again = sync_in_process(&rep, &hub, &scope(&rep), 20).unwrap();
    println!(
        "| a second sync right after: round trips, bytes | {}, {} |",
        again.round_trips,
        kb(again.bytes_up + again.bytes_down)
    );
    assert_eq!(
        rep.conflicts(&format!("account/{}", accounts[0])).unwrap(),
        hub.conflicts(&format!("account/{}", accounts[0])).unwrap()
    );
}

fn first_sync(quick: bool) {
    let (products, accounts_n, quotes) = if quick { (10_000, 100, 400) } else { (100_000, 500, 2_000) };
    println!("\n## First sync of a new device ({products} products, {accounts_n} accounts, {quotes} quotes)\n");
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let (hub, accounts) = hub_with(dir.path(), products, accounts_n);
    let skus = active_skus(&hub, 2_000);
    let mut rng = Rng::new(5);
    for i in 0..quotes {
        let account = &accounts[i % accounts.len()];
        let q = hub.create_quote(account, None, "rep-1", DisplayLocale::De, today() + chrono::Days::new(30)).unwrap();
        for _ in 0..5 {
            let sku = rng.pick(&skus).clone();
            hub.add_quote_line(&q.id, &sku, Decimal::new(1 + rng.below(50) as i64, 0), Decimal::ZERO, today()).unwrap();
        }
    }
    for a in &accounts {
        for d in 0..10 {
            hub.log_activity(&activity(&mut rng, a, "rep-1", d % 5)).unwrap();
        }
    }
    let build = t.elapsed();
    let docs = hub.documents().unwrap();
    let whole: u64 = docs.iter().map(|d| d.bytes).sum();
    let catalog = serde_json::to_vec(&hub.catalog_changes_since(0).unwrap()).unwrap().len() as u64;

    let device = Store::open(dir.path().join("new-device.sqlite"), StoreOptions::default()).unwrap();
    let scope = DeviceScope::all(&device.device_id().unwrap());
    let started = Instant::now();
    let report = sync_in_process(&device, &hub, &scope, 200).unwrap();
    let took = started.elapsed();
    assert_eq!(device.product_count().unwrap(), hub.product_count().unwrap());
    assert_eq!(device.documents().unwrap().len(), docs.len());
    println!("| measure | value |");
    println!("|---|---|");
    println!("| hub built in | {:.1} s |", build.as_secs_f64());
    println!("| documents (accounts, activity months, quotes) | {} |", docs.len());
    println!("| sync time, in process, until quiescent | {:.2} s |", took.as_secs_f64());
    println!("| round trips (4 MiB frames, 5,000 products per page) | {} |", report.round_trips);
    println!("| bytes up / down | {} / {} |", kb(report.bytes_up), kb(report.bytes_down));
    println!("| baseline: catalog as JSON + every document's save() | {} + {} |", kb(catalog), kb(whole));

    println!("\n## Opening that device store\n");
    drop(device);
    let path = dir.path().join("new-device.sqlite");
    let account = accounts[accounts.len() / 2].clone();
    let mut open_first = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let s = Store::open(&path, StoreOptions::default()).unwrap();
        let page = s.list_accounts(None, 0, 20).unwrap();
        let quotes = s.quotes_for_account(&account).unwrap();
        std::hint::black_box((page, quotes));
        open_first.push(t.elapsed());
    }
    let (med, p99, _) = common::stats(open_first);
    println!("| measure | median | p99 |");
    println!("|---|---|---|");
    println!(
        "| open store + first page of accounts + one account's quotes (20 runs) | {} | {} |",
        common::ms(med),
        common::ms(p99)
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    largest_documents();
    reps_week();
    first_sync(quick);
}
