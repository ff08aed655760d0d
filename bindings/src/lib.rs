//! # onsite-ffi
//!
//! The Onsite core for Kotlin (Android), Swift (iOS) and Python, through
//! UniFFI proc-macros. This crate only converts: exported objects wrap core
//! types and delegate in one line, records and enums are the core's own
//! (its `uniffi` feature), and every core error becomes one [`OnsiteError`]
//! in one place (`error.rs`). Every exported function returns a `Result`;
//! nothing here panics, and [`OnsiteStore`] is safe to share between threads.

// UniFFI's generated scaffolding is `unsafe extern "C"` code; ours is not.
#![allow(unsafe_code)]

mod error;
mod files;
mod leads;
mod money;
mod quotes;
mod store;
mod sync;
mod tax;

pub use error::{OnsiteError, OpenError};
pub use quotes::{ProductCost, QuantityChange};
pub use store::{AccountPage, CatalogFormat, OnsiteStore, ProductPage, generate_store_key};
pub use sync::SyncScope;

uniffi::setup_scaffolding!("onsite");
