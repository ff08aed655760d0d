//! Onsite's cross-crate scenario tests live in `scenarios/`; the one test
//! runner for the whole repository is `run.sh` beside this file.
