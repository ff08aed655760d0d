//! Files on the PostgreSQL hub (ADR 29), against a database of their own on
//! `ONSITE_TEST_PG` (skipped without it, unless `ONSITE_REQUIRE_PG` is
//! set): attachments added on a tablet travel through the sync driver to
//! `Backend::sync` and `Backend::blob`, exactly as over HTTP.

use std::io::Read;
use std::path::PathBuf;

use chrono::Utc;
use onsite_core::account::{Account, Address};
use onsite_core::blob::{AttachmentParent, BlobKind, CHUNK_BYTES, hash_bytes, hash_of};
use onsite_core::import::AccountImport;
use onsite_core::money::DisplayLocale;
use onsite_core::sync::blob_frame::{BlobAnswer, BlobFrame, BlobRequest, decode_answer, encode_request};
use onsite_core::sync::blobs::Judged;
use onsite_core::sync::driver::{self, BLOB_CONTENT_TYPE, SYNC_CONTENT_TYPE};
use onsite_core::sync::{
    CancelFlag, DeviceRole, DeviceScope, Header, SyncError, SyncLimits, SyncSettings, Transport, TransportFailure,
    TransportRequest, TransportResponse,
};
use onsite_core::{Store, StoreOptions};

use super::PgBackend;
use crate::backend::Backend;

/// A database of one test's own (dropped at the end) and a directory for
/// its devices' stores.
struct Db {
    admin: String,
    name: String,
    url: String,
    dir: PathBuf,
}

