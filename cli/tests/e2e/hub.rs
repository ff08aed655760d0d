//! The hub end to end over real HTTP on loopback, against the embedded
//! SQLite backend and a real PostgreSQL server (each test runs on both).

use crate::common::{Db, Dev, Hub, another_instance, hub, publish_catalog, seed_accounts, status};
use chrono::{Days, Utc};
use onsite_cli::client::{HubClient, sync_store};
use onsite_core::money::DisplayLocale;
use onsite_core::quote::{Approval, QuoteState, SignerAuth};
use rust_decimal::Decimal;
use serde_json::json;

on_both_backends!(
    a_field_day_through_the_hub,
    every_role_is_refused_what_it_may_not_do,
    bad_frames_and_tokens_get_clear_statuses_and_store_nothing,
    assigning_an_account_sends_its_history_to_the_rep,
    health_and_metrics_report_what_happened,
);

fn quote(dev: &Dev, account: &str, rep: &str, discount: i64) -> onsite_core::quote::Quote {
    let today = Utc::now().date_naive();
    let q = dev.store.create_quote(account, None, rep, DisplayLocale::De, today + Days::new(30)).unwrap();
    let sku = dev.store.products().unwrap()[0].sku.clone();
    dev.store.add_quote_line(&q.id, &sku, Decimal::new(10, 0), Decimal::new(discount, 0), today).unwrap()
}

fn approval(dev: &Dev, q: &onsite_core::quote::Quote) -> Approval {
    Approval {
        quote_id: q.id.clone(),
        revision_hash: q.revision_hash.clone(),
        signer_name: "Eva Einkauf".into(),
        signer_role: "Einkauf".into(),
        auth: SignerAuth::CustomerDevice,
        device_time: Utc::now(),
        device_id: dev.id.clone(),
        client_address: None,
    }
}

