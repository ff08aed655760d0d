//! PDF benchmarks: a 1-page quote, a 200-line quote and a datasheet with an
//! image, rendered in-process; side by side in the same run, headless
//! Chromium printing the same 1-page quote from an HTML page to PDF (the
//! usual way quote tools make PDFs).
//!
//! Run: `cargo bench -p onsite-core --bench pdf` (Chromium: Debian's
//! `chromium` package; without it that row is skipped and says so).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // a benchmark aborts on any failure

mod common;

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use onsite_core::account::Account;
use onsite_core::catalog::{Attribute, Product};
use onsite_core::fixtures;
use onsite_core::money::{Currency, DisplayLocale, Money};
use onsite_core::pdf::{CustomerPrice, DatasheetContext, PriceStep};
use onsite_core::quote::Quote;
use rust_decimal::Decimal;

/// The fixtures' quote of `lines` hex-bolt lines, every name short enough
/// for one row (the figures in BENCHMARKS.md are for these names).
fn quote(lines: usize) -> Quote {
    let mut q = fixtures::quote_with_lines("3f0e8a52-bench", lines, DisplayLocale::De);
    for (i, l) in q.lines.iter_mut().enumerate() {
        l.name = format!("Sechskantschraube DIN 933 M8×{}, Edelstahl A2, Großpackung", 10 + i % 90);
    }
    q.revision_hash = q.compute_hash();
    q
}

