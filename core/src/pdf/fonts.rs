//! The embedded fonts and their metrics: DejaVu Sans regular and bold, cut
//! down to Latin, Greek, Cyrillic and the symbols documents print
//! (`core/fonts/subset.sh`; licence in `core/fonts/LICENSE.txt`), measured with `ttf-parser` so the
//! layout can wrap and right-align text exactly as the PDF will show it.

use ttf_parser::Face;

const REGULAR_DEFLATED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/DejaVuSans.ttf.deflate"));
const BOLD_DEFLATED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/DejaVuSans-Bold.ttf.deflate"));

/// The fonts ship deflated (build.rs) and are inflated once per process.
fn inflate(cell: &'static std::sync::OnceLock<Vec<u8>>, packed: &[u8]) -> &'static [u8] {
    cell.get_or_init(|| miniz_oxide::inflate::decompress_to_vec(packed).unwrap_or_default())
}

/// DejaVu Sans, regular (empty only if the build is broken).
pub(crate) fn regular() -> &'static [u8] {
    static CELL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    inflate(&CELL, REGULAR_DEFLATED)
}

/// DejaVu Sans, bold.
pub(crate) fn bold() -> &'static [u8] {
    static CELL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    inflate(&CELL, BOLD_DEFLATED)
}

/// Which face of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// Advance widths of one face.
pub(crate) struct Metrics {
    face: Face<'static>,
    units: f32,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("units_per_em", &self.units).finish()
    }
}

impl Metrics {
    pub(crate) fn load(bytes: &'static [u8]) -> Option<Metrics> {
        let face = Face::parse(bytes, 0).ok()?;
        let units = f32::from(face.units_per_em());
        Some(Metrics { face, units })
    }

    /// Whether the font has a glyph for `c`.
    pub(crate) fn has(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some()
    }

    /// The glyph that shows `c`: its own, else the replacement glyph, else .notdef.
    pub(crate) fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).or_else(|| self.face.glyph_index('\u{FFFD}')).map_or(0, |g| g.0)
    }

    /// Width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text.chars().map(|c| self.advance(c)).sum();
        units / self.units * size
    }

    /// The advance of `c` in font units (the replacement glyph's if the
    /// font lacks `c`): `width` is the sum of these, so a line can be
    /// measured as it grows instead of again and again.
    fn advance(&self, c: char) -> f32 {
        let g = self.face.glyph_index(c).or_else(|| self.face.glyph_index('\u{FFFD}'));
        g.and_then(|g| self.face.glyph_hor_advance(g)).map_or(0.0, f32::from)
    }

    /// `width` in font units for `size` points.
    fn units(&self, width: f32, size: f32) -> f32 {
        if size > 0.0 { width / size * self.units } else { f32::INFINITY }
    }

    /// `text` as it is drawn: every character the font cannot show replaced
    /// by U+FFFD (a visible replacement glyph), tabs and line breaks (where a
    /// single line is drawn) as spaces so words stay apart, other control
    /// characters and invisible format characters (soft hyphens, zero-width
    /// and direction marks, variation selectors, byte-order marks) removed.
    pub(crate) fn printable(&self, text: &str) -> String {
        text.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some(' '),
                c if c.is_control() || invisible(c) => None,
                c if self.has(c) => Some(c),
                _ => Some('\u{FFFD}'),
            })
            .collect()
    }
}

/// Unicode's default-ignorable code points: characters with no glyph of
/// their own that a renderer without shaping must not draw.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Splits `text` into lines no wider than `width` points at `size`, at
/// spaces where possible and inside over-long words otherwise. Existing line
/// breaks are kept. The lines are [`Metrics::printable`] already.
pub(crate) fn wrap(m: &Metrics, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    // A line break is `\n`, `\r\n` or `\r`; each paragraph is measured as
    // it will be drawn (`printable`: a tab becomes a space, between words).
    for para in text.replace("\r\n", "\n").split(['\n', '\r']) {
        let para = m.printable(para);
        let max = m.units(width, size);
        let space = m.advance(' ');
        let (mut line, mut used) = (String::new(), 0.0);
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let word_units: f32 = word.chars().map(|c| m.advance(c)).sum();
            let with = if line.is_empty() { word_units } else { used + space + word_units };
            if with <= max {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                used = with;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word longer than the line is cut where it overflows.
            let (mut piece, mut piece_units) = (String::new(), 0.0);
            for c in word.chars() {
                let a = m.advance(c);
                if piece_units + a > max && !piece.is_empty() {
                    lines.push(std::mem::take(&mut piece));
                    piece_units = 0.0;
                }
                piece.push(c);
                piece_units += a;
            }
            (line, used) = (piece, piece_units);
        }
        lines.push(line);
    }
    lines
}