fn a_field_day_through_the_hub(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 200);
    let (crm, accounts) = seed_accounts(&hub, db.dir.path(), 2);
    let (acc1, acc2) = (accounts[0].as_str(), accounts[1].as_str());
    // Price lists for both customers and their groups.
    let lists = onsite_core::sample::price_lists(
        &onsite_core::sample::products(200, 7),
        &onsite_core::sample::accounts(2, 7),
        7,
    );
    let json = onsite_core::import::export_reference_json(&lists, None, &[], &[]);
    hub.admin.post_bytes("/v1/admin/catalog?format=json", "application/json", json.as_bytes()).unwrap();
    // Assigning publishes the account's own price lists again, for the rep.
    hub.assign("rep-anna", &[acc1]);
    let seq = hub.backend.counts().unwrap().catalog_seq;
    let anna = hub.device(db.dir.path(), "rep-anna", "rep", None);
    let phone = hub.device(db.dir.path(), "eva", "customer", Some(acc1));

    // The rep gets the catalog, the policy and her account only.
    anna.sync();
    assert_eq!(anna.store.product_count().unwrap(), 200);
    assert_eq!(anna.store.catalog_seq().unwrap(), seq);
    assert_eq!(anna.store.discount_policy().unwrap().max_discount_pct, Decimal::new(10, 0));
    assert!(anna.store.account(acc1).is_ok());
    assert!(anna.store.account(acc2).is_err(), "an unassigned account never reaches the rep");

    // A discount over the limit is held until the back office decides.
    let q = quote(&anna, acc1, "rep-anna", 15);
    anna.store.request_discount_approval(&q.id, "Wettbewerbsangebot liegt vor", Utc::now()).unwrap();
    anna.sync();
    let pending = hub.quotes("?pending_discount=true");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], q.id.as_str());
    assert_eq!(pending[0]["state"], "needs_discount_approval");
    let decided = hub
        .admin
        .post_json(&format!("/v1/admin/quotes/{}/discount-decision", q.id), &json!({ "approved": true }))
        .unwrap();
    assert_eq!(decided["quote"]["discount_request"]["approved"], true);
    assert!(hub.quotes("?pending_discount=true").is_empty());
    // Deciding it again collides with the quote's state: a conflict (409),
    // as the same call is on a device (ErrorKind::Conflict).
    let again = hub
        .admin
        .post_json(&format!("/v1/admin/quotes/{}/discount-decision", q.id), &json!({ "approved": false }))
        .unwrap_err();
    assert_eq!(status(again), 409);
    anna.sync();
    let q = anna.store.quote(&q.id).unwrap();
    assert_eq!(q.state, QuoteState::Draft, "the decision arrived on the tablet");
    assert_eq!(q.discount_request.as_ref().unwrap().approved, Some(true));
    let q = anna.store.send_quote(&q.id, Utc::now().date_naive()).unwrap();
    anna.sync();

    // The customer's phone gets the sent quote and its account (for
    // prices), never the reps' activities or other customers' prices.
    anna.store
        .log_activity(&onsite_core::activity::Activity {
            id: "visit-1".into(),
            account_id: acc1.to_string(),
            contact_id: None,
            kind: onsite_core::activity::ActivityKind::Visit,
            at: Utc::now(),
            by: "rep-anna".into(),
            subject: "Besuch".into(),
            notes: "Einkauf zögert, Wettbewerber im Haus".into(),
        })
        .unwrap();
    anna.sync();
    phone.sync();
    assert!(phone.store.quote(&q.id).is_ok());
    assert!(phone.store.account(acc1).is_ok());
    assert_eq!(phone.store.activity_count().unwrap(), 0, "a customer never sees the reps' notes");
    assert_eq!(phone.store.product_count().unwrap(), 200, "and the catalog");
    let account = crm.store.account(acc1).unwrap();
    let audience = onsite_core::release::PriceAudience { customer: acc1, group: account.customer_group.as_deref() };
    let (all, theirs) = (anna.store.price_list_ids().unwrap(), phone.store.price_list_ids().unwrap());
    let for_anna = lists
        .iter()
        .filter(|l| match &l.scope {
            onsite_core::catalog::PriceListScope::Customer(c) => c == acc1,
            onsite_core::catalog::PriceListScope::CustomerGroup(_) => true,
        })
        .count();
    assert_eq!(all.len(), for_anna, "the rep has the group lists and her own accounts' lists");
    for id in &all {
        let scope = anna.store.price_list(id).unwrap().scope;
        assert!(!matches!(&scope, onsite_core::catalog::PriceListScope::Customer(c) if c != acc1), "{id}");
    }
    assert!(!theirs.is_empty() && theirs.len() < all.len(), "{} of {}", theirs.len(), all.len());
    for id in &theirs {
        assert!(audience.sees(&phone.store.price_list(id).unwrap().scope), "{id} is not theirs");
    }
    phone.store.approve_quote(&q.id, approval(&phone, &q), Utc::now().date_naive()).unwrap();
    phone.sync();
    let approved = hub.quotes("?state=approved");
    assert_eq!(approved.len(), 1);
    anna.sync();
    assert_eq!(anna.store.quote(&q.id).unwrap().state, QuoteState::Approved);

    // The order reaches the back office.
    let order = anna.store.order_quote(&q.id, Utc::now()).unwrap();
    anna.sync();
    let orders = hub.admin.get_json("/v1/admin/orders").unwrap();
    assert_eq!(orders["orders"].as_array().unwrap().len(), 1);
    assert_eq!(orders["orders"][0]["id"], order.id.as_str());
    let mine = hub.admin.get_json(&format!("/v1/admin/orders?account={acc2}")).unwrap();
    assert!(mine["orders"].as_array().unwrap().is_empty());
}

