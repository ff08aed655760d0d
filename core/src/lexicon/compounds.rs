//! Decompounding from the catalog's own words (ADR 16).
//!
//! German product names are compounds: `Sechskantmutter`,
//! `Unterlegscheibe`, `Schutzhandschuhe`. A compound splits where a known
//! word ends or begins: `sechskantschraube` = `sechskant` + `schraube`
//! because `schraube` is a word of the catalog (`Müller-Schraube`, the
//! category `Schrauben`). Known are:
//!
//! - every word of the catalog's names, descriptions, attribute values and
//!   categories, and each of them without an inflection ending
//!   (`Muttern` → `mutter`);
//! - shared beginnings: the longest common beginning of two catalog words
//!   when what follows in one of them is known (`sechskant` from
//!   `sechskantmutter` and `sechskantschraube`);
//! - shared ends: the longest common end of two words when what precedes
//!   it in one of them is known.
//!
//! A word is split at the longest known end, then at the longest known
//! beginning (also before a linking `s`, `n`, `en`, `es` or `e`:
//! `arbeits|schutz`), and each side again. Every piece has at least three
//! letters and a vowel (`schl|auch` is refused), known pieces at least four.

use std::collections::HashSet;

use super::inflection;

/// Shortest known piece.
const MIN_KNOWN: usize = 4;
/// Shortest piece at all.
const MIN_PIECE: usize = 3;
/// Linking elements between the parts of a German compound.
const LINKS: &[&str] = &["s", "n", "en", "es", "e"];

