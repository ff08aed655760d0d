//! Text folding and words for search: case- and diacritic-insensitive
//! matching, the same on both sides.
//!
//! Both the indexed text and the query pass through [`fold`], so `Müller`,
//! `MULLER` and `muller` meet, and `Straße` meets `strasse`. Product search
//! then splits folded text into [`words`] by one set of rules for index and
//! query (ADR 16): `x`, `X`, `*` and `×` between digits separate
//! (`M10x12` = `M10×12` = `m10 12`), a word written with `ä`, `ö` or `ü`
//! also has its `ae`/`oe`/`ue` spelling ([`Word::variant`]), and a short
//! letter group followed by a number is also one glued word
//! ([`glued`]: `DIN 933` ↔ `din933`, `M 10` ↔ `m10`).

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Lower-cases, strips diacritics (`ü → u`, `é → e`) and expands ligatures
/// (`ß → ss`, `æ → ae`, `œ → oe`); other characters are kept. Works char by
/// char, so the fold of a text is the concatenation of its chars' folds.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        // Runs of ASCII at once: most of a product text is.
        let run = rest.bytes().position(|b| !b.is_ascii()).unwrap_or(rest.len());
        push_lowercase(&mut out, &rest[..run]);
        rest = &rest[run..];
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            fold_char(c, &mut out);
            rest = chars.as_str();
        }
    }
    out
}

fn push_lowercase(out: &mut String, ascii: &str) {
    let from = out.len();
    out.push_str(ascii);
    out[from..].make_ascii_lowercase();
}

fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    // The Latin-1 letters of German and its neighbours, without the tables.
    let quick = match c {
        'ä' | 'Ä' | 'à' | 'À' | 'á' | 'Á' | 'â' | 'Â' | 'å' | 'Å' | 'ã' | 'Ã' => 'a',
        'ö' | 'Ö' | 'ò' | 'Ò' | 'ó' | 'Ó' | 'ô' | 'Ô' | 'õ' | 'Õ' => 'o',
        'ü' | 'Ü' | 'ù' | 'Ù' | 'ú' | 'Ú' | 'û' | 'Û' => 'u',
        'é' | 'É' | 'è' | 'È' | 'ê' | 'Ê' | 'ë' | 'Ë' => 'e',
        'í' | 'Í' | 'ì' | 'Ì' | 'î' | 'Î' | 'ï' | 'Ï' => 'i',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        '×' | '–' | '—' | '°' | '±' | '·' | '€' | '’' | '‘' | '“' | '”' | '„' => c,
        _ => '\0',
    };
    if quick != '\0' {
        out.push(quick);
        return;
    }
    decompose_compatible(c, |d| {
        if is_combining_mark(d) {
            return;
        }
        match d {
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            d => out.extend(d.to_lowercase()),
        }
    });
}

/// Splits folded text into search tokens: maximal runs of letters and digits.
/// (Account search and the pre-issue-24 product search baseline; product
/// search proper uses [`words`].)
pub fn tokens(s: &str) -> Vec<String> {
    fold(s).split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

/// Builds a safe FTS5 prefix query from free user text: every token becomes a
/// quoted prefix term (`"schraub"*`) and all must match. `None` when the text
/// has no token at all. Quoting keeps FTS5 operators in user text inert.
pub fn fts_prefix_query(s: &str) -> Option<String> {
    let toks = tokens(s);
    if toks.is_empty() {
        return None;
    }
    // At most 16 terms: longer input adds nothing but cost.
    let parts: Vec<String> = toks.iter().take(16).map(|t| format!("\"{t}\"*")).collect();
    Some(parts.join(" "))
}

/// One word of a text as product search indexes and queries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Folded: `Sechskantmutter` → `sechskantmutter`, `Dübel` → `dubel`.
    pub text: String,
    /// The `ae`/`oe`/`ue` spelling when the original wrote `ä`, `ö` or `ü`
    /// (`Dübel` → `duebel`), so that both spellings of a word meet.
    pub variant: Option<String>,
    /// Byte range of the word in the original text.
    pub start: usize,
    /// End of that range (exclusive).
    pub end: usize,
    /// Only whitespace separates this word from the one before.
    pub after_space: bool,
    /// A dimension sign (`x`, `×`, `*`) between two numbers separates this
    /// word from the one before (`M10×12`: `12` follows `m10`).
    pub after_times: bool,
}