fn every_role_is_refused_what_it_may_not_do(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 20);
    let (crm, accounts) = seed_accounts(&hub, db.dir.path(), 2);
    let (acc1, acc2) = (accounts[0].as_str(), accounts[1].as_str());
    hub.assign("rep-anna", &[acc1]);
    let anna = hub.device(db.dir.path(), "rep-anna", "rep", None);
    anna.sync();
    let q = quote(&anna, acc1, "rep-anna", 0);
    let q = anna.store.send_quote(&q.id, Utc::now().date_naive()).unwrap();
    anna.sync();
    let docs_before = hub.backend.counts().unwrap().documents;
    // A forbidden change is refused with its code, nothing of its frame is
    // stored, and the device recovers (restored or held back).
    let refused = |dev: &Dev, code: onsite_core::transition::RefusalCode| {
        let before = hub.backend.counts().unwrap().documents;
        let report = dev.sync();
        assert!(report.refusals >= 1, "{report:?}");
        let codes: Vec<_> = dev.store.sync_refusals().unwrap().iter().map(|r| r.code).collect();
        assert!(codes.contains(&code), "{codes:?}");
        assert_eq!(hub.backend.counts().unwrap().documents, before, "nothing stored");
        assert_eq!(dev.sync().refusals, 0, "the device is not stuck");
    };
    use onsite_core::transition::RefusalCode as R;
    // Every role but admin is kept out of the back-office API. The hub
    // answers from the headers without reading a body (ADR 18) and closes
    // the connection: body bytes it never read can make the kernel reset it
    // before the client reads the 403, so these calls send no body (what
    // they would carry does not matter to the refusal).
    let phone = hub.device(db.dir.path(), "eva", "customer", Some(acc1));
    for dev in [&anna, &phone] {
        assert_eq!(status(dev.client.get_json("/v1/admin/quotes").unwrap_err()), 403);
        assert_eq!(status(dev.client.get_json("/v1/admin/devices").unwrap_err()), 403);
        assert_eq!(status(dev.client.get_json("/v1/admin/orders").unwrap_err()), 403);
        let discount = format!("/v1/admin/quotes/{}/discount-decision", q.id);
        for path in ["/v1/admin/devices", "/v1/admin/reps/rep-anna/accounts", "/v1/admin/catalog", discount.as_str()] {
            let e = dev.client.post_bytes(path, "application/json", b"").unwrap_err();
            assert_eq!(status(e), 403, "{path}");
        }
        let e = dev.client.put_bytes("/v1/admin/company", "application/json", b"").unwrap_err();
        assert_eq!(status(e), 403);
    }

    // A rep writing to an account outside their scope (a second tablet
    // that recreated it locally).
    let tablet2 = hub.device(db.dir.path(), "rep-anna", "rep", None);
    tablet2.sync();
    let foreign = crm.store.account(acc2).unwrap();
    tablet2.store.save_account(&foreign).unwrap();
    refused(&tablet2, R::NotPermitted);
    assert_eq!(hub.backend.counts().unwrap().documents, docs_before);

    // A rep approving their own discount request.
    let tablet3 = hub.device(db.dir.path(), "rep-anna", "rep", None);
    tablet3.sync();
    let big = quote(&tablet3, acc1, "rep-anna", 30);
    tablet3.store.request_discount_approval(&big.id, "Großauftrag", Utc::now()).unwrap();
    tablet3.sync();
    let docs_before = hub.backend.counts().unwrap().documents;
    tablet3.store.decide_discount(&big.id, true, "myself", None, Utc::now()).unwrap();
    refused(&tablet3, R::NotPermitted);
    assert_eq!(hub.backend.counts().unwrap().documents, docs_before);
    assert_eq!(hub.quotes("?pending_discount=true").len(), 1, "the request still waits");
    assert_eq!(tablet3.store.quote(&big.id).unwrap().state, QuoteState::NeedsDiscountApproval, "restored");

    // A customer lowering a price, and a customer writing the account.
    phone.sync();
    let mut cheaper = phone.store.quote(&q.id).unwrap();
    cheaper.lines[0].unit_price = Decimal::new(1, 2);
    phone.store.edit_quote(&cheaper).unwrap();
    refused(&phone, R::NotPermitted);
    let listed = hub.quotes("?state=sent");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["gross_total"], json!(q.totals().unwrap().gross_total), "the price stands");
    let phone2 = hub.device(db.dir.path(), "eva", "customer", Some(acc1));
    phone2.sync();
    let mut renamed = phone2.store.account(acc1).unwrap();
    renamed.name = "Umbenannt GmbH".into();
    phone2.store.save_account(&renamed).unwrap();
    refused(&phone2, R::NotPermitted);
    assert_ne!(phone2.store.account(acc1).unwrap().name, "Umbenannt GmbH", "restored on the phone");
    crm.sync();
    assert_ne!(crm.store.account(acc1).unwrap().name, "Umbenannt GmbH");

    // A customer of another account reads nothing of this one.
    let other = hub.device(db.dir.path(), "otto", "customer", Some(acc2));
    other.sync();
    assert!(other.store.quote(&q.id).is_err());
    assert!(other.store.account(acc1).is_err());
    assert!(other.store.documents().unwrap().iter().all(|d| d.account_id == acc2));
}

