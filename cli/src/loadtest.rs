//! `onsite loadtest`: many devices with an offline backlog sync against a
//! hub at once; reports throughput, round-trip latency, server memory and
//! whether every change arrived.
//!
//! The hub runs as a child process (`onsite serve`), so its memory is
//! measured alone. Devices are real stores (SQLite files) syncing over
//! HTTP on loopback. Each device is a rep's tablet with its own accounts;
//! its backlog is what a day offline produces: visit notes, a changed
//! phone number, a new quote. An auditor device then syncs everything down
//! and counts what arrived.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use onsite_core::activity::{Activity, ActivityKind};
use onsite_core::ids::Timestamp;
use onsite_core::money::DisplayLocale;
use onsite_core::sample;
use onsite_core::{Store, StoreOptions};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::client::HubClient;
use crate::error::{Error, Result};
use crate::output::Io;
use onsite_hub::{self, DatabaseUrl, token};

/// Arguments of `onsite loadtest`.
#[derive(Debug, Args)]
pub struct LoadtestArgs {
    /// Simulated devices (reps' tablets).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub devices: u32,
    /// Devices syncing at the same moment.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub concurrency: u32,
    /// The hub's database: sqlite:PATH (default: a new file in --out) or postgres://… (an empty database).
    #[arg(long)]
    pub database: Option<String>,
    /// Directory for the hub database, device stores and the report.
    #[arg(long, default_value = "onsite-loadtest")]
    pub out: PathBuf,
    /// Accounts assigned to each device's rep.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub accounts_per_device: u32,
    /// Activities each device logs while offline.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub backlog: u32,
    /// Products in the published catalog.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub products: u32,
    /// Devices coming online per second in the measured phase (default: all at once).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: Option<u32>,
    /// Keep the device stores afterwards.
    #[arg(long)]
    pub keep: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What a load test measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Devices.
    pub devices: u32,
    /// Devices syncing at once.
    pub concurrency: u32,
    /// Devices coming online per second (`None`: all at once).
    pub rate: Option<u32>,
    /// Setting up (catalog, accounts, tokens, first syncs, backlogs), seconds.
    pub setup_secs: f64,
    /// Median first sync of a device (catalog and its accounts), ms.
    pub first_sync_p50_ms: f64,
    /// Round trips in the measured phase.
    pub round_trips: u64,
    /// Wall time of the measured phase, seconds.
    pub wall_secs: f64,
    /// Round trips per second.
    pub round_trips_per_sec: f64,
    /// Devices fully synced per second.
    pub devices_per_sec: f64,
    /// Round-trip latency percentiles, ms.
    pub p50_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest round trip, ms.
    pub max_ms: f64,
    /// Request bytes in the measured phase.
    pub bytes_up: u64,
    /// Response bytes in the measured phase.
    pub bytes_down: u64,
    /// The hub process's peak resident memory, KiB.
    pub server_peak_rss_kib: u64,
    /// Its resident memory at the end, KiB.
    pub server_rss_kib: u64,
    /// Changes made offline: activities, contact edits and quotes.
    pub changes_made: u64,
    /// Of them, found at the hub by the auditor.
    pub changes_found: u64,
    /// `changes_made - changes_found`: must be 0.
    pub changes_lost: u64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// The hub as a child process, stopped with SIGTERM on drop.
struct HubProcess {
    child: Child,
    url: String,
    stopped: bool,
}

impl HubProcess {
    fn start(database: &str) -> Result<HubProcess> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["serve", "--listen", "127.0.0.1:0", "--quiet", "--pool", "8", "--database", database])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| Error::Http("no stdout from the hub".into()))?;
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut line)?;
        // Keep reading, so the hub's last words never meet a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .ok_or_else(|| Error::Http(format!("the hub did not start: {line:?}")))?
            .to_string();
        Ok(HubProcess { child, url, stopped: false })
    }

    fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Device {
    id: String,
    token: String,
    accounts: Vec<String>,
    /// The phone number it sets offline on its first account's first contact.
    phone: Option<(String, String)>,
}

fn open_device(dir: &Path, device_id: &str) -> Result<Store> {
    Ok(Store::open(
        dir.join(format!("{device_id}.sqlite")),
        StoreOptions { readers: 1, device_id: Some(device_id.to_string()), ..StoreOptions::default() },
    )?)
}

