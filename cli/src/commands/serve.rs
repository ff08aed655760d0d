//! `onsite serve`: runs the hub until SIGINT or SIGTERM, then lets running
//! requests finish. `onsite admin bootstrap`: the first admin token,
//! written straight into the hub's database.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

use onsite_core::devices::{NewDevice, TokenSecrets};
use onsite_core::sync::DeviceRole;

use crate::error::{Error, Result};
use crate::output::Io;
use onsite_hub::{DatabaseUrl, HubConfig, Metrics, TlsFiles, log, token};

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    log::line("info", "shutting down: no new connections, finishing running requests");
}

/// Runs `onsite serve`.
pub(crate) fn serve(args: &ServeArgs, io: &mut Io<'_>) -> Result<()> {
    let url = DatabaseUrl::parse(&args.database)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert: cert.clone(), key: key.clone() }),
        (None, None) => None,
        _ => return Err(Error::Usage("--tls-cert and --tls-key go together".into())),
    };
    let key = args.database_key_file.as_deref().map(crate::files::read_key_file).transpose()?;
    let backend = onsite_hub::database::open(&url, usize::from(args.pool), key)?;
    let listener = std::net::TcpListener::bind(&args.listen)
        .map_err(|e| Error::Usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    writeln!(io.out, "onsite hub listening on {scheme}://{addr} ({} backend)", backend.kind())?;
    if tls.is_none() && !addr.ip().is_loopback() {
        writeln!(
            io.out,
            "note: plain HTTP on a public address; device tokens are accepted only from loopback peers. \
             Serve with --tls-cert/--tls-key or behind a TLS-terminating proxy on this host (docs/hub.md)."
        )?;
    }
    io.out.flush()?;
    let defaults = HubConfig::default();
    let config = HubConfig {
        request_timeout: Duration::from_secs(args.request_timeout),
        log: !args.quiet,
        public_url: args.public_url.clone(),
        trusted_proxies: args.trusted_proxies.clone(),
        metrics_listen: args.metrics_listen.clone(),
        body_timeout: Duration::from_secs(args.body_timeout),
        memory_budget: usize::try_from(args.memory_budget_mib << 20).unwrap_or(usize::MAX),
        token_lifetime: chrono::Duration::days(i64::from(args.token_days)),
        connections: onsite_hub::ConnectionLimits {
            header_timeout: Duration::from_secs(args.header_timeout),
            grace: Duration::from_secs(args.shutdown_grace),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            ..defaults.connections
        },
        ..defaults
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let metrics = std::sync::Arc::new(Metrics::default());
    // The last reference to the backend is dropped here, outside the
    // runtime: PostgreSQL connections own runtimes that must not be
    // dropped inside another.
    let keep = backend.clone();
    let served = rt.block_on(onsite_hub::serve(listener, backend, metrics, config, tls, shutdown_signal()));
    drop(rt);
    drop(keep);
    served?;
    writeln!(io.out, "onsite hub stopped")?;
    Ok(())
}

/// Registers an admin device directly in the database and prints its token.
pub(crate) fn bootstrap(
    database: &str,
    key_file: Option<&std::path::Path>,
    person: &str,
    label: &str,
    io: &mut Io<'_>,
) -> Result<()> {
    let key = key_file.map(crate::files::read_key_file).transpose()?;
    let backend = onsite_hub::database::open(&DatabaseUrl::parse(database)?, 2, key)?;
    let token = token::generate()?;
    let new =
        NewDevice { person: person.to_string(), role: DeviceRole::Admin, account_id: None, label: label.to_string() };
    let device = backend.register_device(&uuid::Uuid::new_v4().to_string(), &new, &TokenSecrets::of(&token))?;
    writeln!(io.out, "admin device {} for {}", device.device_id, device.person)?;
    writeln!(io.out, "token (shown once, store it now): {token}")?;
    Ok(())
}

/// Arguments of `onsite serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// `sqlite:PATH` (embedded, the default) or `postgres://USER@HOST/DB`
    /// (several instances may share one database).
    #[arg(long, env = "ONSITE_DATABASE", default_value = "sqlite:onsite-hub.sqlite")]
    pub database: String,
    /// A file with the key (64 hexadecimal digits, `openssl rand -hex 32`)
    /// that encrypts the embedded SQLite database at rest; a plaintext
    /// database is encrypted in place on first start with a key.
    #[arg(long, env = "ONSITE_DATABASE_KEY_FILE")]
    pub database_key_file: Option<PathBuf>,
    /// TLS certificate chain (PEM); with --tls-key the hub serves HTTPS.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// Seconds a request may run before it is answered with 408.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Database connections (PostgreSQL) or SQLite readers.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub pool: u16,
    /// No log lines for refusals and failed authentications.
    #[arg(long)]
    pub quiet: bool,
    /// The address customers reach the hub at, e.g. `https://hub.example.com`
    /// (printed into the PDFs behind approval links); default: the scheme
    /// and `Host` of each request.
    #[arg(long)]
    pub public_url: Option<String>,
    /// A proxy (IP address) whose `X-Forwarded-For` is believed and whose
    /// plain-HTTP requests may carry tokens, like loopback's; repeatable.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Also serve `/metrics` without a token on this address (for
    /// Prometheus on an internal interface); on the main address
    /// `/metrics` needs an admin token.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Seconds a client has to send a request's head (line and headers).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds running requests may take to finish after SIGINT or SIGTERM;
    /// connections still open then are closed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace: u64,
    /// MiB that all request bodies in flight may hold together, as sent and
    /// inflated (beyond it requests are answered 503 with Retry-After).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(8..=65536))]
    pub memory_budget_mib: u64,
    /// Open connections at most.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(16..=1_000_000))]
    pub max_connections: u64,
    /// Days a device token lives; a sync in its last third hands the
    /// device the next one, with no moment without a valid token.
    #[arg(long, env = "ONSITE_TOKEN_DAYS", default_value_t = onsite_core::devices::DEFAULT_TOKEN_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub token_days: u32,
}
