//! Sync scenarios: a hub and devices in one process, frames passed as bytes.

use chrono::{NaiveDate, TimeZone, Utc};
use onsite_core::account::{Account, BuyingRole, Contact};
use onsite_core::fixtures;
use onsite_core::import::CatalogBatch;
use onsite_core::money::DisplayLocale;
use onsite_core::quote::{ApprovalStatus, QuoteState};
use onsite_core::sync::{DeviceRole, DeviceScope, SyncReport, sync_in_process};
use onsite_core::{Store, sample};
use rust_decimal::Decimal;

use crate::common::{import, open, rows};

/// A hub with a catalog of 50 products, their price lists and one account
/// (with contacts); devices open beside it.
struct World {
    dir: tempfile::TempDir,
    hub: Store,
    account: Account,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let hub = open(&dir, "hub");
    let products = sample::products(50, 7);
    let accounts = sample::accounts(3, 7);
    import(
        &hub,
        CatalogBatch {
            products: rows(&products),
            price_lists: rows(&sample::price_lists(&products, &accounts, 7)),
            ..Default::default()
        },
    );
    let (account, contacts) = accounts[0].clone();
    hub.save_account_with_contacts(&account, &contacts).unwrap();
    World { dir, hub, account }
}

impl World {
    /// A new, empty device store.
    fn open(&self, name: &str) -> Store {
        open(&self.dir, name)
    }

    /// A rep's tablet, synced once (it holds the catalog and the account).
    fn rep(&self, name: &str) -> Store {
        let device = self.open(name);
        self.sync(&device);
        device
    }

    /// What a rep's tablet may see: the world's account, with costs.
    fn rep_scope(&self, device: &Store) -> DeviceScope {
        DeviceScope {
            device_id: device.device_id().unwrap(),
            person: "rep-1".into(),
            accounts: Some([self.account.id.clone()].into_iter().collect()),
            include_costs: true,
            role: DeviceRole::Rep,
        }
    }

    /// What the customer's phone may see: its own account, no costs.
    fn customer_scope(&self, phone: &Store) -> DeviceScope {
        DeviceScope {
            include_costs: false,
            role: DeviceRole::Customer,
            person: "petra.einkauf".into(),
            ..self.rep_scope(phone)
        }
    }

    /// Syncs a rep's tablet until done (10 rounds at most); the round trips.
    fn sync(&self, device: &Store) -> u32 {
        sync_in_process(device, &self.hub, &self.rep_scope(device), 10).unwrap().round_trips
    }

    /// Syncs the customer's phone until done (10 rounds at most).
    fn sync_customer(&self, phone: &Store) -> SyncReport {
        sync_in_process(phone, &self.hub, &self.customer_scope(phone), 10).unwrap()
    }

    /// The customer approves `quote` as it is on `phone`, offline, now.
    fn approve_on(&self, phone: &Store, quote: &onsite_core::quote::Quote) -> onsite_core::quote::Quote {
        let approval = fixtures::approval(quote, "Petra Einkauf", &phone.device_id().unwrap(), Utc::now());
        phone.approve_quote(&quote.id, approval, today()).unwrap()
    }
}

/// The hub judges validity and prices by its clock: the scenarios run today.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A quote on `store` for `account` with one line of its first product.
fn quote_with_line(store: &Store, account: &str, qty: i64, discount_pct: i64) -> onsite_core::quote::Quote {
    let q = store.create_quote(account, None, "rep-1", DisplayLocale::De, today() + chrono::Days::new(30)).unwrap();
    let sku = store.products().unwrap()[0].sku.clone();
    store.add_quote_line(&q.id, &sku, Decimal::new(qty, 0), Decimal::new(discount_pct, 0), today()).unwrap()
}

