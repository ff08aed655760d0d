//! Quote PDFs checked with independent tools from Debian: qpdf (structure),
//! pdftotext (what a reader sees, in order), pdffonts (embedded, subset
//! font) and pdfinfo (pages). tests/run.sh installs poppler-utils and qpdf.

use std::path::Path;
use std::process::Command;

use onsite_core::account::Account;
use onsite_core::fixtures::{self, ACCOUNT_ID, CONTACT_ID};
use onsite_core::money::DisplayLocale;
use onsite_core::pdf::{QuoteContext, RepContact, render_quote};
use onsite_core::quote::{Quote, QuoteLine};
use rust_decimal::Decimal;

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (tests/run.sh installs poppler-utils and qpdf): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `lines` lines in round figures the texts and totals below are checked
/// against: line `i` is 1,000 + `i` pieces at 12.34 € without discount,
/// line 1 a glove with a name that wraps, line 2 at 7 % VAT.
fn quote(lines: usize, locale: DisplayLocale) -> Quote {
    let lines = (0..lines)
        .map(|i| QuoteLine {
            name: if i == 1 {
                "Schutzhandschuhe Nitril Größe 9 für Außenanwendungen, witterungsbeständig, mit Dichtscheibe aus EPDM – Großpackung für Industrie und Handwerk".into()
            } else {
                format!("Sechskantschraube DIN 933 M8×{}, Edelstahl A2", 10 + i)
            },
            tax_rate_pct: Decimal::new(if i == 2 { 7 } else { 19 }, 0),
            ..fixtures::line(&format!("SKS-A2-{i:06}"), Decimal::new(1000 + i as i64, 0), Decimal::new(1234, 2))
        })
        .collect();
    let mut q = fixtures::quote("q-42", lines);
    q.edit(|q| {
        q.contact_id = Some(CONTACT_ID.into());
        q.locale = locale;
        q.payment_terms = "14 Tage 2 % Skonto, 30 Tage netto".into();
    })
    .unwrap();
    q
}

fn render(q: &Quote) -> Vec<u8> {
    let (acc, c) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
    render_quote(q, &fixtures::quote_context(&acc, Some(&c)), &fixtures::pdf_options()).unwrap()
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_one_page_quote_reads_back_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let q = quote(3, DisplayLocale::De);
    let bytes = render(&q);
    assert_eq!(bytes, render(&q), "two renders are byte-identical");
    assert!(bytes.len() < 40 * 1024, "one page with the subset font stays under 40 KB: {}", bytes.len());
    let path = save(dir.path(), "q.pdf", &bytes);

    let check = tool("qpdf", &["--check", &path]);
    assert!(check.contains("No syntax or stream encoding errors"), "{check}");
    let fonts = tool("pdffonts", &[&path]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "regular and bold: {fonts}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(cols[0].contains('+') && cols[0].contains("DejaVuSans"), "subset prefix ABCDEF+: {row}");
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "embedded, subset, unicode map: {row}");
    }
    let info = tool("pdfinfo", &[&path]);
    assert!(info.contains("Pages:           1"));
    assert!(info.contains("Author:          Keller Befestigungstechnik GmbH"), "the sender is the author: {info}");

    let text = tool("pdftotext", &["-layout", &path, "-"]);
    let title = format!("Angebot {}", q.number);
    let order = [
        "Keller Befestigungstechnik GmbH",
        "Müller Maschinenbau GmbH & Co. KG",
        "Angebotsnummer",
        "z. Hd. Anna Weiß",
        "Schloßallee 24",
        "Gültig bis",
        "31.03.2026",
        title.as_str(),
        "Bezeichnung",
        "Sechskantschraube DIN 933 M8×10",
        "12.340,00 €",
        "Edelstahl A2",
        "Schutzhandschuhe Nitril Größe 9",
        "Summe netto",
        "37.057,02 €",
        "USt. 7 % auf 12.364,68 €",
        "865,53 €",
        "USt. 19 % auf 24.692,34 €",
        "4.691,54 €",
        "Gesamtbetrag",
        "42.614,09 €",
        "14 Tage 2 % Skonto",
        "Kanban für C-Teile",
        "Online freigeben",
        "Seite 1 von 1",
        &q.revision_hash,
    ];
    let mut at = 0;
    for needle in order {
        let found = text[at..].find(needle).unwrap_or_else(|| panic!("{needle:?} missing or out of order in:\n{text}"));
        at += found + needle.len();
    }
}

#[test]
fn english_labels_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let q = quote(2, DisplayLocale::En);
    let path = save(dir.path(), "en.pdf", &render(&q));
    let text = tool("pdftotext", &["-layout", &path, "-"]);
    let title = format!("Quote {}", q.number);
    for needle in [
        title.as_str(),
        "Valid until",
        "Mar 31, 2026",
        "Unit price",
        "€12,340.00",
        "VAT 19 %",
        "Total",
        "Page 1 of 1",
        "Attn. Anna Weiß",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
}

#[test]
fn greek_and_cyrillic_names_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = quote(3, DisplayLocale::En);
    q.edit(|q| {
        q.lines[0].name = "Βίδα εξάγωνη DIN 933 M8×10, ανοξείδωτη".into();
        q.lines[1].name = "Болт с шестигранной головкой DIN 933, нержавеющая сталь".into();
        q.lines[2].name = "Šroub šestihranný, nerezová ocel – Łącznik ẞ".into();
    })
    .unwrap();
    let path = save(dir.path(), "scripts.pdf", &render(&q));
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let text = tool("pdftotext", &[&path, "-"]);
    // Word by word: the names wrap in the description column.
    let words =
        ["Βίδα", "εξάγωνη", "ανοξείδωτη", "Болт", "шестигранной", "нержавеющая", "Šroub", "šestihranný", "Łącznik"];
    for needle in words.into_iter().chain(["ẞ"]) {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
    assert!(!text.contains('\u{FFFD}'), "no replacement glyph: {text}");
}

