//! The `onsite` binary as a user runs it: real processes, real files, exit
//! codes and what lands on stdout and stderr.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: failing loudly is the point

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn onsite(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onsite"));
    // A store the demo wrote is encrypted; its key is in keys/ beside it.
    if let Some(key) = args.iter().position(|a| *a == "--db").and_then(|i| demo_key(Path::new(args[i + 1]))) {
        cmd.env("ONSITE_KEY_FILE", key); // as `--key-file`
    }
    cmd.args(args).output().expect("run onsite")
}

/// The key file the demo wrote for the store at `db`, if there is one.
fn demo_key(db: &Path) -> Option<std::path::PathBuf> {
    let stem = db.file_stem()?.to_string_lossy().into_owned();
    Some(db.parent()?.join("keys").join(format!("{stem}.key"))).filter(|k| k.exists())
}

/// Opens a store the demo wrote, with its key.
fn open_demo(db: &Path) -> onsite_core::Store {
    let key = demo_key(db).map(|k| onsite_core::StoreKey::from_hex(&std::fs::read_to_string(k).unwrap()).unwrap());
    onsite_core::Store::open(db, onsite_core::StoreOptions { key, ..Default::default() }).unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs `onsite demo` into `{dir}/demo` with that many products and
/// accounts; the folder.
fn demo(dir: &Path, products: &str, accounts: &str) -> PathBuf {
    let out = dir.join("demo");
    let r = onsite(&["demo", "--out", p(&out), "--products", products, "--accounts", accounts]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    out
}

#[test]
fn demo_runs_the_field_day_over_http_and_leaves_everything_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let r = onsite(&["demo", "--out", p(&out), "--products", "3000", "--accounts", "40"]);
    let stdout = text(&r.stdout);
    assert!(r.status.success(), "stderr: {}", text(&r.stderr));
    assert!(text(&r.stderr).is_empty(), "no progress noise when piped: {}", text(&r.stderr));
    for said in [
        "Started the hub at http://127.0.0.1:",
        "Published the catalog over HTTP: 3000 products",
        "bad-rows.csv refused whole (HTTP 422)",
        "line 4 (NEU-0003): unknown tax class \"US-SALES\"",
        "an admin device of its own, sent 40 accounts",
        "Müller-Schraube",
        "sending is refused by the discount policy",
        "1 quote(s) waiting for a discount decision",
        "revision 2, sent, approval superseded by revision 2 (Eva Weiß approved revision 1)",
        "the revision-1 link now answers HTTP 409",
        "approves revision 2 (HTTP 303",
        "revision 2, approved, approved by Eva Weiß (Leiterin Einkauf) via the web link from 127.0.0.1",
        "the back office sees 1 order(s)",
        "Eva reorders the C-parts from her phone",
        "today's prices); synced, the back office now sees 2 orders",
        "product images (",
        "files down (",
        "2 files up (",
        "the quote's files on her phone: regal-c-teile.png (1 held offline)",
        "Storage on each device",
        "What just happened",
    ] {
        assert!(stdout.contains(said), "{said:?} missing from:\n{stdout}");
    }
    // Three devices print the same converged and the same approved state.
    assert_eq!(stdout.matches("sent, approval superseded by revision 2").count(), 4, "three devices and the hub");
    assert_eq!(stdout.matches("via the web link from 127.0.0.1").count(), 3);
    for f in [
        "hub.sqlite",
        "crm.sqlite",
        "anna-tablet.sqlite",
        "ben-tablet.sqlite",
        "eva-phone.sqlite",
        "catalog.csv",
        "reference-data.json",
        "bad-rows.csv",
        "quote-revision-1.pdf",
        "quote-revision-2.pdf",
        "datasheet.pdf",
        "quote.json",
        "admin-token.txt",
    ] {
        assert!(out.join(f).exists(), "{f} written");
        assert!(stdout.contains(f), "{f} named in the output");
    }

    // Every store it leaves is encrypted at rest: no SQLite header, none of
    // the buying centers' e-mail addresses in the file.
    for f in ["hub.sqlite", "crm.sqlite", "anna-tablet.sqlite", "ben-tablet.sqlite", "eva-phone.sqlite"] {
        let bytes = std::fs::read(out.join(f)).unwrap();
        assert!(!bytes.starts_with(b"SQLite format 3"), "{f} is encrypted");
        assert!(!bytes.windows(8).any(|w| w == b".example"), "{f}: no e-mail address (the sample's end in .example)");
        assert!(out.join("keys").join(f.replace(".sqlite", ".key")).exists(), "{f}'s key is kept apart");
    }

    // The hub database it leaves holds the approval as the browser made it.
    let hub = open_demo(&out.join("hub.sqlite"));
    let quotes = hub.quote_listings(None, false).unwrap();
    assert_eq!(quotes.len(), 1);
    let q = hub.quote(&quotes[0].id).unwrap();
    assert_eq!((q.revision, q.state), (2, onsite_core::quote::QuoteState::Ordered));
    let approval = q.approval.unwrap();
    assert_eq!(approval.auth, onsite_core::quote::SignerAuth::WebLink);
    assert_eq!(approval.revision_hash, q.revision_hash);
    assert_eq!(hub.devices().unwrap().len(), 5, "admin, CRM, two tablets, a phone");

    // Files: the tablets hold the published thumbnails, the customer's phone
    // only the attachment marked for her, and each store's figure is printed.
    let eva = open_demo(&out.join("eva-phone.sqlite"));
    let on_quote = onsite_core::blob::AttachmentParent::Quote { quote_id: q.id.clone() };
    let shown = eva.attachments(&on_quote).unwrap();
    assert_eq!(shown.iter().map(|a| a.file.name.as_str()).collect::<Vec<_>>(), ["regal-c-teile.png"]);
    assert!(eva.has_blob(&shown[0].file.hash).unwrap());
    let anna = open_demo(&out.join("anna-tablet.sqlite"));
    assert_eq!(anna.attachments(&on_quote).unwrap().len(), 2);
    let budget = anna.blob_budget().unwrap();
    assert_eq!(budget.pending_uploads, 0, "both files uploaded");
    let company = anna.company_profile().unwrap().unwrap();
    let logo = company.logo.expect("the logo was fetched with the first sync");
    assert_eq!(company.logo_file.map(|f| f.size), Some(logo.len() as u64), "kept as a file");
    assert!(budget.pinned_bytes >= logo.len() as u64, "and pinned");
    let sku = q.lines[0].sku.clone();
    let thumb = anna.product_image(&sku).unwrap().expect("the first line's product has a published image");
    assert!(anna.has_blob(&thumb.thumb_hash).unwrap() && !anna.has_blob(&thumb.hash).unwrap());
    let line = stdout.lines().find(|l| l.trim_start().starts_with("Anna's tablet") && l.contains("in all")).unwrap();
    assert!(line.contains(&format!("in {} (budget 512 MiB", budget.blobs)), "{line}");
    // Each PDF carries the signed link of its own revision.
    for (file, rev) in [("quote-revision-1.pdf", 1), ("quote-revision-2.pdf", 2)] {
        let t = Command::new("pdftotext").arg(out.join(file)).arg("-").output();
        if let Some(t) = t.ok().filter(|t| t.status.success()) {
            let needle = format!("/a/{}.{rev}.", q.id);
            assert!(text(&t.stdout).contains(&needle), "{file} lacks {needle}");
        }
    }

    // The rep's tablet answers the commands it suggests, offline.
    let tablet = out.join("anna-tablet.sqlite");
    let r = onsite(&["catalog", "search", "--db", p(&tablet), "mull", "--json"]);
    assert!(r.status.success());
    let page: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let first = page["items"][0]["name"].as_str().unwrap_or_default();
    assert!(first.starts_with("Müller-Schraube"), "{first}");
    let r = onsite(&["account", "list", "--db", p(&out.join("hub.sqlite")), "--rep", "rep-1", "--json"]);
    let page: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 8, "40 accounts round-robin over 5 reps");

    // Running it again replaces the previous databases instead of adding to them.
    let r = onsite(&["demo", "--out", p(&out), "--products", "500", "--accounts", "5"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("replacing the previous demo's database"));
    assert!(text(&r.stdout).contains("Published the catalog over HTTP: 500 products"));
    let hub = open_demo(&out.join("hub.sqlite"));
    assert_eq!(hub.devices().unwrap().len(), 5);
}

#[test]
fn import_good_and_bad_files_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "sku;name;unit;list_price;tax_class;attr:Material\n\
         A-1;Sechskantschraube M8×40;pc;0,12;DE-STD;Stahl\n\
         A-2;Schutzhandschuhe Größe 9;pair;1.234,50;DE-STD;Nitril\n",
    )
    .unwrap();
    let r = onsite(&["catalog", "import", "--db", p(&db), p(&good), "--json"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(summary["products_added"], 2);
    assert_eq!(summary["seq"], 1);

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "[\n{\"sku\": \"B-1\", \"name\": \"Neu\", \"unit\": \"pc\", \"list_price\": \"1\", \"tax_class\": \"DE-STD\"},\n\
         {\"sku\": \"B-2\", \"name\": \"Kaputt\", \"unit\": \"pc\", \"list_price\": \"-5\", \"tax_class\": \"DE-STD\"},\n\
         {\"sku\": \"B-3\", \"name\": \"Steuer\", \"unit\": \"pc\", \"list_price\": \"5\", \"tax_class\": \"XX\"}\n]",
    )
    .unwrap();
    let r = onsite(&["catalog", "import", "--db", p(&db), p(&bad)]);
    assert_eq!(r.status.code(), Some(3), "bad input exits with 3");
    let err = text(&r.stderr);
    assert!(err.contains("nothing was changed: 2 problems"), "{err}");
    assert!(err.contains("line 3 (B-2): list price is negative"), "{err}");
    assert!(err.contains("line 4 (B-3): unknown tax class \"XX\""), "{err}");
    assert!(r.stdout.is_empty());

    let r = onsite(&["catalog", "search", "--db", p(&db), "neu"]);
    assert!(text(&r.stdout).contains("no products found"), "B-1 was not imported either");
    let r = onsite(&["catalog", "search", "--db", p(&db), "grosse", "--locale", "en-US"]);
    assert!(text(&r.stdout).contains("€1,234.50"), "{}", text(&r.stdout));
    // Typos and sizes are found, and the table says why.
    let r = onsite(&["catalog", "search", "--db", p(&db), "sechskantschruabe", "m8x40"]);
    let out = text(&r.stdout);
    assert!(out.contains("A-1") && out.contains("sechskantschruabe: read as Sechskantschraube (1 typo)"), "{out}");
    let r = onsite(&["catalog", "search", "--db", p(&db), "groesse", "--json"]);
    let page: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(page["items"][0]["tier"], "exact");
    assert_eq!(page["items"][0]["matches"][0]["word"], "Größe", "the other spelling of Größe");
    let r = onsite(&["catalog", "show", "--db", p(&db), "a-1"]);
    assert!(text(&r.stdout).contains("Material"), "{}", text(&r.stdout));

    let r = onsite(&["catalog", "show", "--db", p(&db), "NOPE"]);
    assert_eq!(r.status.code(), Some(4));
    assert!(text(&r.stderr).contains("product not found: NOPE"));

    let r = onsite(&["catalog", "import", "--db", p(&db), p(&dir.path().join("missing.csv"))]);
    assert_eq!(r.status.code(), Some(4));
    assert!(text(&r.stderr).contains("missing.csv"));

    let r = onsite(&["catalog", "search", "--db", p(&db)]);
    assert_eq!(r.status.code(), Some(2), "a missing query is a usage error");

    // Export writes the import format back.
    let exported = dir.path().join("export.csv");
    let r = onsite(&["catalog", "export", "--db", p(&db), "--out", p(&exported)]);
    assert!(r.status.success());
    let again = dir.path().join("again.sqlite");
    let r = onsite(&["catalog", "import", "--db", p(&again), p(&exported), "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(summary["products_added"], 2, "{}", text(&r.stderr));
}

#[test]
fn a_database_from_the_future_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("future.sqlite");
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "sku,name,unit,list_price,tax_class\nA,B,pc,1,DE-STD\n").unwrap();
    assert!(onsite(&["catalog", "import", "--db", p(&db), p(&csv)]).status.success());
    // Stamp a future schema version: bytes 60..64 of an SQLite file are its
    // user_version (the last connection's close checkpointed the WAL).
    assert!(!Path::new(&format!("{}-wal", p(&db))).exists());
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[60..64].copy_from_slice(&999u32.to_be_bytes());
    std::fs::write(&db, bytes).unwrap();
    let r = onsite(&["catalog", "search", "--db", p(&db), "b"]);
    assert_eq!(r.status.code(), Some(1));
    let err = text(&r.stderr);
    assert!(
        err.contains(&format!(
            "schema version 999, newer than the {} this build knows",
            onsite_core::store::SCHEMA_VERSION
        )),
        "{err}"
    );
}