/// `text` on one line of at most `width` points: as it is if it fits, else
/// cut and ended with "…".
pub(crate) fn fit(m: &Metrics, text: &str, size: f32, width: f32) -> String {
    let text = m.printable(text);
    if m.width(&text, size) <= width {
        return text;
    }
    let (max, mut used) = (m.units(width, size) - m.advance('…'), 0.0);
    let mut out = String::new();
    for c in text.chars() {
        used += m.advance(c);
        if used > max {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_wraps_and_replaces() {
        assert_eq!(regular().len(), 286_064, "the font inflates to the shipped subset (fonts/subset.sh)");
        assert_eq!(bold().len(), 264_544);
        let m = Metrics::load(regular()).unwrap();
        assert!(m.width("MMMM", 10.0) > m.width("iiii", 10.0));
        assert!((m.width("ab", 20.0) - 2.0 * m.width("ab", 10.0)).abs() < 0.01);
        let lines = wrap(&m, "Sechskantschraube DIN 933 M8×40, Edelstahl A2, für Außenanwendungen", 9.0, 120.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| m.width(l, 9.0) <= 120.0), "{lines:?}");
        assert_eq!(lines.join(" "), "Sechskantschraube DIN 933 M8×40, Edelstahl A2, für Außenanwendungen");
        let long = wrap(&m, &"x".repeat(200), 9.0, 50.0);
        assert!(long.len() > 3 && long.iter().all(|l| m.width(l, 9.0) <= 50.0));
        assert_eq!(m.printable("Müller € ß 🦀\u{7}"), "Müller € ß \u{FFFD}");
        // Tabs and line breaks keep words apart; invisible characters are not
        // drawn as replacement glyphs (nor hyphens, for a soft hyphen).
        assert_eq!(m.printable("M8\tA2\r\nDIN\u{2028}933"), "M8 A2  DIN 933");
        assert_eq!(m.printable("\u{FEFF}Dübel\u{AD}set\u{200B} ✓\u{FE0F} \u{202E}x\u{202C}"), "Dübelset ✓ x");
        assert_eq!(
            wrap(&m, "Zeile 1\r\nZeile 2\rZeile\t3\n\nEnde", 9.0, 500.0),
            ["Zeile 1", "Zeile 2", "Zeile 3", "", "Ende"]
        );
        assert_eq!(fit(&m, "Edelstahl A2", 9.0, 200.0), "Edelstahl A2");
        // Characters without width (combining marks) stay with their letter
        // and are kept whole (measured once each: see `wrap` and `fit`).
        let marks = format!("e{}", "\u{301}".repeat(200_000));
        assert_eq!(wrap(&m, &marks, 9.0, 100.0).concat(), marks);
        assert!(fit(&m, &format!("{marks} {marks}"), 9.0, 100.0).chars().count() > 200_000);
        let cut = fit(&m, &"Edelstahl ".repeat(100), 9.0, 200.0);
        assert!(cut.ends_with('…') && m.width(&cut, 9.0) <= 200.0 && cut.len() > 40, "{cut}");
        let tabbed = wrap(&m, "Edelstahl\tA2\tverzinkt\tgehärtet", 9.0, 60.0);
        assert_eq!(tabbed.join(" "), "Edelstahl A2 verzinkt gehärtet", "a tab is a place to wrap: {tabbed:?}");
        // What the subset keeps (fonts/subset.sh), in both faces.
        let kept = "Ąčřșț Œ ẞ Βίδα εξάγωνη Болт шестигранный Ґї № ⌀ × € £ ± ≤ → • – … ✓ ½ ■";
        for face in [regular(), bold()] {
            assert_eq!(Metrics::load(face).unwrap().printable(kept), kept);
        }
    }
}