fn bad_frames_and_tokens_get_clear_statuses_and_store_nothing(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 10);
    let (_crm, accounts) = seed_accounts(&hub, db.dir.path(), 1);
    hub.assign("rep-anna", &[accounts[0].as_str()]);
    let anna = hub.device(db.dir.path(), "rep-anna", "rep", None);
    anna.sync();
    let before = hub.backend.counts().unwrap();

    // No token, a malformed one, an unknown one.
    let url = hub.url();
    let frame = anna.store.sync_request().unwrap();
    let raw = |token: &str| HubClient::new(&url, token, None).unwrap().sync_frame(&frame).unwrap_err();
    assert_eq!(status(raw("")), 401);
    assert_eq!(status(raw("not-a-token")), 401);
    assert_eq!(status(raw(&onsite_hub::token::generate().unwrap())), 401);

    // Garbage, an oversized body, a replay, another device's frame.
    assert_eq!(status(anna.client.sync_frame(b"\x00garbage").unwrap_err()), 400);
    let huge = vec![0u8; onsite_core::sync::MAX_FRAME_BYTES + 1];
    assert_eq!(status(anna.client.sync_frame(&huge).unwrap_err()), 413);
    // A gzip body that inflates past the limit is cut off, not inflated whole.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &vec![0u8; onsite_core::sync::MAX_FRAME_BYTES + 4096]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let resp = agent
        .post(format!("{url}/v1/sync"))
        .header("Authorization", &format!("Bearer {}", anna.token))
        .header("Content-Encoding", "gzip")
        .send(&bomb[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let response = anna.client.sync_frame(&frame).unwrap();
    anna.store.sync_apply(&response).unwrap();
    assert_eq!(status(anna.client.sync_frame(&frame).unwrap_err()), 409, "a replayed frame");
    let ben = hub.device(db.dir.path(), "rep-ben", "rep", None);
    assert_eq!(status(ben.client.sync_frame(&anna.store.sync_request().unwrap()).unwrap_err()), 403);
    assert_eq!(hub.backend.counts().unwrap().documents, before.documents);

    // A revoked token is refused at once.
    anna.sync();
    let v = hub.admin.post_json(&format!("/v1/admin/devices/{}/revoke", anna.id), &json!({})).unwrap();
    assert!(v["device"]["revoked_at"].is_string());
    assert_eq!(status(anna.try_sync().unwrap_err()), 401);
    assert_eq!(status(hub.admin.post_json("/v1/admin/devices/nope/revoke", &json!({})).unwrap_err()), 404);

    // Malformed back-office input.
    let e = hub.admin.post_json("/v1/admin/devices", &json!({ "person": "x", "role": "boss" })).unwrap_err();
    assert_eq!(status(e), 422);
    let e = hub.admin.post_json("/v1/admin/devices", &json!({ "person": "x", "role": "customer" })).unwrap_err();
    assert_eq!(status(e), 422, "a customer device needs an account");
    let e = hub.admin.post_bytes(
        "/v1/admin/catalog?format=csv",
        "text/csv",
        b"sku;name;unit;list_price;tax_class\nA;;pc;-1;X\n",
    );
    assert_eq!(status(e.unwrap_err()), 422);
    let e = hub.admin.get_json("/v1/admin/quotes?state=bogus").unwrap_err();
    assert_eq!(status(e), 422);
    assert_eq!(hub.backend.counts().unwrap().catalog_seq, before.catalog_seq, "a refused catalog publishes nothing");
}

fn assigning_an_account_sends_its_history_to_the_rep(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 10);
    let (_crm, accounts) = seed_accounts(&hub, db.dir.path(), 3);
    hub.assign("rep-anna", &[accounts[0].as_str()]);
    hub.assign("rep-ben", &[accounts[1].as_str()]);
    let (anna, ben) =
        (hub.device(db.dir.path(), "rep-anna", "rep", None), hub.device(db.dir.path(), "rep-ben", "rep", None));
    anna.sync();
    ben.sync();
    // Ben works on his account; then it is handed to Anna as well.
    let q = quote(&ben, &accounts[1], "rep-ben", 0);
    ben.sync();
    anna.sync();
    assert!(anna.store.account(&accounts[1]).is_err());
    hub.assign("rep-anna", &[accounts[1].as_str()]);
    anna.sync();
    assert!(anna.store.account(&accounts[1]).is_ok(), "the account arrived although her cursor was past it");
    assert_eq!(anna.store.quote(&q.id).unwrap().id, q.id, "with its quotes");
    // Taken away again: no further writes accepted.
    hub.admin.post_json("/v1/admin/reps/rep-anna/accounts", &json!({ "remove": [accounts[1]] })).unwrap();
    let mut c = anna.store.contacts(&accounts[1]).unwrap()[0].clone();
    c.phone = Some("+49 1".into());
    anna.store.save_contact(&c).unwrap();
    let report = anna.sync();
    assert_eq!(report.refusals, 1, "refused, and held back on the tablet");
    assert!(!anna.store.sync_refusals().unwrap()[0].restored);
    assert_eq!(anna.sync().refusals, 0, "not offered again");
    let at_hub = ben.store.contacts(&accounts[1]).unwrap();
    ben.sync();
    assert_eq!(ben.store.contacts(&accounts[1]).unwrap(), at_hub, "nothing of it reached the hub");
}

