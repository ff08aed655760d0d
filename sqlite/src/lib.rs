//! SQLite for Onsite: the SQLite3 Multiple Ciphers amalgamation, compiled
//! by this crate's build script with the options Onsite needs (ADR 20).
//!
//! This crate has no Rust API. Its build script compiles the amalgamation
//! into a static `libsqlite3.a` and adds its directory to the linker's
//! search path, so the `-lsqlite3` that `libsqlite3-sys` asks for (rusqlite
//! without its `bundled` feature) resolves to this build, statically, on
//! every target: Linux, Android and iOS. The workspace's
//! `.cargo/config.toml` turns off `libsqlite3-sys`'s pkg-config probe so a
//! system SQLite is never picked instead; `onsite-core` checks at run time
//! that the cipher is there (`store::cipher`).

/// The SQLite3 Multiple Ciphers release compiled in (the SQLite version is
/// `sqlite_version()` at run time).
pub const SQLITE3MC_RELEASE: &str = "2.6.1";
