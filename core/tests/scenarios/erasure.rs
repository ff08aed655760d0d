//! Forgetting a person (ADR 24): after the hub erases a contact, their
//! name, e-mail and phone are in no file of the hub or of any device that
//! synced since (database and WAL, read as raw bytes), nor in any exported
//! document; a tablet that was offline during the erasure brings nothing
//! back, and the rest of the account keeps syncing.
//!
//! The stores here are unencrypted so the raw files can be searched (on a
//! device they are encrypted as well; that is tested in `encryption`).

use std::path::Path;

use onsite_core::account::{BuyingRole, Contact};
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::sync::{DeviceRole, DeviceScope, sync_in_process};
use onsite_core::{Error, Store, StoreOptions, fixtures, sample};

/// What identifies the person: searched for in every file.
const NEEDLES: [&str; 6] =
    ["Hildegard", "Quarkwitz", "quarkwitz", "h.quarkwitz@beispiel-werke.de", "+49 911 4455667", "+49 911 7778889"];

fn plain(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(dir.path().join(format!("{name}.sqlite")), StoreOptions::default()).unwrap()
}

/// Which needles the database file or its WAL contain.
fn found_in_files(store: &Store) -> Vec<String> {
    let path = store.path().to_path_buf();
    let wal = Path::new(&format!("{}-wal", path.display())).to_path_buf();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(&wal).unwrap_or_default());
    NEEDLES
        .iter()
        .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
        .map(|n| format!("{n} in {}", path.file_name().unwrap().to_string_lossy()))
        .collect()
}

/// Every operation of every change in a saved document, as text (the
/// saved bytes may be compressed).
fn changes_text(bytes: &[u8]) -> String {
    let mut doc = automerge::AutoCommit::load(bytes).unwrap();
    doc.get_changes(&[]).iter().map(|c| format!("{:?}", c.decode())).collect()
}

/// Which needles any exported document of the store contains, in its bytes
/// or in any of its changes.
fn found_in_exports(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for d in store.documents().unwrap() {
        let mut bytes = store.export_doc(&d.doc_id).unwrap();
        bytes.extend(changes_text(&bytes).into_bytes());
        for n in NEEDLES {
            if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                out.push(format!("{n} in {}", d.doc_id));
            }
        }
    }
    out
}

fn scope(device: &Store, account: &str) -> DeviceScope {
    DeviceScope {
        device_id: device.device_id().unwrap(),
        person: "rep-1".into(),
        accounts: Some([account.to_string()].into_iter().collect()),
        include_costs: true,
        role: DeviceRole::Rep,
    }
}

fn sync(device: &Store, hub: &Store, account: &str) -> u32 {
    sync_in_process(device, hub, &scope(device, account), 10).unwrap().round_trips
}

