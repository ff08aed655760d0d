//! The product datasheet for one customer: image, name, SKU, description,
//! the specification table, this customer's price with its quantity tiers
//! and validity, the value arguments for the product, and the rep.

use rust_decimal::Decimal;

use super::canvas::{Canvas, INK, MUTED, PAGE_H, RULE, SHADE, mm};
use super::fonts::{Weight, fit, wrap};
use super::labels::{date, labels};
use super::structure::{ElemId, Structure};
use super::{DocBuilder, PdfError, PdfOptions};
use crate::catalog::{ContentItem, Product};
use crate::money::{DisplayLocale, Money, format_decimal};
use crate::pdf::RepContact;

const LEFT: f32 = 56.69;
const RIGHT: f32 = 595.28 - 56.69;

/// One price step for the customer: from `min_qty` units, `unit_price` each.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PriceStep {
    /// From this quantity on.
    pub min_qty: Decimal,
    /// Price per unit.
    pub unit_price: Decimal,
}

/// What a datasheet shows about the customer's price.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CustomerPrice {
    /// The customer's name.
    pub customer: String,
    /// Price steps, by quantity (one step: a single price).
    pub steps: Vec<PriceStep>,
    /// First day the price holds, if limited.
    pub valid_from: Option<chrono::NaiveDate>,
    /// Last day the price holds, if limited.
    pub valid_to: Option<chrono::NaiveDate>,
}

/// Everything a datasheet shows besides the product.
#[derive(Debug, Clone)]
pub struct DatasheetContext<'a> {
    /// The customer's price.
    pub price: CustomerPrice,
    /// The value arguments linked to the product.
    pub content: &'a [ContentItem],
    /// The rep.
    pub rep: RepContact,
    /// The product image as PNG or JPEG; `None` prints a placeholder box.
    pub image: Option<&'a [u8]>,
}

/// A new structure element of `role` under `parent`: the canvas's text
/// belongs to it from now on.
fn tag(c: &mut Canvas, st: &mut Structure, parent: ElemId, role: &'static str) -> ElemId {
    let e = st.add(parent, role);
    c.target = Some((e, role));
    e
}

