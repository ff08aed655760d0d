//! `uniffi-bindgen`: generates Kotlin, Swift and Python from the built
//! `libonsite_ffi`. Run it from inside the workspace (it reads cargo metadata).
//! Build the library with `-p onsite-ffi` on its own, so this binary's `cli`
//! feature does not leak into the library.

fn main() {
    uniffi::uniffi_bindgen_main()
}
