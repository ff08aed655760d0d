//! The hub on PostgreSQL, for several `onsite serve` instances on one
//! database (ADR 12).
//!
//! - Documents are append-only, content-addressed change chunks
//!   (`doc_chunks`); an instance adds the chunk of changes it merged and
//!   never rewrites another's. Writers of one document are serialised by
//!   its row in `documents`, so the projection written last saw every
//!   chunk before it.
//! - The document change sequence is taken from one counter row at the
//!   very end of each writing transaction: numbers follow commit order, so
//!   a device's cursor never skips a change another instance committed
//!   later with a smaller number.
//! - Reference data is published as releases (deltas); each instance
//!   replays them into a local SQLite replica and pages the catalog from it
//!   with the same code as the embedded hub.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use automerge::{ActorId, AutoCommit, ChangeHash};
use chrono::NaiveDate;
use onsite_core::approval_link::LinkKey;
use onsite_core::catalog::Seq;
use onsite_core::crdt::{self, DocId, DocKind, Record};
use onsite_core::devices::{DeviceRecord, NewDevice, TokenSecrets};
use onsite_core::import::{self, Format};
use onsite_core::quote::{CustomerDecision, DiscountPolicy, Order, Quote, QuoteListing, QuoteState};
use onsite_core::release::CatalogDelta;
use onsite_core::store::ImportSummary;
use onsite_core::sync::hub::{HubFacts, HubStorage, handle};
use onsite_core::sync::{DeviceRole, DeviceScope, DocSync, SyncLimits};
use onsite_core::transition::{self, Actor};
use onsite_core::{Store, StoreOptions};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement, Transaction};
use sha2::{Digest, Sha256};

use super::backend::{Backend, Counts, QuoteView};
use crate::error::{Error, Result};

const SCHEMA: &str = include_str!("postgres_schema.sql");
const SCHEMA_VERSION: i32 = 3;
/// From version 1: devices keep their approval-link key.
const UPGRADE_TO_2: &str =
    "ALTER TABLE devices ADD COLUMN IF NOT EXISTS link_key BYTEA; UPDATE hub_meta SET version = 2 WHERE id = 1;";
/// From version 2: quote numbers and orders' quotes as columns, for the
/// transition checks (ADR 17).
const UPGRADE_TO_3: &str = "
    ALTER TABLE documents ADD COLUMN IF NOT EXISTS number TEXT, ADD COLUMN IF NOT EXISTS quote_ref TEXT;
    UPDATE documents SET number = body::json->>'number' WHERE kind = 'quote' AND body IS NOT NULL;
    UPDATE documents SET quote_ref = body::json->>'quote_id' WHERE kind = 'order' AND body IS NOT NULL;
    CREATE INDEX IF NOT EXISTS documents_number ON documents (number) WHERE number IS NOT NULL;
    CREATE INDEX IF NOT EXISTS documents_quote_ref ON documents (quote_ref) WHERE quote_ref IS NOT NULL;
    CREATE TABLE IF NOT EXISTS cost_grants (device_id TEXT PRIMARY KEY);
    UPDATE hub_meta SET version = 3 WHERE id = 1;";
/// Advisory lock keys: schema set-up, catalog publishing.
const LOCK_SCHEMA: i64 = 0x6f6e_7369_7465_0001;
const LOCK_PUBLISH: i64 = 0x6f6e_7369_7465_0002;
/// A document with more chunks than this is compacted when next written.
const COMPACT_AFTER: usize = 32;
/// Attempts for a transaction that hit a deadlock or serialisation failure.
const ATTEMPTS: usize = 4;

/// Statements prepared on one connection, by their SQL (every query is
/// prepared once per connection instead of once per call: half the round
/// trips).
type Statements = HashMap<&'static str, Statement>;

/// A connection and its prepared statements.
struct Pooled {
    client: Client,
    statements: Statements,
}

/// A small blocking connection pool.
struct Pool {
    url: String,
    max: usize,
    state: Mutex<(Vec<Pooled>, usize)>,
    freed: Condvar,
}

struct Conn<'a> {
    pool: &'a Pool,
    inner: Option<Pooled>,
}

impl Conn<'_> {
    fn parts(&mut self) -> (&mut Client, &mut Statements) {
        let p = self.inner.as_mut().unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"));
        (&mut p.client, &mut p.statements)
    }

    fn client(&mut self) -> &mut Client {
        self.parts().0
    }

    /// A prepared statement for `sql` on this connection.
    fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        let (client, statements) = self.parts();
        if let Some(s) = statements.get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql)?;
        statements.insert(sql, s.clone());
        Ok(s)
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let mut st = self.pool.lock();
        match self.inner.take() {
            Some(c) if !c.client.is_closed() => st.0.push(c),
            _ => st.1 -= 1,
        }
        self.pool.freed.notify_one();
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, (Vec<Pooled>, usize)> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self) -> Result<Conn<'_>> {
        let mut st = self.lock();
        loop {
            if let Some(c) = st.0.pop() {
                return Ok(Conn { pool: self, inner: Some(c) });
            }
            if st.1 < self.max {
                st.1 += 1;
                drop(st);
                // A sync is answered after its commit, and the commit is
                // on disk when it returns: `synchronous_commit = on` for
                // every connection, whatever the server's default (ADR 22).
                let connected = Client::connect(&self.url, NoTls)
                    .and_then(|mut c| c.batch_execute("SET synchronous_commit = on").map(|()| c));
                return match connected {
                    Ok(client) => Ok(Conn { pool: self, inner: Some(Pooled { client, statements: HashMap::new() }) }),
                    Err(e) => {
                        self.lock().1 -= 1;
                        Err(e.into())
                    }
                };
            }
            st = self.freed.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// The hub on PostgreSQL.
pub struct PgBackend {
    pool: Pool,
    /// This instance's own Automerge actor (instances never share one).
    actor: ActorId,
    /// A directory of this instance's own for its replicas (removed on drop).
    replica_dir: PathBuf,
    /// Replicas made so far (a rebuild opens a new file beside the old).
    generation: std::sync::atomic::AtomicU32,
    replica: Mutex<Arc<Store>>,
    /// Held while the replica is brought up to date or published from.
    replica_write: Mutex<()>,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend").field("replica_dir", &self.replica_dir).finish_non_exhaustive()
    }
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes)?;
    Ok(z.finish()?)
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).take(1 << 30).read_to_end(&mut out)?;
    Ok(out)
}

