//! A device's life at the hub (ADR 23): its token rotated during a sync
//! with no moment without a valid one, an expired token refused with its
//! own code, a lost device told to wipe itself and reporting back once,
//! the offline lease published with the policy.

use std::process::Command;

use onsite_cli::client::HubClient;
use onsite_core::Store;
use onsite_core::devices::{NewDevice, TokenSecrets};
use onsite_core::sync::DeviceRole;
use onsite_hub::HubConfig;
use serde_json::{Value, json};

use super::common::*;

on_both_backends!(
    a_token_is_rotated_during_a_sync_and_a_lost_answer_costs_nothing,
    an_expired_token_is_refused_with_its_own_code,
    a_lost_device_is_told_to_wipe_and_reports_back_once,
    the_offline_lease_travels_with_the_policy,
);

/// A rep device registered straight in the registry with a token that
/// expires in `days` (negative: expired already).
fn device_expiring(hub: &Hub, dir: &std::path::Path, person: &str, days: i64) -> Dev {
    let token = onsite_hub::token::generate().unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    let new = NewDevice { person: person.into(), role: DeviceRole::Rep, account_id: None, label: String::new() };
    let expires = chrono::Utc::now() + chrono::Duration::days(days);
    hub.backend.register_device(&id, &new, &TokenSecrets::expiring(&token, expires)).unwrap();
    hub.device_with(dir, id, token)
}

