//! Parsing approval links (the path segment a browser sends to the hub):
//! any bytes give a link or a typed error, never a panic; what parses
//! prints back to the same segment and verifies only with the right key.
//! Run: `cargo +nightly fuzz run approval_link -- -max_total_time=120`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onsite_core::approval_link::{ApprovalLink, LinkKey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(link) = ApprovalLink::parse(text) {
        assert_eq!(link.segment(), text, "a parsed link prints back unchanged");
        let _ = link.verify(&LinkKey::from_token("fuzz"));
    }
});
