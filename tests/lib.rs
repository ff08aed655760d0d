//! Onsite's cross-crate scenario tests live in `scenarios/`, one test binary
//! (`scenarios/main.rs`, a module per file); the one test runner for the whole repository is `run.sh` beside this file.
