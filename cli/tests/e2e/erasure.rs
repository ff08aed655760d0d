//! Forgetting a person through the hub (ADR 24), on SQLite and on
//! PostgreSQL: `onsite admin person export` shows everything held on them,
//! `onsite admin person erase` removes it; afterwards their name, e-mail and
//! phone are in none of the hub's files (the SQLite database and its WAL;
//! `pg_dump` of the PostgreSQL database) and in no device's files after its
//! next sync, a tablet that was offline brings nothing back, a client that
//! writes the person's document itself is told to delete it, and the rest
//! of the account keeps syncing.

use std::process::Command;

use automerge::sync::SyncDoc;
use onsite_cli::client::HubClient;
use onsite_core::account::{BuyingRole, Contact};
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::crdt::{DocId, PersonRecord, Record};
use onsite_core::sync::frame::{Answer, Entry};
use onsite_core::{Store, StoreOptions};
use serde_json::Value;

use super::common::hostile::Hostile;
use super::common::*;

on_both_backends!(an_erased_person_is_in_no_file_of_the_hub_or_the_devices,);

const NEEDLES: [&str; 5] = ["Quarkwitz", "quarkwitz", "Hildegard", "h.quarkwitz@beispiel-werke.de", "+49 911 4455667"];

/// A rep's device with an unencrypted store, so its raw files can be
/// searched (devices encrypt theirs; that is tested elsewhere).
fn plain_device(hub: &Hub, dir: &std::path::Path, person: &str) -> Dev {
    let v = hub.admin.post_json("/v1/admin/devices", &serde_json::json!({ "person": person, "role": "rep" })).unwrap();
    let id = v["device"]["device_id"].as_str().unwrap().to_string();
    let token = v["token"].as_str().unwrap().to_string();
    let store = Store::open(
        dir.join(format!("{id}.sqlite")),
        StoreOptions { device_id: Some(id.clone()), ..StoreOptions::default() },
    )
    .unwrap();
    Dev { store, client: HubClient::new(&hub.url(), &token, None).unwrap(), id, token }
}

fn found(bytes: &[u8]) -> Vec<&'static str> {
    NEEDLES.iter().copied().filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes())).collect()
}

/// Every operation of every change in Automerge bytes (a document or a
/// chunk of changes), as text: what compression hides from a byte search.
fn changes_text(bytes: &[u8]) -> String {
    let mut doc = automerge::AutoCommit::new();
    if doc.load_incremental(bytes).is_err() {
        return String::new();
    }
    doc.get_changes(&[]).iter().map(|c| format!("{:?}", c.decode())).collect()
}

/// The bytes of every `\\x…` (bytea) value in a dump, and the Automerge
/// changes they hold, as text.
fn bytea_values(dump: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for part in dump.split("\\x").skip(1) {
        let hex: String = part.chars().take_while(char::is_ascii_hexdigit).collect();
        let bytes: Vec<u8> =
            (0..hex.len() / 2).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
        out.extend(changes_text(&bytes).into_bytes());
        out.extend(bytes);
    }
    out
}

/// The needles in a SQLite database file and its WAL.
/// The needles in a SQLite database file and its WAL, and in the
/// Automerge changes of every stored document (compressed in the file).
fn in_sqlite_files(path: &std::path::Path) -> Vec<&'static str> {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = c.prepare("SELECT bytes FROM documents").unwrap();
    for doc in stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap() {
        bytes.extend(changes_text(&doc.unwrap()).into_bytes());
    }
    found(&bytes)
}

/// The needles in the hub's stored data: its SQLite files, or a `pg_dump`.
fn in_hub(db: &Db) -> Vec<&'static str> {
    match db.url.strip_prefix("sqlite:") {
        Some(path) => in_sqlite_files(std::path::Path::new(path)),
        None => {
            let bin = std::fs::read_dir("/usr/lib/postgresql")
                .unwrap()
                .filter_map(|e| Some(e.ok()?.path().join("bin/pg_dump")))
                .filter(|p| p.exists())
                .max()
                .expect("pg_dump from Debian's postgresql");
            let out = Command::new(bin).args(["--no-owner", "-d", &db.url]).output().unwrap();
            assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
            let dump = String::from_utf8(out.stdout).unwrap();
            assert!(dump.contains("doc_chunks"), "a dump of the hub's schema");
            let mut bytes = dump.clone().into_bytes();
            bytes.extend(bytea_values(&dump));
            found(&bytes)
        }
    }
}