#[test]
fn two_reps_edit_the_same_account_offline_and_converge_with_the_loser_visible() {
    let w = world();
    let (anna, ben) = (w.rep("anna"), w.rep("ben"));
    assert_eq!(anna.account(&w.account.id).unwrap(), w.account);
    assert_eq!(anna.product_count().unwrap(), 50, "the catalog came with the first sync");
    let before = anna.contacts(&w.account.id).unwrap();
    let contact = before[0].clone();

    // Offline: both change the same contact's phone; Ben also adds a contact.
    let mut a = contact.clone();
    a.phone = Some("+49 89 1111".into());
    anna.save_contact(&a).unwrap();
    let mut b = contact.clone();
    b.phone = Some("+49 89 2222".into());
    ben.save_contact(&b).unwrap();
    let new = Contact {
        id: onsite_core::ids::new_id(),
        account_id: w.account.id.clone(),
        first_name: "Clara".into(),
        last_name: "Berg".into(),
        role: BuyingRole::Gatekeeper,
        title: None,
        email: None,
        phone: None,
        consent: None,
        salutation: None,
    };
    ben.save_contact(&new).unwrap();
    let mut renamed = w.account.clone();
    renamed.industry = Some("Anlagenbau".into());
    anna.save_account(&renamed).unwrap();

    // Everyone syncs (Anna twice: she sees Ben's change on her second sync).
    w.sync(&anna);
    w.sync(&ben);
    w.sync(&anna);

    let contacts = |s: &Store| s.contacts(&w.account.id).unwrap();
    assert_eq!(contacts(&anna), contacts(&ben));
    assert_eq!(contacts(&anna), contacts(&w.hub));
    assert_eq!(contacts(&anna).len(), before.len() + 1, "nothing lost");
    assert!(contacts(&anna).iter().any(|c| c.first_name == "Clara"), "Ben's new contact arrived");
    assert_eq!(anna.account(&w.account.id).unwrap().industry.as_deref(), Some("Anlagenbau"));
    assert_eq!(ben.account(&w.account.id).unwrap(), anna.account(&w.account.id).unwrap());

    // The phone field holds both values; every replica reports the same
    // winner and loser (the contact is a document of its own, ADR 24).
    let doc = format!("person/{}", contact.id);
    let conflicts = anna.conflicts(&doc).unwrap();
    assert_eq!(conflicts, ben.conflicts(&doc).unwrap());
    assert_eq!(conflicts, w.hub.conflicts(&doc).unwrap());
    let phone = conflicts.iter().find(|c| c.path == "person/phone").expect("phone conflict");
    let values: Vec<&str> = phone.values.iter().map(|v| v.value.as_str()).collect();
    assert!(values.contains(&"\"+49 89 1111\"") && values.contains(&"\"+49 89 2222\""), "{values:?}");
    let devices: Vec<String> = phone.values.iter().map(|v| v.device_id.clone()).collect();
    assert!(devices.contains(&anna.device_id().unwrap()) && devices.contains(&ben.device_id().unwrap()));
    let shown = anna.contacts(&w.account.id).unwrap().into_iter().find(|c| c.id == contact.id).unwrap().phone;
    assert_eq!(shown.map(|p| format!("{p:?}")), Some(phone.values[0].value.clone()), "the projection shows the winner");
}

#[test]
fn custom_attributes_edited_on_two_tablets_merge_key_by_key() {
    let w = world();
    let (anna, ben) = (w.rep("anna"), w.rep("ben"));
    let mut a = anna.account(&w.account.id).unwrap();
    a.attributes.insert("annual_revenue".into(), "12 500 000".into());
    anna.save_account(&a).unwrap();
    let mut b = ben.account(&w.account.id).unwrap();
    b.attributes.insert("equipment".into(), "Trumpf TruLaser; Bosch Rexroth".into());
    ben.save_account(&b).unwrap();
    for s in [&anna, &ben, &anna] {
        w.sync(s);
    }
    for s in [&anna, &ben, &w.hub] {
        let got = s.account(&w.account.id).unwrap().attributes;
        assert_eq!(got.get("annual_revenue").map(String::as_str), Some("12 500 000"));
        assert_eq!(got.get("equipment").map(String::as_str), Some("Trumpf TruLaser; Bosch Rexroth"));
    }
    assert!(anna.conflicts(&format!("account/{}", w.account.id)).unwrap().is_empty(), "different keys do not conflict");
}