fn onsite_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn quote_price_reads_json_and_prints_the_priced_quote() {
    // Example E5 of docs/pricing.md, from standard input.
    let e5 = r#"{"header_discount_pct": "3", "lines": [
        {"name": "A", "qty": "7", "unit_price": "1.99", "discount_pct": "12.5"},
        {"name": "B", "qty": 3, "unit_price": 4.15},
        {"name": "Buch", "qty": "1", "unit_price": "49.90", "tax_rate_pct": "7"}]}"#;
    let r = onsite_stdin(&["quote", "price"], e5);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(
        (v["net_total"].as_str(), v["tax_total"].as_str(), v["gross_total"].as_str()),
        (Some("72.30"), Some("7.93"), Some("80.23"))
    );
    assert_eq!(v["lines"][0]["net"], "12.19");
    assert_eq!(v["tax_groups"][0]["rate_pct"], "7");
    assert_eq!(v["tax_groups"][1]["discount"], "0.74");

    // SKUs resolved from a store: name, unit, tax rate and list price.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let csv = dir.path().join("c.csv");
    std::fs::write(
        &csv,
        "sku;name;unit;list_price;tax_class\nBUCH;Handbuch;pc;49,90;DE-RED\nKABEL;Kabel NYM;m;1,20;DE-STD\n",
    )
    .unwrap();
    assert!(onsite(&["catalog", "import", "--db", p(&db), p(&csv)]).status.success());
    let input = dir.path().join("q.json");
    std::fs::write(
        &input,
        r#"{"lines": [{"sku": "buch", "qty": "2"}, {"sku": "KABEL", "qty": "12.5", "discount_pct": "10"}]}"#,
    )
    .unwrap();
    let r = onsite(&["quote", "price", "--db", p(&db), "--input", p(&input)]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["lines"][0]["name"], "Handbuch");
    assert_eq!(v["lines"][0]["tax_rate_pct"], "7");
    assert_eq!(v["lines"][1]["unit"], "m");
    assert_eq!(v["lines"][1]["net"], "13.50"); // 12.5 × 1.20 × 0.9
    assert_eq!(v["gross_total"], "122.86"); // net 113.30; tax 6.986 → 6.99 and 2.565 → 2.57

    for (bad, why) in [
        ("{", "bad JSON"),
        (r#"{"lines": [{"name": "x", "qty": "0", "unit_price": "1"}]}"#, "quantity"),
        (r#"{"lines": [{"name": "x", "qty": "1.5", "unit_price": "1"}]}"#, "decimal places"),
        (r#"{"lines": [{"name": "x", "qty": "1", "unit_price": "1", "discount_pct": "120"}]}"#, "discount"),
        (r#"{"lines": [{"name": "x", "qty": "1", "unit_price": "1"}], "colour": 1}"#, "unknown field"),
        (r#"{"currency": "XYZ", "lines": []}"#, "unknown currency"),
        (
            r#"{"lines": [{"name": "x", "qty": "1", "unit_price": "99999999999999999999999999999"}, {"name": "y", "qty": "99999999999999999999", "unit_price": "99999999999999"}]}"#,
            "out of range",
        ),
    ] {
        let r = onsite_stdin(&["quote", "price"], bad);
        assert_eq!(r.status.code(), Some(3), "{bad}: {}", text(&r.stderr));
        assert!(text(&r.stderr).contains(why), "{bad}: {}", text(&r.stderr));
    }
    let r = onsite_stdin(&["quote", "price", "--db", p(&db)], r#"{"lines": [{"sku": "NOPE", "qty": "1"}]}"#);
    assert_eq!(r.status.code(), Some(3));
    assert!(text(&r.stderr).contains("unknown product NOPE"), "{}", text(&r.stderr));
}

#[test]
fn quote_pdf_and_datasheet_commands_write_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), "600", "12");
    let json = out.join("quote.json");
    let pdf = dir.path().join("again.pdf");
    let r = onsite(&["quote", "pdf", "--input", p(&json), "--out", p(&pdf), "--locale", "en-US"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let r2 = onsite(&["quote", "pdf", "--input", p(&json), "--out", p(&dir.path().join("b.pdf")), "--locale", "en-US"]);
    assert!(r2.status.success());
    assert_eq!(bytes, std::fs::read(dir.path().join("b.pdf")).unwrap(), "deterministic across processes");
    assert!(out.join("quote-revision-2.pdf").exists() && out.join("datasheet.pdf").exists());

    // A datasheet for a product and an account of the demo store.
    let db = out.join("hub.sqlite");
    let r = onsite(&["account", "list", "--db", p(&db), "--json", "--limit", "1"]);
    let page: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let account = page["items"][0]["id"].as_str().unwrap().to_string();
    let r = onsite(&["catalog", "search", "--db", p(&db), "schraube", "--json", "--limit", "1"]);
    let hits: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let sku = hits["items"][0]["sku"].as_str().unwrap().to_string();
    let sheet = dir.path().join("sheet.pdf");
    let r = onsite(&["datasheet", "--db", p(&db), "--sku", &sku, "--account", &account, "--out", p(&sheet)]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(std::fs::read(&sheet).unwrap().starts_with(b"%PDF-"));

    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, b"not a png").unwrap();
    let r = onsite(&[
        "datasheet",
        "--db",
        p(&db),
        "--sku",
        &sku,
        "--account",
        &account,
        "--out",
        p(&sheet),
        "--image",
        p(&broken),
    ]);
    assert_eq!(r.status.code(), Some(3));
    assert!(text(&r.stderr).contains("image could not be read"), "{}", text(&r.stderr));
    let r = onsite(&["datasheet", "--db", p(&db), "--sku", "NOPE", "--account", &account, "--out", p(&sheet)]);
    assert_eq!(r.status.code(), Some(4));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"quote\": 1}").unwrap();
    let r = onsite(&["quote", "pdf", "--input", p(&bad), "--out", p(&pdf)]);
    assert_eq!(r.status.code(), Some(3));

    // An approval prints only for exactly the content approved: the
    // quantity raised after approval, the hash kept, prints as not approved.
    let mut doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let quote: onsite_core::quote::Quote = serde_json::from_value(doc["quote"].clone()).unwrap();
    let approval = onsite_core::fixtures::approval(&quote, "Eva Weiß", "dev-eva", chrono::Utc::now());
    doc["quote"]["approval"] = serde_json::to_value(&approval).unwrap();
    doc["quote"]["state"] = "approved".into();
    let pdftext = |input: &serde_json::Value, name: &str| -> (String, String) {
        let (file, out) = (dir.path().join(format!("{name}.json")), dir.path().join(format!("{name}.pdf")));
        std::fs::write(&file, serde_json::to_vec(input).unwrap()).unwrap();
        let r = onsite(&["quote", "pdf", "--input", p(&file), "--out", p(&out), "--locale", "de-DE"]);
        assert!(r.status.success(), "{}", text(&r.stderr));
        let t = Command::new("pdftotext").args([p(&out), "-"]).output().unwrap();
        (text(&r.stdout), text(&t.stdout))
    };
    let (said, printed) = pdftext(&doc, "approved");
    assert!(!said.contains("not approved"), "{said}");
    assert!(printed.contains("Freigegeben von Eva Weiß"), "{printed}");
    doc["quote"]["lines"][0]["qty"] = "5000".into();
    let (said, printed) = pdftext(&doc, "forged");
    assert!(said.contains("not approved") && said.contains("does not match its revision hash"), "{said}");
    assert!(!printed.contains("Freigegeben von") && printed.contains("Nicht freigegeben"), "{printed}");
}

#[test]
fn documents_export_and_import_as_automerge_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), "200", "4");
    let db = out.join("crm.sqlite");
    let list = onsite(&["doc", "list", "--db", p(&db), "--json"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let docs: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = docs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["doc_id"].as_str().unwrap().to_string())
        .find(|d| d.starts_with("account/"))
        .expect("an account document");
    let file = dir.path().join("account.automerge");
    let r = onsite(&["doc", "export", "--db", p(&db), &id, "--out", p(&file)]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("Automerge binary"));
    // The file is plain Automerge: any implementation loads it.
    let bytes = std::fs::read(&file).unwrap();
    assert!(automerge::AutoCommit::load(&bytes).is_ok());

    let other = dir.path().join("other.sqlite");
    let r = onsite(&["doc", "import", "--db", p(&other), p(&file)]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains(&format!("as {id}")));
    let account = id.trim_start_matches("account/");
    let a = open_demo(&db).account(account).unwrap();
    let b = open_demo(&other).account(account).unwrap();
    assert_eq!(a, b);

    let bad = dir.path().join("bad.automerge");
    std::fs::write(&bad, b"not a document").unwrap();
    let r = onsite(&["doc", "import", "--db", p(&other), p(&bad)]);
    assert_eq!(r.status.code(), Some(3), "refused input");
    let r = onsite(&["doc", "export", "--db", p(&db), "quote/does-not-exist", "--out", p(&file)]);
    assert_eq!(r.status.code(), Some(4));
    let r = onsite(&["doc", "conflicts", "--db", p(&db), &id]);
    assert!(text(&r.stdout).contains("no concurrent values"), "{}", text(&r.stdout));
}

#[test]
fn lead_and_campaign_commands_on_the_demo_stores() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), "300", "30");
    let (tablet, hub) = (out.join("anna-tablet.sqlite"), out.join("hub.sqlite"));

    // The call list on the rep's tablet, as text and as JSON.
    let r = onsite(&["lead", "calllist", "--db", p(&tablet), "--limit", "3"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("fit") && text(&r.stdout).contains("buying center"), "{}", text(&r.stdout));
    let r = onsite(&["lead", "calllist", "--db", p(&tablet), "--json", "--limit", "100"]);
    let list: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 6, "rep-1's accounts and the shared one");
    let prio: Vec<f64> = list.iter().map(|e| e["priority"].as_f64().unwrap()).collect();
    assert!(prio.windows(2).all(|w| w[0] >= w[1]), "best first: {prio:?}");
    assert!(list.iter().all(|e| e["reason"].as_str().unwrap().starts_with("fit ")));
    // On the hub, --rep narrows to that rep's accounts.
    let r = onsite(&["lead", "calllist", "--db", p(&hub), "--rep", "rep-2", "--json", "--limit", "100"]);
    let theirs: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(theirs.as_array().unwrap().len(), 7, "6 of 30 accounts plus the shared one");
    let id = list[0]["account_id"].as_str().unwrap();
    let r = onsite(&["lead", "score", "--db", p(&tablet), id]);
    let score: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(score["fits"].as_array().unwrap().len(), 2, "one per persona");

    // The funnel report, and events counted in once.
    let r = onsite(&["campaign", "report", "--db", p(&tablet), "kanban-c-teile"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let report = text(&r.stdout);
    assert!(report.contains("Attention") && report.contains("Verdict: B wins with"), "{report}");
    assert!(report.contains("A/B test send to 10 % of the list"), "{report}");
    let events = dir.path().join("events.csv");
    std::fs::write(&events, "campaign;event;variant\nkanban-c-teile;sent;A\nkanban-c-teile;opened;A\n").unwrap();
    let r = onsite(&["campaign", "import", "--db", p(&hub), p(&events)]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("counted 2 events into kanban-c-teile"), "{}", text(&r.stdout));
    let r = onsite(&["campaign", "import", "--db", p(&hub), p(&events)]);
    assert_eq!(r.status.code(), Some(3));
    assert!(text(&r.stderr).contains("counted already"), "{}", text(&r.stderr));
    let r = onsite(&["campaign", "report", "--db", p(&hub), "nope"]);
    assert_eq!(r.status.code(), Some(4));

    // Marketing activities: strangers skipped, bad files refused.
    let good = dir.path().join("acts.csv");
    std::fs::write(&good, "email;kind;at\nnobody@example.org;email_opened;2026-11-20T10:00:00Z\n").unwrap();
    let r = onsite(&["activity", "import", "--db", p(&hub), p(&good)]);
    assert!(r.status.success());
    assert!(text(&r.stdout).contains("imported 0 activities") && text(&r.stdout).contains("nobody@example.org"));
    std::fs::write(&good, "email;kind;at\nx@y.de;telepathy;2026-11-20T10:00:00Z\n").unwrap();
    let r = onsite(&["activity", "import", "--db", p(&hub), p(&good)]);
    assert_eq!(r.status.code(), Some(3));
    assert!(text(&r.stderr).contains("unknown activity kind"), "{}", text(&r.stderr));
}

#[test]
fn rough_edges_of_the_command_line_are_smooth() {
    // A closed pipe (`onsite … | head`) is no error.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let r = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["quote", "price"])
        .stdin(std::process::Stdio::piped())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(br#"{"lines": [{"name": "A", "qty": "1", "unit_price": "1"}]}"#)?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(r.status.success(), "{:?} {}", r.status, text(&r.stderr));
    assert!(!text(&r.stderr).contains("Broken pipe"), "{}", text(&r.stderr));

    // A bad value names its field; an array is not taken for a quote.
    let r = onsite_stdin(&["quote", "price"], r#"{"date": "2026-13-45", "lines": []}"#);
    assert_eq!(r.status.code(), Some(3));
    assert!(text(&r.stderr).contains("at `date`"), "{}", text(&r.stderr));
    let r = onsite_stdin(&["quote", "price"], r#"{"lines": [{"name": "A", "qty": "1", "unit_price": true}]}"#);
    assert!(text(&r.stderr).contains("at `lines[0].unit_price`"), "{}", text(&r.stderr));
    let r = onsite_stdin(&["quote", "price"], "[1,2,3]");
    assert_eq!(r.status.code(), Some(3));
    assert!(
        text(&r.stderr).contains("not an array") && !text(&r.stderr).contains("expected a string"),
        "{}",
        text(&r.stderr)
    );
}