/// Letters only (no digit): the words that have inflections, compound
/// parts and typos. Numbers and codes (`m10`, `933`, `a2`) never do.
pub fn is_letters(t: &str) -> bool {
    !t.is_empty() && t.chars().all(char::is_alphabetic)
}

fn is_digits(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// The glued form of two neighbouring words, `din` + `933` → `din933`: the
/// first of one to four letters, the second a number. Index and query both
/// add it, so a text that writes `DIN 933` and one that writes `DIN933`
/// match either query.
pub fn glued(prev: &Word, next: &Word) -> Option<String> {
    let n = prev.text.chars().count();
    ((1..=4).contains(&n) && is_letters(&prev.text) && is_digits(&next.text))
        .then(|| format!("{}{}", prev.text, next.text))
}

/// `Ä → Ae`, `ö → oe`, `ü → ue` (also when written as a vowel and a
/// combining diaeresis); the rest unchanged. `None` if there is nothing to
/// transliterate.
fn transliterate(s: &str) -> Option<String> {
    if s.is_ascii() {
        return None;
    }
    // ä ö ü Ä Ö Ü are C3 A4/B6/BC/84/96/9C in UTF-8, a combining diaeresis CC 88.
    let b = s.as_bytes();
    let umlaut = b.iter().enumerate().any(|(i, &c)| {
        (c == 0xC3 && matches!(b.get(i + 1), Some(0xA4 | 0xB6 | 0xBC | 0x84 | 0x96 | 0x9C)))
            || (c == 0xCC && b.get(i + 1) == Some(&0x88))
    });
    if !umlaut {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 4);
    let mut changed = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'Ä' => out.push_str("Ae"),
            'Ö' => out.push_str("Oe"),
            'Ü' => out.push_str("Ue"),
            'a' | 'o' | 'u' | 'A' | 'O' | 'U' if chars.peek() == Some(&'\u{308}') => {
                chars.next();
                out.push(c);
                out.push('e');
            }
            c => {
                out.push(c);
                continue;
            }
        }
        changed = true;
    }
    changed.then_some(out)
}

/// [`fold`] of `s` and, if `s` has an `ä`, `ö` or `ü`, [`other_spelling`]
/// of it, in one pass: product texts are long, and ranking folds many.
fn fold_both(s: &str) -> (String, Option<String>) {
    if s.is_ascii() {
        return (s.to_ascii_lowercase(), None);
    }
    let mut folded = String::with_capacity(s.len());
    let mut other: Option<String> = None;
    let mut rest = s;
    while !rest.is_empty() {
        let run = rest.bytes().position(|b| !b.is_ascii()).unwrap_or(rest.len());
        push_lowercase(&mut folded, &rest[..run]);
        if let Some(o) = other.as_mut() {
            push_lowercase(o, &rest[..run]);
        }
        rest = &rest[run..];
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        let before = folded.len();
        let done = &s[..s.len() - rest.len()];
        let spelled = match c {
            'ä' | 'Ä' => Some("ae"),
            'ö' | 'Ö' => Some("oe"),
            'ü' | 'Ü' => Some("ue"),
            // A combining diaeresis after a vowel: the mark folds to
            // nothing, the other spelling adds an `e` to the vowel.
            '\u{308}' if done.ends_with(['a', 'o', 'u', 'A', 'O', 'U']) => Some("e"),
            _ => None,
        };
        fold_char(c, &mut folded);
        rest = chars.as_str();
        match (spelled, other.as_mut()) {
            (Some(sp), Some(o)) => o.push_str(sp),
            (Some(sp), None) => {
                let mut o = String::with_capacity(s.len() + 8);
                o.push_str(&folded[..before]);
                o.push_str(sp);
                other = Some(o);
            }
            (None, Some(o)) => o.push_str(&folded[before..]),
            (None, None) => {}
        }
    }
    (folded, other)
}

