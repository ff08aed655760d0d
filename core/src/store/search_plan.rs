//! What each word of a product query may match, tier by tier (ADR 16),
//! and the FTS5 expressions that find it.
//!
//! A query word matches, from best to weakest: a whole word or an
//! inflection of it (tier 1), the beginning of a word (2), the beginning of
//! a part of a compound (3), a word or part within its allowed typos (4).
//! The expression of tier *k* lets every word match at any tier up to *k*,
//! so the tiers' results nest and each tier adds the products the one
//! before did not find. Terms the vocabulary knows not to be in the index
//! are left out, so an impossible tier costs no query at all. Description
//! words have an index of their own, asked only as a fallback (see
//! `store::search`): there a word matches as a whole word, an inflection
//! or a word beginning, never as a compound part or a typo.

use crate::lexicon::{Lexicon, Where, inflection};
use crate::text::{self, Word, is_letters};

use super::search_hit::MatchKind;

/// At most this many query words are used: longer input adds nothing but cost.
pub(super) const MAX_WORDS: usize = 16;

/// A word beginning in descriptions that at most this many of their words
/// have is asked as those words: the descriptions' index has no prefix
/// indexes, and a prefix query there reads every matching word's list first.
const PREFIX_AS_WORDS: usize = 16;

/// Shortest query word that matches compound parts.
const MIN_PART_QUERY: usize = 3;

/// The tier of a kind of match.
pub(super) fn tier_of(kind: MatchKind) -> u8 {
    match kind {
        MatchKind::Sku => 0,
        MatchKind::Exact | MatchKind::Inflected => 1,
        MatchKind::WordStart => 2,
        MatchKind::CompoundPart => 3,
        MatchKind::Typo => 4,
    }
}

/// One index word a query word may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Alt {
    /// The index word; for a word beginning, the beginning.
    pub term: String,
    /// How it matches.
    pub kind: MatchKind,
    /// Byte offset of the part in `term` (compound parts, corrected parts).
    pub offset: usize,
    /// Edits of a typo correction.
    pub edits: usize,
    /// In SKUs, names or attributes (or not known not to be).
    pub primary: bool,
    /// In descriptions.
    pub description: bool,
}

/// One query word and the index words it may match.
#[derive(Debug, Clone, Default)]
pub(super) struct QueryWord {
    /// Folded, as typed.
    pub text: String,
    /// The alternatives, in the order they were found.
    pub alts: Vec<Alt>,
}

/// How a query word matched one word of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WordHit {
    pub kind: MatchKind,
    /// Byte range of the matched letters in the folded product word.
    pub from: usize,
    pub to: usize,
    /// What the query word was read as (an inflection, a correction).
    pub read_as: Option<String>,
    pub edits: usize,
}

fn alt(term: &str, kind: MatchKind, primary: bool, description: bool) -> Alt {
    Alt { term: term.to_string(), kind, offset: 0, edits: 0, primary, description }
}

impl QueryWord {
    fn new(w: Word, lex: &Lexicon) -> QueryWord {
        let letters = is_letters(&w.text);
        let mut alts = Vec::new();
        for s in std::iter::once(&w.text).chain(w.variant.as_ref()) {
            // Letters-only words the vocabulary does not hold are not in the
            // index. Numbers and codes in SKUs, names and attributes are not
            // in the vocabulary, so for those they always stay.
            alts.push(alt(
                s,
                MatchKind::Exact,
                !letters || lex.has_word(s, Where::Primary),
                lex.has_word(s, Where::Description),
            ));
            alts.push(alt(
                s,
                MatchKind::WordStart,
                !letters || lex.has_prefix(s, Where::Primary),
                lex.has_prefix(s, Where::Description),
            ));
            if letters {
                for (f, p, d) in lex.inflections(s) {
                    alts.push(alt(f, MatchKind::Inflected, p, d));
                }
            }
        }
        alts.retain(|a| a.primary || a.description);
        QueryWord { text: w.text, alts }
    }

    fn letters(&self) -> bool {
        is_letters(&self.text)
    }

    fn has(&self, term: &str) -> bool {
        self.alts.iter().any(|a| a.term == term && a.kind != MatchKind::WordStart)
            || self.alts.iter().any(|a| a.kind == MatchKind::WordStart && term.starts_with(a.term.as_str()))
    }

    /// The FTS5 alternatives of this word up to `tier` in the texts `at`
    /// (the product index, or the descriptions' index); `None` if none.
    fn alternatives(&self, tier: u8, at: Where) -> Option<String> {
        self.alternatives_in(tier, at, None)
    }

