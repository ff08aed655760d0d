//! # onsite-server
//!
//! The back-office side of Onsite and the `onsite` command-line tool: the
//! hub (`onsite serve`: sync over HTTP, devices and roles, the back-office
//! API, on SQLite or PostgreSQL), its client (`onsite admin`, the load
//! generator) and the local commands over the core's [`Store`].
//!
//! [`Store`]: onsite_core::Store

mod admin_cmd;
pub mod cli;
pub mod client;
mod commands;
pub mod demo;
mod doc_cmd;
pub mod error;
pub mod hub;
mod lead_cmd;
pub mod loadtest;
mod output;
pub mod pdf_cmd;
mod quote_cmd;
mod serve_cmd;

pub use error::{Error, ExitStatus};
