//! `onsite device`: the command line as a device of a hub. `register`
//! links an encrypted store to a hub with a device token (the hub says who
//! the device is), `sync` runs the SDK's driver over HTTP (ADR 27),
//! `status` prints the sync-health record.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use onsite_core::sync::{CancelFlag, HubLink, SyncListener, SyncProgress, SyncSettings, driver};
use onsite_core::{Store, StoreKey, StoreOptions};

use crate::client::HubClient;
use crate::error::{Error, Result};
use crate::output::Io;

/// A device's store: the database and its key file.
#[derive(Debug, Args)]
pub(crate) struct DeviceDb {
    /// The device's database (encrypted).
    #[arg(long, env = "ONSITE_DB")]
    pub db: PathBuf,
    /// Its key file (64 hexadecimal digits); default: the database's path
    /// with `.key` added, created with a fresh key by `register`.
    #[arg(long, env = "ONSITE_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

impl DeviceDb {
    fn key_path(&self) -> PathBuf {
        self.key_file.clone().unwrap_or_else(|| {
            let mut p = self.db.clone().into_os_string();
            p.push(".key");
            PathBuf::from(p)
        })
    }

    /// Opens the (existing) device store, for the writes of the field
    /// commands; `sync` sends them.
    pub(crate) fn store(&self) -> Result<Store> {
        if !self.db.exists() {
            return Err(Error::NoDatabase(self.db.clone()));
        }
        let key = crate::files::read_key_file(&self.key_path())?;
        Ok(Store::open(&self.db, StoreOptions { key: Some(key), ..StoreOptions::default() })?)
    }