    /// [`QueryWord::alternatives`]; with `lex`, a word beginning in
    /// descriptions that few of their words have is asked as those words.
    fn alternatives_in(&self, tier: u8, at: Where, lex: Option<&Lexicon>) -> Option<String> {
        let here = |a: &Alt| match at {
            Where::Primary => a.primary,
            Where::Description => a.description,
        };
        let usable: Vec<&Alt> = self.alts.iter().filter(|a| tier_of(a.kind) <= tier && here(a)).collect();
        let prefixes: Vec<&&Alt> = usable.iter().filter(|a| a.kind == MatchKind::WordStart).collect();
        let mut alts: Vec<String> = Vec::new();
        for a in &usable {
            // A word beginning covers the whole words that begin with it.
            if a.kind != MatchKind::WordStart && prefixes.iter().any(|p| a.term.starts_with(p.term.as_str())) {
                continue;
            }
            let named = match (lex, at, a.kind) {
                (Some(lex), Where::Description, MatchKind::WordStart) => {
                    lex.desc_words_with_prefix(&a.term, PREFIX_AS_WORDS)
                }
                _ => None,
            };
            match named {
                Some(words) => alts.extend(words.into_iter().map(|w| format!("\"{w}\""))),
                None if a.kind == MatchKind::WordStart => alts.push(format!("\"{}\"*", a.term)),
                None => alts.push(format!("\"{}\"", a.term)),
            }
        }
        alts.sort();
        alts.dedup();
        match alts.len() {
            0 => None,
            1 => alts.pop(),
            _ => Some(format!("({})", alts.join(" OR "))),
        }
    }

    /// How this word matches the folded product word `t` at tiers up to
    /// `tier`, the best way.
    #[cfg(test)]
    pub(super) fn hit(&self, t: &str, tier: u8) -> Option<WordHit> {
        let mut best: Option<WordHit> = None;
        for a in self.alts.iter().filter(|a| tier_of(a.kind) <= tier) {
            if let Some(h) = self.alt_hit(a, t)
                && best.as_ref().is_none_or(|b| h.better_than(b))
            {
                best = Some(h);
            }
        }
        best
    }

    /// How alternative `a` of this word matches the folded product word `t`.
    pub(super) fn alt_hit(&self, a: &Alt, t: &str) -> Option<WordHit> {
        let whole = |read_as: Option<String>| WordHit { kind: a.kind, from: 0, to: t.len(), read_as, edits: 0 };
        Some(match a.kind {
            MatchKind::Exact if a.term == t => whole(None),
            MatchKind::Inflected if a.term == t => whole(Some(a.term.clone())),
            MatchKind::WordStart if t.starts_with(a.term.as_str()) => {
                WordHit { kind: a.kind, from: 0, to: a.term.len(), read_as: None, edits: 0 }
            }
            MatchKind::CompoundPart if a.term == t => {
                let part = &t[a.offset..];
                let len = std::iter::once(self.text.as_str())
                    .chain(inflection::bases(&self.text))
                    .map(|k| common_prefix(part, k))
                    .max()
                    .unwrap_or(0);
                WordHit { kind: a.kind, from: a.offset, to: a.offset + len.max(1), read_as: None, edits: 0 }
            }
            MatchKind::Typo if a.term == t => WordHit {
                kind: a.kind,
                from: a.offset,
                to: t.len(),
                read_as: Some(t[a.offset..].to_string()),
                edits: a.edits,
            },
            _ => return None,
        })
    }
}

impl WordHit {
    /// Better: a stronger kind, or the same kind over more letters.
    pub(super) fn better_than(&self, other: &WordHit) -> bool {
        self.kind < other.kind
            || self.kind == other.kind && self.to.saturating_sub(self.from) > other.to.saturating_sub(other.from)
    }
}

/// Bytes of the longest common beginning of `a` and `b`, on char boundaries.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices().zip(b.chars()).take_while(|((_, x), y)| x == y).last().map_or(0, |((i, c), _)| i + c.len_utf8())
}

/// Two neighbouring query words that are also one index word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Glue {
    /// The second word's index.
    pub at: usize,
    /// The glued word: `din933` for `din 933`, `m10x12` for `M10×12`.
    pub word: String,
    /// A dimension: whole-word matches (tier 1) need the glued word, as
    /// `M10×12` is one size, not `M10` and a `12` somewhere.
    pub dimension: bool,
}

/// A query, planned against a vocabulary.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub words: Vec<QueryWord>,
    /// Words `i - 1` and `i` that may also match as one glued index word.
    pub glue: Vec<Glue>,
    expanded_parts: bool,
    expanded_typos: bool,
}

