//! The quote document: letterhead, addresses, the line table flowing over
//! pages with its header repeated, totals per tax rate, terms, value
//! arguments, the approval QR code and block, and "page x of y" with the
//! revision hash on every page.

use rust_decimal::Decimal;

use super::canvas::{Canvas, Fonts, INK, MUTED, PAGE_H, PAGE_W, RULE, SHADE, mm};
use super::fonts::{Weight, fit, wrap};
use super::labels::{Labels, date, labels};
use super::structure::{ElemId, Structure};
use super::{DocBuilder, Letterhead, PdfError, PdfOptions, QuoteContext};
use crate::account::Salutation;
use crate::money::{DisplayLocale, Money, format_decimal};
use crate::quote::{PrintableApproval, Quote, SignerAuth};

const LEFT: f32 = 56.69; // 20 mm
const RIGHT: f32 = PAGE_W - 56.69;
const BOTTOM: f32 = PAGE_H - 82.0; // content ends above the footer
/// Where the footer's rule is.
const FOOTER: f32 = PAGE_H - 70.0;
const ROW: f32 = 11.0; // line height of table text
const BODY: f32 = 8.6;
/// The height a continuation page has for content, below its title.
const PAGE_ROOM: f32 = BOTTOM - 82.0;

/// The approval link a quote's QR code encodes.
pub fn quote_link(base: &str, quote: &Quote) -> String {
    format!(
        "{}/approve/{}/{}",
        base.trim_end_matches('/'),
        quote.id,
        quote.revision_hash.get(..16).unwrap_or(&quote.revision_hash)
    )
}

/// Table columns in points: left edges of the text columns, right edges
/// of the figures, laid out from the measured widths of what they hold.
#[derive(Debug, Clone, Copy)]
struct Cols {
    pos: f32,
    sku: f32,
    desc: (f32, f32),
    qty: f32,
    /// The quantity column's width (its texts are fitted into it).
    qty_w: f32,
    price: f32,
    disc: f32,
    net: f32,
}

/// Space between two columns.
const GAP: f32 = 10.0;
/// The widest a quantity with its unit may be; a longer one is shortened.
const MAX_QTY_W: f32 = 90.0;
/// The narrowest the description may get before the SKU column gives way.
const MIN_DESC_W: f32 = 90.0;
/// The narrowest the SKU column may get.
const MIN_SKU_W: f32 = 50.0;

/// The quantity with its unit, as the table prints it.
fn qty_text(d: &Doc<'_>, line: &crate::quote::QuoteLine) -> String {
    format!("{} {}", d.number(line.qty), crate::catalog::unit_label(d.units, &line.unit, d.locale))
}

/// A line's net as printed: in parentheses when it does not count (an
/// optional or alternative position not chosen).
fn net_text(d: &Doc<'_>, line: &crate::quote::QuoteLine, net: Decimal) -> String {
    if line.counts() { d.money(net) } else { format!("({})", d.money(net)) }
}

/// What a line that is not a standard position says under its name.
fn position_text(l: &Labels, line: &crate::quote::QuoteLine) -> Option<String> {
    let state = if line.chosen { l.chosen } else { l.not_in_total };
    match &line.position {
        crate::quote::Position::Standard => None,
        crate::quote::Position::Optional => Some(format!("{} – {state}", l.optional)),
        crate::quote::Position::Alternative { group } => Some(format!("{} {group} – {state}", l.alternative)),
    }
}

impl Cols {
    /// The columns for `q`'s lines: each figure column as wide as its
    /// widest text or its header, right-aligned from the right margin with
    /// a gap between; the description takes what is left (the SKU column
    /// narrows before it gets too narrow).
    fn measure(d: &Doc<'_>, q: &Quote, nets: &[Decimal]) -> Cols {
        let body = |t: &str| d.fonts.width(Weight::Regular, t, BODY);
        let head = |t: &str| d.fonts.width(Weight::Bold, t, 7.8);
        let l = d.l;
        let (mut qty_w, mut price_w, mut disc_w, mut net_w) =
            (head(l.qty), head(l.unit_price), head(l.discount), head(l.net));
        for (line, net) in q.lines.iter().zip(nets) {
            qty_w = qty_w.max(body(&qty_text(d, line)));
            price_w = price_w.max(body(&d.money(line.unit_price)));
            if !line.discount_pct.is_zero() {
                disc_w = disc_w.max(body(&format!("{} %", d.number(line.discount_pct))));
            }
            net_w = net_w.max(body(&net_text(d, line, *net)));
        }
        let qty_w = qty_w.min(MAX_QTY_W);
        let net = RIGHT;
        let disc = net - net_w - GAP;
        let price = disc - disc_w - GAP;
        let qty = price - price_w - GAP;
        let desc_end = qty - qty_w - GAP;
        let sku = LEFT + 26.0;
        let desc_start = (LEFT + 104.0).min(desc_end - MIN_DESC_W).max(sku + MIN_SKU_W);
        Cols { pos: LEFT, sku, desc: (desc_start, desc_end), qty, qty_w, price, disc, net }
    }
}