#[test]
fn a_customer_approves_revision_1_offline_while_the_rep_makes_revision_2() {
    let w = world();
    let (rep, phone) = (w.rep("rep"), w.open("phone"));
    let today = today();
    let q = quote_with_line(&rep, &w.account.id, 10, 0);
    let sent = rep.send_quote(&q.id, today).unwrap();
    w.sync(&rep);
    w.sync_customer(&phone);
    let on_phone = phone.quote(&q.id).unwrap();
    assert_eq!((on_phone.state, on_phone.revision_hash.clone()), (QuoteState::Sent, sent.revision_hash.clone()));

    // Offline on both sides.
    let approved = w.approve_on(&phone, &sent);
    assert_eq!(approved.approval_status(), ApprovalStatus::Approved);
    let mut edited = rep.quote(&q.id).unwrap();
    edited.lines[0].qty = Decimal::new(12, 0);
    let r2 = rep.edit_quote(&edited).unwrap();
    assert_eq!((r2.revision, r2.state), (2, QuoteState::Draft));
    rep.send_quote(&q.id, today).unwrap();

    w.sync_customer(&phone);
    w.sync(&rep);
    w.sync_customer(&phone);
    for s in [&rep, &phone, &w.hub] {
        let q = s.quote(&q.id).unwrap();
        assert_eq!(q.revision, 2);
        assert_eq!(q.lines[0].qty, Decimal::new(12, 0));
        assert_eq!(q.approval_status(), ApprovalStatus::Superseded { current_revision: 2 }, "never 'approved'");
        assert_ne!(q.state, QuoteState::Approved);
        assert_eq!(q.revision_hash, q.compute_hash(), "hash recomputed from the merged content");
        assert_eq!(q.approval.as_ref().map(|a| a.signer_name.as_str()), Some("Petra Einkauf"), "approval kept");
    }
    assert_eq!(rep.quote(&q.id).unwrap(), phone.quote(&q.id).unwrap());
}

fn import_products(hub: &Store, products: &[onsite_core::catalog::Product]) {
    import(hub, CatalogBatch { products: rows(products), ..Default::default() });
}

#[test]
fn the_back_office_publishes_new_prices_while_a_rep_is_offline() {
    let w = world();
    let rep = w.rep("rep");
    let today = today();
    let mut product = rep.products().unwrap()[0].clone();
    let old_price = product.list_price.amount;

    // Offline, the rep quotes at the price the tablet knows.
    let q = rep.create_quote(&w.account.id, None, "rep-1", DisplayLocale::De, today + chrono::Days::new(30)).unwrap();
    rep.add_quote_line(&q.id, &product.sku, Decimal::ONE, Decimal::ZERO, today).unwrap();
    let quoted = rep.quote(&q.id).unwrap().lines[0].unit_price;

    // Meanwhile the back office raises the list price and deletes another product.
    product.list_price.amount = old_price + Decimal::new(1000, 2);
    import_products(&w.hub, std::slice::from_ref(&product));
    let gone = w.hub.products().unwrap()[1].sku.clone();
    w.hub.delete_products(&[gone.as_str()]).unwrap();

    let trips = w.sync(&rep);
    assert!(trips <= 2, "{trips} round trips");
    assert_eq!(rep.catalog_seq().unwrap(), w.hub.catalog_seq().unwrap());
    assert_eq!(rep.product(&product.sku).unwrap().list_price.amount, old_price + Decimal::new(1000, 2));
    assert!(rep.product(&gone).is_err(), "the tombstone travelled");
    // The quote keeps the price it was made with, at the hub too; a new line gets the new price.
    assert_eq!(w.hub.quote(&q.id).unwrap().lines[0].unit_price, quoted);
    let (line, _) =
        rep.quote_line(&w.account.id, &product.sku, Decimal::ONE, today, onsite_core::money::Currency::EUR).unwrap();
    assert!(line.unit_price >= quoted, "{} < {quoted}", line.unit_price);
}

#[test]
fn a_large_catalog_arrives_in_pages_and_resumes_after_a_lost_response() {
    let dir = tempfile::tempdir().unwrap();
    let hub = open(&dir, "hub");
    import_products(&hub, &sample::products(230, 3));
    let tablet = open(&dir, "tablet");
    let scope = DeviceScope::all(&tablet.device_id().unwrap());
    let limits = onsite_core::sync::SyncLimits { catalog_page: 50, ..Default::default() };
    let mut trips = 0;
    let mut lost_once = false;
    loop {
        let req = tablet.sync_request().unwrap();
        let resp = hub.hub_handle_with(&scope, &req, &limits).unwrap();
        trips += 1;
        if trips == 3 && !lost_once {
            lost_once = true; // the third response never arrives
            continue;
        }
        let round = tablet.sync_apply(&resp).unwrap();
        if round.done {
            break;
        }
        assert!(round.products_received <= 50);
        assert!(trips < 20);
    }
    assert_eq!(tablet.product_count().unwrap(), 230);
    assert_eq!(tablet.catalog_seq().unwrap(), hub.catalog_seq().unwrap());
    assert_eq!(trips, 6, "five pages and one lost response");
}

