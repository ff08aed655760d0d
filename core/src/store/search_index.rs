//! Keeping the product search index and its vocabulary (ADR 16).
//!
//! Every product row has one row in the FTS5 table `product_search` and
//! one in `product_details` (its description) with its words as
//! [`text::index_words`] writes them, and adds its letters-only words and
//! its description's words to the counts in `search_terms`. Writes collect the count changes
//! of a whole transaction in memory and store them once at its end, so a
//! bulk import costs one statement per distinct word, not per product.
//! Readers keep the vocabulary as a [`Lexicon`] in memory, rebuilt when
//! `search_state.generation` says it changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, Transaction, params};

use crate::catalog::Product;
use crate::error::Result;
use crate::lexicon::{Lexicon, TermCount};
use crate::text::{self, fold, is_letters};

/// The version of the words in `product_search`. A store whose index is
/// older rebuilds it when opened (`ensure_format`). 1: issue 24's words.
pub(super) const INDEX_FORMAT: i64 = 1;

/// The index as it was written before issue 24 (each column folded, one
/// table, no vocabulary). Only the benchmarks' baseline writes it
/// (`Store::write_prefix_baseline_index`), so that today's import and
/// search are measured against the old ones in one run; a store that finds
/// it when opened rebuilds the current index (it is older than any format).
pub(super) const PREFIX_BASELINE_FORMAT: i64 = -1;

/// Drops the index and the vocabulary and creates them empty (before a
/// rebuild).
pub(super) fn recreate(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch("DROP TABLE IF EXISTS product_search; DROP TABLE IF EXISTS product_details;")?;
    tx.execute_batch(TABLES)?;
    tx.execute("DELETE FROM search_terms", [])?;
    tx.execute("UPDATE search_state SET generation = generation + 1 WHERE id = 1", [])?;
    Ok(())
}

/// The index's tables, derived from the products and rebuilt with them
/// ([`recreate`]), so their definition lives here, versioned by
/// [`INDEX_FORMAT`]: `product_search` for SKUs, names and attribute values,
/// and `product_details`, the descriptions' own small index. Descriptions
/// are searched only when nothing matches elsewhere, so their index has
/// no prefix indexes and no columns (`detail = none`), and queries over
/// names never read their long posting lists ("Lager" is in every
/// description).
const TABLES: &str = "
CREATE VIRTUAL TABLE product_search USING fts5 (
    sku, name, attrs,
    content = '',
    contentless_delete = 1,
    detail = column,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4 5 6'
);
INSERT INTO product_search (product_search, rank) VALUES ('automerge', 8);
CREATE VIRTUAL TABLE product_details USING fts5 (
    description,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO product_details (product_details, rank) VALUES ('automerge', 8);
";

/// The indexed texts of one product.
struct Indexed {
    sku: String,
    name: String,
    description: String,
    attrs: String,
    category: String,
}

/// How the words of a text are indexed (see [`text::index_words`]).
fn words_of(s: &str, glue: bool, marker: &str) -> String {
    let mut out = String::new();
    text::index_words(s, glue, marker, &mut out);
    out
}

/// FxHash (as in rustc): the vocabulary counts hash millions of short
/// words during a bulk import, where SipHash's cost shows.
#[derive(Default)]
pub(super) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Index changes of one write transaction.
#[derive(Default)]
pub(super) struct SearchIndexer {
    /// The store holds the baseline's index ([`PREFIX_BASELINE_FORMAT`]):
    /// write that, and no vocabulary.
    baseline: bool,
    /// term → change of (docs, sku_docs, desc_docs, category_docs), and
    /// the last product that counted it in each place.
    counts: FxMap<String, ([i64; 4], [u64; 4])>,
    /// Numbers the products counted.
    stamp: u64,
    /// Attribute values and categories repeat across products (materials,
    /// sizes, norms; a category tree): their indexed words, once per
    /// transaction.
    seen_values: FxMap<String, String>,
    seen_categories: FxMap<String, String>,
}

impl SearchIndexer {
    /// The indexer for a write transaction on the index the store holds.
    pub(super) fn for_index(tx: &Transaction<'_>) -> Result<SearchIndexer> {
        let format: i64 =
            tx.prepare_cached("SELECT index_format FROM search_state WHERE id = 1")?.query_row([], |r| r.get(0))?;
        Ok(SearchIndexer { baseline: format == PREFIX_BASELINE_FORMAT, ..SearchIndexer::default() })
    }

    fn indexed(&mut self, p: &Product) -> Indexed {
        let mut attrs = String::new();
        for a in &p.attributes {
            // Each value on its own: no glue across two values.
            let words = match self.seen_values.get(a.value.as_str()) {
                Some(w) => w,
                None => self.seen_values.entry(a.value.clone()).or_insert_with(|| words_of(&a.value, true, "")),
            };
            if !words.is_empty() {
                if !attrs.is_empty() {
                    attrs.push(' ');
                }
                attrs.push_str(words);
            }
        }
        let category = match self.seen_categories.get(p.category.as_str()) {
            Some(w) => w.clone(),
            None => self
                .seen_categories
                .entry(p.category.clone())
                .or_insert_with(|| words_of(&p.category, false, ""))
                .clone(),
        };
        Indexed {
            sku: words_of(&p.sku, false, ""),
            name: words_of(&p.name, true, ""),
            description: words_of(&p.description, true, ""),
            attrs,
            category,
        }
    }

    /// Counts each distinct word of the product once per place: a word
    /// remembers the last product (`self.stamp`) that counted it there.
    fn count(&mut self, ix: &Indexed, by: i64) {
        self.stamp += 1;
        let stamp = self.stamp;
        let places: [(&str, usize, bool); 5] = [
            (&ix.name, 0, false),
            (&ix.attrs, 0, false),
            (&ix.sku, 1, false),
            (&ix.description, 2, true),
            (&ix.category, 3, false),
        ];
        for (text, k, all) in places {
            for w in text.split(' ').filter(|t| !t.is_empty() && (all || is_letters(t))) {
                let c = match self.counts.get_mut(w) {
                    Some(c) => c,
                    None => self.counts.entry(w.to_string()).or_default(),
                };
                if c.1[k] != stamp {
                    c.1[k] = stamp;
                    c.0[k] += by;
                }
            }
        }
    }

    /// Indexes product row `id`.
    pub(super) fn add(&mut self, tx: &Transaction<'_>, id: i64, p: &Product) -> Result<()> {
        if self.baseline {
            return index_product_as_before(tx, id, p);
        }
        let ix = self.indexed(p);
        tx.prepare_cached("INSERT INTO product_search (rowid, sku, name, attrs) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id, ix.sku, ix.name, ix.attrs])?;
        if !ix.description.is_empty() {
            tx.prepare_cached("INSERT INTO product_details (rowid, description) VALUES (?1, ?2)")?
                .execute(params![id, ix.description])?;
        }
        self.count(&ix, 1);
        Ok(())
    }

    /// Removes product row `id`, indexed as `p`, from the index.
    pub(super) fn remove(&mut self, tx: &Transaction<'_>, id: i64, p: &Product) -> Result<()> {
        tx.prepare_cached("DELETE FROM product_search WHERE rowid = ?1")?.execute([id])?;
        if self.baseline {
            return Ok(());
        }
        let ix = self.indexed(p);
        if !ix.description.is_empty() {
            tx.prepare_cached("DELETE FROM product_details WHERE rowid = ?1")?.execute([id])?;
        }
        self.count(&ix, -1);
        Ok(())
    }

    /// Writes the vocabulary's changes; a new generation if any.
    pub(super) fn finish(self, tx: &Transaction<'_>) -> Result<()> {
        let mut changed = false;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO search_terms (term, docs, sku_docs, desc_docs, category_docs) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs, sku_docs = sku_docs + excluded.sku_docs,
                   desc_docs = desc_docs + excluded.desc_docs, category_docs = category_docs + excluded.category_docs",
            )?;
            for (term, (c, _)) in &self.counts {
                if c.iter().any(|&n| n != 0) {
                    upsert.execute(params![term, c[0], c[1], c[2], c[3]])?;
                    changed = true;
                }
            }
        }
        if changed {
            tx.execute(
                "DELETE FROM search_terms WHERE docs <= 0 AND sku_docs <= 0 AND desc_docs <= 0 AND category_docs <= 0",
                [],
            )?;
            tx.execute("UPDATE search_state SET generation = generation + 1 WHERE id = 1", [])?;
        }
        Ok(())
    }
}