/// The fold of `s` with `ä`, `ö`, `ü` written `ae`, `oe`, `ue` (`Dübel` →
/// `duebel`); `None` if `s` has none.
pub fn other_spelling(s: &str) -> Option<String> {
    transliterate(s).map(|t| fold(&t))
}

/// Splits text into the words product search indexes and queries (see the
/// module docs): folded, separated by anything that is not a letter or a
/// digit, and by `x` between two digits; a lone `x` between two numbers
/// (`10 x 12`) is dropped.
pub fn words(s: &str) -> Vec<Word> {
    // The folded text and, for non-ASCII input, the original byte at which
    // the char that produced each folded byte starts.
    let (folded, origin): (String, Option<Vec<u32>>) = if s.is_ascii() {
        (s.to_ascii_lowercase(), None)
    } else {
        let mut f = String::with_capacity(s.len());
        let mut o = Vec::with_capacity(s.len());
        for (i, c) in s.char_indices() {
            let before = f.len();
            fold_char(c, &mut f);
            o.extend(std::iter::repeat_n(i as u32, f.len() - before));
        }
        (f, Some(o))
    };
    let orig_start = |fb: usize| origin.as_ref().map_or(fb, |o| o[fb] as usize);
    let orig_end = |fb_end: usize| match &origin {
        None => fb_end,
        Some(o) => {
            let at = o[fb_end - 1] as usize;
            at + s[at..].chars().next().map_or(0, char::len_utf8)
        }
    };
    let b = folded.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let spans = spans(&folded);
    let spaced = |a: usize, b: usize| a < b && folded[a..b].chars().all(char::is_whitespace);
    let mut out: Vec<Word> = Vec::with_capacity(spans.len());
    let mut prev_end: Option<usize> = None;
    for (k, &(st, en)) in spans.iter().enumerate() {
        let text = &folded[st..en];
        if text == "x" && k > 0 && k + 1 < spans.len() {
            let (_, pe) = spans[k - 1];
            let (ns, _) = spans[k + 1];
            if digit_at(pe - 1) && digit_at(ns) && spaced(pe, st) && spaced(en, ns) {
                continue; // "10 x 12"
            }
        }
        let (os, oe) = (orig_start(st), orig_end(en));
        let variant =
            transliterate(&s[os..oe]).map(|t| fold(&t)).filter(|v| v != text && v.chars().all(char::is_alphanumeric));
        let after_space = prev_end.is_some_and(|pe| spaced(pe, st));
        let after_times = prev_end
            .is_some_and(|pe| digit_at(pe - 1) && digit_at(st) && matches!(folded[pe..st].trim(), "x" | "×" | "*"));
        out.push(Word { text: text.to_string(), variant, start: os, end: oe, after_space, after_times });
        prev_end = Some(en);
    }
    out
}

/// The dimension of two neighbouring numbers: `M10×12`, `m10x12`,
/// `M10 * 12` → `m10x12`. Index and query both add it, so a query for a
/// size finds exactly that size first.
pub fn dimension(prev: &Word, next: &Word) -> Option<String> {
    next.after_times.then(|| format!("{}x{}", prev.text, next.text))
}

/// A text folded once, with its words as ranges: what the index holds of
/// it, cheap to build for many products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyzed {
    /// [`fold`] of the text.
    pub folded: String,
    /// The fold of its `ae`/`oe`/`ue` spelling, if it has umlauts.
    pub other: Option<String>,
    /// Its words.
    pub words: Vec<AnalyzedWord>,
}

/// One word of an [`Analyzed`] text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedWord {
    /// Byte range in [`Analyzed::folded`].
    pub at: (usize, usize),
    /// Byte range of its other spelling in [`Analyzed::other`], if that differs.
    pub other: Option<(usize, usize)>,
    /// How this word is glued to the one before: `Some(false)` for a code
    /// (`DIN 933` → `din933`, [`glued`]), `Some(true)` for a dimension
    /// (`M10×12` → `m10x12`, [`dimension`]).
    pub glued: Option<bool>,
}

