//! Full-text search over products and accounts (SQLite FTS5).
//!
//! Query text is folded like the indexed text (`text::fold`: case,
//! diacritics, `ß → ss`), split into tokens, and every token must match as a
//! prefix of a word: `mull` finds `Müller-Schraube`, `schraub m8` finds
//! `Schraube M8`. A product whose SKU equals the query text comes first.
//! Queries with up to [`RANK_CAP`] matches are ranked: SKU matches before
//! name matches before matches in specifications or descriptions, whole
//! words before word beginnings, shorter names first. Queries matching more
//! are listed in catalog order (see `ranked` for why).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::Store;
use super::codec::{currency, dec};
use crate::error::{Error, Result};
use crate::money::Money;
use crate::text::{fold, fts_prefix_query, tokens};

/// Largest page a search returns.
pub const MAX_PAGE: u32 = 500;

/// A product search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    /// Free text: words, word beginnings, a SKU. Empty lists by name.
    pub text: String,
    /// Hits to skip (paging).
    pub offset: u32,
    /// Page size, 1 to [`MAX_PAGE`].
    pub limit: u32,
    /// Include inactive products (default: only active ones).
    pub include_inactive: bool,
}

impl ProductQuery {
    /// First page of 20 active products for `text`.
    pub fn new(text: impl Into<String>) -> Self {
        ProductQuery { text: text.into(), offset: 0, limit: 20, include_inactive: false }
    }

    /// The same query for another page.
    pub fn page(mut self, offset: u32, limit: u32) -> Self {
        self.offset = offset;
        self.limit = limit;
        self
    }
}

/// One product in a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ProductHit {
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Unit of measure.
    pub unit: String,
    /// List price.
    pub list_price: Money,
    /// Consumable C-part.
    pub c_part: bool,
    /// Active (offered).
    pub active: bool,
    /// The query text was exactly this SKU.
    pub exact_sku: bool,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The hits of this page, best first.
    pub items: Vec<T>,
    /// Offset of the first item.
    pub offset: u32,
    /// Whether a next page exists.
    pub has_more: bool,
}

/// An account search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountQuery {
    /// Words or word beginnings of the company name, its cities, or the
    /// names and titles of its contacts.
    pub text: String,
    /// Hits to skip.
    pub offset: u32,
    /// Page size, 1 to [`MAX_PAGE`].
    pub limit: u32,
}

impl AccountQuery {
    /// First page of 20 accounts for `text`.
    pub fn new(text: impl Into<String>) -> Self {
        AccountQuery { text: text.into(), offset: 0, limit: 20 }
    }
}

pub(super) fn check_page(offset: u32, limit: u32) -> Result<()> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::validation("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    if offset > 1_000_000 {
        return Err(Error::validation("offset", "is too large"));
    }
    Ok(())
}

const HIT_COLS: &str = "p.sku, p.name, p.category, p.unit, p.list_price, p.currency, p.c_part, p.active";

fn hit(r: &rusqlite::Row<'_>, exact_sku: bool) -> Result<ProductHit> {
    let price: String = r.get(4)?;
    let cur: String = r.get(5)?;
    Ok(ProductHit {
        sku: r.get(0)?,
        name: r.get(1)?,
        category: r.get(2)?,
        unit: r.get(3)?,
        list_price: Money::new(dec("product list_price", &price)?, currency("product currency", &cur)?),
        c_part: r.get(6)?,
        active: r.get(7)?,
        exact_sku,
    })
}

fn collect(c: &Connection, sql: &str, params: impl rusqlite::Params, out: &mut Vec<ProductHit>) -> Result<()> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    while let Some(r) = rows.next()? {
        out.push(hit(r, false)?);
    }
    Ok(())
}

fn search_products(c: &Connection, q: &ProductQuery) -> Result<Page<ProductHit>> {
    check_page(q.offset, q.limit)?;
    let all = q.include_inactive;
    let fetch = i64::from(q.limit) + 1; // one more tells whether a next page exists
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

    let (skip_id, offset, mut fetch) = match exact {
        Some((id, h)) => {
            if q.offset == 0 {
                items.push(h);
                (id, 0, fetch - 1)
            } else {
                (id, q.offset - 1, fetch)
            }
        }
        None => (-1, q.offset, fetch),
    };
    fetch = fetch.max(0);
    ranked(c, q, &fts, skip_id, fetch, offset, &mut items)?;
    Ok(page(items, q))
}

