//! Helpers for the hub's end-to-end tests: databases (a SQLite file, or a
//! fresh database on the PostgreSQL cluster the test command starts), a hub
//! on a loopback port, devices with tokens.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod browser;
pub mod hostile;

/// Runs a scenario against SQLite and against PostgreSQL.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::Db::sqlite());
            }
            #[test]
            fn postgres() {
                if let Some(db) = super::Db::postgres() {
                    super::$name(&db);
                }
            }
        }
    )*};
}

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;

use onsite_cli::client::{HubClient, sync_store};
use onsite_core::devices::{NewDevice, TokenSecrets};
use onsite_core::sync::{DeviceRole, SyncReport};
use onsite_core::{Store, StoreOptions, sample};
use onsite_hub::{Backend, DatabaseUrl, HubConfig, RunningHub, token};
use serde_json::{Value, json};

/// A hub database for one test.
pub struct Db {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Db {
    pub fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("hub.sqlite").display());
        Db { url, dir, pg: None }
    }

    /// A new database on `ONSITE_TEST_PG`; `None` (with a note) when the
    /// variable is unset, unless `ONSITE_REQUIRE_PG` demands it.
    pub fn postgres() -> Option<Db> {
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
        Some(Db { url: format!("{base}/{name}"), dir: tempfile::tempdir().unwrap(), pg: Some((admin, name)) })
    }

    pub fn backend(&self) -> Arc<dyn Backend> {
        // Plaintext: `onsite serve` subprocesses open the same file
        // (`serve_cli` runs one with --database-key-file).
        onsite_hub::database::open(&DatabaseUrl::parse(&self.url).unwrap(), 8, None).unwrap()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            // Connections of hubs still shutting down are ended too.
            if let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// A running hub and an admin client.
pub struct Hub {
    pub running: RunningHub,
    pub backend: Arc<dyn Backend>,
    pub admin: HubClient,
    pub admin_token: String,
}

pub fn quiet() -> HubConfig {
    HubConfig { log: false, ..HubConfig::default() }
}

/// Registers an admin device straight in the database (as `onsite admin
/// bootstrap` does); returns its token.
pub fn bootstrap_admin(backend: &dyn Backend) -> String {
    let token = token::generate().unwrap();
    let new =
        NewDevice { person: "backoffice".into(), role: DeviceRole::Admin, account_id: None, label: String::new() };
    backend.register_device(&uuid::Uuid::new_v4().to_string(), &new, &TokenSecrets::of(&token)).unwrap();
    token
}

/// Starts a hub on `db` with a bootstrapped admin.
pub fn hub(db: &Db) -> Hub {
    hub_with(db, quiet())
}

/// [`hub`] with a configuration of its own.
pub fn hub_with(db: &Db, config: HubConfig) -> Hub {
    let backend = db.backend();
    let admin_token = bootstrap_admin(backend.as_ref());
    let running = RunningHub::start(backend.clone(), config, "127.0.0.1:0", None).unwrap();
    let admin = HubClient::new(&running.url(), &admin_token, None).unwrap();
    Hub { running, backend, admin, admin_token }
}

/// A second hub process on the same database (PostgreSQL scale-out).
pub fn another_instance(db: &Db) -> RunningHub {
    RunningHub::start(db.backend(), quiet(), "127.0.0.1:0", None).unwrap()
}

/// A device: its store, its client, its id and token.
pub struct Dev {
    pub store: Store,
    pub client: HubClient,
    pub id: String,
    pub token: String,
}

impl Dev {
    pub fn sync(&self) -> SyncReport {
        sync_store(&self.store, &self.client, 30).unwrap()
    }

    pub fn try_sync(&self) -> Result<SyncReport, onsite_cli::Error> {
        sync_store(&self.store, &self.client, 30)
    }

    /// The same device talking to another hub instance.
    pub fn via(&self, url: &str) -> HubClient {
        HubClient::new(url, &self.token, None).unwrap()
    }
}

impl Hub {
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Issues a token over the API and opens a device store with its id.
    pub fn device(&self, dir: &std::path::Path, person: &str, role: &str, account: Option<&str>) -> Dev {
        let v = self
            .admin
            .post_json("/v1/admin/devices", &json!({ "person": person, "role": role, "account_id": account }))
            .unwrap();
        let id = v["device"]["device_id"].as_str().unwrap().to_string();
        let token = v["token"].as_str().unwrap().to_string();
        self.device_with(dir, id, token)
    }

    /// A device store (encrypted, under `id`) and a client with `token`.
    pub fn device_with(&self, dir: &std::path::Path, id: String, token: String) -> Dev {
        let store = Store::open(
            dir.join(format!("{id}.sqlite")),
            StoreOptions {
                device_id: Some(id.clone()),
                key: Some(onsite_core::StoreKey::generate().unwrap()),
                ..StoreOptions::default()
            },
        )
        .unwrap();
        Dev { store, client: HubClient::new(&self.url(), &token, None).unwrap(), id, token }
    }

    pub fn assign(&self, rep: &str, accounts: &[&str]) {
        self.admin.post_json(&format!("/v1/admin/reps/{rep}/accounts"), &json!({ "add": accounts })).unwrap();
    }

    pub fn quotes(&self, query: &str) -> Vec<Value> {
        self.admin.get_json(&format!("/v1/admin/quotes{query}")).unwrap()["quotes"].as_array().unwrap().clone()
    }
}

/// Publishes `n` sample products and a discount policy (10 %, reason
/// required); returns the catalog sequence.
pub fn publish_catalog(hub: &Hub, n: usize) -> i64 {
    let products = sample::products(n, 7);
    let csv = onsite_core::import::export_csv(&products);
    hub.admin.post_bytes("/v1/admin/catalog?format=csv", "text/csv", csv.as_bytes()).unwrap();
    let v = hub
        .admin
        .put_json(
            "/v1/admin/discount-policy",
            &json!({ "max_discount_pct": "10", "category_limits": [], "min_margin_pct": "0", "reason_required": true }),
        )
        .unwrap();
    v["catalog_seq"].as_i64().unwrap()
}

/// Accounts entered through a back-office device (as a CRM import would).
pub fn seed_accounts(hub: &Hub, dir: &std::path::Path, n: usize) -> (Dev, Vec<String>) {
    let crm = hub.device(dir, "crm-import", "admin", None);
    let accounts = sample::accounts(n, 7);
    for (a, contacts) in &accounts {
        crm.store.save_account_with_contacts(a, contacts).unwrap();
    }
    crm.sync();
    (crm, accounts.into_iter().map(|(a, _)| a.id).collect())
}

/// The HTTP status of a failed call.
pub fn status(e: onsite_cli::Error) -> u16 {
    match e {
        onsite_cli::Error::Hub { status, .. } => status,
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

/// A real `onsite serve --listen 127.0.0.1:0 --database {database} {extra}`
/// process, its standard output after the first line (which names the
/// address) and the URL it listens on.
pub fn spawn_serve(database: &str, extra: &[&str]) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("onsite hub listening on http://127.0.0.1:"), "{line}");
    let url = line.split_whitespace().nth(4).unwrap().to_string();
    (child, out, url)
}

/// The device token (`ost_…`) an `onsite admin` command printed.
pub fn token_in(stdout: &str) -> String {
    stdout
        .split_whitespace()
        .find(|w| w.starts_with("ost_"))
        .unwrap_or_else(|| panic!("no token in {stdout}"))
        .to_string()
}