impl Db {
    fn new() -> Option<Db> {
        let Ok(admin) = std::env::var("ONSITE_TEST_PG") else {
            assert!(
                std::env::var_os("ONSITE_REQUIRE_PG").is_none(),
                "ONSITE_REQUIRE_PG is set but ONSITE_TEST_PG is not"
            );
            eprintln!("skipped: ONSITE_TEST_PG is not set (tests/run.sh starts a PostgreSQL cluster and sets it)");
            return None;
        };
        let name = format!("onsite_t_{}", uuid::Uuid::new_v4().simple());
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let dir = std::env::temp_dir().join(format!("onsite-pg-blobs-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        Some(Db { url: format!("{base}/{name}"), admin, name, dir })
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }

    fn count(&self, table: &str) -> i64 {
        self.client().query_one(&format!("SELECT count(*) FROM {table}"), &[]).unwrap().get(0)
    }

    /// Nothing of an upload is left anywhere.
    fn assert_no_file_rows(&self) {
        for table in ["blobs", "blob_chunks", "blob_uploads", "upload_chunks", "blob_owners"] {
            assert_eq!(self.count(table), 0, "{table} holds nothing");
        }
    }

    fn device(&self, name: &str) -> Store {
        Store::open(self.dir.join(format!("{name}.sqlite")), StoreOptions::default()).unwrap()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The hub on the test's database with two accounts (ids returned).
fn hub(db: &Db) -> (PgBackend, Vec<String>) {
    let hub = PgBackend::open(&db.url, 4).unwrap();
    let imports: Vec<AccountImport> = ["Müller Maschinenbau", "Schmidt Anlagenbau"]
        .into_iter()
        .enumerate()
        .map(|(i, name)| AccountImport {
            line: i as u64 + 2,
            account: Account {
                id: uuid::Uuid::new_v4().to_string(),
                name: name.into(),
                legal_form: Some("GmbH".into()),
                employees: None,
                industry: None,
                billing_address: Address {
                    street: "Hauptstraße 1".into(),
                    postal_code: "70173".into(),
                    city: "Stuttgart".into(),
                    country: "DE".into(),
                },
                shipping_address: None,
                vat_id: None,
                customer_group: None,
                assigned_rep: None,
                attributes: Default::default(),
                vat_confirmation: None,
            },
            contacts: Vec::new(),
        })
        .collect();
    hub.import_accounts(&imports).unwrap();
    let ids = imports.iter().map(|a| a.account.id.clone()).collect();
    (hub, ids)
}

fn scope(device_id: &str, role: DeviceRole, accounts: &[&String]) -> DeviceScope {
    DeviceScope {
        device_id: device_id.into(),
        person: if role == DeviceRole::Customer { "petra.einkauf".into() } else { "rep-1".into() },
        accounts: Some(accounts.iter().map(|a| a.to_string()).collect()),
        include_costs: role != DeviceRole::Customer,
        role,
    }
}

/// The hub behind the driver's `Transport`, answered as the HTTP layer
/// answers `/v1/sync` and `/v1/blobs`.
struct InProcess<'a> {
    hub: &'a PgBackend,
    scope: DeviceScope,
}

fn answer(status: u16, content_type: &str, body: Vec<u8>) -> TransportResponse {
    TransportResponse {
        status,
        headers: vec![Header { name: "content-type".into(), value: content_type.into() }],
        body,
    }
}

impl Transport for InProcess<'_> {
    fn post(&self, r: TransportRequest) -> Result<TransportResponse, TransportFailure> {
        let body = if r.headers.iter().any(|h| h.name == "content-encoding" && h.value == "gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&r.body[..]).read_to_end(&mut out).unwrap();
            out
        } else {
            r.body
        };
        if r.url.ends_with(driver::SYNC_PATH) {
            return Ok(match self.hub.sync(&self.scope, &body, &SyncLimits::default(), None) {
                Ok(f) => answer(200, SYNC_CONTENT_TYPE, f),
                Err(crate::error::Error::Core(onsite_core::Error::Sync(SyncError::Rejected(r)))) => {
                    answer(409, SYNC_CONTENT_TYPE, r.frame)
                }
                Err(e) => panic!("hub: {e}"),
            });
        }
        Ok(match self.hub.blob(&self.scope, &body).unwrap() {
            Ok(a) => answer(200, BLOB_CONTENT_TYPE, a),
            Err(e) => answer(
                422,
                "application/json",
                serde_json::json!({"error": "invalid", "message": e.to_string()}).to_string().into_bytes(),
            ),
        })
    }
}

fn sync(device: &Store, t: &InProcess<'_>) -> driver::SyncSummary {
    let settings = SyncSettings {
        initial_backoff_ms: 1,
        max_backoff_ms: 2,
        max_attempts: 2,
        ..SyncSettings::new("http://hub.test", "tok")
    };
    driver::sync(device, t, &settings, None, &CancelFlag::new()).unwrap()
}

/// A rep's device (person `rep-1`) on `accounts`, synced once.
fn tablet<'a>(db: &Db, hub: &'a PgBackend, name: &str, accounts: &[&String]) -> (Store, InProcess<'a>) {
    let store = db.device(name);
    let t = InProcess { hub, scope: scope(&store.device_id().unwrap(), DeviceRole::Rep, accounts) };
    sync(&store, &t);
    (store, t)
}

/// A PDF of `len` bytes whose content depends on `seed`.
fn pdf(len: usize, seed: u8) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.extend((0..len - b.len()).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    b
}

/// Attaches `bytes` to a new quote on `account` and syncs (uploading it).
fn attach(
    store: &Store,
    t: &InProcess<'_>,
    account: &str,
    bytes: &[u8],
    for_customer: bool,
) -> onsite_core::blob::Attachment {
    let valid = Utc::now().date_naive() + chrono::Days::new(30);
    let q = store.create_quote(account, None, "rep-1", DisplayLocale::De, valid).unwrap();
    let parent = AttachmentParent::Quote { quote_id: q.id };
    let a = store.add_attachment(&parent, "Zeichnung Regal B.pdf", bytes, for_customer, "rep-1").unwrap();
    let done = sync(store, t);
    assert_eq!((done.files.uploaded, done.files.refused), (1, 0), "{:?}", done.files);
    a
}

fn ask(hub: &PgBackend, scope: &DeviceScope, request: BlobRequest) -> Judged {
    hub.blob(scope, &encode_request(&BlobFrame { device_id: scope.device_id.clone(), request })).unwrap()
}

fn answered(j: Judged) -> BlobAnswer {
    decode_answer(&j.unwrap()).unwrap()
}

fn put(hash: [u8; 32], size: u64, index: u64, bytes: &[u8]) -> BlobRequest {
    BlobRequest::Put { hash, kind: BlobKind::Attachment, size, index, bytes: bytes.to_vec() }
}

#[test]
fn a_large_attachment_goes_up_in_chunks_and_comes_back_byte_identical() {
    let Some(db) = Db::new() else { return };
    let (hub, accounts) = hub(&db);
    let acc = &accounts[0];
    let (store, t) = tablet(&db, &hub, "tablet", &[acc]);
    let drawing = pdf(1_300_000, 1);
    let a = attach(&store, &t, acc, &drawing, false);
    let chunks = drawing.len().div_ceil(CHUNK_BYTES) as i64;
    assert_eq!(chunks, 3);
    let row = db
        .client()
        .query_one("SELECT kind, size, chunks, media_type FROM blobs WHERE hash = $1", &[&a.file.hash])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "attachment");
    assert_eq!((row.get::<_, i64>(1), row.get::<_, i64>(2)), (drawing.len() as i64, chunks));
    assert_eq!(row.get::<_, String>(3), "application/pdf");
    assert_eq!(db.count("blob_chunks"), chunks);
    assert_eq!((db.count("blob_uploads"), db.count("upload_chunks")), (0, 0), "the upload is gone once stored");
    let projected = db
        .client()
        .query_one("SELECT account_id, hash, for_customer, deleted FROM attachments WHERE id = $1", &[&a.id])
        .unwrap();
    assert_eq!(projected.get::<_, String>(0), *acc);
    assert_eq!(projected.get::<_, String>(1), a.file.hash);
    assert!(!projected.get::<_, bool>(2) && !projected.get::<_, bool>(3));

