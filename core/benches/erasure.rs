//! Forgetting a person (issue 18, ADR 24): the time to erase one contact
//! from a hub holding 10,000 accounts, against removing one the ordinary
//! way (a tombstone in their document) on the same hub in the same run;
//! and what zeroing freed pages (`secure_delete`, on in every store) costs
//! a device's writes, on and off side by side, rounds alternating.
//!
//! Erasing is the write transaction (the person's document, projections and
//! sync states removed, the id recorded) plus the scrub: the account search
//! index merged and the WAL checkpointed and truncated. Run: `cargo bench
//! -p onsite-core --bench erasure`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::time::{Duration, Instant};

use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::{Store, StoreKey, StoreOptions, sample};

const ACCOUNTS: usize = 10_000;
const ERASURES: usize = 20;
const WRITE_ROUNDS: usize = 6;
const WRITES_PER_ROUND: usize = 100;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Store::open(dir.path().join("hub.sqlite"), StoreOptions::default()).unwrap();
    let started = Instant::now();
    let accounts = sample::accounts(ACCOUNTS, 18);
    let mut people = Vec::new();
    for (i, (a, contacts)) in accounts.iter().enumerate() {
        hub.save_account_with_contacts(a, contacts).unwrap();
        // Every tenth contact has a visit logged with them.
        if i % 10 == 0
            && let Some(c) = contacts.first()
        {
            hub.log_activity(&Activity {
                id: format!("act-{i}"),
                account_id: a.id.clone(),
                contact_id: Some(c.id.clone()),
                kind: ActivityKind::Visit,
                at: chrono::Utc::now(),
                by: "rep-1".into(),
                subject: "Besuch".into(),
                notes: format!("Gespräch mit {}", c.full_name()),
            })
            .unwrap();
        }
        people.extend(contacts.iter().map(|c| c.id.clone()));
    }
    let size = std::fs::metadata(hub.path()).unwrap().len();
    println!(
        "hub: {ACCOUNTS} accounts, {} contacts, {} documents, {:.1} MB, built in {:.0} s",
        people.len(),
        hub.document_count().unwrap(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // Alternating: one contact removed by tombstone, one erased.
    let (mut removals, mut erasures) = (Vec::new(), Vec::new());
    for i in 0..ERASURES {
        let t = Instant::now();
        hub.delete_contact(&people[i * 97]).unwrap();
        removals.push(t.elapsed());
        let t = Instant::now();
        let report = hub.erase_person(&people[i * 97 + 13]).unwrap();
        erasures.push(t.elapsed());
        assert!(!report.already_erased);
    }
    let (r50, e50) = (median(&mut removals), median(&mut erasures));
    println!("| operation, 10,000 accounts | p50 | max |");
    println!("|---|---|---|");
    println!(
        "| remove a contact (tombstone) | {} | {} |",
        common::ms(r50),
        common::ms(*removals.iter().max().unwrap())
    );
    println!("| erase a person (ADR 24) | {} | {} |", common::ms(e50), common::ms(*erasures.iter().max().unwrap()));
    println!("erase / remove: {:.2}x", e50.as_secs_f64() / r50.as_secs_f64());

    // secure_delete on a device's writes: a new account (with 3 contacts)
    // on an encrypted store, then one of its contacts edited.
    let key = StoreKey::generate().unwrap();
    let mut times = [Vec::new(), Vec::new()];
    let stores: Vec<Store> = [true, false]
        .iter()
        .map(|&on| {
            let options = StoreOptions { secure_delete: on, key: Some(key.clone()), ..StoreOptions::default() };
            Store::open(dir.path().join(format!("device-{on}.sqlite")), options).unwrap()
        })
        .collect();
    let batch = sample::accounts(WRITE_ROUNDS * WRITES_PER_ROUND, 19);
    for round in 0..WRITE_ROUNDS {
        for (m, store) in stores.iter().enumerate() {
            for (a, contacts) in &batch[round * WRITES_PER_ROUND..(round + 1) * WRITES_PER_ROUND] {
                let t = Instant::now();
                store.save_account_with_contacts(a, contacts).unwrap();
                let mut c = contacts[0].clone();
                c.phone = Some("+49 911 000".into());
                store.save_contact(&c).unwrap();
                times[m].push(t.elapsed());
            }
        }
    }
    let (on, off) = (median(&mut times[0]), median(&mut times[1]));
    println!("| device write (account + contacts, then an edit), p50 | secure_delete on | off | on / off |");
    println!("|---|---|---|---|");
    println!(
        "| {} writes each | {} | {} | {:.2}x |",
        times[0].len(),
        common::ms(on),
        common::ms(off),
        on.as_secs_f64() / off.as_secs_f64()
    );
}

fn median(v: &mut [Duration]) -> Duration {
    let mut sorted = v.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}
