//! `onsite catalog`: import, search, show and export the product catalog.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use onsite_core::Store;
use onsite_core::import::{self, Format};
use onsite_core::money::DisplayLocale;
use onsite_core::store::{ImportSummary, MatchField, MatchKind, Page, ProductHit, ProductQuery, WordMatch};

use crate::args::{DbArg, FormatArg, LocaleArg};
use crate::error::{Error, Result};
use crate::files::{open_existing, read_file};
use crate::output::{Io, Progress, clip, pad, rpad};

/// What every search command takes.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Search words (all must match; how, see the command's help).
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Results per page.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Results to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
    /// Print the page as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Import products (CSV or JSON) or a whole catalog (JSON), all or nothing.
    ///
    /// Every bad row is reported with its line number and nothing is changed.
    /// Formats: docs/catalog-import.md. The database is created if missing.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The file to import.
        file: PathBuf,
        /// File format; default: from the extension, else from the content.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search products by words, word beginnings or SKU.
    ///
    /// Finds parts of compounds ("mutter" finds Sechskantmutter), plurals
    /// ("unterlegscheiben"), typos ("sechskantschruabe", one from five
    /// letters, two from nine, never in numbers), other spellings ("duebel",
    /// "m10x12", "din933"). Best first: the exact SKU, then all words whole,
    /// then word beginnings, parts, typos; "↳" says why a hit matched.
    Search {
        #[command(flatten)]
        search: SearchArgs,
        /// Include inactive products.
        #[arg(long)]
        all: bool,
        /// Number and currency format.
        #[arg(long, value_enum, default_value = "de-DE")]
        locale: LocaleArg,
    },
    /// Show one product with its specifications.
    Show {
        #[command(flatten)]
        db: DbArg,
        /// The product's SKU.
        sku: String,
        /// Number and currency format.
        #[arg(long, value_enum, default_value = "de-DE")]
        locale: LocaleArg,
        /// Print the product as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write all products as CSV in the import format.
    Export {
        #[command(flatten)]
        db: DbArg,
        /// Output file; default: standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Parses and imports one catalog file, with progress on a terminal.
pub(crate) fn import_file(store: &Store, file: &Path, format: Option<Format>, progress: bool) -> Result<ImportSummary> {
    let bytes = read_file(file)?;
    let format = format.unwrap_or_else(|| Format::detect(Some(file), &bytes));
    let parsed = import::parse(&bytes, format);
    let mut bar = Progress::new(progress, "importing");
    let result = store.import_catalog(parsed, &mut |p| bar.update(p.done, p.total));
    bar.finish();
    Ok(result?)
}

/// What an import changed, in words: the kinds of record it touched (a
/// scoring model is not "0 products"), from an import summary as JSON.
pub(crate) fn describe(s: &serde_json::Value) -> String {
    let n = |k: &str| s.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let yes = |k: &str| s.get(k).and_then(serde_json::Value::as_bool).unwrap_or(false);
    let mut parts = Vec::new();
    let products = ["products_added", "products_updated", "products_unchanged", "products_deleted"];
    if products.iter().any(|k| n(k) > 0) {
        parts.push(format!(
            "{} added, {} updated, {} unchanged, {} deleted products",
            n("products_added"),
            n("products_updated"),
            n("products_unchanged"),
            n("products_deleted")
        ));
    }
    for (k, one, many) in [
        ("price_lists_changed", "price list", "price lists"),
        ("tax_classes_changed", "tax class", "tax classes"),
        ("costs_changed", "product cost", "product costs"),
        ("content_changed", "content item", "content items"),
        ("profiles_changed", "profile", "profiles"),
        ("campaigns_changed", "campaign", "campaigns"),
    ] {
        match n(k) {
            0 => {}
            1 => parts.push(format!("1 {one} changed")),
            x => parts.push(format!("{x} {many} changed")),
        }
    }
    if yes("policy_changed") {
        parts.push("the discount policy changed".into());
    }
    if yes("scoring_changed") {
        parts.push("the scoring model changed".into());
    }
    if parts.is_empty() { "nothing changed".into() } else { parts.join("; ") }
}

pub(crate) fn run(cmd: CatalogCommand, io: &mut Io<'_>) -> Result<()> {
    match cmd {
        CatalogCommand::Import { db, file, format, json } => {
            let started = Instant::now();
            let store = crate::files::open_store(&db)?;
            let format = format.map(|f| match f {
                FormatArg::Csv => Format::Csv,
                FormatArg::Json => Format::Json,
            });
            let s = import_file(&store, &file, format, io.progress)?;
            if json {
                serde_json::to_writer_pretty(&mut io.out, &s)?;
                writeln!(io.out)?;
            } else {
                writeln!(
                    io.out,
                    "imported {}: {}; catalog sequence {} ({} ms)",
                    file.display(),
                    describe(&serde_json::to_value(&s)?),
                    s.seq,
                    started.elapsed().as_millis()
                )?;
            }
            Ok(())
        }
        CatalogCommand::Search { search, all, locale } => {
            let store = open_existing(&search.db)?;
            let q = ProductQuery {
                text: search.query.join(" "),
                offset: search.offset,
                limit: search.limit,
                include_inactive: all,
            };
            let page = store.search_products(&q)?;
            if search.json {
                serde_json::to_writer_pretty(&mut io.out, &page)?;
                writeln!(io.out)?;
            } else {
                print_products(io.out, &page, locale.into())?;
            }
            Ok(())
        }
        CatalogCommand::Show { db, sku, locale, json } => {
            let store = open_existing(&db)?;
            let p = store.product(&sku)?;
            if json {
                serde_json::to_writer_pretty(&mut io.out, &p)?;
                writeln!(io.out)?;
                return Ok(());
            }
            let locale: DisplayLocale = locale.into();
            writeln!(io.out, "{}  {}", p.sku, p.name)?;
            writeln!(io.out, "  category     {}", p.category)?;
            writeln!(io.out, "  list price   {} per {}", p.list_price.format(locale), p.unit)?;
            writeln!(io.out, "  tax class    {}", p.tax_class)?;
            writeln!(io.out, "  C-part       {}", if p.c_part { "yes" } else { "no" })?;
            writeln!(io.out, "  active       {}", if p.active { "yes" } else { "no" })?;
            if let Some(img) = &p.image {
                writeln!(io.out, "  image        {img}")?;
            }
            for a in &p.attributes {
                writeln!(io.out, "  {} {}", pad(&a.key, 12), a.value)?;
            }
            if !p.description.is_empty() {
                writeln!(io.out, "\n  {}", p.description)?;
            }
            Ok(())
        }
        CatalogCommand::Export { db, out } => {
            let store = open_existing(&db)?;
            let products = store.products()?;
            let csv = import::export_csv(&products);
            match out {
                Some(path) => {
                    std::fs::write(&path, csv).map_err(|source| Error::File { path: path.clone(), source })?;
                    writeln!(io.out, "wrote {} products to {}", products.len(), path.display())?;
                }
                None => io.out.write_all(csv.as_bytes())?,
            }
            Ok(())
        }
    }
}

pub(crate) fn print_products(out: &mut dyn Write, page: &Page<ProductHit>, locale: DisplayLocale) -> Result<()> {
    if page.items.is_empty() {
        writeln!(out, "no products found")?;
        return Ok(());
    }
    writeln!(out, "{}  {}  {}  {}  unit", rpad("#", 4), pad("SKU", 18), pad("name", 56), rpad("list price", 11))?;
    for (i, h) in page.items.iter().enumerate() {
        let mark = if h.exact_sku {
            "="
        } else if !h.active {
            "x"
        } else {
            " "
        };
        writeln!(
            out,
            "{}{mark} {}  {}  {}  {}",
            rpad(&(page.offset as usize + i + 1).to_string(), 4),
            pad(&clip(&h.sku, 18), 18),
            pad(&clip(&h.name, 56), 56),
            rpad(&h.list_price.format(locale), 11),
            h.unit
        )?;
        if let Some(why) = why(&h.matches) {
            writeln!(out, "       ↳ {}", clip(&why, 100))?;
        }
    }
    if page.has_more {
        writeln!(out, "… more with --offset {}", page.offset as usize + page.items.len())?;
    }
    Ok(())
}

/// Why a hit matched, for the words that did not simply match as typed in
/// the SKU or name: `mutter: part of Sechskantmutter; sechskantschruabe:
/// read as Sechskantschraube (1 typo)`. `None` if every word did.
fn why(matches: &[WordMatch]) -> Option<String> {
    let parts: Vec<String> = matches
        .iter()
        .filter_map(|m| {
            let how = match m.kind {
                MatchKind::Inflected => format!("as {}", m.word),
                MatchKind::CompoundPart => format!("part of {}", m.word),
                MatchKind::Typo => {
                    format!("read as {} ({} typo{})", m.word, m.edits, if m.edits == 1 { "" } else { "s" })
                }
                _ if m.field == MatchField::Details => format!("in the details: {}", m.word),
                _ => return None,
            };
            Some(format!("{}: {how}", m.query))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::describe;
    use onsite_core::store::ImportSummary;

    #[test]
    fn an_import_says_what_it_changed() {
        let of = |s: ImportSummary| describe(&serde_json::to_value(s).unwrap());
        assert_eq!(of(ImportSummary { scoring_changed: true, ..Default::default() }), "the scoring model changed");
        assert_eq!(
            of(ImportSummary { products_added: 2, price_lists_changed: 1, ..Default::default() }),
            "2 added, 0 updated, 0 unchanged, 0 deleted products; 1 price list changed"
        );
        assert_eq!(
            of(ImportSummary { campaigns_changed: 3, policy_changed: true, ..Default::default() }),
            "3 campaigns changed; the discount policy changed"
        );
        assert_eq!(of(ImportSummary::default()), "nothing changed");
    }
}