#[test]
fn notes_as_long_as_allowed_go_on_over_pages_and_tabs_keep_words_apart() {
    let dir = tempfile::tempdir().unwrap();
    // 20,000 characters (the most a quote's notes may have) of numbered words.
    let mut notes = String::from("Material:\tEdelstahl\n");
    let mut n = 0;
    while notes.len() + 7 <= 20_000 {
        notes.push_str(&format!("w{n:05} "));
        n += 1;
    }
    let mut q = quote(3, DisplayLocale::De);
    q.edit(|q| q.notes = notes.clone()).unwrap();
    let path = save(dir.path(), "notes.pdf", &render(&q));
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let text = tool("pdftotext", &[&path, "-"]);
    let words: std::collections::HashSet<&str> = text.split_whitespace().collect();
    let missing: Vec<String> = (0..n).map(|i| format!("w{i:05}")).filter(|w| !words.contains(w.as_str())).collect();
    assert!(
        missing.is_empty(),
        "{} of {n} words of the notes are not on any page, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(text.contains("Material: Edelstahl"), "a tab prints as a space: {text}");
    let pages = tool("pdfinfo", &[&path]);
    assert!(pages.lines().any(|l| l.starts_with("Pages:") && !l.ends_with(" 1")), "{pages}");
}

#[test]
fn a_line_taller_than_a_page_goes_on_over_pages() {
    // Far beyond the 300 characters a stored quote's line name may have, as
    // `onsite quote pdf` could be given in a file.
    let dir = tempfile::tempdir().unwrap();
    let mut q = quote(3, DisplayLocale::De);
    let name: Vec<String> = (0..1500).map(|i| format!("n{i:04}")).collect();
    q.lines[1].name = name.join(" ");
    let path = save(dir.path(), "tall.pdf", &render(&q));
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let text = tool("pdftotext", &[&path, "-"]);
    let words: std::collections::HashSet<&str> = text.split_whitespace().collect();
    let missing = name.iter().filter(|w| !words.contains(w.as_str())).count();
    assert_eq!(missing, 0, "words of the long name not on any page");
    // The line after it follows its last row, and the totals are there.
    let last = text.find("n1499").unwrap();
    assert!(text[last..].contains("SKS-A2-000002") && text[last..].contains("Gesamtbetrag"));
}

/// The boxes of the words pdftotext finds: (text, xMin, yMin, xMax, yMax).
fn words(path: &str) -> Vec<(String, f32, f32, f32, f32)> {
    let html = tool("pdftotext", &["-bbox", path, "-"]);
    html.lines()
        .filter_map(|l| l.trim_start().strip_prefix("<word "))
        .map(|w| {
            let attr = |name: &str| -> f32 {
                let at = w.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                w[at..].split('"').next().unwrap().parse().unwrap()
            };
            let text = w.split('>').nth(1).unwrap_or("").split('<').next().unwrap_or("").to_string();
            (text, attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax"))
        })
        .collect()
}

#[test]
fn long_one_line_fields_end_with_an_ellipsis_inside_the_margins() {
    let dir = tempfile::tempdir().unwrap();
    let q = quote(2, DisplayLocale::De);
    let (acc, c) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
    let long = "Müller Maschinenbau und Befestigungstechnik GmbH & Co. KG Niederlassung Süd-West Industriestraße 12";
    let mut ctx = fixtures::quote_context(&acc, Some(&c));
    ctx.rep.name = long.into();
    ctx.rep.email = format!("{}@onsite.example", "vertrieb.sued-west".repeat(4));
    let mut opts = fixtures::pdf_options();
    // A letterhead given whole (no profile), not a sample.
    opts.company = None;
    opts.letterhead.sample = false;
    opts.letterhead.company = long.into();
    opts.letterhead.contact_line = long.into();
    opts.letterhead.legal_line = format!("{long} {long}");
    opts.letterhead.logo = Some(image(image::ImageFormat::Png));
    let path = save(dir.path(), "long.pdf", &render_quote(&q, &ctx, &opts).unwrap());
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let words = words(&path);
    let right = 595.28 - 56.69 + 0.5;
    for (text, _, _, x_max, _) in &words {
        assert!(*x_max <= right, "{text:?} ends at {x_max}, past the right margin");
    }
    // The company beside the logo (46 mm wide at the right margin), the page
    // label apart from the footer's sender line.
    let logo_left = 595.28 - 56.69 - 46.0 * 72.0 / 25.4;
    let top = words.iter().filter(|w| w.4 < 70.0);
    assert!(top.clone().all(|w| w.3 < logo_left), "{:?}", top.collect::<Vec<_>>());
    let seite = words.iter().find(|w| w.0 == "Seite").unwrap();
    let footer = words.iter().filter(|w| (w.2 - seite.2).abs() < 2.0 && w.1 < seite.1);
    assert!(footer.clone().all(|w| w.3 < seite.1), "{:?}", footer.collect::<Vec<_>>());
    assert!(words.iter().filter(|w| w.0.ends_with('…')).count() >= 4, "{words:?}");
}

#[test]
fn a_200_line_quote_repeats_its_header_on_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = render(&quote(200, DisplayLocale::De));
    let path = save(dir.path(), "long.pdf", &bytes);
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let info = tool("pdfinfo", &[&path]);
    let pages: usize = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap();
    assert!(pages >= 5, "{pages} pages for 200 lines");
    let mut seen_lines = 0;
    for p in 1..=pages {
        let n = p.to_string();
        let text = tool("pdftotext", &["-layout", "-f", &n, "-l", &n, &path, "-"]);
        if text.contains("Sechskantschraube DIN 933") {
            assert!(text.contains("Bezeichnung") && text.contains("Einzelpreis"), "header row on page {p}");
        }
        assert!(text.contains(&format!("Seite {p} von {pages}")), "page {p} of {pages}");
        seen_lines += text.matches("Sechskantschraube DIN 933").count();
    }
    assert_eq!(seen_lines, 199, "every line is printed once (one of 200 is the glove)");
}

fn image(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(240, 120, |x, y| image::Rgb([(x % 256) as u8, 90, (y * 2 % 256) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[test]
fn logos_in_png_and_jpeg_and_a_visible_replacement_glyph() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = quote(1, DisplayLocale::De);
    q.edit(|q| q.lines[0].name = "Schraube 🦀 mit Sonderzeichen".into()).unwrap();
    let (acc, c) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
    for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
        let ctx =
            QuoteContext { account: &acc, contact: Some(&c), rep: RepContact::default(), value_arguments: vec![] };
        let mut opts = fixtures::pdf_options();
        opts.company = None;
        opts.letterhead.logo = Some(image(format));
        let bytes = render_quote(&q, &ctx, &opts).unwrap();
        let path = save(dir.path(), "logo.pdf", &bytes);
        assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
        let images = tool("pdfimages", &["-list", &path]);
        assert_eq!(images.lines().count(), 3, "one image listed for {format:?}: {images}");
        let text = tool("pdftotext", &[&path, "-"]);
        assert!(text.contains("Schraube \u{FFFD} mit Sonderzeichen"), "replacement glyph: {text}");
    }
}

#[test]
fn a_datasheet_shows_the_customers_prices_and_specifications() {
    use onsite_core::import::{Format, parse};
    use onsite_core::{Store, StoreOptions};
    let dir = tempfile::tempdir().unwrap();
    let key = Some(onsite_core::StoreKey::generate().unwrap());
    let store = Store::open(dir.path().join("d.sqlite"), StoreOptions { key, ..StoreOptions::default() }).unwrap();
    let catalog = r#"{
      "products": [{"sku": "MS-6100", "name": "Müller-Schraube Holzbau 6×100", "unit": "pc", "list_price": "0.35",
                    "tax_class": "DE-STD", "description": "Tellerkopf, Torx, ohne Vorbohren.",
                    "attributes": {"Material": "Stahl verzinkt", "Länge": "100 mm", "Antrieb": "Torx T30"}}],
      "price_lists": [{"id": "PL-A", "name": "A", "currency": "EUR", "customer_group": "A",
                       "valid_from": "2026-01-01", "valid_to": "2026-12-31",
                       "tiers": [{"sku": "MS-6100", "min_qty": "1", "unit_price": "0.31"}, {"sku": "MS-6100", "min_qty": "1000", "unit_price": "0.27"}]}],
      "content": [{"id": "CS-1", "kind": "case_study", "title": "Holzbau Huber: 30 % schneller montiert", "summary": "Ohne Vorbohren.", "skus": ["MS-6100"]}]
    }"#;
    store.import_catalog(parse(catalog.as_bytes(), Format::Json), &mut |_| {}).unwrap();
    let acc = Account { customer_group: Some("A".into()), ..fixtures::account(ACCOUNT_ID) };
    store.save_account(&acc).unwrap();
    let opts = fixtures::pdf_options();
    let rep = fixtures::rep();
    let bytes = store
        .render_datasheet_pdf("ms-6100", &acc.id, rep.clone(), Some(&image(image::ImageFormat::Png)), &opts)
        .unwrap();
    assert_eq!(
        bytes,
        store
            .render_datasheet_pdf("ms-6100", &acc.id, rep.clone(), Some(&image(image::ImageFormat::Png)), &opts)
            .unwrap()
    );
    let path = save(dir.path(), "ds.pdf", &bytes);
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let text = tool("pdftotext", &["-layout", &path, "-"]);
    for needle in [
        "Produktdatenblatt",
        "Müller-Schraube Holzbau 6×100",
        "Artikel-Nr. MS-6100",
        "Ihr Preis · Müller Maschinenbau",
        "0,31 €",
        "ab 1.000 Stk.",
        "0,27 €",
        "Preise gültig 01.01.2026 – 31.12.2026",
        "Stahl verzinkt",
        "Torx T30",
        "Holzbau Huber: 30 % schneller montiert",
        "Jürgen Groß",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
    let err = store.render_datasheet_pdf("MS-6100", &acc.id, rep, Some(b"broken"), &opts).unwrap_err();
    assert!(err.to_string().contains("product image could not be read"), "{err}");
}

#[test]
fn a_datasheet_keeps_long_descriptions_and_values_on_its_page() {
    use onsite_core::import::{Format, parse};
    use onsite_core::{Store, StoreOptions};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("d.sqlite"), StoreOptions::default()).unwrap();
    let description = "Tellerkopf, Torx, ohne Vorbohren. ".repeat(580); // 19,720 characters
    let value = "verzinkt ".repeat(130); // 1,170 characters on one line
    let catalog = serde_json::json!({
        "products": [{"sku": "MS-6100", "name": "Müller-Schraube", "unit": "pc", "list_price": "0.35",
                      "tax_class": "DE-STD", "description": description,
                      "attributes": {"Material": value, "Antrieb": "Torx T30"}}],
    })
    .to_string();
    store.import_catalog(parse(catalog.as_bytes(), Format::Json), &mut |_| {}).unwrap();
    let acc = fixtures::account(ACCOUNT_ID);
    store.save_account(&acc).unwrap();
    let bytes =
        store.render_datasheet_pdf("MS-6100", &acc.id, fixtures::rep(), None, &fixtures::pdf_options()).unwrap();
    let path = save(dir.path(), "long.pdf", &bytes);
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    // Every word pdftotext finds lies inside the margins.
    let words = words(&path);
    for (text, _, _, x_max, y_max) in &words {
        assert!(*x_max <= 595.28 - 56.69 + 0.5 && *y_max <= 841.9, "{text:?} off the page");
    }
    assert!(words.len() > 100, "{} words", words.len());
    let text = tool("pdftotext", &["-layout", &path, "-"]);
    for needle in ["Technische Daten", "Torx T30", "verzinkt verzinkt", "…", "Jürgen Groß", "Amtsgericht"] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
}

/// The text a reader sees, in reading order, with words joined by single
/// spaces (pdftotext's layout spacing aside).
fn text_of(dir: &Path, name: &str, q: &Quote) -> String {
    let path = save(dir, name, &render(q));
    tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn an_approval_prints_only_for_exactly_the_content_approved() {
    use onsite_core::quote::{PrintableApproval, QuoteState};
    let dir = tempfile::tempdir().unwrap();
    let mut q = quote(3, DisplayLocale::De);
    q.approval = Some(fixtures::approval(&q, "Eva Weiß", "dev-eva", fixtures::now()));
    q.state = QuoteState::Approved;
    let approved = text_of(dir.path(), "approved.pdf", &q);
    assert!(approved.contains("Freigegeben von Eva Weiß (Einkauf)"), "{approved}");
    assert!(approved.contains(&format!("SHA-256 {}", q.revision_hash)), "the approved hash in full");
    assert!(!approved.contains("Online freigeben"), "an approved quote invites no approval: {approved}");

    // The quantity changed from 1,000 to 5,000 after approval, the hash kept.
    let mut forged = q.clone();
    forged.lines[0].qty = Decimal::new(5000, 0);
    assert!(matches!(forged.printable_approval(), PrintableApproval::ContentChanged { .. }));
    let text = text_of(dir.path(), "forged.pdf", &forged);
    assert!(!text.contains("Freigegeben von"), "printed as approved: {text}");
    assert!(text.contains("Nicht freigegeben") && !text.contains("Online freigeben"), "no link to approve: {text}");
    assert!(text.contains(&forged.compute_hash()), "the footer prints the hash of what is printed");
    assert!(!text.contains(&q.revision_hash), "never the hash the input carried");
    assert!(forged.printable_approval().refusal().unwrap().contains("does not match"));

    // A new revision made the proper way: the approval is for the old one.
    let mut revised = q.clone();
    revised.edit(|q| q.lines[0].qty = Decimal::new(5000, 0)).unwrap();
    assert!(matches!(revised.printable_approval(), PrintableApproval::OtherRevision { .. }));
    let text = text_of(dir.path(), "revised.pdf", &revised);
    assert!(!text.contains("Freigegeben von") && text.contains("Online freigeben"), "{text}");
}

#[test]
fn a_header_discount_shows_the_items_the_discount_and_the_net_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut q = quote(3, DisplayLocale::De);
    q.edit(|q| q.header_discount_pct = Decimal::new(5, 0)).unwrap();
    let totals = q.totals().unwrap();
    let money = |d: Decimal| onsite_core::money::Money::new(d, q.currency).format(DisplayLocale::De);
    let items: Decimal = totals.groups.iter().map(|g| g.net).sum();
    let path = save(dir.path(), "discount.pdf", &render(&q));
    let text = tool("pdftotext", &["-layout", &path, "-"]);
    // Each label on one line with its amount, in this order.
    let discount19 = totals.groups.iter().find(|g| g.rate_pct == Decimal::new(19, 0)).unwrap().discount;
    let mut at = 0;
    for (label, amount) in [
        ("Summe der Positionen netto", money(items)),
        ("Nachlass 5 % (USt. 19 %)", format!("−{}", money(discount19))),
        ("Summe netto", money(totals.net_total)),
        ("Gesamtbetrag", money(totals.gross_total)),
    ] {
        let found = text.lines().enumerate().skip(at).find(|(_, l)| l.contains(label) && l.contains(&amount));
        let (n, _) = found.unwrap_or_else(|| panic!("{label} with {amount} missing after line {at} in:\n{text}"));
        at = n + 1;
    }
    assert!(totals.net_total < items, "the net total is after the discount");
}

#[test]
fn the_letter_addresses_its_reader() {
    let dir = tempfile::tempdir().unwrap();
    let q = quote(1, DisplayLocale::De);
    let text = text_of(dir.path(), "named.pdf", &q);
    assert!(text.contains("Guten Tag Anna Weiß, vielen Dank"), "{text}");
    assert!(text.contains("1.000 Stk.") && !text.contains(" pc "), "German units on a German quote: {text}");
    let acc = fixtures::account(ACCOUNT_ID);
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, None), &fixtures::pdf_options()).unwrap();
    let path = save(dir.path(), "nobody.pdf", &bytes);
    let text = tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Sehr geehrte Damen und Herren, vielen Dank"), "{text}");
    let en = text_of(dir.path(), "en.pdf", &quote(1, DisplayLocale::En));
    assert!(en.contains("Dear Anna Weiß, Thank you"), "{en}");

    // A known form of address: "Sehr geehrte Frau Weiß," and "z. Hd. Frau …".
    use onsite_core::account::Salutation;
    for (form, locale, dear, attn) in [
        (Salutation::Ms, DisplayLocale::De, "Sehr geehrte Frau Weiß, vielen Dank", "z. Hd. Frau Anna Weiß"),
        (Salutation::Mr, DisplayLocale::De, "Sehr geehrter Herr Weiß, vielen Dank", "z. Hd. Herrn Anna Weiß"),
        (Salutation::Ms, DisplayLocale::En, "Dear Ms Weiß, Thank you", "Attn. Ms Anna Weiß"),
        (Salutation::Mr, DisplayLocale::En, "Dear Mr Weiß, Thank you", "Attn. Mr Anna Weiß"),
    ] {
        let c = onsite_core::account::Contact { salutation: Some(form), ..fixtures::contact(CONTACT_ID, ACCOUNT_ID) };
        let q = quote(1, locale);
        let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &fixtures::pdf_options()).unwrap();
        let path = save(dir.path(), "formal.pdf", &bytes);
        let text = tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(dear) && text.contains(attn), "{form:?} {locale:?}: {text}");
    }
}

