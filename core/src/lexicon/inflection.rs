//! Inflection for search: a query word and a catalog word are the same
//! word when one is the other plus a common ending. German plural and case
//! endings (`-e`, `-en`, `-n`, `-s`, `-er`, `-es`: `Unterlegscheibe` /
//! `Unterlegscheiben`, `Mutter` / `Muttern`, `Regal` / `Regale`) and the
//! English plural (`washer` / `washers`, `box` / `boxes`, `battery` /
//! `batteries`). No stemmer: only these one-step forms, so `Rolle` and
//! `Roller` stay different words.

/// The endings, German and English.
pub const ENDINGS: &[&str] = &["e", "en", "n", "s", "er", "es"];

/// Shortest word that takes or loses an ending (`box` → `boxes`).
const MIN_LEN: usize = 3;

/// The forms of `w` that may be the same word: `w` plus an ending, `w`
/// minus an ending (at least three letters left), and English `-ies` ↔ `-y`.
/// `w` itself is not included. Empty for words shorter than three letters.
pub fn forms(w: &str) -> Vec<String> {
    let n = w.chars().count();
    if n < MIN_LEN {
        return Vec::new();
    }
    let mut out: Vec<String> = ENDINGS.iter().map(|e| format!("{w}{e}")).collect();
    out.extend(bases(w).into_iter().map(str::to_string));
    if let Some(stem) = w.strip_suffix("ies").filter(|s| s.chars().count() >= 2) {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = w.strip_suffix('y').filter(|s| s.chars().count() >= 2) {
        out.push(format!("{stem}ies"));
    }
    out.sort();
    out.dedup();
    out.retain(|f| f != w);
    out
}

/// `w` without one of the [`ENDINGS`], at least three letters left, longest
/// first: `unterlegscheiben` → `unterlegscheib`, `unterlegscheibe`.
pub fn bases(w: &str) -> Vec<&str> {
    let mut out: Vec<&str> =
        ENDINGS.iter().filter_map(|e| w.strip_suffix(e)).filter(|b| b.chars().count() >= MIN_LEN).collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.len()));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plurals_and_singulars_reach_each_other() {
        assert!(forms("unterlegscheiben").contains(&"unterlegscheibe".to_string()));
        assert!(forms("unterlegscheibe").contains(&"unterlegscheiben".to_string()));
        assert!(forms("gewindestangen").contains(&"gewindestange".to_string()));
        assert!(forms("muttern").contains(&"mutter".to_string()));
        assert!(forms("regal").contains(&"regale".to_string()));
        assert!(forms("washers").contains(&"washer".to_string()));
        assert!(forms("boxes").contains(&"box".to_string()));
        assert!(forms("batteries").contains(&"battery".to_string()));
        assert!(forms("battery").contains(&"batteries".to_string()));
    }

    #[test]
    fn different_words_stay_different() {
        assert!(!forms("rolle").contains(&"roller".to_string()));
        assert!(!forms("mutter").contains(&"mutte".to_string()), "-r is not an ending");
        assert!(forms("m8").is_empty(), "too short");
        assert_eq!(bases("unterlegscheiben"), vec!["unterlegscheibe", "unterlegscheib"]);
        assert!(bases("sen").is_empty());
    }

    proptest! {
        /// The relation is symmetric: if `a` is a form of `b`, `b` is a form of `a`.
        #[test]
        fn forms_are_symmetric(stem in "[a-z]{3,10}", e in prop::sample::select(ENDINGS.to_vec())) {
            let long = format!("{stem}{e}");
            prop_assert!(forms(&stem).contains(&long));
            prop_assert!(forms(&long).contains(&stem));
            prop_assert!(!forms(&stem).contains(&stem));
        }
    }
}
