//! Opening stores and reading input files, for every command.

use std::path::Path;

use onsite_core::{Store, StoreOptions};

use crate::error::{Error, Result};

/// Opens an existing database (read commands must not create one).
pub(crate) fn open_existing(path: &Path) -> Result<Store> {
    if !path.exists() {
        return Err(Error::NoDatabase(path.to_path_buf()));
    }
    Ok(Store::open(path, StoreOptions::default())?)
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::File { path: path.to_path_buf(), source })
}
