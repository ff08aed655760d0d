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
//! - `sample` (feature `sample`, never in the phone library): a deterministic
//!   generator of realistic data for the demo, tests and benchmarks;
//!   `fixtures` (the same feature): the few hand-made records tests and
//!   benchmarks share (an account, quote lines, quotes, an approval).
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
pub mod blob;
pub mod catalog;
pub mod crdt;
pub mod devices;
pub mod erasure;
pub mod error;
#[cfg(any(test, feature = "sample"))]
pub mod fixtures;
pub mod ids;

#[cfg(feature = "uniffi")]
mod ffi;
pub mod import;
pub mod leads;
pub mod lexicon;
pub mod money;
pub mod pdf;
pub mod pricing;
pub mod profile;
pub mod quote;
pub mod release;
pub mod roles;
mod rules;
#[cfg(any(test, feature = "sample"))]
pub mod sample;
pub mod scope;
pub mod store;
pub mod sync;
pub mod table;
pub mod text;
pub mod transition;
pub mod vat;

pub use error::{Error, ErrorKind, KeyError, Result, StorageReason};
pub use rules::FieldError;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("onsite_core");
pub use store::{Store, StoreKey, StoreOptions, Synchronous};
