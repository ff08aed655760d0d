//! Both sync roles over storage held in memory: the engines tested without
//! SQLite, each call of a role run as a transaction (a snapshot restored
//! when the engine returns an error, as the SQLite storage rolls back).

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, AutoCommit};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::device::{self, DeviceStorage, Outbox, PeerState, SyncRefusal, SyncRound};
use super::hub::{self, HubStorage};
use super::state::DocSync;
use super::{DeviceScope, SyncError, SyncLimits};
use crate::catalog::{ProductCost, Seq};
use crate::crdt::{self, DocId, Record};
use crate::error::Result;
use crate::money::Currency;
use crate::quote::{DiscountPolicy, QuoteLine};
use crate::release::CatalogDelta;
use crate::transition::RefusalCode;

/// Runs `f` on `s` as a transaction: on an error, `s` is as before.
fn atomically<S: Clone, T>(s: &mut S, f: impl FnOnce(&mut S) -> Result<T>) -> Result<T> {
    let before = s.clone();
    let out = f(s);
    if out.is_err() {
        *s = before;
    }
    out
}

/// A stored sync state: its session, the Automerge state, queued changes.
type Stored = (u64, Vec<u8>, Vec<u8>);

/// A device's storage in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MemoryDevice {
    id: String,
    seq: i64,
    docs: BTreeMap<DocId, (Vec<u8>, i64)>,
    peer: Option<PeerState>,
    states: BTreeMap<DocId, (Stored, Option<Outbox>)>,
    held: BTreeMap<DocId, i64>,
    refusals: Vec<SyncRefusal>,
    catalog_seq: Seq,
    last_contact: Option<crate::ids::Timestamp>,
    erased: BTreeSet<DocId>,
}

impl MemoryDevice {
    pub(super) fn new(id: &str) -> MemoryDevice {
        MemoryDevice {
            id: id.into(),
            seq: 0,
            docs: BTreeMap::new(),
            peer: None,
            states: BTreeMap::new(),
            held: BTreeMap::new(),
            refusals: Vec::new(),
            catalog_seq: 0,
            last_contact: None,
            erased: BTreeSet::new(),
        }
    }

    /// A local edit: `record` written as one change by this device.
    pub(super) fn write(&mut self, record: &Record) {
        let id = crate::store::docs::id_for(record);
        let actor = crdt::actor_for(&self.id);
        let mut doc = match self.load_doc(&id).unwrap() {
            Some(d) => d.with_actor(actor),
            None => crdt::genesis(&id, actor).unwrap(),
        };
        crdt::write(&mut doc, record).unwrap();
        doc.commit();
        self.save_doc(&id, &mut doc).unwrap();
    }

    pub(super) fn record(&self, id: &DocId) -> Option<Record> {
        let (bytes, _) = self.docs.get(id)?;
        crdt::read(&crdt::load(bytes).unwrap(), id).unwrap()
    }

    pub(super) fn request(&mut self) -> Result<Vec<u8>> {
        atomically(self, |s| device::request(s, &SyncLimits::default()))
    }

    pub(super) fn apply(&mut self, answer: &[u8]) -> Result<SyncRound> {
        atomically(self, |s| device::apply(s, answer))
    }
}