impl Analyzed {
    /// The folded text of word `i`.
    pub fn word(&self, i: usize) -> &str {
        let (s, e) = self.words[i].at;
        &self.folded[s..e]
    }

    /// The other spelling of word `i`, if it has one.
    pub fn other(&self, i: usize) -> Option<&str> {
        let (s, e) = self.words[i].other?;
        self.other.as_deref().map(|o| &o[s..e])
    }

    /// Writes word `i` glued to the one before into `buf`; false if it is not glued.
    pub fn glued(&self, i: usize, buf: &mut String) -> bool {
        let Some(dimension) = self.words[i].glued.filter(|_| i > 0) else { return false };
        buf.clear();
        buf.push_str(self.word(i - 1));
        if dimension {
            buf.push('x');
        }
        buf.push_str(self.word(i));
        true
    }
}

/// Splits `s` into the words product search indexes (those of [`words`]),
/// without their positions in `s`; with `glue`, each word also has its
/// glued form with the one before, if any.
pub fn analyze(s: &str, glue: bool) -> Analyzed {
    analyze_spelled(s, glue, true)
}

/// [`analyze`], without the other spellings unless `spellings`: they match
/// only terms that hold an `ae`, `oe` or `ue`, and cost a second fold.
pub fn analyze_spelled(s: &str, glue: bool, spellings: bool) -> Analyzed {
    let (folded, other) = if spellings { fold_both(s) } else { (fold(s), None) };
    let sp = spans(&folded);
    // The other spelling has the same word boundaries (ä → ae: letters).
    let osp = other.as_deref().map(spans).filter(|o| o.len() == sp.len());
    let b = folded.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let spaced = |a: usize, z: usize| a < z && folded[a..z].chars().all(char::is_whitespace);
    let mut words: Vec<AnalyzedWord> = Vec::with_capacity(sp.len());
    let mut prev: Option<(usize, usize)> = None;
    for (k, &(st, en)) in sp.iter().enumerate() {
        let text = &folded[st..en];
        if text == "x" && k > 0 && k + 1 < sp.len() {
            let (pe, ns) = (sp[k - 1].1, sp[k + 1].0);
            if digit_at(pe - 1) && digit_at(ns) && spaced(pe, st) && spaced(en, ns) {
                continue; // "10 x 12"
            }
        }
        let other_at =
            osp.as_ref().zip(other.as_deref()).map(|(o, ot)| (o[k], ot)).filter(|((s2, e2), ot)| ot[*s2..*e2] != *text);
        let glued = match (glue, prev) {
            (true, Some((ps, pe))) => {
                let p = &folded[ps..pe];
                if spaced(pe, st) && (1..=4).contains(&p.chars().count()) && is_letters(p) && is_digits(text) {
                    Some(false)
                } else if digit_at(pe - 1) && digit_at(st) && matches!(folded[pe..st].trim(), "x" | "×" | "*") {
                    Some(true)
                } else {
                    None
                }
            }
            _ => None,
        };
        words.push(AnalyzedWord { at: (st, en), other: other_at.map(|(r, _)| r), glued });
        prev = Some((st, en));
    }
    Analyzed { folded, other, words }
}

/// Appends the words of `s` as product search indexes them to `out`,
/// separated by spaces, each after `marker` (`""`, or the description's
/// marker, see `store::search_index`): each word, its `ae`/`oe`/`ue`
/// variant, and (with `glue`) the glued form of a short letter group and
/// the number after it ([`glued`]) and of a dimension ([`dimension`]).
pub fn index_words(s: &str, glue: bool, marker: &str, out: &mut String) {
    let a = analyze(s, glue);
    let mut push = |t: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(marker);
        out.push_str(t);
    };
    let mut buf = String::new();
    for i in 0..a.words.len() {
        push(a.word(i));
        if let Some(o) = a.other(i) {
            push(o);
        }
        if a.glued(i, &mut buf) {
            push(&buf);
        }
    }
}

