//! The catalog and account commands.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use onsite_core::import::{self, Format};
use onsite_core::money::DisplayLocale;
use onsite_core::store::{AccountQuery, AccountSummary, ImportSummary, Page, ProductHit, ProductQuery};
use onsite_core::{Store, StoreOptions};

use crate::cli::{AccountCommand, CatalogCommand, FormatArg, Io};
use crate::error::{Error, Result};
use crate::output::{Progress, clip, pad, rpad};

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

pub(crate) fn catalog(cmd: CatalogCommand, io: &mut Io<'_>) -> Result<()> {
    match cmd {
        CatalogCommand::Import { db, file, format, json } => {
            let started = Instant::now();
            let store = Store::open(&db.db, StoreOptions::default())?;
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
                    "imported {}: {} added, {} updated, {} unchanged, {} deleted products; {} price lists, {} tax classes changed; catalog sequence {} ({} ms)",
                    file.display(),
                    s.products_added,
                    s.products_updated,
                    s.products_unchanged,
                    s.products_deleted,
                    s.price_lists_changed,
                    s.tax_classes_changed,
                    s.seq,
                    started.elapsed().as_millis()
                )?;
            }
            Ok(())
        }
        CatalogCommand::Search { search, all, locale } => {
            let store = open_existing(&search.db.db)?;
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
            let store = open_existing(&db.db)?;
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
            let store = open_existing(&db.db)?;
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
    }
    if page.has_more {
        writeln!(out, "… more with --offset {}", page.offset as usize + page.items.len())?;
    }
    Ok(())
}

/// One account with its contacts and latest activities, as JSON.
fn show_account(db: &Path, id: &str, io: &mut Io<'_>) -> Result<()> {
    let store = open_existing(db)?;
    let shown = serde_json::json!({
        "account": store.account(id)?,
        "contacts": store.contacts(id)?,
        "activities": store.activities_for_account(id, 20)?,
        "quotes": store.quotes_for_account(id)?,
    });
    serde_json::to_writer_pretty(&mut io.out, &shown)?;
    writeln!(io.out)?;
    Ok(())
}

pub(crate) fn print_accounts(out: &mut dyn Write, page: &Page<AccountSummary>) -> Result<()> {
    if page.items.is_empty() {
        writeln!(out, "no accounts found")?;
        return Ok(());
    }
    for (i, a) in page.items.iter().enumerate() {
        let legal = a.legal_form.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
        writeln!(
            out,
            "{}  {}  {}  group {}  {}  {} contacts",
            rpad(&(page.offset as usize + i + 1).to_string(), 4),
            pad(&clip(&format!("{}{legal}", a.name), 48), 48),
            pad(&clip(&a.city, 18), 18),
            a.customer_group.as_deref().unwrap_or("-"),
            pad(a.assigned_rep.as_deref().unwrap_or("-"), 6),
            a.contact_count
        )?;
        for c in &a.matching_contacts {
            writeln!(out, "        ↳ {} ({})", c.name, c.role.as_str().replace('_', " "))?;
        }
    }
    if page.has_more {
        writeln!(out, "… more with --offset {}", page.offset as usize + page.items.len())?;
    }
    Ok(())
}

pub(crate) fn account(cmd: AccountCommand, io: &mut Io<'_>) -> Result<()> {
    let (page, json) = match cmd {
        AccountCommand::Show { db, id } => return show_account(&db.db, &id, io),
        AccountCommand::List { db, rep, limit, offset, json } => {
            let store = open_existing(&db.db)?;
            (store.list_accounts(rep.as_deref(), offset, limit)?, json)
        }
        AccountCommand::Search { search } => {
            let store = open_existing(&search.db.db)?;
            let q = AccountQuery { text: search.query.join(" "), offset: search.offset, limit: search.limit };
            (store.search_accounts(&q)?, search.json)
        }
    };
    if json {
        serde_json::to_writer_pretty(&mut io.out, &page)?;
        writeln!(io.out)?;
        Ok(())
    } else {
        print_accounts(io.out, &page)
    }
}
