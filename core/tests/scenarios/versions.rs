//! Apps in the field are not updated at once (ADR 28).
//!
//! - A frame and the stores of protocol version 4, frozen in
//!   `core/tests/fixtures/protocol-v4/` by this test's writer (run
//!   `cargo test -p onsite-core --test scenarios -- --ignored freeze` only
//!   when a version is first released), are replayed by every later build
//!   while version 4 is supported: the hub answers the frame in version 4
//!   and stores what it carried; the device's store opens, upgrades and
//!   syncs.
//! - Fields a newer app added to a record are kept when this app writes it.

use std::path::{Path, PathBuf};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc};
use chrono::{NaiveDate, TimeZone, Utc};
use onsite_core::account::Contact;
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::money::DisplayLocale;
use onsite_core::sync::{DeviceRole, DeviceScope, PROTOCOL_VERSION, SyncLimits};
use onsite_core::{Store, StoreKey, StoreOptions};
use rust_decimal::Decimal;

const DEVICE: &str = "tablet-protocol-4";
const ACCOUNT: &str = "acc-protocol-4";
const CONTACT: &str = "contact-protocol-4";
/// The frozen device store's key (a test key, nothing secret).
const KEY: [u8; 32] = [0x42; 32];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/protocol-v4")
}

/// The moment the fixtures were written: the hub judges the frame then.
fn frozen_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()
}

fn scope() -> DeviceScope {
    DeviceScope {
        device_id: DEVICE.into(),
        person: "rep-1".into(),
        accounts: Some([ACCOUNT.to_string()].into_iter().collect()),
        include_costs: true,
        role: DeviceRole::Rep,
    }
}

fn device_options() -> StoreOptions {
    StoreOptions { key: Some(StoreKey::from_bytes(&KEY).unwrap()), ..StoreOptions::default() }
}