#[test]
fn a_discount_over_the_limit_is_held_until_the_back_office_approves_it() {
    let w = world();
    let rep = w.rep("rep");
    let today = today();
    let q = quote_with_line(&rep, &w.account.id, 5, 25);
    assert!(rep.send_quote(&q.id, today).is_err(), "25 % is over the 10 % limit");
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    rep.request_discount_approval(&q.id, "Rahmenvertrag", at).unwrap();
    w.sync(&rep);
    assert_eq!(w.hub.quote(&q.id).unwrap().state, QuoteState::NeedsDiscountApproval);
    w.hub.decide_discount(&q.id, true, "backoffice-1", None, at).unwrap();
    w.sync(&rep);
    let sent = rep.send_quote(&q.id, today).unwrap();
    assert_eq!(sent.state, QuoteState::Sent);
    w.sync(&rep);
    assert_eq!(w.hub.quote(&q.id).unwrap().state, QuoteState::Sent);
}

#[test]
fn a_customer_reorders_consumables_from_the_phone() {
    let w = world();
    let (rep, phone) = (w.rep("rep"), w.open("phone"));
    let today = today();
    let q = quote_with_line(&rep, &w.account.id, 100, 0);
    let sku = q.lines[0].sku.clone();
    let sent = rep.send_quote(&q.id, today).unwrap();
    w.sync(&rep);
    // The customer approves on the phone (approvals come from the customer's side).
    w.sync_customer(&phone);
    w.approve_on(&phone, &sent);
    w.sync_customer(&phone);
    w.sync(&rep);
    let order = rep.order_quote(&q.id, Utc::now()).unwrap();
    w.sync(&rep);

    // Another customer's special prices, published at the hub.
    let mut special = w.hub.price_list(&w.hub.price_list_ids().unwrap()[0]).unwrap();
    special.id = "SPECIAL-OTHER".into();
    special.scope = onsite_core::catalog::PriceListScope::Customer("another-customer".into());
    let mut other_group = special.clone();
    other_group.id = "SPECIAL-GROUP".into();
    other_group.scope = onsite_core::catalog::PriceListScope::CustomerGroup("not-their-group".into());
    import(&w.hub, CatalogBatch { price_lists: rows(&[special, other_group]), ..Default::default() });
    w.sync(&rep);
    assert!(rep.price_list("SPECIAL-OTHER").is_err(), "reps see their own accounts' special prices only");
    assert!(rep.price_list("SPECIAL-GROUP").is_ok(), "and every group's");

    // The customer's phone sees its own account's orders, not product costs.
    w.sync_customer(&phone);
    assert_eq!(phone.order(&order.id).unwrap(), order);
    // Other customers' and other groups' price lists stay at the hub.
    let audience =
        onsite_core::release::PriceAudience { customer: &w.account.id, group: w.account.customer_group.as_deref() };
    let hub_lists = w.hub.price_list_ids().unwrap();
    let theirs: Vec<&String> =
        hub_lists.iter().filter(|l| audience.sees(&w.hub.price_list(l).unwrap().scope)).collect();
    assert!(theirs.len() < hub_lists.len(), "the hub has lists for others");
    let phone_lists = phone.price_list_ids().unwrap();
    assert!(!phone_lists.is_empty());
    assert_eq!(phone_lists.iter().collect::<Vec<_>>(), theirs, "exactly their account's and group's lists");
    assert!(rep.price_list("SPECIAL-GROUP").is_ok() && phone.price_list("SPECIAL-GROUP").is_err());
    assert_eq!(phone.activity_count().unwrap(), 0, "nor the reps' activities");
    let again = phone.reorder(&order.id, &[(sku.clone(), Decimal::new(40, 0))], today, Utc::now()).unwrap();
    w.sync_customer(&phone);
    w.sync(&rep);
    for s in [&w.hub, &rep] {
        let o = s.order(&again.id).unwrap();
        assert_eq!(o, again);
        assert_eq!(o.reorder_of.as_deref(), Some(order.id.as_str()));
        assert_eq!(o.lines[0].qty, Decimal::new(40, 0));
    }
}

fn state_of(s: &Store) -> (Vec<onsite_core::store::DocInfo>, i64) {
    (s.documents().unwrap(), s.catalog_seq().unwrap())
}