/// The text of one page of a PDF, words joined by single spaces.
fn page_text(path: &str, page: usize) -> String {
    let n = page.to_string();
    tool("pdftotext", &["-f", &n, "-l", &n, path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pdfinfo(path: &str, field: &str) -> String {
    let info = tool("pdfinfo", &[path]);
    let line = info.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap_or_default();
    line.split_once(':').map(|(_, v)| v.trim().to_string()).unwrap_or_default()
}

#[test]
fn the_published_company_is_the_sender_on_every_page_and_without_one_every_page_says_sample() {
    let dir = tempfile::tempdir().unwrap();
    let (acc, c) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
    let q = quote(200, DisplayLocale::De);
    let mut opts = fixtures::pdf_options();
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &opts).unwrap();
    let path = save(dir.path(), "profile.pdf", &bytes);
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let pages: usize = pdfinfo(&path, "Pages").parse().unwrap();
    assert!(pages >= 5, "{pages}");
    assert_eq!(pdfinfo(&path, "Author"), "Keller Befestigungstechnik GmbH");
    for n in 1..=pages {
        let text = page_text(&path, n);
        for needle in [
            "Keller Befestigungstechnik GmbH",
            "Sitz Nürnberg · Amtsgericht Nürnberg HRB 31337 · Geschäftsführung: Dr. Eva Roth, Jan Mertens · USt-IdNr. DE136695976",
            "Commerzbank Nürnberg · IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX",
            "Tel. +49 911 4711 0 · vertrieb@keller-befestigung.de",
        ] {
            assert!(text.contains(needle), "page {n}: {needle:?} missing in {text}");
        }
        assert!(!text.contains("MUSTER") && !text.contains("Muster"), "page {n} is no sample: {text}");
    }
    let first = page_text(&path, 1);
    assert!(first.contains("Gebietsleiter Nord"), "the rep's title: {first}");
    let last = page_text(&path, pages);
    assert!(last.contains("https://angebote.keller-befestigung.de/approve/q-42/"), "the profile's link base: {last}");
    assert_no_collisions(&path, "profile");

    // In English, with a board of five (the legal line over two lines).
    let mut company = fixtures::company_profile();
    company.legal_form = "AG".into();
    company.managing_directors = [
        "Dr. Eva Roth",
        "Jan Mertens",
        "Prof. Dr. Ing. Cornelia Hagedorn-Wittkamp",
        "Sven Öztürk",
        "Maria Łukasiewicz",
    ]
    .map(String::from)
    .to_vec();
    company.supervisory_board_chair = Some("Dr. h. c. Friedrich Baumgartner".into());
    opts.company = Some(company);
    opts.locale = Some(DisplayLocale::En);
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &opts).unwrap();
    let path = save(dir.path(), "board.pdf", &bytes);
    let text = page_text(&path, 2);
    for needle in [
        "Registered office Nürnberg",
        "Executive board: Dr. Eva Roth",
        "Maria Łukasiewicz",
        "Chair of the supervisory board: Dr. h. c. Friedrich Baumgartner",
        "VAT ID DE136695976",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in {text}");
    }
    assert_no_collisions(&path, "board");

    // No profile: every page says it is a sample.
    let sample = onsite_core::pdf::PdfOptions::dated(fixtures::document_date());
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &sample).unwrap();
    let path = save(dir.path(), "sample.pdf", &bytes);
    for n in 1..=pages {
        let text = page_text(&path, n);
        assert!(text.contains("MUSTER – kein Firmenprofil veröffentlicht"), "page {n}: {text}");
        assert!(!text.contains("Keller"), "page {n}");
    }
    assert_no_collisions(&path, "sample");
}

