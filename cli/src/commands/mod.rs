//! One file per command: its arguments and what it does.

pub mod account;
pub mod admin;
pub mod catalog;
pub mod device;
pub mod doc;
pub mod file;
pub mod lead;
pub mod pdf;
pub mod quote;
pub mod serve;
