//! `onsite quote pdf`: a quote document (JSON) rendered as a PDF.

use std::path::Path;

use chrono::NaiveDate;
use onsite_core::account::{Account, Contact};
use onsite_core::money::DisplayLocale;
use onsite_core::pdf::{PdfOptions, QuoteContext, RepContact, render_quote};
use onsite_core::quote::Quote;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::files::read_file;
use crate::output::Io;

/// Everything a quote PDF needs, as one JSON document (`onsite demo` writes one).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteDocument {
    /// The quote.
    pub quote: Quote,
    /// The customer.
    pub account: Account,
    /// The addressee.
    #[serde(default)]
    pub contact: Option<Contact>,
    /// The rep.
    #[serde(default)]
    pub rep: RepContact,
    /// Titles of the value arguments, in order.
    #[serde(default)]
    pub value_arguments: Vec<String>,
    /// The document date (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

fn bad(reason: String) -> Error {
    Error::Core(onsite_core::Error::Validation { field: "quote document", reason })
}

/// Renders `doc` to `out`; returns the size in bytes.
pub(crate) fn write_pdf(doc: &QuoteDocument, locale: Option<DisplayLocale>, out: &Path) -> Result<usize> {
    let ctx = QuoteContext {
        account: &doc.account,
        contact: doc.contact.as_ref(),
        rep: doc.rep.clone(),
        value_arguments: doc.value_arguments.clone(),
    };
    let mut opts = PdfOptions::dated(doc.date.unwrap_or_else(|| chrono::Local::now().date_naive()));
    opts.locale = locale;
    let bytes = render_quote(&doc.quote, &ctx, &opts).map_err(|e| bad(e.to_string()))?;
    std::fs::write(out, &bytes).map_err(|source| Error::File { path: out.to_path_buf(), source })?;
    Ok(bytes.len())
}

/// Runs `onsite quote pdf`.
pub(crate) fn quote_pdf(input: &Path, out: &Path, locale: Option<DisplayLocale>, io: &mut Io<'_>) -> Result<()> {
    let bytes = read_file(input)?;
    let doc: QuoteDocument = serde_json::from_slice(&bytes).map_err(|e| bad(format!("bad JSON: {e}")))?;
    doc.quote.validate().map_err(|e| bad(e.to_string()))?;
    let size = write_pdf(&doc, locale, out)?;
    writeln!(io.out, "wrote {} ({} bytes)", out.display(), size)?;
    // The renderer prints an approval only for exactly the content it
    // prints: say why one in the input was not printed.
    if let Some(why) = doc.quote.printable_approval().refusal() {
        writeln!(io.out, "not approved: {why}")?;
    }
    Ok(())
}

/// The rep shown on documents made with the command line.
pub(crate) fn default_rep() -> RepContact {
    RepContact {
        name: "Jürgen Groß".into(), email: "j.gross@onsite.example".into(), phone: "+49 170 123 45 67".into()
    }
}

/// Runs `onsite datasheet`.
pub(crate) fn datasheet(
    db: &crate::args::DbArg,
    sku: &str,
    account: &str,
    out: &Path,
    image: Option<&Path>,
    locale: DisplayLocale,
    io: &mut Io<'_>,
) -> Result<()> {
    let store = crate::files::open_existing(db)?;
    let image = image.map(read_file).transpose()?;
    let mut opts = PdfOptions::dated(chrono::Local::now().date_naive());
    opts.locale = Some(locale);
    let bytes = store.render_datasheet_pdf(sku, account, default_rep(), image.as_deref(), &opts)?;
    std::fs::write(out, &bytes).map_err(|source| Error::File { path: out.to_path_buf(), source })?;
    writeln!(io.out, "wrote {} ({} bytes)", out.display(), bytes.len())?;
    Ok(())
}