/// Copies the frozen files into a temporary directory (they stay unchanged).
fn thaw() -> (tempfile::TempDir, Store, Store, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["hub.sqlite", "tablet.sqlite"] {
        std::fs::copy(fixtures().join(f), dir.path().join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let hub = Store::open(dir.path().join("hub.sqlite"), StoreOptions::default()).unwrap();
    let tablet = Store::open(dir.path().join("tablet.sqlite"), device_options()).unwrap();
    let frame = std::fs::read(fixtures().join("request.frame")).unwrap();
    (dir, hub, tablet, frame)
}

#[test]
fn a_frame_of_protocol_4_is_answered_in_4_and_stored() {
    let (_dir, hub, _tablet, frame) = thaw();
    assert_eq!(frame[4], 4, "the frozen frame is of version 4");
    let answer = hub.hub_handle_at(&scope(), &frame, &SyncLimits::default(), frozen_at()).unwrap();
    assert_eq!(&answer[..4], b"OSYN");
    assert_eq!(answer[4], 4, "answered in the request's version");
    let quotes = hub.quotes_for_account(ACCOUNT).unwrap();
    assert_eq!(quotes.len(), 1, "the quote the frame carried");
    let quote = hub.quote(&quotes[0].id).unwrap();
    assert_eq!(quote.lines.len(), 2);
    assert_eq!(quote.notes, "Lieferung KW 51");
    let visits = hub.activities_for_account(ACCOUNT, 10).unwrap();
    assert!(visits.iter().any(|a| a.subject == "Regalprüfung"), "{visits:?}");
}

#[test]
fn a_store_of_protocol_4_opens_upgraded_and_syncs() {
    let (_dir, hub, tablet, _frame) = thaw();
    assert_eq!(tablet.schema_version().unwrap(), onsite_core::store::SCHEMA_VERSION);
    assert_eq!(tablet.device_id().unwrap(), DEVICE);
    let quotes = tablet.quotes_for_account(ACCOUNT).unwrap();
    assert_eq!(quotes.len(), 1);
    // The request it sent was never answered: the next one starts a new
    // session, and the hub gets everything once.
    for _ in 0..10 {
        let request = tablet.sync_request().unwrap();
        assert_eq!(request[4], PROTOCOL_VERSION);
        let answer = hub.hub_handle_at(&scope(), &request, &SyncLimits::default(), frozen_at()).unwrap();
        if tablet.sync_apply(&answer).unwrap().done {
            break;
        }
    }
    assert_eq!(hub.quotes_for_account(ACCOUNT).unwrap().len(), 1);
    assert_eq!(tablet.sync_health().unwrap().pending_documents, 0);
    assert_eq!(tablet.contacts(ACCOUNT).unwrap()[0].phone.as_deref(), Some("+49 911 4711"));
}

#[test]
fn fields_a_newer_app_added_are_kept_when_this_app_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite"), StoreOptions::default()).unwrap();
    let mut account = onsite_core::fixtures::account(ACCOUNT);
    account.assigned_rep = Some("rep-1".into());
    store.save_account_with_contacts(&account, &[onsite_core::fixtures::contact(CONTACT, ACCOUNT)]).unwrap();
    let q = store.create_quote(ACCOUNT, None, "rep-1", DisplayLocale::De, day(2027, 1, 31)).unwrap();
    let mut quote = store.quote(&q.id).unwrap();
    quote.lines.push(onsite_core::fixtures::line("SKS-M8", Decimal::from(100), Decimal::new(12, 2)));
    store.edit_quote(&quote).unwrap();

    // A newer app writes fields this build does not know: on the quote, on
    // a line, on the account, on the contact.
    let newer = |doc_id: &str, f: &dyn Fn(&mut AutoCommit)| {
        let mut doc = AutoCommit::load(&store.export_doc(doc_id).unwrap()).unwrap();
        f(&mut doc);
        store.import_doc(&doc.save()).unwrap();
    };
    let quote_doc = format!("quote/{}", q.id);
    newer(&quote_doc, &|d| {
        let (_, quote) = d.get(automerge::ROOT, "quote").unwrap().unwrap();
        d.put(&quote, "delivery_window", "KW 50–51").unwrap();
        let (_, lines) = d.get(&quote, "lines").unwrap().unwrap();
        let (_, first) = d.get(&lines, 0).unwrap().unwrap();
        d.put(&first, "colour", "RAL 7016").unwrap();
        let extra = d.put_object(&quote, "installation", ObjType::Map).unwrap();
        d.put(&extra, "by", "Monteur").unwrap();
    });
    newer(&format!("account/{ACCOUNT}"), &|d| {
        let (_, a) = d.get(automerge::ROOT, "account").unwrap().unwrap();
        d.put(&a, "duns_number", "31-512-1234").unwrap();
    });
    newer(&format!("person/{CONTACT}"), &|d| {
        let (_, p) = d.get(automerge::ROOT, "person").unwrap().unwrap();
        d.put(&p, "pronouns", "sie/ihr").unwrap();
    });

    // This build edits all three.
    let mut quote = store.quote(&q.id).unwrap();
    quote.notes = "Anlieferung Tor 3".into();
    quote.lines[0].qty = Decimal::from(250);
    store.edit_quote(&quote).unwrap();
    let mut quote = store.quote(&q.id).unwrap();
    quote.lines.push(onsite_core::fixtures::line("SKS-M10", Decimal::from(10), Decimal::new(19, 2)));
    store.edit_quote(&quote).unwrap();
    let mut account = store.account(ACCOUNT).unwrap();
    account.employees = Some(80);
    store.save_account(&account).unwrap();
    let contact: Contact = Contact { phone: Some("+49 911 1".into()), ..store.contacts(ACCOUNT).unwrap()[0].clone() };
    store.save_contact(&contact).unwrap();

    let text = |doc_id: &str, path: &[&str]| -> Option<String> {
        let doc = AutoCommit::load(&store.export_doc(doc_id).unwrap()).unwrap();
        let mut obj = automerge::ROOT;
        for (i, key) in path.iter().enumerate() {
            let next = match key.parse::<usize>() {
                Ok(n) => doc.get(&obj, n).unwrap(),
                Err(_) => doc.get(&obj, *key).unwrap(),
            }?;
            if i + 1 == path.len() {
                return Some(match &next.0 {
                    automerge::Value::Scalar(s) => match s.as_ref() {
                        automerge::ScalarValue::Str(t) => t.to_string(),
                        other => format!("{other}"),
                    },
                    other => format!("{other:?}"),
                });
            }
            obj = next.1;
        }
        None
    };
    assert_eq!(text(&quote_doc, &["quote", "notes"]).as_deref(), Some("Anlieferung Tor 3"), "this app's edit");
    assert_eq!(text(&quote_doc, &["quote", "delivery_window"]).as_deref(), Some("KW 50–51"));
    assert_eq!(text(&quote_doc, &["quote", "lines", "0", "colour"]).as_deref(), Some("RAL 7016"));
    assert_eq!(text(&quote_doc, &["quote", "installation", "by"]).as_deref(), Some("Monteur"));
    assert_eq!(text(&format!("account/{ACCOUNT}"), &["account", "duns_number"]).as_deref(), Some("31-512-1234"));
    assert_eq!(text(&format!("person/{CONTACT}"), &["person", "pronouns"]).as_deref(), Some("sie/ihr"));
    // A line deleted before another: the newer app's field stays with its
    // line, it does not pass to the one that moves up.
    let mut quote = store.quote(&q.id).unwrap();
    assert_eq!(quote.lines.len(), 2);
    quote.lines.remove(0);
    store.edit_quote(&quote).unwrap();
    assert_eq!(text(&quote_doc, &["quote", "lines", "0", "sku"]).as_deref(), Some("SKS-M10"));
    assert_eq!(text(&quote_doc, &["quote", "lines", "0", "colour"]), None, "the deleted line's field went with it");
    // A field this build knows and leaves out is still deleted.
    assert_eq!(text(&quote_doc, &["quote", "lines", "1", "sku"]), None, "the removed line is gone");
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Writes the fixtures of protocol version 4. Run once when a version is
/// released; never rewrite a released version's fixtures.
#[test]
#[ignore = "writes the frozen fixtures; run by hand when a protocol version is released"]
fn freeze_protocol_4_fixtures() {
    let out = fixtures();
    std::fs::create_dir_all(&out).unwrap();
    for f in ["hub.sqlite", "tablet.sqlite", "request.frame"] {
        let _ = std::fs::remove_file(out.join(f));
    }
    let hub = Store::open(out.join("hub.sqlite"), StoreOptions::default()).unwrap();
    let csv = "sku;name;unit;list_price;tax_class\nSKS-M8;Sechskantschraube DIN 933 M8×40;pc;0,12;DE-STD\n\
               SKS-M10;Sechskantschraube DIN 933 M10×50;pc;0,19;DE-STD\n";
    let parsed = onsite_core::import::parse(csv.as_bytes(), onsite_core::import::Format::Csv);
    hub.import_catalog(parsed, &mut |_| {}).unwrap();
    let mut account = onsite_core::fixtures::account(ACCOUNT);
    account.assigned_rep = Some("rep-1".into());
    hub.save_account_with_contacts(&account, &[onsite_core::fixtures::contact(CONTACT, ACCOUNT)]).unwrap();

    let tablet =
        Store::open(out.join("tablet.sqlite"), StoreOptions { device_id: Some(DEVICE.into()), ..device_options() })
            .unwrap();
    for _ in 0..10 {
        let request = tablet.sync_request().unwrap();
        let answer = hub.hub_handle_at(&scope(), &request, &SyncLimits::default(), frozen_at()).unwrap();
        if tablet.sync_apply(&answer).unwrap().done {
            break;
        }
    }
    let q = tablet.create_quote(ACCOUNT, Some(CONTACT.into()), "rep-1", DisplayLocale::De, day(2027, 1, 31)).unwrap();
    tablet.add_quote_line(&q.id, "SKS-M8", Decimal::from(500), Decimal::ZERO, day(2026, 12, 2)).unwrap();
    tablet.add_quote_line(&q.id, "SKS-M10", Decimal::from(200), Decimal::from(5), day(2026, 12, 2)).unwrap();
    let mut quote = tablet.quote(&q.id).unwrap();
    quote.notes = "Lieferung KW 51".into();
    tablet.edit_quote(&quote).unwrap();
    tablet
        .log_activity(&Activity {
            id: "visit-protocol-4".into(),
            account_id: ACCOUNT.into(),
            contact_id: None,
            kind: ActivityKind::Visit,
            at: frozen_at(),
            by: "rep-1".into(),
            subject: "Regalprüfung".into(),
            notes: String::new(),
        })
        .unwrap();
    let contact = Contact { phone: Some("+49 911 4711".into()), ..tablet.contacts(ACCOUNT).unwrap()[0].clone() };
    tablet.save_contact(&contact).unwrap();
    // The request sent and never answered: the frozen frame.
    std::fs::write(out.join("request.frame"), tablet.sync_request().unwrap()).unwrap();
    drop(tablet);
    drop(hub);
    for f in ["hub.sqlite", "tablet.sqlite"] {
        for suffix in ["-wal", "-shm"] {
            assert!(!out.join(format!("{f}{suffix}")).exists(), "{f}{suffix} left behind: close every connection");
        }
    }
}

#[test]
fn a_device_of_protocol_4_receives_the_company_profile_without_its_logo_file() {
    let (_dir, hub, _tablet, frame) = thaw();
    let mut company = onsite_core::fixtures::company_profile();
    company.logo = Some(onsite_core::sample::logo_png());
    hub.set_company_profile(&company).unwrap();
    let profile_in = |answer: &[u8]| {
        // Versions 4 and 5 lay a response out alike; this build reads its own number.
        let mut answer = answer.to_vec();
        answer[4] = PROTOCOL_VERSION;
        let r = onsite_core::sync::frame::decode_response(&answer).unwrap();
        r.catalog.and_then(|c| c.delta.company_profile).expect("the profile is sent")
    };
    // Version 4's profile knows no logo file and refuses unknown fields: it
    // gets the profile without it (and prints without the logo until updated).
    let old = profile_in(&hub.hub_handle_at(&scope(), &frame, &SyncLimits::default(), frozen_at()).unwrap());
    // (The hub's encoder leaves an empty `logo_file` out of the JSON.)
    assert_eq!(old.logo_file, None);
    // The current version gets the file.
    let now = Store::open(_dir.path().join("new.sqlite"), StoreOptions::default()).unwrap();
    let mut new_scope = scope();
    new_scope.device_id = now.device_id().unwrap();
    let request = now.sync_request().unwrap();
    let new = profile_in(&hub.hub_handle_at(&new_scope, &request, &SyncLimits::default(), frozen_at()).unwrap());
    assert_eq!(new.logo_file.map(|f| f.kind), Some(onsite_core::blob::BlobKind::Logo));
}
