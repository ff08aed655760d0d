//! # onsite-hub
//!
//! The back-office hub: devices sync with it over HTTP, the back office
//! manages devices, assignments, the catalog and discount decisions through
//! its JSON API.
//!
//! - [`backend`]: the storage trait, with [`sqlite`] (embedded default) and
//!   [`postgres`] (several instances on one database) behind it;
//! - [`http`]: the axum router (sync, health, metrics, back-office API);
//! - [`token`]: device tokens; [`metrics`]: counters; this module: running
//!   the server with or without TLS, with graceful shutdown.

pub mod approval_page;
pub mod backend;
pub mod config;
pub mod console;
pub mod database;
pub mod error;
pub mod http;
pub mod listen;
pub mod log;
pub mod metrics;
pub mod postgres;
pub mod sqlite;
pub mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use backend::Backend;
pub use config::{ConnectionLimits, HubConfig, SHUTDOWN_GRACE};
pub use database::DatabaseUrl;
pub use metrics::Metrics;

pub use error::{Error, Result};

/// A certificate chain and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// Serves `backend` on `listener` until `shutdown` resolves, then stops
/// accepting connections and lets running requests finish (at most the
/// configured grace, [`SHUTDOWN_GRACE`] by default); connections still open
/// then are closed.
pub async fn serve(
    listener: std::net::TcpListener,
    backend: Arc<dyn Backend>,
    metrics: Arc<Metrics>,
    mut config: HubConfig,
    tls: Option<TlsFiles>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    listener.set_nonblocking(true)?;
    config.tls = tls.is_some();
    let tls = match tls {
        Some(files) => Some(listen::tls_config(&files.cert, &files.key).map_err(Error::Tls)?),
        None => None,
    };
    let limits = config.connections;
    let metrics_listener = match &config.metrics_listen {
        Some(addr) => {
            let l = std::net::TcpListener::bind(addr)
                .map_err(|e| Error::Config(format!("cannot listen on {addr} for metrics: {e}")))?;
            l.set_nonblocking(true)?;
            Some(tokio::net::TcpListener::from_std(l)?)
        }
        None => None,
    };
    let (app, metrics_app) = http::routers(backend, metrics.clone(), config);
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let metrics_task = metrics_listener.map(|l| {
        let mut stop = stop_rx.clone();
        let m = metrics.clone();
        tokio::spawn(async move {
            let until = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            listen::run(l, metrics_app, None, limits, m, until).await
        })
    });
    let main = listen::run(listener, app, tls, limits, metrics, shutdown).await;
    let _ = stop_tx.send(true);
    if let Some(t) = metrics_task {
        let _ = t.await;
    }
    if main > 0 {
        log::line("info", &format!("stopped; {main} connections were closed at the end of the grace period"));
    }
    Ok(())
}

/// A hub running on its own thread and Tokio runtime (tests, the demo,
/// the load generator); stopped gracefully on [`RunningHub::stop`] or drop.
#[derive(Debug)]
pub struct RunningHub {
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl RunningHub {
    /// Binds `listen` (port 0 picks a free one) and serves `backend`.
    pub fn start(
        backend: Arc<dyn Backend>,
        config: HubConfig,
        listen: &str,
        tls: Option<TlsFiles>,
    ) -> Result<RunningHub> {
        let listener = std::net::TcpListener::bind(listen)?;
        let addr = listener.local_addr()?;
        let metrics = Arc::new(Metrics::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let m = metrics.clone();
        let thread = std::thread::Builder::new().name("onsite-hub".into()).spawn(move || -> Result<()> {
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            // Dropped after the runtime (see `serve_cmd`).
            let keep = backend.clone();
            let served = rt.block_on(serve(listener, backend, m, config, tls, async {
                let _ = rx.await;
            }));
            drop(rt);
            drop(keep);
            served
        })?;
        Ok(RunningHub { addr, metrics, stop: Some(tx), thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Stops accepting, finishes running requests, and waits for the end.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::Worker("the hub thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