/// Runs `f(i)` for `0..n` on `threads` threads; the first error wins.
fn parallel(n: usize, threads: usize, f: impl Fn(usize) -> Result<()> + Sync) -> Result<()> {
    let next = AtomicUsize::new(0);
    let failure = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                        return;
                    }
                    if let Err(e) = f(i) {
                        if let Ok(mut f) = failure.lock() {
                            f.get_or_insert(e);
                        }
                        return;
                    }
                }
            });
        }
    });
    match failure.into_inner() {
        Ok(Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// Runs the load test.
pub fn measure(args: &LoadtestArgs, log: &mut dyn Write) -> Result<LoadReport> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.out)?;
    let dev_dir = args.out.join("devices");
    let _ = std::fs::remove_dir_all(&dev_dir);
    std::fs::create_dir_all(&dev_dir)?;
    let database = match &args.database {
        Some(d) => d.clone(),
        None => {
            let path = args.out.join("hub.sqlite");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(args.out.join(format!("hub.sqlite{suffix}")));
            }
            format!("sqlite:{}", path.display())
        }
    };
    let url = DatabaseUrl::parse(&database)?;
    let run = &uuid::Uuid::new_v4().simple().to_string()[..8];

    // The back office: an admin token straight into the database.
    let admin_token = token::generate()?;
    {
        let backend = onsite_hub::database::open(&url, 2, None)?;
        let new = onsite_core::devices::NewDevice {
            person: format!("loadtest-admin-{run}"),
            role: onsite_core::sync::DeviceRole::Admin,
            account_id: None,
            label: "load test".into(),
        };
        backend.register_device(
            &uuid::Uuid::new_v4().to_string(),
            &new,
            &onsite_core::devices::TokenSecrets::of(&admin_token),
        )?;
    }
    let mut hub = HubProcess::start(&database)?;
    let admin = HubClient::new(&hub.url, &admin_token, None)?;
    writeln!(
        log,
        "hub {} ({}), run {run}",
        hub.url,
        if database.starts_with("postgres") { "postgres" } else { "sqlite" }
    )?;

    // Reference data.
    let products = sample::products(args.products as usize, 7);
    let n_accounts = (args.devices * args.accounts_per_device) as usize;
    let mut accounts = sample::accounts(n_accounts, 7);
    for (a, contacts) in &mut accounts {
        // Fresh ids per run, so a shared database counts only this run.
        let id = format!("{run}-{}", a.id);
        for c in contacts.iter_mut() {
            c.account_id.clone_from(&id);
        }
        a.id = id;
    }
    let csv = onsite_core::import::export_csv(&products);
    admin.post_bytes("/v1/admin/catalog?format=csv", "text/csv", csv.as_bytes())?;

    // Accounts enter through a back-office device.
    let admin_dev = admin.post_json(
        "/v1/admin/devices",
        &json!({ "person": format!("loadtest-crm-{run}"), "role": "admin", "label": "CRM import" }),
    )?;
    let crm_id = admin_dev["device"]["device_id"].as_str().unwrap_or_default().to_string();
    let crm = open_device(&dev_dir, &crm_id)?;
    for (a, contacts) in &accounts {
        crm.save_account_with_contacts(a, contacts)?;
    }
    let crm_client = HubClient::new(&hub.url, admin_dev["token"].as_str().unwrap_or_default(), None)?;
    crate::client::sync_store(&crm, &crm_client, 200)?;
    writeln!(log, "published {} products, {} accounts", products.len(), accounts.len())?;

    // Devices: a token and accounts each.
    let k = args.accounts_per_device as usize;
    let mut devices = Vec::with_capacity(args.devices as usize);
    for i in 0..args.devices as usize {
        let person = format!("rep-{run}-{i}");
        let v = admin.post_json("/v1/admin/devices", &json!({ "person": person, "role": "rep", "label": "tablet" }))?;
        let mine: Vec<String> = accounts[i * k..(i + 1) * k].iter().map(|(a, _)| a.id.clone()).collect();
        admin.post_json(&format!("/v1/admin/reps/{person}/accounts"), &json!({ "add": mine }))?;
        devices.push(Device {
            id: v["device"]["device_id"].as_str().unwrap_or_default().to_string(),
            token: v["token"].as_str().unwrap_or_default().to_string(),
            accounts: mine,
            phone: None,
        });
    }
    writeln!(log, "issued {} device tokens", devices.len())?;

    // First sync, then a day offline.
    let threads = (args.concurrency as usize).min(devices.len());
    let first = Mutex::new(Vec::with_capacity(devices.len()));
    let phones = Mutex::new(vec![None; devices.len()]);
    let today = chrono::Utc::now().date_naive();
    parallel(devices.len(), threads, |i| {
        let d = &devices[i];
        let store = open_device(&dev_dir, &d.id)?;
        let client = HubClient::new(&hub.url, &d.token, None)?;
        let t = Instant::now();
        crate::client::sync_store(&store, &client, 50)?;
        if let Ok(mut f) = first.lock() {
            f.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let now: Timestamp = chrono::Utc::now();
        for j in 0..args.backlog as usize {
            let account = &d.accounts[j % d.accounts.len()];
            store.log_activity(&Activity {
                id: onsite_core::ids::new_id(),
                account_id: account.clone(),
                contact_id: None,
                kind: if j % 2 == 0 { ActivityKind::Visit } else { ActivityKind::Call },
                at: now,
                by: format!("rep-{run}-{i}"),
                subject: format!("Besuch {j}"),
                notes: "Bedarf an Befestigungstechnik besprochen, Angebot folgt.".into(),
            })?;
        }
        let account = &d.accounts[0];
        if let Some(mut c) = store.contacts(account)?.into_iter().next() {
            let phone = format!("+49 89 {:07}", i);
            c.phone = Some(phone.clone());
            store.save_contact(&c)?;
            if let Ok(mut p) = phones.lock() {
                p[i] = Some((c.id.clone(), phone));
            }
        }
        let q = store.create_quote(
            account,
            None,
            &format!("rep-{run}-{i}"),
            DisplayLocale::De,
            today + chrono::Days::new(30),
        )?;
        for (n, p) in products.iter().take(3).enumerate() {
            store.add_quote_line(&q.id, &p.sku, Decimal::from(10 * (n + 1)), Decimal::ZERO, today)?;
        }
        Ok(())
    })?;
    for (d, p) in devices.iter_mut().zip(phones.into_inner().unwrap_or_default()) {
        d.phone = p;
    }
    let mut first = first.into_inner().unwrap_or_default();
    first.sort_by(f64::total_cmp);
    let setup_secs = started.elapsed().as_secs_f64();
    writeln!(log, "devices synced once and worked offline ({setup_secs:.1} s); now all sync at once")?;

    // Each device builds its first request before the clock starts: that
    // is the device's own work, done on its own processor in the field.
    let frames: Vec<Mutex<Option<Vec<u8>>>> = devices.iter().map(|_| Mutex::new(None)).collect();
    parallel(devices.len(), 2, |i| {
        let store = open_device(&dev_dir, &devices[i].id)?;
        let frame = store.sync_request()?;
        if let Ok(mut f) = frames[i].lock() {
            *f = Some(frame);
        }
        Ok(())
    })?;

    // The measured phase: every device sends its backlog; a device whose
    // sync needs more round trips applies the answer and goes on. With
    // --rate, device i starts no earlier than i/rate seconds in (devices
    // coming online over time); without, all start at once, `concurrency`
    // at a time.
    let latencies = Mutex::new(Vec::with_capacity(devices.len() * 2));
    let bytes = Mutex::new((0u64, 0u64));
    let t = Instant::now();
    parallel(devices.len(), threads, |i| {
        let d = &devices[i];
        if let Some(rate) = args.rate {
            let start = t + Duration::from_secs_f64(i as f64 / f64::from(rate));
            std::thread::sleep(start.saturating_duration_since(Instant::now()));
        }
        let client = HubClient::new(&hub.url, &d.token, None)?;
        let mut request = frames[i].lock().ok().and_then(|mut f| f.take()).unwrap_or_default();
        let mut store = None;
        for _ in 0..50 {
            let sent = Instant::now();
            let response = client.sync_frame(&request)?;
            let took = sent.elapsed().as_secs_f64() * 1000.0;
            if let (Ok(mut l), Ok(mut b)) = (latencies.lock(), bytes.lock()) {
                l.push(took);
                b.0 += request.len() as u64;
                b.1 += response.len() as u64;
            }
            let s = match &store {
                Some(s) => s,
                None => store.insert(open_device(&dev_dir, &d.id)?),
            };
            if s.sync_apply(&response)?.done {
                return Ok(());
            }
            request = s.sync_request()?;
        }
        Err(Error::Hub { status: 0, message: format!("device {i} did not finish syncing") })
    })?;
    let wall = t.elapsed().as_secs_f64();
    let server_peak = proc_status_kib(hub.child.id(), "VmHWM:");
    let server_rss = proc_status_kib(hub.child.id(), "VmRSS:");
    let mut lat = latencies.into_inner().unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let (bytes_up, bytes_down) = bytes.into_inner().unwrap_or_default();

    // The auditor: everything, from the hub, counted.
    crate::client::sync_store(&crm, &crm_client, 500)?;
    let mut made = 0u64;
    let mut found = 0u64;
    for d in &devices {
        made += u64::from(args.backlog) + 1 + u64::from(d.phone.is_some());
        for a in &d.accounts {
            found += crm.activities_for_account(a, 100_000)?.len() as u64;
        }
        found += crm.quotes_for_account(&d.accounts[0])?.len() as u64;
        if let Some((contact, phone)) = &d.phone {
            let now = crm.contacts(&d.accounts[0])?;
            found += u64::from(now.iter().any(|c| c.id == *contact && c.phone.as_deref() == Some(phone)));
        }
    }
    hub.stop();
    drop(crm);
    if !args.keep {
        let _ = std::fs::remove_dir_all(&dev_dir);
    }
    Ok(LoadReport {
        backend: if database.starts_with("postgres") { "postgres" } else { "sqlite" }.into(),
        devices: args.devices,
        concurrency: args.concurrency,
        rate: args.rate,
        setup_secs,
        first_sync_p50_ms: percentile(&first, 0.5),
        round_trips: lat.len() as u64,
        wall_secs: wall,
        round_trips_per_sec: lat.len() as f64 / wall,
        devices_per_sec: f64::from(args.devices) / wall,
        p50_ms: percentile(&lat, 0.5),
        p90_ms: percentile(&lat, 0.9),
        p99_ms: percentile(&lat, 0.99),
        max_ms: lat.last().copied().unwrap_or(0.0),
        bytes_up,
        bytes_down,
        server_peak_rss_kib: server_peak,
        server_rss_kib: server_rss,
        changes_made: made,
        changes_found: found,
        changes_lost: made.saturating_sub(found),
    })
}