#[test]
fn published_unit_labels_win_over_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (acc, c) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
    let mut q = quote(2, DisplayLocale::De);
    q.edit(|q| q.lines[1].unit = "pair".into()).unwrap();
    let mut opts = fixtures::pdf_options();
    opts.unit_labels = vec![onsite_core::catalog::UnitLabel { unit: "pc".into(), de: "St.".into(), en: "ea".into() }];
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &opts).unwrap();
    let path = save(dir.path(), "units.pdf", &bytes);
    let text = tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("1.000 St.") && text.contains("1.001 Paar"), "{text}");
    assert!(!text.contains("Stk."), "the published label replaced the default: {text}");
}

/// A word and its box: (text, xMin, yMin, xMax, yMax).
type Word = (String, f32, f32, f32, f32);

/// The words pdftotext finds on each page, with the page's size.
fn pages_of_words(path: &str) -> Vec<((f32, f32), Vec<Word>)> {
    let html = tool("pdftotext", &["-bbox", path, "-"]);
    let attr = |w: &str, name: &str| -> f32 {
        let at = w.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        w[at..].split('"').next().unwrap().parse().unwrap()
    };
    let mut pages = Vec::new();
    for line in html.lines().map(str::trim_start) {
        if let Some(p) = line.strip_prefix("<page ") {
            pages.push(((attr(p, "width"), attr(p, "height")), Vec::new()));
        } else if let Some(w) = line.strip_prefix("<word ") {
            let text = w.split('>').nth(1).unwrap_or("").split('<').next().unwrap_or("").to_string();
            let word = (text, attr(w, "xMin"), attr(w, "yMin"), attr(w, "xMax"), attr(w, "yMax"));
            pages.last_mut().unwrap().1.push(word);
        }
    }
    pages
}

