//! Files that travel (ADR 29): attachments added offline and uploaded by
//! the sync driver, prefetched by other devices, shown to the customer
//! only when marked, transfers cut at half that continue from there,
//! hostile uploads refused with nothing stored, scope that does not leak
//! whether a file exists, and eviction within the storage budget.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::blob::{AttachmentParent, BlobKind, BlobRef, CHUNK_BYTES, hash_bytes, hash_of};
use onsite_core::import::CatalogBatch;
use onsite_core::money::DisplayLocale;
use onsite_core::sync::blob_frame::{self, BlobAnswer, BlobFrame, BlobRequest};
use onsite_core::sync::driver::{self, BLOB_CONTENT_TYPE, SYNC_CONTENT_TYPE};
use onsite_core::sync::{
    CancelFlag, DeviceRole, DeviceScope, SyncFailure, SyncSettings, Transport, TransportFailure, TransportRequest,
    TransportResponse,
};
use onsite_core::{Store, sample};
use rust_decimal::Decimal;

use crate::common::{import, open, rows};

/// The hub in this process, behind the driver's `Transport`: `/v1/sync`
/// and `/v1/blobs` answered as the HTTP hub answers them. `cut_after`
/// makes every blob request after that many fail as a dropped connection.
struct InProcess<'a> {
    hub: &'a Store,
    scope: DeviceScope,
    blob_calls: AtomicUsize,
    cut_after: Option<usize>,
    seen: Mutex<Vec<BlobRequest>>,
}

fn answer(status: u16, content_type: &str, body: Vec<u8>) -> TransportResponse {
    TransportResponse {
        status,
        headers: vec![onsite_core::sync::Header { name: "content-type".into(), value: content_type.into() }],
        body,
    }
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    // Our gzip members carry the 10-byte header without a name.
    miniz_oxide::inflate::decompress_to_vec(&body[10..body.len() - 8]).unwrap()
}

impl Transport for InProcess<'_> {
    fn post(&self, r: TransportRequest) -> Result<TransportResponse, TransportFailure> {
        let gz = r.headers.iter().any(|h| h.name == "content-encoding" && h.value == "gzip");
        let body = if gz { gunzip(&r.body) } else { r.body };
        if r.url.ends_with("/v1/sync") {
            return Ok(match self.hub.hub_handle(&self.scope, &body) {
                Ok(f) => answer(200, SYNC_CONTENT_TYPE, f),
                Err(onsite_core::Error::Sync(onsite_core::sync::SyncError::Rejected(r))) => {
                    answer(409, SYNC_CONTENT_TYPE, r.frame)
                }
                Err(e) => panic!("hub: {e}"),
            });
        }
        let n = self.blob_calls.fetch_add(1, Ordering::SeqCst);
        if self.cut_after.is_some_and(|c| n >= c) {
            return Err(TransportFailure::Offline("connection reset".into()));
        }
        self.seen.lock().unwrap().push(blob_frame::decode_request(&body).unwrap().request);
        Ok(match self.hub.blob_hub_handle(&self.scope, &body).unwrap() {
            Ok(a) => answer(200, BLOB_CONTENT_TYPE, a),
            Err(e) => answer(
                422,
                "application/json",
                serde_json::json!({"error": "invalid", "message": e.to_string()}).to_string().into_bytes(),
            ),
        })
    }
}

struct World {
    dir: tempfile::TempDir,
    hub: Store,
    accounts: Vec<String>,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    // The hub's file is not encrypted here, so the tests can read its tables.
    let hub = Store::open(dir.path().join("hub.sqlite"), onsite_core::StoreOptions::default()).unwrap();
    let mut products = sample::products(20, 3);
    for (i, p) in products.iter_mut().take(5).enumerate() {
        p.image = Some(format!("bild-{i}.png"));
    }
    let accounts = sample::accounts(2, 3);
    import(
        &hub,
        CatalogBatch {
            products: rows(&products),
            price_lists: rows(&sample::price_lists(&products, &accounts, 3)),
            ..Default::default()
        },
    );
    for (a, contacts) in &accounts {
        hub.save_account_with_contacts(a, contacts).unwrap();
    }
    World { dir, hub, accounts: accounts.iter().map(|(a, _)| a.id.clone()).collect() }
}

