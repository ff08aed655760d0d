//! `onsite doc`: field-data documents as standard Automerge files.

use clap::Subcommand;
use std::path::{Path, PathBuf};

use crate::args::DbArg;
use crate::error::{Error, Result};
use crate::files::{open_existing, read_file};
use crate::output::Io;

/// Lists the documents of a database.
pub(crate) fn list(db: &DbArg, json: bool, io: &mut Io<'_>) -> Result<()> {
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
pub(crate) fn export(db: &DbArg, doc_id: &str, out: &Path, io: &mut Io<'_>) -> Result<()> {
    let store = open_existing(db)?;
    let bytes = store.export_doc(doc_id)?;
    std::fs::write(out, &bytes).map_err(|source| Error::File { path: out.to_path_buf(), source })?;
    writeln!(io.out, "wrote {doc_id} to {} ({} bytes, Automerge binary)", out.display(), bytes.len())?;
    Ok(())
}

/// Imports (merges) Automerge files; creates the database if missing.
pub(crate) fn import(db: &DbArg, files: &[PathBuf], io: &mut Io<'_>) -> Result<()> {
    let store = crate::files::open_store(db)?;
    for file in files {
        let bytes = read_file(file)?;
        let id = store.import_doc(&bytes)?;
        writeln!(io.out, "imported {} as {id}", file.display())?;
    }
    Ok(())
}

/// Prints the fields of a document that hold concurrent values.
pub(crate) fn conflicts(db: &DbArg, doc_id: &str, io: &mut Io<'_>) -> Result<()> {
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

#[derive(Debug, Subcommand)]
pub(crate) enum DocCommand {
    /// List the documents (accounts, activities, quotes, orders) of a database.
    List {
        #[command(flatten)]
        db: DbArg,
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write one document as standard Automerge binary (loadable by any Automerge).
    Export {
        #[command(flatten)]
        db: DbArg,
        /// The document id, e.g. `quote/<id>` (see `onsite doc list`).
        doc: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Merge Automerge files into the database and update its tables.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// Automerge files, as written by `onsite doc export`.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
    },
    /// Show the fields of a document that hold concurrent values.
    Conflicts {
        #[command(flatten)]
        db: DbArg,
        /// The document id.
        doc: String,
    },
}

/// Runs `onsite doc`.
pub(crate) fn run(cmd: DocCommand, io: &mut Io<'_>) -> Result<()> {
    match cmd {
        DocCommand::List { db, json } => list(&db, json, io),
        DocCommand::Export { db, doc, out } => export(&db, &doc, &out, io),
        DocCommand::Import { db, files } => import(&db, &files, io),
        DocCommand::Conflicts { db, doc } => conflicts(&db, &doc, io),
    }
}
