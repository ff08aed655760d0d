//! Matching a planned query against one product's texts: each query
//! word's best match, which ranking, the tiers of a selective query and
//! the explanations of a page all need (ADR 16).
//!
//! A product's texts are folded once each ([`text::analyze`]: the words the
//! index holds, as ranges, with their other spellings and glued forms);
//! the query's whole-word alternatives are looked up in a hash map and its
//! word beginnings compared, so matching costs little per product.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::search_hit::{MatchField, MatchKind, WordMatch};
use super::search_index::FxHasher;
use super::search_plan::{Plan, WordHit, tier_of};
use crate::text::{self, Analyzed};

/// A [`WordHit::to`] that means "the whole word" (a match in another
/// spelling or a glued word, whose offsets do not point into the text).
pub(super) const WHOLE_WORD: usize = usize::MAX;

/// One text of a product.
pub(super) struct Field<'a> {
    pub field: MatchField,
    pub text: &'a str,
    /// The description ranks after SKU, name and attributes.
    pub description: bool,
    pub words: Analyzed,
}

impl<'a> Field<'a> {
    pub(super) fn new(field: MatchField, text: &'a str, description: bool) -> Field<'a> {
        Field { field, text, description, words: text::analyze(text, true) }
    }

    /// A field for `m` to find each word's best kind of match in (not for
    /// explanations): without the other spellings if `m` needs none.
    pub(super) fn for_kinds(m: &Matcher<'_>, field: MatchField, text: &'a str) -> Field<'a> {
        Field { field, text, description: false, words: text::analyze_spelled(text, true, m.spelled) }
    }
}

/// The best match of a query word in some fields.
#[derive(Debug, Clone)]
pub(super) struct Best {
    pub hit: WordHit,
    /// Index of the field.
    pub field: usize,
    /// Index of the word in the field.
    pub word: usize,
    /// The match was on the word glued to the one before.
    pub glued: bool,
}

/// A query's alternatives up to a tier, ready to match many products.
pub(super) struct Matcher<'p> {
    plan: &'p Plan,
    tier: u8,
    /// term → (query word, alternative) of the whole-word alternatives.
    whole: HashMap<&'p str, Vec<(usize, usize)>, BuildHasherDefault<FxHasher>>,
    /// (query word, alternative) of the word beginnings.
    starts: Vec<(usize, usize)>,
    /// Some term holds an `ae`, `oe` or `ue`, so it may meet a text's
    /// other spelling (`duebel` for `Dübel`) where it does not meet the
    /// text's fold; else the other spellings find nothing more.
    spelled: bool,
    /// Every query word is letters only (so no glued pairs either): then a
    /// text's glued forms (`din933`, `10x12`) meet no term in a way its
    /// plain words do not, and [`Matcher::kinds`] can skip them.
    lean: bool,
}

