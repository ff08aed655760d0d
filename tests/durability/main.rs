//! Acknowledged means durable (issue 18, ADR 22): what a device reports as
//! written and what the hub answered a sync for survive a crash of the
//! process and a power cut.
//!
//! - `crash`: a child process writes (a device store; the hub's storage
//!   answering sync frames) and acknowledges each commit to this process
//!   over a pipe; SIGKILL at random moments, then `PRAGMA integrity_check`
//!   and every acknowledged write looked up. Negative controls acknowledge
//!   before the commit and must lose writes.
//! - `power_cut`: the store and the hub's storage on the `powercut` VFS
//!   (`vfs`), which drops writes not yet synced; with the shipped
//!   `synchronous = FULL` nothing acknowledged is lost, with `NORMAL` and
//!   `OFF` (the negative controls) acknowledged writes are.
//!
//! Randomness is seeded: `ONSITE_DURABILITY_SEED` sets the seed, every test
//! prints the one it used.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: failing loudly is the point

mod common;
mod crash;
mod power_cut;
#[allow(unsafe_code)] // a SQLite VFS is C callbacks
mod vfs;
