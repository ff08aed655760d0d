use super::*;
use crate::activity::Activity;
use crate::crdt::AccountRecord;
use crate::fixtures;
use crate::store::tests::temp_store;

fn person_with_activity(store: &Store) -> Contact {
    let account = fixtures::account("acc-1");
    let mut contact = fixtures::contact("c-1", "acc-1");
    contact.email = Some("anna.weiss@example.com".into());
    contact.phone = Some("+49 911 4455667".into());
    let other = Contact { id: "c-2".into(), first_name: "Bernd".into(), ..fixtures::contact("c-2", "acc-1") };
    store.save_account_with_contacts(&account, &[contact.clone(), other]).unwrap();
    let activity = Activity {
        id: "act-1".into(),
        account_id: "acc-1".into(),
        contact_id: Some("c-1".into()),
        kind: crate::activity::ActivityKind::Visit,
        at: fixtures::now(),
        by: "rep-1".into(),
        subject: "Besuch bei Frau Weiß".into(),
        notes: "Anna Weiß plant die Erweiterung".into(),
    };
    store.log_activity(&activity).unwrap();
    contact
}

/// A quote of `acc-1` for `contact`.
fn addressed(id: &str, contact: Option<&str>) -> crate::quote::Quote {
    let mut quote = fixtures::quote(id, vec![fixtures::line("A-1", fixtures::dec("2"), fixtures::dec("1.50"))]);
    quote.account_id = "acc-1".into();
    quote.contact_id = contact.map(str::to_string);
    quote
}

fn put_quote(store: &Store, quote: crate::quote::Quote) {
    store.write(|tx| crate::store::docs::write_unchecked(tx, &Record::Quote(Box::new(quote)), "test")).unwrap();
}

#[test]
fn contacts_and_their_activities_live_in_person_documents() {
    let (_dir, store) = temp_store();
    person_with_activity(&store);
    let kinds: Vec<(String, DocKind)> = store.documents().unwrap().into_iter().map(|d| (d.doc_id, d.kind)).collect();
    assert!(kinds.contains(&("person/c-1".into(), DocKind::Person)));
    assert!(kinds.contains(&("person/c-2".into(), DocKind::Person)));
    assert!(!kinds.iter().any(|(_, k)| *k == DocKind::Activities), "the activity went to the person: {kinds:?}");
    let account = store.read(|c| load_record(c, &DocId::account("acc-1"))).unwrap();
    assert!(matches!(account, Some(Record::Account(a)) if a.contacts.is_empty()));
    assert_eq!(store.contacts("acc-1").unwrap().len(), 2);
    assert_eq!(store.activities_for_account("acc-1", 10).unwrap().len(), 1);
}

#[test]
fn an_export_gives_every_datum_held_on_the_person() {
    let (_dir, store) = temp_store();
    let contact = person_with_activity(&store);
    put_quote(&store, addressed("q-1", Some("c-1")));
    let export = store.export_person("c-1").unwrap();
    assert_eq!(export.contact, contact);
    assert_eq!(export.activities.len(), 1);
    assert_eq!(export.quotes.len(), 1);
    assert_eq!(export.quotes[0].role, "addressee");
    let json = serde_json::to_string(&export).unwrap();
    for needle in ["anna.weiss@example.com", "+49 911 4455667", "Anna Weiß plant"] {
        assert!(json.contains(needle), "{needle} missing from the export");
    }
    assert!(matches!(store.export_person("nobody"), Err(Error::NotFound { .. })));
    assert!(matches!(store.export_person("bad id!"), Err(Error::Validation { .. })));
}

