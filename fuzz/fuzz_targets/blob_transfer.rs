//! File transfer's byte boundaries (ADR 29): any bytes as a blob request, a
//! blob answer, a ZIP of images or an image to publish give a typed error
//! or a value, never a panic; what decodes encodes back to the same bytes.
//! Run: `cargo +nightly fuzz run blob_transfer -- -max_total_time=120`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onsite_core::sync::blob_frame::{decode_answer, decode_request, encode_answer, encode_request};

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = decode_request(data) {
        assert_eq!(decode_request(&encode_request(&f)).ok(), Some(f));
    }
    if let Ok(a) = decode_answer(data) {
        assert_eq!(decode_answer(&encode_answer(&a)).ok(), Some(a));
    }
    if let Ok(files) = onsite_core::import::read_zip(data, 1 << 20, 1000) {
        assert!(files.iter().all(|f| f.bytes.len() <= 1 << 20 && !f.name.contains('/')));
    }
    let _ = onsite_core::blob::sniff(data);
    if data.len() < 64 * 1024 {
        let _ = onsite_core::blob::prepare_image("fuzz.png", data);
    }
});
