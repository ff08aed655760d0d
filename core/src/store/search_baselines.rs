//! The baselines the catalog benchmark measures product search against, in
//! the same run: a naive `LIKE '%word%'` scan, and the prefix search as it
//! was before issue 24 (ADR 4). Not for production use.

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::codec::json;
use super::search::{HIT_COLS, Page, ProductHit, ProductQuery, RANK_CAP, check_page, collect, hit, page};
use super::search_index::{PREFIX_BASELINE_FORMAT, insert_as_before};
use crate::catalog::Attribute;
use crate::error::Result;
use crate::text::{fold, fts_prefix_query, tokens};

impl Store {
    /// The naive baseline: a case-insensitive `LIKE '%word%'` per word over
    /// name, SKU and description, ordered by name. It scans every row.
    pub fn search_products_like(&self, q: &ProductQuery) -> Result<Page<ProductHit>> {
        check_page(q.offset, q.limit)?;
        self.read(|c| {
            let words: Vec<String> = q.text.split_whitespace().take(8).map(|w| format!("%{w}%")).collect();
            let mut sql = format!("SELECT {HIT_COLS} FROM products p WHERE (p.active OR ?1)");
            for i in 0..words.len() {
                let n = i + 4;
                sql.push_str(&format!(" AND (p.name LIKE ?{n} OR p.sku LIKE ?{n} OR p.description LIKE ?{n})"));
            }
            sql.push_str(" ORDER BY p.name COLLATE NOCASE, p.id LIMIT ?2 OFFSET ?3");
            let mut values: Vec<Box<dyn rusqlite::ToSql>> =
                vec![Box::new(q.include_inactive), Box::new(i64::from(q.limit) + 1), Box::new(q.offset)];
            values.extend(words.into_iter().map(|w| Box::new(w) as Box<dyn rusqlite::ToSql>));
            let mut items = Vec::new();
            collect(c, &sql, rusqlite::params_from_iter(values.iter()), &mut items)?;
            Ok(page(items, q))
        })
    }

    /// Product search as it was before issue 24: every folded token a
    /// prefix term, exact SKU first, ranked when selective, catalog order
    /// when not; no compound parts, inflections, spellings or typos. Kept
    /// so the benchmark measures today's search against it in one run
    /// (on an index written the old way, see `core/benches/catalog.rs`).
    pub fn search_products_prefix(&self, q: &ProductQuery) -> Result<Page<ProductHit>> {
        check_page(q.offset, q.limit)?;
        self.read(|c| prefix_search(c, q))
    }

    /// Rewrites the product index as it was written before issue 24 (each
    /// column folded, nothing else), for measuring
    /// [`Store::search_products_prefix`] as it was: today's search does not
    /// work on it. Imports into this store then index products the old way
    /// too and keep no vocabulary, so the benchmark can time the import as
    /// it was. Opening the store again rebuilds the current index.
    #[doc(hidden)]
    pub fn write_prefix_baseline_index(&self) -> Result<()> {
        self.write(|tx| {
            // The table as migration 1 created it.
            tx.execute_batch(
                "DROP TABLE IF EXISTS product_search; DROP TABLE IF EXISTS product_details;
                 CREATE VIRTUAL TABLE product_search USING fts5 (
                     sku, name, description, attrs, content = '', contentless_delete = 1, detail = column,
                     tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6');
                 INSERT INTO product_search (product_search, rank) VALUES ('automerge', 8);
                 DELETE FROM search_terms;
                 UPDATE search_state SET generation = generation + 1 WHERE id = 1;",
            )?;
            let rows: Vec<(i64, String, String, String, String)> = {
                let mut stmt = tx.prepare("SELECT id, sku, name, description, attributes FROM products ORDER BY id")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            for (id, sku, name, description, attributes) in rows {
                let attrs: Vec<Attribute> = json("product attributes", &attributes)?;
                let values: Vec<&str> = attrs.iter().map(|a| a.value.as_str()).collect();
                insert_as_before(tx, id, &sku, &name, &description, &values)?;
            }
            tx.execute("UPDATE search_state SET index_format = ?1 WHERE id = 1", [PREFIX_BASELINE_FORMAT])?;
            Ok(())
        })
    }
}

fn prefix_search(c: &Connection, q: &ProductQuery) -> Result<Page<ProductHit>> {
    let all = q.include_inactive;
    let fetch = i64::from(q.limit) + 1;
    let mut items = Vec::with_capacity(fetch as usize);
    let Some(fts) = fts_prefix_query(&q.text) else {
        collect(
            c,
            &format!(
                "SELECT {HIT_COLS} FROM products p WHERE (p.active OR ?1)
                 ORDER BY p.name COLLATE NOCASE, p.id LIMIT ?2 OFFSET ?3"
            ),
            params![all, fetch, q.offset],
            &mut items,
        )?;
        return Ok(page(items, q));
    };
    let trimmed = q.text.trim();
    let exact: Option<(i64, ProductHit)> = c
        .prepare_cached(&format!("SELECT {HIT_COLS}, p.id FROM products p WHERE p.sku = ?1 AND (p.active OR ?2)"))?
        .query_row(params![trimmed, all], |r| Ok(hit(r, true).map(|h| (r.get::<_, i64>(8), h))))
        .optional()?
        .transpose()?
        .map(|(id, h)| id.map(|id| (id, h)))
        .transpose()?;
    let (skip_id, offset, fetch) = match exact {
        Some((id, h)) if q.offset == 0 => {
            items.push(h);
            (id, 0, fetch - 1)
        }
        Some((id, _)) => (id, q.offset - 1, fetch),
        None => (-1, q.offset, fetch),
    };
    let words = tokens(&q.text);
    let ids: Vec<i64> = c
        .prepare_cached("SELECT rowid FROM product_search WHERE product_search MATCH ?1 LIMIT ?2")?
        .query_map(params![fts, RANK_CAP as i64 + 1], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if ids.len() <= RANK_CAP {
        let mut stmt = c.prepare_cached("SELECT p.sku, p.name, p.active FROM products p WHERE p.id = ?1")?;
        let mut candidates: Vec<(u32, usize, String, String, i64)> = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt
                .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))
                .optional()?;
            let Some((sku, name, active)) = row else { continue };
            if id != skip_id && (active || all) {
                let folded = fold(&name);
                let rank = u32::MAX - relevance(&words, &fold(&sku), &folded);
                candidates.push((rank, folded.chars().count(), folded, sku, id));
            }
        }
        candidates.sort();
        let mut one = c.prepare_cached(&format!("SELECT {HIT_COLS} FROM products p WHERE p.id = ?1"))?;
        for (.., id) in candidates.into_iter().skip(offset as usize).take(fetch.max(0) as usize) {
            items.push(one.query_row([id], |r| Ok(hit(r, false)))??);
        }
        return Ok(page(items, q));
    }
    collect(
        c,
        &format!(
            "SELECT {HIT_COLS} FROM product_search s JOIN products p ON p.id = s.rowid
             WHERE product_search MATCH ?1 AND p.id <> ?2 AND (p.active OR ?3)
             ORDER BY s.rowid LIMIT ?4 OFFSET ?5"
        ),
        params![fts, skip_id, all, fetch.max(0), offset],
        &mut items,
    )?;
    Ok(page(items, q))
}