#[test]
fn hostile_frames_are_refused_and_change_nothing() {
    let w = world();
    let rep = w.rep("rep");
    let scope = w.rep_scope(&rep);
    let hub_before = state_of(&w.hub);

    // Garbage, truncation, a wrong version, a huge frame: typed errors.
    let today = today();
    let q = rep.create_quote(&w.account.id, None, "rep-1", DisplayLocale::De, today + chrono::Days::new(9)).unwrap();
    let req = rep.sync_request().unwrap();
    for bad in [b"hello".to_vec(), req[..req.len() / 2].to_vec(), vec![0u8; 40 << 20], {
        let mut v = req.clone();
        v[4] = 99;
        v
    }] {
        let e = w.hub.hub_handle(&scope, &bad).unwrap_err();
        assert!(matches!(e, onsite_core::Error::Sync(_)), "{e}");
    }
    assert_eq!(state_of(&w.hub), hub_before, "nothing stored");

    // Another device's frame, or a replay, is refused.
    let other = DeviceScope { device_id: "someone-else".into(), ..scope.clone() };
    assert!(w.hub.hub_handle(&other, &req).is_err());
    let resp = w.hub.hub_handle(&scope, &req).unwrap();
    assert!(matches!(
        w.hub.hub_handle(&scope, &req),
        Err(onsite_core::Error::Sync(onsite_core::sync::SyncError::Replayed { .. }))
    ));

    // The device refuses a damaged response, then takes the real one.
    let rep_before = state_of(&rep);
    assert!(rep.sync_apply(&resp[..resp.len() - 3]).is_err());
    assert_eq!(state_of(&rep), rep_before);
    rep.sync_apply(&resp).unwrap();
    assert!(rep.sync_apply(&resp).is_err(), "applied twice");
    w.sync(&rep);
    assert!(w.hub.quote(&q.id).is_ok());

    // An account and a quote outside the rep's scope are refused, with
    // everything else of that frame; the device holds them back and the
    // rest of its work goes through.
    let (foreign, _) = sample::accounts(5, 99)[4].clone();
    rep.save_account(&foreign).unwrap();
    let fq = rep.create_quote(&foreign.id, None, "rep-1", DisplayLocale::De, today + chrono::Days::new(9)).unwrap();
    let hub_before = state_of(&w.hub);
    let report = sync_in_process(&rep, &w.hub, &scope, 5).unwrap();
    assert_eq!(report.refusals, 2, "{report:?}");
    assert_eq!(state_of(&w.hub), hub_before, "nothing of the refused frame stored");
    let refusals = rep.sync_refusals().unwrap();
    assert!(refusals.iter().all(|r| r.code == onsite_core::transition::RefusalCode::NotPermitted && !r.restored));
    assert!(refusals.iter().any(|r| r.doc_id == format!("quote/{}", fq.id)));
    let mut later = rep.quote(&q.id).unwrap();
    later.notes = "Liefertermin bestätigt".into();
    rep.edit_quote(&later).unwrap();
    let report = sync_in_process(&rep, &w.hub, &scope, 5).unwrap();
    assert_eq!(report.refusals, 0, "held documents are not offered again");
    assert_eq!(w.hub.quote(&q.id).unwrap().notes, "Liefertermin bestätigt", "later valid edits arrive");
}

#[test]
fn a_quote_cannot_be_moved_to_another_account_by_a_crafted_document() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let w = world();
    let rep = w.rep("rep");
    let today = today();
    let q = rep.create_quote(&w.account.id, None, "rep-1", DisplayLocale::De, today + chrono::Days::new(9)).unwrap();
    w.sync(&rep);
    // Craft a change that moves the quote, with any Automerge implementation.
    let bytes = rep.export_doc(&format!("quote/{}", q.id)).unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
    let (_, obj) = doc.get(automerge::ROOT, "quote").unwrap().unwrap();
    let (other, _) = sample::accounts(5, 99)[4].clone();
    rep.save_account(&other).unwrap();
    doc.put(&obj, "account_id", other.id.as_str()).unwrap();
    doc.commit();
    rep.import_doc(&doc.save()).unwrap();
    let mut wide = w.rep_scope(&rep);
    wide.accounts.as_mut().unwrap().insert(other.id.clone());
    let report = sync_in_process(&rep, &w.hub, &wide, 5).unwrap();
    assert_eq!(report.refusals, 1);
    let refusal = &rep.sync_refusals().unwrap()[0];
    assert!(refusal.message.contains("cannot move") && refusal.restored, "{refusal:?}");
    assert_eq!(w.hub.quote(&q.id).unwrap().account_id, w.account.id);
    assert_eq!(rep.quote(&q.id).unwrap().account_id, w.account.id, "the device is back to what the hub accepted");
}

