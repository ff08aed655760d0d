//! The core's integration tests, in one binary (each test binary links
//! SQLite, Automerge and the PDF code again): a module per concern, the helpers
//! they share in `common`.
//!
//! - `sync_scenarios`: a hub and devices in one process, frames passed as bytes;
//! - `sync_simulation`: the seeded multi-device simulation
//!   (`ONSITE_SIM_SEED` replays a run, `ONSITE_SIM_CASES` runs more);
//! - `fuzz_regressions`: every input in `fuzz/crashers/` is refused;
//! - `search_quality`: 91 queries a German and an English rep type, recall
//!   in the top 10 and the first right hit's rank per class (ADR 16);
//! - `encryption`: encrypting a store in place under `kill -9` (ADR 20);
//! - `erasure`: a forgotten person is in no file of the hub or a device (ADR 24);
//! - `versions`: frozen frames and stores of protocol 4 replayed, fields of a
//!   newer app kept (ADR 28).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: failing loudly is the point

mod common;
mod encryption;
mod erasure;
mod files;
mod fuzz_regressions;
mod search_quality;
mod sync_scenarios;
mod sync_simulation;
mod versions;