fn words_of(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty())
}

/// Per word: 8 if a SKU token starts with it, else 4 if a name token does,
/// else 1, plus 1 if that token is the whole word.
fn relevance(words: &[String], folded_sku: &str, folded_name: &str) -> u32 {
    words
        .iter()
        .map(|w| {
            let field = |text: &str, weight: u32| {
                words_of(text).filter(|t| t.starts_with(w.as_str())).map(|t| weight + u32::from(t == w)).max()
            };
            field(folded_sku, 8).or_else(|| field(folded_name, 4)).unwrap_or(1)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Format, parse};
    use crate::store::tests::encrypted;

    const CSV: &str = "sku;name;description;unit;list_price;tax_class\n\
        SKS-933;Sechskantschraube DIN 933 M8×40;Gewinde bis Kopf;pc;0,12;DE-STD\n\
        SCH-M8;Schraube M8;;pc;0,10;DE-STD\n";

    #[test]
    fn baselines_find_what_they_always_found() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let options = encrypted();
        let s = Store::open(dir.path().join("b.sqlite"), options.clone())?;
        s.import_catalog(parse(CSV.as_bytes(), Format::Csv), &mut |_| {})?;
        let like = s.search_products_like(&ProductQuery::new("schraube"))?;
        assert_eq!(like.items.len(), 2, "LIKE finds substrings");
        let prefix = s.search_products_prefix(&ProductQuery::new("schraub m8"))?;
        assert_eq!(prefix.items.iter().map(|h| h.sku.as_str()).collect::<Vec<_>>(), vec!["SCH-M8"]);
        assert!(s.search_products_prefix(&ProductQuery::new("mutter"))?.items.is_empty());
        let exact = s.search_products_prefix(&ProductQuery::new("sks-933"))?;
        assert!(exact.items[0].exact_sku);
        s.write_prefix_baseline_index()?;
        assert!(
            s.search_products_prefix(&ProductQuery::new("din933"))?.items.is_empty(),
            "no glued words in the old index"
        );
        assert_eq!(s.search_products_prefix(&ProductQuery::new("sechs m8"))?.items.len(), 1);
        // Imports into it index the old way, without a vocabulary.
        let more = "sku;name;unit;list_price;tax_class\nMUT-8;Sechskantmutter M8;pc;0,05;DE-STD\n";
        s.import_catalog(parse(more.as_bytes(), Format::Csv), &mut |_| {})?;
        assert_eq!(s.search_products_prefix(&ProductQuery::new("sechskantm"))?.items.len(), 1);
        let words: i64 = s.read(|c| Ok(c.query_row("SELECT count(*) FROM search_terms", [], |r| r.get(0))?))?;
        assert_eq!(words, 0);
        let path = s.path().to_path_buf();
        drop(s);
        let again = Store::open(&path, options)?;
        assert_eq!(again.search_products(&ProductQuery::new("din933"))?.items.len(), 1, "reopening rebuilt the index");
        assert_eq!(again.search_products(&ProductQuery::new("mutter"))?.items.len(), 1, "with the vocabulary");
        Ok(())
    }
}
