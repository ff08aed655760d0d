//! Catalog benchmarks: search latency over 100,000 products against a
//! `LIKE '%term%'` baseline, import of 100,000 products, and a cold process
//! opening the store and answering its first query.
//!
//! Run: `cargo bench -p onsite-core --bench catalog` (release settings, the
//! profile that ships to phones). Prints Markdown tables for BENCHMARKS.md.
//! `ONSITE_BENCH_PRODUCTS` changes the catalog size (default 100000).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use onsite_core::import::{self, Format};
use onsite_core::sample::{self, Rng};
use onsite_core::store::{ProductQuery, Store, StoreOptions};

const CHILD_ENV: &str = "ONSITE_BENCH_CHILD";

/// Queries of `words` words made like a rep types them: word beginnings
/// (3 to 6 letters, or the whole word if shorter) of a random product's name.
fn queries(products: &[onsite_core::catalog::Product], words: usize, n: usize, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        let p = rng.pick(products);
        let toks: Vec<String> = onsite_core::text::tokens(&p.name).into_iter().filter(|t| t.len() >= 2).collect();
        if toks.len() < words {
            continue;
        }
        let start = rng.below(toks.len() - words + 1);
        let q: Vec<String> = toks[start..start + words]
            .iter()
            .map(|t| {
                let keep = (3 + rng.below(4)).min(t.chars().count());
                t.chars().take(keep).collect()
            })
            .collect();
        out.push(q.join(" "));
    }
    out
}

fn child(spec: &str) {
    // Cold process: open the store and answer one query; print microseconds.
    let (db, q) = spec.split_once('\u{1f}').unwrap_or((spec, "schraube"));
    let t = Instant::now();
    let store = Store::open(db, StoreOptions::default()).unwrap_or_else(|e| {
        eprintln!("open: {e}");
        std::process::exit(1)
    });
    let hits = store.search_products(&ProductQuery::new(q)).map(|p| p.items.len()).unwrap_or(0);
    println!("{} {hits}", t.elapsed().as_micros());
}

fn import_once(dir: &Path, csv: &[u8], run: usize) -> (Duration, Duration) {
    let path = dir.join(format!("import-{run}.sqlite"));
    let store = Store::open(&path, StoreOptions::default()).unwrap_or_else(|e| panic!("open: {e}"));
    let t = Instant::now();
    let parsed = import::parse(csv, Format::Csv);
    let parse = t.elapsed();
    assert!(parsed.problems.is_empty());
    store.import_catalog(parsed, &mut |_| {}).unwrap_or_else(|e| panic!("import: {e}"));
    (parse, t.elapsed())
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` asks benches to list themselves
    }
    let n: usize = std::env::var("ONSITE_BENCH_PRODUCTS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let products = sample::products(n, 2026);
    let csv = import::export_csv(&products);
    println!("{}; SQLite {}\n", common::machine(), rusqlite::version());
    println!("## Catalog of {n} products ({:.1} MB CSV)\n", csv.len() as f64 / 1e6);

    // Import: three runs into fresh databases.
    let mut runs = Vec::new();
    for run in 0..3 {
        runs.push(import_once(dir.path(), csv.as_bytes(), run));
    }
    runs.sort_by_key(|r| r.1);
    let (parse, total) = runs[1];
    println!("| import (parse + validate + write + index, one transaction) | median of 3 |");
    println!("|---|---|");
    println!("| parse and validate CSV | {} ms |", parse.as_millis());
    println!("| total, {n} products | {} ms (goal ≤ 3000 ms) |\n", total.as_millis());

    if std::env::var("ONSITE_BENCH_IMPORT_ONLY").is_ok() {
        return;
    }
    let db = dir.path().join("import-0.sqlite");
    let store = Store::open(&db, StoreOptions::default()).unwrap_or_else(|e| panic!("open: {e}"));
    let mut rng = Rng::new(7);
    println!("| query | queries × runs | FTS5 median | FTS5 p99 | FTS5 max | LIKE median | LIKE p99 | median ratio |");
    println!("|---|---|---|---|---|---|---|---|");
    for words in 1..=4 {
        let qs = queries(&products, words, 200, &mut rng);
        // warm-up
        for q in &qs {
            let _ = store.search_products(&ProductQuery::new(q.as_str()));
        }
        let mut fts = Vec::new();
        let mut hits = 0usize;
        let mut slow: Vec<(Duration, &str)> = Vec::new();
        for _ in 0..5 {
            for q in &qs {
                let t = Instant::now();
                let page = store.search_products(&ProductQuery::new(q.as_str())).unwrap_or_else(|e| panic!("{e}"));
                fts.push(t.elapsed());
                slow.push((t.elapsed(), q));
                hits += usize::from(!page.items.is_empty());
            }
        }
        if std::env::var("ONSITE_BENCH_SLOW").is_ok() {
            slow.sort();
            eprintln!("slowest {words}-word queries: {:?}", &slow[slow.len().saturating_sub(6)..]);
        }
        let mut like = Vec::new();
        for q in qs.iter().take(40) {
            let t = Instant::now();
            let _ = store.search_products_like(&ProductQuery::new(q.as_str())).unwrap_or_else(|e| panic!("{e}"));
            like.push(t.elapsed());
        }
        let (fm, fp, fx) = common::stats(fts);
        let (lm, lp, _) = common::stats(like);
        println!(
            "| {words} word{} (e.g. \"{}\"), {}% with hits | 200 × 5 | {} | {} | {} | {} | {} | {:.0}× |",
            if words == 1 { "" } else { "s" },
            qs[0],
            hits * 100 / 1000,
            common::us(fm),
            common::us(fp),
            common::us(fx),
            common::us(lm),
            common::us(lp),
            lm.as_secs_f64() / fm.as_secs_f64().max(1e-9)
        );
    }
    drop(store);

    // Cold process: a new process opens the store and runs its first query.
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut inner = Vec::new();
    let mut outer = Vec::new();
    for i in 0..20 {
        let q = ["schraube m8", "handschuhe", "mull", "edelstahl a4 m12"][i % 4];
        let t = Instant::now();
        let out = Command::new(&exe)
            .env(CHILD_ENV, format!("{}\u{1f}{q}", db.display()))
            .output()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        outer.push(t.elapsed());
        let text = String::from_utf8_lossy(&out.stdout);
        let micros: u64 = text.split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or(0);
        inner.push(Duration::from_micros(micros));
    }
    let (im, ip, _) = common::stats(inner);
    let (om, op, _) = common::stats(outer);
    println!("\n| cold process, 20 runs (OS page cache warm) | median | p99 |");
    println!("|---|---|---|");
    println!("| open store + first query, inside the process | {} | {} |", common::us(im), common::us(ip));
    println!("| whole process (spawn, open, query, exit) | {} | {} |", common::us(om), common::us(op));
}
