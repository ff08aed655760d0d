//! The command line as a device (issue 20): `onsite device register`,
//! the field writes, `onsite device sync` and `status`, against a real
//! `onsite serve` process over HTTP.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{Db, spawn_serve, token_in};

fn onsite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onsite")).args(args).output().expect("run onsite")
}

fn ok(args: &[&str]) -> String {
    let r = onsite(args);
    assert!(r.status.success(), "{args:?}: {} {}", text(&r.stdout), text(&r.stderr));
    text(&r.stdout).trim().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_rep_works_offline_from_the_command_line_and_syncs_through_a_real_hub() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("hub.sqlite").display());
    let admin = token_in(&ok(&["admin", "bootstrap", "--database", &database, "--person", "backoffice"]));
    let (mut child, _out, url) = spawn_serve(&database, &["--quiet"]);
    let admin_cmd = |args: &[&str]| {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        let r = Command::new(env!("CARGO_BIN_EXE_onsite"))
            .args(&all)
            .env("ONSITE_HUB", &url)
            .env("ONSITE_TOKEN", &admin)
            .output()
            .unwrap();
        assert!(r.status.success(), "{args:?}: {}", text(&r.stderr));
        text(&r.stdout)
    };
    let csv = dir.path().join("catalog.csv");
    std::fs::write(&csv, "sku;name;unit;list_price;tax_class\nSKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD\n")
        .unwrap();
    admin_cmd(&["publish", "catalog", p(&csv)]);

    // The back office's own device creates the account.
    let office_token =
        token_in(&admin_cmd(&["device", "issue", "--person", "backoffice", "--role", "admin", "--label", "office"]));
    let office = dir.path().join("office.sqlite");
    let registered = ok(&["device", "register", "--db", p(&office), "--hub", &url, "--token", &office_token]);
    assert!(registered.contains("registered device") && registered.contains("admin backoffice"), "{registered}");
    assert!(!registered.contains(&office_token), "the token is never printed");
    assert!(dir.path().join("office.sqlite.key").exists(), "a fresh key beside the store");
    let account = ok(&[
        "account",
        "create",
        "--db",
        p(&office),
        "--name",
        "Müller Maschinenbau",
        "--legal-form",
        "GmbH",
        "--street",
        "Hauptstraße 1",
        "--postal-code",
        "80331",
        "--city",
        "München",
        "--rep",
        "rep-1",
    ]);
    let contact = ok(&[
        "account",
        "add-contact",
        "--db",
        p(&office),
        "--account",
        &account,
        "--first-name",
        "Petra",
        "--last-name",
        "Einkauf",
        "--role",
        "decision_maker",
    ]);
    let edited: serde_json::Value =
        serde_json::from_str(&ok(&["account", "edit", "--db", p(&office), &account, "--employees", "62", "--json"]))
            .unwrap();
    assert_eq!((edited["employees"].as_u64(), edited["name"].as_str()), (Some(62), Some("Müller Maschinenbau")));
    ok(&["account", "edit-contact", "--db", p(&office), "--account", &account, &contact, "--phone", "+49 89 1000"]);
    let r = onsite(&["account", "edit", "--db", p(&office), &account, "--name", ""]);
    assert_eq!(r.status.code(), Some(3), "an empty name: {}", text(&r.stderr));
    let status: serde_json::Value =
        serde_json::from_str(&ok(&["device", "status", "--db", p(&office), "--json"])).unwrap();
    assert_eq!(status["health"]["pending_documents"], 2, "{status}");
    let synced: serde_json::Value =
        serde_json::from_str(&ok(&["device", "sync", "--db", p(&office), "--json"])).unwrap();
    assert!(synced["documents_sent"].as_u64().unwrap() >= 2, "{synced}");
    admin_cmd(&["assign", "--rep", "rep-1", &account]);

    // The rep's device: register, work offline, sync.
    let issued = admin_cmd(&["device", "issue", "--person", "rep-1", "--role", "rep", "--label", "tablet"]);
    let rep_token = token_in(&issued);
    let rep_id = issued.split_whitespace().nth(1).unwrap().to_string();
    let tablet = dir.path().join("tablet.sqlite");
    let out: serde_json::Value = serde_json::from_str(&ok(&[
        "device",
        "register",
        "--db",
        p(&tablet),
        "--hub",
        &url,
        "--token",
        &rep_token,
        "--json",
    ]))
    .unwrap();
    assert_eq!(out["device_id"], rep_id.as_str());
    assert_eq!(out["sync"]["products_received"], 1, "{out}");
    let visit = ok(&[
        "activity",
        "log",
        "--db",
        p(&tablet),
        "--account",
        &account,
        "--contact",
        &contact,
        "--kind",
        "visit",
        "--subject",
        "Regalprüfung",
        "--by",
        "rep-1",
    ]);
    let quote =
        ok(&["quote", "create", "--db", p(&tablet), "--account", &account, "--contact", &contact, "--rep", "rep-1"]);
    ok(&["quote", "add-line", "--db", p(&tablet), &quote, "--sku", "SKS-M8", "--qty", "500"]);
    let q: serde_json::Value = serde_json::from_str(&ok(&[
        "quote",
        "set-qty",
        "--db",
        p(&tablet),
        &quote,
        "--line",
        "1",
        "--qty",
        "800",
        "--json",
    ]))
    .unwrap();
    assert_eq!(q["lines"][0]["qty"], "800");
    let number = ok(&["quote", "send", "--db", p(&tablet), &quote]);
    assert!(!number.is_empty());
    ok(&["device", "sync", "--db", p(&tablet)]);
    let status = ok(&["device", "status", "--db", p(&tablet)]);
    assert!(status.contains("waiting to be sent: 0 documents") && status.contains("rep rep-1"), "{status}");

    // The back office sees the rep's work.
    ok(&["device", "sync", "--db", p(&office)]);
    let key = std::fs::read_to_string(dir.path().join("office.sqlite.key")).unwrap();
    let store = onsite_core::Store::open(
        &office,
        onsite_core::StoreOptions { key: Some(onsite_core::StoreKey::from_hex(&key).unwrap()), ..Default::default() },
    )
    .unwrap();
    let seen = store.quote(&quote).unwrap();
    assert_eq!((seen.state.as_str(), seen.lines[0].qty.to_string()), ("sent", "800".to_string()));
    assert!(store.activities_for_account(&account, 10).unwrap().iter().any(|a| a.id == visit));
    drop(store);

    // The customer approves on their phone, the rep orders, the customer
    // reorders at today's prices; the hub takes each under its rules.
    let issued = admin_cmd(&["device", "issue", "--person", "petra", "--role", "customer", "--account", &account]);
    let phone = dir.path().join("phone.sqlite");
    ok(&["device", "register", "--db", p(&phone), "--hub", &url, "--token", &token_in(&issued)]);
    let r = onsite(&["quote", "reject", "--db", p(&phone), "no-such-quote", "--reason", "zu teuer"]);
    assert_eq!(r.status.code(), Some(4), "{}", text(&r.stderr));
    assert_eq!(
        ok(&["quote", "approve", "--db", p(&phone), &quote, "--name", "Petra Einkauf", "--role", "Einkauf"]),
        "approved"
    );
    ok(&["device", "sync", "--db", p(&phone)]);
    ok(&["device", "sync", "--db", p(&tablet)]);
    let order = ok(&["quote", "order", "--db", p(&tablet), &quote]);
    ok(&["device", "sync", "--db", p(&tablet)]);
    ok(&["device", "sync", "--db", p(&phone)]);
    let again: serde_json::Value =
        serde_json::from_str(&ok(&["quote", "reorder", "--db", p(&phone), &order, "--qty", "SKS-M8=100", "--json"]))
            .unwrap();
    assert_eq!((again["lines"][0]["qty"].as_str(), again["reorder_of"].as_str()), (Some("100"), Some(order.as_str())));
    ok(&["device", "sync", "--db", p(&phone)]);
    let orders: serde_json::Value = serde_json::from_str(&admin_cmd(&["orders", "--json"])).unwrap();
    assert_eq!(orders["orders"].as_array().map(Vec::len), Some(2), "{orders}");
    let r = onsite(&["quote", "reorder", "--db", p(&phone), &order, "--qty", "SKS-M8"]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));

    // Bad input and a revoked token: clear errors, exit codes.
    let r = onsite(&["quote", "set-qty", "--db", p(&tablet), &quote, "--line", "9", "--qty", "1"]);
    assert_eq!(r.status.code(), Some(3));
    assert!(text(&r.stderr).contains("lines 1 to 1, not 9"), "{}", text(&r.stderr));
    let r = onsite(&["quote", "add-line", "--db", p(&tablet), &quote, "--sku", "SKS-M8", "--qty=-5"]);
    assert_eq!(r.status.code(), Some(3), "{}", text(&r.stderr));
    let r = onsite(&["device", "sync", "--db", p(&dir.path().join("nope.sqlite"))]);
    assert_eq!(r.status.code(), Some(4), "{}", text(&r.stderr));
    admin_cmd(&["device", "revoke", &rep_id]);
    ok(&[
        "activity",
        "log",
        "--db",
        p(&tablet),
        "--account",
        &account,
        "--subject",
        "Anruf",
        "--kind",
        "call",
        "--by",
        "rep-1",
    ]);
    let r = onsite(&["device", "sync", "--db", p(&tablet)]);
    assert_eq!(r.status.code(), Some(5), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("not authorized"), "{}", text(&r.stderr));
    let status = ok(&["device", "status", "--db", p(&tablet)]);
    assert!(status.contains("waiting to be sent: 1 documents") && status.contains("last error"), "{status}");
    let _ = child.kill();
    let _ = child.wait();
}

