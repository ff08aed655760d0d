//! Keeping the product search index and its vocabulary (ADR 16).
//!
//! Every product row has one row in the FTS5 table `product_search` with
//! its words as [`text::index_words`] writes them (description words
//! marked, [`DESCRIPTION_MARK`]), and adds its letters-only words and its
//! description's words to the counts in `search_terms`. Writes collect the count changes
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
use crate::text::{self, is_letters};

/// The version of the words in `product_search`. A store whose index is
/// older rebuilds it when opened (`ensure_format`). 1: issue 24's words.
pub(super) const INDEX_FORMAT: i64 = 1;

/// Marks description words in the index (`_lager`): queries that need a
/// word in the SKU, name or attributes then never read description
/// doclists (see migration 10 and `search_plan::Scope`).
pub(super) const DESCRIPTION_MARK: &str = "_";

/// The indexed texts of one product.
struct Indexed {
    sku: String,
    name: String,
    description: String,
    attrs: String,
    category: String,
}

fn indexed(p: &Product) -> Indexed {
    let mut out = Indexed {
        sku: String::new(),
        name: String::new(),
        description: String::new(),
        attrs: String::new(),
        category: String::new(),
    };
    for a in &p.attributes {
        // Each value on its own: no glue across two values.
        text::index_words(&a.value, true, "", &mut out.attrs);
    }
    text::index_words(&p.sku, false, "", &mut out.sku);
    text::index_words(&p.name, true, "", &mut out.name);
    text::index_words(&p.description, true, DESCRIPTION_MARK, &mut out.description);
    text::index_words(&p.category, false, "", &mut out.category);
    out
}

/// The distinct words of some indexed texts (without the description
/// mark), letters-only ones unless `all`.
fn distinct<'a>(texts: &[&'a str], all: bool) -> Vec<&'a str> {
    let mut v: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.split(' '))
        .map(|t| t.strip_prefix(DESCRIPTION_MARK).unwrap_or(t))
        .filter(|t| !t.is_empty() && (all || is_letters(t)))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
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

/// Index changes of one write transaction.
#[derive(Default)]
pub(super) struct SearchIndexer {
    /// term → change of (docs, sku_docs, desc_docs, category_docs).
    counts: HashMap<String, [i64; 4], std::hash::BuildHasherDefault<FxHasher>>,
}

impl SearchIndexer {
    fn count(&mut self, ix: &Indexed, by: i64) {
        let cols: [Vec<&str>; 4] = [
            distinct(&[&ix.name, &ix.attrs], false),
            distinct(&[&ix.sku], false),
            distinct(&[&ix.description], true),
            distinct(&[&ix.category], false),
        ];
        for (k, words) in cols.iter().enumerate() {
            for &w in words {
                match self.counts.get_mut(w) {
                    Some(c) => c[k] += by,
                    None => {
                        let mut c = [0; 4];
                        c[k] = by;
                        self.counts.insert(w.to_string(), c);
                    }
                }
            }
        }
    }

    /// Indexes product row `id`.
    pub(super) fn add(&mut self, tx: &Transaction<'_>, id: i64, p: &Product) -> Result<()> {
        let ix = indexed(p);
        tx.prepare_cached(
            "INSERT INTO product_search (rowid, sku, name, description, attrs) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![id, ix.sku, ix.name, ix.description, ix.attrs])?;
        self.count(&ix, 1);
        Ok(())
    }

    /// Removes product row `id`, indexed as `p`, from the index.
    pub(super) fn remove(&mut self, tx: &Transaction<'_>, id: i64, p: &Product) -> Result<()> {
        tx.prepare_cached("DELETE FROM product_search WHERE rowid = ?1")?.execute([id])?;
        self.count(&indexed(p), -1);
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
            for (term, c) in &self.counts {
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

/// Empties the index and the vocabulary (before a rebuild).
pub(super) fn clear(tx: &Transaction<'_>) -> Result<()> {
    tx.execute("INSERT INTO product_search (product_search) VALUES ('delete-all')", [])?;
    tx.execute("DELETE FROM search_terms", [])?;
    tx.execute("UPDATE search_state SET generation = generation + 1 WHERE id = 1", [])?;
    Ok(())
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
