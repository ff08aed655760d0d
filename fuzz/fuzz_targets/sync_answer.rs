//! What the SDK's sync driver makes of a hub's answer (ADR 27): any status,
//! headers and body give a frame to apply, a retry or a stop, never a
//! panic; a frame is never larger than a frame may be, also from a gzip
//! bomb. Run: `cargo +nightly fuzz run sync_answer -- -max_total_time=120`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onsite_core::sync::driver::{Verdict, judge};
use onsite_core::sync::{Header, MAX_FRAME_BYTES, TransportResponse};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]);
    let n = usize::from(data[2] % 4);
    let mut rest = &data[3..];
    let mut headers = Vec::new();
    for _ in 0..n {
        let Some(end) = rest.iter().position(|&b| b == b'\n') else { break };
        let line = String::from_utf8_lossy(&rest[..end]).into_owned();
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        headers.push(Header { name: name.trim().to_string(), value: value.trim().to_string() });
        rest = &rest[end + 1..];
    }
    if let Verdict::Frame(body) = judge(TransportResponse { status, headers, body: rest.to_vec() }) {
        assert!(body.len() <= MAX_FRAME_BYTES);
    }
});