/// Asserts that no word of the PDF at `path` leaves its page and no two
/// words' boxes overlap (pdftotext's boxes).
fn assert_no_collisions(path: &str, what: &str) {
    let pages = pages_of_words(path);
    assert!(!pages.is_empty());
    for (n, ((width, height), words)) in pages.iter().enumerate() {
        for (text, x0, y0, x1, y1) in words {
            assert!(*x0 >= 0.0 && *y0 >= 0.0 && *x1 <= *width && *y1 <= *height, "{what}: {text:?} leaves page {n}");
        }
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                let x = a.3.min(b.3) - a.1.max(b.1);
                let y = a.4.min(b.4) - a.2.max(b.2);
                assert!(x <= 0.2 || y <= 0.5, "{what} page {n}: {:?} overlaps {:?}", a, b);
            }
        }
    }
}

#[test]
fn extreme_values_never_collide_or_leave_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let line = |sku: &str, name: &str, unit: &str, qty: i64, qty_scale: u32, price: i64, disc: i64| QuoteLine {
        name: name.into(),
        unit: unit.into(),
        discount_pct: Decimal::new(disc, 1),
        ..fixtures::line(sku, Decimal::new(qty, qty_scale), Decimal::new(price, 2))
    };
    let lines = vec![
        line("SKS-A2-000001", "Gewindestange DIN 976 M24, Edelstahl A4", "m", 999_999, 3, 99_999_999, 0),
        line(
            "GEW-LONG-SKU-0000000000002",
            "Donaudampfschifffahrtsgesellschaftskapitänsmützenhalterungsschraube",
            "Karton à 250 Stück",
            123_456,
            2,
            123_456,
            125,
        ),
        line("KG-5", "Schmierfett Hochtemperatur", "kg", 1_234_567, 3, 1_990, 0),
        line("CJK-3", "六角ボルト M8 ステンレス 鋼 — 六角穴付きボルト", "pair", 1_000, 0, 100_000_000, 50),
        line("DISC-4", "Schutzhandschuhe Nitril", "Paar", 5_000, 0, 2_455_103, 333),
    ];
    for locale in [DisplayLocale::De, DisplayLocale::En] {
        let mut q = fixtures::quote("q-extreme", lines.clone());
        q.edit(|q| {
            q.contact_id = Some(CONTACT_ID.into());
            q.locale = locale;
            q.header_discount_pct = Decimal::new(125, 1);
        })
        .unwrap();
        let path = save(dir.path(), &format!("extreme-{locale:?}.pdf"), &render(&q));
        assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
        assert_no_collisions(&path, &format!("{locale:?}"));
        let text = tool("pdftotext", &["-layout", &path, "-"]);
        let net =
            |i: usize| onsite_core::money::Money::new(q.totals().unwrap().line_nets[i], q.currency).format(locale);
        for i in 0..lines.len() {
            assert!(text.contains(&net(i)), "{locale:?}: line {i}'s net {} missing", net(i));
        }
    }
}

