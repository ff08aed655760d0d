//! Lead scoring benchmark: scoring and ranking 10,000 accounts with
//! 200,000 activities on the device (goal ≤ 50 ms), in memory and from the
//! store, with a naive ranking by raw activity count in the same run as the
//! baseline.
//!
//! Run: `cargo bench -p onsite-core --bench scoring`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use chrono::Utc;
use onsite_core::activity::Activity;
use onsite_core::leads::{self, Lead, ScoringModel, Touch};
use onsite_core::{Store, StoreOptions, sample};

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let now = Utc::now();
    let model = ScoringModel::sample();
    let accounts = sample::accounts(10_000, 2026);
    let activities = sample::activities(&accounts, 20, 2026, now);
    let mut by_account: HashMap<&str, Vec<Activity>> = HashMap::new();
    for a in &activities {
        by_account.entry(a.account_id.as_str()).or_default().push(a.clone());
    }
    let touches: Vec<Vec<Touch>> = accounts
        .iter()
        .map(|(a, cs)| Touch::of(by_account.get(a.id.as_str()).map_or(&[][..], |v| v.as_slice()), cs))
        .collect();
    let leads: Vec<Lead<'_>> =
        accounts.iter().zip(&touches).map(|((a, cs), t)| Lead { account: a, contacts: cs, touches: t }).collect();

    let scored = common::time(30, || {
        black_box(leads::call_list(black_box(&leads), &model, now, 50));
    });
    let scored_all = common::time(10, || {
        black_box(leads::call_list(black_box(&leads), &model, now, leads.len()));
    });
    let naive = common::time(30, || {
        let mut v: Vec<(&str, usize)> = leads.iter().map(|l| (l.account.id.as_str(), l.touches.len())).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        black_box(v);
    });

    // The same data in a device store: load and score through `Store::call_list`.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite"), StoreOptions::default()).unwrap();
    let t = Instant::now();
    for (a, cs) in &accounts {
        store.save_account_with_contacts(a, cs).unwrap();
    }
    let json = format!("{{\"scoring_model\": {}}}", serde_json::to_string(&model).unwrap());
    store
        .import_catalog(onsite_core::import::parse(json.as_bytes(), onsite_core::import::Format::Json), &mut |_| {})
        .unwrap();
    let mut csv = String::from("email;kind;at\n");
    let email: HashMap<&str, &str> = accounts
        .iter()
        .flat_map(|(_, cs)| cs.iter())
        .filter_map(|c| c.email.as_deref().map(|e| (c.id.as_str(), e)))
        .collect();
    for a in &activities {
        if let Some(e) = a.contact_id.as_deref().and_then(|c| email.get(c)) {
            csv.push_str(&format!("{e};{};{}\n", a.kind.as_str(), a.at.to_rfc3339()));
        }
    }
    let imported = store.import_activities(csv.as_bytes(), "bench").unwrap();
    let setup = t.elapsed();
    let from_store = common::time(10, || {
        black_box(store.call_list(None, now, 50).unwrap());
    });
    let top = store.call_list(None, now, 1).unwrap();

    // A rep's own book of business on the tablet: 500 accounts, 10,000 activities.
    let small_dir = tempfile::tempdir().unwrap();
    let small = Store::open(small_dir.path().join("rep.sqlite"), StoreOptions::default()).unwrap();
    let book = &accounts[..500];
    for (a, cs) in book {
        small.save_account_with_contacts(a, cs).unwrap();
    }
    small
        .import_catalog(onsite_core::import::parse(json.as_bytes(), onsite_core::import::Format::Json), &mut |_| {})
        .unwrap();
    let ids: std::collections::HashSet<&str> = book.iter().map(|(a, _)| a.id.as_str()).collect();
    let mut csv = String::from("email;kind;at\n");
    for a in activities.iter().filter(|a| ids.contains(a.account_id.as_str())) {
        if let Some(e) = a.contact_id.as_deref().and_then(|c| email.get(c)) {
            csv.push_str(&format!("{e};{};{}\n", a.kind.as_str(), a.at.to_rfc3339()));
        }
    }
    small.import_activities(csv.as_bytes(), "bench").unwrap();
    let rep_book = common::time(30, || {
        black_box(small.call_list(None, now, 50).unwrap());
    });

    println!("{}\n", common::machine());
    println!(
        "10,000 accounts, {} contacts, {} activities ({} in the store after the import by e-mail; set-up {:.1} s)\n",
        accounts.iter().map(|(_, c)| c.len()).sum::<usize>(),
        activities.len(),
        imported.imported,
        setup.as_secs_f64()
    );
    println!("| scoring and ranking | runs | median | p99 | vs baseline |");
    println!("|---|---|---|---|---|");
    println!(
        "| fit (2 personas) + decayed interest + rank, top 50 explained, in memory (goal ≤ 50 ms) | 30 | {} | {} | {:.0}x |",
        common::ms(scored.0),
        common::ms(scored.1),
        scored.0.as_secs_f64() / naive.0.as_secs_f64()
    );
    println!(
        "| the same, every one of the 10,000 lines explained | 10 | {} | {} | {:.0}x |",
        common::ms(scored_all.0),
        common::ms(scored_all.1),
        scored_all.0.as_secs_f64() / naive.0.as_secs_f64()
    );
    println!("| baseline: rank by raw activity count | 30 | {} | {} | 1x |", common::ms(naive.0), common::ms(naive.1));
    println!(
        "| `Store::call_list`: load accounts, contacts, activities from SQLite, then score | 10 | {} | {} | {:.0}x |",
        common::ms(from_store.0),
        common::ms(from_store.1),
        from_store.0.as_secs_f64() / naive.0.as_secs_f64()
    );
    println!(
        "| `Store::call_list` on a rep's tablet: 500 accounts, 10,000 activities | 30 | {} | {} | {:.0}x |",
        common::ms(rep_book.0),
        common::ms(rep_book.1),
        rep_book.0.as_secs_f64() / naive.0.as_secs_f64()
    );
    println!("\nfirst on the list: {}", top.first().map(|e| e.reason.as_str()).unwrap_or("-"));
}