fn health_and_metrics_report_what_happened(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 10);
    let (crm, _) = seed_accounts(&hub, db.dir.path(), 2);
    crm.sync();
    let _ = HubClient::new(&hub.url(), &onsite_hub::token::generate().unwrap(), None).unwrap().sync_frame(b"x");
    let health: serde_json::Value = serde_json::from_str(&hub.admin.get_text("/health").unwrap()).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], hub.backend.kind());
    let m = hub.admin.get_text("/metrics").unwrap();
    let value = |name: &str| -> f64 {
        m.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in:\n{m}"))
    };
    assert!(value("onsite_sync_seconds_count") >= 2.0);
    assert!(value("onsite_sync_bytes_total{direction=\"in\"}") > 1000.0);
    assert_eq!(value("onsite_auth_failures_total"), 1.0);
    assert_eq!(value("onsite_active_devices"), 2.0, "the admin and the CRM device");
    let people: usize = onsite_core::sample::accounts(2, 7).iter().map(|(_, c)| c.len()).sum();
    assert_eq!(value("onsite_documents"), (2 + people) as f64, "two accounts and their contacts' documents");
    assert!(value("onsite_requests_total{route=\"/v1/sync\",status=\"200\"}") >= 2.0);
    assert!(value("onsite_requests_total{route=\"/v1/sync\",status=\"401\"}") >= 1.0);
}

