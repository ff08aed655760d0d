//! # onsite-core
//!
//! The shared core of Onsite, an offline-first point-of-sale system for B2B
//! field sales. Pure Rust: no FFI and no HTTP live here (see `ARCHITECTURE.md`).
//!
//! Layers, arrows pointing down only:
//!
//! - domain modules, pure values and functions: [`money`], [`catalog`],
//!   [`pricing`], [`quote`],
//!   [`account`], [`text`], [`lexicon`] (the search vocabulary);
//! - mapping layers: [`import`] (CSV/JSON files to domain values) and
//!   [`store`] (SQLite tables, migrations, full-text search);
//! - [`sample`]: a deterministic generator of realistic data for the demo,
//!   tests and benchmarks.
//!
//! The entry point is [`Store`]:
//!
//! ```
//! use onsite_core::{Store, StoreOptions};
//! # fn main() -> Result<(), onsite_core::Error> {
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(dir.path().join("onsite.sqlite"), StoreOptions::default())?;
//! assert_eq!(store.schema_version()?, onsite_core::store::SCHEMA_VERSION);
//! let classes = store.tax_classes()?;
//! assert!(classes.iter().any(|c| c.code == "DE-STD"));
//! # Ok(())
//! # }
//! ```

pub mod account;
pub mod activity;
pub mod approval_link;
pub mod catalog;
pub mod devices;
pub mod docs;
pub mod error;
pub mod funnel;

#[cfg(feature = "uniffi")]
mod ffi;
pub mod import;
pub mod lexicon;
pub mod money;
pub mod pdf;
pub mod pricing;
pub mod quote;
mod rules;
pub mod sample;
pub mod scoring;
pub mod store;
pub mod sync;
pub mod text;
pub mod transition;

pub use error::{Error, ErrorKind, Result};

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("onsite_core");
pub use store::{Store, StoreOptions};