fn retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE)
}

/// Applies published releases (each row's first column: a deflated delta)
/// to a replica, in order.
/// A replica holds the catalog with its costs; it is rebuilt from the
/// releases on every start, so it is encrypted with a key that lives only
/// in this process's memory.
fn replica_options() -> Result<StoreOptions> {
    Ok(StoreOptions { key: Some(onsite_core::StoreKey::generate()?), ..StoreOptions::default() })
}

fn apply_releases(replica: &Store, rows: &[Row]) -> Result<()> {
    for r in rows {
        let delta: CatalogDelta = serde_json::from_slice(&inflate(r.get::<_, &[u8]>(0))?)?;
        replica.apply_catalog_delta(&delta)?;
    }
    Ok(())
}

impl PgBackend {
    /// Connects (at most `pool` connections), creates the schema in an
    /// empty database, and builds the catalog replica from the releases.
    pub fn open(url: &str, pool: usize) -> Result<PgBackend> {
        let pool =
            Pool { url: url.to_string(), max: pool.max(2), state: Mutex::new((Vec::new(), 0)), freed: Condvar::new() };
        {
            let mut c = pool.get()?;
            let mut tx = c.client().transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_SCHEMA])?;
            let exists: bool = tx.query_one("SELECT to_regclass('hub_meta') IS NOT NULL", &[])?.get(0);
            if !exists {
                tx.batch_execute(SCHEMA)?;
            }
            let mut version: i32 = tx.query_one("SELECT version FROM hub_meta WHERE id = 1", &[])?.get(0);
            if version == 1 {
                tx.batch_execute(UPGRADE_TO_2)?;
                version = 2;
            }
            if version == 2 {
                tx.batch_execute(UPGRADE_TO_3)?;
                version = 3;
            }
            if version > SCHEMA_VERSION {
                return Err(Error::Config(format!(
                    "the PostgreSQL database has hub schema version {version}, newer than the {SCHEMA_VERSION} this build knows"
                )));
            }
            tx.commit()?;
            // `fsync` is the server's to set, not a session's: say so when
            // it is off (the test command's throwaway cluster runs so).
            let fsync: String = c.client().query_one("SHOW fsync", &[])?.get(0);
            if fsync != "on" {
                crate::log::line("warn", "PostgreSQL runs with fsync = off: answered syncs do not survive a power cut");
            }
        }
        let instance = uuid::Uuid::new_v4().to_string();
        let replica_dir = std::env::temp_dir().join(format!("onsite-replica-{instance}"));
        std::fs::create_dir_all(&replica_dir)?;
        let first = Store::open(replica_dir.join("replica-0.sqlite"), replica_options()?)?;
        let backend = PgBackend {
            pool,
            actor: crdt::actor_for(&instance),
            replica_dir,
            generation: std::sync::atomic::AtomicU32::new(0),
            replica: Mutex::new(Arc::new(first)),
            replica_write: Mutex::new(()),
        };
        let mut c = backend.pool.get()?;
        backend.catch_up(&mut c)?;
        drop(c);
        Ok(backend)
    }

    fn replica(&self) -> Arc<Store> {
        self.replica.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The replica, first brought up to date if a newer release exists (a
    /// one-row query on the request's own connection; the replica lock is
    /// taken only when there is something to replay).
    fn current_replica(&self, c: &mut Conn<'_>) -> Result<Arc<Store>> {
        let replica = self.replica();
        let st = c.statement("SELECT coalesce(max(seq), 0) FROM catalog_releases")?;
        let latest: i64 = c.client().query_one(&st, &[])?.get(0);
        if latest <= replica.catalog_seq()? {
            return Ok(replica);
        }
        self.catch_up(c)
    }

    /// Replays releases newer than the replica's sequence.
    fn catch_up(&self, c: &mut Conn<'_>) -> Result<Arc<Store>> {
        let _w = self.replica_write.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let replica = self.replica();
        let st = c.statement("SELECT delta FROM catalog_releases WHERE seq > $1 ORDER BY seq")?;
        let rows = c.client().query(&st, &[&replica.catalog_seq()?])?;
        apply_releases(&replica, &rows)?;
        Ok(replica)
    }

    /// Replaces the replica by a new one built from all releases (after a
    /// failed publish left it ahead of the database). The old file stays
    /// until the instance stops: requests may still be reading it.
    fn rebuild_replica(&self, c: &mut Conn<'_>) -> Result<()> {
        let n = self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let fresh = Store::open(self.replica_dir.join(format!("replica-{n}.sqlite")), replica_options()?)?;
        let st = c.statement("SELECT delta FROM catalog_releases ORDER BY seq")?;
        apply_releases(&fresh, &c.client().query(&st, &[])?)?;
        *self.replica.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(fresh);
        Ok(())
    }

    /// Imports into the replica and publishes the delta as one release,
    /// under a database-wide lock so releases form one chain.
    fn publish(&self, change: impl FnOnce(&Store) -> onsite_core::Result<()>) -> Result<Seq> {
        let _w = self.replica_write.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut c = self.pool.get()?;
        let result = (|| -> Result<Seq> {
            let mut tx = c.client().transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_PUBLISH])?;
            let replica = self.replica();
            let newer =
                tx.query("SELECT delta FROM catalog_releases WHERE seq > $1 ORDER BY seq", &[&replica.catalog_seq()?])?;
            apply_releases(&replica, &newer)?;
            let before = replica.catalog_seq()?;
            change(&replica)?;
            let after = replica.catalog_seq()?;
            if after > before {
                let delta = replica.catalog_changes_since(before)?;
                tx.execute(
                    "INSERT INTO catalog_releases (seq, since, delta) VALUES ($1, $2, $3)",
                    &[&after, &before, &deflate(&serde_json::to_vec(&delta)?)?],
                )?;
            }
            tx.commit()?;
            Ok(after)
        })();
        if result.is_err() {
            // The replica may hold what the database refused: start it over.
            self.rebuild_replica(&mut c)?;
        }
        result
    }

    /// Changes one quote (and its discount request, which lives in its own
    /// document) as the hub's own actor, under the documents' row locks;
    /// saves what `f` changed (also when `f` failed, so a quote found
    /// expired is stored as expired) after the transition rules that hold
    /// for everyone, and returns `f`'s outcome.
    fn modify_quote<E>(
        &self,
        quote_id: &str,
        message: &str,
        mut f: impl FnMut(&mut Quote) -> std::result::Result<(), E>,
    ) -> Result<(Quote, std::result::Result<(), E>)> {
        let id = DocId::quote(quote_id);
        let did = DocId::discount(quote_id);
        let actor = self.actor.clone();
        let corrupt = |e: crdt::DocError| onsite_core::Error::Corrupt { what: "quote", reason: e.to_string() };
        self.with_hub(|hub| {
            hub.lock_doc(&id)?;
            hub.lock_doc(&did)?;
            let Some(doc) = hub.load_doc(&id)? else {
                return Err(onsite_core::Error::not_found("quote", quote_id));
            };
            let mut doc = doc.with_actor(actor.clone());
            let Some(Record::Quote(before)) = crdt::read(&doc, &id).map_err(corrupt)? else {
                return Err(onsite_core::Error::not_found("quote", quote_id));
            };
            let ddoc = hub.load_doc(&did)?;
            let dbefore = match &ddoc {
                Some(d) => crdt::read(d, &did).map_err(corrupt)?,
                None => None,
            };
            let mut q = (*before).clone();
            if let Some(Record::Discount(d)) = &dbefore {
                q.discount_request = Some(d.request.clone());
            }
            let outcome = f(&mut q);
            let commit = |doc: &mut AutoCommit| {
                doc.commit_with(
                    automerge::transaction::CommitOptions::default()
                        .with_message(message.to_string())
                        .with_time(chrono::Utc::now().timestamp()),
                );
            };
            if let Some(request) = &q.discount_request {
                let after = Record::Discount(Box::new(crdt::DiscountRecord {
                    quote_id: q.id.clone(),
                    account_id: q.account_id.clone(),
                    request: request.clone(),
                }));
                if dbefore.as_ref() != Some(&after) {
                    let found =
                        transition::check(&Actor::LOCAL, &did, dbefore.as_ref(), Some(&after), &mut HubFacts(hub))?;
                    if let Some(r) = found {
                        return Err(onsite_core::Error::Refused(Box::new(r)));
                    }
                    let mut dd = match ddoc {
                        Some(d) => d.with_actor(actor.clone()),
                        None => crdt::genesis(&did, actor.clone()).map_err(corrupt)?,
                    };
                    crdt::write(&mut dd, &after).map_err(corrupt)?;
                    commit(&mut dd);
                    hub.save_doc(&did, &mut dd)?;
                }
            }
            let mut bare = q.clone();
            bare.discount_request = None;
            if bare != *before {
                let (b, a) = (Record::Quote(before), Record::Quote(Box::new(bare)));
                if let Some(r) = transition::check(&Actor::LOCAL, &id, Some(&b), Some(&a), &mut HubFacts(hub))? {
                    return Err(onsite_core::Error::Refused(Box::new(r)));
                }
                crdt::write(&mut doc, &a).map_err(corrupt)?;
                commit(&mut doc);
                hub.save_doc(&id, &mut doc)?;
            }
            Ok((q, outcome))
        })
    }

    /// Runs `f` in a transaction, retrying deadlocks and serialisation
    /// failures.
    fn with_hub<T>(&self, mut f: impl FnMut(&mut PgHub<'_, '_>) -> onsite_core::Result<T>) -> Result<T> {
        let mut c = self.pool.get()?;
        let replica = self.current_replica(&mut c)?;
        let (client, statements) = c.parts();
        for attempt in 1..=ATTEMPTS {
            let mut tx = client.transaction()?;
            let mut hub = PgHub::new(&mut tx, statements, &replica, &self.actor);
            let out = f(&mut hub).and_then(|v| hub.finish().map(|()| v));
            let pg_error = hub.error.take();
            match out {
                Ok(v) => match tx.commit() {
                    Ok(()) => return Ok(v),
                    Err(e) if retryable(&e) && attempt < ATTEMPTS => continue,
                    Err(e) => return Err(e.into()),
                },
                Err(e) => {
                    drop(tx);
                    match pg_error {
                        Some(pg) if retryable(&pg) && attempt < ATTEMPTS => continue,
                        Some(pg) => return Err(pg.into()),
                        None => return Err(e.into()),
                    }
                }
            }
        }
        Err(onsite_core::Error::Backend("gave up after repeated deadlocks".into()).into())
    }
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.replica_dir);
    }
}