#[test]
fn an_erased_person_is_found_in_no_file_and_a_stale_tablet_brings_nothing_back() {
    let dir = tempfile::tempdir().unwrap();
    let hub = plain(&dir, "hub");
    let (account, contacts) = sample::accounts(1, 5).remove(0);
    hub.save_account_with_contacts(&account, &contacts).unwrap();
    let person = Contact {
        id: "0b8f3c52-6a1e-4d7f-9c2b-5e8a1f4d3c60".into(),
        account_id: account.id.clone(),
        first_name: "Hildegard".into(),
        last_name: "Quarkwitz".into(),
        role: BuyingRole::BudgetHolder,
        title: Some("Leiterin Einkauf".into()),
        email: Some("h.quarkwitz@beispiel-werke.de".into()),
        phone: Some("+49 911 4455667".into()),
        consent: None,
        salutation: None,
    };
    let (a, b) = (plain(&dir, "tablet-a"), plain(&dir, "tablet-b"));
    sync(&a, &hub, &account.id);
    // The rep adds the person, edits her a few times (old versions end up
    // in freed pages) and logs a visit whose notes name her.
    a.save_contact(&person).unwrap();
    for title in ["Einkauf", "Leitung Einkauf", "Leiterin Einkauf und Logistik"] {
        a.save_contact(&Contact { title: Some(title.into()), ..person.clone() }).unwrap();
    }
    a.log_activity(&Activity {
        id: "7d0e4b1a-2c3f-4e5a-8b6c-9d0e1f2a3b4c".into(),
        account_id: account.id.clone(),
        contact_id: Some(person.id.clone()),
        kind: ActivityKind::Visit,
        at: fixtures::now(),
        by: "rep-1".into(),
        subject: "Besuch".into(),
        notes: "Frau Quarkwitz plant eine zweite Halle; Rückruf unter +49 911 4455667".into(),
    })
    .unwrap();
    let quote = a
        .create_quote(
            &account.id,
            Some(person.id.clone()),
            "rep-1",
            onsite_core::money::DisplayLocale::De,
            fixtures::valid_until(),
        )
        .unwrap();
    sync(&a, &hub, &account.id);
    sync(&b, &hub, &account.id);
    assert_eq!(b.contacts(&account.id).unwrap().len(), contacts.len() + 1);
    // The search would see her: the test can tell when it is not gone.
    assert!(!found_in_files(&hub).is_empty() && !found_in_files(&b).is_empty());

    // Tablet b goes offline and edits her; the back office erases her.
    b.save_contact(&Contact { phone: Some("+49 911 7778889".into()), ..person.clone() }).unwrap();
    let report = hub.erase_person(&person.id).unwrap();
    assert_eq!(report.documents_removed, vec![format!("person/{}", person.id)]);
    assert_eq!(report.activities_removed, 1);
    assert_eq!(report.quotes_pseudonymised, vec![format!("quote/{}", quote.id)]);
    assert_eq!(found_in_files(&hub), Vec::<String>::new(), "the hub's files still hold the person");
    assert_eq!(found_in_exports(&hub), Vec::<String>::new());

    // Tablet a syncs: its copy goes, from the file and the WAL too.
    sync(&a, &hub, &account.id);
    assert_eq!(found_in_files(&a), Vec::<String>::new(), "tablet a's files still hold the person");
    assert_eq!(found_in_exports(&a), Vec::<String>::new());
    assert_eq!(a.contacts(&account.id).unwrap().len(), contacts.len());
    assert!(a.activities_for_account(&account.id, 10).unwrap().is_empty());
    assert_eq!(a.quote(&quote.id).unwrap().contact_id.as_deref(), Some(person.id.as_str()), "the quote stays");
    // Its PDF still renders, addressed to the company only.
    assert!(a.render_quote_pdf(&quote.id, fixtures::rep(), &fixtures::pdf_options()).unwrap().starts_with(b"%PDF"));

    // Tablet b comes back with its offline edit of her and an edit of the account.
    b.save_account(&onsite_core::account::Account { name: "Werke Nord".into(), ..account.clone() }).unwrap();
    sync(&b, &hub, &account.id);
    assert_eq!(found_in_files(&b), Vec::<String>::new(), "tablet b's files still hold the person");
    assert_eq!(found_in_files(&hub), Vec::<String>::new(), "the stale tablet brought the person back to the hub");
    assert!(hub.documents().unwrap().iter().all(|d| !d.doc_id.starts_with(&format!("person/{}", person.id))));
    assert!(matches!(b.save_contact(&person), Err(Error::Conflict { .. })), "the id is refused on the tablet too");
    // Everything else of the account keeps syncing.
    sync(&a, &hub, &account.id);
    assert_eq!(a.account(&account.id).unwrap().name, "Werke Nord");
    assert_eq!(found_in_files(&a), Vec::<String>::new());
    assert_eq!(a.contacts(&account.id).unwrap().len(), contacts.len());

    // A tablet set up after the erasure never receives her.
    let c = plain(&dir, "tablet-c");
    sync(&c, &hub, &account.id);
    assert_eq!(c.contacts(&account.id).unwrap().len(), contacts.len());
    assert_eq!(found_in_files(&c), Vec::<String>::new());
}

#[test]
fn the_search_would_see_bytes_left_in_free_pages() {
    // The negative control: the same erasure on a store that does not zero
    // freed pages leaves her in the file, and the search above finds it.
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions { secure_delete: false, ..StoreOptions::default() };
    let hub = Store::open(dir.path().join("hub.sqlite"), options).unwrap();
    let (account, mut contacts) = sample::accounts(1, 5).remove(0);
    contacts[0].last_name = "Quarkwitz".into();
    contacts[0].email = Some("h.quarkwitz@beispiel-werke.de".into());
    hub.save_account_with_contacts(&account, &contacts).unwrap();
    hub.erase_person(&contacts[0].id).unwrap();
    assert!(!found_in_files(&hub).is_empty(), "without secure_delete the deleted bytes stay");
}

#[test]
fn a_hostile_tablet_cannot_write_an_erased_person_back() {
    // A modified app that ignores the erased list and sends the person's
    // document again, as fresh Automerge changes from its own copy: the hub
    // drops them unread and stores nothing of the person.
    let dir = tempfile::tempdir().unwrap();
    let hub = plain(&dir, "hub");
    let (account, contacts) = sample::accounts(1, 6).remove(0);
    hub.save_account_with_contacts(&account, &contacts).unwrap();
    let person = Contact { email: Some("h.quarkwitz@beispiel-werke.de".into()), ..contacts[0].clone() };
    hub.save_contact(&person).unwrap();
    let tablet = plain(&dir, "tablet");
    sync(&tablet, &hub, &account.id);
    let kept = tablet.export_doc(&format!("person/{}", person.id)).unwrap();
    hub.erase_person(&person.id).unwrap();
    // The hostile copy: a fresh store that imports the kept document
    // before it ever syncs, so its first request offers it as new.
    let hostile = plain(&dir, "hostile");
    hostile.import_doc(&kept).unwrap();
    let request = hostile.sync_request().unwrap();
    let answer = hub.hub_handle(&scope(&hostile, &account.id), &request).unwrap();
    hostile.sync_apply(&answer).unwrap();
    assert!(hub.export_doc(&format!("person/{}", person.id)).is_err(), "the hub stored the person again");
    assert_eq!(found_in_files(&hub), Vec::<String>::new());
    assert!(hostile.export_doc(&format!("person/{}", person.id)).is_err(), "told to delete it");
}
