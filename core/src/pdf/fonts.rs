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
        let units: f32 = text
            .chars()
            .map(|c| {
                let g = self.face.glyph_index(c).or_else(|| self.face.glyph_index('\u{FFFD}'));
                g.and_then(|g| self.face.glyph_hor_advance(g)).map_or(0.0, f32::from)
            })
            .sum();
        units / self.units * size
    }

    /// `text` with every character the font cannot show replaced by U+FFFD
    /// (a visible replacement glyph) and control characters removed.
    pub(crate) fn printable(&self, text: &str) -> String {
        text.chars().filter(|c| !c.is_control()).map(|c| if self.has(c) { c } else { '\u{FFFD}' }).collect()
    }
}

/// Splits `text` into lines no wider than `width` points at `size`, at
/// spaces where possible and inside over-long words otherwise. Existing line
/// breaks are kept.
pub(crate) fn wrap(m: &Metrics, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if m.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word longer than the line is cut where it overflows.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if m.width(&piece, size) > width && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
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
        // What the subset keeps (fonts/subset.sh), in both faces.
        let kept = "Ąčřșț Œ ẞ Βίδα εξάγωνη Болт шестигранный Ґї № ⌀ × € £ ± ≤ → • – … ✓ ½ ■";
        for face in [regular(), bold()] {
            assert_eq!(Metrics::load(face).unwrap().printable(kept), kept);
        }
    }
}
