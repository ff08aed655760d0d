//! A page as a list of printpdf operations, addressed in points from the
//! page's top-left corner (PDF's own origin is bottom-left).

use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem, XObjectId,
    XObjectTransform,
};

use super::fonts::{Metrics, Weight};

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;

/// Millimetres to points.
pub(crate) fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

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

fn color(c: (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb::new(c.0, c.1, c.2, None))
}

/// One page under construction.
#[derive(Debug, Default)]
pub(crate) struct Canvas {
    pub ops: Vec<Op>,
}

impl Canvas {
    /// Text with its baseline at `y` points from the top.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(&mut self, fonts: &Fonts, w: Weight, size: f32, x: f32, y: f32, text: &str, c: (f32, f32, f32)) {
        let (id, m) = fonts.get(w);
        let printable = m.printable(text);
        if printable.is_empty() {
            return;
        }
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(id.clone()), size: Pt(size) },
            Op::SetFillColor { col: color(c) },
            Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(PAGE_H - y) } },
            Op::ShowText { items: vec![TextItem::Text(printable)] },
            Op::EndTextSection,
        ]);
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
        let p = |x: f32, y: f32| LinePoint { p: Point { x: Pt(x), y: Pt(PAGE_H - y) }, bezier: false };
        self.ops.extend([
            Op::SetOutlineColor { col: color(c) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine { line: Line { points: vec![p(x1, y1), p(x2, y2)], is_closed: false } },
        ]);
    }

    /// A filled rectangle whose top-left corner is at (`x`, `y`).
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, c: (f32, f32, f32)) {
        self.ops.extend([
            Op::SetFillColor { col: color(c) },
            Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(x),
                    y: Pt(PAGE_H - y - h),
                    width: Pt(w),
                    height: Pt(h),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            },
        ]);
    }

    /// An image of `px` pixels drawn into the box at (`x`, `y`) of `w` × `h` points.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn image(&mut self, id: &XObjectId, px: (usize, usize), x: f32, y: f32, w: f32, h: f32) {
        let (pw, ph) = (px.0.max(1) as f32, px.1.max(1) as f32);
        self.ops.push(Op::UseXobject {
            id: id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(PAGE_H - y - h)),
                rotate: None,
                scale_x: Some(w / pw),
                scale_y: Some(h / ph),
                dpi: Some(72.0),
                no_auto_scale: false,
            },
        });
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