    // Another rep device of the account (not the uploader) fetches it
    // chunk by chunk.
    let other = scope("second-tablet", DeviceRole::Rep, &[acc]);
    let hash = hash_bytes(&a.file.hash).unwrap();
    let mut got = Vec::new();
    for i in 0..chunks as u64 {
        match answered(ask(&hub, &other, BlobRequest::Get { hash, index: i })) {
            BlobAnswer::Chunk { kind, size, index, bytes, media_type } => {
                assert_eq!((kind, size, index), (BlobKind::Attachment, drawing.len() as u64, i));
                assert_eq!(media_type, "application/pdf");
                got.extend(bytes);
            }
            other => panic!("chunk {i}: {other:?}"),
        }
    }
    assert_eq!(got, drawing, "the same bytes came back");
    // Past the last chunk: refused, not an error.
    assert!(ask(&hub, &other, BlobRequest::Get { hash, index: chunks as u64 }).is_err());

    // A second tablet prefetches the open quote's file through the driver.
    let (second, _) = tablet(&db, &hub, "second", &[acc]);
    assert_eq!(second.blob(&a.file.hash).unwrap(), drawing);
    // Uploading again sends nothing: the hub holds it for this device.
    assert_eq!(sync(&store, &t).files.bytes_up, 0);
    assert_eq!(
        answered(ask(
            &hub,
            &t.scope,
            BlobRequest::Begin { hash, kind: BlobKind::Attachment, size: drawing.len() as u64 }
        )),
        BlobAnswer::Stored { media_type: "application/pdf".into() }
    );
}