#[test]
fn two_hub_instances_on_one_postgres_database_lose_nothing() {
    let Some(db) = Db::postgres() else { return };
    let hub = hub(&db);
    let second = another_instance(&db);
    publish_catalog(&hub, 50);
    let (crm, accounts) = seed_accounts(&hub, db.dir.path(), 4);
    let reps: Vec<Dev> = (0..6)
        .map(|i| {
            let person = format!("rep-{i}");
            hub.assign(&person, &[accounts[i % 4].as_str(), accounts[(i + 1) % 4].as_str()]);
            hub.device(db.dir.path(), &person, "rep", None)
        })
        .collect();
    // Even devices sync through the first instance, odd through the second,
    // all at once, several times, each time with new offline work.
    let urls = [hub.url(), second.url()];
    let accounts_ref = &accounts;
    std::thread::scope(|s| {
        for (i, dev) in reps.iter().enumerate() {
            let url = urls[i % 2].clone();
            let accounts = accounts_ref;
            s.spawn(move || {
                let client = dev.via(&url);
                sync_store(&dev.store, &client, 30).unwrap();
                for round in 0..4 {
                    let account = &accounts[(i + round) % 4];
                    if dev.store.account(account).is_ok() {
                        dev.store
                            .log_activity(&onsite_core::activity::Activity {
                                id: format!("act-{i}-{round}"),
                                account_id: account.clone(),
                                contact_id: None,
                                kind: onsite_core::activity::ActivityKind::Visit,
                                at: Utc::now(),
                                by: format!("rep-{i}"),
                                subject: format!("Besuch {round}"),
                                notes: String::new(),
                            })
                            .unwrap();
                        let mut c = dev.store.contacts(account).unwrap()[0].clone();
                        c.phone = Some(format!("+49 {i}{round}"));
                        dev.store.save_contact(&c).unwrap();
                    }
                    sync_store(&dev.store, &client, 30).unwrap();
                }
            });
        }
    });
    // The catalog published through one instance reaches devices on the other.
    let csv = "sku;name;unit;list_price;tax_class\nNEU-1;Neuer Artikel;pc;1,99;DE-STD\n";
    second_admin(&second, &hub).post_bytes("/v1/admin/catalog?format=csv", "text/csv", csv.as_bytes()).unwrap();
    for (i, dev) in reps.iter().enumerate() {
        sync_store(&dev.store, &dev.via(&urls[(i + 1) % 2]), 30).unwrap();
        sync_store(&dev.store, &dev.via(&urls[i % 2]), 30).unwrap();
        assert!(dev.store.product("NEU-1").is_ok());
    }
    crm.sync();
    let made: usize = (0..6).map(|i| (0..4).filter(|r| [i % 4, (i + 1) % 4].contains(&((i + r) % 4))).count()).sum();
    let found: usize = accounts.iter().map(|a| crm.store.activities_for_account(a, 1000).unwrap().len()).sum();
    assert_eq!(found, made, "every activity from both instances arrived");
    // Every replica agrees on every contact.
    for a in &accounts {
        let at_hub = crm.store.contacts(a).unwrap();
        for dev in &reps {
            if dev.store.account(a).is_ok() {
                assert_eq!(dev.store.contacts(a).unwrap(), at_hub, "converged");
            }
        }
    }
}

fn second_admin(second: &onsite_hub::RunningHub, hub: &Hub) -> HubClient {
    HubClient::new(&second.url(), &hub.admin_token, None).unwrap()
}

#[test]
fn graceful_shutdown_answers_every_request_it_accepted() {
    let db = Db::sqlite();
    let hub = hub(&db);
    publish_catalog(&hub, 2000);
    let devices: Vec<Dev> = (0..6).map(|i| hub.device(db.dir.path(), &format!("p{i}"), "admin", None)).collect();
    let Hub { running, .. } = hub;
    let outcomes = std::thread::scope(|s| {
        let handles: Vec<_> = devices.iter().map(|d| s.spawn(move || d.try_sync())).collect();
        std::thread::sleep(std::time::Duration::from_millis(30));
        running.stop().unwrap();
        handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
    });
    for (dev, outcome) in devices.iter().zip(outcomes) {
        match outcome {
            // Finished: the store has the whole catalog.
            Ok(_) => assert_eq!(dev.store.product_count().unwrap(), 2000),
            // Not accepted (or a later round trip refused): never a broken
            // or half-applied answer.
            Err(onsite_cli::Error::Http(_)) => {
                let n = dev.store.product_count().unwrap();
                assert!(n == 0 || n == 2000, "{n}");
            }
            Err(other) => panic!("unexpected: {other}"),
        }
    }
}

