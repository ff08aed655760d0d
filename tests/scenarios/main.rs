//! Onsite's cross-crate scenarios, in one binary (each test binary links
//! the whole stack again):
//!
//! - `field_day`: the back office runs `onsite demo`, a tablet catches up
//!   through catalog deltas and searches offline;
//! - `pdf`: quote PDFs and datasheets checked with independent tools
//!   (qpdf, poppler-utils).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: failing loudly is the point

mod field_day;
mod pdf;