#[test]
fn hostile_uploads_are_refused_with_nothing_stored() {
    let Some(db) = Db::new() else { return };
    let (hub, accounts) = hub(&db);
    let rep = scope("tablet-1", DeviceRole::Rep, &[&accounts[0]]);
    let file = pdf(CHUNK_BYTES + 10, 2);
    let size = file.len() as u64;

    // A wrong hash: both chunks arrive, the check at the end refuses and
    // drops them (the refusal is committed: nothing is left).
    let wrong = hash_bytes(&hash_of(b"something else")).unwrap();
    assert_eq!(answered(ask(&hub, &rep, put(wrong, size, 0, &file[..CHUNK_BYTES]))), BlobAnswer::Send { next: 1 });
    assert_eq!((db.count("blob_uploads"), db.count("upload_chunks")), (1, 1), "the first chunk is kept");
    let e = ask(&hub, &rep, put(wrong, size, 1, &file[CHUNK_BYTES..])).unwrap_err();
    assert!(e.to_string().contains("do not match its hash"), "{e}");
    db.assert_no_file_rows();

    // A truncated chunk.
    let h = hash_bytes(&hash_of(&file)).unwrap();
    let e = ask(&hub, &rep, put(h, size, 0, &file[..1000])).unwrap_err();
    assert!(e.to_string().contains("must be"), "{e}");
    // Truncated after a good first chunk: refused, the upload stays where it was.
    assert_eq!(answered(ask(&hub, &rep, put(h, size, 0, &file[..CHUNK_BYTES]))), BlobAnswer::Send { next: 1 });
    let e = ask(&hub, &rep, put(h, size, 1, &file[CHUNK_BYTES..CHUNK_BYTES + 5])).unwrap_err();
    assert!(e.to_string().contains("must be"), "{e}");
    assert_eq!(db.count("blobs"), 0);
    assert_eq!(
        answered(ask(&hub, &rep, BlobRequest::Begin { hash: h, kind: BlobKind::Attachment, size })),
        BlobAnswer::Send { next: 1 }
    );
    hub.with_blobs("tablet-1", |s| {
        onsite_core::sync::blobs::HubBlobStorage::drop_upload(s, "tablet-1", &hash_of(&file))
    })
    .unwrap();

    // A customer uploads nothing, neither a chunk nor a start.
    let customer = scope("phone-1", DeviceRole::Customer, &[&accounts[0]]);
    let e = ask(&hub, &customer, put(h, size, 0, &file[..CHUNK_BYTES])).unwrap_err();
    assert!(e.to_string().contains("customers"), "{e}");
    let e = ask(&hub, &customer, BlobRequest::Begin { hash: h, kind: BlobKind::Attachment, size }).unwrap_err();
    assert!(e.to_string().contains("customers"), "{e}");
    // An executable; an image from a device.
    let elf = b"\x7fELF\x02\x01\x01";
    let e = ask(&hub, &rep, put(hash_bytes(&hash_of(elf)).unwrap(), 7, 0, elf)).unwrap_err();
    assert!(e.to_string().contains("file type"), "{e}");
    let e = ask(&hub, &rep, BlobRequest::Begin { hash: h, kind: BlobKind::Image, size: 10 }).unwrap_err();
    assert!(e.to_string().contains("published by the back office"), "{e}");
    // Hostile bytes fail typed.
    assert!(hub.blob(&rep, b"OSBL\x01\xff\xff\xff").unwrap().is_err());
    db.assert_no_file_rows();
}

#[test]
fn a_file_outside_the_scope_is_answered_as_if_it_did_not_exist() {
    let Some(db) = Db::new() else { return };
    let (hub, accounts) = hub(&db);
    let (a1, a2) = (&accounts[0], &accounts[1]);
    let (store, t) = tablet(&db, &hub, "tablet", &[a1]);
    let secret = pdf(5000, 7);
    attach(&store, &t, a1, &secret, false);
    assert_eq!(db.count("blobs"), 1);

    let other = scope("other-tablet", DeviceRole::Rep, &[a2]);
    let known = hash_bytes(&hash_of(&secret)).unwrap();
    let unknown = hash_bytes(&hash_of(b"never stored")).unwrap();
    let get = |hash| ask(&hub, &other, BlobRequest::Get { hash, index: 0 }).unwrap();
    assert_eq!(get(known), get(unknown), "the same bytes as for a file that does not exist");
    assert_eq!(decode_answer(&get(known)).unwrap(), BlobAnswer::NotFound);
    let begin = |hash| ask(&hub, &other, BlobRequest::Begin { hash, kind: BlobKind::Attachment, size: 5000 }).unwrap();
    assert_eq!(begin(known), begin(unknown));
    assert_eq!(decode_answer(&begin(known)).unwrap(), BlobAnswer::Send { next: 0 }, "not Stored");

    // Proving possession by sending the bytes gives access, stored once.
    assert!(matches!(answered(ask(&hub, &other, put(known, 5000, 0, &secret))), BlobAnswer::Stored { .. }));
    assert_eq!((db.count("blobs"), db.count("blob_chunks"), db.count("blob_owners")), (1, 1, 2));
    assert!(matches!(
        answered(ask(&hub, &other, BlobRequest::Get { hash: known, index: 0 })),
        BlobAnswer::Chunk { .. }
    ));
}

