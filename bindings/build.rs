//! Link options for the shipping mobile library only (release builds of the
//! cdylib; the rlib, the staticlib for iOS and every debug build are left
//! alone). Issue 17: packed relative relocations. A position-independent
//! library carries one 24-byte `R_*_RELATIVE` entry for every pointer in its
//! tables (vtables, string slices, SQLite's function tables: about 17,800 of
//! them, 0.42 MB); packed, they take a few kilobytes and the loader applies
//! the same relocations.
//!
//! - Android: the platform's own packing (`--pack-dyn-relocs=android`),
//!   which the loader reads from API 23 on (the app's minSdk is 24). The
//!   NDK's clang packs only from API 28 by itself.
//! - Linux (the x86_64 library measured as the phone's proxy, and the
//!   bindings' tests): RELR, which glibc reads from 2.36 on; the library
//!   then requires `GLIBC_ABI_DT_RELR`, so an older loader refuses it
//!   plainly instead of misreading it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    match (os.as_str(), env.as_str()) {
        ("android", _) => println!("cargo:rustc-cdylib-link-arg=-Wl,--pack-dyn-relocs=android"),
        ("linux", "gnu") => println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs"),
        _ => {}
    }
}
