//! Pricing benchmarks: the totals of a 200-line quote (goal ≤ 1 ms), its
//! revision hash, and resolving 200 lines from the store, with a naive
//! floating-point total of the same lines as the baseline in the same run.
//!
//! Run: `cargo bench -p onsite-core --bench pricing`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::hint::black_box;

use chrono::NaiveDate;
use onsite_core::import::{self, Format};
use onsite_core::money::{Currency, DisplayLocale};
use onsite_core::pricing::{self, PricingLine};
use onsite_core::quote::{Quote, QuoteLine};
use onsite_core::sample::{self, Rng};
use onsite_core::{Store, StoreOptions};
use rust_decimal::Decimal;

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let mut rng = Rng::new(4);
    let lines: Vec<PricingLine> = (0..200)
        .map(|_| PricingLine {
            qty: Decimal::new(1 + rng.below(2000) as i64, 0),
            unit: "pc".into(),
            unit_price: Decimal::new(1 + rng.below(5_000_000) as i64, 4),
            discount_pct: Decimal::new(rng.below(1500) as i64, 2),
            tax_rate_pct: Decimal::new(if rng.chance(20) { 7 } else { 19 }, 0),
        })
        .collect();
    let header = Decimal::new(3, 0);
    let floats: Vec<(f64, f64, f64, f64)> = lines
        .iter()
        .map(|l| {
            (
                l.qty.try_into().unwrap(),
                l.unit_price.try_into().unwrap(),
                l.discount_pct.try_into().unwrap(),
                l.tax_rate_pct.try_into().unwrap(),
            )
        })
        .collect();

    let exact = common::time(5000, || {
        black_box(pricing::totals(black_box(&lines), header, Currency::EUR).unwrap());
    });
    let naive = common::time(5000, || {
        let (mut net, mut tax) = (0.0f64, 0.0f64);
        for &(q, p, d, r) in black_box(&floats) {
            let n = ((q * p * (1.0 - d / 100.0)) * 100.0).round() / 100.0 * 0.97;
            net += n;
            tax += n * r / 100.0;
        }
        black_box((net, tax));
    });

    let mut quote = Quote::new(
        "bench".into(),
        "acc".into(),
        None,
        "rep".into(),
        Currency::EUR,
        DisplayLocale::De,
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    );
    quote.lines = lines
        .iter()
        .enumerate()
        .map(|(i, l)| QuoteLine {
            sku: format!("SKU-{i:04}"),
            name: format!("Sechskantschraube DIN 933 M8×{i}, Stahl verzinkt"),
            unit: l.unit.clone(),
            category: "Befestigungstechnik/Schrauben".into(),
            qty: l.qty,
            unit_price: l.unit_price,
            discount_pct: l.discount_pct,
            tax_rate_pct: l.tax_rate_pct,
            c_part: true,
            position: Default::default(),
            chosen: false,
        })
        .collect();
    let hash = common::time(2000, || {
        black_box(quote.compute_hash());
    });

    // Resolving 200 lines from a store with 10,000 products and price lists.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("p.sqlite"), StoreOptions::default()).unwrap();
    let products = sample::products(10_000, 2026);
    let accounts = sample::accounts(50, 2026);
    let lists = sample::price_lists(&products, &accounts, 2026);
    let json = import::export_json(&[], &products, &lists);
    store.import_catalog(import::parse(json.as_bytes(), Format::Json), &mut |_| {}).unwrap();
    let (account, _) = &accounts[0];
    store.save_account(account).unwrap();
    let active: Vec<&str> = products.iter().filter(|p| p.active).map(|p| p.sku.as_str()).take(200).collect();
    let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let resolve = common::time(50, || {
        for sku in &active {
            black_box(store.quote_line(&account.id, sku, Decimal::new(100, 0), day, Currency::EUR).unwrap().0);
        }
    });

    println!("{}\n", common::machine());
    println!("| 200-line quote | runs | median | p99 |");
    println!("|---|---|---|---|");
    println!(
        "| totals, exact decimals (`pricing::totals`; goal ≤ 1 ms) | 5000 | {} | {} |",
        common::us(exact.0),
        common::us(exact.1)
    );
    println!(
        "| baseline: the same sums in f64, no rounding rules | 5000 | {} | {} |",
        common::us(naive.0),
        common::us(naive.1)
    );
    println!(
        "| revision hash (canonical encoding + SHA-256) | 2000 | {} | {} |",
        common::us(hash.0),
        common::us(hash.1)
    );
    println!(
        "| resolve 200 prices from the store (customer, group, tiers) | 50 | {} | {} |",
        common::us(resolve.0),
        common::us(resolve.1)
    );
    println!(
        "\nExact totals cost {:.0}× the f64 baseline; {:.1} % of the 1 ms budget.",
        exact.0.as_secs_f64() / naive.0.as_secs_f64().max(1e-12),
        exact.0.as_secs_f64() * 1e3 / 1.0 * 100.0
    );
}
