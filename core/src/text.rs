//! Text folding for search: case- and diacritic-insensitive matching.
//!
//! Both the indexed text and the query pass through [`fold`], so `Müller`,
//! `MULLER` and `muller` meet, and `Straße` meets `strasse`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases, strips diacritics (`ü → u`, `é → e`) and expands ligatures
/// (`ß → ss`, `æ → ae`, `œ → oe`); other characters are kept.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Splits folded text into search tokens: maximal runs of letters and digits.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_and_ligatures() {
        assert_eq!(fold("Müller-Schraube"), "muller-schraube");
        assert_eq!(fold("STRASSE Straße"), "strasse strasse");
        assert_eq!(fold("Crème brûlée, Ærø, Łódź"), "creme brulee, aero, lodz");
        assert_eq!(fold("Ｍ８"), "m8");
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
}
