//! # onsite-server
//!
//! The back-office side of Onsite and the `onsite` command-line tool. In this
//! version it holds the command line only: `onsite demo`, catalog import and
//! search, account listing and search, all over the core's [`Store`]. The
//! hub (sync over HTTP, devices, roles) comes with a later version.
//!
//! [`Store`]: onsite_core::Store

pub mod cli;
mod commands;
pub mod demo;
mod doc_cmd;
pub mod error;
mod output;
pub mod pdf_cmd;
mod quote_cmd;

pub use error::{Error, ExitStatus};