/// Whether the index was written in an older format and needs a rebuild.
pub(super) fn outdated(tx: &Transaction<'_>) -> Result<bool> {
    let f: i64 = tx.query_row("SELECT index_format FROM search_state WHERE id = 1", [], |r| r.get(0))?;
    Ok(f < INDEX_FORMAT)
}

/// Records that the index is in the current format.
pub(super) fn mark_current(tx: &Transaction<'_>) -> Result<()> {
    tx.execute("UPDATE search_state SET index_format = ?1 WHERE id = 1", [INDEX_FORMAT])?;
    Ok(())
}

/// The vocabulary of the snapshot `c` reads, from the cache if it is of the
/// same generation.
pub(super) fn lexicon(c: &Connection, cache: &Mutex<Option<Arc<Lexicon>>>) -> Result<Arc<Lexicon>> {
    let generation: i64 =
        c.prepare_cached("SELECT generation FROM search_state WHERE id = 1")?.query_row([], |r| r.get(0))?;
    {
        let held = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(l) = held.as_ref().filter(|l| l.generation() == generation) {
            return Ok(Arc::clone(l));
        }
    }
    let mut stmt = c.prepare_cached("SELECT term, docs, sku_docs, desc_docs, category_docs FROM search_terms")?;
    let rows = stmt
        .query_map([], |r| {
            let n = |i: usize| r.get::<_, i64>(i).map(|v| v.clamp(0, i64::from(u32::MAX)) as u32);
            Ok(TermCount { term: r.get(0)?, docs: n(1)?, sku_docs: n(2)?, desc_docs: n(3)?, category_docs: n(4)? })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let l = Arc::new(Lexicon::new(generation, rows));
    *cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&l));
    Ok(l)
}

/// Indexes product row `id` as the import did before issue 24 (a store
/// with the baseline's index, see [`Store::write_prefix_baseline_index`]).
pub(super) fn index_product_as_before(tx: &Transaction<'_>, id: i64, p: &Product) -> Result<()> {
    let values: Vec<&str> = p.attributes.iter().map(|a| a.value.as_str()).collect();
    insert_as_before(tx, id, &p.sku, &p.name, &p.description, &values)
}

pub(super) fn insert_as_before(
    tx: &Transaction<'_>,
    id: i64,
    sku: &str,
    name: &str,
    description: &str,
    values: &[&str],
) -> Result<()> {
    tx.prepare_cached("INSERT INTO product_search (rowid, sku, name, description, attrs) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id, fold(sku), fold(name), fold(description), fold(&values.join(" "))])?;
    Ok(())
}
