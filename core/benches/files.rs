//! Files that travel (ADR 29), measured in one process (the hub a `Store`,
//! frames passed as bytes through the driver's `Transport`, no HTTP):
//! a new tablet's first sync with 10,000 product thumbnails against the
//! same sync before the images were published (the baseline, same run),
//! and a 20 MB attachment up and down with the process's peak memory
//! growth during each transfer.
//! Run: `cargo bench -p onsite-core --bench files`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

use std::time::Instant;

use onsite_core::blob::{AttachmentParent, prepare_image};
use onsite_core::import::{CatalogBatch, ParsedCatalog, Row};
use onsite_core::sync::driver::{self, BLOB_CONTENT_TYPE, SYNC_CONTENT_TYPE};
use onsite_core::sync::{
    CancelFlag, DeviceRole, DeviceScope, Header, SyncSettings, Transport, TransportFailure, TransportRequest,
    TransportResponse,
};
use onsite_core::{Store, StoreKey, StoreOptions, sample};

struct InProcess<'a> {
    hub: &'a Store,
    scope: DeviceScope,
}

impl Transport for InProcess<'_> {
    fn post(&self, r: TransportRequest) -> Result<TransportResponse, TransportFailure> {
        let gz = r.headers.iter().any(|h| h.name == "content-encoding" && h.value == "gzip");
        let body =
            if gz { miniz_oxide::inflate::decompress_to_vec(&r.body[10..r.body.len() - 8]).unwrap() } else { r.body };
        let (ct, out) = if r.url.ends_with("/v1/sync") {
            (SYNC_CONTENT_TYPE, self.hub.hub_handle(&self.scope, &body).unwrap())
        } else {
            (BLOB_CONTENT_TYPE, self.hub.blob_hub_handle(&self.scope, &body).unwrap().unwrap())
        };
        Ok(TransportResponse {
            status: 200,
            headers: vec![Header { name: "content-type".into(), value: ct.into() }],
            body: out,
        })
    }
}

fn rows<T: Clone>(items: &[T]) -> Vec<Row<T>> {
    items.iter().enumerate().map(|(i, r)| Row { line: i as u64 + 2, item: r.clone() }).collect()
}

fn device(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(
        dir.path().join(format!("{name}.sqlite")),
        StoreOptions { key: Some(StoreKey::generate().unwrap()), ..Default::default() },
    )
    .unwrap()
}

fn scope(store: &Store, account: &str) -> DeviceScope {
    DeviceScope {
        device_id: store.device_id().unwrap(),
        person: "rep-1".into(),
        accounts: Some([account.to_string()].into_iter().collect()),
        include_costs: true,
        role: DeviceRole::Rep,
    }
}

fn settings() -> SyncSettings {
    SyncSettings::new("http://hub.bench", "tok")
}

