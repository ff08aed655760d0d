//! `onsite serve` and `onsite admin` as an operator runs them: real
//! processes talking HTTP on loopback, exit codes, a graceful stop.

use std::io::BufReader;
use std::process::{Child, Command, Output};

use crate::common::{spawn_serve, token_in};

fn onsite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onsite")).args(args).output().expect("run onsite")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Serve {
    child: Child,
    url: String,
    out: BufReader<std::process::ChildStdout>,
}

fn serve(database: &str) -> Serve {
    let (child, out, url) = spawn_serve(database, &[]);
    Serve { child, url, out }
}

#[test]
fn an_operator_runs_the_hub_and_the_back_office_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("hub.sqlite").display());
    let r = onsite(&["admin", "bootstrap", "--database", &database, "--person", "backoffice"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let admin = token_in(&text(&r.stdout));
    assert!(text(&r.stdout).contains("shown once"));

    let mut hub = serve(&database);
    let h = hub.url.clone();
    let run = |args: &[&str]| {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_onsite"));
        cmd.args(&all).env("ONSITE_HUB", &h).env("ONSITE_TOKEN", &admin);
        cmd.output().unwrap()
    };

    let r = run(&["device", "issue", "--person", "rep-anna", "--role", "rep", "--label", "Annas Tablet"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let rep_token = token_in(&text(&r.stdout));
    let rep_id = text(&r.stdout).split_whitespace().nth(1).unwrap().to_string();
    let r = run(&["device", "list"]);
    let listed = text(&r.stdout);
    assert!(listed.contains("rep-anna") && listed.contains("backoffice") && listed.contains("active"), "{listed}");
    assert!(!listed.contains("ost_"), "tokens are never listed");

    let csv = dir.path().join("catalog.csv");
    std::fs::write(
        &csv,
        "sku;name;unit;list_price;tax_class\nA-1;Schraube;pc;0,12;DE-STD\nA-2;Mutter;pc;0,05;DE-STD\n",
    )
    .unwrap();
    let r = run(&["publish", "catalog", csv.to_str().unwrap()]);
    assert!(text(&r.stdout).contains("2 added"), "{} {}", text(&r.stdout), text(&r.stderr));
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"max_discount_pct":"10","category_limits":[],"min_margin_pct":"15","reason_required":true}"#,
    )
    .unwrap();
    let r = run(&["publish", "policy", policy.to_str().unwrap()]);
    assert!(text(&r.stdout).contains("catalog sequence 2"), "{}", text(&r.stdout));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "sku;name;unit;list_price;tax_class\nB-1;;pc;abc;DE-STD\n").unwrap();
    let r = run(&["publish", "catalog", bad.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(3), "a refused file: {}", text(&r.stderr));
    assert!(text(&r.stderr).contains("422"), "{}", text(&r.stderr));

    // Accounts the hub does not have cannot be assigned, nor a customer's
    // device issued for one.
    let r = run(&["assign", "--rep", "rep-anna", "acc-1", "acc-2"]);
    assert_eq!(r.status.code(), Some(4), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("no account acc-1, acc-2 at the hub"), "{}", text(&r.stderr));
    let r = run(&["device", "issue", "--person", "eva", "--role", "customer", "--account", "acc-9"]);
    assert_eq!(r.status.code(), Some(4), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("not at the hub"), "{}", text(&r.stderr));
    let crm = dir.path().join("crm.csv");
    std::fs::write(
        &crm,
        "account_id;name;street;postal_code;city\nacc-1;Müller;Weg 1;80331;München\nacc-2;Weber;Weg 2;90402;Nürnberg\n",
    )
    .unwrap();
    assert!(run(&["import", "accounts", crm.to_str().unwrap()]).status.success());
    let r = run(&["assign", "--rep", "rep-anna", "acc-1", "acc-2"]);
    assert!(text(&r.stdout).contains("rep-anna now has 2 accounts"), "{}", text(&r.stdout));
    assert!(text(&run(&["quotes"]).stdout).contains("no quotes"));
    assert!(text(&run(&["orders"]).stdout).contains("no orders"));
    assert_eq!(run(&["quotes", "--state", "bogus"]).status.code(), Some(3));
    assert_eq!(run(&["discount", "approve", "no-such-quote"]).status.code(), Some(4));

    // A rep's token cannot use the back office; a revoked token nothing.
    let r = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["admin", "device", "list", "--hub", &h, "--token", &rep_token])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(5), "{}", text(&r.stderr));
    // A refused frame is logged with the device id and the reason only.
    let e = onsite_cli::client::HubClient::new(&h, &rep_token, None).unwrap().sync_frame(b"garbage").unwrap_err();
    assert!(e.to_string().contains("400"), "{e}");
    // An app too old for the hub is told to update (ADR 28), one newer
    // than the hub that the hub is too old.
    let client = onsite_cli::client::HubClient::new(&h, &rep_token, None).unwrap();
    let e = client.sync_frame(b"OSYN\x01\x01").unwrap_err();
    assert!(e.to_string().contains("426") && e.to_string().contains("update the app"), "{e}");
    let e = client.sync_frame(&[b'O', b'S', b'Y', b'N', onsite_core::sync::PROTOCOL_VERSION + 1, 1]).unwrap_err();
    assert!(e.to_string().contains("400") && e.to_string().contains("not supported"), "{e}");
    assert!(run(&["device", "revoke", &rep_id]).status.success());
    assert!(text(&run(&["device", "list"]).stdout).contains("revoked"));
    let r = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["admin", "orders", "--hub", &h, "--token", &rep_token])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(5));
    let r = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["admin", "orders", "--hub", &h])
        .env_remove("ONSITE_TOKEN")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2), "no token: {}", text(&r.stderr));

    // SIGTERM: the hub stops accepting, finishes, and says so.
    let pid = hub.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = hub.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut hub.out, &mut rest).unwrap();
    assert!(rest.contains("onsite hub stopped"), "{rest}");
    let mut log = String::new();
    std::io::Read::read_to_string(hub.child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(log.contains("authentication refused") && log.contains("shutting down"), "{log}");
    assert!(log.contains(&format!("sync refused for device {rep_id}: bad_frame")), "{log}");
    assert!(log.contains(&format!("sync refused for device {rep_id}: upgrade_required")), "{log}");
    assert!(!log.contains("rep-anna") && !log.contains(&rep_token), "no personal data or secrets in the log: {log}");
}