#[test]
fn an_erasure_removes_the_person_reports_it_and_refuses_the_id_afterwards() {
    let (_dir, store) = temp_store();
    let contact = person_with_activity(&store);
    put_quote(&store, addressed("q-1", Some("c-1")));
    let report = store.erase_person("c-1").unwrap();
    assert!(!report.already_erased);
    assert_eq!(report.account_id, "acc-1");
    assert_eq!(report.documents_removed, vec!["person/c-1".to_string()]);
    assert_eq!(report.activities_removed, 1);
    assert_eq!(report.quotes_pseudonymised, vec!["quote/q-1".to_string()]);
    assert!(report.fields_removed.contains(&"email".to_string()) && report.fields_removed.contains(&"phone".into()));
    assert!(!report.fields_removed.contains(&"title".to_string()), "the contact had no title");
    // Gone from every view; the account, the other contact and the quote stay.
    let names: Vec<String> = store.contacts("acc-1").unwrap().into_iter().map(|c| c.first_name).collect();
    assert_eq!(names, vec!["Bernd".to_string()]);
    assert!(store.activities_for_account("acc-1", 10).unwrap().is_empty());
    assert!(store.quote("q-1").is_ok());
    assert!(store.search_accounts(&crate::store::AccountQuery::new("Anna")).unwrap().items.is_empty());
    assert!(matches!(store.export_doc("person/c-1"), Err(Error::NotFound { .. })));
    assert!(matches!(store.export_person("c-1"), Err(Error::Conflict { .. })));
    // The id cannot come back, not even by the back office.
    assert!(matches!(store.save_contact(&contact), Err(Error::Conflict { .. })));
    let again = store.erase_person("c-1").unwrap();
    assert!(again.already_erased && again.documents_removed.is_empty());
    assert!(matches!(store.erase_person("nobody"), Err(Error::NotFound { .. })));
}

#[test]
fn a_signed_approval_is_kept_and_reported_as_retained() {
    let (_dir, store) = temp_store();
    person_with_activity(&store);
    let mut quote = addressed("q-2", None);
    quote.approval = Some(fixtures::approval(&quote, "Anna Weiß", "dev-1", fixtures::now()));
    put_quote(&store, quote);
    let export = store.export_person("c-1").unwrap();
    assert_eq!(export.quotes.len(), 1);
    assert_eq!(export.quotes[0].role, "signer");
    let report = store.erase_person("c-1").unwrap();
    assert_eq!(report.retained.len(), 1);
    assert_eq!(report.retained[0].doc_id, "quote/q-2");
    assert!(report.retained[0].reason.contains("HGB"));
}

#[test]
fn contacts_held_in_an_account_document_move_to_person_documents() {
    let (_dir, store) = temp_store();
    let account = fixtures::account("acc-9");
    let contact = fixtures::contact("c-9", "acc-9");
    // An account document as versions before 12 wrote it: contacts inside.
    store
        .write(|tx| {
            let id = DocId::account("acc-9");
            let mut doc = crate::crdt::genesis(&id, crate::crdt::actor_for("old-app"))?;
            let legacy = AccountRecord { account: account.clone(), contacts: vec![contact.clone()], deleted: false };
            crate::crdt::write(&mut doc, &Record::Account(Box::new(legacy)))?;
            doc.commit();
            crate::store::docs::store_doc(tx, &id, &mut doc)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(store.contacts("acc-9").unwrap(), vec![contact.clone()]);
    let moved = store.write(upgrade).unwrap();
    assert_eq!(moved, 1);
    let account_doc = store.read(|c| load_record(c, &DocId::account("acc-9"))).unwrap();
    assert!(matches!(account_doc, Some(Record::Account(a)) if a.contacts.is_empty()));
    let person = store.read(|c| load_record(c, &DocId::person("c-9"))).unwrap();
    assert!(matches!(person, Some(Record::Person(p)) if p.contact == contact));
    assert_eq!(store.contacts("acc-9").unwrap(), vec![contact]);
    assert_eq!(store.write(upgrade).unwrap(), 0, "once moved, nothing moves again");
}

#[test]
fn contacts_come_back_with_their_restored_account() {
    // Their rows go with the account's (a foreign key); their documents
    // stay, and project again when the account is there again.
    let (_dir, store) = temp_store();
    person_with_activity(&store);
    let account = store.account("acc-1").unwrap();
    store.delete_account("acc-1").unwrap();
    assert!(store.contacts("acc-1").is_err());
    store.save_account(&account).unwrap();
    assert_eq!(store.contacts("acc-1").unwrap().len(), 2);
}