struct Doc<'a> {
    fonts: &'a Fonts,
    l: &'static Labels,
    locale: DisplayLocale,
    pages: Vec<Canvas>,
    y: f32,
    quote: &'a Quote,
    cols: Cols,
    /// The sender's accent colour.
    accent: (f32, f32, f32),
    /// The published unit labels.
    units: &'a [crate::catalog::UnitLabel],
    /// "Angebot" or "Auftragsbestätigung", on continuation pages.
    doc_name: &'static str,
    /// The document's structure (tagged PDF), built while drawing.
    structure: Structure,
    /// The element that holds the next elements (the document, a table, a row).
    container: ElemId,
    /// The element text drawn now belongs to; `None`: an artifact.
    tag: Option<(ElemId, &'static str)>,
    /// The table (its header row is tagged once; repeats are artifacts).
    table: Option<ElemId>,
}

impl Doc<'_> {
    fn page(&mut self) -> &mut Canvas {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn money(&self, d: Decimal) -> String {
        Money::new(d, self.quote.currency).format(self.locale)
    }

    fn number(&self, d: Decimal) -> String {
        let d = d.normalize();
        format_decimal(d, d.scale(), self.locale)
    }

    fn text(&mut self, w: Weight, size: f32, x: f32, text: &str, c: (f32, f32, f32)) {
        let (fonts, y, tag) = (self.fonts, self.y, self.tag);
        let page = self.page();
        page.target = tag;
        page.text(fonts, w, size, x, y, text, c);
    }

    fn right(&mut self, w: Weight, size: f32, x: f32, text: &str, c: (f32, f32, f32)) {
        let (fonts, y, tag) = (self.fonts, self.y, self.tag);
        let page = self.page();
        page.target = tag;
        page.text_right(fonts, w, size, x, y, text, c);
    }

    /// A new element of `role` in the current container: text drawn from
    /// now on belongs to it (reading order is the order of creation).
    fn leaf(&mut self, role: &'static str) -> ElemId {
        let e = self.structure.add(self.container, role);
        self.tag = Some((e, role));
        e
    }

    /// Opens a container element (a table, a row, a list) in the current
    /// one; returns the container to go back to.
    fn open(&mut self, role: &'static str) -> ElemId {
        let e = self.structure.add(self.container, role);
        std::mem::replace(&mut self.container, e)
    }

    fn close(&mut self, back_to: ElemId) {
        self.container = back_to;
        self.tag = None;
    }

    /// Starts a new page if `needed` points do not fit; returns whether it did.
    fn ensure(&mut self, needed: f32) -> bool {
        if self.y + needed <= BOTTOM {
            return false;
        }
        self.pages.push(Canvas::default());
        self.y = 60.0;
        let title = format!("{} {} · {} {}", self.doc_name, self.quote.number, self.l.revision, self.quote.revision);
        let (fonts, y) = (self.fonts, self.y);
        self.page().text(fonts, Weight::Bold, 10.0, LEFT, y, &title, INK);
        self.y += 22.0;
        true
    }

    /// The table's header row: tagged as the table's header cells the
    /// first time, an artifact when repeated on a following page.
    fn table_header(&mut self) {
        let y = self.y;
        self.page().rect(LEFT - 4.0, y - 11.0, RIGHT - LEFT + 8.0, 16.0, SHADE);
        let (l, c) = (self.l, self.cols);
        let (saved_tag, saved_container) = (self.tag, self.container);
        let first = self.table.is_none();
        if first {
            let table = self.structure.add(self.container, "Table");
            self.table = Some(table);
            self.container = self.structure.add(table, "TR");
        }
        let cell = |d: &mut Doc<'_>| {
            d.tag = if first { Some((d.structure.add(d.container, "TH"), "TH")) } else { None };
        };
        cell(self);
        self.text(Weight::Bold, 7.8, c.pos, l.pos, INK);
        let sku = fit(&self.fonts.bold.1, l.sku, 7.8, c.desc.0 - c.sku - 6.0);
        cell(self);
        self.text(Weight::Bold, 7.8, c.sku, &sku, INK);
        cell(self);
        self.text(Weight::Bold, 7.8, c.desc.0, l.description, INK);
        for (x, label) in [(c.qty, l.qty), (c.price, l.unit_price), (c.disc, l.discount), (c.net, l.net)] {
            cell(self);
            self.right(Weight::Bold, 7.8, x, label, INK);
        }
        (self.tag, self.container) = (saved_tag, saved_container);
        self.y += 16.0;
    }
}

