//! Compiles SQLite3 Multiple Ciphers into `libsqlite3.a` (see `src/lib.rs`).

use std::env;
use std::path::PathBuf;

fn main() {
    let dir = sqlite3mc_src::source_dir();
    let source = dir.join(sqlite3mc_src::SOURCE_FILE);
    println!("cargo:rerun-if-changed={}", source.display());

    let mut cc = cc::Build::new();
    cc.file(&source).include(dir).warnings(false);
    // What Onsite uses: FTS5 (search), JSON (json_each), WAL, URI file names.
    // Everything else SQLite can leave out is left out: a smaller library.
    for define in [
        "SQLITE_CORE",
        "SQLITE_THREADSAFE=1",
        "SQLITE_DEFAULT_FOREIGN_KEYS=1",
        "SQLITE_DEFAULT_MEMSTATUS=0",
        "SQLITE_DEFAULT_WAL_SYNCHRONOUS=1",
        "SQLITE_ENABLE_API_ARMOR",
        "SQLITE_ENABLE_FTS5",
        "SQLITE_USE_URI=1",
        "SQLITE_LIKE_DOESNT_MATCH_BLOBS",
        "SQLITE_MAX_EXPR_DEPTH=0",
        "SQLITE_OMIT_DEPRECATED",
        "SQLITE_OMIT_LOAD_EXTENSION",
        "SQLITE_OMIT_PROGRESS_CALLBACK",
        "SQLITE_OMIT_SHARED_CACHE",
        "SQLITE_TEMP_STORE=2",
        "HAVE_USLEEP=1",
        "HAVE_ISNAN",
        // Benchmarks measure the size of the index with dbstat.
        "SQLITE_ENABLE_DBSTAT_VTAB",
        // The planner's statistics after ANALYZE, as the bundled build had.
        "SQLITE_ENABLE_STAT4",
        // SQLite3 Multiple Ciphers: one cipher, ChaCha20-Poly1305, the
        // default; the others are not compiled (ADR 20). Its extensions
        // (CSV, regexp, series, UUID, …) are off unless asked for.
        "HAVE_CIPHER_CHACHA20=1",
        "HAVE_CIPHER_AES_128_CBC=0",
        "HAVE_CIPHER_AES_256_CBC=0",
        "HAVE_CIPHER_SQLCIPHER=0",
        "HAVE_CIPHER_RC4=0",
        "HAVE_CIPHER_ASCON128=0",
        "HAVE_CIPHER_AEGIS=0",
    ] {
        cc.define(define.split('=').next().unwrap_or(define), define.split_once('=').map(|(_, v)| v));
    }
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "android" {
        // Android has no usable /tmp; keep temporary tables in memory.
        cc.define("SQLITE_TEMP_STORE", Some("3"));
    }
    // The opt level follows the profile (cc reads OPT_LEVEL): the workspace
    // sets it for this package, as `[profile.release.package.onsite-sqlite]`.
    cc.compile("sqlite3");

    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default());
    // `cc` already printed `rustc-link-lib=static=sqlite3` and the search
    // path; the search path is what lets libsqlite3-sys's `-lsqlite3`
    // resolve to this build.
    println!("cargo:root={}", out.display());
}
