//! `onsite demo`: the main job, a whole field day on one machine over real
//! HTTP on loopback. A hub on the embedded SQLite default; a back-office
//! admin, two reps' tablets and a customer's phone provisioned through the
//! back-office API; the catalog published; offline edits on both tablets
//! that converge; a discount held until the back office approves it; a
//! quote PDF with its signed approval link and a datasheet; the customer
//! approving revision 1 on the phone while the rep makes revision 2; and
//! finally revision 2 approved through the browser link. Everything it
//! wrote stays in the output directory.

mod scenes;
mod words;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use onsite_core::pdf::PdfOptions;
use onsite_core::quote::{CategoryLimit, DiscountPolicy};
use onsite_core::sync::driver::{self, CancelFlag, SyncSettings, SyncSummary};
use onsite_core::{Store, StoreKey, StoreOptions};
use rust_decimal::Decimal;

use crate::client::HubClient;
use crate::error::{Error, Result};
use crate::output::Io;

const SEED: u64 = 2026;

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| Error::File { path: path.to_path_buf(), source })
}

/// Removes a SQLite database with its WAL files; whether one existed.
fn remove_db(path: &Path) -> Result<bool> {
    let mut removed = false;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|source| Error::File { path: p.clone(), source })?;
            removed = true;
        }
    }
    Ok(removed)
}

/// The sample discount policy: 10 % overall, 5 % on tools, a 15 % margin
/// floor, the default 30-day offline lease.
fn demo_policy() -> DiscountPolicy {
    let pct = |n: i64| Decimal::new(n, 0);
    DiscountPolicy {
        max_discount_pct: pct(10),
        category_limits: vec![CategoryLimit { category: "Werkzeug/".into(), max_discount_pct: pct(5) }],
        min_margin_pct: pct(15),
        reason_required: true,
        ..DiscountPolicy::default()
    }
}

/// One device of the day: who holds it, its store, its connection.
struct Device {
    who: &'static str,
    store: Store,
    client: HubClient,
    token: String,
    url: String,
    path: PathBuf,
}

impl Device {
    /// A whole sync as an app runs it: documents, then files (uploads, then
    /// prefetches of thumbnails and open quotes' attachments).
    fn sync(&self) -> Result<SyncSummary> {
        let settings = SyncSettings { max_round_trips: 200, ..SyncSettings::new(&self.url, &self.token) };
        Ok(driver::sync(&self.store, &self.client.transport(), &settings, None, &CancelFlag::new())?)
    }
}

struct Day<'a> {
    w: &'a mut dyn std::io::Write,
    out: PathBuf,
    written: Vec<(PathBuf, &'static str)>,
}

impl Day<'_> {
    fn step(&mut self, n: u32, text: &str) -> Result<()> {
        writeln!(self.w, "\n{n}. {text}")?;
        self.w.flush()?;
        Ok(())
    }

    fn say(&mut self, text: &str) -> Result<()> {
        writeln!(self.w, "   {text}")?;
        self.w.flush()?;
        Ok(())
    }

    fn file(&mut self, name: &str, bytes: &[u8], what: &'static str) -> Result<PathBuf> {
        let path = self.out.join(name);
        write_file(&path, bytes)?;
        self.written.push((path.clone(), what));
        Ok(path)
    }

    /// A new key for the database at `path`, written to `keys/NAME.key`
    /// (readable by its owner only): every store of the demo is encrypted
    /// at rest, as on a tablet, where the key is kept by the Keystore or the
    /// Keychain instead (ADR 20).
    fn key_for(&mut self, path: &Path) -> Result<StoreKey> {
        let dir = self.out.join("keys");
        std::fs::create_dir_all(&dir).map_err(|source| Error::File { path: dir.clone(), source })?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let key = StoreKey::generate()?;
        crate::files::write_key_file(&dir.join(format!("{stem}.key")), &key)?;
        Ok(key)
    }

    fn device(
        &mut self,
        admin: &HubClient,
        url: &str,
        (who, file): (&'static str, &str),
        new: serde_json::Value,
    ) -> Result<Device> {
        let issued = admin.post_json("/v1/admin/devices", &new)?;
        let id = issued["device"]["device_id"].as_str().unwrap_or_default().to_string();
        let token = issued["token"].as_str().unwrap_or_default().to_string();
        let path = self.out.join(file);
        remove_db(&path)?;
        let key = self.key_for(&path)?;
        let store = Store::open(
            &path,
            StoreOptions { device_id: Some(id.clone()), key: Some(key), ..StoreOptions::default() },
        )?;
        let client = HubClient::new(url, &token, None)?;
        if new["role"] != "admin" {
            self.say(&format!(
                "{who}: device {id} ({} {}); its token is shown once and kept on the device",
                new["role"].as_str().unwrap_or_default(),
                new["person"].as_str().unwrap_or_default()
            ))?;
        }
        Ok(Device { who, store, client, token, url: url.to_string(), path })
    }
}

/// Runs the demo: the scenes of `scenes.rs`, one after the other.
pub fn run(args: &DemoArgs, io: &mut Io<'_>) -> Result<()> {
    let all = Instant::now();
    let out = args.out.clone();
    std::fs::create_dir_all(&out).map_err(|source| Error::File { path: out.clone(), source })?;
    let hub_path = out.join("hub.sqlite");
    let replaced = remove_db(&hub_path)?;
    // The store of demos before the hub existed.
    remove_db(&out.join("onsite.sqlite"))?;
    let mut day = Day { w: &mut *io.out, out: out.clone(), written: Vec::new() };
    writeln!(day.w, "Onsite demo: a field day, offline first, over real HTTP on this machine")?;
    writeln!(day.w, "=======================================================================")?;

    let catalog = scenes::prepare(&mut day, args)?;
    let hub = scenes::start_hub(&mut day, &hub_path, replaced)?;
    scenes::publish(&mut day, &hub, &catalog)?;
    let crm = scenes::crm_import(&mut day, &hub, &catalog)?;
    scenes::marketing_export(&mut day, &hub, &catalog)?;
    let cast = scenes::provision(&mut day, &hub, &catalog)?;
    scenes::first_sync(&mut day, &cast)?;
    let edited_contact = scenes::offline_edits(&mut day, &cast)?;
    let today = chrono::Local::now().date_naive();
    let (quote, datasheet_sku) = scenes::discounted_quote(&mut day, &hub, &cast, &catalog, today)?;
    let opts = PdfOptions { approval_base_url: hub.url.clone(), ..PdfOptions::dated(today) };
    let link1 = scenes::pdfs(&mut day, &hub, &cast, &quote, datasheet_sku.as_deref(), &opts)?;
    scenes::approval_meets_revision(&mut day, &cast, &quote, &opts, today)?;
    let link2 = scenes::converge(&mut day, &hub, &cast, &quote, &link1)?;
    scenes::browser_approval(&mut day, &link2)?;
    scenes::order(&mut day, &hub, &cast, &quote)?;
    scenes::reorder(&mut day, &hub, &cast)?;
    scenes::leave_quote_document(&mut day, &cast, &quote, edited_contact, today)?;
    let scenes::Hub { backend, running, .. } = hub;
    running.stop()?;
    drop(backend);
    scenes::summary(&mut day, &hub_path, [&crm, &cast.anna, &cast.ben, &cast.eva], all)
}

/// Arguments of `onsite demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the database and the sample files (created if missing;
    /// a previous demo database in it is replaced).
    #[arg(long, default_value = "onsite-demo")]
    pub out: PathBuf,
    /// Number of sample products.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub products: u32,
    /// Number of sample accounts.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub accounts: u32,
}