impl World {
    fn scope(&self, device: &Store, role: DeviceRole, accounts: &[&String]) -> DeviceScope {
        DeviceScope {
            device_id: device.device_id().unwrap(),
            person: if role == DeviceRole::Customer { "petra.einkauf".into() } else { "rep-1".into() },
            accounts: Some(accounts.iter().map(|a| a.to_string()).collect()),
            include_costs: role != DeviceRole::Customer,
            role,
        }
    }

    fn transport(&self, scope: DeviceScope, cut_after: Option<usize>) -> InProcess<'_> {
        InProcess { hub: &self.hub, scope, blob_calls: AtomicUsize::new(0), cut_after, seen: Mutex::new(Vec::new()) }
    }
}

fn settings(attempts: u32) -> SyncSettings {
    SyncSettings {
        initial_backoff_ms: 1,
        max_backoff_ms: 2,
        max_attempts: attempts,
        ..SyncSettings::new("http://hub.test", "tok")
    }
}

fn sync(device: &Store, t: &InProcess<'_>) -> Result<driver::SyncSummary, SyncFailure> {
    driver::sync(device, t, &settings(3), None, &CancelFlag::new())
}

/// A PDF of `len` bytes whose content depends on `seed`.
fn pdf(len: usize, seed: u8) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.extend((0..len - b.len()).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    b
}

fn quote_on(store: &Store, account: &str) -> onsite_core::quote::Quote {
    let today = Utc::now().date_naive();
    let q = store.create_quote(account, None, "rep-1", DisplayLocale::De, today + chrono::Days::new(30)).unwrap();
    let sku = store.products().unwrap()[0].sku.clone();
    store.add_quote_line(&q.id, &sku, Decimal::new(2, 0), Decimal::ZERO, today).unwrap()
}

fn visit(store: &Store, account: &str) -> Activity {
    let a = Activity {
        id: onsite_core::ids::new_id(),
        account_id: account.into(),
        contact_id: None,
        kind: ActivityKind::Visit,
        at: Utc::now(),
        by: "rep-1".into(),
        subject: "Regal vor Ort".into(),
        notes: String::new(),
    };
    store.log_activity(&a).unwrap();
    a
}