#[test]
fn a_zero_rated_quote_carries_its_legal_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut acc = fixtures::account(ACCOUNT_ID);
    acc.billing_address.country = "AT".into();
    acc.vat_id = Some("ATU13585627".into());
    let c = fixtures::contact(CONTACT_ID, ACCOUNT_ID);
    let mut q = quote(2, DisplayLocale::De);
    q.edit(|q| q.lines.iter_mut().for_each(|l| l.tax_rate_pct = Decimal::ZERO)).unwrap();
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &fixtures::pdf_options()).unwrap();
    let path = save(dir.path(), "at.pdf", &bytes);
    let text = tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Steuerfreie innergemeinschaftliche Lieferung"), "{text}");
    assert!(text.contains("USt-IdNr. des Kunden: ATU13585627"), "{text}");
    assert!(!text.contains("bestätigt"), "no confirmation recorded: {text}");
    // With the back office's confirmation of that VAT ID, it says so; one
    // for an earlier VAT ID is not printed.
    let confirmation = onsite_core::account::VatConfirmation {
        vat_id: "ATU 1358 5627".into(),
        confirmed_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
        reference: "WAPIAAAAZ1Vy3GQd".into(),
    };
    acc.vat_confirmation = Some(confirmation.clone());
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &fixtures::pdf_options()).unwrap();
    let path = save(dir.path(), "at-confirmed.pdf", &bytes);
    let text = tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("USt-IdNr. qualifiziert bestätigt am 12.11.2026 (Nr. WAPIAAAAZ1Vy3GQd)."), "{text}");
    acc.vat_confirmation = Some(onsite_core::account::VatConfirmation { vat_id: "ATU10223006".into(), ..confirmation });
    let bytes = render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &fixtures::pdf_options()).unwrap();
    let path = save(dir.path(), "at-stale.pdf", &bytes);
    let text = tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!text.contains("bestätigt"), "a confirmation of another VAT ID: {text}");
    // A domestic quote has none.
    let plain = text_of(dir.path(), "de.pdf", &quote(2, DisplayLocale::De));
    assert!(!plain.contains("Steuerfreie"), "{plain}");
}

#[test]
fn optional_and_alternative_positions_are_marked_and_left_out_of_the_totals() {
    use onsite_core::quote::Position;
    let dir = tempfile::tempdir().unwrap();
    let mut q = quote(4, DisplayLocale::De);
    q.edit(|q| {
        q.lines[1].position = Position::Optional;
        (q.lines[2].position, q.lines[2].chosen) = (Position::Alternative { group: "A".into() }, true);
        q.lines[3].position = Position::Alternative { group: "A".into() };
    })
    .unwrap();
    let totals = q.totals().unwrap();
    let money = |d: Decimal| onsite_core::money::Money::new(d, q.currency).format(DisplayLocale::De);
    let path = save(dir.path(), "positions.pdf", &render(&q));
    let text = tool("pdftotext", &["-layout", &path, "-"]);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Optionale Position – nicht in der Summe".to_string(),
        "Alternativposition A – gewählt".to_string(),
        "Alternativposition A – nicht in der Summe".to_string(),
        format!("({})", money(totals.line_nets[1])),
        format!("({})", money(totals.line_nets[3])),
        "Beträge in Klammern: optionale oder nicht gewählte Alternativpositionen".to_string(),
    ] {
        assert!(flat.contains(&needle), "{needle:?} missing in {flat}");
    }
    let counted = totals.line_nets[0] + totals.line_nets[2];
    let net_line = text.lines().find(|l| l.contains("Summe netto")).unwrap();
    assert!(net_line.contains(&money(counted)), "only what counts is summed: {net_line}");
    assert!(!flat.contains(&format!("({})", money(totals.line_nets[2]))), "the chosen alternative counts");
    assert_no_collisions(&path, "positions");
}