fn letterhead(d: &mut Doc<'_>, lh: &Letterhead, logo: Option<&(super::canvas::XObjectId, (usize, usize))>) {
    d.y = 62.0;
    // Beside the logo's box, if there is one.
    let room = RIGHT - LEFT - if logo.is_some() { mm(46.0) + 12.0 } else { 0.0 };
    let accent = d.accent;
    d.leaf("P");
    d.text(Weight::Bold, 15.0, LEFT, &fit(&d.fonts.bold.1, &lh.company, 15.0, room), accent);
    d.y += 13.0;
    d.leaf("P");
    d.text(Weight::Regular, 7.6, LEFT, &fit(&d.fonts.regular.1, &lh.address, 7.6, room), MUTED);
    if let Some((id, px)) = logo {
        // Fit the logo into 46 × 20 mm at the top right, keeping its proportions.
        let (bw, bh) = (mm(46.0), mm(20.0));
        let scale = (bw / px.0.max(1) as f32).min(bh / px.1.max(1) as f32);
        let (w, h) = (px.0 as f32 * scale, px.1 as f32 * scale);
        d.page().image(id, *px, RIGHT - w, 36.0, w, h);
    }
    let y = d.y + 8.0;
    d.page().line(LEFT, y, RIGHT, y, 0.6, accent);
}

fn addresses(d: &mut Doc<'_>, ctx: &QuoteContext<'_>, lh: &Letterhead, opts: &PdfOptions) {
    let a = ctx.account;
    let top = 138.0;
    d.y = top;
    let sender = format!("{} · {}", lh.company, lh.address);
    let sender = d.fonts.regular.1.printable(&sender);
    let clipped: String = sender.chars().take(90).collect();
    d.leaf("P");
    d.text(Weight::Regular, 6.4, LEFT, &clipped, MUTED);
    d.y += 16.0;
    let name = match &a.legal_form {
        Some(f) => format!("{} {f}", a.name),
        None => a.name.clone(),
    };
    // The recipient's address, one paragraph.
    d.leaf("P");
    for line in wrap(&d.fonts.bold.1, &name, 10.0, 230.0) {
        d.text(Weight::Bold, 10.0, LEFT, &line, INK);
        d.y += 13.0;
    }
    if let Some(c) = ctx.contact {
        let prefix = if d.locale == DisplayLocale::De { "z. Hd." } else { "Attn." };
        let form = match c.salutation {
            Some(Salutation::Ms) => format!("{} ", d.l.ms),
            Some(Salutation::Mr) => format!("{} ", d.l.mr),
            None => String::new(),
        };
        let attn = fit(&d.fonts.regular.1, &format!("{prefix} {form}{}", c.full_name()), 9.5, 290.0);
        d.text(Weight::Regular, 9.5, LEFT, &attn, INK);
        d.y += 12.5;
    }
    let b = &a.billing_address;
    // The country only on letters abroad (DIN 5008), in capitals.
    let country = if b.country.is_empty() || b.country == opts.seller_country() {
        String::new()
    } else {
        super::labels::country_name(&b.country, d.locale).to_uppercase()
    };
    for line in [b.street.clone(), format!("{} {}", b.postal_code, b.city), country] {
        if !line.trim().is_empty() {
            d.text(Weight::Regular, 9.5, LEFT, &fit(&d.fonts.regular.1, &line, 9.5, 290.0), INK);
            d.y += 12.5;
        }
    }
    let address_end = d.y;

    // Facts on the right.
    let q = d.quote;
    let l = d.l;
    let x = LEFT + 300.0;
    let facts = [
        (l.number, q.number.clone()),
        (l.revision, q.revision.to_string()),
        (l.date, date(opts.document_date, d.locale)),
        (l.valid_until, date(q.valid_until, d.locale)),
        (l.contact, ctx.rep.name.clone()),
        ("", ctx.rep.title.clone().unwrap_or_default()),
        ("", ctx.rep.phone.clone()),
        ("", ctx.rep.email.clone()),
    ];
    d.y = top + 16.0;
    for (label, value) in facts {
        if value.is_empty() {
            continue;
        }
        d.leaf("P");
        d.text(Weight::Regular, 8.2, x, label, MUTED);
        let room = RIGHT - x - d.fonts.width(Weight::Regular, label, 8.2) - 8.0;
        d.right(Weight::Regular, 8.2, RIGHT, &fit(&d.fonts.regular.1, &value, 8.2, room), INK);
        d.y += 12.0;
    }
    d.y = d.y.max(address_end) + 26.0;
}