fn hub_rows(w: &World, table: &str) -> i64 {
    let c = rusqlite::Connection::open_with_flags(
        w.dir.path().join("hub.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn an_attachment_added_offline_reaches_the_office_and_the_customer_only_when_shared() {
    let w = world();
    let acc = &w.accounts[0];
    let tablet = open(&w.dir, "tablet");
    let rep = w.transport(w.scope(&tablet, DeviceRole::Rep, &[acc]), None);
    sync(&tablet, &rep).unwrap();
    let q = quote_on(&tablet, acc);
    let drawing = pdf(1_300_000, 1);
    let parent = AttachmentParent::Quote { quote_id: q.id.clone() };
    let a = tablet.add_attachment(&parent, "Zeichnung Regal B.pdf", &drawing, false, "rep-1").unwrap();
    assert_eq!(a.file.media_type, "application/pdf");
    let photo = tablet
        .add_attachment(
            &AttachmentParent::Activity { activity_id: visit(&tablet, acc).id },
            "regal.pdf",
            &pdf(2000, 9),
            false,
            "rep-1",
        )
        .unwrap();
    assert_eq!(tablet.blob_budget().unwrap().pending_uploads, 2);
    let done = sync(&tablet, &rep).unwrap();
    assert_eq!((done.files.uploaded, done.files.refused), (2, 0), "{:?}", done.files);
    assert_eq!(tablet.blob_budget().unwrap().pending_uploads, 0);
    assert_eq!(w.hub.blob(&a.file.hash).unwrap(), drawing, "the office holds the same bytes");
    assert_eq!(w.hub.blob(&photo.file.hash).unwrap().len(), 2000);
    // Uploading again sends nothing: the hub holds it for this device.
    let again = sync(&tablet, &rep).unwrap();
    assert_eq!(again.files.bytes_up, 0);

    // A second tablet of the rep prefetches the open quote's drawing.
    let second = open(&w.dir, "second");
    let t2 = w.transport(w.scope(&second, DeviceRole::Rep, &[acc]), None);
    let s2 = sync(&second, &t2).unwrap();
    assert!(s2.files.downloaded >= 1, "{:?}", s2.files);
    assert_eq!(second.blob(&a.file.hash).unwrap(), drawing);
    assert!(!second.has_blob(&photo.file.hash).unwrap(), "a visit's photo is fetched on demand");
    assert_eq!(driver::fetch_file(&second, &t2, &settings(3), &photo.file, &CancelFlag::new()).unwrap().len(), 2000);

    // The customer sees the sent quote, not the file, until the rep shares it.
    tablet.send_quote(&q.id, Utc::now().date_naive()).unwrap();
    sync(&tablet, &rep).unwrap();
    let phone = open(&w.dir, "phone");
    let customer = w.transport(w.scope(&phone, DeviceRole::Customer, &[acc]), None);
    sync(&phone, &customer).unwrap();
    assert_eq!(phone.quote(&q.id).unwrap().id, q.id);
    assert!(phone.attachments(&parent).unwrap().is_empty(), "not shared: its document never came");
    let get = |hash: &str| {
        let f = BlobFrame {
            device_id: phone.device_id().unwrap(),
            request: BlobRequest::Get { hash: hash_bytes(hash).unwrap(), index: 0 },
        };
        blob_frame::decode_answer(
            &w.hub.blob_hub_handle(&customer.scope, &blob_frame::encode_request(&f)).unwrap().unwrap(),
        )
        .unwrap()
    };
    assert_eq!(get(&a.file.hash), BlobAnswer::NotFound);
    assert_eq!(get(&photo.file.hash), BlobAnswer::NotFound, "customers never see a visit's photo");
    tablet.set_attachment_for_customer(&a.id, true).unwrap();
    sync(&tablet, &rep).unwrap();
    let shown = sync(&phone, &customer).unwrap();
    assert_eq!(phone.attachments(&parent).unwrap().len(), 1);
    assert_eq!(shown.files.downloaded, 1, "the sent quote's shared file is prefetched");
    assert_eq!(phone.blob(&a.file.hash).unwrap(), drawing);
    assert!(matches!(get(&a.file.hash), BlobAnswer::Chunk { index: 0, .. }));
}

#[test]
fn a_transfer_cut_at_half_continues_from_there_both_ways() {
    let w = world();
    let acc = &w.accounts[0];
    let tablet = open(&w.dir, "tablet");
    let scope = w.scope(&tablet, DeviceRole::Rep, &[acc]);
    sync(&tablet, &w.transport(scope.clone(), None)).unwrap();
    let q = quote_on(&tablet, acc);
    let big = pdf(6 * CHUNK_BYTES - 100, 4);
    let a =
        tablet.add_attachment(&AttachmentParent::Quote { quote_id: q.id }, "spec.pdf", &big, false, "rep-1").unwrap();
    // Begin and three chunks go through; the fifth request is cut.
    let cut = w.transport(scope.clone(), Some(4));
    assert!(matches!(
        driver::sync(&tablet, &cut, &settings(1), None, &CancelFlag::new()),
        Err(SyncFailure::Offline { .. })
    ));
    assert_eq!(hub_rows(&w, "upload_chunks"), 3, "half of it is at the hub");
    let resume = w.transport(scope.clone(), None);
    assert_eq!(sync(&tablet, &resume).unwrap().files.uploaded, 1);
    let puts: Vec<u64> = resume
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| if let BlobRequest::Put { index, .. } = r { Some(*index) } else { None })
        .collect();
    assert_eq!(puts, vec![3, 4, 5], "continued at the first chunk the hub lacked");
    assert_eq!(w.hub.blob(&a.file.hash).unwrap(), big);
    assert_eq!(hub_rows(&w, "upload_chunks"), 0);

    // Down: a second tablet is cut after three chunks, then continues.
    let second = open(&w.dir, "second");
    let s2 = w.scope(&second, DeviceRole::Rep, &[acc]);
    sync(&second, &w.transport(s2.clone(), Some(3))).unwrap_err();
    let resume = w.transport(s2, None);
    assert_eq!(sync(&second, &resume).unwrap().files.downloaded, 1);
    let gets: Vec<u64> = resume
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| if let BlobRequest::Get { index, .. } = r { Some(*index) } else { None })
        .collect();
    assert_eq!(gets, vec![3, 4, 5]);
    assert_eq!(second.blob(&a.file.hash).unwrap(), big);
}

