#![allow(clippy::panic)] // a build script fails the build loudly
//! Compresses the embedded fonts (DejaVu Sans subsets, 0.55 MB; `fonts/subset.sh`)
//! with DEFLATE into OUT_DIR, so the mobile library carries about half their
//! size; `pdf/fonts.rs` inflates them once, on first use.

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    for name in ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"] {
        let src = Path::new("fonts").join(name);
        println!("cargo:rerun-if-changed={}", src.display());
        let bytes = std::fs::read(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        let packed = miniz_oxide::deflate::compress_to_vec(&bytes, 10);
        std::fs::write(Path::new(&out).join(format!("{name}.deflate")), packed)
            .unwrap_or_else(|e| panic!("{out}: {e}"));
    }
}