impl DeviceStorage for MemoryDevice {
    fn device_id(&mut self) -> Result<String> {
        Ok(self.id.clone())
    }
    fn peer(&mut self) -> Result<Option<PeerState>> {
        Ok(self.peer.clone())
    }
    fn set_peer(&mut self, peer: &PeerState) -> Result<()> {
        self.peer = Some(peer.clone());
        Ok(())
    }
    fn doc_cursor(&mut self) -> Result<i64> {
        Ok(self.seq)
    }
    fn doc_seq(&mut self, id: &DocId) -> Result<Option<i64>> {
        Ok(self.docs.get(id).map(|(_, s)| *s))
    }
    fn docs_to_offer(&mut self, cursor: i64) -> Result<Vec<DocId>> {
        let changed = self.docs.iter().filter(|(_, (_, s))| *s > cursor).map(|(id, _)| id.clone());
        let marked = self.states.iter().filter(|(_, (_, o))| o.is_some()).map(|(id, _)| id.clone());
        Ok(changed.chain(marked).collect::<BTreeSet<_>>().into_iter().collect())
    }
    fn load_doc(&mut self, id: &DocId) -> Result<Option<AutoCommit>> {
        Ok(self.docs.get(id).map(|(b, _)| crdt::load(b)).transpose()?)
    }
    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> Result<()> {
        self.seq += 1;
        self.docs.insert(id.clone(), (doc.save(), self.seq));
        Ok(())
    }
    fn erase_doc(&mut self, id: &DocId) -> Result<()> {
        self.docs.remove(id);
        self.states.remove(id);
        self.held.remove(id);
        self.refusals.retain(|r| r.doc_id != id.as_str());
        self.erased.insert(id.clone());
        Ok(())
    }
    fn sync_state(&mut self, id: &DocId, session: u64) -> Result<DocSync> {
        match self.states.get(id) {
            None => Ok(DocSync::first_contact()),
            Some(((stored, state, queued), _)) => {
                Ok(DocSync::from_stored(*stored, state, queued.clone(), session).map_err(SyncError::from)?)
            }
        }
    }
    fn set_sync_state(&mut self, id: &DocId, session: u64, sync: &DocSync, outbox: Option<Outbox>) -> Result<()> {
        self.states.insert(id.clone(), ((session, sync.state_bytes(), sync.queued.clone()), outbox));
        Ok(())
    }
    fn clear_awaiting(&mut self) -> Result<()> {
        for (_, o) in self.states.values_mut() {
            if *o == Some(Outbox::Awaiting) {
                *o = None;
            }
        }
        Ok(())
    }
    fn has_outbox(&mut self) -> Result<bool> {
        Ok(self.states.values().any(|(_, o)| o.is_some()))
    }
    fn held(&mut self) -> Result<Vec<(DocId, i64)>> {
        Ok(self.held.iter().map(|(id, s)| (id.clone(), *s)).collect())
    }
    fn hold(&mut self, id: &DocId) -> Result<()> {
        if let Some((_, seq)) = self.docs.get(id) {
            self.held.insert(id.clone(), *seq);
        }
        Ok(())
    }
    fn release(&mut self, id: &DocId) -> Result<()> {
        self.held.remove(id);
        Ok(())
    }
    fn refusal_count(&mut self, id: &DocId, code: RefusalCode) -> Result<u32> {
        Ok(self.refusals.iter().filter(|r| r.doc_id == id.as_str() && r.code == code).count() as u32)
    }
    fn record_refusal(&mut self, refusal: &SyncRefusal) -> Result<()> {
        self.refusals.push(refusal.clone());
        Ok(())
    }
    fn catalog_seq(&mut self) -> Result<Seq> {
        Ok(self.catalog_seq)
    }
    fn apply_catalog(&mut self, delta: &CatalogDelta, complete: bool) -> Result<()> {
        if complete {
            self.catalog_seq = delta.to;
        }
        Ok(())
    }
    fn note_contact(&mut self, at: crate::ids::Timestamp) -> Result<()> {
        self.last_contact = Some(at);
        Ok(())
    }
}

/// The hub's storage in memory: documents and sync states only; no
/// reference data, no prices, the default discount policy.
#[derive(Debug, Clone)]
pub(super) struct MemoryHub {
    seq: u64,
    docs: BTreeMap<DocId, (Vec<u8>, String, u64)>,
    rounds: BTreeMap<String, (u64, u64)>,
    states: BTreeMap<(String, DocId), Stored>,
    costs_sent: BTreeSet<String>,
    erased: BTreeMap<DocId, (String, u64)>,
}

impl MemoryHub {
    pub(super) fn new() -> MemoryHub {
        MemoryHub {
            seq: 0,
            docs: BTreeMap::new(),
            rounds: BTreeMap::new(),
            states: BTreeMap::new(),
            costs_sent: BTreeSet::new(),
            erased: BTreeMap::new(),
        }
    }

    /// Erases a document: gone with its sync states, its id kept.
    pub(super) fn erase(&mut self, id: &DocId) {
        let account = self.docs.remove(id).map(|(_, a, _)| a).unwrap_or_default();
        self.states.retain(|(_, doc), _| doc != id);
        self.seq += 1;
        self.erased.insert(id.clone(), (account, self.seq));
    }

    /// Answers a request as one transaction; a refusal is an answer too.
    pub(super) fn handle(&mut self, scope: &DeviceScope, request: &[u8]) -> Result<Vec<u8>> {
        match atomically(self, |s| hub::handle(s, scope, request, &SyncLimits::default())) {
            Err(crate::Error::Sync(SyncError::Rejected(r))) => Ok(r.frame),
            other => other,
        }
    }