#[test]
fn https_with_rustls_and_tokens_over_plain_http_only_from_loopback() {
    let db = Db::sqlite();
    let dir = db.dir.path();
    let (ca, cert, key) = (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"));
    // A private CA and a server certificate it signed, made by openssl.
    let script = format!(
        "set -e; cd '{d}'; \
         openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=OnsiteTestCA -keyout ca.key -out ca.pem 2>/dev/null; \
         openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout key.pem -out leaf.csr 2>/dev/null; \
         printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext.cnf; \
         openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out cert.pem 2>/dev/null",
        d = dir.display()
    );
    let ok = std::process::Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let backend = db.backend();
    let token = crate::common::bootstrap_admin(backend.as_ref());
    let tls = onsite_hub::TlsFiles { cert, key };
    let running = onsite_hub::RunningHub::start(backend, crate::common::quiet(), "127.0.0.1:0", Some(tls)).unwrap();
    let https = format!("https://localhost:{}", running.addr().port());
    let client = HubClient::new(&https, &token, Some(&ca)).unwrap();
    let devices = client.get_json("/v1/admin/devices").unwrap();
    assert_eq!(devices["devices"][0]["person"], "backoffice");
    // Without trusting the certificate the client refuses the connection.
    let untrusted = HubClient::new(&https, &token, None).unwrap();
    assert!(matches!(untrusted.get_json("/v1/admin/devices"), Err(onsite_cli::Error::Http(_))));
    // Plain HTTP to the TLS port is not answered as HTTP.
    let plain = HubClient::new(&format!("http://127.0.0.1:{}", running.addr().port()), &token, None).unwrap();
    assert!(plain.get_json("/v1/admin/devices").is_err());
}

#[test]
fn a_token_over_plain_http_from_another_host_is_refused() {
    // This machine's address on its network interface (no packet is sent).
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let ip = probe.connect("192.0.2.1:9").ok().and_then(|()| probe.local_addr().ok()).map(|a| a.ip());
    let Some(ip) = ip.filter(|ip| !ip.is_loopback() && !ip.is_unspecified()) else {
        eprintln!("skipped: this machine has no non-loopback address");
        return;
    };
    let db = Db::sqlite();
    let backend = db.backend();
    let token = crate::common::bootstrap_admin(backend.as_ref());
    let running = onsite_hub::RunningHub::start(backend, crate::common::quiet(), "0.0.0.0:0", None).unwrap();
    let port = running.addr().port();
    let remote = HubClient::new(&format!("http://{ip}:{port}"), &token, None).unwrap();
    let e = remote.get_json("/v1/admin/devices").unwrap_err();
    assert_eq!(status(e), 403, "plain HTTP from a non-loopback peer");
    assert_eq!(status(remote.sync_frame(b"x").unwrap_err()), 403);
    // Health needs no token and answers anyway; loopback is accepted.
    assert!(remote.get_text("/health").unwrap().contains("ok"));
    let local = HubClient::new(&format!("http://127.0.0.1:{port}"), &token, None).unwrap();
    assert!(local.get_json("/v1/admin/devices").is_ok());
}

#[test]
fn answers_are_compressed_for_clients_that_accept_it() {
    use std::io::{Read, Write};
    let db = Db::sqlite();
    let hub = hub(&db);
    let get = |accept: &str| {
        let mut s = std::net::TcpStream::connect(hub.running.addr()).unwrap();
        let auth = format!("Authorization: Bearer {}\r\n", hub.admin_token);
        write!(s, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n{auth}{accept}Connection: close\r\n\r\n").unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (String::from_utf8_lossy(&raw[..end]).to_lowercase(), raw.len() - end - 4)
    };
    let (plain_head, plain_len) = get("");
    let (gzip_head, gzip_len) = get("Accept-Encoding: gzip\r\n");
    assert!(!plain_head.contains("content-encoding"), "{plain_head}");
    assert!(gzip_head.contains("content-encoding: gzip"), "{gzip_head}");
    assert!(gzip_len < plain_len, "{gzip_len} vs {plain_len}");
}