/// The same quote as an HTML page, as an HTML-to-PDF quote tool would print it.
fn html(q: &Quote, a: &Account) -> String {
    let t = q.totals().unwrap();
    let m = |d: Decimal| Money::new(d, q.currency).format(DisplayLocale::De);
    let mut rows = String::new();
    for (i, (l, n)) in q.lines.iter().zip(&t.line_nets).enumerate() {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=r>{} {}</td><td class=r>{}</td><td class=r>{} %</td><td class=r>{}</td></tr>",
            i + 1,
            l.sku,
            l.name,
            l.qty,
            l.unit,
            m(l.unit_price),
            l.discount_pct,
            m(*n)
        );
    }
    let mut groups = String::new();
    for g in &t.groups {
        let _ = write!(
            groups,
            "<tr><td>USt. {} % auf {}</td><td class=r>{}</td></tr>",
            g.rate_pct,
            m(g.net_after_discount),
            m(g.tax)
        );
    }
    format!(
        "<!doctype html><html lang=de><meta charset=utf-8><title>Angebot {num}</title>
<style>@page{{size:A4;margin:20mm}}body{{font-family:'DejaVu Sans',sans-serif;font-size:9pt;color:#1f2126}}
h1{{color:#0d548c;font-size:15pt;margin:0}}table{{width:100%;border-collapse:collapse}}th{{background:#f0f2f4;text-align:left}}
td,th{{padding:3pt 4pt;border-bottom:0.3pt solid #ccd}}.r{{text-align:right}}thead{{display:table-header-group}}</style>
<h1>Onsite Befestigungstechnik GmbH</h1><p>Industriestraße 12 · 90402 Nürnberg</p>
<p><b>{name}</b><br>{street}<br>{zip} {city}</p><h2>Angebot {num}</h2>
<table><thead><tr><th>Pos.</th><th>Artikel-Nr.</th><th>Bezeichnung</th><th class=r>Menge</th><th class=r>Einzelpreis</th><th class=r>Rabatt</th><th class=r>Netto</th></tr></thead>
<tbody>{rows}</tbody></table><table>{groups}<tr><td><b>Gesamtbetrag</b></td><td class=r><b>{gross}</b></td></tr></table>
<p>Revision {rev} · SHA-256 {hash}</p></html>",
        num = q.number,
        name = a.name,
        street = a.billing_address.street,
        zip = a.billing_address.postal_code,
        city = a.billing_address.city,
        gross = m(t.gross_total),
        rev = q.revision,
        hash = q.revision_hash
    )
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    // The customer as in BENCHMARKS.md's figures: a plain GmbH.
    let acc = Account { legal_form: Some("GmbH".into()), ..fixtures::account(fixtures::ACCOUNT_ID) };
    let ctx = fixtures::quote_context(&acc, None);
    let opts = fixtures::pdf_options();
    let small = quote(10);
    let large = quote(200);
    let one_page = onsite_core::pdf::render_quote(&small, &ctx, &opts).unwrap();
    let many = onsite_core::pdf::render_quote(&large, &ctx, &opts).unwrap();
    let t_small = common::time(50, || {
        onsite_core::pdf::render_quote(&small, &ctx, &opts).unwrap();
    });
    let t_large = common::time(20, || {
        onsite_core::pdf::render_quote(&large, &ctx, &opts).unwrap();
    });

    let img = {
        let img =
            image::RgbImage::from_fn(800, 800, |x, y| image::Rgb([(x / 4 % 256) as u8, 120, (y / 4 % 256) as u8]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    };
    let product = Product {
        sku: "MS-6100".into(),
        name: "Müller-Schraube Holzbau 6×100".into(),
        description: "Tellerkopf, Torx, ohne Vorbohren.".into(),
        category: "Holzbau".into(),
        unit: "pc".into(),
        list_price: Money::new(Decimal::new(35, 2), Currency::EUR),
        tax_class: "DE-STD".into(),
        attributes: vec![Attribute { key: "Material".into(), value: "Stahl verzinkt".into() }],
        image: None,
        c_part: true,
        active: true,
        seq: 0,
    };
    let dctx = DatasheetContext {
        price: CustomerPrice {
            customer: "Müller Maschinenbau".into(),
            steps: vec![PriceStep { min_qty: Decimal::ONE, unit_price: Decimal::new(31, 2) }],
            valid_from: None,
            valid_to: None,
        },
        content: &[],
        rep: ctx.rep.clone(),
        image: Some(&img),
    };
    let sheet = onsite_core::pdf::render_datasheet(&product, &dctx, &opts).unwrap();
    let t_sheet = common::time(20, || {
        onsite_core::pdf::render_datasheet(&product, &dctx, &opts).unwrap();
    });

    println!("{}\n", common::machine());
    println!("| document | runs | median | p99 | size |");
    println!("|---|---|---|---|---|");
    println!(
        "| quote, 10 lines, 1 page (goal ≤ 10 ms, ≤ 40 KB) | 50 | {} | {} | {:.1} KB |",
        common::ms(t_small.0),
        common::ms(t_small.1),
        one_page.len() as f64 / 1024.0
    );
    println!(
        "| quote, 200 lines (goal ≤ 60 ms) | 20 | {} | {} | {:.1} KB |",
        common::ms(t_large.0),
        common::ms(t_large.1),
        many.len() as f64 / 1024.0
    );
    println!(
        "| datasheet with an 800×800 JPEG | 20 | {} | {} | {:.1} KB |",
        common::ms(t_sheet.0),
        common::ms(t_sheet.1),
        sheet.len() as f64 / 1024.0
    );

    let Some(browser) = chromium() else {
        println!("\nChromium not found: the side-by-side row was skipped (apt-get install chromium).");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("quote.html");
    std::fs::write(&page, html(&small, &acc)).unwrap();
    let out = dir.path().join("chromium.pdf");
    let mut runs = Vec::new();
    for i in 0..5 {
        let profile = dir.path().join(format!("profile-{i}"));
        let t = Instant::now();
        let status = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-pdf-header-footer",
                &format!("--user-data-dir={}", profile.display()),
                &format!("--print-to-pdf={}", out.display()),
                &format!("file://{}", page.display()),
            ])
            .output()
            .unwrap();
        runs.push(t.elapsed());
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    }
    let (c_med, c_p99, _) = common::stats(runs);
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "| same quote: Chromium {} --print-to-pdf from HTML (new process each) | 5 | {} | {} | {:.1} KB |",
        browser,
        common::ms(c_med),
        common::ms(c_p99),
        size as f64 / 1024.0
    );
    println!(
        "\nOnsite renders the 1-page quote {:.0}× faster than Chromium (medians; goal ≥ 50×).",
        c_med.as_secs_f64() / t_small.0.as_secs_f64()
    );
}