impl Plan {
    /// The plan of query `text`; `None` if it has no word.
    pub(super) fn new(text: &str, lex: &Lexicon) -> Option<Plan> {
        let ws: Vec<Word> = text::words(text).into_iter().take(MAX_WORDS).collect();
        if ws.is_empty() {
            return None;
        }
        let mut glue: Vec<Glue> = Vec::new();
        for i in 1..ws.len() {
            if glue.last().is_some_and(|g| g.at == i - 1) {
                continue; // each word in one pair at most
            }
            let found = match text::dimension(&ws[i - 1], &ws[i]) {
                Some(word) => Some((word, true)),
                // A code glued across a space only, as the index has it.
                None => text::glued(&ws[i - 1], &ws[i]).filter(|_| ws[i].after_space).map(|w| (w, false)),
            };
            if let Some((word, dimension)) = found {
                glue.push(Glue { at: i, word, dimension });
            }
        }
        let words = ws.into_iter().map(|w| QueryWord::new(w, lex)).collect();
        Some(Plan { words, glue, expanded_parts: false, expanded_typos: false })
    }

    /// An upper bound of the products tier 3 can match in SKU, name and
    /// attributes, from the vocabulary's counts (`None`: unknown, a number
    /// or code is in the way); stops counting past `cap`.
    pub(super) fn bound(&self, lex: &Lexicon, cap: u64) -> Option<u64> {
        (0..self.words.len()).filter_map(|i| self.word_bound(i, lex, cap)).min()
    }

    /// An upper bound of the products word `i` can match at tiers up to 3
    /// in SKU, name and attributes; `None` for a number or code (which the
    /// vocabulary does not count there) and for a word of a glued pair.
    /// Values above `cap` are not exact.
    fn word_bound(&self, i: usize, lex: &Lexicon, cap: u64) -> Option<u64> {
        let w = &self.words[i];
        if !w.letters() || self.glued(i) {
            return None;
        }
        let mut sum = 0u64;
        for a in w.alts.iter().filter(|a| a.primary && tier_of(a.kind) <= 3) {
            sum += match a.kind {
                MatchKind::WordStart => lex.prefix_docs(&a.term, cap).unwrap_or(cap + 1),
                _ => lex.primary_docs(&a.term),
            };
            if sum > cap {
                break;
            }
        }
        Some(sum)
    }

    fn glued(&self, i: usize) -> bool {
        self.glue.iter().any(|g| g.at == i || g.at == i + 1)
    }

    /// The word that may lead a longer query (see `store::search`): the
    /// letters-only word with the smallest bound if that is at most `cap`,
    /// else the longest number or code of five characters or more (a SKU's
    /// number; shorter ones, sizes and norms, are rarely selective), whose
    /// count only the index knows; never a word of a glued pair.
    pub(super) fn lead(&self, lex: &Lexicon, cap: u64) -> Option<usize> {
        let counted = (0..self.words.len())
            .filter_map(|i| self.word_bound(i, lex, cap).map(|b| (b, i)))
            .min()
            .filter(|&(b, _)| b <= cap);
        if let Some((_, i)) = counted {
            return Some(i);
        }
        (0..self.words.len())
            .filter(|&i| !self.words[i].letters() && !self.glued(i))
            .map(|i| (self.words[i].text.chars().count(), std::cmp::Reverse(i)))
            .filter(|&(n, _)| n >= 5)
            .max()
            .map(|(_, std::cmp::Reverse(i))| i)
    }

    /// The FTS5 expression of word `i` alone at `tier`, in SKUs, names and
    /// attributes; `None` if it cannot match there.
    pub(super) fn word_expression(&self, i: usize, tier: u8) -> Option<String> {
        self.words[i].alternatives(tier, Where::Primary)
    }

    /// How many words or glued pairs every match needs.
    pub(super) fn slots(&self) -> usize {
        self.words.len() - self.glue.len()
    }

    /// Adds the compound parts (tier 3) to letters-only words of three
    /// letters or more (also of their other spelling: `duebel`).
    pub(super) fn expand_parts(&mut self, lex: &Lexicon) {
        if std::mem::replace(&mut self.expanded_parts, true) {
            return;
        }
        for w in self.words.iter_mut().filter(|w| w.letters() && w.text.chars().count() >= MIN_PART_QUERY) {
            let spellings: Vec<String> = w
                .alts
                .iter()
                .filter(|a| a.kind == MatchKind::Exact)
                .map(|a| a.term.clone())
                .chain([w.text.clone()])
                .collect();
            for s in spellings {
                for p in lex.compounds(&s) {
                    if !w.has(p.term) {
                        w.alts.push(Alt { offset: p.offset, ..alt(p.term, MatchKind::CompoundPart, true, false) });
                    }
                }
            }
        }
    }