#[test]
fn the_load_generator_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lt");
    let r = onsite(&[
        "loadtest",
        "--devices",
        "12",
        "--concurrency",
        "4",
        "--products",
        "50",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let report: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(report["devices"], 12);
    assert_eq!(report["changes_made"], 12 * 8);
    assert_eq!(report["changes_lost"], 0);
    assert!(report["round_trips"].as_u64().unwrap() >= 12);
    assert!(report["server_peak_rss_kib"].as_u64().unwrap() > 1000);
    assert!(out.join("report.json").exists());
}

/// `--database-key-file`: the embedded hub database is encrypted at rest; a
/// plaintext one is encrypted in place on the first start with a key, and
/// without its key the hub refuses to start instead of creating a new one.
#[test]
fn the_hub_database_is_encrypted_with_a_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let database = format!("sqlite:{}", path.display());
    let key = dir.path().join("hub.key");
    std::fs::write(&key, format!("{}\n", onsite_core::StoreKey::generate().unwrap().to_hex())).unwrap();
    let key_arg = key.to_str().unwrap();

    // A plaintext hub database from before, with its admin.
    let r = onsite(&["admin", "bootstrap", "--database", &database, "--person", "backoffice"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(std::fs::read(&path).unwrap().starts_with(b"SQLite format 3\0"));
    let admin = token_in(&text(&r.stdout));

    // The first start with a key encrypts it; the admin token still works.
    let (mut child, _out, url) = spawn_serve(&database, &["--database-key-file", key_arg]);
    let client = onsite_cli::client::HubClient::new(&url, &admin, None).unwrap();
    let devices = client.get_json("/v1/admin/devices").unwrap();
    assert!(devices.to_string().contains("backoffice"), "{devices}");
    child.kill().unwrap();
    child.wait().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"), "encrypted in place");
    assert!(!bytes.windows(10).any(|w| w == b"backoffice"), "no readable person in the file");

    // Without the key (or with another) it refuses to start and changes nothing.
    let r = onsite(&["serve", "--listen", "127.0.0.1:0", "--database", &database]);
    assert!(!r.status.success());
    assert!(text(&r.stderr).contains("encrypted and no key was given"), "{}", text(&r.stderr));
    let other = dir.path().join("other.key");
    std::fs::write(&other, onsite_core::StoreKey::generate().unwrap().to_hex()).unwrap();
    let r = onsite(&[
        "admin",
        "bootstrap",
        "--database",
        &database,
        "--database-key-file",
        other.to_str().unwrap(),
        "--person",
        "x",
    ]);
    assert!(text(&r.stderr).contains("wrong key"), "{}", text(&r.stderr));
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing written");
    // A key file that is not a key is a usage error, not a new database.
    std::fs::write(&other, "not a key").unwrap();
    let r = onsite(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--database-key-file",
        other.to_str().unwrap(),
    ]);
    assert!(text(&r.stderr).contains("invalid key"), "{}", text(&r.stderr));
    // PostgreSQL takes no key: the server's disk encryption is its part.
    let r = onsite(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        "postgres://u@127.0.0.1:1/x",
        "--database-key-file",
        key_arg,
    ]);
    assert!(text(&r.stderr).contains("PostgreSQL relies on the server's disk encryption"), "{}", text(&r.stderr));
}
