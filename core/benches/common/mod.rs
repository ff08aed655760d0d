//! Timing helpers shared by the benchmark harnesses (not a benchmark).

#![allow(dead_code)] // each harness uses a part

use std::time::{Duration, Instant};

/// Median, 99th percentile and maximum of some durations.
pub fn stats(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    if v.is_empty() {
        return (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    }
    v.sort();
    let at = |q: f64| v[(((v.len() - 1) as f64) * q).round() as usize];
    (at(0.5), at(0.99), v[v.len() - 1])
}

/// Runs `f` `runs / 10 + 1` times to warm up, then `runs` times, timing each.
pub fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    for _ in 0..=runs / 10 {
        f();
    }
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f();
        v.push(t.elapsed());
    }
    stats(v)
}

/// `12.3 µs`.
pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// `1.23 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// "Machine: CPU model, N cores" for the report.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("Machine: {cpu}, {cores} cores")
}
