//! # onsite-cli
//!
//! The `onsite` command-line tool: the local commands over the core's
//! [`Store`], `onsite serve` (running the hub of `onsite-hub`), the hub's
//! client (`onsite admin`, the load generator) and the demo.
//!
//! [`Store`]: onsite_core::Store

pub mod args;
pub mod cli;
pub mod client;
pub mod commands;
pub mod demo;
pub mod error;
pub(crate) mod files;
pub mod loadtest;
pub mod output;

pub use error::{Error, ExitStatus};