    pub(super) fn record(&self, id: &DocId) -> Option<Record> {
        let (bytes, _, _) = self.docs.get(id)?;
        crdt::read(&crdt::load(bytes).unwrap(), id).unwrap()
    }

    fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.docs.keys().filter_map(|id| self.record(id))
    }
}

impl HubStorage for MemoryHub {
    fn hub_actor(&mut self) -> Result<ActorId> {
        Ok(crdt::actor_for("memory-hub"))
    }
    fn peer_round(&mut self, device_id: &str) -> Result<Option<(u64, u64)>> {
        Ok(self.rounds.get(device_id).copied())
    }
    fn set_peer_round(&mut self, device_id: &str, session: u64, round: u64) -> Result<()> {
        self.rounds.insert(device_id.into(), (session, round));
        Ok(())
    }
    fn load_doc(&mut self, id: &DocId) -> Result<Option<AutoCommit>> {
        Ok(self.docs.get(id).map(|(b, _, _)| crdt::load(b)).transpose()?)
    }
    fn doc_account(&mut self, id: &DocId) -> Result<Option<String>> {
        Ok(self.docs.get(id).map(|(_, a, _)| a.clone()))
    }
    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> Result<()> {
        let account = crdt::read(doc, id)?.map(|r| r.account_id().to_string()).unwrap_or_default();
        self.seq += 1;
        self.docs.insert(id.clone(), (doc.save(), account, self.seq));
        Ok(())
    }
    fn sync_state(&mut self, device_id: &str, id: &DocId, session: u64) -> Result<DocSync> {
        match self.states.get(&(device_id.to_string(), id.clone())) {
            None => Ok(DocSync::first_contact()),
            Some((stored, state, queued)) => {
                Ok(DocSync::from_stored(*stored, state, queued.clone(), session).map_err(SyncError::from)?)
            }
        }
    }
    fn has_sync_state(&mut self, device_id: &str, id: &DocId) -> Result<bool> {
        Ok(self.states.contains_key(&(device_id.to_string(), id.clone())))
    }
    fn set_sync_state(&mut self, device_id: &str, id: &DocId, session: u64, sync: &DocSync) -> Result<()> {
        self.states.insert((device_id.into(), id.clone()), (session, sync.state_bytes(), sync.queued.clone()));
        Ok(())
    }
    fn docs_changed_since(&mut self, cursor: u64, scope: &DeviceScope, limit: usize) -> Result<Vec<(DocId, u64)>> {
        let mut out: Vec<(DocId, u64)> = self
            .docs
            .iter()
            .filter(|(id, (_, account, seq))| {
                *seq > cursor && scope.allows_kind(id.kind()) && (account.is_empty() || scope.allows(account))
            })
            .map(|(id, (_, _, seq))| (id.clone(), *seq))
            .collect();
        out.sort_by_key(|(_, seq)| *seq);
        out.truncate(limit);
        Ok(out)
    }
    fn doc_cursor(&mut self) -> Result<u64> {
        Ok(self.seq)
    }
    fn is_erased(&mut self, id: &DocId) -> Result<bool> {
        Ok(self.erased.contains_key(id))
    }
    fn erased_since(&mut self, cursor: u64, scope: &DeviceScope, limit: usize) -> Result<Vec<DocId>> {
        Ok(self
            .erased
            .iter()
            .filter(|(id, (account, seq))| *seq > cursor && scope.allows_doc(id.kind(), account))
            .map(|(id, _)| id.clone())
            .take(limit)
            .collect())
    }
    fn catalog_seq(&mut self) -> Result<Seq> {
        Ok(0)
    }
    fn catalog_page(
        &mut self,
        since: Seq,
        _after: Option<(Seq, i64)>,
        _limit: usize,
        _scope: &DeviceScope,
    ) -> Result<(CatalogDelta, Option<(Seq, i64)>)> {
        Ok((CatalogDelta { since, to: since.max(0), ..CatalogDelta::default() }, None))
    }
    fn costs_sent(&mut self, device_id: &str) -> Result<bool> {
        Ok(self.costs_sent.contains(device_id))
    }
    fn set_costs_sent(&mut self, device_id: &str) -> Result<()> {
        self.costs_sent.insert(device_id.into());
        Ok(())
    }
    fn all_costs(&mut self) -> Result<Vec<ProductCost>> {
        Ok(Vec::new())
    }
    fn policy(&mut self) -> Result<DiscountPolicy> {
        Ok(DiscountPolicy::default())
    }
    fn cost(&mut self, _sku: &str) -> Result<Option<Decimal>> {
        Ok(None)
    }
    fn current_price(&mut self, _: &str, _: &QuoteLine, _: NaiveDate, _: Currency) -> Result<Option<Decimal>> {
        Ok(None)
    }
    fn number_holder(&mut self, number: &str) -> Result<Option<String>> {
        Ok(self.records().find_map(|r| match r {
            Record::Quote(q) if q.number == number => Some(q.id.clone()),
            _ => None,
        }))
    }
    fn order_of_quote(&mut self, quote_id: &str) -> Result<Option<String>> {
        Ok(self.records().find_map(|r| match r {
            Record::Order(o) if o.quote_id.as_deref() == Some(quote_id) => Some(o.id.clone()),
            _ => None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::crdt::AccountRecord;
    use crate::fixtures;
    use crate::roles::DeviceRole;

    fn account(id: &str, name: &str, employees: u32) -> Record {
        let mut account = fixtures::account(id);
        account.name = name.into();
        account.employees = Some(employees);
        Record::Account(Box::new(AccountRecord { account, contacts: Vec::new(), deleted: false }))
    }

    fn rep(device: &str) -> DeviceScope {
        DeviceScope {
            device_id: device.into(),
            person: format!("rep of {device}"),
            accounts: Some(["acc-1".to_string(), "acc-2".to_string()].into()),
            include_costs: true,
            role: DeviceRole::Rep,
        }
    }

    fn customer(device: &str) -> DeviceScope {
        DeviceScope {
            device_id: device.into(),
            person: "Anna Weiß".into(),
            accounts: Some(BTreeSet::from(["acc-1".to_string()])),
            include_costs: false,
            role: DeviceRole::Customer,
        }
    }

    /// Syncs until a round reports done; the rounds it took.
    fn sync(device: &mut MemoryDevice, hub: &mut MemoryHub, scope: &DeviceScope) -> Vec<SyncRound> {
        let mut rounds = Vec::new();
        for _ in 0..20 {
            let request = device.request().unwrap();
            let answer = hub.handle(scope, &request).unwrap();
            let round = device.apply(&answer).unwrap();
            let done = round.done;
            rounds.push(round);
            if done {
                return rounds;
            }
        }
        panic!("not quiescent after 20 rounds: {rounds:?}");
    }

    fn employees(r: Option<Record>) -> Option<u32> {
        match r {
            Some(Record::Account(a)) => a.account.employees,
            _ => None,
        }
    }

    fn name(r: Option<Record>) -> Option<String> {
        match r {
            Some(Record::Account(a)) => Some(a.account.name),
            _ => None,
        }
    }

    #[test]
    fn two_devices_converge_through_a_hub_in_memory() {
        let (mut a, mut b, mut hub) = (MemoryDevice::new("dev-a"), MemoryDevice::new("dev-b"), MemoryHub::new());
        let id = DocId::account("acc-1");
        a.write(&account("acc-1", "Müller", 62));
        sync(&mut a, &mut hub, &rep("dev-a"));
        sync(&mut b, &mut hub, &rep("dev-b"));
        assert_eq!(name(b.record(&id)).as_deref(), Some("Müller"));
        // Concurrent edits of different fields, offline on both tablets.
        let mut on_a = a.record(&id).unwrap();
        let mut on_b = b.record(&id).unwrap();
        if let Record::Account(x) = &mut on_a {
            x.account.name = "Müller Maschinenbau".into();
        }
        if let Record::Account(x) = &mut on_b {
            x.account.employees = Some(70);
        }
        a.write(&on_a);
        b.write(&on_b);
        sync(&mut a, &mut hub, &rep("dev-a"));
        sync(&mut b, &mut hub, &rep("dev-b"));
        sync(&mut a, &mut hub, &rep("dev-a"));
        for r in [a.record(&id), b.record(&id), hub.record(&id)] {
            assert_eq!(name(r.clone()).as_deref(), Some("Müller Maschinenbau"));
            assert_eq!(employees(r), Some(70));
        }
        // Settled: one more round has nothing to carry.
        let again = sync(&mut a, &mut hub, &rep("dev-a"));
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].docs_received, 0);
    }

    fn person(id: &str, phone: &str) -> Record {
        let mut contact = fixtures::contact(id, "acc-1");
        contact.phone = Some(phone.into());
        Record::Person(Box::new(crate::crdt::PersonRecord { contact, activities: Vec::new(), deleted: false }))
    }

    #[test]
    fn an_erased_person_is_deleted_everywhere_and_a_stale_device_brings_nothing_back() {
        let (mut a, mut b, mut hub) = (MemoryDevice::new("dev-a"), MemoryDevice::new("dev-b"), MemoryHub::new());
        let (acc, p) = (DocId::account("acc-1"), DocId::person("p-1"));
        a.write(&account("acc-1", "Müller", 62));
        a.write(&person("p-1", "+49 911 1"));
        sync(&mut a, &mut hub, &rep("dev-a"));
        sync(&mut b, &mut hub, &rep("dev-b"));
        assert!(b.record(&p).is_some());
        // Offline, b edits the person; meanwhile the back office erases them.
        b.write(&person("p-1", "+49 911 2"));
        hub.erase(&p);
        let rounds = sync(&mut a, &mut hub, &rep("dev-a"));
        assert_eq!(rounds.iter().map(|r| r.docs_erased).sum::<u32>(), 1);
        assert!(a.record(&p).is_none() && a.erased.contains(&p));
        // b comes back: its changes to the person are dropped, its copy deleted.
        let mut on_b = b.record(&acc).unwrap();
        if let Record::Account(x) = &mut on_b {
            x.account.name = "Müller Maschinenbau".into();
        }
        b.write(&on_b);
        sync(&mut b, &mut hub, &rep("dev-b"));
        assert!(b.record(&p).is_none(), "the stale device deleted its copy");
        assert!(hub.record(&p).is_none() && !hub.docs.contains_key(&p), "nothing came back to the hub");
        assert!(!hub.states.keys().any(|(_, d)| d == &p));
        sync(&mut a, &mut hub, &rep("dev-a"));
        assert!(a.record(&p).is_none());
        // Everything else of the account keeps syncing.
        assert_eq!(name(a.record(&acc)).as_deref(), Some("Müller Maschinenbau"));
    }

    #[test]
    fn an_answer_lost_on_the_way_loses_nothing() {
        let (mut a, mut b, mut hub) = (MemoryDevice::new("dev-a"), MemoryDevice::new("dev-b"), MemoryHub::new());
        let id = DocId::account("acc-2");
        a.write(&account("acc-2", "Schmidt", 5));
        // The hub stores the change and answers; the answer never arrives.
        let request = a.request().unwrap();
        hub.handle(&rep("dev-a"), &request).unwrap();
        a.write(&account("acc-2", "Schmidt", 6));
        sync(&mut a, &mut hub, &rep("dev-a"));
        sync(&mut b, &mut hub, &rep("dev-b"));
        assert_eq!(employees(b.record(&id)), Some(6));
        assert_eq!(employees(hub.record(&id)), Some(6));
    }

    #[test]
    fn a_malformed_replayed_or_foreign_answer_changes_nothing() {
        let (mut a, mut hub) = (MemoryDevice::new("dev-a"), MemoryHub::new());
        a.write(&account("acc-1", "Müller", 62));
        let request = a.request().unwrap();
        let answer = hub.handle(&rep("dev-a"), &request).unwrap();
        let before = a.clone();
        assert!(a.apply(b"not a frame").is_err());
        assert!(a.last_contact.is_none(), "a refused answer is no contact");
        assert!(a.apply(&answer[..answer.len() / 2]).is_err());
        assert_eq!(a, before, "a refused answer left a trace");
        // Another device's answer.
        let mut other = MemoryDevice::new("dev-b");
        let foreign = hub.handle(&rep("dev-b"), &other.request().unwrap()).unwrap();
        assert!(matches!(a.apply(&foreign), Err(crate::Error::Sync(SyncError::WrongDevice))));
        assert_eq!(a, before);
        a.apply(&answer).unwrap();
        assert!(a.last_contact.is_some(), "the hub's answer renews the lease");
        let applied = a.clone();
        assert!(matches!(a.apply(&answer), Err(crate::Error::Sync(SyncError::NoRequestWaiting))));
        assert_eq!(a, applied);
    }

    #[test]
    fn the_hub_refuses_a_replayed_request_and_stores_nothing_of_it() {
        let (mut a, mut hub) = (MemoryDevice::new("dev-a"), MemoryHub::new());
        a.write(&account("acc-1", "Müller", 62));
        let request = a.request().unwrap();
        hub.handle(&rep("dev-a"), &request).unwrap();
        let seq = hub.seq;
        let replay = atomically(&mut hub, |s| hub::handle(s, &rep("dev-a"), &request, &SyncLimits::default()));
        assert!(matches!(replay, Err(crate::Error::Sync(SyncError::Replayed { .. }))), "{replay:?}");
        assert_eq!(hub.seq, seq);
    }

    #[test]
    fn a_customers_forbidden_edit_is_refused_and_restored_from_the_hub() {
        let (mut rep_tablet, mut phone, mut hub) =
            (MemoryDevice::new("dev-a"), MemoryDevice::new("phone"), MemoryHub::new());
        let id = DocId::account("acc-1");
        rep_tablet.write(&account("acc-1", "Müller", 62));
        sync(&mut rep_tablet, &mut hub, &rep("dev-a"));
        sync(&mut phone, &mut hub, &customer("phone"));
        assert_eq!(employees(phone.record(&id)), Some(62));
        // A modified app on the customer's phone changes the account.
        phone.write(&account("acc-1", "Müller", 1));
        let rounds = sync(&mut phone, &mut hub, &customer("phone"));
        let refused: Vec<_> = rounds.iter().flat_map(|r| &r.refused).collect();
        assert_eq!(refused.len(), 1, "{rounds:?}");
        assert_eq!(refused[0].code, RefusalCode::NotPermitted);
        assert!(refused[0].restored);
        assert_eq!(employees(phone.record(&id)), Some(62), "the phone keeps the hub's version");
        assert_eq!(employees(hub.record(&id)), Some(62), "the hub stored nothing of the edit");
        assert_eq!(phone.refusals.len(), 1);
        // The restore goes up and is accepted: the rep sees no change.
        sync(&mut rep_tablet, &mut hub, &rep("dev-a"));
        assert_eq!(employees(rep_tablet.record(&id)), Some(62));
    }

    #[derive(Debug, Clone)]
    enum Step {
        Edit { device: usize, account: usize, employees: u32 },
        Sync { device: usize },
        LoseAnswer { device: usize },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..3usize, 0..2usize, 1..500u32).prop_map(|(device, account, employees)| Step::Edit {
                device,
                account,
                employees
            }),
            (0..3usize).prop_map(|device| Step::Sync { device }),
            (0..3usize).prop_map(|device| Step::LoseAnswer { device }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever the order of edits, syncs and lost answers, three
        /// tablets and the hub end with the same records, and the last edit
        /// each account received on any device is one of the values seen.
        #[test]
        fn three_tablets_converge_whatever_happens_on_the_way(steps in prop::collection::vec(step(), 1..24)) {
            let names = ["dev-a", "dev-b", "dev-c"];
            let mut devices: Vec<MemoryDevice> = names.iter().map(|n| MemoryDevice::new(n)).collect();
            let mut hub = MemoryHub::new();
            let accounts = ["acc-1", "acc-2"];
            let mut written: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
            for s in &steps {
                match *s {
                    Step::Edit { device, account, employees } => {
                        devices[device].write(&self::account(accounts[account], "Kunde", employees));
                        written.entry(account).or_default().insert(employees);
                    }
                    Step::Sync { device } => {
                        sync(&mut devices[device], &mut hub, &rep(names[device]));
                    }
                    Step::LoseAnswer { device } => {
                        let request = devices[device].request().unwrap();
                        hub.handle(&rep(names[device]), &request).unwrap();
                    }
                }
            }
            for _ in 0..2 {
                for (d, n) in devices.iter_mut().zip(names) {
                    sync(d, &mut hub, &rep(n));
                }
            }
            for (i, acc) in accounts.iter().enumerate() {
                let id = DocId::account(acc);
                let at_hub = employees(hub.record(&id));
                for d in &devices {
                    prop_assert_eq!(employees(d.record(&id)), at_hub);
                }
                match written.get(&i) {
                    None => prop_assert_eq!(at_hub, None),
                    Some(values) => prop_assert!(at_hub.is_some_and(|v| values.contains(&v))),
                }
            }
        }
    }
}
