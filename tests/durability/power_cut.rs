//! Power cuts on the `powercut` VFS, in this process: the store (and the
//! hub's storage) writes through SQLite onto the VFS, which holds every
//! write not yet synced; the cut strikes at a random write or sync, keeps a
//! random half of what was held and drops the rest. Then the store is
//! reopened on the default VFS, checked with `PRAGMA integrity_check`, and
//! every write that had returned `Ok` (for the hub: every activity a
//! finished sync session had sent) is looked up.
//!
//! With the shipped `synchronous = FULL` no acknowledged write may be lost;
//! `NORMAL` and `OFF` are the negative controls and must lose some, which
//! shows that the cut really removes what a power cut removes.

use std::collections::BTreeSet;

use onsite_core::sample::Rng;
use onsite_core::{Store, StoreKey, Synchronous};
use onsite_hub::sqlite::SqliteBackend;

use crate::common::{self, Write};
use crate::vfs;

/// Power cuts per run and configuration.
const CUTS: u64 = 60;
/// Writes a device attempts between two cuts (at most).
const WRITES: u64 = 12;

#[derive(Debug, Default)]
struct Outcome {
    cuts: u64,
    acked: u64,
    lost: u64,
    cuts_with_loss: u64,
    damaged: u64,
    /// Sessions of a negative control that did not finish after its hub
    /// lost writes.
    stalled: u64,
}

/// A device store (encrypted, as devices run it) under `CUTS` power cuts.
fn device(synchronous: Synchronous, test: &str) -> Outcome {
    let seed = common::seed(test);
    let _vfs = vfs::session(seed);
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tablet.sqlite");
    let key = StoreKey::generate().unwrap();
    drop(common::new_device(&path, Some(&key)));
    let mut acked = BTreeSet::new();
    let mut out = Outcome::default();
    // How many ops a round of writes takes, to spread the strikes over it:
    // learnt in the first round, which the power lasts.
    let mut span = 0;
    for cut in 0..CUTS {
        vfs::reset(seed ^ cut.wrapping_mul(0x9E37_79B9));
        let store = Store::open(&path, common::options(Some(&key), synchronous, Some(vfs::STORE_VFS))).unwrap();
        let start = vfs::ops();
        if span > 0 {
            vfs::arm(1 + rng.below(span as usize + span as usize / 4) as u64);
        }
        for i in 0..WRITES {
            let w = Write::nth(&format!("{cut}"), i);
            match w.apply(&store) {
                Ok(()) => {
                    acked.insert(w);
                }
                Err(e) => {
                    assert!(vfs::was_cut(), "cut {cut}: a write failed with the power on: {e}");
                    break;
                }
            }
        }
        if !vfs::was_cut() {
            span = span.max(vfs::ops() - start);
        }
        vfs::cut_now(); // an idle moment, if the strike did not come
        drop(store); // closing without power does nothing
        vfs::reset(seed);
        out.cuts += 1;

        let check = common::integrity(&path, Some(&key));
        if check != "ok" {
            assert!(synchronous != Synchronous::Full, "cut {cut}: integrity_check after the power cut: {check}");
            out.damaged += 1;
            std::fs::remove_file(&path).unwrap();
            let _ = std::fs::remove_file(dir.path().join("tablet.sqlite-wal"));
            drop(common::new_device(&path, Some(&key)));
            acked.clear();
            continue;
        }
        let store = Store::open(&path, common::options(Some(&key), Synchronous::Full, None)).unwrap();
        let lost = common::missing(&store, &acked);
        if synchronous == Synchronous::Full {
            assert!(lost.is_empty(), "cut {cut} (seed {seed}): acknowledged writes lost: {lost:?}");
        }
        out.lost += lost.len() as u64;
        out.cuts_with_loss += u64::from(!lost.is_empty());
        for w in &lost {
            acked.remove(w);
        }
    }
    out.acked = acked.len() as u64 + out.lost;
    let (kept, dropped) = vfs::cut_stats();
    eprintln!("{test}: {out:?}; held writes at the cuts: {kept} kept, {dropped} dropped");
    out
}

#[test]
fn device_store_with_synchronous_full_loses_nothing_acknowledged_in_power_cuts() {
    let out = device(Synchronous::Full, "device power cut FULL");
    assert_eq!((out.lost, out.damaged), (0, 0));
    assert!(out.acked >= CUTS * WRITES / 3, "the cuts left too few writes to test: {out:?}");
}

#[test]
fn negative_control_device_store_with_synchronous_normal_loses_acknowledged_writes() {
    let out = device(Synchronous::Normal, "device power cut NORMAL (negative control)");
    assert!(out.lost > 0, "NORMAL lost nothing: the simulated power cut would not catch a loss: {out:?}");
}

