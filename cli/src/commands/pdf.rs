//! `onsite quote pdf`: a quote document (JSON) rendered as a PDF.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use onsite_core::account::{Account, Contact};
use onsite_core::catalog::UnitLabel;
use onsite_core::money::DisplayLocale;
use onsite_core::pdf::{PdfOptions, QuoteContext, RepContact, render_quote};
use onsite_core::profile::CompanyProfile;
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
    /// The sender (without it, the PDF is marked as a sample).
    #[serde(default)]
    pub company: Option<CompanyProfile>,
    /// Unit labels (default: the built-in ones).
    #[serde(default)]
    pub unit_labels: Vec<UnitLabel>,
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
    opts.company = doc.company.clone();
    opts.unit_labels = doc.unit_labels.clone();
    let bytes = render_quote(&doc.quote, &ctx, &opts).map_err(|e| bad(e.to_string()))?;
    std::fs::write(out, &bytes).map_err(|source| Error::File { path: out.to_path_buf(), source })?;
    Ok(bytes.len())
}

/// Runs `onsite quote pdf`.
pub(crate) fn quote_pdf(input: &Path, out: &Path, locale: Option<DisplayLocale>, io: &mut Io<'_>) -> Result<()> {
    let bytes = read_file(input)?;
    let doc: QuoteDocument = crate::files::parse_object(&bytes, "a quote document").map_err(bad)?;
    // The quote's own error ("invalid lines: line 1: the name …"), not
    // wrapped in another "invalid".
    doc.quote.validate().map_err(onsite_core::Error::from)?;
    if let Some(c) = &doc.company {
        c.validate().map_err(|e| bad(format!("company: {e}")))?;
    }
    let size = write_pdf(&doc, locale, out)?;
    writeln!(io.out, "wrote {} ({} bytes)", out.display(), size)?;
    // The renderer prints an approval only for exactly the content it
    // prints: say why one in the input was not printed.
    if let Some(why) = doc.quote.printable_approval().refusal() {
        writeln!(io.out, "not approved: {why}")?;
    }
    if doc.company.is_none() {
        writeln!(io.out, "sample: the document has no \"company\", so its sender is an example")?;
    }
    Ok(())
}

/// Arguments of `onsite datasheet`.
#[derive(Debug, clap::Args)]
pub(crate) struct DatasheetArgs {
    #[command(flatten)]
    pub db: crate::args::DbArg,
    /// The product.
    #[arg(long)]
    pub sku: String,
    /// The customer account whose prices are shown.
    #[arg(long)]
    pub account: String,
    /// The PDF to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Product image (PNG or JPEG); default: a placeholder.
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// The rep named as contact (their published profile); default: the company.
    #[arg(long)]
    pub rep: Option<String>,
    /// Language and formats.
    #[arg(long, value_enum, default_value = "de-DE")]
    pub locale: crate::args::LocaleArg,
}

/// Runs `onsite datasheet`.
pub(crate) fn datasheet(args: &DatasheetArgs, io: &mut Io<'_>) -> Result<()> {
    let (sku, account, out, locale) = (&args.sku, &args.account, &args.out, DisplayLocale::from(args.locale));
    let rep = args.rep.as_deref();
    let store = crate::files::open_existing(&args.db)?;
    // The rep's published profile; without --rep the company's own contact.
    let rep = match rep {
        Some(r) => store.rep_contact(r)?.ok_or_else(|| Error::Core(onsite_core::Error::not_found("rep profile", r)))?,
        None => RepContact::default(),
    };
    let image = args.image.as_deref().map(read_file).transpose()?;
    let mut opts = PdfOptions::dated(chrono::Local::now().date_naive());
    opts.locale = Some(locale);
    let bytes = store.render_datasheet_pdf(sku, account, rep, image.as_deref(), &opts)?;
    std::fs::write(out, &bytes).map_err(|source| Error::File { path: out.to_path_buf(), source })?;
    writeln!(io.out, "wrote {} ({} bytes)", out.display(), bytes.len())?;
    if store.company_profile()?.is_none() {
        writeln!(io.out, "sample: no company profile is published, the sender is an example")?;
    }
    Ok(())
}
