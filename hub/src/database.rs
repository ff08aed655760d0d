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

/// Opens (creating or migrating as needed) the backend `url` names.
pub fn open(url: &DatabaseUrl, pool: usize) -> Result<std::sync::Arc<dyn Backend>> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => std::sync::Arc::new(super::sqlite::SqliteBackend::open(path, pool)?),
        DatabaseUrl::Postgres(url) => std::sync::Arc::new(super::postgres::PgBackend::open(url, pool)?),
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