/// Renders the datasheet.
pub(super) fn render(p: &Product, ctx: &DatasheetContext<'_>, opts: &PdfOptions) -> Result<Vec<u8>, PdfError> {
    let locale = opts.locale.unwrap_or(DisplayLocale::De);
    let l = labels(locale);
    let mut b = DocBuilder::new(&format!("{} {}", l.datasheet, p.sku), opts.document_date, &p.sku)?;
    let lh = opts.sender(locale);
    let accent = lh.accent();
    b.author = lh.company.clone();
    let logo = match &lh.logo {
        Some(bytes) => Some(b.image(bytes, "logo")?),
        None => None,
    };
    let image = match ctx.image {
        Some(bytes) => Some(b.image(bytes, "product")?),
        None => None,
    };
    let f = &b.fonts;
    let mut c = Canvas::default();
    let money = |d: Decimal| Money::new(d, p.list_price.currency).format(locale);
    // The structure (tagged PDF): text drawn after `tag` belongs to the new
    // element, in reading order.
    let mut st = Structure::new(if locale == DisplayLocale::De { "de-DE" } else { "en-US" });

    // Letterhead.
    let room = RIGHT - LEFT - if logo.is_some() { mm(46.0) + 12.0 } else { 0.0 };
    // A sample says so first (drawn at the top, read first).
    let sample = lh.sample.then(|| st.add(0, "P"));
    tag(&mut c, &mut st, 0, "P");
    c.text(f, Weight::Bold, 15.0, LEFT, 62.0, &fit(&f.bold.1, &lh.company, 15.0, room), accent);
    tag(&mut c, &mut st, 0, "P");
    c.text(f, Weight::Regular, 7.6, LEFT, 75.0, &fit(&f.regular.1, &lh.address, 7.6, room), MUTED);
    c.target = None;
    if let Some((id, px)) = &logo {
        let scale = (mm(46.0) / px.0.max(1) as f32).min(mm(20.0) / px.1.max(1) as f32);
        let (w, h) = (px.0 as f32 * scale, px.1 as f32 * scale);
        c.image(id, *px, RIGHT - w, 36.0, w, h);
    }
    c.line(LEFT, 83.0, RIGHT, 83.0, 0.6, accent);
    tag(&mut c, &mut st, 0, "P");
    c.text(
        f,
        Weight::Regular,
        8.0,
        LEFT,
        104.0,
        &format!("{} · {}", l.datasheet, date(opts.document_date, locale)),
        MUTED,
    );

    // Image (or placeholder) on the left, name and price on the right.
    let (ix, iy, iw) = (LEFT, 118.0, 190.0);
    match &image {
        Some((id, px)) => {
            let scale = (iw / px.0.max(1) as f32).min(iw / px.1.max(1) as f32);
            let (w, h) = (px.0 as f32 * scale, px.1 as f32 * scale);
            c.image(id, *px, ix + (iw - w) / 2.0, iy + (iw - h) / 2.0, w, h);
        }
        None => {
            c.target = None;
            c.rect(ix, iy, iw, iw, SHADE);
            let label = if locale == DisplayLocale::De { "Abbildung folgt" } else { "Image to follow" };
            c.text_right(
                f,
                Weight::Regular,
                8.0,
                ix + iw / 2.0 + f.width(Weight::Regular, label, 8.0) / 2.0,
                iy + iw / 2.0,
                label,
                MUTED,
            );
        }
    }
    let x = LEFT + 214.0;
    let mut y = 130.0;
    tag(&mut c, &mut st, 0, "H1");
    for line in wrap(&f.bold.1, &p.name, 14.0, RIGHT - x) {
        c.text(f, Weight::Bold, 14.0, x, y, &line, INK);
        y += 17.0;
    }
    tag(&mut c, &mut st, 0, "P");
    c.text(f, Weight::Regular, 8.6, x, y, &format!("{} {}", l.sku, p.sku), MUTED);
    y += 24.0;
    tag(&mut c, &mut st, 0, "P");
    c.text(f, Weight::Bold, 9.0, x, y, &format!("{} · {}", l.your_price, ctx.price.customer), accent);
    y += 15.0;
    let unit = crate::catalog::unit_label(&opts.unit_labels, &p.unit, locale);
    let prices = st.add(0, "Table");
    for s in &ctx.price.steps {
        let qty = format_decimal(s.min_qty.normalize(), s.min_qty.normalize().scale(), locale);
        let left = if ctx.price.steps.len() > 1 { format!("{} {qty} {unit}", l.from_qty) } else { format!("1 {unit}") };
        let tr = st.add(prices, "TR");
        tag(&mut c, &mut st, tr, "TD");
        c.text(f, Weight::Regular, 10.0, x, y, &left, INK);
        tag(&mut c, &mut st, tr, "TD");
        c.text_right(f, Weight::Bold, 10.0, RIGHT, y, &money(s.unit_price), INK);
        y += 14.0;
    }
    tag(&mut c, &mut st, 0, "P");
    let validity = match (ctx.price.valid_from, ctx.price.valid_to) {
        (Some(a), Some(b)) => Some(format!("{} {} – {}", l.price_valid, date(a, locale), date(b, locale))),
        (None, Some(b)) => Some(format!("{} {} {}", l.price_valid, l.valid_until.to_lowercase(), date(b, locale))),
        _ => None,
    };
    if let Some(v) = validity {
        c.text(f, Weight::Regular, 7.8, x, y, &v, MUTED);
        y += 12.0;
    }
    let net = if locale == DisplayLocale::De { "netto zzgl. USt." } else { "net, plus VAT" };
    c.text(f, Weight::Regular, 7.8, x, y, &format!("{} {} · {net}", l.list_price, money(p.list_price.amount)), MUTED);

    // Description and specifications.
    let mut y = iy + iw + 28.0;
    // The datasheet is one page: a description too long for half of it
    // (descriptions may have 20,000 characters) ends with "…" instead of
    // running over the specifications and the footer.
    let mut description = wrap(&f.regular.1, &p.description, 9.0, RIGHT - LEFT);
    let max_lines = ((PAGE_H - 150.0 - 120.0 - y) / 12.5) as usize;
    if description.len() > max_lines {
        description.truncate(max_lines);
        if let Some(last) = description.last_mut() {
            *last = fit(&f.regular.1, &format!("{last} …"), 9.0, RIGHT - LEFT);
        }
    }
    tag(&mut c, &mut st, 0, "P");
    for line in description {
        c.text(f, Weight::Regular, 9.0, LEFT, y, &line, INK);
        y += 12.5;
    }
    y += 10.0;
    tag(&mut c, &mut st, 0, "H2");
    c.text(f, Weight::Bold, 10.0, LEFT, y, l.specifications, accent);
    y += 8.0;
    let specs = st.add(0, "Table");
    for (i, a) in p.attributes.iter().enumerate() {
        if y > PAGE_H - 150.0 {
            break;
        }
        if i % 2 == 0 {
            c.rect(LEFT, y, RIGHT - LEFT, 16.0, SHADE);
        }
        let tr = st.add(specs, "TR");
        let th = tag(&mut c, &mut st, tr, "TH");
        st.heads_row(th);
        c.text(f, Weight::Regular, 8.8, LEFT + 6.0, y + 11.5, &fit(&f.regular.1, &a.key, 8.8, 160.0), MUTED);
        tag(&mut c, &mut st, tr, "TD");
        c.text(
            f,
            Weight::Regular,
            8.8,
            LEFT + 170.0,
            y + 11.5,
            &fit(&f.regular.1, &a.value, 8.8, RIGHT - LEFT - 176.0),
            INK,
        );
        y += 16.0;
    }
    c.line(LEFT, y, RIGHT, y, 0.3, RULE);
    y += 24.0;

    // Value arguments and the rep.
    if !ctx.content.is_empty() && y < PAGE_H - 150.0 {
        tag(&mut c, &mut st, 0, "H2");
        c.text(f, Weight::Bold, 10.0, LEFT, y, l.value_arguments, accent);
        y += 14.0;
        let list = st.add(0, "L");
        for item in ctx.content.iter().take(4) {
            // The rep's block starts at PAGE_H − 116: an item that would
            // run into it is left out.
            if y + 12.0 + 22.0 > PAGE_H - 130.0 {
                break;
            }
            tag(&mut c, &mut st, list, "LI");
            c.text(f, Weight::Bold, 8.8, LEFT, y, &format!("• {}", item.title), INK);
            y += 12.0;
            for line in wrap(&f.regular.1, &item.summary, 8.4, RIGHT - LEFT - 10.0).iter().take(2) {
                c.text(f, Weight::Regular, 8.4, LEFT + 9.0, y, line, MUTED);
                y += 11.0;
            }
            y += 4.0;
        }
    }
    // The rep (with their title), or the company's own contact line.
    let ry = PAGE_H - 116.0;
    tag(&mut c, &mut st, 0, "H2");
    c.text(f, Weight::Bold, 9.0, LEFT, ry, l.your_contact, accent);
    tag(&mut c, &mut st, 0, "P");
    let rep_lines: Vec<String> = if ctx.rep.name.trim().is_empty() {
        vec![lh.company.clone(), lh.contact_line.clone()]
    } else {
        let reach: Vec<&str> =
            [ctx.rep.phone.as_str(), ctx.rep.email.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
        let mut v = vec![match &ctx.rep.title {
            Some(t) => format!("{} · {t}", ctx.rep.name),
            None => ctx.rep.name.clone(),
        }];
        v.push(reach.join(" · "));
        v
    };
    for (k, line) in rep_lines.iter().enumerate() {
        c.text(
            f,
            Weight::Regular,
            8.8,
            LEFT,
            ry + 13.0 + k as f32 * 12.0,
            &fit(&f.regular.1, line, 8.8, RIGHT - LEFT),
            INK,
        );
    }

    // Footer: the sender, the legal line whole, the bank (page furniture).
    c.target = None;
    let mut lines = vec![fit(&f.regular.1, &format!("{} · {}", lh.company, lh.contact_line), 6.6, RIGHT - LEFT)];
    lines.extend(wrap(&f.regular.1, &lh.legal_line, 6.6, RIGHT - LEFT).into_iter().take(2));
    if !lh.bank_line.is_empty() {
        lines.push(fit(&f.regular.1, &lh.bank_line, 6.6, RIGHT - LEFT));
    }
    let fy = PAGE_H - 20.0 - 8.4 * lines.len() as f32;
    c.line(LEFT, fy, RIGHT, fy, 0.4, RULE);
    for (k, line) in lines.iter().enumerate() {
        c.text(f, Weight::Regular, 6.6, LEFT, fy + 10.0 + k as f32 * 8.4, line, MUTED);
    }
    if let Some(e) = sample {
        c.target = Some((e, "P"));
        c.text(f, Weight::Bold, 8.0, LEFT, 24.0, l.sample_notice, super::canvas::WARN);
    }
    Ok(b.finish(vec![c], Some(st)))
}