/// Above this many matches a query is "unselective": it is served in
/// catalog order instead of being ranked (see [`ranked`]).
pub const RANK_CAP: usize = 150;

/// Relevance of one candidate for the query tokens `words` (folded): for
/// each word, 8 if a SKU token starts with it, else 4 if a name token does,
/// else 1 (it matched in the specifications or the description), plus 1 if
/// that SKU or name token is the whole word.
fn words_of(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty())
}

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

/// Fills `items` with one page of FTS hits.
///
/// Selective queries (at most [`RANK_CAP`] matches) are ranked by
/// [`relevance`], ties by shorter name, then name, then SKU. SQLite's own
/// BM25 is not used: its document-frequency pass reads the whole posting
/// list of every query word, several milliseconds for a word like "mm" that
/// is in every product. Unselective queries ("m8", "stahl") are returned in
/// catalog order, which SQLite streams and stops reading once the page is
/// full, so a one-letter query costs no more than a precise one.
fn ranked(
    c: &Connection,
    q: &ProductQuery,
    fts: &str,
    skip_id: i64,
    fetch: i64,
    offset: u32,
    items: &mut Vec<ProductHit>,
) -> Result<()> {
    let words = tokens(&q.text);
    let all = q.include_inactive;
    // One pass over the index: up to RANK_CAP + 1 matching rows.
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
        return Ok(());
    }
    collect(
        c,
        &format!(
            "SELECT {HIT_COLS} FROM product_search s JOIN products p ON p.id = s.rowid
             WHERE product_search MATCH ?1 AND p.id <> ?2 AND (p.active OR ?3)
             ORDER BY s.rowid LIMIT ?4 OFFSET ?5"
        ),
        params![fts, skip_id, all, fetch, offset],
        items,
    )
}

fn page<T>(mut items: Vec<T>, q: &ProductQuery) -> Page<T> {
    let has_more = items.len() > q.limit as usize;
    items.truncate(q.limit as usize);
    Page { items, offset: q.offset, has_more }
}

impl Store {
    /// Searches active products (or all, see [`ProductQuery`]); see the
    /// module docs for matching and ranking.
    pub fn search_products(&self, q: &ProductQuery) -> Result<Page<ProductHit>> {
        self.read(|c| search_products(c, q))
    }

    /// The naive baseline the benchmark compares search with: a
    /// case-insensitive `LIKE '%word%'` per word over name, SKU and
    /// description, ordered by name. Not for production use: it scans every row.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Format, parse};
    use crate::store::tests::temp_store;

    const CSV: &str = "sku;name;description;unit;list_price;tax_class;active;attr:Material\n\
        MS-6100;Müller-Schraube Holzbau 6×100;Tellerkopf, Torx;pc;0,35;DE-STD;ja;Stahl\n\
        SCH-M8;Schraube M8;;pc;0,10;DE-STD;ja;Edelstahl A2\n\
        SKS-933;Sechskantschraube DIN 933 M8×40;Gewinde bis Kopf;pc;0,12;DE-STD;ja;Stahl verzinkt\n\
        GL-9;Safety gloves nitrile, size 9;Schraube-free design;pair;0,89;DE-STD;ja;Nitril\n\
        STR-1;Straßenbesen;Für Außenbereiche;pc;19,90;DE-STD;ja;Holz\n\
        OLD-1;Schraube alt;;pc;0,10;DE-STD;nein;\n\
        M8;Mutter M8 (SKU equals a word);;pc;0,05;DE-STD;ja;Stahl\n";

    fn store() -> (tempfile::TempDir, Store) {
        let (d, s) = temp_store();
        s.import_catalog(parse(CSV.as_bytes(), Format::Csv), &mut |_| {}).unwrap_or_else(|e| panic!("import: {e}"));
        (d, s)
    }

