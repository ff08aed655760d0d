//! Where the hub keeps its data (`--database`), and opening it: the one
//! place that knows both backends.

use crate::backend::Backend;
use crate::error::{Error, Result};

/// Where the hub keeps its data, from `--database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH` (or a bare path): the embedded default.
    Sqlite(std::path::PathBuf),
    /// `postgres://…` or `postgresql://…`.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `--database`.
    pub fn parse(s: &str) -> Result<DatabaseUrl> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        let path = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")).unwrap_or(s);
        if path.is_empty() || s.contains("://") && !s.starts_with("sqlite://") {
            return Err(Error::Config(format!(
                "--database must be sqlite:PATH or postgres://…, not {:?}",
                s.split("://").next().unwrap_or_default()
            )));
        }
        Ok(DatabaseUrl::Sqlite(path.into()))
    }
}

/// Opens (creating or migrating as needed) the backend `url` names. `key`
/// encrypts the embedded SQLite database at rest (`--database-key-file`);
/// PostgreSQL relies on the server's disk encryption and refuses a key.
pub fn open(url: &DatabaseUrl, pool: usize, key: Option<onsite_core::StoreKey>) -> Result<std::sync::Arc<dyn Backend>> {
    Ok(match (url, key) {
        (DatabaseUrl::Sqlite(path), key) => std::sync::Arc::new(super::sqlite::SqliteBackend::open(path, pool, key)?),
        (DatabaseUrl::Postgres(url), None) => std::sync::Arc::new(super::postgres::PgBackend::open(url, pool)?),
        (DatabaseUrl::Postgres(_), Some(_)) => {
            return Err(Error::Config(
                "--database-key-file encrypts the embedded SQLite database; PostgreSQL relies on the \
                 server's disk encryption (docs/hub.md)"
                    .into(),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(DatabaseUrl::parse("sqlite:hub.db").unwrap(), DatabaseUrl::Sqlite("hub.db".into()));
        assert_eq!(DatabaseUrl::parse("hub.db").unwrap(), DatabaseUrl::Sqlite("hub.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:///var/hub.db").unwrap(), DatabaseUrl::Sqlite("/var/hub.db".into()));
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db").unwrap(), DatabaseUrl::Postgres(_)));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite:").is_err());
    }
}
