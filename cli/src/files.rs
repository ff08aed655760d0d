//! Opening stores and reading input files, for every command.

use std::path::Path;

use onsite_core::{Store, StoreKey, StoreOptions};

use crate::args::DbArg;
use crate::error::{Error, Result};

/// Opens an existing database (read commands must not create one).
pub(crate) fn open_existing(db: &DbArg) -> Result<Store> {
    if !db.db.exists() {
        return Err(Error::NoDatabase(db.db.clone()));
    }
    open_store(db)
}

/// Opens or creates a database, encrypted with the key of `--key-file`
/// if one is given.
pub(crate) fn open_store(db: &DbArg) -> Result<Store> {
    let key = db.key_file.as_deref().map(read_key_file).transpose()?;
    Ok(Store::open(&db.db, StoreOptions { key, ..StoreOptions::default() })?)
}

/// Opens an existing plaintext database by its path alone.
pub(crate) fn open_existing_path(path: &Path) -> Result<Store> {
    open_existing(&DbArg { db: path.to_path_buf(), key_file: None })
}

/// Reads a key file: 64 hexadecimal digits (`openssl rand -hex 32`).
pub(crate) fn read_key_file(path: &Path) -> Result<StoreKey> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::File { path: path.to_path_buf(), source })?;
    Ok(StoreKey::from_hex(&text)?)
}

/// Writes `key` to a new key file readable by its owner only.
pub(crate) fn write_key_file(path: &Path, key: &StoreKey) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|source| Error::File { path: path.to_path_buf(), source })?;
    writeln!(file, "{}", key.to_hex()).map_err(|source| Error::File { path: path.to_path_buf(), source })?;
    Ok(())
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::File { path: path.to_path_buf(), source })
}

/// Reads a JSON input that must be one object (`what` names it in errors:
/// "a quote"), naming the field of a bad value: "at `date`: input is out
/// of range", never only a line and column.
pub(crate) fn parse_object<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> std::result::Result<T, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(format!("{what} is empty: expected a JSON object")),
        Some(b'{') => {}
        Some(b'[') => return Err(format!("{what} is a JSON object ({{\"lines\": […]}}), not an array")),
        Some(_) => return Err(format!("{what} is a JSON object ({{…}}), not a single value")),
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            format!("bad JSON: {inner}")
        } else {
            format!("bad JSON at `{path}`: {inner}")
        }
    })
}