/// A store with a small catalog and the fixture account: a quote with a
/// standard, an optional (not chosen) and a reduced-rate line, sent,
/// approved on the customer's device and ordered.
fn ordered_quote(dir: &Path) -> (onsite_core::Store, onsite_core::quote::Quote, onsite_core::quote::Order) {
    use onsite_core::import::{Format, parse};
    use onsite_core::{Store, StoreOptions};
    let store = Store::open(dir.join("o.sqlite"), StoreOptions::default()).unwrap();
    let catalog = "sku;name;unit;list_price;tax_class\nSKS-M8;Sechskantschraube DIN 933 M8×40, verzinkt;pc;0,12;DE-STD\n\
                   HS-9;Schutzhandschuhe Nitril, Größe 9;pair;2,49;DE-STD\nBUCH;Handbuch Befestigungstechnik;pc;49,90;DE-RED\n";
    store.import_catalog(parse(catalog.as_bytes(), Format::Csv), &mut |_| {}).unwrap();
    store.set_company_profile(&fixtures::company_profile()).unwrap();
    let acc = fixtures::account(ACCOUNT_ID);
    store.save_account_with_contacts(&acc, &[fixtures::contact(CONTACT_ID, ACCOUNT_ID)]).unwrap();
    let today = fixtures::document_date();
    let q = store
        .create_quote(&acc.id, Some(CONTACT_ID.into()), "rep-1", DisplayLocale::De, today + chrono::Days::new(20))
        .unwrap();
    for (sku, qty) in [("SKS-M8", 1000), ("HS-9", 50), ("BUCH", 1)] {
        store.add_quote_line(&q.id, sku, Decimal::new(qty, 0), Decimal::ZERO, today).unwrap();
    }
    let optional = onsite_core::quote::PositionChange {
        index: 1,
        position: onsite_core::quote::Position::Optional,
        chosen: false,
    };
    store.set_quote_positions(&q.id, &[optional]).unwrap();
    let q = store.send_quote(&q.id, today).unwrap();
    let approval = onsite_core::quote::Approval {
        auth: onsite_core::quote::SignerAuth::CustomerDevice,
        ..fixtures::approval(&q, "Anna Weiß", "phone-1", fixtures::now())
    };
    let q = store.approve_quote(&q.id, approval, today).unwrap();
    let order = store.order_quote(&q.id, fixtures::now()).unwrap();
    (store, q, order)
}

#[test]
fn an_order_confirmation_prints_the_approved_revision_and_only_that() {
    let dir = tempfile::tempdir().unwrap();
    let (store, q, order) = ordered_quote(dir.path());
    let q = store.quote(&q.id).unwrap();
    let bytes =
        store.render_order_confirmation_pdf(&order.id, RepContact::default(), &fixtures::pdf_options()).unwrap();
    let path = save(dir.path(), "confirmation.pdf", &bytes);
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    assert_eq!(pdfinfo(&path, "Title"), format!("Auftragsbestätigung {}", q.number));
    let text = tool("pdftotext", &[&path, "-"]).split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Auftragsbestätigung".to_string(),
        format!("zu Angebot {} · Revision {}", q.number, q.revision),
        "Wir bestätigen ihn mit folgendem Inhalt".to_string(),
        "Freigegeben von Anna Weiß (Einkauf)".to_string(),
        "auf dem Gerät des Kunden".to_string(),
        format!("SHA-256 {}", q.revision_hash),
    ] {
        assert!(text.contains(&needle), "{needle:?} missing in {text}");
    }
    assert!(!text.contains("HS-9") && !text.contains("Optionale"), "the optional item was not ordered: {text}");
    assert!(!text.contains("Online freigeben") && !text.contains("Unterschrift"), "nothing to approve: {text}");
    let gross = onsite_core::money::Money::new(order.gross_total, order.currency).format(DisplayLocale::De);
    let layout = tool("pdftotext", &["-layout", &path, "-"]);
    let line = layout.lines().find(|l| l.contains("Gesamtbetrag")).unwrap_or_default();
    assert!(line.contains(&gross), "the order's total {gross}: {line}");
    assert_no_collisions(&path, "confirmation");
    let fonts = tool("pdffonts", &[&path]);
    assert_eq!(
        fonts.lines().skip(2).filter(|r| r.contains("DejaVuSans") && r.contains(" yes yes yes ")).count(),
        2,
        "{fonts}"
    );

    // Content nobody approved gets no confirmation.
    let (acc, c) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
    let ctx = fixtures::quote_context(&acc, Some(&c));
    let mut forged = order.clone();
    forged.lines[0].qty = Decimal::new(5000, 0);
    let err = onsite_core::pdf::render_order_confirmation(&q, &forged, &ctx, &fixtures::pdf_options()).unwrap_err();
    assert!(err.to_string().contains("differs from the approved quote"), "{err}");
    let mut edited = q.clone();
    edited.lines[0].qty = Decimal::new(5000, 0);
    let err = onsite_core::pdf::render_order_confirmation(&edited, &order, &ctx, &fixtures::pdf_options()).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