/// The byte range in `s` of the chars whose fold is bytes `from..to` of
/// `fold(s)` (widened to whole chars).
pub fn original_range(s: &str, from: usize, to: usize) -> (usize, usize) {
    if s.is_ascii() {
        return (from.min(s.len()), to.min(s.len()));
    }
    let (mut folded, mut start, mut end) = (0usize, None, s.len());
    let mut buf = String::new();
    for (i, c) in s.char_indices() {
        buf.clear();
        fold_char(c, &mut buf);
        let next = folded + buf.len();
        if start.is_none() && next > from {
            start = Some(i);
        }
        if next >= to && start.is_some() {
            end = i + c.len_utf8();
            break;
        }
        folded = next;
    }
    let start = start.unwrap_or(s.len());
    (start, end.max(start))
}

/// The words of already folded text, without variants or glued forms:
/// the cheap split that ranking uses on many candidates.
pub fn folded_words(folded: &str) -> impl Iterator<Item = &str> {
    spans(folded).into_iter().map(move |(st, en)| &folded[st..en])
}

/// Byte ranges of the words of folded text: runs of letters and digits,
/// split at `x` between two digits.
fn spans(folded: &str) -> Vec<(usize, usize)> {
    let b = folded.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut spans = Vec::with_capacity(b.len() / 4 + 1);
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // ASCII byte by byte; other chars decoded (folded text has few).
        let (word_char, len) = if c.is_ascii() {
            (c.is_ascii_alphanumeric() && !(c == b'x' && i > 0 && digit_at(i - 1) && digit_at(i + 1)), 1)
        } else {
            folded[i..].chars().next().map_or((false, 1), |ch| (ch.is_alphanumeric(), ch.len_utf8()))
        };
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                spans.push((st, i));
                start = None;
            }
            _ => {}
        }
        i += len;
    }
    if let Some(st) = start {
        spans.push((st, folded.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(s: &str) -> Vec<String> {
        words(s).into_iter().map(|w| w.text).collect()
    }

    fn indexed(s: &str) -> String {
        let mut out = String::new();
        index_words(s, true, "", &mut out);
        out
    }

    /// What `index_words` writes, built from `words` (the reference).
    fn indexed_from_words(s: &str) -> String {
        let ws = words(s);
        let mut out: Vec<String> = Vec::new();
        for (i, w) in ws.iter().enumerate() {
            out.push(w.text.clone());
            out.extend(w.variant.clone());
            if i > 0 {
                out.extend(glued(&ws[i - 1], w).filter(|_| w.after_space).or_else(|| dimension(&ws[i - 1], w)));
            }
        }
        out.join(" ")
    }

    #[test]
    fn folds_case_diacritics_and_ligatures() {
        assert_eq!(fold("Müller-Schraube"), "muller-schraube");
        assert_eq!(fold("STRASSE Straße"), "strasse strasse");
        assert_eq!(fold("Crème brûlée, Ærø, Łódź"), "creme brulee, aero, lodz");
        assert_eq!(fold("Ｍ８"), "m8");
        assert_eq!(fold("Mu\u{308}ller"), "muller", "decomposed umlaut");
        assert_eq!(fold("×–°€ÀÉÎÕÜçñ"), "×–°€aeiouc".to_string() + "n");
    }

    #[test]
    fn tokens_split_on_punctuation() {
        assert_eq!(tokens("DIN-933 M8x40, A2"), vec!["din", "933", "m8x40", "a2"]);
        assert!(tokens(" -- ").is_empty());
    }

    #[test]
    fn fts_query_is_quoted_and_prefixed() {
        assert_eq!(fts_prefix_query("Mull"), Some("\"mull\"*".to_string()));
        assert_eq!(fts_prefix_query("schraub AND \"m8"), Some("\"schraub\"* \"and\"* \"m8\"*".to_string()));
        assert_eq!(fts_prefix_query("***"), None);
    }

    #[test]
    fn times_signs_between_numbers_are_one_separator() {
        for s in ["M10×12", "M10x12", "m10X12", "M10*12", "M10 x 12", "m10 × 12", "M10 X 12"] {
            assert_eq!(texts(s), vec!["m10", "12"], "{s}");
        }
        // Not between two digits: an ordinary letter.
        assert_eq!(texts("Box 2x"), vec!["box", "2x"]);
        assert_eq!(texts("x 12"), vec!["x", "12"]);
        assert_eq!(texts("HSS-G Ø 115×1,0 mm"), vec!["hss", "g", "o", "115", "1", "0", "mm"]);
    }

    #[test]
    fn umlauts_get_their_transliterated_variant() {
        let w = words("Dübel Fächer-Schleifscheibe Straße MUTTER Mu\u{308}ller");
        let v: Vec<Option<&str>> = w.iter().map(|w| w.variant.as_deref()).collect();
        assert_eq!(v, vec![Some("duebel"), Some("faecher"), None, None, None, Some("mueller")]);
        assert_eq!(w[0].text, "dubel");
        assert_eq!(w[3].text, "strasse", "ß folds to ss; the ss spelling needs no variant");
    }

    #[test]
    fn words_know_where_they_came_from() {
        let s = "Größe 9, Straßenbesen";
        let w = words(s);
        assert_eq!(&s[w[0].start..w[0].end], "Größe");
        assert_eq!(&s[w[2].start..w[2].end], "Straßenbesen");
        assert_eq!(w[2].text, "strassenbesen");
        assert!(w[1].after_space && !w[2].after_space, "a comma is not a space");
    }

    #[test]
    fn short_letters_and_a_number_are_also_glued() {
        assert_eq!(indexed("Sechskantschraube DIN 933 M10×12"), "sechskantschraube din 933 din933 m10 12 m10x12");
        assert_eq!(indexed("2000×1000 mm, 10 x 12, 5 * 6"), "2000 1000 2000x1000 mm 10 12 10x12 5 6 5x6");
        assert_eq!(indexed("Gewinde M 10"), "gewinde m 10 m10");
        assert_eq!(indexed("Dübel Nylon"), "dubel duebel nylon");
        assert_eq!(indexed("DIN-933"), "din 933", "glued across spaces only");
        assert_eq!(indexed("Größe 9"), "grosse groesse 9", "five letters are a word, not a code");
        let mut out = String::new();
        index_words("Dübel aus PA 6", true, "_", &mut out);
        assert_eq!(out, "_dubel _duebel _aus _pa _6 _pa6", "every word marked");
    }

    #[test]
    fn folded_ranges_map_back_to_the_text() {
        let s = "Größe Straßenbesen Ｍ８";
        let f = fold(s);
        let at = |w: &str| f.find(w).map(|i| (i, i + w.len())).unwrap_or_default();
        let (a, b) = at("strasse");
        assert_eq!(&s[original_range(s, a, b).0..original_range(s, a, b).1], "Straße");
        let (a, b) = at("m8");
        assert_eq!(&s[original_range(s, a, b).0..original_range(s, a, b).1], "Ｍ８");
        assert_eq!(original_range("abc", 1, 2), (1, 2));
        assert!(is_letters("stahl") && !is_letters("a2") && !is_letters(""));
    }

    proptest! {
        /// The quick path for Latin-1 letters folds as the Unicode tables do.
        #[test]
        fn quick_fold_agrees_with_the_tables(c in "[\\u{a0}-\\u{ff}–—’‘“”„€]") {
            let Some(ch) = c.chars().next() else { return Ok(()) };
            let mut by_tables = String::new();
            decompose_compatible(ch, |d| {
                if !is_combining_mark(d) {
                    match d {
                        'ß' => by_tables.push_str("ss"),
                        'æ' | 'Æ' => by_tables.push_str("ae"),
                        'ø' | 'Ø' => by_tables.push('o'),
                        'þ' | 'Þ' => by_tables.push_str("th"),
                        'đ' | 'Đ' => by_tables.push('d'),
                        d => by_tables.extend(d.to_lowercase()),
                    }
                }
            });
            prop_assert_eq!(fold(&c), by_tables);
        }

        /// Words are the folded text's runs of letters and digits (split at
        /// `x` between digits): whatever the input, `words` never panics
        /// and agrees with `fold`.
        #[test]
        fn words_agree_with_fold(s in "\\PC{0,40}") {
            let ws = words(&s);
            let folded = fold(&s);
            for w in &ws {
                prop_assert!(!w.text.is_empty() && w.text.chars().all(char::is_alphanumeric));
                prop_assert!(folded.contains(&w.text));
                prop_assert!(w.start <= w.end && s.is_char_boundary(w.start) && s.is_char_boundary(w.end));
                prop_assert!(fold(&s[w.start..w.end]).contains(&w.text));
            }
            let joined: String = ws.iter().map(|w| w.text.as_str()).collect();
            let alnum: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
            prop_assert!(alnum.len() >= joined.len());
        }

        /// The analyzed words are the words of `words`, and a range of the
        /// fold maps back to a text that folds to it.
        #[test]
        fn analyze_agrees_with_words(s in "[a-zA-Z0-9äöüÄÖÜß×*xX ,.\\-]{0,30}|\\PC{0,20}") {
            let a = analyze(&s, false);
            let ws = words(&s);
            prop_assert_eq!(a.words.len(), ws.len());
            for (i, w) in ws.iter().enumerate() {
                prop_assert_eq!(a.word(i), w.text.as_str());
                let (st, en) = original_range(&s, a.words[i].at.0, a.words[i].at.1);
                prop_assert!(fold(&s[st..en]).contains(&w.text), "{:?} → {:?}", w.text, &s[st..en]);
            }
        }

        /// Folding runs of ASCII at once is folding char by char.
        #[test]
        fn fold_is_char_by_char(s in "[a-zA-Z0-9äöüÄÖÜßéàç×\\u{308} ,.\\-]{0,30}|\\PC{0,20}") {
            let mut by_char = String::new();
            for c in s.chars() {
                fold_char(c, &mut by_char);
            }
            prop_assert_eq!(fold(&s), by_char);
        }

        /// One pass folds as `fold` and `other_spelling` do.
        #[test]
        fn fold_both_agrees(s in "[a-zA-Z0-9äöüÄÖÜßéàç×\\u{308} ,.\\-]{0,30}|\\PC{0,20}") {
            prop_assert_eq!(fold_both(&s), (fold(&s), other_spelling(&s)));
        }

        /// The index writes exactly the words of `words`.
        #[test]
        fn index_words_agree_with_words(s in "[a-zA-Z0-9äöüÄÖÜß×*xX ,.\\-]{0,30}|\\PC{0,20}") {
            prop_assert_eq!(indexed(&s), indexed_from_words(&s));
        }

        /// The spellings `x`, `×`, `*` between numbers give the same words.
        #[test]
        fn dimension_spellings_agree(a in 1u32..999, b in 1u32..999, sep in prop::sample::select(vec!["x", "X", "×", "*", " x ", " × "])) {
            prop_assert_eq!(texts(&format!("M{a}{sep}{b}")), texts(&format!("M{a}×{b}")));
        }

        /// Upper case, lower case and the transliterated spelling of a word
        /// with umlauts all reach the same indexed words.
        #[test]
        fn umlaut_spellings_meet(stem in "[a-z]{1,6}", tail in "[a-z]{0,6}", u in prop::sample::select(vec![('ä', "ae"), ('ö', "oe"), ('ü', "ue")])) {
            let with = format!("{stem}{}{tail}", u.0);
            let spelled = format!("{stem}{}{tail}", u.1);
            let ws = words(&with);
            prop_assert_eq!(ws.len(), 1);
            prop_assert_eq!(ws[0].variant.as_deref(), Some(spelled.as_str()));
            prop_assert_eq!(words(&with.to_uppercase())[0].text.clone(), ws[0].text.clone());
        }
    }
}