impl<'p> Matcher<'p> {
    pub(super) fn new(plan: &'p Plan, tier: u8) -> Matcher<'p> {
        let mut whole: HashMap<&str, Vec<(usize, usize)>, BuildHasherDefault<FxHasher>> = HashMap::default();
        let mut starts = Vec::new();
        let mut spelled = false;
        for (wi, w) in plan.words.iter().enumerate() {
            for (ai, a) in w.alts.iter().enumerate().filter(|(_, a)| tier_of(a.kind) <= tier) {
                spelled |= ["ae", "oe", "ue"].iter().any(|p| a.term.contains(p));
                if a.kind == MatchKind::WordStart {
                    starts.push((wi, ai));
                } else {
                    whole.entry(a.term.as_str()).or_default().push((wi, ai));
                }
            }
        }
        let lean = plan.glue.is_empty() && plan.words.iter().all(|w| text::is_letters(&w.text) && w.text != "x");
        Matcher { plan, tier, whole, starts, spelled, lean }
    }

    /// Calls `f(query word, hit)` for every way a query word matches the
    /// folded product word `t`.
    fn each(&self, t: &str, f: &mut dyn FnMut(usize, WordHit)) {
        if let Some(list) = self.whole.get(t) {
            for &(wi, ai) in list {
                let w = &self.plan.words[wi];
                if let Some(h) = w.alt_hit(&w.alts[ai], t) {
                    f(wi, h);
                }
            }
        }
        for &(wi, ai) in &self.starts {
            let w = &self.plan.words[wi];
            if let Some(h) = w.alt_hit(&w.alts[ai], t) {
                f(wi, h);
            }
        }
    }

    /// Each query word's best match in `fields`: not in the description
    /// before in it (as the tiers rank them), then by kind, then by field,
    /// then over more letters. A glued pair of query words that matched one
    /// glued word counts for both: a size (`m10x12`) whenever it did, a code
    /// (`din 933`) only if apart they did not.
    pub(super) fn best(&self, fields: &[Field<'_>]) -> Vec<Option<Best>> {
        let n = self.plan.words.len();
        let mut out: Vec<Option<Best>> = vec![None; n];
        let mut glued: Vec<Option<Best>> = vec![None; self.plan.glue.len()];
        let key = |f: &Field<'_>, h: &WordHit| (f.description, h.kind, f.field);
        let offer = |slot: &mut Option<Best>, fi: usize, b: Best| {
            let better = match slot.as_ref() {
                None => true,
                Some(o) => {
                    let (k, ko) = (key(&fields[fi], &b.hit), key(&fields[o.field], &o.hit));
                    k < ko || k == ko && b.hit.better_than(&o.hit)
                }
            };
            if better {
                *slot = Some(b);
            }
        };
        let mut buf = String::new();
        for (fi, f) in fields.iter().enumerate() {
            for i in 0..f.words.words.len() {
                self.each(f.words.word(i), &mut |wi, hit| {
                    offer(&mut out[wi], fi, Best { hit, field: fi, word: i, glued: false });
                });
                if let Some(o) = f.words.other(i) {
                    self.each(o, &mut |wi, hit| {
                        let hit = WordHit { from: 0, to: WHOLE_WORD, ..hit };
                        offer(&mut out[wi], fi, Best { hit, field: fi, word: i, glued: false });
                    });
                }
                if f.words.glued(i, &mut buf) {
                    let g = buf.as_str();
                    // A query word written glued (`din933`) meets the text's glued pair.
                    self.each(g, &mut |wi, hit| {
                        let hit = WordHit { from: 0, to: WHOLE_WORD, ..hit };
                        offer(&mut out[wi], fi, Best { hit, field: fi, word: i, glued: true });
                    });
                    for (gi, q) in self.plan.glue.iter().enumerate() {
                        let kind = if g == q.word {
                            MatchKind::Exact
                        } else if self.tier >= 2 && g.starts_with(q.word.as_str()) {
                            MatchKind::WordStart
                        } else {
                            continue;
                        };
                        let hit = WordHit { kind, from: 0, to: WHOLE_WORD, read_as: None, edits: 0 };
                        offer(&mut glued[gi], fi, Best { hit, field: fi, word: i, glued: true });
                    }
                }
            }
        }
        for (q, b) in self.plan.glue.iter().zip(glued) {
            match b {
                Some(b) if q.dimension || out[q.at - 1].is_none() || out[q.at].is_none() => {
                    out[q.at - 1] = Some(b.clone());
                    out[q.at] = Some(b);
                }
                // A size's numbers apart (`M10`, and `12` elsewhere) are no
                // whole-word match of the size (as tier 1 has it).
                None if q.dimension => {
                    for b in out[q.at - 1..=q.at].iter_mut().flatten() {
                        if b.hit.kind < MatchKind::WordStart {
                            b.hit.kind = MatchKind::WordStart;
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

impl Matcher<'_> {
    /// Whether a text may hold a better match for some query word than
    /// `best` (from fields that rank before it): only if it contains,
    /// as a substring of its fold or of its other spelling's fold, a term
    /// of a stronger kind than the word's best (a same kind there ranks
    /// after the fields that have it). Conservative: glued pairs and terms
    /// with digits always may (their indexed forms are no substrings).
    /// `raw` may be any text that holds the text's words, such as the JSON
    /// of the attributes; it is folded only if some term needs looking for.
    pub(super) fn may_improve(&self, best: &[Option<MatchKind>], raw: &str) -> bool {
        if !self.plan.glue.is_empty() {
            return true;
        }
        let mut terms: Vec<&str> = Vec::new();
        for (w, &found) in self.plan.words.iter().zip(best) {
            if found == Some(MatchKind::Exact) {
                continue; // nothing is stronger
            }
            for a in w.alts.iter().filter(|a| tier_of(a.kind) <= self.tier && found.is_none_or(|k| a.kind < k)) {
                if !text::is_letters(&a.term) {
                    return true;
                }
                terms.push(&a.term);
            }
        }
        if terms.is_empty() {
            return false;
        }
        let folded = text::fold(raw);
        if terms.iter().any(|t| folded.contains(t)) {
            return true;
        }
        // A term can meet a word's other spelling (`duebel` for `Dübel`)
        // and not its fold only if it holds the letters that spelling adds.
        terms.retain(|t| ["ae", "oe", "ue"].iter().any(|p| t.contains(p)));
        // (See `spelled`.)
        !terms.is_empty() && text::other_spelling(raw).is_some_and(|o| terms.iter().any(|t| o.contains(t)))
    }

    /// Each query word's best kind of match and its field in `texts`, as
    /// [`Matcher::best`] has them on fields made by [`Field::for_kinds`],
    /// without positions and without analysing the texts: only their folds'
    /// words (and other spellings) are compared. `None` unless the matcher
    /// is lean (every query word letters only).
    pub(super) fn kinds(&self, texts: &[(MatchField, &str)]) -> Option<Vec<Option<(MatchKind, MatchField)>>> {
        if !self.lean {
            return None;
        }
        let mut out: Vec<Option<(MatchKind, MatchField)>> = vec![None; self.plan.words.len()];
        for &(field, t) in texts {
            let folded = text::fold(t);
            let other = if self.spelled { text::other_spelling(t) } else { None };
            for w in [Some(folded.as_str()), other.as_deref()].into_iter().flatten().flat_map(text::folded_words) {
                self.each(w, &mut |wi, hit| {
                    if out[wi].is_none_or(|o| (hit.kind, field) < o) {
                        out[wi] = Some((hit.kind, field));
                    }
                });
            }
        }
        Some(out)
    }

    /// The relevance of a product from its SKU and name alone (`folded_name`
    /// is `fold(name)`), cheaply (no glued words), for ranking the many
    /// products of one tier: as [`relevance`] has it, with attribute values
    /// counted as no match.
    pub(super) fn quick_relevance(&self, sku: &str, name: &str, folded_name: &str) -> u32 {
        let mut best = vec![0u32; self.plan.words.len()];
        let sku = text::fold(sku);
        let other = if self.spelled { text::other_spelling(name) } else { None };
        let texts = [(8, Some(sku.as_str())), (4, Some(folded_name)), (4, other.as_deref())];
        for (weight, t) in texts {
            for w in t.into_iter().flat_map(text::folded_words) {
                self.each(w, &mut |wi, hit| {
                    let v = weight + u32::from(matches!(hit.kind, MatchKind::Exact | MatchKind::Inflected));
                    best[wi] = best[wi].max(v);
                });
            }
        }
        best.iter().map(|&b| b.max(1)).sum()
    }
}

/// The relevance of a product from each query word's best kind of match
/// and its field (ADR 4): per word 8 in the SKU, 4 in the name, 1
/// elsewhere, plus 1 for a whole word.
pub(super) fn relevance(kinds: &[Option<(MatchKind, MatchField)>]) -> u32 {
    kinds
        .iter()
        .map(|k| {
            k.map_or(1, |(kind, field)| {
                let weight = match field {
                    MatchField::Sku => 8,
                    MatchField::Name => 4,
                    MatchField::Details => 1,
                };
                weight + u32::from(matches!(kind, MatchKind::Exact | MatchKind::Inflected))
            })
        })
        .sum()
}

/// Why the product matched one query word, from its best match.
pub(super) fn word_match(query: &str, b: &Best, fields: &[Field<'_>]) -> WordMatch {
    let f = &fields[b.field];
    let words = &f.words.words;
    let (ws, we) = if b.glued && b.word > 0 { (words[b.word - 1].at.0, words[b.word].at.1) } else { words[b.word].at };
    let (os, oe) = text::original_range(f.text, ws, we);
    let chars = |s: &str| s.chars().count().min(u32::MAX as usize) as u32;
    // Positions inside the word only for matches on its plain fold.
    let (start, len) = if !b.glued && b.hit.to != WHOLE_WORD {
        let (hs, he) = text::original_range(f.text, ws + b.hit.from, (ws + b.hit.to).min(we));
        (chars(&f.text[..hs]), chars(&f.text[hs..he]))
    } else {
        (chars(&f.text[..os]), chars(&f.text[os..oe]))
    };
    WordMatch {
        query: query.to_string(),
        kind: b.hit.kind,
        field: f.field,
        word: f.text[os..oe].to_string(),
        start: (f.field != MatchField::Details).then_some(start),
        len,
        read_as: b.hit.read_as.clone(),
        edits: b.hit.edits as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::{Lexicon, TermCount};
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "schraube",
        "sechskantschraube",
        "schrauben",
        "stahl",
        "edelstahl",
        "verzinkt",
        "dübel",
        "duebel",
        "messing",
        "mutter",
        "sechskantmutter",
        "m8",
        "din",
        "933",
        "40",
    ];

    fn lexicon() -> Lexicon {
        let rows = WORDS
            .iter()
            .map(|w| TermCount { term: text::fold(w), docs: 5, sku_docs: 0, desc_docs: 0, category_docs: 0 })
            .chain([TermCount { term: "duebel".into(), docs: 5, sku_docs: 0, desc_docs: 0, category_docs: 0 }])
            .collect();
        Lexicon::new(1, rows)
    }

    /// `Matcher::quick_relevance` as if every term needed the other spellings.
    fn quick_relevance_with_spellings(m: &Matcher<'_>, sku: &str, name: &str) -> u32 {
        let mut best = vec![0u32; m.plan.words.len()];
        let sku = text::fold(sku);
        let (folded, other) = (text::fold(name), text::other_spelling(name));
        for (weight, t) in [(8, Some(sku.as_str())), (4, Some(folded.as_str())), (4, other.as_deref())] {
            for w in t.into_iter().flat_map(text::folded_words) {
                m.each(w, &mut |wi, hit| {
                    let v = weight + u32::from(matches!(hit.kind, MatchKind::Exact | MatchKind::Inflected));
                    best[wi] = best[wi].max(v);
                });
            }
        }
        best.iter().map(|&b| b.max(1)).sum()
    }

    fn summary(best: &[Option<Best>]) -> Vec<Option<(MatchKind, usize, usize, usize)>> {
        best.iter().map(|b| b.as_ref().map(|b| (b.hit.kind, b.field, b.hit.from, b.hit.to))).collect()
    }

    fn text_of(picks: &[usize], cut: usize) -> String {
        picks
            .iter()
            .map(|&i| {
                let w = WORDS[i % WORDS.len()];
                // Some words only begun, as a rep types them.
                if i % 3 == 0 { w.chars().take(cut.max(2)).collect() } else { w.to_string() }
            })
            .collect::<Vec<String>>()
            .join(" ")
    }

    proptest! {
        /// Skipping a text that `may_improve` rules out changes no word's best match.
        #[test]
        fn a_skipped_text_would_have_changed_nothing(
            q in prop::collection::vec(0usize..45, 1..4),
            name in prop::collection::vec(0usize..15, 0..4),
            attrs in prop::collection::vec(0usize..15, 0..4),
            cut in 2usize..6,
            tier in 1u8..5,
        ) {
            let lex = lexicon();
            let Some(mut plan) = Plan::new(&text_of(&q, cut), &lex) else { return Ok(()) };
            plan.expand_parts(&lex);
            plan.expand_typos(&lex);
            let m = Matcher::new(&plan, tier);
            let (name, attrs) = (text_of(&name, 9), text_of(&attrs, 9));
            let primary = [Field::new(MatchField::Sku, "X-1", false), Field::new(MatchField::Name, &name, false)];
            let without = m.best(&primary);
            let found: Vec<Option<MatchKind>> = without.iter().map(|b| b.as_ref().map(|b| b.hit.kind)).collect();
            if !m.may_improve(&found, &attrs) {
                let [s, n] = primary;
                let with = m.best(&[s, n, Field::new(MatchField::Details, &attrs, false)]);
                prop_assert_eq!(summary(&with), summary(&without));
            }
            // Without the other spellings where the terms need none: the same kinds and fields.
            let kinds = |b: &[Option<Best>]| b.iter().map(|b| b.as_ref().map(|b| (b.hit.kind, b.field))).collect::<Vec<_>>();
            let full = m.best(&[Field::new(MatchField::Name, &name, false), Field::new(MatchField::Details, &attrs, false)]);
            let lean = m.best(&[Field::for_kinds(&m, MatchField::Name, &name), Field::for_kinds(&m, MatchField::Details, &attrs)]);
            prop_assert_eq!(kinds(&lean), kinds(&full));
            // Without analysing the texts at all, for letters-only queries: the same again.
            if let Some(k) = m.kinds(&[(MatchField::Name, &name), (MatchField::Details, &attrs)]) {
                let by_field = |b: &[Option<Best>], f: &[MatchField; 2]| {
                    b.iter().map(|b| b.as_ref().map(|b| (b.hit.kind, f[b.field]))).collect::<Vec<_>>()
                };
                prop_assert_eq!(k, by_field(&full, &[MatchField::Name, MatchField::Details]));
            }
            let folded = text::fold(&name);
            prop_assert_eq!(m.quick_relevance("X-1", &name, &folded), quick_relevance_with_spellings(&m, "X-1", &name));
        }
    }
}
