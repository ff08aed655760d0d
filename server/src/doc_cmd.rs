//! `onsite doc`: field-data documents as standard Automerge files.

use std::path::{Path, PathBuf};

use crate::cli::Io;
use crate::commands::{open_existing, read_file};
use crate::error::{Error, Result};

/// Lists the documents of a database.
pub(crate) fn list(db: &Path, json: bool, io: &mut Io<'_>) -> Result<()> {
    let store = open_existing(db)?;
    let docs = store.documents()?;
    if json {
        serde_json::to_writer_pretty(&mut io.out, &docs)?;
        writeln!(io.out)?;
        return Ok(());
    }
    for d in &docs {
        writeln!(io.out, "{:<70} {:>8} bytes", d.doc_id, d.bytes)?;
    }
    writeln!(io.out, "{} documents", docs.len())?;
    Ok(())
}

/// Writes one document as Automerge binary.
pub(crate) fn export(db: &Path, doc_id: &str, out: &Path, io: &mut Io<'_>) -> Result<()> {
    let store = open_existing(db)?;
    let bytes = store.export_doc(doc_id)?;
    std::fs::write(out, &bytes).map_err(|source| Error::File { path: out.to_path_buf(), source })?;
    writeln!(io.out, "wrote {doc_id} to {} ({} bytes, Automerge binary)", out.display(), bytes.len())?;
    Ok(())
}

/// Imports (merges) Automerge files; creates the database if missing.
pub(crate) fn import(db: &Path, files: &[PathBuf], io: &mut Io<'_>) -> Result<()> {
    let store = onsite_core::Store::open(db, onsite_core::StoreOptions::default())?;
    for file in files {
        let bytes = read_file(file)?;
        let id = store.import_doc(&bytes)?;
        writeln!(io.out, "imported {} as {id}", file.display())?;
    }
    Ok(())
}

/// Prints the fields of a document that hold concurrent values.
pub(crate) fn conflicts(db: &Path, doc_id: &str, io: &mut Io<'_>) -> Result<()> {
    let store = open_existing(db)?;
    let all = store.conflicts(doc_id)?;
    if all.is_empty() {
        writeln!(io.out, "{doc_id}: no concurrent values")?;
    }
    for c in all {
        let values: Vec<String> = c.values.iter().map(|v| format!("{} (device {})", v.value, v.device_id)).collect();
        writeln!(io.out, "{}: {}", c.path, values.join(" | "))?;
    }
    Ok(())
}