#[test]
fn hostile_uploads_are_refused_with_nothing_stored() {
    let w = world();
    let tablet = open(&w.dir, "tablet");
    let rep = w.scope(&tablet, DeviceRole::Rep, &[&w.accounts[0]]);
    let device_id = tablet.device_id().unwrap();
    let send = |scope: &DeviceScope, request: BlobRequest| {
        w.hub
            .blob_hub_handle(scope, &blob_frame::encode_request(&BlobFrame { device_id: device_id.clone(), request }))
            .unwrap()
    };
    let put = |hash: [u8; 32], size: u64, index: u64, bytes: Vec<u8>| BlobRequest::Put {
        hash,
        kind: BlobKind::Attachment,
        size,
        index,
        bytes,
    };
    let file = pdf(CHUNK_BYTES + 10, 2);
    // A wrong hash: both chunks arrive, the check at the end refuses and drops them.
    let wrong = hash_bytes(&hash_of(b"something else")).unwrap();
    assert!(send(&rep, put(wrong, file.len() as u64, 0, file[..CHUNK_BYTES].to_vec())).is_ok());
    let e = send(&rep, put(wrong, file.len() as u64, 1, file[CHUNK_BYTES..].to_vec())).unwrap_err();
    assert!(e.to_string().contains("do not match its hash"), "{e}");
    // A truncated chunk, a huge declared size, an image from a device, an
    // executable, a customer's upload: each refused before anything is kept.
    let h = hash_bytes(&hash_of(&file)).unwrap();
    let cases = [
        (rep.clone(), put(h, file.len() as u64, 0, file[..1000].to_vec()), "must be"),
        (rep.clone(), put(h, u64::MAX, 0, file[..CHUNK_BYTES].to_vec()), "limit"),
        (rep.clone(), BlobRequest::Begin { hash: h, kind: BlobKind::Attachment, size: 60 << 20 }, "limit"),
        (rep.clone(), BlobRequest::Begin { hash: h, kind: BlobKind::Image, size: 10 }, "published by the back office"),
        (
            rep.clone(),
            put(hash_bytes(&hash_of(b"\x7fELF\x02\x01\x01")).unwrap(), 7, 0, b"\x7fELF\x02\x01\x01".to_vec()),
            "file type",
        ),
        (
            w.scope(&tablet, DeviceRole::Customer, &[&w.accounts[0]]),
            put(h, file.len() as u64, 0, file[..CHUNK_BYTES].to_vec()),
            "customers",
        ),
    ];
    for (scope, request, words) in cases {
        let e = send(&scope, request).expect_err(words);
        assert!(e.to_string().contains(words), "{e} should say {words}");
    }
    // Hostile bytes fail typed, never a panic.
    assert!(w.hub.blob_hub_handle(&rep, b"OSBL\x01\xff\xff\xff").unwrap().is_err());
    for table in ["blobs", "blob_chunks", "blob_uploads", "upload_chunks", "blob_owners"] {
        assert_eq!(hub_rows(&w, table), 0, "{table} holds nothing");
    }
    // A file name that is a path never gets into an attachment.
    let q = quote_on(&w.hub, &w.accounts[0]);
    let e = w
        .hub
        .add_attachment(&AttachmentParent::Quote { quote_id: q.id }, "../../etc/passwd", &file, false, "rep-1")
        .unwrap_err();
    assert!(e.to_string().contains("path"), "{e}");
}