/// The letter's salutation: by the contact's form of address ("Sehr
/// geehrte Frau Strauß,", "Dear Mr Keller,"), neutrally by full name when
/// it is not known ("Guten Tag Kim Weiß,"), or to all without a contact.
fn salutation(contact: Option<&crate::account::Contact>, l: &Labels) -> String {
    let Some(c) = contact.filter(|c| !c.full_name().trim().is_empty()) else {
        return l.dear_all.to_string();
    };
    let last = c.last_name.trim();
    match c.salutation {
        Some(Salutation::Ms) if !last.is_empty() => format!("{} {last},", l.dear_ms),
        Some(Salutation::Mr) if !last.is_empty() => format!("{} {last},", l.dear_mr),
        _ => format!("{} {},", l.dear_named, c.full_name().trim()),
    }
}

/// Which document the quote layout prints.
enum Mode<'a> {
    /// The quote itself.
    Quote,
    /// The order confirmation of an approved quote: its ordered lines, the
    /// approved revision's hash and its approval record.
    Confirmation {
        /// The approved revision's hash.
        hash: String,
        /// The approval of exactly that revision.
        approval: &'a crate::quote::Approval,
        /// The day the order was placed.
        ordered_on: chrono::NaiveDate,
    },
}

/// Renders the quote.
pub(super) fn render(q: &Quote, ctx: &QuoteContext<'_>, opts: &PdfOptions) -> Result<Vec<u8>, PdfError> {
    render_as(q, ctx, opts, Mode::Quote)
}

/// Renders the order confirmation of `order`, placed from the approved
/// quote `q`: only for an approval of exactly the quote's content and an
/// order of exactly its lines that count.
pub(super) fn render_confirmation(
    q: &Quote,
    order: &crate::quote::Order,
    ctx: &QuoteContext<'_>,
    opts: &PdfOptions,
) -> Result<Vec<u8>, PdfError> {
    let PrintableApproval::Approved(approval) = q.printable_approval() else {
        return Err(PdfError::NotApproved(
            q.printable_approval().refusal().unwrap_or_else(|| "the quote has no approval".into()),
        ));
    };
    if order.quote_id.as_deref() != Some(q.id.as_str())
        || order.lines != q.ordered_lines()
        || order.header_discount_pct != q.header_discount_pct
        || order.currency != q.currency
    {
        return Err(PdfError::NotApproved("the order differs from the approved quote".into()));
    }
    let mut printed = q.clone();
    printed.lines = order.lines.clone();
    let mode = Mode::Confirmation { hash: q.compute_hash(), approval, ordered_on: order.created_at.date_naive() };
    render_as(&printed, ctx, opts, mode)
}

