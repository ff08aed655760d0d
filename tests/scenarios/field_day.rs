//! A field day across crates: the back office runs `onsite demo` (through the
//! command line's own entry point), a rep's tablet starts empty, catches up
//! with the catalog through deltas, and searches offline while the hub keeps
//! publishing.

use std::ffi::OsString;
use std::sync::Arc;

use onsite_cli::ExitStatus;
use onsite_cli::cli::run;
use onsite_cli::output::Io;
use onsite_core::import::{Format, parse};
use onsite_core::store::{AccountQuery, ProductQuery};
use onsite_core::{Store, StoreOptions};

fn onsite(args: &[&str]) -> (ExitStatus, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = {
        let mut io = Io { out: &mut out, progress: false };
        run(std::iter::once("onsite").chain(args.iter().copied()).map(OsString::from), &mut io, &mut err)
    };
    (status, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

#[test]
fn a_tablet_catches_up_with_the_back_office_and_searches_offline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hub");
    let (status, stdout, stderr) =
        onsite(&["demo", "--out", out.to_str().unwrap(), "--products", "4000", "--accounts", "60"]);
    assert_eq!(status, ExitStatus::Ok, "{stderr}");
    assert!(stdout.contains("Published the catalog over HTTP: 4000 products"), "{stdout}");

    // The demo encrypts its stores and leaves the keys in keys/.
    let key = std::fs::read_to_string(out.join("keys/hub.key")).unwrap();
    let key = Some(onsite_core::StoreKey::from_hex(&key).unwrap());
    let hub = Store::open(out.join("hub.sqlite"), StoreOptions { key, ..StoreOptions::default() }).unwrap();
    // Catalog CSV, reference data JSON, the scoring model and campaigns,
    // the company profile and two rep profiles, the product images, and the assignments that
    // publish the reps' accounts' own prices and the reps' profiles again.
    // Each product image is published on its own (one per product family).
    let images = hub.media().unwrap().len() as i64;
    assert!(images >= 10, "{images}");
    let seq = hub.catalog_seq().unwrap();
    assert!((6..=12).contains(&(seq - images)), "{seq} with {images} images");
    assert_eq!(
        hub.company_profile().unwrap().map(|c| c.full_name()).as_deref(),
        Some("Keller Befestigungstechnik GmbH")
    );
    assert_eq!(hub.rep_profiles().unwrap().len(), 2);
    assert_eq!(hub.account_count().unwrap(), 60);

    // The tablet starts empty and asks for everything since its cursor, 0.
    let key = Some(onsite_core::StoreKey::generate().unwrap());
    let tablet =
        Store::open(dir.path().join("tablet.sqlite"), StoreOptions { key, ..StoreOptions::default() }).unwrap();
    let delta = hub.catalog_changes_since(tablet.catalog_seq().unwrap()).unwrap();
    assert_eq!(delta.products.len(), 4000);
    tablet.apply_catalog_delta(&delta).unwrap();
    // The sender travels too; its logo is a file, which a sync's file
    // transfer brings (ADR 29), not the reference data.
    let unprinted = |p: Option<onsite_core::profile::CompanyProfile>| {
        p.map(|p| onsite_core::profile::CompanyProfile { logo: None, ..p })
    };
    assert_eq!(unprinted(tablet.company_profile().unwrap()), unprinted(hub.company_profile().unwrap()));
    assert!(tablet.company_profile().unwrap().unwrap().logo_file.is_some());
    assert_eq!(tablet.catalog_seq().unwrap(), seq);
    assert_eq!(tablet.content_items().unwrap().len(), 4, "the content library travels");
    assert_eq!(tablet.scoring_model().unwrap(), hub.scoring_model().unwrap(), "the scoring model travels");
    assert_eq!(tablet.campaigns().unwrap().len(), 3, "and the campaigns");
    assert_eq!(
        tablet.discount_policy().unwrap(),
        hub.discount_policy().unwrap(),
        "the policy travels with the catalog"
    );
    assert_eq!(tablet.discount_policy().unwrap().min_margin_pct, rust_decimal::Decimal::new(15, 0), "not the default");

    // Offline, the tablet answers exactly as the hub does.
    for q in ["mull", "schraub m8", "handschuhe grosse 9", "strasse", "gloves", "din 933 m10"] {
        let a = hub.search_products(&ProductQuery::new(q)).unwrap();
        let b = tablet.search_products(&ProductQuery::new(q)).unwrap();
        assert_eq!(a, b, "{q}");
    }
    let mull = tablet.search_products(&ProductQuery::new("mull")).unwrap();
    assert!(!mull.items.is_empty() && mull.items.iter().all(|h| h.name.starts_with("Müller-Schraube")));

    // The back office publishes a price change; only that row travels.
    let sku = mull.items[0].sku.clone();
    let mut product = hub.product(&sku).unwrap();
    product.list_price.amount += rust_decimal::Decimal::ONE;
    let json = onsite_core::import::export_json(&[], std::slice::from_ref(&product), &[]);
    let file = dir.path().join("price-change.json");
    std::fs::write(&file, json).unwrap();
    let db = out.join("hub.sqlite");
    let (status, stdout, stderr) = onsite(&[
        "catalog",
        "import",
        "--db",
        db.to_str().unwrap(),
        "--key-file",
        out.join("keys/hub.key").to_str().unwrap(),
        file.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(status, ExitStatus::Ok, "{stderr}");
    assert!(stdout.contains("\"products_updated\": 1"), "{stdout}");
    let delta = hub.catalog_changes_since(tablet.catalog_seq().unwrap()).unwrap();
    assert_eq!(delta.products.len(), 1);
    tablet.apply_catalog_delta(&delta).unwrap();
    assert_eq!(tablet.product(&sku).unwrap().list_price, product.list_price);

    // The rep looks up a customer by a contact's name, offline on the hub copy.
    let page = hub.search_accounts(&AccountQuery::new("münchen")).unwrap();
    assert!(page.items.iter().all(|a| a.city == "München"), "{page:?}");
}

#[test]
fn searches_keep_answering_while_an_import_writes() {
    let dir = tempfile::tempdir().unwrap();
    let key = Some(onsite_core::StoreKey::generate().unwrap());
    let store =
        Arc::new(Store::open(dir.path().join("busy.sqlite"), StoreOptions { key, ..StoreOptions::default() }).unwrap());
    let first = onsite_core::import::export_csv(&onsite_core::sample::products(2_000, 1));
    store.import_catalog(parse(first.as_bytes(), Format::Csv), &mut |_| {}).unwrap();
    let before = store.product_count().unwrap();

    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            let second = onsite_core::import::export_csv(&onsite_core::sample::products(6_000, 2));
            let parsed = parse(second.replace("-0", "-9").as_bytes(), Format::Csv);
            store.import_catalog(parsed, &mut |_| {})
        })
    };
    // One writer, N readers: every read sees a whole catalog, before or after.
    let mut reads = 0;
    while !writer.is_finished() || reads < 20 {
        let n = store.product_count().unwrap();
        assert!(n == before || n == before + 6_000, "a reader saw a half-written import: {n}");
        store.search_products(&ProductQuery::new("schraube")).unwrap();
        reads += 1;
    }
    let summary = writer.join().unwrap().unwrap();
    assert_eq!(summary.products_added, 6_000);
    assert_eq!(store.product_count().unwrap(), before + 6_000);
}