    /// Adds the typo corrections (tier 4).
    pub(super) fn expand_typos(&mut self, lex: &Lexicon) {
        if std::mem::replace(&mut self.expanded_typos, true) {
            return;
        }
        for w in &mut self.words {
            for c in lex.corrections(&w.text) {
                if !w.has(c.term) {
                    let a = alt(c.term, MatchKind::Typo, true, false);
                    w.alts.push(Alt { offset: c.offset.unwrap_or(0), edits: c.edits, ..a });
                }
            }
        }
    }

    /// The FTS5 MATCH expression of `tier` over SKUs, names and attributes:
    /// every word (or glued pair) must match at that tier or a better one.
    /// `None` if some word cannot.
    pub(super) fn expression(&self, tier: u8) -> Option<String> {
        let mut slots: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.words.len() {
            match self.glue.iter().find(|g| g.at == i + 1) {
                Some(g) => {
                    let star = if tier >= 2 { "*" } else { "" };
                    let glued = format!("\"{}\"{star}", g.word);
                    let apart = (!g.dimension || tier >= 2)
                        .then(|| {
                            let (a, b) = (&self.words[i], &self.words[i + 1]);
                            a.alternatives(tier, Where::Primary).zip(b.alternatives(tier, Where::Primary))
                        })
                        .flatten();
                    slots.push(match apart {
                        Some((a, b)) => format!("(({a} AND {b}) OR {glued})"),
                        None => glued,
                    });
                    i += 2;
                }
                None => {
                    slots.push(self.words[i].alternatives(tier, Where::Primary)?);
                    i += 1;
                }
            }
        }
        Some(slots.join(" AND "))
    }

    /// For each word, its alternatives (all tiers) in SKUs, names and
    /// attributes, and in descriptions (whole words, inflections, word
    /// beginnings, see [`PREFIX_AS_WORDS`]): what the description fallback
    /// asks of both indexes.
    pub(super) fn per_word(&self, lex: &Lexicon) -> Vec<(Option<String>, Option<String>)> {
        self.words
            .iter()
            .map(|w| (w.alternatives(4, Where::Primary), w.alternatives_in(4, Where::Description, Some(lex))))
            .collect()
    }