fn render_as(q: &Quote, ctx: &QuoteContext<'_>, opts: &PdfOptions, mode: Mode<'_>) -> Result<Vec<u8>, PdfError> {
    let totals = q.totals().map_err(|e| PdfError::Pricing(e.to_string()))?;
    let locale = opts.locale.unwrap_or(q.locale);
    let l = labels(locale);
    let confirmation = matches!(mode, Mode::Confirmation { .. });
    let doc_name = if confirmation { l.order_confirmation } else { l.quote };
    let title = format!("{doc_name} {}", q.number);
    // What is printed is what is hashed: the hash of this content, never the
    // one the quote carries (an edited or forged quote prints as such); an
    // order confirmation prints the approved revision's.
    let (hash, approval) = match &mode {
        Mode::Quote => (q.compute_hash(), q.printable_approval()),
        Mode::Confirmation { hash, approval, .. } => (hash.clone(), PrintableApproval::Approved(approval)),
    };
    let mut b = DocBuilder::new(&title, opts.document_date, &hash)?;
    let lh = opts.sender(locale);
    b.author = lh.company.clone();
    let logo = match &lh.logo {
        Some(bytes) => Some(b.image(bytes, "logo")?),
        None => None,
    };
    let placeholder =
        Cols { pos: 0.0, sku: 0.0, desc: (0.0, 0.0), qty: 0.0, qty_w: 0.0, price: 0.0, disc: 0.0, net: 0.0 };
    let mut d = Doc {
        fonts: &b.fonts,
        l,
        locale,
        pages: vec![Canvas::default()],
        y: 0.0,
        quote: q,
        cols: placeholder,
        accent: lh.accent(),
        units: &opts.unit_labels,
        doc_name,
        structure: Structure::new(if locale == DisplayLocale::De { "de-DE" } else { "en-US" }),
        container: 0,
        tag: None,
        table: None,
    };
    d.cols = Cols::measure(&d, q, &totals.line_nets);
    // A sample says so first (drawn at the top of every page, read once).
    let sample = lh.sample.then(|| d.structure.add(0, "P"));
    letterhead(&mut d, &lh, logo.as_ref());
    addresses(&mut d, ctx, &lh, opts);

    if let Mode::Confirmation { ordered_on, .. } = &mode {
        d.leaf("H1");
        d.text(Weight::Bold, 15.0, LEFT, l.order_confirmation, INK);
        d.y += 16.0;
        let of = format!(
            "{} {} · {} {} · {} {}",
            l.to_quote,
            q.number,
            l.revision,
            q.revision,
            l.ordered_on,
            date(*ordered_on, locale)
        );
        d.leaf("P");
        d.text(Weight::Regular, 9.0, LEFT, &fit(&d.fonts.regular.1, &of, 9.0, RIGHT - LEFT), INK);
        d.y += 18.0;
    } else {
        d.leaf("H1");
        d.text(Weight::Bold, 15.0, LEFT, &format!("{} {}", l.quote, q.number), INK);
        d.y += 18.0;
    }
    let dear = salutation(ctx.contact, l);
    let dear = fit(&d.fonts.regular.1, &dear, 9.0, RIGHT - LEFT);
    d.leaf("P");
    d.text(Weight::Regular, 9.0, LEFT, &dear, INK);
    d.y += 13.0;
    d.text(Weight::Regular, 9.0, LEFT, if confirmation { l.confirmation_intro } else { l.intro }, INK);
    d.tag = None;
    d.y += 22.0;
    d.table_header();

    // Lines: each row as tall as its wrapped description.
    let cols = d.cols;
    let desc_w = cols.desc.1 - cols.desc.0;
    for (i, (line, net)) in q.lines.iter().zip(&totals.line_nets).enumerate() {
        let mut name = wrap(&d.fonts.regular.1, &line.name, BODY, desc_w);
        let named = name.len();
        if let Some(t) = position_text(l, line) {
            name.extend(wrap(&d.fonts.regular.1, &t, BODY, desc_w));
        }
        let sku = wrap(&d.fonts.regular.1, &line.sku, 7.6, cols.desc.0 - cols.sku - 6.0);
        let rows = name.len().max(sku.len()).max(1);
        let height = rows as f32 * ROW + 5.0;
        // A row goes to the next page whole; one taller than a page (a name
        // or SKU far beyond the quote's limits) goes on over pages.
        if d.ensure(height.min(PAGE_ROOM - 16.0)) {
            d.table_header();
        }
        let top = d.y;
        // The row's cells in reading order: position, SKU, name, quantity,
        // unit price, discount, net (the figures are drawn first).
        let tr = d.structure.add(d.table.unwrap_or(0), "TR");
        let cells: Vec<(ElemId, &'static str)> = (0..7).map(|_| (d.structure.add(tr, "TD"), "TD")).collect();
        // The figures on the row's first line, then its lines.
        d.tag = Some(cells[0]);
        d.text(Weight::Regular, BODY, cols.pos, &(i + 1).to_string(), MUTED);
        let qty = fit(&d.fonts.regular.1, &qty_text(&d, line), BODY, cols.qty_w);
        d.tag = Some(cells[3]);
        d.right(Weight::Regular, BODY, cols.qty, &qty, INK);
        let price = d.money(line.unit_price);
        d.tag = Some(cells[4]);
        d.right(Weight::Regular, BODY, cols.price, &price, INK);
        if !line.discount_pct.is_zero() {
            let disc = format!("{} %", d.number(line.discount_pct));
            d.tag = Some(cells[5]);
            d.right(Weight::Regular, BODY, cols.disc, &disc, INK);
        }
        let net = net_text(&d, line, *net);
        d.tag = Some(cells[6]);
        d.right(Weight::Regular, BODY, cols.net, &net, if line.counts() { INK } else { MUTED });
        // Where row 0 would be on the current page.
        let mut base = top;
        for k in 0..rows {
            d.y = base + k as f32 * ROW;
            if k > 0 && d.ensure(ROW) {
                d.table_header();
                base = d.y - k as f32 * ROW;
            }
            if let Some(s) = sku.get(k) {
                d.tag = Some(cells[1]);
                d.text(Weight::Regular, 7.6, cols.sku, s, MUTED);
            }
            if let Some(n) = name.get(k) {
                d.tag = Some(cells[2]);
                let accent = d.accent;
                d.text(Weight::Regular, BODY, cols.desc.0, n, if k < named { INK } else { accent });
            }
        }
        d.tag = None;
        d.y = base + height;
        let y = d.y - 8.0;
        d.page().line(LEFT, y, RIGHT, y, 0.3, RULE);
    }

    // Positions that do not count, said once under the table.
    if q.lines.iter().any(|l| !l.counts()) {
        d.ensure(14.0);
        d.y += 2.0;
        d.leaf("P");
        d.text(Weight::Regular, 7.6, LEFT, l.positions_note, MUTED);
        d.y += 10.0;
    }

    // Totals: the items' net; with a header discount, the discount and the
    // net after it; the VAT per rate on that net; the gross total.
    let groups = totals.groups.len() as f32;
    let header_disc = !q.header_discount_pct.is_zero();
    d.ensure(40.0 + groups * 13.0 * if header_disc { 2.0 } else { 1.0 } + if header_disc { 26.0 } else { 0.0 });
    d.y += 10.0;
    let label_x = LEFT + 250.0;
    let lines_net: Decimal = totals.groups.iter().map(|g| g.net).sum();
    let row = |d: &mut Doc<'_>, label: &str, amount: String| {
        let room = RIGHT - label_x - d.fonts.width(Weight::Regular, &amount, 9.0) - 8.0;
        let label = fit(&d.fonts.regular.1, label, 9.0, room);
        d.leaf("P");
        d.text(Weight::Regular, 9.0, label_x, &label, INK);
        d.right(Weight::Regular, 9.0, RIGHT, &amount, INK);
        d.y += 13.0;
    };
    if header_disc {
        let s = d.money(lines_net);
        row(&mut d, l.lines_total, s);
        for g in &totals.groups {
            let text = if totals.groups.len() > 1 {
                format!(
                    "{} {} % ({} {} %)",
                    l.header_discount,
                    d.number(q.header_discount_pct),
                    l.vat,
                    d.number(g.rate_pct)
                )
            } else {
                format!("{} {} %", l.header_discount, d.number(q.header_discount_pct))
            };
            let s = format!("−{}", d.money(g.discount));
            row(&mut d, &text, s);
        }
    }
    let s = d.money(totals.net_total);
    row(&mut d, l.net_total, s);
    for g in &totals.groups {
        let text = format!("{} {} % {} {}", l.vat, d.number(g.rate_pct), l.on, d.money(g.net_after_discount));
        let s = d.money(g.tax);
        row(&mut d, &text, s);
    }
    let y = d.y - 6.0;
    d.page().line(label_x, y, RIGHT, y, 0.8, INK);
    d.y += 8.0;
    d.leaf("P");
    d.text(Weight::Bold, 10.5, label_x, l.gross_total, INK);
    let s = d.money(totals.gross_total);
    d.right(Weight::Bold, 10.5, RIGHT, &s, INK);
    d.y += 18.0;
    // The legal note of a zero-rated supply (ADR 25): only when every line
    // is zero-rated, as the customer's treatment makes them.
    let treatment = crate::vat::treatment(opts.seller_country(), ctx.account);
    if q.lines.iter().all(|l| l.tax_rate_pct.is_zero())
        && let Some(note) = treatment.note(locale, ctx.account.vat_id.as_deref())
    {
        // The back office's online confirmation of that VAT ID, if it has one.
        let confirmed = ctx.account.vat_confirmed().map(|c| {
            let (on, reference) = (date(c.confirmed_on, locale), &c.reference);
            match locale {
                DisplayLocale::De => format!("USt-IdNr. qualifiziert bestätigt am {on} (Nr. {reference})."),
                DisplayLocale::En => format!("VAT ID confirmed on {on} (reference {reference})."),
            }
        });
        for text in std::iter::once(note).chain(confirmed) {
            d.leaf("P");
            for line in wrap(&d.fonts.regular.1, &text, 8.0, RIGHT - LEFT) {
                d.ensure(11.0);
                d.text(Weight::Regular, 8.0, LEFT, &line, INK);
                d.y += 11.0;
            }
        }
    }
    d.y += 10.0;

    // Terms and notes.
    for (label, text) in
        [(l.payment_terms, &q.payment_terms), (l.delivery_terms, &q.delivery_terms), (l.notes, &q.notes)]
    {
        if text.trim().is_empty() {
            continue;
        }
        let lines = wrap(&d.fonts.regular.1, text, 8.6, RIGHT - LEFT - 120.0);
        // The block moves to the next page whole if it fits on one; longer
        // notes (up to 20,000 characters) go on over as many pages as needed.
        d.ensure((lines.len() as f32 * 11.5 + 6.0).min(PAGE_ROOM));
        d.leaf("P");
        d.text(Weight::Bold, 8.6, LEFT, label, INK);
        for line in lines {
            d.ensure(11.5);
            d.text(Weight::Regular, 8.6, LEFT + 120.0, &line, INK);
            d.y += 11.5;
        }
        d.y += 4.0;
    }

    if let Some(footer) = &lh.footer {
        d.y += 2.0;
        d.leaf("P");
        for line in wrap(&d.fonts.regular.1, footer, 8.0, RIGHT - LEFT) {
            d.ensure(11.0);
            d.text(Weight::Regular, 8.0, LEFT, &line, MUTED);
            d.y += 11.0;
        }
    }

    // Value arguments.
    if !ctx.value_arguments.is_empty() {
        d.y += 6.0;
        d.ensure((18.0 + ctx.value_arguments.len() as f32 * 12.0).min(PAGE_ROOM));
        let accent = d.accent;
        d.leaf("H2");
        d.text(Weight::Bold, 9.0, LEFT, l.value_arguments, accent);
        let back = d.open("L");
        d.y += 13.0;
        for t in &ctx.value_arguments {
            d.leaf("LI");
            for (k, line) in wrap(&d.fonts.regular.1, t, 8.6, RIGHT - LEFT - 12.0).iter().enumerate() {
                d.ensure(11.5);
                d.text(Weight::Regular, 8.6, LEFT, if k == 0 { "•" } else { "" }, accent);
                d.text(Weight::Regular, 8.6, LEFT + 10.0, line, INK);
                d.y += 11.5;
            }
        }
        d.close(back);
    }

    // Approval: an approved (or ordered) quote shows its approval record;
    // any other shows the QR code with the link and a signature line.
    d.y += 12.0;
    match approval {
        PrintableApproval::Approved(a) => {
            d.ensure(70.0);
            let accent = d.accent;
            d.leaf("H2");
            d.text(Weight::Bold, 9.0, LEFT, l.approval, accent);
            d.y += 13.0;
            let how = match a.auth {
                SignerAuth::RepDeviceOnSite => l.via_on_site,
                SignerAuth::CustomerDevice => l.via_customer_device,
                SignerAuth::WebLink => l.via_web_link,
            };
            let who = format!("{} {} ({})", l.approved_by, a.signer_name, a.signer_role);
            let when = format!("{} {} · {how}", l.approved_on, date(a.device_time.date_naive(), locale));
            let what = format!("{} {} · SHA-256 {}", l.revision, q.revision, a.revision_hash);
            for (w, size, text) in
                [(Weight::Bold, 9.0, who), (Weight::Regular, 8.6, when), (Weight::Regular, 7.2, what)]
            {
                let font = if w == Weight::Bold { &d.fonts.bold.1 } else { &d.fonts.regular.1 };
                d.leaf("P");
                for line in wrap(font, &text, size, RIGHT - LEFT) {
                    d.ensure(12.0);
                    d.text(w, size, LEFT, &line, if w == Weight::Bold { accent } else { INK });
                    d.y += 12.0;
                }
            }
        }
        other => {
            d.ensure(110.0 + if other.refusal().is_some() { 14.0 } else { 0.0 });
            if other.refusal().is_some() {
                d.leaf("P");
                d.text(Weight::Bold, 8.6, LEFT, l.not_approved, INK);
                d.y += 14.0;
            }
            let top = d.y;
            let qr_size = 78.0;
            let qx = RIGHT - qr_size;
            // Content that does not match its hash gets no link: the link
            // would approve a revision other than the one printed.
            if !matches!(other, PrintableApproval::ContentChanged { .. }) {
                let link = opts.approval_link.clone().unwrap_or_else(|| quote_link(opts.link_base(), q));
                d.page().qr(&link, qx, top - 8.0, qr_size);
                d.leaf("P");
                d.text(Weight::Bold, 8.6, LEFT, l.approve_online, INK);
                d.y += 11.5;
                for part in wrap(&d.fonts.regular.1, &link, 7.6, qx - LEFT - 12.0) {
                    let accent = d.accent;
                    d.text(Weight::Regular, 7.6, LEFT, &part, accent);
                    d.y += 10.0;
                }
            }
            d.y = top + 66.0;
            let y = d.y;
            d.page().line(LEFT, y, LEFT + 150.0, y, 0.6, INK);
            d.page().line(LEFT + 170.0, y, qx - 14.0, y, 0.6, INK);
            d.y += 10.0;
            d.leaf("P");
            d.text(Weight::Regular, 7.6, LEFT, l.place_date, MUTED);
            d.leaf("P");
            d.text(Weight::Regular, 7.6, LEFT + 170.0, l.signature, MUTED);
        }
    }

    // Footer on every page: sender, the legal line (whole, over two lines
    // if it must), the bank, page x of y and the revision hash; a sample
    // sender's pages say they are samples.
    let total = d.pages.len();
    let label_w = d.fonts.width(Weight::Bold, &format!("{} {total} {} {total}", l.page, l.of), 7.4) + 10.0;
    let mut lines =
        vec![fit(&d.fonts.regular.1, &format!("{} · {}", lh.company, lh.contact_line), 6.6, RIGHT - LEFT - label_w)];
    lines.extend(wrap(&d.fonts.regular.1, &lh.legal_line, 6.6, RIGHT - LEFT).into_iter().take(2));
    if !lh.bank_line.is_empty() {
        lines.push(fit(&d.fonts.regular.1, &lh.bank_line, 6.6, RIGHT - LEFT));
    }
    lines.push(format!("{} {} · SHA-256 {}", l.revision, q.revision, hash));
    let step = 8.4;
    let top = FOOTER.min(PAGE_H - 18.0 - step * lines.len() as f32);
    for (i, page) in d.pages.iter_mut().enumerate() {
        let label = format!("{} {} {} {}", l.page, i + 1, l.of, total);
        // Page furniture: artifacts, not part of the reading order.
        page.target = None;
        page.line(LEFT, top, RIGHT, top, 0.4, RULE);
        for (k, line) in lines.iter().enumerate() {
            let size = if k + 1 == lines.len() { 6.2 } else { 6.6 };
            page.text(d.fonts, Weight::Regular, size, LEFT, top + 10.0 + k as f32 * step, line, MUTED);
        }
        page.text_right(d.fonts, Weight::Bold, 7.4, RIGHT, top + 10.0, &label, INK);
        if let Some(e) = sample {
            page.target = (i == 0).then_some((e, "P"));
            page.text(d.fonts, Weight::Bold, 8.0, LEFT, 24.0, l.sample_notice, super::canvas::WARN);
        }
    }
    let pages = std::mem::take(&mut d.pages);
    let structure = std::mem::replace(&mut d.structure, Structure::new(""));
    Ok(b.finish(pages, Some(structure)))
}
