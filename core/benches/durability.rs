//! The cost of durability (issue 18, ADR 22): `synchronous = NORMAL` and
//! `FULL` side by side in one run, the rounds of each measure alternating
//! between the two so that the machine's drift hits both alike.
//!
//! 1. a device write: a new account on an encrypted store (one new
//!    document, its projection and search rows, one commit), 600 per
//!    setting; small documents, so that the commit is what is measured;
//! 2. sync throughput: 20 tablets, each with 25 activities logged offline,
//!    sync one after the other with a hub (hub and tablets at the setting);
//!    five rounds per setting, each on a fresh hub.
//!
//! The stores live in the system's temporary directory: the figures are
//! those of its file system and disk. Run: `cargo bench -p onsite-core
//! --bench durability`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::import::{CatalogBatch, ParsedCatalog, Row};
use onsite_core::sync::{DeviceRole, DeviceScope, sync_in_process};
use onsite_core::{Store, StoreKey, StoreOptions, Synchronous, fixtures, sample};

const MODES: [Synchronous; 2] = [Synchronous::Normal, Synchronous::Full];
const ACCOUNT: &str = "acc-bench";
const WRITE_ROUNDS: usize = 6;
const WRITES_PER_ROUND: usize = 100;
const SYNC_ROUNDS: usize = 5;
const TABLETS: usize = 20;
const CHANGES: usize = 25;

fn options(mode: Synchronous, key: Option<&StoreKey>) -> StoreOptions {
    StoreOptions { synchronous: mode, key: key.cloned(), ..StoreOptions::default() }
}

fn activity(n: usize) -> Activity {
    Activity {
        id: format!("act-{n}"),
        account_id: ACCOUNT.into(),
        contact_id: None,
        kind: ActivityKind::Call,
        at: Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap() + chrono::Duration::hours((n % 2000) as i64),
        by: "rep-1".into(),
        subject: format!("Anruf {n}"),
        notes: "Rückruf wegen Ersatzteilen".into(),
    }
}

fn scope(device: &Store) -> DeviceScope {
    DeviceScope {
        device_id: device.device_id().unwrap(),
        person: "rep-1".into(),
        accounts: Some([ACCOUNT.to_string()].into_iter().collect()),
        include_costs: true,
        role: DeviceRole::Rep,
    }
}

fn name(mode: Synchronous) -> &'static str {
    mode.pragma()
}

/// Writes per setting, each timed.
fn device_writes(dir: &Path) -> Vec<Vec<Duration>> {
    let key = StoreKey::generate().unwrap();
    let stores: Vec<Store> = MODES
        .iter()
        .map(|&m| {
            let s = Store::open(dir.join(format!("tablet-{}.sqlite", name(m))), options(m, Some(&key))).unwrap();
            s.save_account(&fixtures::account(ACCOUNT)).unwrap();
            s
        })
        .collect();
    let mut times = vec![Vec::new(); MODES.len()];
    let mut n = 0;
    for round in 0..=WRITE_ROUNDS {
        for (i, store) in stores.iter().enumerate() {
            for _ in 0..WRITES_PER_ROUND {
                n += 1;
                let t = Instant::now();
                store.save_account(&fixtures::account(&format!("acc-{n}"))).unwrap();
                // Round 0 warms up.
                if round > 0 {
                    times[i].push(t.elapsed());
                }
            }
        }
    }
    times
}

/// One round of the sync measure: the time for all tablets' syncs, and the round trips.
fn sync_round(dir: &Path, mode: Synchronous) -> (Duration, u32) {
    let hub = Store::open(dir.join("hub.sqlite"), options(mode, None)).unwrap();
    let products = sample::products(200, 5);
    let rows = products.iter().enumerate().map(|(i, p)| Row { line: i as u64 + 2, item: p.clone() }).collect();
    let batch = CatalogBatch { products: rows, ..Default::default() };
    hub.import_catalog(ParsedCatalog { batch, problems: Vec::new() }, &mut |_| {}).unwrap();
    hub.save_account(&fixtures::account(ACCOUNT)).unwrap();
    let tablets: Vec<Store> = (0..TABLETS)
        .map(|i| {
            let t = Store::open(dir.join(format!("t{i}.sqlite")), options(mode, None)).unwrap();
            sync_in_process(&t, &hub, &scope(&t), 10).unwrap();
            for c in 0..CHANGES {
                t.log_activity(&activity(i * 1000 + c)).unwrap();
            }
            t
        })
        .collect();
    let started = Instant::now();
    let mut trips = 0;
    for t in &tablets {
        trips += sync_in_process(t, &hub, &scope(t), 10).unwrap().round_trips;
    }
    let elapsed = started.elapsed();
    assert_eq!(hub.activities_for_account(ACCOUNT, u32::MAX).unwrap().len(), TABLETS * CHANGES);
    (elapsed, trips)
}

fn main() {
    println!("{}", common::machine());
    let tmp = std::env::temp_dir();
    println!("Stores in {} (the system's temporary directory)", tmp.display());
    let dir = tempfile::tempdir().unwrap();

    println!(
        "\n1. A device write (a new account, one commit, encrypted store), {} per setting",
        WRITE_ROUNDS * WRITES_PER_ROUND
    );
    let times = device_writes(dir.path());
    let mut medians = Vec::new();
    for (mode, t) in MODES.iter().zip(times) {
        let mean = t.iter().sum::<Duration>() / t.len() as u32;
        let (p50, p99, max) = common::stats(t);
        medians.push(p50);
        println!(
            "  {:<6} p50 {}  p99 {}  max {}  mean {}",
            name(*mode),
            common::ms(p50),
            common::ms(p99),
            common::ms(max),
            common::ms(mean)
        );
    }
    println!("  FULL/NORMAL p50: {:.2}x", medians[1].as_secs_f64() / medians[0].as_secs_f64());

    println!(
        "\n2. Sync: {TABLETS} tablets with {CHANGES} activities each, synced one after the other; {SYNC_ROUNDS} rounds per setting"
    );
    let mut results: Vec<Vec<(Duration, u32)>> = vec![Vec::new(); MODES.len()];
    for round in 0..SYNC_ROUNDS {
        for (i, &mode) in MODES.iter().enumerate() {
            let d = dir.path().join(format!("sync-{round}-{}", name(mode)));
            std::fs::create_dir_all(&d).unwrap();
            results[i].push(sync_round(&d, mode));
        }
    }
    let mut rates = Vec::new();
    for (mode, r) in MODES.iter().zip(results) {
        let mut elapsed: Vec<Duration> = r.iter().map(|x| x.0).collect();
        elapsed.sort();
        let median = elapsed[elapsed.len() / 2];
        let trips = r[0].1;
        let rate = f64::from(trips) / median.as_secs_f64();
        rates.push(rate);
        println!(
            "  {:<6} median {} ({} rounds: {}), {trips} round trips: {rate:.0} round trips/s, {:.0} activities/s",
            name(*mode),
            common::ms(median),
            elapsed.len(),
            elapsed.iter().map(|d| common::ms(*d)).collect::<Vec<_>>().join(", "),
            (TABLETS * CHANGES) as f64 / median.as_secs_f64()
        );
    }
    println!("  FULL/NORMAL throughput: {:.2}x", rates[1] / rates[0]);
}