    /// The plan with only the alternatives descriptions hold, and no glued
    /// pairs: what the fallback asks of a description.
    pub(super) fn in_descriptions(&self) -> Plan {
        let words = self
            .words
            .iter()
            .map(|w| QueryWord {
                text: w.text.clone(),
                alts: w.alts.iter().filter(|a| a.description).cloned().collect(),
            })
            .collect();
        Plan { words, glue: Vec::new(), expanded_parts: true, expanded_typos: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::TermCount;

    fn lex() -> Lexicon {
        // (term, name/attributes, SKU, description, category)
        let rows = [
            ("sechskantschraube", 40, 0, 40, 0),
            ("sechskantmutter", 30, 0, 0, 0),
            ("schraube", 5, 0, 0, 0),
            ("unterlegscheibe", 25, 0, 0, 0),
            ("dubel", 7, 0, 0, 0),
            ("duebel", 7, 0, 0, 0),
            ("din", 60, 0, 0, 0),
            ("sks", 0, 40, 0, 0),
            ("muttern", 0, 0, 0, 30),
            ("lager", 0, 0, 90, 0),
        ];
        Lexicon::new(
            1,
            rows.iter()
                .map(|&(t, docs, sku_docs, desc_docs, category_docs)| TermCount {
                    term: t.into(),
                    docs,
                    sku_docs,
                    desc_docs,
                    category_docs,
                })
                .collect(),
        )
    }

    fn plan(q: &str) -> Plan {
        let l = lex();
        let mut p = Plan::new(q, &l).unwrap_or_else(|| panic!("no words in {q:?}"));
        p.expand_parts(&l);
        p.expand_typos(&l);
        p
    }

    #[test]
    fn tiers_widen_and_unknown_words_cost_nothing() {
        let p = plan("schraube");
        assert_eq!(p.expression(1).as_deref(), Some("\"schraube\""));
        assert_eq!(p.expression(2).as_deref(), Some("\"schraube\"*"));
        assert_eq!(
            p.expression(3).as_deref(),
            Some("(\"schraube\"* OR \"sechskantschraube\")"),
            "the part of a compound"
        );
        assert_eq!(p.per_word(&lex())[0].1, None, "no description holds schraube");
        let p = plan("sechskantschruabe");
        let none = (p.expression(1), p.expression(2), p.expression(3));
        assert_eq!(none, (None, None, None), "not in the index");
        assert_eq!(p.expression(4).as_deref(), Some("\"sechskantschraube\""));
        assert_eq!(p.per_word(&lex())[0].1, None, "no typos in descriptions");
        let p = plan("sechskantschraub");
        assert_eq!(
            p.per_word(&lex())[0].1.as_deref(),
            Some("\"sechskantschraube\""),
            "a word beginning in descriptions, asked as the description words it begins"
        );
    }

    #[test]
    fn numbers_and_codes_always_query_and_glue() {
        let p = plan("DIN 933 M8");
        assert_eq!(p.expression(1).as_deref(), Some("((\"din\" AND \"933\") OR \"din933\") AND \"m8\""));
        let p = plan("din933");
        assert_eq!(p.expression(1).as_deref(), Some("\"din933\""));
        assert_eq!(p.per_word(&lex())[0].1, None, "no description holds it");
        assert!(p.words[0].alts.iter().all(|a| a.kind != MatchKind::Typo), "never typos for codes");
        let p = plan("M10×12");
        assert_eq!(p.expression(1).as_deref(), Some("\"m10x12\""), "one size");
        assert_eq!(p.expression(2).as_deref(), Some("((\"m10\"* AND \"12\"*) OR \"m10x12\"*)"));
    }

    #[test]
    fn a_selective_word_or_a_long_number_leads() {
        let l = lex();
        let p = plan("sechskantmutter din");
        assert_eq!(p.lead(&l, 64), Some(0), "at most 2 × 30 products have the compound (whole or begun)");
        assert_eq!(p.lead(&l, 32), None, "more than the most, and no number");
        let p = plan("m8 054539 din");
        assert_eq!(p.lead(&l, 32), Some(1), "the longest number: its count is the index's");
        assert_eq!(plan("din 933").lead(&l, 32), None, "a glued pair never leads");
        assert_eq!(p.word_expression(1, 3).as_deref(), Some("\"054539\"*"));
        assert!(plan("hg-058121").glue.is_empty(), "glued across a space only, as indexed");
    }

    #[test]
    fn description_words_are_asked_of_their_own_index() {
        let p = plan("lager");
        assert_eq!(p.expression(2), None, "no name holds it");
        assert_eq!(p.per_word(&lex())[0], (None, Some("\"lager\"".to_string())));
        assert_eq!(p.in_descriptions().words[0].alts.len(), p.words[0].alts.len(), "all of them in descriptions");
        let p = plan("schraube");
        assert!(p.in_descriptions().words[0].alts.is_empty(), "no description holds schraube");
    }

    #[test]
    fn spellings_and_inflections_are_exact() {
        let p = plan("Dübel");
        let exact: Vec<&str> =
            p.words[0].alts.iter().filter(|a| a.kind == MatchKind::Exact).map(|a| a.term.as_str()).collect();
        assert_eq!(exact, vec!["dubel", "duebel"]);
        let p = plan("unterlegscheiben");
        assert_eq!(p.expression(1).as_deref(), Some("\"unterlegscheibe\""));
        assert_eq!(p.words[0].hit("unterlegscheibe", 1).map(|h| h.kind), Some(MatchKind::Inflected));
    }

    #[test]
    fn hits_say_how_and_where() {
        let p = plan("mutt");
        let h = p.words[0].hit("sechskantmutter", 3);
        assert_eq!(h.map(|h| (h.kind, h.from, h.to)), Some((MatchKind::CompoundPart, 9, 13)));
        assert_eq!(p.words[0].hit("sechskantmutter", 2), None, "not at tier 2");
        let p = plan("sechskantschruabe");
        let h = p.words[0].hit("sechskantschraube", 4);
        assert_eq!(
            h.map(|h| (h.kind, h.edits, h.read_as)),
            Some((MatchKind::Typo, 1, Some("sechskantschraube".into())))
        );
        let p = plan("sk");
        assert_eq!(p.words[0].hit("sks", 2).map(|h| (h.kind, h.to)), Some((MatchKind::WordStart, 2)));
    }

    #[test]
    fn hostile_text_stays_inside_quotes() {
        for q in ["\"", "NEAR(", "a OR b", "*", "sku:x", "^schraube", "\u{0}", "x\"y"] {
            if let Some(p) = Plan::new(q, &lex()) {
                for t in [1, 2, 3, 4] {
                    if let Some(e) = p.expression(t) {
                        assert!(!e.contains(':') && !e.contains('^') && e.matches('"').count() % 2 == 0, "{q:?} → {e}");
                    }
                }
            }
        }
    }
}
