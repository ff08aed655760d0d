//! Counters for the metrics endpoint, in Prometheus' text format: requests
//! by route and status, sync latency as a histogram, sync bytes, refusals
//! by reason, failed authentications and devices seen recently. Nothing
//! personal: devices are counted, not named.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::backend::Counts;

/// Upper bounds of the latency buckets, in milliseconds.
const BUCKETS_MS: [u64; 12] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/// A device counts as active this long after its last request.
pub const ACTIVE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The hub's counters.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<Histogram>,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    auth_failures: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    seen: Mutex<HashMap<String, Instant>>,
    connections_open: AtomicU64,
    connections_total: AtomicU64,
    closed_at_shutdown: AtomicU64,
    inflated_bytes: AtomicU64,
    unauthenticated_body_bytes: AtomicU64,
    memory_refusals: AtomicU64,
    rate_limited: AtomicU64,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: f64,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            requests: Mutex::default(),
            latency: Mutex::default(),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            auth_failures: AtomicU64::new(0),
            refused: Mutex::default(),
            seen: Mutex::default(),
            connections_open: AtomicU64::new(0),
            connections_total: AtomicU64::new(0),
            closed_at_shutdown: AtomicU64::new(0),
            inflated_bytes: AtomicU64::new(0),
            unauthenticated_body_bytes: AtomicU64::new(0),
            memory_refusals: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, route: String, status: u16) {
        *locked(&self.requests).entry((route, status)).or_default() += 1;
    }

    /// Records one sync round trip: its time and bytes.
    pub fn sync(&self, took: Duration, bytes_in: usize, bytes_out: usize) {
        self.bytes_in.fetch_add(bytes_in as u64, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes_out as u64, Ordering::Relaxed);
        let ms = took.as_secs_f64() * 1000.0;
        let mut h = locked(&self.latency);
        h.count += 1;
        h.sum_ms += ms;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b as f64 {
                h.counts[i] += 1;
            }
        }
    }

    /// Counts a failed authentication.
    pub fn auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was accepted.
    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        self.connections_total.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection ended.
    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Connections open now.
    pub fn connections_open(&self) -> u64 {
        self.connections_open.load(Ordering::Relaxed)
    }

    /// Connections closed because they outlived the shutdown grace period.
    pub fn closed_at_shutdown(&self, n: usize) {
        self.closed_at_shutdown.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Bytes a request body inflated to (only authenticated requests are
    /// ever inflated).
    pub fn inflated(&self, bytes: usize) {
        self.inflated_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Inflated bytes so far.
    pub fn inflated_bytes(&self) -> u64 {
        self.inflated_bytes.load(Ordering::Relaxed)
    }

    /// Body bytes read from requests without a valid token (the approval
    /// form, which a link authenticates, is the only one).
    pub fn unauthenticated_body(&self, bytes: usize) {
        self.unauthenticated_body_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// A request refused because the memory budget of requests in flight was spent.
    pub fn memory_refusal(&self) {
        self.memory_refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// A request refused because its address failed to authenticate too often.
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a refused frame by its reason code.
    pub fn refused(&self, code: &'static str) {
        *locked(&self.refused).entry(code).or_default() += 1;
    }

    /// Notes that a device authenticated.
    pub fn seen(&self, device_id: &str) {
        let now = Instant::now();
        let mut seen = locked(&self.seen);
        if seen.len() > 200_000 {
            seen.retain(|_, t| now.duration_since(*t) < ACTIVE_WINDOW);
        }
        seen.insert(device_id.to_string(), now);
    }

    /// Devices seen within [`ACTIVE_WINDOW`].
    pub fn active_devices(&self) -> usize {
        let now = Instant::now();
        locked(&self.seen).values().filter(|t| now.duration_since(**t) < ACTIVE_WINDOW).count()
    }

    /// The text exposition format.
    pub fn render(&self, backend: &str, counts: Option<Counts>) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# HELP onsite_up The hub answers; label backend names its database.");
        let _ = writeln!(s, "# TYPE onsite_up gauge\nonsite_up{{backend=\"{backend}\"}} 1");
        let _ = writeln!(s, "# TYPE onsite_uptime_seconds gauge");
        let _ = writeln!(s, "onsite_uptime_seconds {}", self.started.elapsed().as_secs());
        let _ = writeln!(s, "# HELP onsite_requests_total Requests answered, by route and status.");
        let _ = writeln!(s, "# TYPE onsite_requests_total counter");
        for ((route, status), n) in locked(&self.requests).iter() {
            let _ = writeln!(s, "onsite_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let h = locked(&self.latency);
        let _ = writeln!(s, "# HELP onsite_sync_seconds Time to answer a sync round trip.");
        let _ = writeln!(s, "# TYPE onsite_sync_seconds histogram");
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(s, "onsite_sync_seconds_bucket{{le=\"{}\"}} {}", *b as f64 / 1000.0, h.counts[i]);
        }
        let _ = writeln!(s, "onsite_sync_seconds_bucket{{le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(s, "onsite_sync_seconds_sum {}", h.sum_ms / 1000.0);
        let _ = writeln!(s, "onsite_sync_seconds_count {}", h.count);
        drop(h);
        let _ = writeln!(s, "# TYPE onsite_sync_bytes_total counter");
        let _ = writeln!(s, "onsite_sync_bytes_total{{direction=\"in\"}} {}", self.bytes_in.load(Ordering::Relaxed));
        let _ = writeln!(s, "onsite_sync_bytes_total{{direction=\"out\"}} {}", self.bytes_out.load(Ordering::Relaxed));
        let _ = writeln!(s, "# TYPE onsite_auth_failures_total counter");
        let _ = writeln!(s, "onsite_auth_failures_total {}", self.auth_failures.load(Ordering::Relaxed));
        let _ = writeln!(s, "# HELP onsite_sync_refused_total Sync frames refused, by reason.");
        let _ = writeln!(s, "# TYPE onsite_sync_refused_total counter");
        for (code, n) in locked(&self.refused).iter() {
            let _ = writeln!(s, "onsite_sync_refused_total{{reason=\"{code}\"}} {n}");
        }
        let _ = writeln!(s, "# HELP onsite_connections_open Connections open now.");
        let _ = writeln!(s, "# TYPE onsite_connections_open gauge");
        let _ = writeln!(s, "onsite_connections_open {}", self.connections_open.load(Ordering::Relaxed));
        let _ = writeln!(s, "# TYPE onsite_connections_total counter");
        let _ = writeln!(s, "onsite_connections_total {}", self.connections_total.load(Ordering::Relaxed));
        let _ = writeln!(s, "# TYPE onsite_connections_closed_at_shutdown_total counter");
        let _ = writeln!(
            s,
            "onsite_connections_closed_at_shutdown_total {}",
            self.closed_at_shutdown.load(Ordering::Relaxed)
        );
        let _ =
            writeln!(s, "# HELP onsite_inflated_bytes_total Bytes request bodies inflated to (authenticated only).");
        let _ = writeln!(s, "# TYPE onsite_inflated_bytes_total counter");
        let _ = writeln!(s, "onsite_inflated_bytes_total {}", self.inflated_bytes.load(Ordering::Relaxed));
        let _ = writeln!(s, "# TYPE onsite_unauthenticated_body_bytes_total counter");
        let _ = writeln!(
            s,
            "onsite_unauthenticated_body_bytes_total {}",
            self.unauthenticated_body_bytes.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP onsite_memory_refusals_total Requests refused (503) because the memory budget was spent."
        );
        let _ = writeln!(s, "# TYPE onsite_memory_refusals_total counter");
        let _ = writeln!(s, "onsite_memory_refusals_total {}", self.memory_refusals.load(Ordering::Relaxed));
        let _ = writeln!(
            s,
            "# HELP onsite_auth_rate_limited_total Requests refused (429) after too many failed authentications."
        );
        let _ = writeln!(s, "# TYPE onsite_auth_rate_limited_total counter");
        let _ = writeln!(s, "onsite_auth_rate_limited_total {}", self.rate_limited.load(Ordering::Relaxed));
        let _ = writeln!(s, "# HELP onsite_active_devices Devices that authenticated in the last 15 minutes.");
        let _ = writeln!(s, "# TYPE onsite_active_devices gauge\nonsite_active_devices {}", self.active_devices());
        if let Some(c) = counts {
            let _ = writeln!(s, "# TYPE onsite_documents gauge\nonsite_documents {}", c.documents);
            let _ = writeln!(s, "# TYPE onsite_devices gauge\nonsite_devices {}", c.devices);
            let _ = writeln!(s, "# TYPE onsite_catalog_seq gauge\nonsite_catalog_seq {}", c.catalog_seq);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.sync(Duration::from_millis(3), 10, 20);
        m.sync(Duration::from_millis(300), 5, 5);
        m.seen("d1");
        m.seen("d1");
        m.request("/v1/sync".into(), 200);
        let text = m.render("sqlite", None);
        assert!(text.contains("onsite_sync_seconds_bucket{le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("onsite_sync_seconds_bucket{le=\"0.5\"} 2"), "{text}");
        assert!(text.contains("onsite_sync_seconds_count 2"));
        assert!(text.contains("onsite_sync_bytes_total{direction=\"in\"} 15"));
        assert!(text.contains("onsite_active_devices 1"));
        assert!(text.contains("onsite_requests_total{route=\"/v1/sync\",status=\"200\"} 1"));
    }
}