#[test]
fn documents_export_as_standard_automerge_and_import_elsewhere() {
    use automerge::ReadDoc;
    let w = world();
    let other = w.open("other");
    let doc_id = format!("account/{}", w.account.id);
    let bytes = w.hub.export_doc(&doc_id).unwrap();
    // Any Automerge implementation reads it.
    let doc = automerge::AutoCommit::load(&bytes).unwrap();
    let (v, _) = doc.get(automerge::ROOT, "kind").unwrap().unwrap();
    assert_eq!(v.as_str(), Some("account"));
    assert_eq!(other.import_doc(&bytes).unwrap(), doc_id);
    assert_eq!(other.account(&w.account.id).unwrap(), w.account);
    // The contacts are documents of their own (ADR 24).
    for d in w.hub.documents().unwrap().into_iter().filter(|d| d.doc_id.starts_with("person/")) {
        assert_eq!(other.import_doc(&w.hub.export_doc(&d.doc_id).unwrap()).unwrap(), d.doc_id);
    }
    assert_eq!(other.contacts(&w.account.id).unwrap(), w.hub.contacts(&w.account.id).unwrap());
    assert!(other.import_doc(b"not automerge").is_err());
    assert!(other.export_doc("quote/nope").is_err());
}

#[test]
fn each_role_may_change_only_what_it_may() {
    use onsite_core::transition::RefusalCode;
    let w = world();
    let (rep, phone) = (w.rep("rep"), w.open("phone"));
    let q = quote_with_line(&rep, &w.account.id, 10, 0);
    rep.send_quote(&q.id, today()).unwrap();
    w.sync(&rep);
    let customer = w.customer_scope(&phone);
    w.sync_customer(&phone);
    let last_code = |s: &Store| s.sync_refusals().unwrap().first().map(|r| r.code);

    // A customer's phone lowers a price (through a crafted edit): refused,
    // nothing stored, the phone back to the hub's quote.
    let mut cheaper = phone.quote(&q.id).unwrap();
    cheaper.lines[0].unit_price = Decimal::new(1, 2);
    phone.edit_quote(&cheaper).unwrap();
    let before = state_of(&w.hub);
    assert_eq!(sync_in_process(&phone, &w.hub, &customer, 5).unwrap().refusals, 1);
    assert_eq!(last_code(&phone), Some(RefusalCode::NotPermitted));
    assert_eq!(
        state_of(&w.hub).0.iter().map(|d| &d.doc_id).collect::<Vec<_>>(),
        before.0.iter().map(|d| &d.doc_id).collect::<Vec<_>>()
    );
    assert_eq!(w.hub.quote(&q.id).unwrap().lines[0].unit_price, q.lines[0].unit_price);
    assert_eq!(phone.quote(&q.id).unwrap().lines[0].unit_price, q.lines[0].unit_price, "restored on the phone");

    // A fresh phone may not touch the account.
    let phone2 = w.open("phone2");
    let customer2 = w.customer_scope(&phone2);
    w.sync_customer(&phone2);
    let mut renamed = phone2.account(&w.account.id).unwrap();
    renamed.name = "Umbenannt GmbH".into();
    phone2.save_account(&renamed).unwrap();
    assert_eq!(sync_in_process(&phone2, &w.hub, &customer2, 5).unwrap().refusals, 1);
    assert_eq!(last_code(&phone2), Some(RefusalCode::NotPermitted));
    assert_eq!(w.hub.account(&w.account.id).unwrap().name, w.account.name);

    // A rep may not decide their own discount request.
    let rep2 = w.rep("rep2");
    let big = quote_with_line(&rep2, &w.account.id, 5, 30);
    let at = Utc::now();
    rep2.request_discount_approval(&big.id, "Wettbewerb", at).unwrap();
    w.sync(&rep2);
    rep2.decide_discount(&big.id, true, "boss-of-myself", None, at).unwrap();
    // Both documents are refused: the decision, and the quote leaving the wait without one.
    assert_eq!(sync_in_process(&rep2, &w.hub, &w.rep_scope(&rep2), 5).unwrap().refusals, 2);
    let codes: Vec<RefusalCode> = rep2.sync_refusals().unwrap().iter().map(|r| r.code).collect();
    assert!(codes.contains(&RefusalCode::NotPermitted) && codes.contains(&RefusalCode::IllegalTransition), "{codes:?}");
    assert_eq!(w.hub.quote(&big.id).unwrap().state, QuoteState::NeedsDiscountApproval);
    assert_eq!(rep2.quote(&big.id).unwrap().state, QuoteState::NeedsDiscountApproval, "restored");

    // The customer's phone still approves what it may, after its refusal.
    w.approve_on(&phone, &phone.quote(&q.id).unwrap());
    assert_eq!(sync_in_process(&phone, &w.hub, &customer, 5).unwrap().refusals, 0);
    assert_eq!(w.hub.quote(&q.id).unwrap().approval_status(), ApprovalStatus::Approved);
}