#[test]
fn a_customer_gets_a_quote_attachment_only_when_it_is_marked_for_them() {
    let Some(db) = Db::new() else { return };
    let (hub, accounts) = hub(&db);
    let (a1, a2) = (&accounts[0], &accounts[1]);
    let (store, t) = tablet(&db, &hub, "tablet", &[a1]);
    let offer = pdf(CHUNK_BYTES + 300, 5);
    let a = attach(&store, &t, a1, &offer, false);
    let hash = hash_bytes(&a.file.hash).unwrap();
    let customer = scope("phone-1", DeviceRole::Customer, &[a1]);
    let elsewhere = scope("phone-2", DeviceRole::Customer, &[a2]);
    let get = |s: &DeviceScope| answered(ask(&hub, s, BlobRequest::Get { hash, index: 0 }));
    assert_eq!(get(&customer), BlobAnswer::NotFound, "not marked for the customer");

    store.set_attachment_for_customer(&a.id, true).unwrap();
    sync(&store, &t);
    let marked: bool =
        db.client().query_one("SELECT for_customer FROM attachments WHERE id = $1", &[&a.id]).unwrap().get(0);
    assert!(marked, "the projection follows the document");
    assert!(matches!(get(&customer), BlobAnswer::Chunk { index: 0, .. }));
    assert_eq!(get(&elsewhere), BlobAnswer::NotFound, "another account's customer");
    // The customer's phone receives the shared attachment's document.
    let phone = db.device("phone");
    let pt = InProcess { hub: &hub, scope: scope(&phone.device_id().unwrap(), DeviceRole::Customer, &[a1]) };
    sync(&phone, &pt);
    assert!(phone.attachment(&a.id).unwrap().for_customer);

    store.set_attachment_for_customer(&a.id, false).unwrap();
    sync(&store, &t);
    assert_eq!(get(&customer), BlobAnswer::NotFound, "hidden again");
    store.set_attachment_for_customer(&a.id, true).unwrap();
    store.remove_attachment(&a.id).unwrap();
    sync(&store, &t);
    assert_eq!(get(&customer), BlobAnswer::NotFound, "removed");
}

#[test]
fn a_version_5_postgres_database_gets_the_file_tables_and_its_attachments_projected() {
    let Some(db) = Db::new() else { return };
    let (hub, accounts) = hub(&db);
    let (store, t) = tablet(&db, &hub, "tablet", &[&accounts[0]]);
    let a = attach(&store, &t, &accounts[0], &pdf(3000, 3), true);
    drop(hub);
    db.client()
        .batch_execute(
            "DROP TABLE upload_chunks, blob_uploads, blob_chunks, blobs, blob_owners, attachments;
             UPDATE hub_meta SET version = 5",
        )
        .unwrap();
    let hub = PgBackend::open(&db.url, 4).unwrap();
    let version: i32 = db.client().query_one("SELECT version FROM hub_meta", &[]).unwrap().get(0);
    assert_eq!(version, 6);
    let row = db.client().query_one("SELECT hash, for_customer FROM attachments WHERE id = $1", &[&a.id]).unwrap();
    assert_eq!((row.get::<_, String>(0), row.get::<_, bool>(1)), (a.file.hash.clone(), true));
    // The tablet uploads its file again (the hub lost it with the tables).
    let file = pdf(3000, 3);
    let rep = scope(&store.device_id().unwrap(), DeviceRole::Rep, &[&accounts[0]]);
    let h = hash_bytes(&a.file.hash).unwrap();
    assert!(matches!(answered(ask(&hub, &rep, put(h, 3000, 0, &file))), BlobAnswer::Stored { .. }));
    let customer = scope("phone-1", DeviceRole::Customer, &[&accounts[0]]);
    assert!(matches!(answered(ask(&hub, &customer, BlobRequest::Get { hash: h, index: 0 })), BlobAnswer::Chunk { .. }));
    // Opening again finds nothing to project.
    drop(PgBackend::open(&db.url, 2).unwrap());
}