fn has_vowel(s: &str) -> bool {
    s.chars().any(|c| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y'))
}

fn piece_ok(s: &str) -> bool {
    s.chars().count() >= MIN_PIECE && has_vowel(s)
}

/// The words a compound may be split into.
#[derive(Debug, Default)]
pub struct Known {
    words: HashSet<String>,
}

fn common_prefix_len(a: &str, b: &str) -> usize {
    a.char_indices().zip(b.chars()).take_while(|((_, x), y)| x == y).last().map_or(0, |((i, c), _)| i + c.len_utf8())
}

impl Known {
    /// Known pieces from the catalog's words (folded, letters only).
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Known {
        let mut base: HashSet<String> = HashSet::new();
        for w in words {
            base.insert(w.to_string());
            for b in inflection::bases(w) {
                if b.chars().count() >= MIN_KNOWN {
                    base.insert(b.to_string());
                }
            }
        }
        let mut derived: Vec<String> = Vec::new();
        // Shared beginnings: neighbours in sorted order share the longest ones.
        let mut sorted: Vec<&str> = base.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let p = common_prefix_len(a, b);
            let head = &a[..p];
            let (ra, rb) = (&a[p..], &b[p..]);
            if head.chars().count() >= MIN_KNOWN
                && has_vowel(head)
                && piece_ok(ra)
                && piece_ok(rb)
                && (base.contains(ra) || base.contains(rb))
            {
                derived.push(head.to_string());
            }
        }
        // Shared ends: the same on reversed words.
        let mut reversed: Vec<String> = base.iter().map(|w| w.chars().rev().collect()).collect();
        reversed.sort_unstable();
        for pair in reversed.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let p = common_prefix_len(a, b);
            let tail: String = a[..p].chars().rev().collect();
            let ha: String = a[p..].chars().rev().collect();
            let hb: String = b[p..].chars().rev().collect();
            if tail.chars().count() >= MIN_KNOWN
                && has_vowel(&tail)
                && piece_ok(&ha)
                && piece_ok(&hb)
                && (base.contains(&ha) || base.contains(&hb))
            {
                derived.push(tail);
            }
        }
        base.extend(derived);
        Known { words: base }
    }

    fn knows(&self, s: &str) -> bool {
        s.chars().count() >= MIN_KNOWN && self.words.contains(s)
    }

    /// Where the parts of `word` begin (byte offsets, ascending, never 0):
    /// `sechskantschraube` → `[9]`, `walzlagerstahl` → `[4, 9]`.
    pub fn boundaries(&self, word: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.split(word, 0, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn split(&self, w: &str, offset: usize, out: &mut Vec<usize>) {
        if w.chars().count() < 2 * MIN_PIECE {
            return;
        }
        let cuts: Vec<usize> = w.char_indices().map(|(i, _)| i).filter(|&i| i > 0).collect();
        // The longest known end.
        for &b in &cuts {
            let (head, tail) = w.split_at(b);
            if piece_ok(head) && self.knows(tail) {
                out.push(offset + b);
                self.split(head, offset, out);
                self.split(tail, offset + b, out);
                return;
            }
        }
        // The longest known beginning, maybe followed by a linking element.
        for &b in cuts.iter().rev() {
            let (head, tail) = w.split_at(b);
            if !piece_ok(tail) {
                continue;
            }
            let known_head =
                self.knows(head) || LINKS.iter().any(|l| head.strip_suffix(l).is_some_and(|h| self.knows(h)));
            if known_head {
                out.push(offset + b);
                self.split(tail, offset + b, out);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(words: &[&str]) -> Known {
        Known::from_words(words.iter().copied())
    }

    fn parts(k: &Known, w: &str) -> Vec<String> {
        let mut at = 0;
        let mut out = Vec::new();
        for b in k.boundaries(w).into_iter().chain([w.len()]) {
            out.push(w[at..b].to_string());
            at = b;
        }
        out
    }

    #[test]
    fn splits_at_known_words_of_the_catalog() {
        let k =
            known(&["schraube", "sechskantschraube", "muttern", "sechskantmutter", "handschuhe", "schutzhandschuhe"]);
        assert_eq!(parts(&k, "sechskantschraube"), vec!["sechskant", "schraube"]);
        assert_eq!(parts(&k, "sechskantmutter"), vec!["sechskant", "mutter"], "mutter from the plural muttern");
        assert_eq!(parts(&k, "schutzhandschuhe"), vec!["schutz", "handschuhe"]);
        assert_eq!(parts(&k, "schraube"), vec!["schraube"], "a known word alone is not split");
    }

    #[test]
    fn shared_beginnings_and_ends_are_known() {
        // Nothing says "sechskant" alone, but two words share it and one
        // continues with a known word.
        let k = known(&["sechskantschraube", "sechskantmutter", "mutter", "innensechskant"]);
        assert_eq!(parts(&k, "innensechskant"), vec!["innen", "sechskant"]);
        // "inder" ends kabelbinder and zylinder, but neither "kabelb" nor "zyl" is known.
        let k = known(&["kabelbinder", "zylinder", "zylinderschraube", "schraube"]);
        assert_eq!(parts(&k, "kabelbinder"), vec!["kabelbinder"]);
        assert_eq!(parts(&k, "zylinderschraube"), vec!["zylinder", "schraube"]);
    }

    #[test]
    fn several_parts_links_and_refusals() {
        let k = known(&[
            "walzlagerstahl",
            "lager",
            "stahl",
            "arbeit",
            "arbeitsschutz",
            "schlauchschelle",
            "schellen",
            "auch",
        ]);
        assert_eq!(parts(&k, "walzlagerstahl"), vec!["walz", "lager", "stahl"]);
        assert_eq!(parts(&k, "arbeitsschutz"), vec!["arbeits", "schutz"], "linking s");
        assert_eq!(parts(&k, "schlauchschelle"), vec!["schlauch", "schelle"], "schl|auch has no vowel in schl");
    }

    #[test]
    fn non_ascii_words_split_on_char_boundaries() {
        let k = known(&["straßenbesen", "besen", "ıııbesen"]);
        assert_eq!(parts(&k, "straßenbesen"), vec!["straßen", "besen"]);
        assert!(k.boundaries("ıııbesen").iter().all(|&b| "ıııbesen".is_char_boundary(b)));
    }
}