#[test]
fn a_file_outside_the_scope_is_answered_as_if_it_did_not_exist() {
    let w = world();
    let (a1, a2) = (&w.accounts[0], &w.accounts[1]);
    let tablet = open(&w.dir, "tablet");
    let t1 = w.transport(w.scope(&tablet, DeviceRole::Rep, &[a1]), None);
    sync(&tablet, &t1).unwrap();
    let secret = pdf(5000, 7);
    let q = quote_on(&tablet, a1);
    tablet
        .add_attachment(&AttachmentParent::Quote { quote_id: q.id }, "angebot-intern.pdf", &secret, false, "rep-1")
        .unwrap();
    sync(&tablet, &t1).unwrap();
    let other = open(&w.dir, "other");
    let scope = w.scope(&other, DeviceRole::Rep, &[a2]);
    let ask = |request: BlobRequest| {
        w.hub
            .blob_hub_handle(
                &scope,
                &blob_frame::encode_request(&BlobFrame { device_id: other.device_id().unwrap(), request }),
            )
            .unwrap()
            .unwrap()
    };
    let known = hash_bytes(&hash_of(&secret)).unwrap();
    let unknown = hash_bytes(&hash_of(b"never stored")).unwrap();
    assert_eq!(ask(BlobRequest::Get { hash: known, index: 0 }), ask(BlobRequest::Get { hash: unknown, index: 0 }));
    // Asked among small files, the same: not found, like a hash never stored.
    let batch = blob_frame::decode_answer(&ask(BlobRequest::GetSmall { hashes: vec![known, unknown] })).unwrap();
    let none = onsite_core::sync::blob_frame::SmallFile::NotFound;
    assert_eq!(batch, BlobAnswer::Files { files: vec![none.clone(), none] });
    let begin = |hash| BlobRequest::Begin { hash, kind: BlobKind::Attachment, size: 5000 };
    assert_eq!(ask(begin(known)), ask(begin(unknown)));
    assert_eq!(blob_frame::decode_answer(&ask(begin(known))).unwrap(), BlobAnswer::Send { next: 0 });
    // Proving possession by sending the bytes gives access, and stores them once.
    let sent =
        ask(BlobRequest::Put { hash: known, kind: BlobKind::Attachment, size: 5000, index: 0, bytes: secret.clone() });
    assert!(matches!(blob_frame::decode_answer(&sent).unwrap(), BlobAnswer::Stored { .. }));
    assert_eq!(hub_rows(&w, "blobs"), 1);
}