/// Peak resident memory of this process since the last reset, and now, in KiB.
fn memory() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        s.lines().find(|l| l.starts_with(k)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
    };
    (get("VmHWM:"), get("VmRSS:"))
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let n: usize = std::env::var("ONSITE_BENCH_PRODUCTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let hub = Store::open(dir.path().join("hub.sqlite"), StoreOptions::default()).unwrap();
    let mut products = sample::products(n, 21);
    for p in &mut products {
        p.image = Some(format!("{}.png", p.sku));
    }
    let accounts = sample::accounts(5, 21);
    let batch = CatalogBatch {
        products: rows(&products),
        price_lists: rows(&sample::price_lists(&products, &accounts, 21)),
        ..Default::default()
    };
    hub.import_catalog(ParsedCatalog { batch, problems: vec![] }, &mut |_| {}).unwrap();
    let (account, contacts) = &accounts[0];
    hub.save_account_with_contacts(account, contacts).unwrap();

    println!("## First sync of a new tablet, {n} products\n");
    println!("| sync | time | bytes down | files fetched | file bytes | ratio |");
    println!("|---|---|---|---|---|---|");
    let base = device(&dir, "baseline");
    let t = Instant::now();
    let s = driver::sync(
        &base,
        &InProcess { hub: &hub, scope: scope(&base, &account.id) },
        &settings(),
        None,
        &CancelFlag::new(),
    )
    .unwrap();
    let baseline = t.elapsed();
    println!(
        "| without images (baseline) | {:.2} s | {} | {} | 0 | 1.00× |",
        baseline.as_secs_f64(),
        s.progress.bytes_down,
        s.files.downloaded
    );

    let t = Instant::now();
    let images: Vec<_> = products
        .iter()
        .enumerate()
        .map(|(i, p)| prepare_image(p.image.as_deref().unwrap(), &sample::product_png(i as u64, 400, 300)).unwrap())
        .collect();
    let prepared = t.elapsed();
    let thumb_bytes: u64 = images.iter().map(|i| i.item.thumb_size).sum();
    let t = Instant::now();
    hub.publish_images(&images).unwrap();
    let published = t.elapsed();
    drop(images);

    let tablet = device(&dir, "tablet");
    let t = Instant::now();
    let s = driver::sync(
        &tablet,
        &InProcess { hub: &hub, scope: scope(&tablet, &account.id) },
        &settings(),
        None,
        &CancelFlag::new(),
    )
    .unwrap();
    let with = t.elapsed();
    println!(
        "| with {} thumbnails | {:.2} s | {} | {} | {} | {:.2}× |",
        s.files.downloaded,
        with.as_secs_f64(),
        s.progress.bytes_down + s.files.bytes_down,
        s.files.downloaded,
        s.files.bytes_down,
        with.as_secs_f64() / baseline.as_secs_f64()
    );
    let budget = tablet.blob_budget().unwrap();
    println!(
        "\nThumbnails: {thumb_bytes} bytes in all ({} bytes each on average); the hub made them in {:.1} s ({:.2} ms each, 400×300 PNG in) and published them in {:.1} s. The tablet holds {} files, {} bytes, of its {} MiB budget.\n",
        thumb_bytes / n as u64,
        prepared.as_secs_f64(),
        prepared.as_secs_f64() * 1e3 / n as f64,
        published.as_secs_f64(),
        budget.blobs,
        budget.used_bytes,
        budget.budget_bytes >> 20
    );

    // A second tablet holds the catalog and thumbnails before the attachment exists.
    let second = device(&dir, "second");
    let down_t = InProcess { hub: &hub, scope: scope(&second, &account.id) };
    driver::sync(&second, &down_t, &settings(), None, &CancelFlag::new()).unwrap();

    println!("## A 20 MB attachment up and down\n");
    println!("| direction | time | throughput | chunks | peak memory growth of the process |");
    println!("|---|---|---|---|---|");
    let today = chrono::Utc::now().date_naive();
    let q = tablet
        .create_quote(&account.id, None, "rep-1", onsite_core::money::DisplayLocale::De, today + chrono::Days::new(30))
        .unwrap();
    let mut big = b"%PDF-1.7\n".to_vec();
    big.extend((0..20_000_000u32 - 9).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    tablet.add_attachment(&AttachmentParent::Quote { quote_id: q.id }, "Anlage.pdf", &big, false, "rep-1").unwrap();
    drop(big);
    let up_t = InProcess { hub: &hub, scope: scope(&tablet, &account.id) };
    reset_peak();
    let (_, rss) = memory();
    let t = Instant::now();
    let s = driver::sync(&tablet, &up_t, &settings(), None, &CancelFlag::new()).unwrap();
    let up = t.elapsed();
    let (peak, _) = memory();
    let chunks = 20_000_000u64.div_ceil(onsite_core::blob::CHUNK_BYTES as u64);
    println!(
        "| up | {:.2} s | {:.1} MB/s | {chunks} | {} KiB |",
        up.as_secs_f64(),
        20.0 / up.as_secs_f64(),
        peak.saturating_sub(rss)
    );
    assert_eq!(s.files.uploaded, 1);
    reset_peak();
    let (_, rss) = memory();
    let t = Instant::now();
    let s = driver::sync(&second, &down_t, &settings(), None, &CancelFlag::new()).unwrap();
    assert_eq!(s.files.downloaded, 1, "the open quote's attachment is prefetched");
    let down = t.elapsed();
    let (peak, _) = memory();
    println!(
        "| down (the next sync of a second tablet) | {:.2} s | {:.1} MB/s | {chunks} | {} KiB |",
        down.as_secs_f64(),
        20.0 / down.as_secs_f64(),
        peak.saturating_sub(rss)
    );
}