on_both_backends!(a_crm_export_reaches_the_hub_all_or_nothing);

fn a_crm_export_reaches_the_hub_all_or_nothing(db: &Db) {
    let hub = crate::common::hub(db);
    let dir = tempfile::tempdir().unwrap();
    let run = |file: &Path| {
        Command::new(env!("CARGO_BIN_EXE_onsite"))
            .args(["admin", "import", "accounts", p(file)])
            .env("ONSITE_HUB", hub.url())
            .env("ONSITE_TOKEN", &hub.admin_token)
            .output()
            .unwrap()
    };
    let good = dir.path().join("crm.csv");
    std::fs::write(
        &good,
        "account_id;name;legal_form;street;postal_code;city;employees;assigned_rep;contact_id;first_name;last_name;role;email\n\
         crm-1001;Müller Maschinenbau;GmbH;Hauptstraße 1;80331;München;62;rep-1;crm-c-1;Petra;Einkauf;decision maker;petra@mueller.example\n\
         crm-1001;Müller Maschinenbau;GmbH;Hauptstraße 1;80331;München;62;rep-1;crm-c-2;Karl;Lager;user;\n\
         crm-1002;Weber Metallbau;KG;Ringstraße 5;90402;Nürnberg;;rep-1;;;;;\n",
    )
    .unwrap();
    let r = run(&good);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("2 accounts, 2 contacts"), "{}", text(&r.stdout));

    // A bad file: every bad row with its line, nothing imported.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "account_id;name;street;postal_code;city;employees;contact_id;first_name;last_name;role\n\
         crm-2001;Schmidt;Weg 1;10115;Berlin;;crm-c-9;Max;Muster;user\n\
         crm-2002;Neu GmbH;Weg 2;10115;Berlin;viele;;;;\n\
         crm-2003;Alt AG;Weg 3;10115;Berlin;;crm-c-8;Eva;Weiß;chef\n",
    )
    .unwrap();
    let r = run(&bad);
    assert_eq!(r.status.code(), Some(3), "{}", text(&r.stderr));
    let err = text(&r.stderr);
    assert!(err.contains("line 3") && err.contains("line 4") && err.contains("employees"), "{err}");

    // A rep's device receives what was imported, and only that.
    hub.admin
        .post_json("/v1/admin/reps/rep-1/accounts", &serde_json::json!({ "add": ["crm-1001", "crm-1002"] }))
        .unwrap();
    let rep = hub.device(dir.path(), "rep-1", "rep", None);
    rep.sync();
    let contacts = rep.store.contacts("crm-1001").unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(contacts.iter().any(|c| c.email.as_deref() == Some("petra@mueller.example")));
    assert_eq!(rep.store.account("crm-1002").unwrap().name, "Weber Metallbau");
    assert!(rep.store.account("crm-2001").is_err(), "nothing of the bad file");

    // Importing again updates, it does not double.
    let again = dir.path().join("again.json");
    std::fs::write(
        &again,
        r#"[{"id":"crm-1002","name":"Weber Metallbau GmbH","legal_form":"GmbH","employees":40,"industry":null,
            "billing_address":{"street":"Ringstraße 5","postal_code":"90402","city":"Nürnberg","country":"DE"},
            "shipping_address":null,"vat_id":null,"customer_group":null,"assigned_rep":"rep-1","contacts":[]}]"#,
    )
    .unwrap();
    let r = run(&again);
    assert!(r.status.success(), "{}", text(&r.stderr));
    rep.sync();
    assert_eq!(rep.store.account("crm-1002").unwrap().name, "Weber Metallbau GmbH");
    assert_eq!(rep.store.contacts("crm-1001").unwrap().len(), 2);
}