#[test]
fn published_images_are_served_to_every_device_and_reach_it_with_a_sync() {
    let Some(db) = Db::new() else { return };
    let (hub, accounts) = hub(&db);
    hub.publish_catalog(
        b"sku;name;unit;list_price;tax_class;image\nSKS-M8;Sechskantschraube M8;pc;0,12;DE-STD;sks-m8.png\n",
        onsite_core::import::Format::Csv,
    )
    .unwrap();
    let png = onsite_core::sample::product_png(5, 640, 480);
    let prepared = onsite_core::blob::prepare_image("sks-m8.png", &png).unwrap();
    let item = prepared.item.clone();
    hub.publish_images(std::slice::from_ref(&prepared)).unwrap();
    hub.publish_images(&[prepared]).unwrap(); // again: the bytes are kept once
    assert_eq!(db.count("blobs"), 2, "the image and its thumbnail");
    // A device of another account's customer may fetch them too: the catalog's images are public.
    let phone = db.device("phone");
    let customer = scope(&phone.device_id().unwrap(), DeviceRole::Customer, &[&accounts[1]]);
    match answered(ask(
        &hub,
        &customer,
        BlobRequest::Get { hash: onsite_core::blob::hash_bytes(&item.hash).unwrap(), index: 0 },
    )) {
        BlobAnswer::Chunk { size, index: 0, .. } => assert_eq!(size, png.len() as u64),
        other => panic!("{other:?}"),
    }
    let (tablet, _t) = tablet(&db, &hub, "tablet", &[&accounts[0]]);
    assert_eq!(tablet.product_image("SKS-M8").unwrap().unwrap().hash, item.hash);
    assert!(tablet.has_blob(&item.thumb_hash).unwrap(), "the thumbnail was prefetched");
    assert!(!tablet.has_blob(&item.hash).unwrap(), "the full image waits for a demand");
}

#[test]
fn the_company_logo_is_kept_in_postgresql_once_and_reaches_every_device() {
    let Some(db) = Db::new() else { return };
    let (hub, accounts) = hub(&db);
    let logo = onsite_core::sample::logo_png();
    let mut company = onsite_core::fixtures::company_profile();
    company.logo = Some(logo.clone());
    hub.publish_company(&company).unwrap();
    hub.publish_company(&company).unwrap(); // again: kept once
    let hash = onsite_core::blob::hash_of(&logo);
    assert_eq!(db.count("blobs"), 1, "the logo's bytes, once");
    // Any device may fetch it, a customer of any account included.
    let phone = db.device("phone");
    let customer = scope(&phone.device_id().unwrap(), DeviceRole::Customer, &[&accounts[1]]);
    match answered(ask(&hub, &customer, BlobRequest::Get { hash: hash_bytes(&hash).unwrap(), index: 0 })) {
        BlobAnswer::Chunk { size, .. } => assert_eq!(size, logo.len() as u64),
        other => panic!("{other:?}"),
    }
    // A tablet's sync brings it, and its PDFs print it.
    let (tablet, _t) = tablet(&db, &hub, "tablet", &[&accounts[0]]);
    let on_tablet = tablet.company_profile().unwrap().unwrap();
    assert_eq!(on_tablet.logo_file.map(|f| f.hash), Some(hash));
    assert_eq!(on_tablet.logo.as_deref(), Some(&logo[..]));
    // Another instance (its replica rebuilt from the releases) prints it
    // too, and what it shows can be published again as it is.
    let second = PgBackend::open(&db.url, 2).unwrap();
    let shown = second.senders("").unwrap().company.unwrap();
    assert_eq!(shown.logo.as_deref(), Some(&logo[..]));
    second.publish_company(&shown).unwrap();
    assert_eq!(db.count("blobs"), 1);
    // The profile in a catalog file brings its logo the same way.
    let mut other = company.clone();
    other.logo = Some(onsite_core::sample::product_png(9, 200, 60));
    let file = serde_json::json!({ "company_profile": other }).to_string();
    hub.publish_catalog(file.as_bytes(), onsite_core::import::Format::Json).unwrap();
    assert_eq!(db.count("blobs"), 2, "the new logo too");
}