/// `onsite loadtest`.
pub fn run(args: &LoadtestArgs, io: &mut Io<'_>) -> Result<()> {
    let mut log = std::io::stderr();
    let r = measure(args, &mut log)?;
    let path = args.out.join("report.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&r)?)
        .map_err(|source| Error::File { path: path.clone(), source })?;
    if args.json {
        serde_json::to_writer_pretty(&mut io.out, &r)?;
        writeln!(io.out)?;
    } else {
        let w = &mut io.out;
        let arrival = r.rate.map_or_else(|| "all at once".to_string(), |n| format!("{n} coming online per second"));
        writeln!(
            w,
            "{} devices, {arrival}, at most {} syncing at a time, {} backend",
            r.devices, r.concurrency, r.backend
        )?;
        writeln!(
            w,
            "  round trips      {} in {:.2} s: {:.0}/s, {:.0} devices/s",
            r.round_trips, r.wall_secs, r.round_trips_per_sec, r.devices_per_sec
        )?;
        writeln!(
            w,
            "  latency          p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms
        )?;
        writeln!(w, "  bytes            {} up, {} down", r.bytes_up, r.bytes_down)?;
        writeln!(
            w,
            "  hub memory       peak {:.1} MiB, at the end {:.1} MiB",
            r.server_peak_rss_kib as f64 / 1024.0,
            r.server_rss_kib as f64 / 1024.0
        )?;
        writeln!(
            w,
            "  changes          {} made offline, {} found at the hub, {} lost",
            r.changes_made, r.changes_found, r.changes_lost
        )?;
        writeln!(w, "  setup            {:.1} s (first sync p50 {:.1} ms)", r.setup_secs, r.first_sync_p50_ms)?;
        writeln!(w, "  report           {}", path.display())?;
    }
    if r.changes_lost > 0 {
        return Err(Error::Hub { status: 0, message: format!("{} changes were lost", r.changes_lost) });
    }
    Ok(())
}