#[test]
fn eviction_keeps_the_budget_and_never_drops_a_pending_upload() {
    let w = world();
    let acc = &w.accounts[0];
    let mut policy = w.hub.discount_policy().unwrap();
    policy.storage_budget_mib = 16;
    w.hub.set_discount_policy(&policy).unwrap();
    let tablet = open(&w.dir, "tablet");
    let t1 = w.transport(w.scope(&tablet, DeviceRole::Rep, &[acc]), None);
    sync(&tablet, &t1).unwrap();
    let act = visit(&tablet, acc);
    let parent = AttachmentParent::Activity { activity_id: act.id };
    let files: Vec<_> = (0..3)
        .map(|i| {
            tablet.add_attachment(&parent, &format!("foto-{i}.pdf"), &pdf(7 << 20, i), false, "rep-1").unwrap().file
        })
        .collect();
    assert_eq!(sync(&tablet, &t1).unwrap().files.uploaded, 3);

    let second = open(&w.dir, "second");
    let t2 = w.transport(w.scope(&second, DeviceRole::Rep, &[acc]), None);
    sync(&second, &t2).unwrap();
    assert_eq!(second.blob_budget().unwrap().budget_bytes, 16 << 20);
    let fetch = |f| driver::fetch_file(&second, &t2, &settings(2), f, &CancelFlag::new());
    fetch(&files[0]).unwrap();
    fetch(&files[1]).unwrap();
    second.blob(&files[0].hash).unwrap(); // used last: the second file is the older one now
    fetch(&files[2]).unwrap();
    let b = second.blob_budget().unwrap();
    assert!(b.used_bytes <= b.budget_bytes, "{b:?}");
    assert!(
        second.has_blob(&files[0].hash).unwrap() && !second.has_blob(&files[1].hash).unwrap(),
        "least recently used went"
    );
    // A photo taken here waits for upload: it is never evicted, and what
    // does not fit beside it is refused rather than evicting it.
    let own = second.add_attachment(&parent, "neu.pdf", &pdf(10 << 20, 9), false, "rep-1").unwrap();
    assert!(fetch(&files[1]).is_err());
    assert!(second.has_blob(&own.file.hash).unwrap());
    assert_eq!(second.blob_budget().unwrap().pending_uploads, 1);
    assert!(second.blob_budget().unwrap().used_bytes <= 16 << 20);
}

#[test]
fn a_published_image_is_prefetched_as_a_thumbnail_and_printed_on_the_datasheet() {
    let w = world();
    let acc = &w.accounts[0];
    let products = w.hub.products().unwrap();
    let with_image: Vec<_> =
        products.iter().filter(|p| p.image.as_deref().is_some_and(|i| i.starts_with("bild-"))).collect();
    let images: Vec<_> = with_image
        .iter()
        .enumerate()
        .map(|(i, p)| {
            onsite_core::blob::prepare_image(p.image.as_deref().unwrap(), &sample::product_png(i as u64, 640, 480))
                .unwrap()
        })
        .collect();
    w.hub.publish_images(&images).unwrap();
    let tablet = open(&w.dir, "tablet");
    let rep = w.transport(w.scope(&tablet, DeviceRole::Rep, &[acc]), None);
    let s = sync(&tablet, &rep).unwrap();
    assert!(s.files.downloaded >= 1, "{:?}", s.files);
    // The thumbnails came many to a round trip, none chunk by chunk.
    let seen = rep.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(matches!(&seen[0], BlobRequest::GetSmall { hashes } if hashes.len() == s.files.downloaded as usize));
    // A product of the rep's price lists with an image: its thumbnail is here, the full image not.
    let sku = with_image
        .iter()
        .map(|p| p.sku.clone())
        .find(|sku| tablet.product_image(sku).unwrap().is_some_and(|m| tablet.has_blob(&m.thumb_hash).unwrap()))
        .expect("a prefetched thumbnail");
    let m = tablet.product_image(&sku).unwrap().unwrap();
    assert!(!tablet.has_blob(&m.hash).unwrap(), "full images come on demand");
    let rep_contact = onsite_core::pdf::RepContact { name: "Anna Vogel".into(), ..Default::default() };
    let opts = onsite_core::fixtures::pdf_options();
    let sheet = tablet.render_datasheet_pdf(&sku, acc, rep_contact.clone(), None, &opts).unwrap();
    let img = |pdf: &[u8]| pdf.windows(16).any(|x| x == b"/Subtype /Image ");
    assert!(img(&sheet), "the synced thumbnail is on the datasheet");
    // Negative control: a product whose image was never published prints none.
    let plain = products.iter().find(|p| p.image.as_deref().is_none_or(|i| !i.starts_with("bild-"))).unwrap();
    assert!(!img(&tablet.render_datasheet_pdf(&plain.sku, acc, rep_contact, None, &opts).unwrap()));
}

