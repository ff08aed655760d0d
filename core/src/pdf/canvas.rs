//! A page as a PDF content stream, addressed in points from the page's
//! top-left corner (PDF's own origin is bottom-left).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::fonts::{Metrics, Weight, fit};
use super::writer::num;

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;

/// The left and right margin, 20 mm.
pub(crate) const MARGIN: f32 = 56.69;

/// Millimetres to points.
pub(crate) fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// A font of the document: `F0` regular, `F1` bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FontId(pub usize);

/// An image of the document, `Im0`, `Im1`, ….
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct XObjectId(pub usize);

/// The two faces with their PDF ids and metrics.
#[derive(Debug)]
pub(crate) struct Fonts {
    pub regular: (FontId, Metrics),
    pub bold: (FontId, Metrics),
}

impl Fonts {
    pub(crate) fn get(&self, w: Weight) -> &(FontId, Metrics) {
        match w {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub(crate) fn width(&self, w: Weight, text: &str, size: f32) -> f32 {
        self.get(w).1.width(text, size)
    }
}

/// Greys and the accent colour of the house style.
pub(crate) const INK: (f32, f32, f32) = (0.12, 0.13, 0.15);
pub(crate) const MUTED: (f32, f32, f32) = (0.42, 0.44, 0.48);
pub(crate) const RULE: (f32, f32, f32) = (0.80, 0.82, 0.85);
pub(crate) const SHADE: (f32, f32, f32) = (0.94, 0.95, 0.96);
pub(crate) const ACCENT: (f32, f32, f32) = (0.05, 0.33, 0.55);
/// The sample notice's red.
pub(crate) const WARN: (f32, f32, f32) = (0.72, 0.11, 0.11);

fn color(c: (f32, f32, f32)) -> String {
    format!("{} {} {}", num(c.0), num(c.1), num(c.2))
}

/// One page under construction: its content stream and, per font, the
/// glyphs it shows with the character each stands for.
#[derive(Debug, Default)]
pub(crate) struct Canvas {
    pub content: String,
    pub glyphs: [BTreeMap<u16, char>; 2],
    /// The structure element (and its type) text drawn now belongs to;
    /// `None`: text is an artifact (page furniture such as the footer).
    pub target: Option<(super::structure::ElemId, &'static str)>,
    /// The element of each marked content, by MCID.
    pub marks: Vec<super::structure::ElemId>,
}

impl Canvas {
    /// Text with its baseline at `y` points from the top.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(&mut self, fonts: &Fonts, w: Weight, size: f32, x: f32, y: f32, text: &str, c: (f32, f32, f32)) {
        let (id, m) = fonts.get(w);
        let mut printable = m.printable(text);
        // Nothing is drawn past the right margin: text too long for the
        // rest of its line (a long name in a one-line field) ends with "…".
        let room = PAGE_W - MARGIN - x;
        if m.width(&printable, size) > room + 0.5 {
            printable = fit(m, &printable, size, room);
        }
        if printable.is_empty() {
            return;
        }
        let mut codes = String::with_capacity(4 * printable.len());
        for ch in printable.chars() {
            let g = m.glyph(ch);
            if let Some(used) = self.glyphs.get_mut(id.0) {
                used.entry(g).or_insert(ch);
            }
            let _ = write!(codes, "{g:04X}");
        }
        match self.target {
            Some((elem, role)) => {
                let _ = write!(self.content, "/{role} <</MCID {}>> BDC ", self.marks.len());
                self.marks.push(elem);
            }
            None => self.content.push_str("/Artifact BMC "),
        }
        let _ = writeln!(
            self.content,
            "BT /F{} {} Tf {} rg {} {} Td <{codes}> Tj ET EMC",
            id.0,
            num(size),
            color(c),
            num(x),
            num(PAGE_H - y)
        );
    }

    /// Text ending at `right`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text_right(
        &mut self,
        fonts: &Fonts,
        w: Weight,
        size: f32,
        right: f32,
        y: f32,
        text: &str,
        c: (f32, f32, f32),
    ) {
        let width = fonts.width(w, &fonts.get(w).1.printable(text), size);
        self.text(fonts, w, size, right - width, y, text, c);
    }

    /// A horizontal or any straight line.
    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32, c: (f32, f32, f32)) {
        let _ = writeln!(
            self.content,
            "/Artifact BMC {} RG {} w {} {} m {} {} l S EMC",
            color(c),
            num(thickness),
            num(x1),
            num(PAGE_H - y1),
            num(x2),
            num(PAGE_H - y2)
        );
    }

    /// A filled rectangle whose top-left corner is at (`x`, `y`).
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, c: (f32, f32, f32)) {
        let _ = writeln!(
            self.content,
            "/Artifact BMC {} rg {} {} {} {} re f EMC",
            color(c),
            num(x),
            num(PAGE_H - y - h),
            num(w),
            num(h)
        );
    }

    /// An image drawn into the box at (`x`, `y`) of `w` × `h` points (its
    /// pixel size `_px` is the caller's to keep the aspect ratio with).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn image(&mut self, id: &XObjectId, _px: (usize, usize), x: f32, y: f32, w: f32, h: f32) {
        // An image thinner than a thousandth of a point (a strip of pixels
        // fitted into a box) would be a singular matrix: it is not drawn.
        if num(w) == "0" || num(h) == "0" {
            return;
        }
        let _ = writeln!(
            self.content,
            "/Artifact BMC q {} 0 0 {} {} {} cm /Im{} Do Q EMC",
            num(w),
            num(h),
            num(x),
            num(PAGE_H - y - h),
            id.0
        );
    }

    /// A QR code for `data` with its top-left corner at (`x`, `y`), `size` points wide.
    pub(crate) fn qr(&mut self, data: &str, x: f32, y: f32, size: f32) -> bool {
        let Ok(code) = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M) else {
            return false;
        };
        let n = code.width();
        let quiet = 2;
        let cell = size / (n + 2 * quiet) as f32;
        let colors = code.to_colors();
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    let (cx, cy) = (x + (start + quiet) as f32 * cell, y + (row + quiet) as f32 * cell);
                    // A hair of overlap keeps viewers from drawing seams between cells.
                    self.rect(cx, cy, (col - start) as f32 * cell + 0.05, cell + 0.05, INK);
                } else {
                    col += 1;
                }
            }
        }
        true
    }
}