/// [`HubStorage`] on one PostgreSQL transaction.
struct PgHub<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    statements: &'t mut Statements,
    replica: &'t Store,
    actor: &'t ActorId,
    /// Heads and chunk hashes of each document as loaded.
    loaded: HashMap<DocId, (Vec<ChangeHash>, Vec<Vec<u8>>)>,
    /// Rows inserted only to lock a new document.
    placeholders: HashSet<DocId>,
    /// Documents saved in this transaction (they get sequence numbers at
    /// the end).
    changed: Vec<DocId>,
    /// The PostgreSQL error behind a failed call (to tell retryable ones).
    error: Option<postgres::Error>,
    /// The hub's clock for the transition rules (`None`: the real one).
    now: Option<onsite_core::ids::Timestamp>,
}

impl<'t, 'c> PgHub<'t, 'c> {
    fn new(
        tx: &'t mut Transaction<'c>,
        statements: &'t mut Statements,
        replica: &'t Store,
        actor: &'t ActorId,
    ) -> Self {
        PgHub {
            tx,
            statements,
            replica,
            actor,
            loaded: HashMap::new(),
            placeholders: HashSet::new(),
            changed: Vec::new(),
            error: None,
            now: None,
        }
    }

    fn pg(&mut self, e: postgres::Error) -> onsite_core::Error {
        let text = e.to_string();
        self.error = Some(e);
        onsite_core::Error::Backend(text)
    }

