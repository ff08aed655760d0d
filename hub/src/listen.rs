//! Accepting connections: plain TCP or TLS (rustls), a bound on open
//! connections, a deadline for the TLS handshake and for the request head,
//! and a shutdown that ends within its grace period even when clients are
//! stuck (half-sent heads, bodies trickling in): after the grace period the
//! remaining connections are closed.
//!
//! An unauthenticated peer costs the hub one connection slot until its
//! head deadline; its body is never read before its token is checked
//! (`http.rs`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::config::ConnectionLimits;
use super::log;
use super::metrics::Metrics;

/// Decrements the open-connection gauge when a connection ends.
struct Open(Arc<Metrics>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.connection_closed();
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets running
/// requests finish for at most `limits.grace` and closes what is left.
/// Returns how many connections had to be closed at the deadline.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> usize {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    log::line("warn", &format!("accept failed: {}", e.kind()));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        metrics.connection_opened();
        let open = Open(metrics.clone());
        let (app, tls, mut stop) = (app.clone(), tls.clone(), stop_rx.clone());
        tasks.spawn(async move {
            let _held = (permit, open);
            match tls {
                None => serve_io(TokioIo::new(stream), app, peer, limits, &mut stop).await,
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    if let Ok(Ok(s)) = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream)).await {
                        serve_io(TokioIo::new(s), app, peer, limits, &mut stop).await;
                    }
                }
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let deadline = tokio::time::sleep(limits.grace);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            r = tasks.join_next() => if r.is_none() { return 0 },
            () = &mut deadline => {
                let left = tasks.len();
                log::line("warn", &format!("shutdown: closing {left} connections still open after the grace period"));
                metrics.closed_at_shutdown(left);
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                return left;
            }
        }
    }
}

async fn serve_io<I>(
    io: TokioIo<I>,
    app: Router,
    peer: SocketAddr,
    limits: ConnectionLimits,
    stop: &mut watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req.map(axum::body::Body::new))
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    let mut conn = builder.serve_connection(io, service);
    let stopped = async {
        let _ = stop.wait_for(|s| *s).await.map(|_| ());
    };
    let served = tokio::select! {
        r = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => r,
        () = stopped => {
            std::pin::Pin::new(&mut conn).graceful_shutdown();
            std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)).await
        }
    };
    if served.is_ok() {
        linger(conn.into_parts().io.into_inner()).await;
    }
}

/// Closes a connection so that the peer reads the last response: the
/// write side first, then what the peer still sends is read and dropped
/// (for at most a second and 1 MiB) until it closes too. Closing with
/// unread bytes (a body the hub refused without reading it) would reset
/// the connection, and the peer could lose the response to the reset.
async fn linger<I>(mut io: I)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if io.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut buf = [0u8; 16 << 10];
        let mut left = 1usize << 20;
        while left > 0 {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// How long [`linger`] waits for the peer to close.
const LINGER: Duration = Duration::from_secs(1);

/// The rustls configuration for a certificate chain and key (PEM files).
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