/// Renders the documents a reader looks at and leaves their pages as PNG in
/// `target/test-artefacts/` (pdftoppm): de and en quotes of one page and of
/// 200 lines, the datasheet, the order confirmation, and a sample.
#[test]
fn documents_are_left_as_png_pages_to_look_at() {
    let dir = tempfile::tempdir().unwrap();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artefacts/pdf");
    std::fs::create_dir_all(&out).unwrap();
    let (acc, c) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
    let mut docs: Vec<(String, Vec<u8>)> = Vec::new();
    for (locale, tag) in [(DisplayLocale::De, "de"), (DisplayLocale::En, "en")] {
        for lines in [3, 200] {
            let mut q = quote(lines, locale);
            if lines > 3 {
                q.edit(|q| q.lines[1].position = onsite_core::quote::Position::Optional).unwrap();
            }
            let mut opts = fixtures::pdf_options();
            opts.locale = Some(locale);
            docs.push((
                format!("quote-{tag}-{lines}"),
                render_quote(&q, &fixtures::quote_context(&acc, Some(&c)), &opts).unwrap(),
            ));
        }
    }
    let sample = onsite_core::pdf::PdfOptions::dated(fixtures::document_date());
    docs.push((
        "quote-sample".into(),
        render_quote(&quote(3, DisplayLocale::De), &fixtures::quote_context(&acc, Some(&c)), &sample).unwrap(),
    ));
    let (store, _, order) = ordered_quote(dir.path());
    docs.push((
        "order-confirmation".into(),
        store.render_order_confirmation_pdf(&order.id, RepContact::default(), &fixtures::pdf_options()).unwrap(),
    ));
    store.save_account(&onsite_core::account::Account { customer_group: None, ..acc.clone() }).unwrap();
    let sheet = store
        .render_datasheet_pdf(
            "SKS-M8",
            &acc.id,
            fixtures::rep(),
            Some(&image(image::ImageFormat::Png)),
            &fixtures::pdf_options(),
        )
        .unwrap();
    docs.push(("datasheet".into(), sheet));
    for (name, bytes) in &docs {
        let path = save(&out, &format!("{name}.pdf"), bytes);
        let pages: usize = pdfinfo(&path, "Pages").parse().unwrap();
        let prefix = out.join(name);
        let old_pages = |e: &std::fs::DirEntry| {
            let f = e.file_name().to_string_lossy().into_owned();
            f.starts_with(&format!("{name}-")) && f.ends_with(".png")
        };
        for e in std::fs::read_dir(&out).unwrap().filter_map(|e| e.ok()).filter(old_pages) {
            std::fs::remove_file(e.path()).unwrap();
        }
        tool("pdftoppm", &["-png", "-r", "60", &path, prefix.to_str().unwrap()]);
        let pngs = std::fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                let f = e.file_name().to_string_lossy().into_owned();
                f.starts_with(&format!("{name}-")) && f.ends_with(".png")
            })
            .count();
        assert_eq!(pngs, pages, "{name}: one PNG per page");
    }
}

/// The structure tree as pdfinfo prints it with its text.
fn structure_text(path: &str) -> String {
    tool("pdfinfo", &["-struct-text", path])
}

#[test]
fn quotes_and_datasheets_are_tagged_in_reading_order_with_table_headers() {
    let dir = tempfile::tempdir().unwrap();
    let q = quote(30, DisplayLocale::De);
    let path = save(dir.path(), "tagged.pdf", &render(&q));
    assert_eq!(pdfinfo(&path, "Tagged"), "yes");
    let tree = structure_text(&path);
    // Reading order: sender, recipient, title, letter, table, totals, terms, approval.
    let at = |needle: &str| tree.find(needle).unwrap_or_else(|| panic!("{needle:?} missing in:\n{tree}"));
    let order = [
        "\"Keller Befestigungstechnik GmbH\"",
        "\"Müller Maschinenbau GmbH & Co. KG\"",
        &format!("H1 (block)\n    \"Angebot {}\"", q.number),
        "\"Guten Tag Anna Weiß,\"",
        "Table (block)",
        "\"Summe netto\"",
        "\"Zahlungsbedingungen\"",
        "\"Online freigeben: QR-Code scannen oder Link öffnen\"",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{:?} is read after {:?}", pair[0], pair[1]);
    }
    // One header row of seven column headers, then a row of seven cells per line.
    let headers: Vec<&str> = tree.lines().filter(|l| l.trim() == "TH:").collect();
    assert_eq!(headers.len(), 7, "the header is tagged once, its repeats are artifacts:\n{tree}");
    assert!(tree.contains("/Scope /Column"));
    for h in ["\"Pos.\"", "\"Menge\"", "\"Einzelpreis\"", "\"Netto\""] {
        assert!(tree.contains(h), "{h}");
    }
    let rows = tree.lines().filter(|l| l.trim() == "TR").count();
    let cells = tree.lines().filter(|l| l.trim() == "TD").count();
    assert_eq!((rows, cells), (31, 30 * 7), "{tree}");
    // Page furniture is not read: the footer's legal line and page numbers.
    assert!(!tree.contains("Amtsgericht") && !tree.contains("Seite 1"), "{tree}");
    assert!(tool("pdftotext", &[&path, "-"]).contains("Amtsgericht"), "but it is printed");

    // The datasheet: the product as the heading, its specifications as a table.
    let dir2 = tempfile::tempdir().unwrap();
    let (store, _, _) = ordered_quote(dir2.path());
    let bytes =
        store.render_datasheet_pdf("SKS-M8", ACCOUNT_ID, fixtures::rep(), None, &fixtures::pdf_options()).unwrap();
    let path = save(dir.path(), "sheet.pdf", &bytes);
    assert_eq!(pdfinfo(&path, "Tagged"), "yes");
    let tree = structure_text(&path);
    assert!(tree.contains("H1 (block)\n    \"Sechskantschraube DIN 933\"\n    \"M8×40, verzinkt\""), "{tree}");
    assert!(
        tree.contains("\"Ihr Ansprechpartner\"") && tree.contains("\"Jürgen Groß · Gebietsleiter Nord\""),
        "{tree}"
    );
    assert!(!tree.contains("Amtsgericht"), "{tree}");
    assert!(tool("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors"));
    let fonts = tool("pdffonts", &[&path]);
    assert_eq!(
        fonts.lines().skip(2).filter(|r| r.contains("DejaVuSans") && r.contains(" yes yes yes ")).count(),
        2,
        "{fonts}"
    );
}
