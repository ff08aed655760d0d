//! A hostile device: it holds a valid token but runs no Onsite store and
//! no rules. It keeps raw Automerge documents, writes whatever changes it
//! likes into them and builds the sync frames itself, as a modified app
//! would.

use std::collections::BTreeMap;

use automerge::sync::{Capability, State, SyncDoc};
use automerge::transaction::CommitOptions;
use automerge::{AutoCommit, ReadDoc};
use onsite_cli::client::HubClient;
use onsite_core::crdt::{self, DocId, Record};
use onsite_core::sync::frame::{self, Answer, Entry, Request};
use onsite_core::transition::RefusalCode;

/// What the hub made of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored.
    Accepted,
    /// Refused: each document with its code and message.
    Refused(Vec<(String, RefusalCode, String)>),
}

impl Outcome {
    /// The refusal codes (empty when accepted).
    pub fn codes(&self) -> Vec<RefusalCode> {
        match self {
            Outcome::Accepted => Vec::new(),
            Outcome::Refused(r) => r.iter().map(|(_, c, _)| *c).collect(),
        }
    }
}

/// The state every message starts from when the whole history is sent.
fn first_contact() -> State {
    State {
        their_heads: Some(Vec::new()),
        their_have: Some(Vec::new()),
        their_need: Some(Vec::new()),
        their_capabilities: Some(vec![Capability::MessageV2]),
        ..State::new()
    }
}

/// A device with a valid token that writes frames of its own.
pub struct Hostile {
    pub device_id: String,
    client: HubClient,
    pub docs: BTreeMap<DocId, (AutoCommit, State)>,
    session: u64,
    round: u64,
    cursor: u64,
}

impl Hostile {
    /// A hostile app for the registered device `device_id` with `token`.
    pub fn new(url: &str, device_id: &str, token: &str) -> Hostile {
        Hostile {
            device_id: device_id.to_string(),
            client: HubClient::new(url, token, None).unwrap(),
            docs: BTreeMap::new(),
            session: 1,
            round: 0,
            cursor: 0,
        }
    }

    /// Sends one request frame with `entries`; the hub's answer.
    pub fn exchange(&mut self, entries: Vec<Entry>) -> Answer {
        self.round += 1;
        let req = Request {
            device_id: self.device_id.clone(),
            session: self.session,
            round: self.round,
            // Past the hub's catalog: no reference data in the answers.
            catalog_cursor: 1 << 40,
            catalog_resume: None,
            doc_cursor: self.cursor,
            entries,
        };
        let bytes = self.client.sync_frame(&frame::encode_request(&req)).unwrap();
        frame::decode_answer(&bytes).unwrap()
    }

    fn receive(&mut self, r: &frame::Response) {
        self.cursor = r.doc_cursor;
        for e in &r.entries {
            let (doc, st) = self.docs.entry(e.doc.clone()).or_insert_with(|| (AutoCommit::new(), State::new()));
            doc.sync().receive_sync_message(st, e.message.clone()).unwrap();
        }
    }

    /// Receives everything the hub offers this device (rounds until quiet).
    pub fn pull(&mut self) {
        self.session += 1;
        for st in self.docs.values_mut() {
            st.1 = State::new();
        }
        for _ in 0..30 {
            let mut entries = Vec::new();
            for (id, (doc, st)) in &mut self.docs {
                if let Some(m) = doc.sync().generate_sync_message(st) {
                    entries.push(Entry { doc: id.clone(), message: m });
                }
            }
            let sent = entries.len();
            match self.exchange(entries) {
                Answer::Response(r) => {
                    self.receive(&r);
                    if r.entries.is_empty() && !r.more && sent == 0 {
                        return;
                    }
                }
                Answer::Refusal(f) => {
                    panic!("a pull was refused: {:?}", f.refused.iter().map(|r| r.code).collect::<Vec<_>>())
                }
            }
        }
        panic!("the pull did not settle");
    }

    /// The record a document holds here.
    pub fn record(&self, id: &DocId) -> Option<Record> {
        self.docs.get(id).and_then(|(d, _)| crdt::read(d, id).ok().flatten())
    }

    /// Ids of the documents of `kind` held here.
    pub fn ids(&self, kind: crdt::DocKind) -> Vec<DocId> {
        self.docs.keys().filter(|d| d.kind() == kind).cloned().collect()
    }

    /// Changes a record as it likes (no rule runs) and commits.
    pub fn edit(&mut self, id: &DocId, f: impl FnOnce(&mut Record)) {
        let mut r = self.record(id).unwrap_or_else(|| panic!("{id} is not here"));
        f(&mut r);
        let (doc, _) = self.docs.get_mut(id).unwrap();
        crdt::write(doc, &r).unwrap();
        doc.commit_with(CommitOptions::default().with_message("hostile".to_string()));
    }

    /// Writes raw Automerge operations into a document and commits.
    pub fn raw(&mut self, id: &DocId, f: impl FnOnce(&mut AutoCommit)) {
        let (doc, _) = self.docs.get_mut(id).unwrap();
        f(doc);
        doc.commit_with(CommitOptions::default().with_message("hostile".to_string()));
    }

    /// Creates a new document holding `record`.
    pub fn create(&mut self, id: &DocId, record: &Record) {
        let mut doc = crdt::genesis(id, crdt::actor_for(&self.device_id)).unwrap();
        crdt::write(&mut doc, record).unwrap();
        doc.commit();
        self.docs.insert(id.clone(), (doc, State::new()));
    }

    /// A copy of the documents, to go back to after a refused push.
    pub fn snapshot(&mut self) -> BTreeMap<DocId, Vec<u8>> {
        self.docs.iter_mut().map(|(id, (d, _))| (id.clone(), d.save())).collect()
    }

    /// Goes back to a snapshot (a hostile app that then behaves).
    pub fn restore(&mut self, snap: &BTreeMap<DocId, Vec<u8>>) {
        self.docs = snap
            .iter()
            .map(|(id, b)| {
                (id.clone(), (AutoCommit::load(b).unwrap().with_actor(crdt::actor_for(&self.device_id)), State::new()))
            })
            .collect();
    }

    /// Pushes `ids` with their whole history, in one frame.
    pub fn push(&mut self, ids: &[&DocId]) -> Outcome {
        self.session += 1;
        let mut entries = Vec::new();
        for id in ids {
            let (doc, _) = self.docs.get_mut(*id).unwrap();
            let mut st = first_contact();
            let m = doc.sync().generate_sync_message(&mut st).unwrap();
            entries.push(Entry { doc: (*id).clone(), message: m });
        }
        match self.exchange(entries) {
            Answer::Response(r) => {
                self.receive(&r);
                Outcome::Accepted
            }
            Answer::Refusal(f) => {
                Outcome::Refused(f.refused.into_iter().map(|r| (r.doc.to_string(), r.code, r.message)).collect())
            }
        }
    }

    /// The document's value at a path of map keys, as text (for checks).
    pub fn text_at(&self, id: &DocId, path: &[&str]) -> Option<String> {
        let (doc, _) = self.docs.get(id)?;
        let mut obj = automerge::ROOT;
        for (i, key) in path.iter().enumerate() {
            let (v, o) = doc.get(&obj, *key).ok()??;
            if i + 1 == path.len() {
                return Some(v.to_string());
            }
            obj = o;
        }
        None
    }
}
