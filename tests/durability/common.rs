//! What the durability tests share: the seed, the writes a device
//! acknowledges and how they are looked up again, the hub's world.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{Duration, TimeZone, Utc};
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::import::{CatalogBatch, ParsedCatalog, Row};
use onsite_core::sync::{DeviceRole, DeviceScope, SyncLimits};
use onsite_core::{Store, StoreKey, StoreOptions, Synchronous, fixtures, sample};
use onsite_hub::backend::Backend;
use onsite_hub::sqlite::SqliteBackend;

/// The account every write goes to.
pub const ACCOUNT: &str = "acc-durable";

/// The seed of this run: `ONSITE_DURABILITY_SEED`, or a fresh one; printed.
pub fn seed(test: &str) -> u64 {
    let seed = match std::env::var("ONSITE_DURABILITY_SEED") {
        Ok(s) => s.parse().unwrap_or_else(|_| panic!("ONSITE_DURABILITY_SEED={s} is not a number")),
        Err(_) => {
            let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
            t.as_nanos() as u64 % 1_000_000_007
        }
    };
    eprintln!("{test}: seed {seed} (ONSITE_DURABILITY_SEED={seed} repeats it)");
    seed
}

/// Store options: encrypted with `key` if given, at `synchronous`, on `vfs`.
pub fn options(key: Option<&StoreKey>, synchronous: Synchronous, vfs: Option<&str>) -> StoreOptions {
    StoreOptions { key: key.cloned(), synchronous, vfs: vfs.map(str::to_string), readers: 1, ..StoreOptions::default() }
}

/// One write a device acknowledges: an activity (even numbers) or a new
/// account (odd ones), so documents of both kinds and their projections
/// are written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Write {
    Activity(String),
    Account(String),
}

impl Write {
    pub fn nth(prefix: &str, i: u64) -> Write {
        if i.is_multiple_of(2) {
            Write::Activity(format!("act-{prefix}-{i}"))
        } else {
            Write::Account(format!("acc-{prefix}-{i}"))
        }
    }

    /// Writes it through the store's public API.
    pub fn apply(&self, store: &Store) -> onsite_core::Result<()> {
        match self {
            Write::Activity(id) => store.log_activity(&activity(id)),
            Write::Account(id) => store.save_account(&fixtures::account(id)),
        }
    }
}

/// An activity on [`ACCOUNT`], its month from its id (a few documents).
pub fn activity(id: &str) -> Activity {
    let day = id.bytes().map(u64::from).sum::<u64>() % 90;
    Activity {
        id: id.into(),
        account_id: ACCOUNT.into(),
        contact_id: None,
        kind: ActivityKind::Visit,
        at: Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap() + Duration::days(day as i64),
        by: "rep-1".into(),
        subject: format!("Besuch {id}"),
        notes: "Maschine läuft, Nachfolger im Frühjahr".into(),
    }
}

/// A new store with [`ACCOUNT`] in it.
pub fn new_device(path: &Path, key: Option<&StoreKey>) -> Store {
    let store = Store::open(path, options(key, Synchronous::Full, None)).unwrap();
    store.save_account(&fixtures::account(ACCOUNT)).unwrap();
    store
}

/// `PRAGMA integrity_check` on a fresh connection (the default VFS).
pub fn integrity(path: &Path, key: Option<&StoreKey>) -> String {
    let c = rusqlite::Connection::open(path).unwrap();
    if let Some(key) = key {
        c.pragma_update(None, "key", format!("raw:{}", key.to_hex())).unwrap();
    }
    let rows: Vec<String> = c
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_else(|e| vec![format!("unreadable: {e}")]);
    rows.join("; ")
}

/// The writes of `acked` the store does not have.
pub fn missing(store: &Store, acked: &BTreeSet<Write>) -> Vec<Write> {
    let activities: BTreeSet<String> =
        store.activities_for_account(ACCOUNT, u32::MAX).unwrap().into_iter().map(|a| a.id).collect();
    acked
        .iter()
        .filter(|w| match w {
            Write::Activity(id) => !activities.contains(id),
            Write::Account(id) => store.account(id).is_err(),
        })
        .cloned()
        .collect()
}

fn rows<T: Clone>(v: &[T]) -> Vec<Row<T>> {
    v.iter().enumerate().map(|(i, item)| Row { line: i as u64 + 2, item: item.clone() }).collect()
}

/// A hub database with a small catalog and [`ACCOUNT`], and `devices` rep
/// tablets synced once with it (plaintext stores beside it: the tablets
/// are not what these tests test).
pub fn hub_world(dir: &Path, devices: usize) -> Vec<Store> {
    let hub = SqliteBackend::open_with(&dir.join("hub.sqlite"), options(None, Synchronous::Full, None)).unwrap();
    let products = sample::products(20, 3);
    let batch = CatalogBatch { products: rows(&products), ..Default::default() };
    hub.store().import_catalog(ParsedCatalog { batch, problems: Vec::new() }, &mut |_| {}).unwrap();
    hub.store().save_account(&fixtures::account(ACCOUNT)).unwrap();
    (0..devices)
        .map(|i| {
            let d =
                Store::open(dir.join(format!("tablet-{i}.sqlite")), options(None, Synchronous::Full, None)).unwrap();
            let mut done = false;
            for _ in 0..10 {
                let answer = answer(&hub, &scope(&d.device_id().unwrap()), &d.sync_request().unwrap()).unwrap();
                if d.sync_apply(&answer).unwrap().done {
                    done = true;
                    break;
                }
            }
            assert!(done, "tablet {i}: first sync did not finish");
            d
        })
        .collect()
}

/// What a rep's tablet may see.
pub fn scope(device_id: &str) -> DeviceScope {
    DeviceScope {
        device_id: device_id.into(),
        person: "rep-1".into(),
        accounts: Some([ACCOUNT.to_string()].into_iter().collect()),
        include_costs: true,
        role: DeviceRole::Rep,
    }
}

/// The hub's answer to one frame, as the HTTP layer gives it: a refusal
/// frame is an answer too.
pub fn answer(hub: &SqliteBackend, scope: &DeviceScope, request: &[u8]) -> onsite_hub::error::Result<Vec<u8>> {
    match hub.sync(scope, request, &SyncLimits::default(), None) {
        Err(onsite_hub::error::Error::Core(onsite_core::Error::Sync(onsite_core::sync::SyncError::Rejected(r)))) => {
            Ok(r.frame)
        }
        other => other,
    }
}

/// The activities the hub holds.
pub fn hub_activities(hub: &SqliteBackend) -> BTreeSet<String> {
    hub.store().activities_for_account(ACCOUNT, u32::MAX).unwrap().into_iter().map(|a| a.id).collect()
}

/// Reopens the hub's database at `path` (synchronous=FULL) and takes out of
/// `acked` what it no longer holds: the answered-for activities it lost.
pub fn hub_losses(path: &std::path::Path, acked: &mut BTreeSet<String>) -> Vec<String> {
    let hub = SqliteBackend::open_with(path, options(None, Synchronous::Full, None)).unwrap();
    let held = hub_activities(&hub);
    let lost: Vec<String> = acked.iter().filter(|id| !held.contains(*id)).cloned().collect();
    for id in &lost {
        acked.remove(id);
    }
    lost
}