#[test]
fn the_company_logo_travels_once_as_a_file_and_stays_on_every_device() {
    let w = world();
    let logo = sample::logo_png();
    let mut company = onsite_core::fixtures::company_profile();
    company.logo = Some(logo.clone());
    w.hub.set_company_profile(&company).unwrap();
    let published = w.hub.company_profile().unwrap().unwrap();
    let file = published.logo_file.clone().expect("the logo is kept as a file");
    assert_eq!((file.kind, file.size), (BlobKind::Logo, logo.len() as u64));
    assert_eq!(file.hash, hash_of(&logo));
    assert_eq!(published.logo.as_deref(), Some(&logo[..]), "read back from the file");
    // The profile names the logo by hash: its bytes are not in the row
    // every device receives.
    let raw = rusqlite::Connection::open(w.dir.path().join("hub.sqlite")).unwrap();
    let body: String = raw.query_row("SELECT body FROM company_profile", [], |r| r.get(0)).unwrap();
    assert!(body.contains(&file.hash) && !body.contains("\"logo\":\"") && body.len() < 2_000, "{body}");

    // A rep's tablet and a customer's phone fetch it with their first sync
    // and keep it pinned; every document prints it.
    let acc = &w.accounts[0];
    let tablet = open(&w.dir, "tablet");
    let phone = open(&w.dir, "phone");
    for (device, role) in [(&tablet, DeviceRole::Rep), (&phone, DeviceRole::Customer)] {
        let t = w.transport(w.scope(device, role, &[acc]), None);
        let s = sync(device, &t).unwrap();
        assert!(s.files.downloaded >= 1, "{:?}", s.files);
        let wanted = hash_bytes(&file.hash).unwrap();
        let asked = |r: &BlobRequest| match r {
            BlobRequest::Get { hash, .. } => *hash == wanted,
            BlobRequest::GetSmall { hashes } => hashes.contains(&wanted),
            _ => false,
        };
        assert!(t.seen.lock().unwrap().iter().any(asked), "fetched by hash");
        assert_eq!(device.company_profile().unwrap().unwrap().logo.as_deref(), Some(&logo[..]));
        assert!(device.blob_budget().unwrap().pinned_bytes >= logo.len() as u64, "the logo is never evicted");
        // Fetched once: the next sync asks for nothing.
        let again = sync(device, &t).unwrap();
        assert_eq!(again.files.downloaded, 0);
    }
    // No product image is published in this world: the one image is the logo.
    let plain = w.hub.products().unwrap().into_iter().next().unwrap();
    // The published profile, not one given by the caller.
    let opts = onsite_core::pdf::PdfOptions::dated(Utc::now().date_naive());
    let sheet = tablet.render_datasheet_pdf(&plain.sku, acc, Default::default(), None, &opts).unwrap();
    assert!(sheet.windows(16).any(|x| x == b"/Subtype /Image "), "the logo is on the datasheet");

    // A caller cannot name a file as the logo: a profile with a logo file
    // and no logo is refused; one with both keeps the file of the logo's bytes.
    let parent = AttachmentParent::Quote {
        quote_id: tablet.create_quote(acc, None, "rep-1", DisplayLocale::De, Utc::now().date_naive()).unwrap().id,
    };
    let private =
        tablet.add_attachment(&parent, "intern.png", &sample::product_png(5, 64, 64), false, "rep-1").unwrap();
    let mut forged = company.clone();
    forged.logo = None;
    forged.logo_file = Some(BlobRef { kind: BlobKind::Logo, ..private.file.clone() });
    let e = w.hub.set_company_profile(&forged).unwrap_err();
    assert!(e.to_string().contains("logo_file"), "{e}");
    forged.logo = Some(logo.clone());
    w.hub.set_company_profile(&forged).unwrap();
    assert_eq!(w.hub.company_profile().unwrap().unwrap().logo_file.unwrap().hash, file.hash);
    assert!(!w.hub.is_published_media(&private.file.hash).unwrap());
}