fn admin(hub: &Hub, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["admin", "person"])
        .args(args)
        .args(["--hub", &hub.url(), "--token", &hub.admin_token])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn an_erased_person_is_in_no_file_of_the_hub_or_the_devices(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 5);
    let (_crm, accounts) = seed_accounts(&hub, db.dir.path(), 1);
    hub.assign("rep-anna", &[accounts[0].as_str()]);
    let (a, b) = (plain_device(&hub, db.dir.path(), "rep-anna"), plain_device(&hub, db.dir.path(), "rep-anna"));
    a.sync();
    let person = Contact {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: accounts[0].clone(),
        first_name: "Hildegard".into(),
        last_name: "Quarkwitz".into(),
        role: BuyingRole::DecisionMaker,
        title: Some("Geschäftsführerin".into()),
        email: Some("h.quarkwitz@beispiel-werke.de".into()),
        phone: Some("+49 911 4455667".into()),
        consent: None,
        salutation: None,
    };
    a.store.save_contact(&person).unwrap();
    a.store
        .log_activity(&Activity {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: accounts[0].clone(),
            contact_id: Some(person.id.clone()),
            kind: ActivityKind::Call,
            at: chrono::Utc::now(),
            by: "rep-anna".into(),
            subject: "Rückruf".into(),
            notes: "Frau Quarkwitz erreichbar unter +49 911 4455667".into(),
        })
        .unwrap();
    a.sync();
    b.sync();
    let others = b.store.contacts(&accounts[0]).unwrap().len() - 1;
    assert!(!in_hub(db).is_empty(), "before the erasure the hub holds her (the search can see her)");
    let hostile_dev = hub.device(db.dir.path(), "rep-anna", "rep", None);
    let mut hostile = Hostile::new(&hub.url(), &hostile_dev.id, &hostile_dev.token);

    // Art. 15: everything held on her.
    let export: Value = serde_json::from_str(&admin(&hub, &["export", &person.id])).unwrap();
    assert_eq!(export["contact"]["email"], "h.quarkwitz@beispiel-werke.de");
    assert_eq!(export["activities"].as_array().unwrap().len(), 1);

    // Art. 17, with the command line.
    let printed = admin(&hub, &["erase", &person.id]);
    assert!(printed.contains(&format!("person {} erased", person.id)), "{printed}");
    assert!(printed.contains(&format!("person/{}", person.id)) && printed.contains("1 activities"), "{printed}");
    assert_eq!(in_hub(db), Vec::<&str>::new(), "the hub's data still holds her");
    let again: Value = serde_json::from_str(&admin(&hub, &["erase", &person.id, "--json"])).unwrap();
    assert_eq!(again["already_erased"], true);
    let gone = hub.admin.get_json(&format!("/v1/admin/persons/{}", person.id)).unwrap_err();
    assert_eq!(status(gone), 409);

    // Tablet a syncs: gone from its files too.
    a.sync();
    assert_eq!(in_sqlite_files(a.store.path()), Vec::<&str>::new(), "tablet a still holds her");
    assert_eq!(a.store.contacts(&accounts[0]).unwrap().len(), others);

    // Tablet b was offline: it edited her, and the account.
    b.store.save_contact(&Contact { title: Some("Inhaberin".into()), ..person.clone() }).unwrap();
    let mut account = b.store.account(&accounts[0]).unwrap();
    account.employees = Some(777);
    b.store.save_account(&account).unwrap();
    b.sync();
    assert_eq!(in_sqlite_files(b.store.path()), Vec::<&str>::new(), "tablet b still holds her");
    assert_eq!(in_hub(db), Vec::<&str>::new(), "the offline tablet brought her back");

    // A client that writes her document itself is told to delete it.
    let id = DocId::person(&person.id);
    hostile.create(
        &id,
        &Record::Person(Box::new(PersonRecord { contact: person.clone(), activities: vec![], deleted: false })),
    );
    let (doc, _) = hostile.docs.get_mut(&id).unwrap();
    let message = doc.sync().generate_sync_message(&mut automerge::sync::State::new()).unwrap();
    match hostile.exchange(vec![Entry { doc: id.clone(), message }]) {
        Answer::Response(r) => assert!(r.erased.contains(&id), "the answer tells it to delete her"),
        Answer::Refusal(f) => panic!("refused instead of erased: {:?}", f.refused.len()),
    }
    assert_eq!(in_hub(db), Vec::<&str>::new(), "the hostile client brought her back");

    // Everything else of the account keeps syncing.
    a.sync();
    assert_eq!(a.store.account(&accounts[0]).unwrap().employees, Some(777));
    assert_eq!(in_sqlite_files(a.store.path()), Vec::<&str>::new());
}
