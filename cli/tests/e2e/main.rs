//! The command line and the hub end to end, in one test binary: real
//! processes and a hub on loopback, over SQLite and PostgreSQL.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[macro_use]
mod common;

mod approval_web;
mod cli;
mod console;
mod device_cli;
mod edges;
mod erasure;
mod files_cli;
mod hostile;
mod hub;
mod lifecycle;
mod openapi;
mod profiles;
mod serve_cli;
