//! Decoding sync frames: any bytes must give a frame or a typed error,
//! never a panic, a hang or a huge allocation. Run:
//! `cargo +nightly fuzz run frame_decode -- -max_total_time=300`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onsite_core::sync::frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = frame::decode_request(data) {
        // What decodes must encode and decode to the same frame.
        let again = frame::decode_request(&frame::encode_request(&req)).expect("re-encoded request decodes");
        assert_eq!(again.entries.len(), req.entries.len());
    }
    if let Ok(frame::Answer::Refusal(r)) = frame::decode_answer(data) {
        let again = frame::decode_answer(&frame::encode_refusal(&r)).expect("re-encoded refusal decodes");
        assert!(matches!(again, frame::Answer::Refusal(a) if a.refused.len() == r.refused.len()));
    }
    if let Ok(resp) = frame::decode_response(data) {
        let bytes = frame::encode_response(&resp).expect("re-encode");
        let again = frame::decode_response(&bytes).expect("re-encoded response decodes");
        assert_eq!(again.entries.len(), resp.entries.len());
    }
});