/// A hub that does not know batches (an older build) refuses them; the
/// device then fetches the same files one at a time.
struct NoBatches<'a>(InProcess<'a>, AtomicUsize);

impl Transport for NoBatches<'_> {
    fn post(&self, r: TransportRequest) -> Result<TransportResponse, TransportFailure> {
        if r.url.ends_with("/v1/blobs")
            && matches!(blob_frame::decode_request(&r.body).map(|f| f.request), Ok(BlobRequest::GetSmall { .. }))
        {
            self.1.fetch_add(1, Ordering::SeqCst);
            let body = serde_json::json!({"error": "invalid", "message": "unknown blob operation"});
            return Ok(answer(422, "application/json", body.to_string().into_bytes()));
        }
        self.0.post(r)
    }
}

#[test]
fn small_files_come_in_batches_checked_one_by_one_and_one_at_a_time_from_a_hub_without_batches() {
    let w = world();
    let acc = &w.accounts[0];
    let images: Vec<_> = w
        .hub
        .products()
        .unwrap()
        .iter()
        .filter_map(|p| p.image.clone().filter(|i| i.starts_with("bild-")))
        .enumerate()
        .map(|(i, name)| onsite_core::blob::prepare_image(&name, &sample::product_png(i as u64, 320, 240)).unwrap())
        .collect();
    w.hub.publish_images(&images).unwrap();

    // A batch answer with one file that is not what its hash says: the
    // whole answer is refused and nothing of it is kept.
    let forged = open(&w.dir, "forged");
    let scope = w.scope(&forged, DeviceRole::Rep, &[acc]);
    forged.apply_catalog_delta(&w.hub.catalog_changes_since(0).unwrap()).unwrap();
    let mut wants = forged.blob_prefetch().unwrap();
    assert!(wants.len() >= 2, "{wants:?}");
    let (mut chunked, mut skipped) = (Vec::new(), 0);
    let (asked, request) = forged.blob_batch_request(&mut wants, &mut chunked, &mut skipped).unwrap().unwrap();
    assert!(wants.is_empty() && chunked.is_empty() && skipped == 0);
    let real = w.hub.blob_hub_handle(&scope, &request).unwrap().unwrap();
    let BlobAnswer::Files { mut files } = blob_frame::decode_answer(&real).unwrap() else { panic!() };
    if let onsite_core::sync::blob_frame::SmallFile::Whole { bytes, .. } = &mut files[1] {
        bytes[10] ^= 1;
    }
    let lie = blob_frame::encode_answer(&BlobAnswer::Files { files });
    assert!(forged.blob_batch_apply(&asked, &lie).is_err());
    assert!(asked.iter().all(|a| !forged.has_blob(&a.hash).unwrap()), "nothing of a forged answer kept");
    // The real answer is kept whole.
    let fetched = forged.blob_batch_apply(&asked, &real).unwrap();
    assert!(fetched.iter().all(|f| *f == onsite_core::sync::blobs::Fetched::Done), "{fetched:?}");
    assert!(asked.iter().all(|a| forged.has_blob(&a.hash).unwrap()));

    // From a hub without batches, the same thumbnails one at a time.
    let old = open(&w.dir, "old");
    let t = NoBatches(w.transport(w.scope(&old, DeviceRole::Rep, &[acc]), None), AtomicUsize::new(0));
    let s = driver::sync(&old, &t, &settings(3), None, &CancelFlag::new()).unwrap();
    assert_eq!(s.files.downloaded as usize, asked.len(), "{:?}", s.files);
    assert_eq!(t.1.load(Ordering::SeqCst), 1, "a batch was tried once and refused");
    assert!(t.0.seen.lock().unwrap().iter().all(|r| matches!(r, BlobRequest::Get { .. })));
}