/// A sync request with `token`, answered but not applied: the answer is
/// "lost on the way". Returns the status and the next token it carried.
fn lost_answer(hub: &Hub, token: &str, frame: &[u8]) -> (u16, Option<String>, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent
        .post(format!("{}/v1/sync", hub.url()))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", onsite_hub::http::SYNC_TYPE)
        .send(frame)
        .unwrap();
    let next = resp.headers().get(onsite_hub::http::NEXT_TOKEN).map(|v| v.to_str().unwrap().to_string());
    // No cache keeps an answer of the API (it may carry a token).
    assert_eq!(resp.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let body = resp.body_mut().read_to_vec().unwrap();
    (resp.status().as_u16(), next, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn registry(hub: &Hub, id: &str) -> Value {
    let v = hub.admin.get_json("/v1/admin/devices").unwrap();
    v["devices"].as_array().unwrap().iter().find(|d| d["device_id"] == id).unwrap().clone()
}

fn a_token_is_rotated_during_a_sync_and_a_lost_answer_costs_nothing(db: &Db) {
    // A staged token is handed out again after two seconds here (an hour by default).
    let hub = hub_with(db, HubConfig { token_restage_after: chrono::Duration::seconds(2), ..quiet() });
    publish_catalog(&hub, 5);
    // 20 of 90 days left: inside the last third.
    let dev = device_expiring(&hub, db.dir.path(), "rep-anna", 20);
    let first = dev.token.clone();

    // The answer carrying the next token is lost: the old token still works.
    let (code, staged, _) = lost_answer(&hub, &first, &dev.store.sync_request().unwrap());
    assert_eq!(code, 200);
    let lost = staged.expect("a token in its last third is renewed");
    assert!(onsite_hub::token::well_formed(&lost));
    // A request at the same time gets no other token: whichever answer the
    // device keeps, its token works.
    let (code, concurrent, _) = lost_answer(&hub, &first, &dev.store.sync_request().unwrap());
    assert_eq!((code, concurrent), (200, None));
    dev.sync();
    assert_eq!(dev.client.token(), first, "nothing new while the staged token is young");

    // Once it has waited unused, the next sync hands out another.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    dev.sync();
    let second = dev.client.token();
    assert_ne!(second, first, "the client took the new token");
    assert_ne!(second, lost, "a new one, not the lost one again");
    let refused = HubClient::new(&hub.url(), &lost, None).unwrap().sync_frame(&dev.store.sync_request().unwrap());
    assert_eq!(status(refused.unwrap_err()), 401, "the lost token was replaced");

    // Its first use makes it the device's token; the old one stops then.
    dev.sync();
    let row = registry(&hub, &dev.id);
    let expires = chrono::DateTime::parse_from_rfc3339(row["token_expires_at"].as_str().unwrap()).unwrap();
    let left = expires.signed_duration_since(chrono::Utc::now());
    assert!(left > chrono::Duration::days(89), "a whole new lifetime: {left}");
    let old = HubClient::new(&hub.url(), &first, None).unwrap();
    assert_eq!(status(old.sync_frame(&dev.store.sync_request().unwrap()).unwrap_err()), 401);
    // A fresh token is not rotated again.
    dev.sync();
    assert_eq!(dev.client.token(), second);
    // Back-office tokens do not expire (they never sync, so never rotate).
    let admin = hub.admin.get_json("/v1/admin/devices").unwrap();
    let admins: Vec<&Value> = admin["devices"].as_array().unwrap().iter().filter(|d| d["role"] == "admin").collect();
    assert!(!admins.is_empty() && admins.iter().all(|d| d["token_expires_at"].is_null()), "{admins:?}");
}

fn an_expired_token_is_refused_with_its_own_code(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 5);
    let (crm, accounts) = seed_accounts(&hub, db.dir.path(), 1);
    hub.assign("rep-ben", &[accounts[0].as_str()]);
    let dev = device_expiring(&hub, db.dir.path(), "rep-ben", 30);
    dev.sync();
    let mut account = dev.store.account(&accounts[0]).unwrap();
    account.employees = Some(4321);
    dev.store.save_account(&account).unwrap();
    let dev = {
        // Its token runs out while the tablet holds unsynced work.
        let Dev { store, id, .. } = dev;
        let token = onsite_hub::token::generate().unwrap();
        let gone = chrono::Utc::now() - chrono::Duration::minutes(1);
        hub.backend.reissue_token(&id, &TokenSecrets::expiring(&token, gone)).unwrap();
        Dev { store, client: HubClient::new(&hub.url(), &token, None).unwrap(), id, token }
    };
    let (code, next, body) = lost_answer(&hub, &dev.token, &dev.store.sync_request().unwrap());
    assert_eq!(code, 401);
    assert_eq!(body["error"], "token_expired", "{body}");
    assert!(next.is_none(), "an expired token is not renewed");
    assert!(registry(&hub, &dev.id)["revoked_at"].is_null(), "expired, not revoked");

    // The back office renews it for the same device: the unsynced work goes up.
    let out = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["admin", "device", "renew", &dev.id, "--hub", &hub.url(), "--token", &hub.admin_token])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    let token = printed.split_whitespace().find(|w| onsite_hub::token::well_formed(w)).unwrap().to_string();
    let renewed = HubClient::new(&hub.url(), &token, None).unwrap();
    onsite_cli::client::sync_store(&dev.store, &renewed, 30).unwrap();
    crm.sync();
    assert_eq!(crm.store.account(&accounts[0]).unwrap().employees, Some(4321), "the tablet's edit reached the hub");
    assert_eq!(lost_answer(&hub, &dev.token, &dev.store.sync_request().unwrap()).0, 401, "the old one stays refused");
    let e = hub.admin.post_json("/v1/admin/devices/nope/token", &json!({})).unwrap_err();
    assert_eq!(status(e), 404);
}

fn a_lost_device_is_told_to_wipe_and_reports_back_once(db: &Db) {
    let hub = hub(db);
    publish_catalog(&hub, 5);
    let (_crm, accounts) = seed_accounts(&hub, db.dir.path(), 2);
    hub.assign("rep-carla", &[accounts[0].as_str()]);
    let dev = hub.device(db.dir.path(), "rep-carla", "rep", None);
    dev.sync();
    assert!(dev.store.document_count().unwrap() > 0);
    let path = dev.store.path().to_path_buf();

    // Reported lost with the command line, as the back office would.
    let out = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["admin", "device", "lost", &dev.id, "--hub", &hub.url(), "--token", &hub.admin_token])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("reported lost"));
    assert!(registry(&hub, &dev.id)["lost_at"].is_string());

    // Its next contact is answered with a wipe, and nothing else.
    hub.assign("rep-carla", &[accounts[1].as_str()]);
    let before = dev.store.document_count().unwrap();
    match dev.try_sync() {
        Err(onsite_cli::Error::Wipe(message)) => assert!(message.contains("lost"), "{message}"),
        other => panic!("expected a wipe, got {other:?}"),
    }
    assert_eq!(dev.store.document_count().unwrap(), before, "a lost device receives nothing more");
    let (status_code, _, body) = lost_answer(&hub, &dev.token, &dev.store.sync_request().unwrap());
    assert_eq!((status_code, body["error"].as_str()), (410, Some("wipe")));

    // The device deletes its store (and the app its key), then reports back.
    let Dev { store, client, id, .. } = dev;
    drop(store);
    let deleted = Store::destroy(&path).unwrap();
    assert!(deleted.contains(&path) && !path.exists());
    let v = client.report_wiped().unwrap();
    assert!(v["device"]["wiped_at"].is_string() && v["device"]["revoked_at"].is_string());
    let row = registry(&hub, &id);
    assert!(row["wiped_at"].is_string(), "the registry shows when it was wiped: {row}");
    // Once: the token is revoked with the report. Sent again (its answer
    // was lost), the report learns it landed; nothing else works.
    let again = client.report_wiped().unwrap();
    assert_eq!(again["device"]["wiped_at"], v["device"]["wiped_at"]);
    assert_eq!(status(client.sync_frame(b"x").unwrap_err()), 401);

    // A device that was not reported lost cannot report a wipe.
    let other = hub.device(db.dir.path(), "rep-dora", "rep", None);
    assert_eq!(status(other.client.report_wiped().unwrap_err()), 409);
    other.sync();
    let e = hub.admin.post_json("/v1/admin/devices/nope/lost", &json!({})).unwrap_err();
    assert_eq!(status(e), 404);
}

fn the_offline_lease_travels_with_the_policy(db: &Db) {
    let hub = hub(db);
    let dev = hub.device(db.dir.path(), "rep-emil", "rep", None);
    assert_eq!(dev.store.lease_status().unwrap().expires_at, None, "no lease before the first contact");
    let policy = json!({ "max_discount_pct": "10", "category_limits": [], "min_margin_pct": "0",
                         "reason_required": true, "offline_lease_days": 7 });
    hub.admin.put_json("/v1/admin/discount-policy", &policy).unwrap();
    dev.sync();
    let lease = dev.store.lease_status().unwrap();
    assert_eq!(lease.days, 7);
    let last = chrono::DateTime::parse_from_rfc3339(lease.last_contact.as_deref().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(lease.expires_at.as_deref().unwrap()).unwrap();
    assert_eq!(expires - last, chrono::Duration::days(7));
    assert!(!lease.expired);
    // A lease beyond a year is refused.
    let long = json!({ "max_discount_pct": "10", "category_limits": [], "min_margin_pct": "0",
                       "reason_required": true, "offline_lease_days": 400 });
    assert_eq!(status(hub.admin.put_json("/v1/admin/discount-policy", &long).unwrap_err()), 422);
}
