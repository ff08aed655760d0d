//! Arguments several commands share: a store, a hub, a file format, a locale.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use onsite_core::money::DisplayLocale;

#[derive(Debug, Args)]
pub(crate) struct DbArg {
    /// The SQLite database file.
    #[arg(long, env = "ONSITE_DB")]
    pub db: PathBuf,
    /// The key file of an encrypted database (64 hexadecimal digits).
    #[arg(long, env = "ONSITE_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// Where the hub is and how to authenticate.
#[derive(Debug, Args)]
pub(crate) struct HubArgs {
    /// The hub's base URL.
    #[arg(long, env = "ONSITE_HUB", default_value = "http://127.0.0.1:8080")]
    pub hub: String,
    /// An admin device token.
    #[arg(long, env = "ONSITE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A CA certificate (PEM) to trust for an HTTPS hub with a private CA.
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LocaleArg {
    #[value(name = "de-DE", alias = "de")]
    De,
    #[value(name = "en-US", alias = "en")]
    En,
}

impl From<LocaleArg> for DisplayLocale {
    fn from(l: LocaleArg) -> Self {
        match l {
            LocaleArg::De => DisplayLocale::De,
            LocaleArg::En => DisplayLocale::En,
        }
    }
}
