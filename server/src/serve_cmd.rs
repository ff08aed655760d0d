//! `onsite serve`: runs the hub until SIGINT or SIGTERM, then lets running
//! requests finish. `onsite admin bootstrap`: the first admin token,
//! written straight into the hub's database.

use std::time::Duration;

use onsite_core::devices::{NewDevice, TokenSecrets};
use onsite_core::sync::DeviceRole;

use crate::cli::{Io, ServeArgs};
use crate::error::{Error, Result};
use crate::hub::{self, DatabaseUrl, HubConfig, Metrics, TlsFiles, log, token};

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
    let backend = hub::backend::open(&url, usize::from(args.pool))?;
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
        connections: hub::ConnectionLimits {
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
    let served = rt.block_on(hub::serve(listener, backend, metrics, config, tls, shutdown_signal()));
    drop(rt);
    drop(keep);
    served?;
    writeln!(io.out, "onsite hub stopped")?;
    Ok(())
}

/// Registers an admin device directly in the database and prints its token.
pub(crate) fn bootstrap(database: &str, person: &str, label: &str, io: &mut Io<'_>) -> Result<()> {
    let backend = hub::backend::open(&DatabaseUrl::parse(database)?, 2)?;
    let token = token::generate()?;
    let new =
        NewDevice { person: person.to_string(), role: DeviceRole::Admin, account_id: None, label: label.to_string() };
    let device = backend.register_device(&uuid::Uuid::new_v4().to_string(), &new, &TokenSecrets::of(&token))?;
    writeln!(io.out, "admin device {} for {}", device.device_id, device.person)?;
    writeln!(io.out, "token (shown once, store it now): {token}")?;
    Ok(())
}