    fn statement(&mut self, sql: &'static str) -> onsite_core::Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let r = self.tx.prepare(sql);
        let s = r.map_err(|e| self.pg(e))?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn exec(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<u64> {
        let s = self.statement(sql)?;
        let r = self.tx.execute(&s, params);
        r.map_err(|e| self.pg(e))
    }

    fn rows(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Vec<Row>> {
        let s = self.statement(sql)?;
        let r = self.tx.query(&s, params);
        r.map_err(|e| self.pg(e))
    }

    fn one(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Row> {
        let s = self.statement(sql)?;
        let r = self.tx.query_one(&s, params);
        r.map_err(|e| self.pg(e))
    }

    fn opt(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> onsite_core::Result<Option<Row>> {
        let s = self.statement(sql)?;
        let r = self.tx.query_opt(&s, params);
        r.map_err(|e| self.pg(e))
    }

    /// Numbers the changed documents, in commit order, and drops unused
    /// placeholders.
    fn finish(&mut self) -> onsite_core::Result<()> {
        let changed = std::mem::take(&mut self.changed);
        let placeholders: Vec<DocId> = self.placeholders.drain().filter(|p| !changed.contains(p)).collect();
        for id in placeholders {
            let r = self.exec("DELETE FROM documents WHERE doc_id = $1 AND seq = 0", &[&id.as_str()]);
            r?;
        }
        if changed.is_empty() {
            return Ok(());
        }
        let n = changed.len() as i64;
        let r = self.one("UPDATE hub_meta SET doc_seq = doc_seq + $1 WHERE id = 1 RETURNING doc_seq", &[&n]);
        let last: i64 = r?.get(0);
        for (i, id) in changed.iter().enumerate() {
            let seq = last - n + 1 + i as i64;
            let r = self.exec("UPDATE documents SET seq = $2 WHERE doc_id = $1", &[&id.as_str(), &seq]);
            r?;
        }
        Ok(())
    }

    fn load(&mut self, id: &DocId) -> onsite_core::Result<Option<AutoCommit>> {
        let rows = self
            .rows("SELECT hash, bytes FROM doc_chunks WHERE doc_id = $1 ORDER BY created_at, hash", &[&id.as_str()])?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut doc = AutoCommit::new();
        let mut hashes = Vec::with_capacity(rows.len());
        for row in rows {
            let bytes: Vec<u8> = row.get(1);
            doc.load_incremental(&bytes)
                .map_err(|e| onsite_core::Error::Corrupt { what: "document chunk", reason: format!("{id}: {e}") })?;
            hashes.push(row.get(0));
        }
        self.loaded.insert(id.clone(), (doc.get_heads(), hashes));
        Ok(Some(doc))
    }

    fn project(&mut self, id: &DocId, doc: &AutoCommit) -> onsite_core::Result<()> {
        let record =
            crdt::read(doc, id).map_err(|e| onsite_core::Error::Corrupt { what: "document", reason: e.to_string() })?;
        let (account, state, body, number, quote_ref) = match &record {
            Some(Record::Quote(q)) => {
                let mut q = (**q).clone();
                q.discount_request = self.discount_of(&q.id)?;
                (
                    q.account_id.clone(),
                    Some(q.state.as_str().to_string()),
                    Some(body_of(&q)?),
                    Some(q.number.clone()),
                    None,
                )
            }
            Some(Record::Order(o)) => {
                (o.account_id.clone(), None, Some(body_of(o.as_ref())?), None, o.quote_id.clone())
            }
            Some(r) => (r.account_id().to_string(), None, None, None, None),
            None => (String::new(), None, None, None, None),
        };
        let r = self.exec(
            "INSERT INTO documents (doc_id, kind, account_id, seq, state, body, number, quote_ref)
             VALUES ($1, $2, $3, 0, $4, $5, $6, $7)
             ON CONFLICT (doc_id) DO UPDATE SET account_id = excluded.account_id, state = excluded.state,
               body = excluded.body, number = excluded.number, quote_ref = excluded.quote_ref, updated_at = now()",
            &[&id.as_str(), &id.kind().as_str(), &account, &state, &body, &number, &quote_ref],
        );
        r?;
        // The quote's projection shows its discount request.
        if let Some(Record::Discount(d)) = &record {
            let qid = DocId::quote(&d.quote_id);
            if let Some(qdoc) = self.load(&qid)?
                && let Ok(Some(Record::Quote(q))) = crdt::read(&qdoc, &qid)
            {
                let mut q = *q;
                q.discount_request = Some(d.request.clone());
                let body = body_of(&q)?;
                let r = self.exec("UPDATE documents SET body = $2 WHERE doc_id = $1", &[&qid.as_str(), &body]);
                r?;
            }
        }
        Ok(())
    }

    fn discount_of(&mut self, quote_id: &str) -> onsite_core::Result<Option<onsite_core::quote::DiscountRequest>> {
        let did = DocId::discount(quote_id);
        Ok(match self.load(&did)? {
            Some(doc) => match crdt::read(&doc, &did) {
                Ok(Some(Record::Discount(d))) => Some(d.request),
                _ => None,
            },
            None => None,
        })
    }

    /// A customer's account's group, from its document.
    fn group_of(&mut self, account_id: &str) -> onsite_core::Result<Option<String>> {
        let id = DocId::account(account_id);
        if let Some(doc) = self.load(&id)?
            && let Ok(Some(Record::Account(a))) = crdt::read(&doc, &id)
        {
            return Ok(a.account.customer_group);
        }
        Ok(None)
    }
}

/// A projection body.
fn body_of<T: serde::Serialize>(v: &T) -> onsite_core::Result<String> {
    serde_json::to_string(v).map_err(|e| onsite_core::Error::Backend(e.to_string()))
}

impl HubStorage for PgHub<'_, '_> {
    fn hub_actor(&mut self) -> onsite_core::Result<ActorId> {
        Ok(self.actor.clone())
    }

    fn peer_round(&mut self, device_id: &str) -> onsite_core::Result<Option<(u64, u64)>> {
        // Locks the device's row: one device's requests run one at a time,
        // whichever instance they reach.
        let r = self.exec(
            "INSERT INTO sync_peers (device_id, session, round) VALUES ($1, 0, 0) ON CONFLICT DO NOTHING",
            &[&device_id],
        );
        r?;
        let r = self.one("SELECT session, round FROM sync_peers WHERE device_id = $1 FOR UPDATE", &[&device_id]);
        let row = r?;
        let (s, n): (i64, i64) = (row.get(0), row.get(1));
        Ok((s, n) != (0, 0)).map(|known| known.then_some((s as u64, n as u64)))
    }

    fn set_peer_round(&mut self, device_id: &str, session: u64, round: u64) -> onsite_core::Result<()> {
        let r = self.exec(
            "UPDATE sync_peers SET session = $2, round = $3 WHERE device_id = $1",
            &[&device_id, &(session as i64), &(round as i64)],
        );
        r?;
        Ok(())
    }

    fn lock_doc(&mut self, id: &DocId) -> onsite_core::Result<()> {
        let r = self.exec(
            "INSERT INTO documents (doc_id, kind, account_id, seq) VALUES ($1, $2, '', 0) ON CONFLICT DO NOTHING",
            &[&id.as_str(), &id.kind().as_str()],
        );
        if r? > 0 {
            self.placeholders.insert(id.clone());
        }
        let r = self.exec("SELECT 1 FROM documents WHERE doc_id = $1 FOR UPDATE", &[&id.as_str()]);
        r?;
        Ok(())
    }

    fn load_doc(&mut self, id: &DocId) -> onsite_core::Result<Option<AutoCommit>> {
        self.load(id)
    }

    fn doc_account(&mut self, id: &DocId) -> onsite_core::Result<Option<String>> {
        let r = self.opt("SELECT account_id FROM documents WHERE doc_id = $1", &[&id.as_str()]);
        Ok(r?.map(|row| row.get::<_, String>(0)).filter(|a| !a.is_empty()))
    }

    fn save_doc(&mut self, id: &DocId, doc: &mut AutoCommit) -> onsite_core::Result<()> {
        let (heads, hashes) = self.loaded.get(id).cloned().unwrap_or_default();
        let compact = hashes.len() >= COMPACT_AFTER;
        let chunk = if compact { doc.save() } else { doc.save_after(&heads) };
        let hash = Sha256::digest(&chunk).to_vec();
        let r = self.exec(
            "INSERT INTO doc_chunks (doc_id, hash, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id.as_str(), &hash, &chunk],
        );
        r?;
        if compact {
            // The snapshot holds every change of the chunks read: drop
            // exactly those (the document's row lock keeps writers out).
            let old: Vec<Vec<u8>> = hashes.into_iter().filter(|h| *h != hash).collect();
            let r = self.exec("DELETE FROM doc_chunks WHERE doc_id = $1 AND hash = ANY($2)", &[&id.as_str(), &old]);
            r?;
            self.loaded.insert(id.clone(), (doc.get_heads(), vec![hash]));
        } else {
            let mut all = hashes;
            all.push(hash);
            self.loaded.insert(id.clone(), (doc.get_heads(), all));
        }
        self.project(id, doc)?;
        if !self.changed.contains(id) {
            self.changed.push(id.clone());
        }
        Ok(())
    }

    fn sync_state(&mut self, device_id: &str, id: &DocId, session: u64) -> onsite_core::Result<DocSync> {
        let r = self.opt(
            "SELECT session, state, queued FROM sync_docs WHERE device_id = $1 AND doc_id = $2",
            &[&device_id, &id.as_str()],
        );
        match r? {
            None => Ok(DocSync::first_contact()),
            Some(row) => {
                let stored: i64 = row.get(0);
                let state: Vec<u8> = row.get(1);
                let queued: Option<Vec<u8>> = row.get(2);
                DocSync::from_stored(stored as u64, &state, queued.unwrap_or_default(), session)
                    .map_err(|e| onsite_core::Error::Corrupt { what: "sync state", reason: e.to_string() })
            }
        }
    }

    fn set_sync_state(&mut self, device_id: &str, id: &DocId, session: u64, sync: &DocSync) -> onsite_core::Result<()> {
        let queued = (!sync.queued.is_empty()).then_some(&sync.queued);
        let r = self.exec(
            "INSERT INTO sync_docs (device_id, doc_id, session, state, queued) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (device_id, doc_id) DO UPDATE SET session = excluded.session, state = excluded.state,
               queued = excluded.queued",
            &[&device_id, &id.as_str(), &(session as i64), &sync.state_bytes(), &queued],
        );
        r?;
        Ok(())
    }

    fn docs_changed_since(
        &mut self,
        cursor: u64,
        scope: &DeviceScope,
        limit: usize,
    ) -> onsite_core::Result<Vec<(DocId, u64)>> {
        let accounts: Option<Vec<String>> = scope.accounts.as_ref().map(|a| a.iter().cloned().collect());
        let kinds: Option<Vec<String>> = (scope.role == DeviceRole::Customer).then(|| {
            [DocKind::Account, DocKind::Quote, DocKind::Order].iter().map(|k| k.as_str().to_string()).collect()
        });
        let r = self.rows(
            "SELECT doc_id, seq FROM documents
             WHERE seq > $1 AND account_id <> '' AND ($2::text[] IS NULL OR account_id = ANY($2))
               AND ($3::text[] IS NULL OR kind = ANY($3))
             ORDER BY seq LIMIT $4",
            &[&(cursor as i64), &accounts, &kinds, &(limit.min(i64::MAX as usize) as i64)],
        );
        let rows = r?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push((DocId::parse(row.get::<_, &str>(0))?, row.get::<_, i64>(1) as u64));
        }
        Ok(out)
    }

    fn doc_cursor(&mut self) -> onsite_core::Result<u64> {
        let r = self.one("SELECT doc_seq FROM hub_meta WHERE id = 1", &[]);
        Ok(r?.get::<_, i64>(0) as u64)
    }

    fn catalog_seq(&mut self) -> onsite_core::Result<Seq> {
        self.replica.catalog_seq()
    }

    fn catalog_page(
        &mut self,
        since: Seq,
        after: Option<(Seq, i64)>,
        limit: usize,
        scope: &DeviceScope,
    ) -> onsite_core::Result<(CatalogDelta, Option<(Seq, i64)>)> {
        let group = match scope.customer() {
            Some(c) => self.group_of(c)?,
            None => None,
        };
        self.replica.catalog_page(since, after, limit, &scope.audience(group.as_deref()))
    }

    fn costs_sent(&mut self, device_id: &str) -> onsite_core::Result<bool> {
        let r = self.opt("SELECT 1 FROM cost_grants WHERE device_id = $1", &[&device_id]);
        Ok(r?.is_some())
    }

    fn set_costs_sent(&mut self, device_id: &str) -> onsite_core::Result<()> {
        let r = self.exec("INSERT INTO cost_grants (device_id) VALUES ($1) ON CONFLICT DO NOTHING", &[&device_id]);
        r.map(|_| ())
    }

    fn all_costs(&mut self) -> onsite_core::Result<Vec<onsite_core::catalog::ProductCost>> {
        self.replica.product_costs()
    }

    fn has_sync_state(&mut self, device_id: &str, id: &DocId) -> onsite_core::Result<bool> {
        let r = self.opt("SELECT 1 FROM sync_docs WHERE device_id = $1 AND doc_id = $2", &[&device_id, &id.as_str()]);
        Ok(r?.is_some())
    }

    fn policy(&mut self) -> onsite_core::Result<DiscountPolicy> {
        self.replica.discount_policy()
    }

    fn cost(&mut self, sku: &str) -> onsite_core::Result<Option<rust_decimal::Decimal>> {
        self.replica.product_cost(sku)
    }

    fn current_price(
        &mut self,
        account_id: &str,
        line: &onsite_core::quote::QuoteLine,
        day: NaiveDate,
        currency: onsite_core::money::Currency,
    ) -> onsite_core::Result<Option<rust_decimal::Decimal>> {
        let group = self.group_of(account_id)?;
        self.replica.current_unit_price(account_id, group.as_deref(), line, day, currency)
    }

    fn number_holder(&mut self, number: &str) -> onsite_core::Result<Option<String>> {
        let r = self.opt(
            "SELECT doc_id FROM documents WHERE number = $1 AND kind = 'quote' ORDER BY doc_id LIMIT 1",
            &[&number],
        );
        Ok(r?.and_then(|row| DocId::parse(row.get::<_, &str>(0)).ok()).map(|id| id.key().to_string()))
    }

    fn order_of_quote(&mut self, quote_id: &str) -> onsite_core::Result<Option<String>> {
        let r = self.opt(
            "SELECT doc_id FROM documents WHERE quote_ref = $1 AND kind = 'order' ORDER BY doc_id LIMIT 1",
            &[&quote_id],
        );
        Ok(r?.and_then(|row| DocId::parse(row.get::<_, &str>(0)).ok()).map(|id| id.key().to_string()))
    }

    fn now(&mut self) -> onsite_core::ids::Timestamp {
        self.now.unwrap_or_else(chrono::Utc::now)
    }
}

const DEVICE_COLS: &str = "device_id, person, role, account_id, label, created_at, revoked_at, last_seen_at";

fn device_from(row: &postgres::Row) -> Result<DeviceRecord> {
    let role: String = row.get(2);
    Ok(DeviceRecord {
        device_id: row.get(0),
        person: row.get(1),
        role: DeviceRole::parse(&role).ok_or_else(|| onsite_core::Error::Corrupt {
            what: "device role",
            reason: format!("unknown role {role:?}"),
        })?,
        account_id: row.get(3),
        label: row.get(4),
        created_at: row.get(5),
        revoked_at: row.get(6),
        last_seen_at: row.get(7),
    })
}

fn listing(body: &str) -> Result<QuoteListing> {
    let q: Quote = serde_json::from_str(body)?;
    Ok(QuoteListing::of(&q).map_err(onsite_core::Error::from)?)
}

impl Backend for PgBackend {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn check(&self) -> Result<()> {
        self.pool.get()?.client().query_one("SELECT 1", &[])?;
        Ok(())
    }

    fn authenticate(&self, token_hash: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        let mut c = self.pool.get()?;
        let st = c.statement(
            "SELECT device_id, person, role, account_id, label, created_at, revoked_at, last_seen_at
             FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
        )?;
        let row = c.client().query_opt(&st, &[&&token_hash[..]])?;
        let Some(mut device) = row.as_ref().map(device_from).transpose()? else { return Ok(None) };
        // The last-seen note is written at most once a minute per device.
        let now = chrono::Utc::now();
        let stale = device.seen_note_stale(now);
        if stale {
            let at = now.to_rfc3339();
            let n = c.client().execute(
                "UPDATE devices SET last_seen_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
                &[&device.device_id, &at],
            )?;
            if n == 0 {
                return Ok(None);
            }
            device.last_seen_at = Some(at);
        }
        Ok(Some(device))
    }

    fn scope(&self, device: &DeviceRecord) -> Result<DeviceScope> {
        let assigned = match device.role {
            DeviceRole::Rep => {
                let mut c = self.pool.get()?;
                let st = c.statement("SELECT account_id FROM assignments WHERE rep = $1")?;
                c.client().query(&st, &[&device.person])?.iter().map(|r| r.get::<_, String>(0)).collect()
            }
            DeviceRole::Admin | DeviceRole::Customer => BTreeSet::new(),
        };
        Ok(DeviceScope::for_device(device, assigned))
    }

    fn sync(
        &self,
        scope: &DeviceScope,
        request: &[u8],
        limits: &SyncLimits,
        now: Option<onsite_core::ids::Timestamp>,
    ) -> Result<Vec<u8>> {
        self.with_hub(|hub| {
            hub.now = now;
            handle(hub, scope, request, limits)
        })
    }

    fn register_device(&self, device_id: &str, new: &NewDevice, secrets: &TokenSecrets) -> Result<DeviceRecord> {
        new.validate().map_err(onsite_core::Error::from)?;
        let mut c = self.pool.get()?;
        let row = c.client().query_one(
            &format!(
                "INSERT INTO devices (device_id, person, role, account_id, label, token_hash, created_at, link_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {DEVICE_COLS}"
            ),
            &[
                &device_id,
                &new.person.trim(),
                &new.role.as_str(),
                &new.account_id,
                &new.label,
                &&secrets.hash[..],
                &chrono::Utc::now().to_rfc3339(),
                &&secrets.link_key.0[..],
            ],
        )?;
        device_from(&row)
    }

    fn device_link_key(&self, device_id: &str) -> Result<Option<(DeviceRecord, Option<LinkKey>)>> {
        let mut c = self.pool.get()?;
        let row = c
            .client()
            .query_opt(&format!("SELECT {DEVICE_COLS}, link_key FROM devices WHERE device_id = $1"), &[&device_id])?;
        let Some(row) = row else { return Ok(None) };
        let key: Option<Vec<u8>> = row.get(8);
        Ok(Some((device_from(&row)?, key.as_deref().and_then(LinkKey::from_bytes))))
    }

    fn quote_view(&self, quote_id: &str) -> Result<Option<QuoteView>> {
        let qid = DocId::quote(quote_id);
        let found = self.with_hub(|hub| {
            let Some(doc) = hub.load_doc(&qid)? else { return Ok(None) };
            let Some(Record::Quote(q)) = crdt::read(&doc, &qid)
                .map_err(|e| onsite_core::Error::Corrupt { what: "quote", reason: e.to_string() })?
            else {
                return Ok(None);
            };
            let aid = DocId::account(&q.account_id);
            let account = match hub.load_doc(&aid)? {
                Some(doc) => crdt::read(&doc, &aid)
                    .map_err(|e| onsite_core::Error::Corrupt { what: "account", reason: e.to_string() })?,
                None => None,
            };
            let Some(Record::Account(a)) = account else {
                return Err(onsite_core::Error::not_found("account", q.account_id.clone()));
            };
            Ok(Some((*q, *a)))
        })?;
        let Some((quote, record)) = found else { return Ok(None) };
        let contact = quote.contact_id.as_ref().and_then(|id| record.contacts.iter().find(|c| &c.id == id).cloned());
        let items = self.replica().content_items()?;
        let value_arguments = quote
            .value_arguments
            .iter()
            .filter_map(|id| items.iter().find(|c| &c.id == id).map(|c| c.title.clone()))
            .collect();
        Ok(Some(QuoteView { quote, account: record.account, contact, value_arguments }))
    }

    fn customer_decision(&self, quote_id: &str, decision: CustomerDecision, today: NaiveDate) -> Result<Quote> {
        // The quote is saved even when the decision fails, so an expired
        // quote is stored as expired (as on the embedded hub).
        let (quote, outcome) =
            self.modify_quote(quote_id, "customer decision via web link", |q| q.decide(decision.clone(), today))?;
        outcome.map_err(onsite_core::Error::from)?;
        Ok(quote)
    }

    fn revoke_device(&self, device_id: &str) -> Result<DeviceRecord> {
        let mut c = self.pool.get()?;
        c.client().execute(
            "UPDATE devices SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
            &[&device_id, &chrono::Utc::now().to_rfc3339()],
        )?;
        match c.client().query_opt(&format!("SELECT {DEVICE_COLS} FROM devices WHERE device_id = $1"), &[&device_id])? {
            Some(row) => device_from(&row),
            None => Err(onsite_core::Error::not_found("device", device_id).into()),
        }
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>> {
        let mut c = self.pool.get()?;
        c.client()
            .query(&format!("SELECT {DEVICE_COLS} FROM devices ORDER BY created_at DESC, device_id"), &[])?
            .iter()
            .map(device_from)
            .collect()
    }

    fn assign(&self, rep: &str, add: &[String], remove: &[String]) -> Result<BTreeSet<String>> {
        if rep.trim().is_empty() {
            return Err(onsite_core::Error::validation("rep", "must not be empty").into());
        }
        let mut newly = Vec::new();
        let accounts = self.with_hub(|hub| {
            hub.exec("DELETE FROM assignments WHERE rep = $1 AND account_id = ANY($2)", &[&rep, &remove])?;
            let mut added = Vec::new();
            for a in add {
                let sql = "INSERT INTO assignments (rep, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
                if hub.exec(sql, &[&rep, a])? > 0 {
                    added.push(a.clone());
                }
            }
            // Newly visible documents are renumbered with the transaction's
            // other changes, so the rep's devices are offered them.
            let sql = "SELECT doc_id FROM documents WHERE account_id = ANY($1) AND seq > 0 ORDER BY seq";
            for row in hub.rows(sql, &[&added])? {
                hub.changed.push(DocId::parse(row.get::<_, &str>(0))?);
            }
            let rows = hub.rows("SELECT account_id FROM assignments WHERE rep = $1", &[&rep])?;
            newly.clone_from(&added);
            Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
        })?;
        // Reps receive only their accounts' own price lists: publish the
        // new accounts' lists again, so the rep's devices get them.
        if !newly.is_empty() {
            self.publish(|replica| replica.republish_price_lists(&newly).map(|_| ()))?;
        }
        Ok(accounts)
    }

    fn publish_catalog(&self, bytes: &[u8], format: Format) -> Result<ImportSummary> {
        let mut summary = None;
        self.publish(|replica| {
            summary = Some(replica.import_catalog(import::parse(bytes, format), &mut |_| {})?);
            Ok(())
        })?;
        summary.ok_or_else(|| onsite_core::Error::Backend("the import did not run".into()).into())
    }

    fn publish_policy(&self, policy: &DiscountPolicy) -> Result<Seq> {
        self.publish(|replica| replica.set_discount_policy(policy))
    }

    fn quotes(&self, state: Option<QuoteState>, pending_discount: bool) -> Result<Vec<QuoteListing>> {
        let mut c = self.pool.get()?;
        let state = state.map(QuoteState::as_str);
        let rows = c.client().query(
            "SELECT body FROM documents WHERE kind = 'quote' AND body IS NOT NULL AND ($1::text IS NULL OR state = $1)
             ORDER BY updated_at DESC, doc_id",
            &[&state],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let l = listing(r.get(0))?;
            if !pending_discount || l.discount_pending() {
                out.push(l);
            }
        }
        Ok(out)
    }

    fn decide_discount(&self, quote_id: &str, approved: bool, by: &str) -> Result<QuoteListing> {
        let (quote, outcome) = self.modify_quote(quote_id, "decide discount", |q| {
            q.decide_discount(approved, by.to_string(), chrono::Utc::now())
        })?;
        outcome.map_err(onsite_core::Error::from)?;
        Ok(QuoteListing::of(&quote).map_err(onsite_core::Error::from)?)
    }

    fn orders(&self, account_id: Option<&str>) -> Result<Vec<Order>> {
        let mut c = self.pool.get()?;
        let rows = c.client().query(
            "SELECT body FROM documents WHERE kind = 'order' AND body IS NOT NULL AND ($1::text IS NULL OR account_id = $1)
             ORDER BY updated_at DESC, doc_id",
            &[&account_id],
        )?;
        rows.iter().map(|r| Ok(serde_json::from_str(r.get(0))?)).collect()
    }

    fn counts(&self) -> Result<Counts> {
        let mut c = self.pool.get()?;
        let row = c
            .client()
            .query_one("SELECT (SELECT count(*) FROM documents WHERE seq > 0), (SELECT count(*) FROM devices)", &[])?;
        Ok(Counts {
            documents: row.get::<_, i64>(0) as u64,
            devices: row.get::<_, i64>(1) as u64,
            catalog_seq: self.replica().catalog_seq()?,
        })
    }
}