    /// Opens the linked device store.
    pub(crate) fn open(&self) -> Result<(Store, HubLink)> {
        let store = self.store()?;
        let link = store.hub_link()?.ok_or_else(|| {
            Error::Usage(format!(
                "{} is not linked to a hub; run `onsite device register --db {} --hub URL --token TOKEN`",
                self.db.display(),
                self.db.display()
            ))
        })?;
        Ok((store, link))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// Link a new encrypted store to a hub with a device token, then sync.
    ///
    /// The hub says who the device is (its id, person and role); the store
    /// is created under that id with a fresh key in the key file, and keeps
    /// the hub's URL and the token.
    Register {
        #[command(flatten)]
        db: DeviceDb,
        /// The hub's base URL.
        #[arg(long, env = "ONSITE_HUB")]
        hub: String,
        /// The device token the back office issued (`onsite admin device issue`).
        #[arg(long, env = "ONSITE_TOKEN", hide_env_values = true)]
        token: String,
        /// A CA certificate (PEM) to trust for an HTTPS hub with a private CA.
        #[arg(long)]
        ca_cert: Option<PathBuf>,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sync with the hub until nothing is left (retries with backoff).
    Sync {
        #[command(flatten)]
        db: DeviceDb,
        /// A CA certificate (PEM) to trust for an HTTPS hub with a private CA.
        #[arg(long)]
        ca_cert: Option<PathBuf>,
        /// Most attempts in a row that fail before giving up.
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=100))]
        attempts: u32,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Where the device stands: its hub, last sync, what waits to be sent, the last error.
    Status {
        #[command(flatten)]
        db: DeviceDb,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(cmd: DeviceCommand, io: &mut Io<'_>) -> Result<()> {
    match cmd {
        DeviceCommand::Register { db, hub, token, ca_cert, json } => {
            register(&db, &hub, &token, ca_cert.as_deref(), json, io)
        }
        DeviceCommand::Sync { db, ca_cert, attempts, json } => {
            let (store, link) = db.open()?;
            let summary = sync(&store, &link, ca_cert.as_deref(), attempts, io.progress)?;
            print_summary(&summary, json, io)
        }
        DeviceCommand::Status { db, json } => status(&db, json, io),
    }
}

fn register(db: &DeviceDb, hub: &str, token: &str, ca: Option<&Path>, json: bool, io: &mut Io<'_>) -> Result<()> {
    if db.db.exists() {
        return Err(Error::Usage(format!("{} exists; a device registers a new store", db.db.display())));
    }
    let client = HubClient::new(hub, token, ca)?;
    let me = client.get_json("/v1/device")?;
    let field = |k: &str| me.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let device_id = field("device_id").ok_or_else(|| Error::Http("the hub did not say who this device is".into()))?;
    let key_path = db.key_path();
    let key = if key_path.exists() {
        crate::files::read_key_file(&key_path)?
    } else {
        let key = StoreKey::generate()?;
        crate::files::write_key_file(&key_path, &key)?;
        key
    };
    let store = Store::open(
        &db.db,
        StoreOptions { key: Some(key), device_id: Some(device_id.clone()), ..StoreOptions::default() },
    )?;
    let link = HubLink {
        hub_url: client.base().to_string(),
        token: token.to_string(),
        person: field("person").unwrap_or_default(),
        role: field("role").unwrap_or_default(),
        account_id: field("account_id"),
        linked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    store.set_hub_link(&link)?;
    let summary = sync(&store, &link, ca, 6, io.progress)?;
    if json {
        let mut out = link_json(&device_id, &link);
        out["key_file"] = serde_json::json!(key_path);
        out["sync"] = summary_json(&summary);
        serde_json::to_writer_pretty(&mut io.out, &out)?;
        writeln!(io.out)?;
        return Ok(());
    }
    writeln!(
        io.out,
        "registered device {device_id} ({} {}) with {}; key in {}",
        link.role,
        link.person,
        link.hub_url,
        key_path.display()
    )?;
    print_summary(&summary, false, io)
}

/// Draws progress on a terminal.
struct Keeper {
    progress: bool,
}

impl SyncListener for Keeper {
    fn progress(&self, p: SyncProgress) {
        if self.progress {
            eprint!(
                "\rsync: {} round trips, {} documents, {} products   ",
                p.round_trips, p.documents_received, p.products_received
            );
        }
    }
    fn token_rotated(&self, _token: String, _expires_at: String) {
        // The driver kept it in the store (the hub link's token too) before
        // it used it (ADR 27); nothing to do here.
    }
}

pub(crate) fn sync(
    store: &Store,
    link: &HubLink,
    ca: Option<&Path>,
    attempts: u32,
    progress: bool,
) -> Result<driver::SyncSummary> {
    let client = HubClient::new(&link.hub_url, &link.token, ca)?;
    let settings = SyncSettings { max_attempts: attempts, ..SyncSettings::new(&link.hub_url, &link.token) };
    let keeper = Keeper { progress };
    let outcome = driver::sync(store, &client.transport(), &settings, Some(&keeper), &CancelFlag::new());
    if progress {
        eprintln!();
    }
    // A rotated token is already in the store: the driver kept it, the hub
    // link's included, before it used it (ADR 27).
    Ok(outcome?)
}

/// Who the device is, as JSON (never its token).
fn link_json(device_id: &str, link: &HubLink) -> serde_json::Value {
    serde_json::json!({
        "device_id": device_id,
        "hub": link.hub_url,
        "person": link.person,
        "role": link.role,
        "account_id": link.account_id,
    })
}

fn summary_json(s: &driver::SyncSummary) -> serde_json::Value {
    serde_json::json!({
        "round_trips": s.progress.round_trips,
        "documents_sent": s.progress.documents_sent,
        "documents_received": s.progress.documents_received,
        "products_received": s.progress.products_received,
        "bytes_up": s.progress.bytes_up,
        "bytes_down": s.progress.bytes_down,
        "retries": s.retries,
        "refused": s.refused,
        "catalog_seq": s.catalog_seq,
        "files": {
            "uploaded": s.files.uploaded,
            "downloaded": s.files.downloaded,
            "bytes_up": s.files.bytes_up,
            "bytes_down": s.files.bytes_down,
            "refused": s.files.refused,
            "skipped": s.files.skipped,
        },
    })
}

fn print_summary(s: &driver::SyncSummary, json: bool, io: &mut Io<'_>) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut io.out, &summary_json(s))?;
        writeln!(io.out)?;
        return Ok(());
    }
    let p = &s.progress;
    writeln!(
        io.out,
        "synced in {} round trips: {} documents sent, {} received, {} products; catalog sequence {}{}",
        p.round_trips,
        p.documents_sent,
        p.documents_received,
        p.products_received,
        s.catalog_seq,
        if s.retries > 0 { format!(" ({} retries)", s.retries) } else { String::new() }
    )?;
    let f = &s.files;
    if f.uploaded + f.downloaded + f.refused + f.skipped > 0 {
        writeln!(
            io.out,
            "files: {} uploaded, {} fetched ({} bytes up, {} down){}{}",
            f.uploaded,
            f.downloaded,
            f.bytes_up,
            f.bytes_down,
            if f.refused > 0 { format!(", {} refused", f.refused) } else { String::new() },
            if f.skipped > 0 { format!(", {} left out (storage budget)", f.skipped) } else { String::new() }
        )?;
    }
    for r in &s.refused {
        writeln!(io.out, "refused by the hub: {} {}: {}", r.code.as_str(), r.doc_id, r.message)?;
    }
    Ok(())
}

fn status(db: &DeviceDb, json: bool, io: &mut Io<'_>) -> Result<()> {
    let (store, link) = db.open()?;
    let h = store.sync_health()?;
    let id = store.device_id()?;
    if json {
        let mut out = link_json(&id, &link);
        out["health"] = serde_json::to_value(&h)?;
        serde_json::to_writer_pretty(&mut io.out, &out)?;
        writeln!(io.out)?;
        return Ok(());
    }
    writeln!(io.out, "device {id} ({} {}) of {}", link.role, link.person, link.hub_url)?;
    writeln!(io.out, "last sync: {}", h.last_success_at.as_deref().unwrap_or("never"))?;
    writeln!(io.out, "waiting to be sent: {} documents", h.pending_documents)?;
    if let Some(e) = &h.last_error {
        writeln!(io.out, "last error ({}): {e}", h.last_error_at.as_deref().unwrap_or("?"))?;
    }
    writeln!(
        io.out,
        "catalog sequence {}; {} refusals kept; {} bytes on disk",
        h.catalog_seq, h.refusals, h.storage_bytes
    )?;
    Ok(())
}
