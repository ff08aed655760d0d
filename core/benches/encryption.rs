//! Encryption at rest (issue 17): plaintext and encrypted stores side by
//! side in one run, each measure taken alternately on both so that the
//! machine's drift hits both alike.
//!
//! 1. opening a device store and its first query (goal: at most +0.5 ms);
//! 2. search p99 over 100,000 products (goal: at most 1.2× plaintext);
//! 3. importing 100,000 products (goal: at most 1.3×);
//! 4. the first sync of a new device from a hub of 100,000 products and
//!    500 accounts with their contacts, three times each (goal: at most 1.2×).
//!
//! Run: `cargo bench -p onsite-core --bench encryption` (`-- --quick`: 20,000
//! products).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use onsite_core::import::{self, CatalogBatch, Format, ParsedCatalog, Row};
use onsite_core::sample::{self, Rng};
use onsite_core::store::ProductQuery;
use onsite_core::sync::{DeviceScope, sync_in_process};
use onsite_core::{Store, StoreKey, StoreOptions};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Encrypted,
}

const MODES: [Mode; 2] = [Mode::Plain, Mode::Encrypted];

fn options(mode: Mode, key: &StoreKey) -> StoreOptions {
    match mode {
        Mode::Plain => StoreOptions::default(),
        Mode::Encrypted => StoreOptions { key: Some(key.clone()), ..StoreOptions::default() },
    }
}

fn name(mode: Mode) -> &'static str {
    match mode {
        Mode::Plain => "plain",
        Mode::Encrypted => "encrypted",
    }
}

fn rows<T: Clone>(v: &[T]) -> Vec<Row<T>> {
    v.iter().enumerate().map(|(i, item)| Row { line: i as u64 + 2, item: item.clone() }).collect()
}

fn ratio(plain: Duration, enc: Duration) -> String {
    format!("{:.2}×", enc.as_secs_f64() / plain.as_secs_f64().max(1e-9))
}

fn median(v: Vec<Duration>) -> Duration {
    common::stats(v).0
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 20_000 } else { 100_000 };
    let key = StoreKey::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let products = sample::products(n, 17);
    let csv = import::export_csv(&products);
    println!("# Encryption at rest: plaintext and encrypted side by side ({n} products)\n");

    // 3. Import, three times each, alternating.
    let mut import_times = [Vec::new(), Vec::new()];
    for round in 0..3 {
        for (i, mode) in MODES.into_iter().enumerate() {
            let path = dir.path().join(format!("import-{}-{round}.sqlite", name(mode)));
            let store = Store::open(&path, options(mode, &key)).unwrap();
            let t = Instant::now();
            store.import_catalog(import::parse(csv.as_bytes(), Format::Csv), &mut |_| {}).unwrap();
            import_times[i].push(t.elapsed());
            assert_eq!(store.product_count().unwrap(), n as u64);
        }
    }
    // The stores of the last round are the ones searched and opened below.
    let path = |mode: Mode| dir.path().join(format!("import-{}-2.sqlite", name(mode)));

    // 1. Open plus first query, 50 times each, alternating.
    let mut open_times = [Vec::new(), Vec::new()];
    for _ in 0..50 {
        for (i, mode) in MODES.into_iter().enumerate() {
            let t = Instant::now();
            let s = Store::open(path(mode), options(mode, &key)).unwrap();
            let hits = s.search_products(&ProductQuery::new("schraube")).unwrap();
            std::hint::black_box(hits);
            open_times[i].push(t.elapsed());
        }
    }

    // 2. Search: 400 queries of one to three word beginnings, each store
    // warmed once, then the same queries alternating.
    let stores = MODES.map(|m| Store::open(path(m), options(m, &key)).unwrap());
    let mut rng = Rng::new(5);
    let queries: Vec<String> = (0..400)
        .map(|_| {
            let p = rng.pick(&products);
            let words: Vec<&str> = p.name.split_whitespace().collect();
            let take = 1 + rng.below(words.len().min(3));
            words[..take]
                .iter()
                .map(|w| &w[..w.char_indices().nth(4).map_or(w.len(), |(i, _)| i)])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    for s in &stores {
        for q in &queries {
            std::hint::black_box(s.search_products(&ProductQuery::new(q.clone())).unwrap());
        }
    }
    let mut search_times = [Vec::new(), Vec::new()];
    for q in &queries {
        for (i, s) in stores.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(s.search_products(&ProductQuery::new(q.clone())).unwrap());
            search_times[i].push(t.elapsed());
        }
    }
    drop(stores);

    // 4. First sync of a new device, three times each, alternating.
    let accounts = sample::accounts(500, 17);
    let batch = || CatalogBatch {
        products: rows(&products),
        price_lists: rows(&sample::price_lists(&products, &accounts, 17)),
        content: rows(&sample::content(&products)),
        product_costs: rows(&sample::costs(&products, 17)),
        ..Default::default()
    };
    let hub = Store::open(dir.path().join("hub.sqlite"), StoreOptions::default()).unwrap();
    hub.import_catalog(ParsedCatalog { batch: batch(), problems: Vec::new() }, &mut |_| {}).unwrap();
    for (a, c) in &accounts {
        hub.save_account_with_contacts(a, c).unwrap();
    }
    let mut sync_times = [Vec::new(), Vec::new()];
    for round in 0..3 {
        for (i, mode) in MODES.into_iter().enumerate() {
            let device = new_device(dir.path(), mode, round, &key);
            let scope = DeviceScope::all(&device.device_id().unwrap());
            let t = Instant::now();
            sync_in_process(&device, &hub, &scope, 400).unwrap();
            sync_times[i].push(t.elapsed());
            assert_eq!(device.product_count().unwrap(), n as u64);
        }
    }

    let [op, oe] = open_times.map(common::stats);
    let [sp, se] = search_times.map(common::stats);
    let [ip, ie] = import_times.map(median);
    let [yp, ye] = sync_times.map(median);
    println!("| measure | plaintext | encrypted | encrypted vs plaintext | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| open + first search, median (50 runs) | {} | {} | +{:.2} ms | ≤ +0.5 ms |",
        common::ms(op.0),
        common::ms(oe.0),
        (oe.0.as_secs_f64() - op.0.as_secs_f64()) * 1e3
    );
    println!("| open + first search, p99 | {} | {} | {} | |", common::ms(op.1), common::ms(oe.1), ratio(op.1, oe.1));
    println!(
        "| search, median (400 queries) | {} | {} | {} | |",
        common::ms(sp.0),
        common::ms(se.0),
        ratio(sp.0, se.0)
    );
    println!("| search, p99 | {} | {} | {} | ≤ 1.2× |", common::ms(sp.1), common::ms(se.1), ratio(sp.1, se.1));
    println!(
        "| import {n} products, median of 3 | {:.2} s | {:.2} s | {} | ≤ 1.3× |",
        ip.as_secs_f64(),
        ie.as_secs_f64(),
        ratio(ip, ie)
    );
    println!(
        "| first sync of a new device, median of 3 | {:.2} s | {:.2} s | {} | ≤ 1.2× |",
        yp.as_secs_f64(),
        ye.as_secs_f64(),
        ratio(yp, ye)
    );
}

fn new_device(dir: &Path, mode: Mode, round: usize, key: &StoreKey) -> Store {
    Store::open(dir.join(format!("device-{}-{round}.sqlite", name(mode))), options(mode, key)).unwrap()
}
