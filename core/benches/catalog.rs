//! Catalog benchmarks: search latency over 100,000 products, today's search
//! side by side with the prefix search before issue 24 (on an index written
//! the old way) and a `LIKE '%term%'` baseline; the index size before and
//! after; the search vocabulary; import of 100,000 products; and a cold
//! process opening the store and answering its first query.
//!
//! Run: `cargo bench -p onsite-core --bench catalog` (release settings, the
//! profile that ships to phones). Prints Markdown tables for BENCHMARKS.md.
//! `ONSITE_BENCH_PRODUCTS` changes the catalog size (default 100000),
//! `ONSITE_BENCH_IMPORT_ONLY` stops after the import, `ONSITE_BENCH_SLOW`
//! prints the slowest queries of each class.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use onsite_core::catalog::Product;
use onsite_core::import::{self, Format};
use onsite_core::lexicon::{Lexicon, TermCount};
use onsite_core::sample::{self, Rng};
use onsite_core::store::{ProductQuery, Store, StoreOptions};
use onsite_core::text::{self, fold};

const CHILD_ENV: &str = "ONSITE_BENCH_CHILD";
const QUERIES: usize = 200;
const RUNS: usize = 5;

fn name_words(p: &Product) -> Vec<String> {
    text::tokens(&p.name).into_iter().filter(|t| t.len() >= 2).collect()
}

