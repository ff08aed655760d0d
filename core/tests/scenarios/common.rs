//! Helpers the scenario modules share.

use onsite_core::import::{CatalogBatch, ParsedCatalog, Row};
use onsite_core::{Store, StoreKey, StoreOptions};

/// A store `{name}.sqlite` in `dir`, encrypted with a fresh key as a
/// device's is.
pub fn open(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(dir.path().join(format!("{name}.sqlite")), encrypted()).unwrap()
}

/// Default options with a fresh key.
pub fn encrypted() -> StoreOptions {
    StoreOptions { key: Some(StoreKey::generate().unwrap()), ..Default::default() }
}

/// `items` as the rows of a file, numbered from line 2 (below a header).
pub fn rows<T: Clone>(items: &[T]) -> Vec<Row<T>> {
    items.iter().enumerate().map(|(i, item)| Row { line: i as u64 + 2, item: item.clone() }).collect()
}

/// Imports `batch` into `store` as a file without problems would be.
pub fn import(store: &Store, batch: CatalogBatch) {
    store.import_catalog(ParsedCatalog { batch, problems: Vec::new() }, &mut |_| {}).unwrap();
}