#[test]
fn negative_control_device_store_with_synchronous_off_loses_acknowledged_writes() {
    let out = device(Synchronous::Off, "device power cut OFF (negative control)");
    assert!(out.lost + out.damaged > 0, "OFF lost nothing: {out:?}");
}

/// The hub's embedded storage under `CUTS` power cuts while three tablets
/// log activities and sync; an activity counts as acknowledged once a sync
/// session that started after it was logged has finished (the hub's last
/// answer said nothing is left to exchange).
fn hub(synchronous: Synchronous, test: &str) -> Outcome {
    let seed = common::seed(test);
    let _vfs = vfs::session(seed);
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let tablets = common::hub_world(dir.path(), 3);
    let scopes: Vec<_> = tablets.iter().map(|t| common::scope(&t.device_id().unwrap())).collect();
    let mut pending: Vec<Vec<String>> = vec![Vec::new(); tablets.len()];
    let mut acked: BTreeSet<String> = BTreeSet::new();
    let mut out = Outcome::default();
    let mut span = 0;
    let mut n = 0u64;
    for cut in 0..CUTS {
        vfs::reset(seed ^ cut.wrapping_mul(0x9E37_79B9));
        let hub = SqliteBackend::open_with(&path, common::options(None, synchronous, Some(vfs::STORE_VFS))).unwrap();
        let start = vfs::ops();
        if span > 0 {
            vfs::arm(1 + rng.below(span as usize + span as usize / 4) as u64);
        }
        'sessions: for _ in 0..4 {
            let t = rng.below(tablets.len());
            for _ in 0..1 + rng.below(2) {
                let id = format!("act-hub-{n}");
                n += 1;
                tablets[t].log_activity(&common::activity(&id)).unwrap();
                pending[t].push(id);
            }
            let sent = pending[t].clone();
            for _ in 0..10 {
                let request = tablets[t].sync_request().unwrap();
                let answer = match common::answer(&hub, &scopes[t], &request) {
                    Ok(a) => a,
                    Err(e) => {
                        assert!(vfs::was_cut(), "cut {cut}: the hub failed with the power on: {e}");
                        break 'sessions;
                    }
                };
                if tablets[t].sync_apply(&answer).unwrap().done {
                    pending[t].retain(|id| !sent.contains(id));
                    acked.extend(sent);
                    continue 'sessions;
                }
            }
            // Only after a negative control's hub lost what it had answered
            // (the tablet's sync state and the hub's disagree).
            assert!(synchronous != Synchronous::Full, "cut {cut} (seed {seed}): a session did not finish");
            out.stalled += 1;
            break;
        }
        if !vfs::was_cut() {
            span = span.max(vfs::ops() - start);
        }
        vfs::cut_now();
        drop(hub);
        vfs::reset(seed);
        out.cuts += 1;

        let check = common::integrity(&path, None);
        assert!(
            check == "ok" || synchronous == Synchronous::Off,
            "cut {cut}: integrity_check of the hub after the power cut: {check}"
        );
        if check != "ok" {
            // OFF damaged the file: the control has shown what it had to.
            out.damaged += 1;
            break;
        }
        let lost = common::hub_losses(&path, &mut acked);
        if synchronous == Synchronous::Full {
            assert!(lost.is_empty(), "cut {cut} (seed {seed}): the hub lost what it had answered for: {lost:?}");
        }
        out.lost += lost.len() as u64;
        out.cuts_with_loss += u64::from(!lost.is_empty());
        // A hub that lost what it answered for cannot be synced with
        // reliably any more: the control has shown what it had to.
        if !lost.is_empty() || out.stalled > 0 {
            break;
        }
    }
    out.acked = acked.len() as u64 + out.lost;
    let (kept, dropped) = vfs::cut_stats();
    eprintln!("{test}: {out:?}; held writes at the cuts: {kept} kept, {dropped} dropped");
    out
}

#[test]
fn hub_storage_with_synchronous_full_loses_no_answered_sync_in_power_cuts() {
    let out = hub(Synchronous::Full, "hub power cut FULL");
    assert_eq!((out.lost, out.damaged), (0, 0));
    assert!(out.acked >= CUTS / 2, "the cuts left too few answered syncs to test: {out:?}");
}

#[test]
fn negative_control_hub_storage_with_synchronous_normal_loses_answered_syncs() {
    let out = hub(Synchronous::Normal, "hub power cut NORMAL (negative control)");
    assert!(out.lost > 0, "NORMAL lost nothing: the simulated power cut would not catch a loss: {out:?}");
}
