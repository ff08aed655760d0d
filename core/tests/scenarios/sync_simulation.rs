//! A deterministic multi-device simulation of sync, without sockets.
//!
//! A hub and four devices (one of them scoped to a single account) make
//! random edits while frames are dropped, duplicated, delayed and replayed,
//! devices crash between building a request and applying its response, and
//! stay offline for long stretches. After the network heals, every replica
//! must hold identical documents and projections, and nothing any device
//! created may be missing. Each run is driven by one seed; a failure prints
//! it, and `ONSITE_SIM_SEED=<seed>` replays exactly that run.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use onsite_core::account::{BuyingRole, Contact};
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::fixtures;
use onsite_core::ids::new_id;
use onsite_core::import::CatalogBatch;
use onsite_core::money::DisplayLocale;
use onsite_core::sync::{DeviceScope, sync_in_process};
use onsite_core::{Error, Store, StoreOptions, sample};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::common::{import, rows};

/// splitmix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Device {
    store: Store,
    scope: DeviceScope,
    /// A response delivered late (after the device moved on).
    late: Option<Vec<u8>>,
    /// A request seen before, replayed to the hub.
    old_request: Option<Vec<u8>>,
}

/// What the devices created, to check that nothing is lost.
#[derive(Default)]
struct Created {
    contacts: BTreeMap<String, String>, // contact id -> account id
    activities: BTreeMap<String, String>,
    quotes: BTreeMap<String, String>,
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

/// Errors a faulty network may legitimately cause; anything else fails the run.
fn expected_refusal(e: &Error) -> bool {
    matches!(e, Error::Sync(_))
}

fn local_edit(rng: &mut Rng, d: &Device, accounts: &[String], created: &mut Created, step: usize) {
    let visible: Vec<&String> = accounts.iter().filter(|a| d.scope.allows(a) && d.store.account(a).is_ok()).collect();
    if visible.is_empty() {
        return;
    }
    let account = visible[rng.below(visible.len())].clone();
    match rng.below(6) {
        0 => {
            let contacts = d.store.contacts(&account).unwrap();
            if let Some(c) = contacts.get(rng.below(contacts.len().max(1))) {
                let mut c = c.clone();
                c.phone = Some(format!("+49 89 {}", rng.below(10_000)));
                d.store.save_contact(&c).unwrap();
            }
        }
        1 => {
            let c = Contact {
                first_name: format!("Person{step}"),
                last_name: "Sim".into(),
                role: BuyingRole::User,
                ..fixtures::contact(&new_id(), &account)
            };
            d.store.save_contact(&c).unwrap();
            created.contacts.insert(c.id, account);
        }
        2 => {
            let a = Activity {
                id: new_id(),
                account_id: account.clone(),
                contact_id: None,
                kind: ActivityKind::Visit,
                at: Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap() + Duration::days(rng.below(60) as i64),
                by: "rep-sim".into(),
                subject: format!("Besuch {step}"),
                notes: String::new(),
            };
            d.store.log_activity(&a).unwrap();
            created.activities.insert(a.id, account);
        }
        3 => {
            let products: Vec<_> = d.store.products().unwrap().into_iter().filter(|p| p.active).collect();
            if products.is_empty() {
                return;
            }
            let q = d
                .store
                .create_quote(&account, None, "rep-sim", DisplayLocale::De, today() + chrono::Days::new(60))
                .unwrap();
            let sku = &products[rng.below(products.len())].sku;
            d.store
                .add_quote_line(&q.id, sku, Decimal::from(1 + rng.below(20) as i64), Decimal::ZERO, today())
                .unwrap();
            created.quotes.insert(q.id, account);
        }
        _ => {
            let quotes = d.store.quotes_for_account(&account).unwrap();
            let Some(s) = quotes.get(rng.below(quotes.len().max(1))) else { return };
            let mut q = d.store.quote(&s.id).unwrap();
            if rng.chance(50) && !q.lines.is_empty() {
                q.lines[0].qty = Decimal::from(1 + rng.below(50) as i64);
                let _ = d.store.edit_quote(&q); // refused in a closed state: fine
            } else {
                let _ = d.store.send_quote(&q.id, today());
            }
        }
    }
}

fn faulty_sync(rng: &mut Rng, d: &mut Device, hub: &Store) {
    if let Some(late) = d.late.take() {
        // A response for a request the device has given up on.
        let before = d.store.documents().unwrap();
        let r = d.store.sync_apply(&late);
        if let Err(e) = &r {
            assert!(expected_refusal(e), "late response: {e}");
            assert_eq!(d.store.documents().unwrap(), before, "a refused frame changed the store");
        }
    }
    for _ in 0..1 + rng.below(4) {
        let request = d.store.sync_request().unwrap();
        if rng.chance(10) {
            continue; // request lost
        }
        if let Some(old) = d.old_request.take() {
            let e = hub.hub_handle(&d.scope, &old).expect_err("a replayed request must be refused");
            assert!(expected_refusal(&e), "{e}");
        }
        if rng.chance(15) {
            d.old_request = Some(request.clone());
        }
        // A refusal is an answer too (a concurrent edit of a quote that was
        // sent meanwhile); the device recovers from it.
        let response = match hub.hub_handle(&d.scope, &request) {
            Ok(r) => r,
            Err(Error::Sync(onsite_core::sync::SyncError::Rejected(r))) => r.frame,
            Err(e) => panic!("{e}"),
        };
        match rng.below(10) {
            0 => {} // response lost, or the device crashed before applying it
            1 => d.late = Some(response),
            _ => {
                let round = d.store.sync_apply(&response).unwrap();
                if rng.chance(10) {
                    let e = d.store.sync_apply(&response).expect_err("a duplicated response must be refused");
                    assert!(expected_refusal(&e), "{e}");
                }
                if round.done {
                    return;
                }
            }
        }
    }
}

fn snapshot(s: &Store, scope: &DeviceScope) -> String {
    let mut out = String::new();
    let mut docs = s.documents().unwrap();
    docs.retain(|d| scope.allows(&d.account_id));
    for d in docs {
        let bytes = s.export_doc(&d.doc_id).unwrap();
        let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
        let mut heads = doc.get_heads();
        heads.sort();
        out += &format!("{} {:?} {:?}\n", d.doc_id, heads, s.conflicts(&d.doc_id).unwrap());
    }
    for a in s.list_accounts(None, 0, 500).unwrap().items {
        if !scope.allows(&a.id) {
            continue;
        }
        out += &format!("{:?}\n{:?}\n", s.account(&a.id).unwrap(), s.contacts(&a.id).unwrap());
        out += &format!("{:?}\n", s.activities_for_account(&a.id, 10_000).unwrap());
        let mut ids: Vec<String> = s.quotes_for_account(&a.id).unwrap().into_iter().map(|q| q.id).collect();
        ids.sort();
        for id in ids {
            out += &format!("{:?}\n", s.quote(&id).unwrap());
        }
    }
    out
}

/// Random ids again when dropped: the thread of a run may run other tests
/// of this binary next (with `--test-threads=1`, all of them).
struct ReproducibleIds;

impl Drop for ReproducibleIds {
    fn drop(&mut self) {
        onsite_core::ids::reproducible_ids(None);
    }
}

fn run(seed: u64) {
    let mut rng = Rng(seed);
    onsite_core::ids::reproducible_ids(Some(seed));
    let _ids = ReproducibleIds;
    let dir = tempfile::tempdir().unwrap();
    let open = |n: &str| {
        let options = StoreOptions { device_id: Some(new_id()), ..crate::common::encrypted() };
        Store::open(dir.path().join(format!("{n}.sqlite")), options).unwrap()
    };
    let hub = open("hub");
    import(&hub, CatalogBatch { products: rows(&sample::products(20, seed)), ..Default::default() });
    let accounts: Vec<String> = sample::accounts(2, seed)
        .into_iter()
        .map(|(a, c)| {
            hub.save_account_with_contacts(&a, &c).unwrap();
            a.id
        })
        .collect();
    let mut devices: Vec<Device> = (0..4)
        .map(|i| {
            let store = open(&format!("d{i}"));
            let mut scope = DeviceScope::all(&store.device_id().unwrap());
            if i == 3 {
                scope.accounts = Some([accounts[0].clone()].into_iter().collect());
                scope.role = onsite_core::sync::DeviceRole::Rep;
                scope.person = "rep-sim".into();
            }
            Device { store, scope, late: None, old_request: None }
        })
        .collect();
    let mut created = Created::default();
    for step in 0..60 {
        let i = rng.below(devices.len());
        if rng.chance(60) {
            local_edit(&mut rng, &devices[i], &accounts, &mut created, step);
        } else {
            faulty_sync(&mut rng, &mut devices[i], &hub);
        }
    }
    // The network heals: everyone syncs until nothing moves.
    let trace = std::env::var("ONSITE_SIM_TRACE").is_ok();
    for pass in 0..3 {
        for (i, d) in devices.iter().enumerate() {
            if trace {
                for r in 0..12 {
                    let req = d.store.sync_request().unwrap();
                    let resp = match hub.hub_handle(&d.scope, &req) {
                        Ok(r) => r,
                        Err(Error::Sync(onsite_core::sync::SyncError::Rejected(r))) => r.frame,
                        Err(e) => panic!("{e}"),
                    };
                    let f = onsite_core::sync::frame::decode_request(&req).unwrap();
                    let Ok(p) = onsite_core::sync::frame::decode_response(&resp) else {
                        eprintln!("pass {pass} dev {i} r{r}: refused {:?}", d.store.sync_apply(&resp).unwrap().refused);
                        continue;
                    };
                    let round = d.store.sync_apply(&resp).unwrap();
                    let show = |e: &onsite_core::sync::frame::Entry| {
                        let sizes: Vec<usize> = e.message.changes.iter().map(|c| c.len()).collect();
                        let short = |h: &[automerge::ChangeHash]| {
                            h.iter().map(|x| x.to_string()[..6].to_string()).collect::<Vec<_>>().join(",")
                        };
                        format!(
                            "{} h[{}] have{} need[{}] ch{:?} v{:?}",
                            &e.doc.to_string()[..12],
                            short(&e.message.heads),
                            e.message.have.len(),
                            short(&e.message.need),
                            sizes,
                            e.message.version
                        )
                    };
                    eprintln!(
                        "pass {pass} dev {i} r{r} s{}/{} up {:?} down {:?} done {}",
                        f.session,
                        f.round,
                        f.entries.iter().map(show).collect::<Vec<_>>(),
                        p.entries.iter().map(show).collect::<Vec<_>>(),
                        round.done
                    );
                    if round.done {
                        break;
                    }
                }
            } else {
                sync_in_process(&d.store, &hub, &d.scope, 12).unwrap();
            }
        }
    }
    let hub_all = DeviceScope::all("x");
    for (i, d) in devices.iter().enumerate() {
        let (mine, hubs) = (snapshot(&d.store, &d.scope), snapshot(&hub, &d.scope));
        if mine != hubs {
            let only = |a: &str, b: &str| a.lines().filter(|l| !b.contains(l)).collect::<Vec<_>>().join("\n");
            for doc in d.store.documents().unwrap() {
                let a = automerge::AutoCommit::load(&d.store.export_doc(&doc.doc_id).unwrap()).unwrap();
                let Ok(hb) = hub.export_doc(&doc.doc_id) else {
                    eprintln!("{} missing at hub", doc.doc_id);
                    continue;
                };
                let b = automerge::AutoCommit::load(&hb).unwrap();
                let (mut a, mut b) = (a, b);
                let (ha, hb) = (a.get_heads(), b.get_heads());
                if ha != hb {
                    let a_has_b = hb.iter().all(|h| a.get_change_by_hash(h).is_some());
                    let b_has_a = ha.iter().all(|h| b.get_change_by_hash(h).is_some());
                    eprintln!(
                        "{}: device {} changes, hub {} changes; device has hub heads {a_has_b}, hub has device heads {b_has_a}",
                        doc.doc_id,
                        a.get_changes(&[]).len(),
                        b.get_changes(&[]).len()
                    );
                }
            }
            panic!(
                "device {i} differs from the hub\nonly on the device:\n{}\nonly at the hub:\n{}\nrefused: {:?}",
                only(&mine, &hubs),
                only(&hubs, &mine),
                d.store.sync_refusals().unwrap()
            );
        }
    }
    // Nothing created anywhere is missing at the hub.
    let contact_ids: BTreeSet<String> = accounts.iter().flat_map(|a| hub.contacts(a).unwrap()).map(|c| c.id).collect();
    for id in created.contacts.keys() {
        assert!(contact_ids.contains(id), "contact {id} lost");
    }
    let activity_ids: BTreeSet<String> =
        accounts.iter().flat_map(|a| hub.activities_for_account(a, 10_000).unwrap()).map(|a| a.id).collect();
    for id in created.activities.keys() {
        assert!(activity_ids.contains(id), "activity {id} lost");
    }
    for id in created.quotes.keys() {
        assert!(hub.quote(id).is_ok(), "quote {id} lost");
    }
    assert!(!snapshot(&hub, &hub_all).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("ONSITE_SIM_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replicas_converge_and_nothing_is_lost(seed in any::<u64>()) {
        let result = std::panic::catch_unwind(|| run(seed));
        prop_assert!(result.is_ok(), "simulation failed; replay with ONSITE_SIM_SEED={seed}");
    }
}

#[test]
fn replay_one_seed() {
    let seed = std::env::var("ONSITE_SIM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_127);
    run(seed);
}

/// Seeds that once failed: a quote made and revised offline reaching the
/// hub at revision 2; a compensation that left a concurrent value behind.
#[test]
fn seeds_that_once_failed() {
    for seed in [6_975_289_083_817_328_454, 5_850_970_390_096_157_681] {
        run(seed);
    }
}
