//! Files from the command line (issue 21) against a real `onsite serve`:
//! the back office publishes product images from a folder (a bad one
//! refused by its content) and from a ZIP, a rep's tablet prefetches the thumbnails,
//! attaches a drawing to a quote offline and uploads it with the next
//! sync, and the office's device fetches it byte for byte.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{spawn_serve, token_in};

fn onsite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onsite")).args(args).output().expect("run onsite")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(args: &[&str]) -> String {
    let r = onsite(args);
    assert!(r.status.success(), "{args:?}: {} {}", text(&r.stdout), text(&r.stderr));
    text(&r.stdout).trim().to_string()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn images_and_attachments_travel_through_a_real_hub() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("hub.sqlite").display());
    let admin = token_in(&ok(&["admin", "bootstrap", "--database", &database, "--person", "backoffice"]));
    let (mut child, _out, url) = spawn_serve(&database, &["--quiet"]);
    let admin_cmd = |args: &[&str]| {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        Command::new(env!("CARGO_BIN_EXE_onsite"))
            .args(&all)
            .env("ONSITE_HUB", &url)
            .env("ONSITE_TOKEN", &admin)
            .output()
            .unwrap()
    };
    let csv = dir.path().join("catalog.csv");
    std::fs::write(
        &csv,
        "sku;name;unit;list_price;tax_class;image\nSKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD;sks-m8.png\nDUE-8;Dübel 8 mm;pc;0,05;DE-STD;due-8.png\n",
    )
    .unwrap();
    assert!(admin_cmd(&["publish", "catalog", p(&csv)]).status.success());

    // A folder with one good image and one whose name lies about its content.
    let images = dir.path().join("bilder");
    std::fs::create_dir(&images).unwrap();
    let photo = onsite_core::sample::product_png(3, 800, 600);
    std::fs::write(images.join("sks-m8.png"), &photo).unwrap();
    std::fs::write(images.join("evil.png"), b"%PDF-1.7\nnot an image").unwrap();
    let r = admin_cmd(&["publish", "images", p(&images)]);
    let said = text(&r.stdout);
    assert_eq!(r.status.code(), Some(3), "a refused image is invalid input: {said} {}", text(&r.stderr));
    assert!(said.contains("sks-m8.png: 800×600 \"image/png\"") || said.contains("sks-m8.png: 800×600"), "{said}");
    assert!(said.contains("refused evil.png") && said.contains("PNG or JPEG"), "{said}");
    assert!(said.contains("published 1 of 2"), "{said}");
    // A ZIP as a photo tool exports it: a folder inside, the Finder's
    // resource forks and hidden files beside the image (left out).
    let dowel = onsite_core::sample::product_png(4, 400, 300);
    let zip = dir.path().join("bilder.zip");
    std::fs::write(
        &zip,
        onsite_core::fixtures::zip_archive(&[
            ("bilder/due-8.png", &dowel[..], true),
            ("__MACOSX/bilder/._due-8.png", b"\0\x05\x16\x07 resource fork", false),
            ("bilder/.DS_Store", b"Bud1", false),
        ]),
    )
    .unwrap();
    let r = admin_cmd(&["publish", "images", p(&zip)]);
    let said = text(&r.stdout);
    assert!(r.status.success(), "{said} {}", text(&r.stderr));
    assert!(said.contains("due-8.png: 400×300") && said.contains("published 1 of 1"), "{said}");

    // The office's device creates the account; the rep's tablet works on it.
    let office_token = token_in(&text(
        &admin_cmd(&["device", "issue", "--person", "backoffice", "--role", "admin", "--label", "office"]).stdout,
    ));
    let office = dir.path().join("office.sqlite");
    ok(&["device", "register", "--db", p(&office), "--hub", &url, "--token", &office_token]);
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
    ok(&["device", "sync", "--db", p(&office)]);
    assert!(admin_cmd(&["assign", "--rep", "rep-1", &account]).status.success());
    let issued =
        text(&admin_cmd(&["device", "issue", "--person", "rep-1", "--role", "rep", "--label", "tablet"]).stdout);
    let tablet = dir.path().join("tablet.sqlite");
    let registered: serde_json::Value = serde_json::from_str(&ok(&[
        "device",
        "register",
        "--db",
        p(&tablet),
        "--hub",
        &url,
        "--token",
        &token_in(&issued),
        "--json",
    ]))
    .unwrap();
    assert_eq!(registered["sync"]["files"]["downloaded"], 2, "both thumbnails came with the first sync: {registered}");

    let quote = ok(&["quote", "create", "--db", p(&tablet), "--account", &account, "--rep", "rep-1"]);
    let drawing = dir.path().join("Zeichnung.pdf");
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..1_500_000u32).map(|i| (i % 251) as u8));
    std::fs::write(&drawing, &bytes).unwrap();
    let r = onsite(&["file", "attach", "--db", p(&tablet), "--quote", &quote, "--name", "../x.pdf", p(&drawing)]);
    assert_eq!(r.status.code(), Some(3), "a path is no file name: {}", text(&r.stderr));
    let attached: serde_json::Value =
        serde_json::from_str(&ok(&["file", "attach", "--db", p(&tablet), "--quote", &quote, p(&drawing), "--json"]))
            .unwrap();
    assert_eq!(attached["file"]["media_type"], "application/pdf");
    let budget: serde_json::Value =
        serde_json::from_str(&ok(&["file", "budget", "--db", p(&tablet), "--json"])).unwrap();
    assert_eq!(budget["pending_uploads"], 1, "{budget}");
    let synced = ok(&["device", "sync", "--db", p(&tablet)]);
    assert!(synced.contains("files: 1 uploaded"), "{synced}");

    // The office's device prefetches the open quote's drawing.
    let got = ok(&["device", "sync", "--db", p(&office)]);
    assert!(got.contains("fetched"), "{got}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&["file", "list", "--db", p(&office), "--quote", &quote, "--json"])).unwrap();
    assert_eq!(listed[0]["on_device"], true, "{listed}");
    let out = dir.path().join("copy.pdf");
    ok(&["file", "get", "--db", p(&office), attached["id"].as_str().unwrap(), "--out", p(&out)]);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    child.kill().unwrap();
    let _ = child.wait();
}