#[test]
fn a_clash_of_quote_numbers_is_refused_and_the_device_renumbers() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let w = world();
    let (anna, ben) = (w.rep("anna"), w.rep("ben"));
    let first = quote_with_line(&anna, &w.account.id, 5, 0);
    w.sync(&anna);
    w.sync(&ben);
    // Ben's quote gets Anna's number (as a clash of two 60-bit numbers
    // would): his tablet holds both, its projection does not fail.
    let second = quote_with_line(&ben, &w.account.id, 7, 0);
    let bytes = ben.export_doc(&format!("quote/{}", second.id)).unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
    let (_, obj) = doc.get(automerge::ROOT, "quote").unwrap().unwrap();
    doc.put(&obj, "number", first.number.as_str()).unwrap();
    doc.commit();
    ben.import_doc(&doc.save()).unwrap();
    assert_eq!(ben.quote(&second.id).unwrap().number, first.number);
    assert_eq!(ben.quote(&first.id).unwrap().number, first.number, "two quotes, one number, on the tablet");
    // The hub refuses the clash with its own code; the tablet renumbers
    // and the quote arrives.
    let report = sync_in_process(&ben, &w.hub, &w.rep_scope(&ben), 10).unwrap();
    assert_eq!(report.refusals, 1);
    assert_eq!(ben.sync_refusals().unwrap()[0].code, onsite_core::transition::RefusalCode::NumberTaken);
    let renumbered = ben.quote(&second.id).unwrap().number;
    assert_ne!(renumbered, first.number);
    assert_eq!(w.hub.quote(&second.id).unwrap().number, renumbered);
    assert_eq!(w.hub.quote(&first.id).unwrap().number, first.number);
}

#[test]
fn the_hub_judges_the_vat_rate_by_the_customers_treatment() {
    let w = world();
    let rep = w.rep("rep");
    // A modified app zero-rates a domestic customer's quote and sends it.
    let mut q = quote_with_line(&rep, &w.account.id, 5, 0);
    q.lines[0].tax_rate_pct = Decimal::ZERO;
    rep.edit_quote(&q).unwrap();
    rep.send_quote(&q.id, today()).unwrap();
    let report = sync_in_process(&rep, &w.hub, &w.rep_scope(&rep), 10).unwrap();
    assert_eq!(report.refusals, 1);
    let refusal = rep.sync_refusals().unwrap().pop().unwrap();
    assert_eq!(refusal.code, onsite_core::transition::RefusalCode::PriceMismatch);
    assert!(refusal.message.contains("VAT 0 %"), "{}", refusal.message);
    assert_ne!(w.hub.quote(&q.id).map(|h| h.state).ok(), Some(QuoteState::Sent), "not sent at the hub");

    // The customer moves to Austria with a valid VAT ID: 0 % is right now.
    let mut account = w.account.clone();
    account.billing_address.country = "AT".into();
    account.vat_id = Some("ATU13585627".into());
    w.hub.save_account(&account).unwrap();
    w.sync(&rep);
    let q = quote_with_line(&rep, &w.account.id, 5, 0);
    assert!(q.lines[0].tax_rate_pct.is_zero(), "the device zero-rates it itself");
    rep.send_quote(&q.id, today()).unwrap();
    assert_eq!(sync_in_process(&rep, &w.hub, &w.rep_scope(&rep), 10).unwrap().refusals, 0);
    assert_eq!(w.hub.quote(&q.id).unwrap().state, QuoteState::Sent);
}
