//! The catalog's vocabulary for search (ADR 16): every letters-only word
//! the product index holds and every word of the descriptions, with how
//! many products hold it where, and what search derives from it at query
//! time: inflected forms that exist, compounds with a part that begins
//! with a query word, and corrections of typos.
//!
//! Pure: built from the rows of the `search_terms` table, kept by the store
//! per catalog change, no SQLite here.

mod compounds;
pub mod inflection;
pub mod typos;

pub use compounds::Known;

/// One word of the vocabulary as stored: folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermCount {
    /// The word (letters only, unless only in descriptions).
    pub term: String,
    /// Products whose name or attribute values hold it.
    pub docs: u32,
    /// Products whose SKU holds it.
    pub sku_docs: u32,
    /// Products whose description holds it.
    pub desc_docs: u32,
    /// Products whose category holds it (not indexed; known for decompounding).
    pub category_docs: u32,
}

/// Where in a product a word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// The SKU, the name or an attribute value.
    Primary,
    /// The description.
    Description,
}

#[derive(Debug)]
struct Entry {
    text: Box<str>,
    docs: u32,
    sku_docs: u32,
    desc_docs: u32,
    letters: u16,
    mask: u32,
    /// Range in `Lexicon::bounds` of where this word's parts begin.
    parts: (u32, u16),
}

impl Entry {
    fn is(&self, w: Where) -> bool {
        match w {
            Where::Primary => self.docs > 0 || self.sku_docs > 0,
            Where::Description => self.desc_docs > 0,
        }
    }
}

/// A compound of the vocabulary with a part that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The compound (`sechskantmutter`).
    pub term: &'a str,
    /// Byte offset of the part in it (`9`: `mutter`).
    pub offset: usize,
}

/// A word of the vocabulary near a misspelt query word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction<'a> {
    /// The indexed word it stands for (`sechskantschraube`).
    pub term: &'a str,
    /// Edits between the query word and the corrected word or part.
    pub edits: usize,
    /// For a corrected compound part (`schruabe` → the `schraube` of
    /// `zylinderschraube`): the byte offset of that part in `term`.
    pub offset: Option<usize>,
}

/// The vocabulary of one catalog state, and what search derives from it.
#[derive(Debug)]
pub struct Lexicon {
    generation: i64,
    /// Sorted by text.
    entries: Vec<Entry>,
    /// Part offsets of all entries, see `Entry::parts`.
    bounds: Vec<u16>,
    /// (entry, offset) of every part that is not a word's beginning, sorted
    /// by the text from the part to the word's end.
    parts: Vec<(u32, u16)>,
    /// Each distinct part text once, for the typo scan: (entry, offset,
    /// letter mask, letters).
    part_keys: Vec<(u32, u16, u32, u16)>,
}

/// Most compounds one query word expands to (the most frequent first).
pub const MAX_PARTS: usize = 48;
/// Most corrections of one query word (fewest edits, then most frequent).
pub const MAX_CORRECTIONS: usize = 16;

impl Lexicon {
    /// The vocabulary from its stored rows (any order), tagged with the
    /// catalog state's `generation`.
    pub fn new(generation: i64, mut rows: Vec<TermCount>) -> Lexicon {
        rows.retain(|r| {
            let letters = crate::text::is_letters(&r.term);
            r.desc_docs > 0 || letters && (r.docs > 0 || r.sku_docs > 0 || r.category_docs > 0)
        });
        rows.sort_by(|a, b| a.term.cmp(&b.term));
        rows.dedup_by(|a, b| a.term == b.term);
        let known = Known::from_words(
            rows.iter()
                .filter(|r| crate::text::is_letters(&r.term) && (r.docs > 0 || r.desc_docs > 0 || r.category_docs > 0))
                .map(|r| r.term.as_str()),
        );
        let mut entries = Vec::with_capacity(rows.len());
        let mut bounds: Vec<u16> = Vec::new();
        let mut parts: Vec<(u32, u16)> = Vec::new();
        for (i, r) in rows.into_iter().enumerate() {
            let start = bounds.len() as u32;
            if r.docs > 0 && r.term.len() < usize::from(u16::MAX) {
                for b in known.boundaries(&r.term) {
                    bounds.push(b as u16);
                    parts.push((i as u32, b as u16));
                }
            }
            let count = (bounds.len() as u32 - start) as u16;
            entries.push(Entry {
                letters: r.term.chars().count().min(usize::from(u16::MAX)) as u16,
                mask: typos::letter_mask(&r.term),
                text: r.term.into_boxed_str(),
                docs: r.docs,
                sku_docs: r.sku_docs,
                desc_docs: r.desc_docs,
                parts: (start, count),
            });
        }
        parts.sort_by(|a, b| {
            let ta = &entries[a.0 as usize].text[usize::from(a.1)..];
            let tb = &entries[b.0 as usize].text[usize::from(b.1)..];
            ta.cmp(tb).then(a.cmp(b))
        });
        let mut part_keys: Vec<(u32, u16, u32, u16)> = Vec::new();
        let mut last: Option<&str> = None;
        for &(e, o) in &parts {
            let text = &entries[e as usize].text[usize::from(o)..];
            if last != Some(text) {
                part_keys.push((
                    e,
                    o,
                    typos::letter_mask(text),
                    text.chars().count().min(usize::from(u16::MAX)) as u16,
                ));
                last = Some(text);
            }
        }
        Lexicon { generation, entries, bounds, parts, part_keys }
    }