    fn skus(store: &Store, q: ProductQuery) -> Vec<String> {
        store
            .search_products(&q)
            .map(|p| p.items.into_iter().map(|h| h.sku).collect())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn prefix_and_diacritics() {
        let (_d, s) = store();
        assert_eq!(skus(&s, ProductQuery::new("mull")), vec!["MS-6100"]);
        assert_eq!(skus(&s, ProductQuery::new("MÜLLER")), vec!["MS-6100"]);
        assert_eq!(skus(&s, ProductQuery::new("strasse")), vec!["STR-1"]);
        assert_eq!(skus(&s, ProductQuery::new("straße")), vec!["STR-1"]);
        assert_eq!(skus(&s, ProductQuery::new("ausse")), vec!["STR-1"], "description, folded");
        assert!(skus(&s, ProductQuery::new("schraub")).contains(&"SCH-M8".to_string()));
        assert_eq!(skus(&s, ProductQuery::new("schraub m8")), vec!["SCH-M8"], "all words must match");
        assert_eq!(skus(&s, ProductQuery::new("edelst")), vec!["SCH-M8"], "attribute values");
        assert_eq!(skus(&s, ProductQuery::new("sks-93")), vec!["SKS-933"], "SKU prefix");
        assert!(skus(&s, ProductQuery::new("xyz")).is_empty());
    }

    #[test]
    fn ranking_prefers_names_and_exact_skus() {
        let (_d, s) = store();
        // "schraube" in a name beats "schraube" only in a description.
        let r = skus(&s, ProductQuery::new("schraube"));
        assert_eq!(r.last().map(String::as_str), Some("GL-9"), "{r:?}");
        assert_eq!(r[0], "SCH-M8", "shortest name with the word ranks first: {r:?}");
        // A query equal to a SKU puts that product first, marked exact.
        let p = s.search_products(&ProductQuery::new("m8")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.items[0].sku, "M8");
        assert!(p.items[0].exact_sku);
        assert!(p.items[1..].iter().all(|h| !h.exact_sku && h.sku != "M8"));
        assert_eq!(skus(&s, ProductQuery::new("ms-6100"))[0], "MS-6100");
    }

    #[test]
    fn paging_covers_every_hit_once() {
        let (_d, s) = store();
        let full = skus(&s, ProductQuery::new("m8").page(0, 50));
        assert_eq!(full.len(), 3);
        let mut paged = Vec::new();
        for off in 0..3 {
            let p = s.search_products(&ProductQuery::new("m8").page(off, 1)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.has_more, off < 2);
            paged.extend(p.items.into_iter().map(|h| h.sku));
        }
        assert_eq!(paged, full);
        let p = s.search_products(&ProductQuery::new("").page(0, 3)).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.has_more);
        assert_eq!(p.items[0].sku, "M8", "empty query lists by name (\"Mutter\" < \"Müller\" bytewise)");
    }

    #[test]
    fn inactive_products_are_hidden_by_default() {
        let (_d, s) = store();
        assert!(!skus(&s, ProductQuery::new("alt")).contains(&"OLD-1".to_string()));
        let q = ProductQuery { include_inactive: true, ..ProductQuery::new("alt") };
        assert_eq!(skus(&s, q), vec!["OLD-1"]);
    }

    #[test]
    fn hostile_query_text_is_inert() {
        let (_d, s) = store();
        for q in ["\"", "NEAR(", "a OR b", "*", "sku:x", "^schraube", "\u{0}", &"x".repeat(10_000)] {
            assert!(s.search_products(&ProductQuery::new(q)).is_ok(), "{q:?}");
        }
        assert!(matches!(s.search_products(&ProductQuery::new("a").page(0, 0)), Err(Error::Validation { .. })));
        assert!(s.search_products(&ProductQuery::new("a").page(0, MAX_PAGE + 1)).is_err());
    }

    #[test]
    fn like_baseline_finds_substrings() {
        let (_d, s) = store();
        let p = s.search_products_like(&ProductQuery::new("schraube")).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.items.iter().any(|h| h.sku == "SKS-933"));
    }
}