/// Queries of `words` words made like a rep types them: word beginnings
/// (3 to 6 letters, or the whole word if shorter) of a random product's name.
fn prefix_queries(products: &[Product], words: usize, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < QUERIES {
        let p = rng.pick(products);
        let toks = name_words(p);
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

/// Another word of the same name (a beginning of 2 to 6 letters), for
/// two-word queries.
fn other_word(p: &Product, not: &str, rng: &mut Rng) -> Option<String> {
    let toks: Vec<String> = name_words(p).into_iter().filter(|t| t != not).collect();
    (!toks.is_empty()).then(|| {
        let t = rng.pick(&toks);
        t.chars().take((2 + rng.below(5)).min(t.chars().count())).collect()
    })
}

/// Compound parts: the part of a name's compound word after a boundary the
/// vocabulary knows (`mutter` of `Sechskantmutter`), whole or its first
/// four letters or more; half of them with a second word of the name.
fn part_queries(products: &[Product], lex: &Lexicon, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < QUERIES {
        let p = rng.pick(products);
        let parts: Vec<(String, String)> = name_words(p)
            .into_iter()
            .flat_map(|w| {
                lex.part_offsets(&w).iter().map(|&o| (w.clone(), w[usize::from(o)..].to_string())).collect::<Vec<_>>()
            })
            .collect();
        if parts.is_empty() {
            continue;
        }
        let (word, part) = rng.pick(&parts).clone();
        let n = part.chars().count();
        let q: String = part.chars().take(n.min(4 + rng.below(n.max(4) - 3))).collect();
        match other_word(p, &word, rng).filter(|_| rng.chance(50)) {
            Some(o) => out.push(format!("{q} {o}")),
            None => out.push(q),
        }
    }
    out
}

/// One random edit (insertion, deletion, substitution, transposition) of a
/// name word of at least five letters; half with a second word.
fn typo_queries(products: &[Product], rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < QUERIES {
        let p = rng.pick(products);
        let long: Vec<String> =
            name_words(p).into_iter().filter(|w| text::is_letters(w) && w.chars().count() >= 5).collect();
        if long.is_empty() {
            continue;
        }
        let w = rng.pick(&long).clone();
        let mut c: Vec<char> = w.chars().collect();
        let at = 1 + rng.below(c.len() - 2);
        let letter = (b'a' + rng.below(26) as u8) as char;
        match rng.below(4) {
            0 => c.insert(at, letter),
            1 => {
                c.remove(at);
            }
            2 => c[at] = letter,
            _ => c.swap(at, at + 1),
        }
        let typo: String = c.into_iter().collect();
        if typo == w {
            continue;
        }
        match other_word(p, &w, rng).filter(|_| rng.chance(50)) {
            Some(o) => out.push(format!("{typo} {o}")),
            None => out.push(typo),
        }
    }
    out
}

/// Plurals: a name word of four letters or more with a German or English
/// plural ending; half with a second word.
fn plural_queries(products: &[Product], rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < QUERIES {
        let p = rng.pick(products);
        let ws: Vec<String> =
            name_words(p).into_iter().filter(|w| text::is_letters(w) && w.chars().count() >= 4).collect();
        if ws.is_empty() {
            continue;
        }
        let w = rng.pick(&ws).clone();
        let english = ["Fasteners/", "Safety/", "Tools/", "Cleaning/"].iter().any(|c| p.category.starts_with(c));
        let plural = if english {
            if w.ends_with(['s', 'x']) { format!("{w}es") } else { format!("{w}s") }
        } else if w.ends_with('e') || w.ends_with("er") || w.ends_with("el") {
            format!("{w}n")
        } else {
            format!("{w}en")
        };
        match other_word(p, &w, rng).filter(|_| rng.chance(50)) {
            Some(o) => out.push(format!("{plural} {o}")),
            None => out.push(plural),
        }
    }
    out
}

/// Spellings: sizes with `x`, `X` or `*` (`m10x12`), codes glued
/// (`din933`), umlauts as `ae`/`oe`/`ue` (`duebel`), codes spaced (`m 10`).
fn spelling_queries(products: &[Product], rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < QUERIES {
        let p = rng.pick(products);
        let ws = text::words(&p.name);
        let q = match rng.below(4) {
            0 => ws.windows(2).find(|w| w[1].after_times).map(|w| {
                let sep = *rng.pick(&["x", "X", "*", " x "]);
                format!("{}{sep}{}", w[0].text, w[1].text)
            }),
            1 => ws.windows(2).find_map(|w| text::glued(&w[0], &w[1]).filter(|_| w[1].after_space)),
            2 => ws.iter().find_map(|w| w.variant.clone()),
            _ => ws
                .iter()
                .find(|w| {
                    w.text.len() >= 2 && w.text.starts_with('m') && w.text[1..].bytes().all(|b| b.is_ascii_digit())
                })
                .map(|w| format!("m {}", &w.text[1..])),
        };
        if let Some(q) = q {
            out.push(q);
        }
    }
    out
}

fn sku_queries(products: &[Product], rng: &mut Rng) -> Vec<String> {
    (0..QUERIES).map(|_| rng.pick(products).sku.to_lowercase()).collect()
}

type Search<'a> = &'a dyn Fn(&str) -> usize;

/// Times every query `RUNS` times through both searches after a warm-up,
/// the two interleaved query by query (which goes first alternates), so
/// that the machine's noise falls on both alike; per search the times and
/// the % of runs with hits.
fn time_pair(qs: &[String], before: Search<'_>, now: Search<'_>, label: &str) -> [(Vec<Duration>, usize); 2] {
    for q in qs {
        before(q);
        now(q);
    }
    let searches = [before, now];
    let mut out: [(Vec<Duration>, usize); 2] = [(Vec::new(), 0), (Vec::new(), 0)];
    let mut slow: [Vec<(Duration, &str)>; 2] = [Vec::new(), Vec::new()];
    for run in 0..RUNS {
        for (i, q) in qs.iter().enumerate() {
            for k in [(run + i) % 2, (run + i + 1) % 2] {
                let t = Instant::now();
                let n = searches[k](q);
                let d = t.elapsed();
                out[k].0.push(d);
                out[k].1 += usize::from(n > 0);
                slow[k].push((d, q));
            }
        }
    }
    if std::env::var("ONSITE_BENCH_SLOW").is_ok() {
        for (k, name) in [(0, "before"), (1, "now")] {
            slow[k].sort();
            eprintln!("slowest {name} {label}: {:?}", &slow[k][slow[k].len().saturating_sub(5)..]);
        }
    }
    for o in &mut out {
        o.1 = o.1 * 100 / (qs.len() * RUNS);
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

/// Imports the catalog into a fresh database; with `before`, into one
/// whose index is the one before issue 24 (`Store::write_prefix_baseline_index`
/// on the empty store: the import then indexes as it did, without a
/// vocabulary). Returns the parse time and the total.
fn import_once(path: &Path, csv: &[u8], before: bool) -> (Duration, Duration) {
    let store = Store::open(path, StoreOptions::default()).unwrap_or_else(|e| panic!("open: {e}"));
    if before {
        store.write_prefix_baseline_index().unwrap();
    }
    let t = Instant::now();
    let parsed = import::parse(csv, Format::Csv);
    let parse = t.elapsed();
    assert!(parsed.problems.is_empty());
    store.import_catalog(parsed, &mut |_| {}).unwrap_or_else(|e| panic!("import: {e}"));
    (parse, t.elapsed())
}

/// Bytes of the search index's tables (FTS5 shadow tables and the
/// vocabulary) of the database at `path`.
fn index_bytes(path: &Path) -> (u64, u64) {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let size = |like: &str| -> u64 {
        c.query_row("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?1", [like], |r| r.get::<_, i64>(0))
            .unwrap() as u64
    };
    (size("product_search%") + size("product_details%"), size("search_terms%"))
}

fn vocabulary(path: &Path) -> Vec<TermCount> {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = c.prepare("SELECT term, docs, sku_docs, desc_docs, category_docs FROM search_terms").unwrap();
    stmt.query_map([], |r| {
        Ok(TermCount {
            term: r.get(0)?,
            docs: r.get(1)?,
            sku_docs: r.get(2)?,
            desc_docs: r.get(3)?,
            category_docs: r.get(4)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// A larger vocabulary like a real catalog's: `n` German-looking compounds
/// of 2–3 parts from 600 syllable pairs, for timing what grows with it.
fn synthetic_vocabulary(n: usize, rng: &mut Rng) -> Vec<TermCount> {
    const ON: &[&str] = &["sch", "st", "kr", "br", "pf", "h", "m", "l", "w", "r", "d", "g", "fl", "tr", "z"];
    const NUC: &[&str] = &["a", "e", "i", "o", "u", "au", "ei", "ie", "eu", "ä", "ü"];
    const CODA: &[&str] = &["n", "r", "l", "ck", "ng", "st", "bel", "ter", "ber", "tz", "nd", "lle"];
    let parts: Vec<String> = (0..600)
        .map(|_| format!("{}{}{}{}{}", rng.pick(ON), rng.pick(NUC), rng.pick(CODA), rng.pick(NUC), rng.pick(CODA)))
        .collect();
    let mut out: Vec<TermCount> = parts
        .iter()
        .map(|p| TermCount { term: fold(p), docs: 3, sku_docs: 0, desc_docs: 0, category_docs: 0 })
        .collect();
    while out.len() < n {
        let k = 2 + rng.below(2);
        let w: String = (0..k).map(|_| rng.pick(&parts).as_str()).collect();
        out.push(TermCount {
            term: fold(&w),
            docs: 1 + rng.below(50) as u32,
            sku_docs: 0,
            desc_docs: 0,
            category_docs: 0,
        });
    }
    out
}

fn row(label: &str, qs: &[String], hits: (usize, usize), new: &[Duration], old: &[Duration], old_same_words: Duration) {
    let (nm, np, nx) = common::stats(new.to_vec());
    let (om, op, _) = common::stats(old.to_vec());
    println!(
        "| {label} (e.g. \"{}\") | {}% / {}% | {} | {} | {} | {} | {} | {:.2}× | {:.2}× |",
        qs[0],
        hits.0,
        hits.1,
        common::us(om),
        common::us(op),
        common::us(nm),
        common::us(np),
        common::us(nx),
        np.as_secs_f64() / op.as_secs_f64().max(1e-9),
        np.as_secs_f64() / old_same_words.as_secs_f64().max(1e-9),
    );
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

    // Import: three runs each into fresh databases, today's and the one
    // before issue 24 alternating, so the machine's noise falls on both.
    let (mut runs, mut runs_before) = (Vec::new(), Vec::new());
    for run in 0..3 {
        runs_before.push(import_once(&dir.path().join(format!("import-before-{run}.sqlite")), csv.as_bytes(), true));
        runs.push(import_once(&dir.path().join(format!("import-{run}.sqlite")), csv.as_bytes(), false));
    }
    runs.sort_by_key(|r| r.1);
    runs_before.sort_by_key(|r| r.1);
    let ((parse, total), (parse_before, total_before)) = (runs[1], runs_before[1]);
    println!(
        "| import (parse + validate + write + index, one transaction), median of 3 | before issue 24 | now | ratio |"
    );
    println!("|---|---|---|---|");
    println!(
        "| parse and validate CSV | {} ms | {} ms | {:.2}× |",
        parse_before.as_millis(),
        parse.as_millis(),
        parse.as_secs_f64() / parse_before.as_secs_f64()
    );
    println!(
        "| total, {n} products (now also the vocabulary) | {} ms | {} ms (goal ≤ 3000 ms) | {:.2}× (goal ≤ 1.3×) |\n",
        total_before.as_millis(),
        total.as_millis(),
        total.as_secs_f64() / total_before.as_secs_f64()
    );

    if std::env::var("ONSITE_BENCH_IMPORT_ONLY").is_ok() {
        return;
    }
    let db = dir.path().join("import-0.sqlite");
    let before_db = dir.path().join("before.sqlite");
    std::fs::copy(&db, &before_db).unwrap();
    let store = Store::open(&db, StoreOptions::default()).unwrap_or_else(|e| panic!("open: {e}"));
    let before = Store::open(&before_db, StoreOptions::default()).unwrap_or_else(|e| panic!("open: {e}"));
    before.write_prefix_baseline_index().unwrap();

    // Index size: today's import against the import before issue 24.
    let (fts_now, terms_now) = index_bytes(&db);
    let (fts_before, _) = index_bytes(&dir.path().join("import-before-0.sqlite"));
    let file = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let (file_now, file_before) = (file(&db), file(&dir.path().join("import-before-0.sqlite")));
    let vocab = vocabulary(&db);
    let t = Instant::now();
    let lex = Lexicon::new(1, vocab.clone());
    let build = t.elapsed();
    let compounds = vocab.iter().filter(|t| !lex.part_offsets(&t.term).is_empty()).count();
    println!("| search index | before issue 24 | now | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| FTS5 tables (`product_search*`, `product_details*`) | {:.1} MB | {:.1} MB | {:.2}× |",
        fts_before as f64 / 1e6,
        fts_now as f64 / 1e6,
        fts_now as f64 / fts_before as f64
    );
    println!(
        "| with the vocabulary (`search_terms`, {} words, {compounds} split as compounds) | {:.1} MB | {:.1} MB | {:.2}× (goal ≤ 2×) |",
        vocab.len(),
        fts_before as f64 / 1e6,
        (fts_now + terms_now) as f64 / 1e6,
        (fts_now + terms_now) as f64 / fts_before as f64
    );
    println!(
        "| whole database file (products, index, vocabulary) | {:.1} MB | {:.1} MB | {:.2}× |\n",
        file_before as f64 / 1e6,
        file_now as f64 / 1e6,
        file_now as f64 / file_before as f64
    );

    // The vocabulary in memory: built on the first query after a catalog
    // change; this catalog's, and a synthetic one as large as a real
    // catalog's, with the typo scan that grows with it.
    let mut rng = Rng::new(11);
    let big = synthetic_vocabulary(50_000, &mut rng);
    let t = Instant::now();
    let big_lex = Lexicon::new(1, big.clone());
    let big_build = t.elapsed();
    let probes: Vec<String> = (0..200)
        .map(|_| {
            let w = &rng.pick(&big).term;
            let mut c: Vec<char> = w.chars().collect();
            c.swap(1, 2);
            c.into_iter().collect()
        })
        .collect();
    let (scan_m, scan_p, _) = common::time(200, || {
        for p in probes.iter().take(10) {
            std::hint::black_box(big_lex.corrections(p));
        }
    });
    println!(
        "| search vocabulary in memory | words | build (first query after a change) | typo scan per word: median / p99 |"
    );
    println!("|---|---|---|---|");
    let (small_m, small_p, _) = common::time(200, || {
        for p in ["sechskantschruabe", "unterlegscheieb", "edelsthal", "washre"] {
            std::hint::black_box(lex.corrections(p));
        }
    });
    println!(
        "| this catalog | {} | {} | {} / {} |",
        vocab.len(),
        common::ms(build),
        common::us(small_m / 4),
        common::us(small_p / 4)
    );
    println!(
        "| synthetic, as large as a real catalog's | {} | {} | {} / {} |\n",
        big_lex.len(),
        common::ms(big_build),
        common::us(scan_m / 10),
        common::us(scan_p / 10)
    );

    // Latency: the same queries through the search before issue 24 (on its
    // own index) and today's, in one run.
    let mut rng = Rng::new(7);
    let new_search =
        |q: &str| store.search_products(&ProductQuery::new(q)).unwrap_or_else(|e| panic!("{e}")).items.len();
    let old_search =
        |q: &str| before.search_products_prefix(&ProductQuery::new(q)).unwrap_or_else(|e| panic!("{e}")).items.len();
    println!(
        "| query class | % with hits before / now | before: median | before: p99 | now: median | now: p99 | now: max | p99 now / before | p99 now / before's p99 at this many words |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut old_p99_by_words = vec![Duration::ZERO];
    let mut like_rows = Vec::new();
    for words in 1..=4 {
        let qs = prefix_queries(&products, words, &mut rng);
        let [(old, oh), (new, nh)] = time_pair(&qs, &old_search, &new_search, &format!("{words} words"));
        old_p99_by_words.push(common::stats(old.clone()).1);
        let label = format!("{words} word{} (word beginnings)", if words == 1 { "" } else { "s" });
        row(&label, &qs, (oh, nh), &new, &old, old_p99_by_words[words]);
        let mut like = Vec::new();
        for q in qs.iter().take(40) {
            let t = Instant::now();
            let _ = store.search_products_like(&ProductQuery::new(q.as_str())).unwrap_or_else(|e| panic!("{e}"));
            like.push(t.elapsed());
        }
        like_rows.push((words, common::stats(like), common::stats(new).0));
        let _ = old;
    }
    let classes: Vec<(&str, Vec<String>)> = vec![
        ("compound part, 1–2 words", part_queries(&products, &lex, &mut rng)),
        ("typo, 1–2 words", typo_queries(&products, &mut rng)),
        ("plural, 1–2 words", plural_queries(&products, &mut rng)),
        ("spelling: size, code, umlaut", spelling_queries(&products, &mut rng)),
        ("exact SKU", sku_queries(&products, &mut rng)),
    ];
    for (label, qs) in &classes {
        let [(old, oh), (new, nh)] = time_pair(qs, &old_search, &new_search, label);
        let most_words = qs.iter().map(|q| q.split_whitespace().count()).max().unwrap_or(1).clamp(1, 4);
        row(label, qs, (oh, nh), &new, &old, old_p99_by_words[most_words]);
    }
    println!("\n| `LIKE '%word%'` baseline, 40 of the queries | median | p99 | today's median / LIKE median |");
    println!("|---|---|---|---|");
    for (words, (lm, lp, _), nm) in like_rows {
        println!(
            "| {words} word{} | {} | {} | {:.0}× faster |",
            if words == 1 { "" } else { "s" },
            common::us(lm),
            common::us(lp),
            lm.as_secs_f64() / nm.as_secs_f64().max(1e-9)
        );
    }
    drop(store);
    drop(before);

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
    println!(
        "| open store + first query (builds the vocabulary), inside the process | {} | {} |",
        common::us(im),
        common::us(ip)
    );
    println!("| whole process (spawn, open, query, exit) | {} | {} |", common::us(om), common::us(op));
}