    /// The catalog state this vocabulary belongs to.
    pub fn generation(&self) -> i64 {
        self.generation
    }

    /// Words in the vocabulary.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, t: &str) -> Option<&Entry> {
        self.entries.binary_search_by(|e| (*e.text).cmp(t)).ok().map(|i| &self.entries[i])
    }

    /// Whether the index holds `t` as a whole word `at`. Only letters-only
    /// words are known in SKUs, names and attributes; numbers and codes
    /// there are not in the vocabulary (every SKU would be).
    pub fn has_word(&self, t: &str, at: Where) -> bool {
        self.find(t).is_some_and(|e| e.is(at))
    }

    /// Products whose name or attributes hold `t`.
    pub fn docs(&self, t: &str) -> u32 {
        self.find(t).map_or(0, |e| e.docs)
    }

    /// Whether the index holds a word that begins with `p` `at` (see [`Lexicon::has_word`]).
    pub fn has_prefix(&self, p: &str, at: Where) -> bool {
        let from = self.entries.partition_point(|e| *e.text < *p);
        self.entries[from..].iter().take_while(|e| e.text.starts_with(p)).any(|e| e.is(at))
    }

    /// Products with a word that begins with `p` in SKU, name or attributes,
    /// summed over those words (an upper bound of the products the prefix
    /// matches), or `None` once the sum passes `cap`.
    pub fn prefix_docs(&self, p: &str, cap: u64) -> Option<u64> {
        let from = self.entries.partition_point(|e| *e.text < *p);
        let mut sum = 0u64;
        for e in self.entries[from..].iter().take_while(|e| e.text.starts_with(p)) {
            sum += u64::from(e.docs) + u64::from(e.sku_docs);
            if sum > cap {
                return None;
            }
        }
        Some(sum)
    }

    /// Products with `t` in SKU, name or attributes.
    pub fn primary_docs(&self, t: &str) -> u64 {
        self.find(t).map_or(0, |e| u64::from(e.docs) + u64::from(e.sku_docs))
    }

    /// Products whose description holds `t`.
    pub fn desc_docs(&self, t: &str) -> u64 {
        self.find(t).map_or(0, |e| u64::from(e.desc_docs))
    }

    /// Products with a description word that begins with `p`, summed over
    /// those words, or `None` once the sum passes `cap`.
    pub fn prefix_desc_docs(&self, p: &str, cap: u64) -> Option<u64> {
        let from = self.entries.partition_point(|e| *e.text < *p);
        let mut sum = 0u64;
        for e in self.entries[from..].iter().take_while(|e| e.text.starts_with(p)) {
            sum += u64::from(e.desc_docs);
            if sum > cap {
                return None;
            }
        }
        Some(sum)
    }

    /// The description words that begin with `p`, or `None` if there are
    /// more than `max` (a query can then ask for them by name instead of
    /// as a prefix, which an index without prefix indexes answers slowly).
    pub fn desc_words_with_prefix(&self, p: &str, max: usize) -> Option<Vec<&str>> {
        let from = self.entries.partition_point(|e| *e.text < *p);
        let mut out = Vec::new();
        for e in self.entries[from..].iter().take_while(|e| e.text.starts_with(p)).filter(|e| e.desc_docs > 0) {
            if out.len() == max {
                return None;
            }
            out.push(&*e.text);
        }
        Some(out)
    }

    /// The inflected forms of `w` (see [`inflection::forms`]) that the
    /// catalog's texts hold, with whether they are in SKU, name or
    /// attributes and whether in descriptions.
    pub fn inflections(&self, w: &str) -> Vec<(&str, bool, bool)> {
        inflection::forms(w)
            .iter()
            .filter_map(|f| self.find(f).filter(|e| e.docs > 0 || e.desc_docs > 0))
            .map(|e| (&*e.text, e.docs > 0, e.desc_docs > 0))
            .collect()
    }

    /// Where the parts of `term` begin, if it is a known compound.
    pub fn part_offsets(&self, term: &str) -> &[u16] {
        self.find(term).map_or(&[], |e| {
            let (s, n) = (e.parts.0 as usize, usize::from(e.parts.1));
            &self.bounds[s..s + n]
        })
    }

    /// Compounds with a part (not their beginning) that begins with `w` or
    /// with `w` without an inflection ending (`scheiben` → the `scheibe` of
    /// `unterlegscheibe`); at most [`MAX_PARTS`], the most frequent first.
    /// Words that begin with `w` are not included: they match as word
    /// beginnings already.
    pub fn compounds(&self, w: &str) -> Vec<Part<'_>> {
        let mut keys: Vec<&str> = vec![w];
        keys.extend(inflection::bases(w).into_iter().filter(|b| b.chars().count() >= 4));
        let mut found: Vec<(u32, u16)> = Vec::new();
        for key in keys {
            let suffix = |p: &(u32, u16)| &self.entries[p.0 as usize].text[usize::from(p.1)..];
            let from = self.parts.partition_point(|p| suffix(p) < key);
            found.extend(self.parts[from..].iter().take_while(|p| suffix(p).starts_with(key)).copied());
        }
        found.sort_unstable();
        found.dedup_by_key(|p| p.0);
        let mut out: Vec<(u32, Part<'_>)> = found
            .into_iter()
            .map(|(i, _)| &self.entries[i as usize])
            .filter(|e| !e.text.starts_with(w))
            .map(|e| {
                let offset = usize::from(self.offset_in(e, w));
                (e.docs, Part { term: &e.text, offset })
            })
            .collect();
        out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.term.cmp(b.1.term)));
        out.truncate(MAX_PARTS);
        out.into_iter().map(|(_, p)| p).collect()
    }

    /// The first part offset of `e` at which `w` (or one of its bases) begins.
    fn offset_in(&self, e: &Entry, w: &str) -> u16 {
        let (s, n) = (e.parts.0 as usize, usize::from(e.parts.1));
        let offs = &self.bounds[s..s + n];
        let mut keys: Vec<&str> = vec![w];
        keys.extend(inflection::bases(w));
        keys.iter()
            .find_map(|k| offs.iter().copied().find(|&o| e.text[usize::from(o)..].starts_with(k)))
            .unwrap_or_default()
    }

    /// Indexed words within the allowed edits of `w` ([`typos::allowed_edits`];
    /// none for words with a digit), and compounds with a part within them
    /// (`schruabe` → `schraube`, `sechskantschraube`…); at most
    /// [`MAX_CORRECTIONS`], fewest edits first, then the most frequent.
    /// `w` itself and its inflections are not corrections.
    pub fn corrections(&self, w: &str) -> Vec<Correction<'_>> {
        if !crate::text::is_letters(w) {
            return Vec::new();
        }
        let n = w.chars().count();
        let max = typos::allowed_edits(n);
        if max == 0 || n > typos::MAX_LEN {
            return Vec::new();
        }
        let mask = typos::letter_mask(w);
        let forms = inflection::forms(w);
        let near =
            |e: &Entry| usize::from(e.letters).abs_diff(n) <= max && ((e.mask ^ mask).count_ones() as usize) <= 2 * max;
        let mut out: Vec<(usize, u32, Correction<'_>)> = Vec::new();
        for e in self.entries.iter().filter(|e| e.docs > 0 && near(e)) {
            if let Some(d) = typos::str_distance(w, &e.text, max).filter(|&d| d > 0)
                && !forms.iter().any(|f| **f == *e.text)
            {
                out.push((d, e.docs, Correction { term: &e.text, edits: d, offset: None }));
            }
        }
        // Parts of compounds: each distinct part text once.
        for &(ei, off, pmask, letters) in &self.part_keys {
            if usize::from(letters).abs_diff(n) > max || ((pmask ^ mask).count_ones() as usize) > 2 * max {
                continue;
            }
            let part = &self.entries[ei as usize].text[usize::from(off)..];
            let Some(d) = typos::str_distance(w, part, max).filter(|&d| d > 0) else { continue };
            for p in self.compounds(part) {
                let docs = self.docs(p.term);
                out.push((d, docs, Correction { term: p.term, edits: d, offset: Some(p.offset) }));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.term.cmp(b.2.term)));
        out.dedup_by(|a, b| a.2.term == b.2.term);
        out.truncate(MAX_CORRECTIONS);
        out.into_iter().map(|(_, _, c)| c).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(words: &[(&str, u32)]) -> Lexicon {
        Lexicon::new(
            1,
            words
                .iter()
                .map(|&(t, d)| TermCount { term: t.into(), docs: d, sku_docs: 0, desc_docs: 0, category_docs: 0 })
                .collect(),
        )
    }

    fn sample() -> Lexicon {
        let mut rows: Vec<TermCount> = [
            ("sechskantschraube", 40),
            ("sechskantmutter", 30),
            ("zylinderschraube", 20),
            ("schraube", 5),
            ("unterlegscheibe", 25),
            ("trennscheibe", 8),
            ("stahl", 90),
            ("edelstahl", 50),
            ("dubel", 7),
            ("duebel", 7),
        ]
        .iter()
        .map(|&(t, d)| TermCount { term: t.into(), docs: d, sku_docs: 0, desc_docs: 0, category_docs: 0 })
        .collect();
        let other = |t: &str, sku_docs, desc_docs, category_docs| TermCount {
            term: t.into(),
            docs: 0,
            sku_docs,
            desc_docs,
            category_docs,
        };
        rows.push(other("muttern", 0, 0, 30));
        rows.push(other("scheiben", 0, 0, 33));
        rows.push(other("sks", 40, 0, 0));
        rows.push(other("lager", 0, 90, 0));
        rows.push(other("10204", 0, 4, 0));
        Lexicon::new(3, rows)
    }

    #[test]
    fn words_and_prefixes_of_the_index() {
        let l = sample();
        assert_eq!(l.generation(), 3);
        assert!(l.has_word("stahl", Where::Primary) && l.has_word("sks", Where::Primary), "SKU words are index words");
        assert!(!l.has_word("muttern", Where::Primary), "a category word is known, not indexed");
        assert!(l.has_word("lager", Where::Description) && !l.has_word("lager", Where::Primary));
        assert!(l.has_word("10204", Where::Description), "description numbers are known");
        assert!(
            l.has_prefix("sechs", Where::Primary)
                && l.has_prefix("sk", Where::Primary)
                && !l.has_prefix("mutt", Where::Primary)
        );
        assert!(l.has_prefix("lag", Where::Description) && !l.has_prefix("lag", Where::Primary));
        assert_eq!(l.docs("edelstahl"), 50);
        assert_eq!(l.prefix_docs("sechskant", 1000), Some(70));
        assert_eq!(l.prefix_docs("s", 50), None, "passes the cap");
        assert_eq!((l.primary_docs("sks"), l.primary_docs("lager")), (40, 0));
        assert_eq!(
            (l.desc_docs("lager"), l.prefix_desc_docs("la", 100), l.prefix_desc_docs("la", 50)),
            (90, Some(90), None)
        );
        assert_eq!(l.desc_words_with_prefix("lag", 4), Some(vec!["lager"]));
        assert_eq!(l.desc_words_with_prefix("lag", 0), None, "more than the most");
        assert_eq!(l.desc_words_with_prefix("stahl", 4), Some(vec![]), "not in descriptions");
    }

    #[test]
    fn compounds_by_part_most_frequent_first() {
        let l = sample();
        let terms = |w: &str| l.compounds(w).into_iter().map(|p| (p.term.to_string(), p.offset)).collect::<Vec<_>>();
        assert_eq!(terms("schraube"), vec![("sechskantschraube".to_string(), 9), ("zylinderschraube".to_string(), 8)]);
        assert_eq!(terms("mutt"), vec![("sechskantmutter".to_string(), 9)], "a part's beginning");
        assert_eq!(
            terms("scheiben"),
            vec![("unterlegscheibe".to_string(), 8), ("trennscheibe".to_string(), 5)],
            "the part of a plural query word"
        );
        assert_eq!(terms("stahl"), vec![("edelstahl".to_string(), 4)]);
        assert!(terms("sechs").is_empty(), "word beginnings are not parts");
        assert!(terms("tahl").is_empty(), "not at a part's beginning");
    }

    #[test]
    fn corrections_by_edits_then_frequency() {
        let l = sample();
        let c = l.corrections("sechskantschruabe");
        assert_eq!(c[0], Correction { term: "sechskantschraube", edits: 1, offset: None });
        let c: Vec<(&str, usize, Option<usize>)> =
            l.corrections("schruabe").into_iter().map(|c| (c.term, c.edits, c.offset)).collect();
        assert!(c.contains(&("schraube", 1, None)), "{c:?}");
        assert!(c.contains(&("sechskantschraube", 1, Some(9))), "a compound by its corrected part: {c:?}");
        assert!(l.corrections("stahl").is_empty(), "a known word needs no correction");
        assert!(l.corrections("stahk").iter().any(|c| c.term == "stahl"));
        assert!(l.corrections("stah").is_empty(), "four letters: no typos");
        assert!(l.corrections("m10x2").is_empty(), "never for numbers and codes");
        assert_eq!(lexicon(&[("dubel", 1)]).corrections("dubels"), vec![], "an inflection is not a typo");
    }

    #[test]
    fn inflections_that_exist() {
        let l = sample();
        assert_eq!(l.inflections("unterlegscheiben"), vec![("unterlegscheibe", true, false)]);
        assert_eq!(l.inflections("schrauben"), vec![("schraube", true, false)]);
        assert!(l.inflections("muttern").is_empty(), "mutter is not an indexed word");
    }
}
