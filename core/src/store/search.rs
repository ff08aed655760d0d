//! Product search (SQLite FTS5) with compound parts, inflections and typos
//! (ADR 4, ADR 16), and the page types that account search shares.
//!
//! Query and index text pass through the same words (`text::words`: case,
//! diacritics, `ß → ss`, `ae/oe/ue` spellings, `×` between numbers, glued
//! codes like `din933`). Every query word must match, and results come in
//! tiers, best first:
//!
//! 0. the product whose SKU is the query text;
//! 1. every word is a whole word of the product or an inflection of one
//!    (`unterlegscheiben` → `Unterlegscheibe`);
//! 2. every word at least begins a word (`schraub m8`);
//! 3. some word begins a part of a compound (`mutter` → `Sechskantmutter`);
//! 4. some word matched only after a typo correction (`sechskantschruabe`).
//!
//! Every word must match in the SKU, the name or the attributes;
//! descriptions count only when no product matches there: a whole word in
//! a description ("Lieferung ab Lager") says less than the part of a
//! compound in a name ("Rillenkugellager"). A tier runs only if the better
//! ones leave the page short, so typo correction costs nothing when the
//! exact tiers fill the page.
//!
//! Within a tier with at most [`RANK_CAP`] products, they are ranked by
//! relevance (per query word: 8 for a match in the SKU, 4 in the name, 1
//! in the attributes, +1 for a whole word; ties: shorter name, then name,
//! then SKU); a larger tier is listed in catalog order (see `tier_ids` for
//! why). Every hit says why it matched ([`ProductHit::matches`]) so a UI
//! can highlight it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::Store;
use super::codec::{currency, dec, json};
pub use super::search_hit::{MatchField, MatchKind, WordMatch};
use super::search_index;
use super::search_match::{Best, Field, Matcher, relevance, word_match};
use super::search_plan::{Plan, QueryWord, tier_of};
use crate::catalog::Attribute;
use crate::error::{Error, Result};
use crate::lexicon::Lexicon;
use crate::money::Money;
use crate::text::{fold, is_letters};

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

/// How well a product matched the query, best first (ADR 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum MatchTier {
    /// The query text is the product's SKU.
    Sku,
    /// Every query word is a whole word of the product, or an inflection of one.
    Exact,
    /// Every query word at least begins a word of the product.
    WordStart,
    /// Some query word begins a part of a compound word (`mutter` in `Sechskantmutter`).
    CompoundPart,
    /// Some query word matched only after correcting a typo.
    Typo,
}

impl MatchTier {
    fn of(tier: u8) -> MatchTier {
        match tier {
            0 => MatchTier::Sku,
            1 => MatchTier::Exact,
            2 => MatchTier::WordStart,
            3 => MatchTier::CompoundPart,
            _ => MatchTier::Typo,
        }
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
    /// The tier it matched in (`None` when listing without a query).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub tier: Option<MatchTier>,
    /// Why it matched: one entry per query word, in query order.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub matches: Vec<WordMatch>,
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

pub(super) const HIT_COLS: &str = "p.sku, p.name, p.category, p.unit, p.list_price, p.currency, p.c_part, p.active";

pub(super) fn hit(r: &rusqlite::Row<'_>, exact_sku: bool) -> Result<ProductHit> {
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
        tier: exact_sku.then_some(MatchTier::Sku),
        matches: Vec::new(),
    })
}

pub(super) fn collect(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    out: &mut Vec<ProductHit>,
) -> Result<()> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    while let Some(r) = rows.next()? {
        out.push(hit(r, false)?);
    }
    Ok(())
}

pub(super) fn page<T>(mut items: Vec<T>, q: &ProductQuery) -> Page<T> {
    let has_more = items.len() > q.limit as usize;
    items.truncate(q.limit as usize);
    Page { items, offset: q.offset, has_more }
}

/// The step after the four tiers: words may match in descriptions.
const DESCRIPTION_TIER: u8 = 5;

/// Above this many products a tier is "unselective": it is listed in
/// catalog order instead of being ranked (see [`tier_ids`]).
pub const RANK_CAP: usize = 150;

fn chars(s: &str) -> u32 {
    s.chars().count().min(u32::MAX as usize) as u32
}

fn search_products(
    c: &Connection,
    lexicon: &Mutex<Option<Arc<Lexicon>>>,
    q: &ProductQuery,
) -> Result<Page<ProductHit>> {
    check_page(q.offset, q.limit)?;
    let all = q.include_inactive;
    let fetch = q.limit as usize + 1; // one more tells whether a next page exists
    let mut items = Vec::with_capacity(fetch);
    let lex = search_index::lexicon(c, lexicon)?;

    let Some(mut plan) = Plan::new(&q.text, &lex) else {
        collect(
            c,
            &format!(
                "SELECT {HIT_COLS} FROM products p WHERE (p.active OR ?1)
                 ORDER BY p.name COLLATE NOCASE, p.id LIMIT ?2 OFFSET ?3"
            ),
            params![all, fetch as i64, q.offset],
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
    let mut seen: HashSet<i64> = HashSet::new();
    let (offset, fetch) = match exact {
        Some((id, mut h)) => {
            seen.insert(id);
            h.matches.push(WordMatch {
                query: fold(trimmed),
                kind: MatchKind::Sku,
                field: MatchField::Sku,
                word: h.sku.clone(),
                start: Some(0),
                len: chars(&h.sku),
                read_as: None,
                edits: 0,
            });
            if q.offset == 0 {
                items.push(h);
                (0, fetch - 1)
            } else {
                (q.offset as usize - 1, fetch)
            }
        }
        None => (q.offset as usize, fetch),
    };

    // Tier by tier until the page is full: (tier, product id), in order;
    // DESCRIPTION_TIER for products that need their description for a word.
    let need = offset + fetch;
    let mut found: Vec<(u8, i64)> = Vec::new();
    // Whole words, word beginnings and compound parts in SKU, name and
    // attributes (see `tiers`), then typos, then descriptions.
    plan.expand_parts(&lex);
    tiers(c, &plan, &lex, &mut seen, &mut found, need, all)?;
    // Typos, only if the page is still short.
    if found.len() < need {
        let without = plan.expression(3);
        plan.expand_typos(&lex);
        if let Some(expr) = plan.expression(4).filter(|e| Some(e) != without.as_ref()) {
            let (ids, _) = tier_ids(c, &plan, 4, &expr, &seen, need - found.len(), all)?;
            for id in ids {
                seen.insert(id);
                found.push((4, id));
            }
        }
    }
    // Descriptions, only if nothing matched in SKUs, names and attributes.
    if found.is_empty() && seen.is_empty() {
        for id in with_descriptions(c, &plan, &lex, need, all)? {
            seen.insert(id);
            found.push((DESCRIPTION_TIER, id));
        }
    }

    let m = Matcher::new(&plan, 4);
    let mut one = c.prepare_cached(&format!("SELECT {HIT_COLS} FROM products p WHERE p.id = ?1"))?;
    let mut details = c.prepare_cached("SELECT description, attributes FROM products WHERE id = ?1")?;
    for &(tier, id) in found.iter().skip(offset).take(fetch) {
        let Some(mut h) = one.query_row([id], |r| Ok(hit(r, false))).optional()?.transpose()? else { continue };
        h.matches = explain(&m, &plan, &h.sku, &h.name, &mut || {
            let (description, attributes): (String, String) =
                details.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let attrs: Vec<Attribute> = json("product attributes", &attributes)?;
            Ok(std::iter::once(description).chain(attrs.into_iter().map(|a| a.value)).collect())
        })?;
        // A product found with its description: the weakest way a word matched.
        let weakest = h.matches.iter().map(|m| tier_of(m.kind)).max().unwrap_or(1);
        h.tier = Some(MatchTier::of(if tier == DESCRIPTION_TIER { weakest } else { tier }));
        items.push(h);
    }
    Ok(page(items, q))
}

/// Tiers 1 to 3 (whole words, word beginnings, compound parts, in SKU,
/// name and attributes) until `found` has `need` products.
///
/// A long posting list costs each query that reads it, so the order of
/// the queries matters: a query of one word (or one glued pair) runs the
/// tiers one by one, each cheap, and an unselective one fills the page in
/// catalog order. A longer query with a selective word (see [`led`]) reads
/// only that word's products and checks the others on their texts. A
/// longer query that the vocabulary's counts bound by [`RANK_CAP`] runs its
/// widest tier once: it finds every product, whose tiers then come from
/// their texts. Any other longer query runs its word beginnings first
/// (tier 2, which holds tier 1): if they are at most RANK_CAP products,
/// their tiers come from their texts; otherwise the whole words run for the
/// first places and the rows already read fill the rest. Compound parts run
/// last, and only if the page is still short.
fn tiers(
    c: &Connection,
    plan: &Plan,
    lex: &Lexicon,
    seen: &mut HashSet<i64>,
    found: &mut Vec<(u8, i64)>,
    need: usize,
    all: bool,
) -> Result<()> {
    let push = |seen: &mut HashSet<i64>, found: &mut Vec<(u8, i64)>, tier: u8, id: i64| {
        seen.insert(id);
        found.push((tier, id));
    };
    let exprs: [Option<String>; 3] = [1, 2, 3].map(|t| plan.expression(t));
    let cap = RANK_CAP as u64;
    let mut next: u8 = 1; // the first tier not yet run
    if plan.slots() > 1 {
        if let Some((lead, ids)) = led(c, plan, lex, seen)? {
            for (t, id) in classify(c, plan, 3, ids, all, Some(lead))? {
                push(seen, found, t, id);
            }
            return Ok(());
        }
        if plan.bound(lex, cap).is_some_and(|b| b <= cap) {
            if let Some(widest) = &exprs[2] {
                let (ids, complete) = fts_ids(c, widest, seen, seen.len() + RANK_CAP + 1)?;
                if complete && ids.len() <= RANK_CAP {
                    for (t, id) in classify(c, plan, 3, ids, all, None)? {
                        push(seen, found, t, id);
                    }
                    return Ok(());
                }
            }
        } else if let Some(starts) = &exprs[1] {
            let (ids, complete) = fts_ids(c, starts, seen, seen.len() + RANK_CAP + 1)?;
            if complete && ids.len() <= RANK_CAP {
                for (t, id) in classify(c, plan, 2, ids, all, None)? {
                    push(seen, found, t, id);
                }
            } else {
                if let Some(exact) = exprs[0].as_ref().filter(|e| *e != starts) {
                    let (more, _) = tier_ids(c, plan, 1, exact, seen, need - found.len(), all)?;
                    for id in more {
                        push(seen, found, 1, id);
                    }
                }
                // The word beginnings read so far, in catalog order, fill the page.
                let mut active = c.prepare_cached("SELECT active FROM products WHERE id = ?1")?;
                for id in ids {
                    if found.len() >= need {
                        break;
                    }
                    let a: Option<bool> = active.query_row([id], |r| r.get(0)).optional()?;
                    if !seen.contains(&id) && a.is_some_and(|a| a || all) {
                        push(seen, found, 2, id);
                    }
                }
                if found.len() < need {
                    // More than the first rows: a deep page.
                    let (more, _) = tier_ids(c, plan, 2, starts, seen, need - found.len(), all)?;
                    for id in more {
                        push(seen, found, 2, id);
                    }
                }
            }
            next = 3;
        }
    }
    let mut previous: Option<&String> = exprs[..usize::from(next) - 1].iter().rev().flatten().next();
    for tier in next..=3 {
        if found.len() >= need {
            break;
        }
        let Some(expr) = &exprs[usize::from(tier) - 1] else { continue };
        if previous == Some(expr) {
            continue; // the same products as the tier before
        }
        let (ids, _) = tier_ids(c, plan, tier, expr, seen, need - found.len(), all)?;
        for id in ids {
            push(seen, found, tier, id);
        }
        previous = Some(expr);
    }
    Ok(())
}

/// A longer query's selective word and all the products it matches at
/// tiers up to 3, if they are at most [`LEAD_CAP`]: they are all the
/// query can find there, so their texts tell which match every word, at
/// which tier. The words' intersection in the index would cost more: it
/// reads the long lists of the other words (a SKU's `hss` and `hg` beside
/// its number). `None` if no word is known to be that selective.
fn led(c: &Connection, plan: &Plan, lex: &Lexicon, seen: &HashSet<i64>) -> Result<Option<(usize, Vec<i64>)>> {
    let Some(lead) = plan.lead(lex, LEAD_CAP as u64) else { return Ok(None) };
    let Some(expr) = plan.word_expression(lead, 3) else { return Ok(Some((lead, Vec::new()))) };
    let (ids, complete) = fts_ids(c, &expr, seen, seen.len() + LEAD_CAP + 1)?;
    Ok(complete.then_some((lead, ids)))
}

/// Most products a query's leading word may have (see [`led`]): checking
/// one by its texts costs a few microseconds.
const LEAD_CAP: usize = 24;

/// The fallback when no product matches in SKU, name and attributes:
/// products whose every word matches there or in the description (whole
/// words, inflections, word beginnings), ranked when at most [`RANK_CAP`],
/// else in catalog order; at least `need` of them if there are so many.
///
/// The descriptions have an index of their own, so a word's products are
/// those of both indexes, and the query's their intersection. Words that
/// many descriptions hold ("Lager") have long lists there, so the most
/// selective word leads (by the vocabulary's counts): if it has at most
/// [`CHECK_CAP`] products, each is checked against the other words by its
/// texts; otherwise the words' lists are intersected in catalog order,
/// reading only as far as the page needs.
fn with_descriptions(c: &Connection, plan: &Plan, lex: &Lexicon, need: usize, all: bool) -> Result<Vec<i64>> {
    let exprs = plan.per_word(lex);
    if exprs.iter().any(|(p, d)| p.is_none() && d.is_none()) {
        return Ok(Vec::new()); // a word no text holds
    }
    let mut order: Vec<(u64, usize)> = Vec::with_capacity(exprs.len());
    for (i, (w, (p, _))) in plan.words.iter().zip(&exprs).enumerate() {
        order.push((word_bound(c, lex, w, p.as_deref(), CHECK_CAP as u64)?, i));
    }
    order.sort();
    let m = Matcher::new(plan, 4);
    let mut out: Vec<(u32, usize, String, String, i64)> = Vec::new();
    if order[0].0 <= CHECK_CAP as u64 {
        let (p, d) = &exprs[order[0].1];
        let mut ids = Vec::new();
        for (table, expr) in [("product_search", p), ("product_details", d)] {
            if let Some(expr) = expr {
                let sql = format!("SELECT rowid FROM {table} WHERE {table} MATCH ?1");
                let mut stmt = c.prepare_cached(&sql)?;
                ids.extend(stmt.query_map([expr], |r| r.get::<_, i64>(0))?.collect::<Result<Vec<_>, _>>()?);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let described = plan.in_descriptions();
        let in_description = Matcher::new(&described, 4);
        let mut row =
            c.prepare_cached("SELECT sku, name, attributes, description, active FROM products WHERE id = ?1")?;
        for id in ids {
            let found = row
                .query_row([id], |r| {
                    let text = |i: usize| r.get::<_, String>(i);
                    Ok((text(0)?, text(1)?, text(2)?, text(3)?, r.get::<_, bool>(4)?))
                })
                .optional()?;
            let Some((sku, name, attributes, description, active)) = found else { continue };
            if !(active || all) {
                continue;
            }
            let attrs: Vec<StoredAttribute<'_>> = serde_json::from_str(&attributes)
                .map_err(|e| Error::Corrupt { what: "product attributes", reason: e.to_string() })?;
            let values = attrs.iter().map(|a| a.value.as_ref()).collect::<Vec<&str>>().join(" ; ");
            let primary = m.best(&[
                Field::for_kinds(&m, MatchField::Sku, &sku),
                Field::for_kinds(&m, MatchField::Name, &name),
                Field::for_kinds(&m, MatchField::Details, &values),
            ]);
            let described =
                in_description.best(&[Field::for_kinds(&in_description, MatchField::Details, &description)]);
            if primary.iter().zip(&described).all(|(p, d)| p.is_some() || d.is_some()) {
                let folded = fold(&name);
                let relevance = m.quick_relevance(&sku, &name, &folded);
                out.push((u32::MAX - relevance, folded.chars().count(), folded, sku, id));
            }
        }
        out.sort();
        return Ok(out.into_iter().map(|(.., id)| id).collect());
    }
    // Long lists: intersect them in catalog order, as far as needed.
    let mut statements = Vec::new();
    let mut args: Vec<(usize, &str)> = Vec::new();
    for &(_, i) in &order {
        let (p, d) = &exprs[i];
        for (table, expr) in [("product_search", p), ("product_details", d)] {
            if let Some(expr) = expr {
                statements.push(c.prepare_cached(&format!("SELECT rowid FROM {table} WHERE {table} MATCH ?1"))?);
                args.push((i, expr.as_str()));
            }
        }
    }
    let mut cursors: Vec<(usize, rusqlite::Rows<'_>)> = Vec::with_capacity(statements.len());
    for (stmt, &(i, expr)) in statements.iter_mut().zip(&args) {
        cursors.push((i, stmt.query([expr])?));
    }
    let mut words = Intersection::new(cursors, plan.words.len())?;
    let mut row = c.prepare_cached("SELECT sku, name, active FROM products WHERE id = ?1")?;
    let want = (RANK_CAP + 1).max(need);
    let mut matched: Vec<(String, String, i64)> = Vec::new();
    while let Some(id) = words.next()? {
        let found = row
            .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))
            .optional()?;
        if let Some((sku, name, _)) = found.filter(|f| f.2 || all) {
            matched.push((sku, name, id));
            if matched.len() >= want {
                break;
            }
        }
    }
    if matched.len() > RANK_CAP {
        return Ok(matched.into_iter().map(|(.., id)| id).collect()); // catalog order
    }
    for (sku, name, id) in matched {
        let folded = fold(&name);
        let relevance = m.quick_relevance(&sku, &name, &folded);
        out.push((u32::MAX - relevance, folded.chars().count(), folded, sku, id));
    }
    out.sort();
    Ok(out.into_iter().map(|(.., id)| id).collect())
}

/// A description fallback whose leading word has at most this many
/// products checks them one by one (see [`with_descriptions`]).
const CHECK_CAP: usize = 64;

/// An upper bound of the products query word `w` matches in SKU, name and
/// attributes and in descriptions, from the vocabulary's counts; numbers
/// and codes, which it does not count in SKUs, names and attributes, by
/// reading at most `cap + 1` matches of their expression `primary`. Values
/// above `cap` are not exact.
fn word_bound(c: &Connection, lex: &Lexicon, w: &QueryWord, primary: Option<&str>, cap: u64) -> Result<u64> {
    let mut sum = 0u64;
    let mut uncounted = false;
    for a in &w.alts {
        let prefix = a.kind == MatchKind::WordStart;
        if a.primary {
            if !is_letters(&a.term) {
                uncounted = true;
            } else if prefix {
                sum += lex.prefix_docs(&a.term, cap).unwrap_or(cap + 1);
            } else {
                sum += lex.primary_docs(&a.term);
            }
        }
        if a.description {
            sum += if prefix { lex.prefix_desc_docs(&a.term, cap).unwrap_or(cap + 1) } else { lex.desc_docs(&a.term) };
        }
        if sum > cap {
            return Ok(sum);
        }
    }
    if uncounted && let Some(expr) = primary {
        let n: i64 = c
            .prepare_cached(
                "SELECT count(*) FROM (SELECT rowid FROM product_search WHERE product_search MATCH ?1 LIMIT ?2)",
            )?
            .query_row(params![expr, cap as i64 + 1], |r| r.get(0))?;
        sum += n.max(0) as u64;
    }
    Ok(sum)
}

/// The products every query word matches, in catalog order: each word's
/// cursors (over the product index and the descriptions' index, each in
/// rowid order) merged, the words intersected.
struct Intersection<'s> {
    /// (query word, cursor, its current rowid or `None` at its end).
    cursors: Vec<(usize, rusqlite::Rows<'s>, Option<i64>)>,
    words: usize,
}

impl<'s> Intersection<'s> {
    fn new(cursors: Vec<(usize, rusqlite::Rows<'s>)>, words: usize) -> Result<Intersection<'s>> {
        let mut out = Intersection { cursors: Vec::with_capacity(cursors.len()), words };
        for (w, mut rows) in cursors {
            let head = Self::read(&mut rows)?;
            out.cursors.push((w, rows, head));
        }
        Ok(out)
    }

    fn read(rows: &mut rusqlite::Rows<'s>) -> Result<Option<i64>> {
        Ok(match rows.next()? {
            Some(r) => Some(r.get(0)?),
            None => None,
        })
    }

    /// Moves every cursor to its first rowid at or after `target`.
    fn seek(&mut self, target: i64) -> Result<()> {
        for (_, rows, head) in &mut self.cursors {
            while head.is_some_and(|h| h < target) {
                *head = Self::read(rows)?;
            }
        }
        Ok(())
    }

    /// The first rowid at or after the cursors' heads that every word has.
    fn next(&mut self) -> Result<Option<i64>> {
        let mut target = i64::MIN;
        loop {
            self.seek(target)?;
            // Each word's smallest head: the word's next product.
            let mut next: Vec<Option<i64>> = vec![None; self.words];
            for (w, _, head) in &self.cursors {
                if let Some(h) = *head {
                    next[*w] = Some(next[*w].map_or(h, |n: i64| n.min(h)));
                }
            }
            let Some(heads) = next.into_iter().collect::<Option<Vec<i64>>>() else { return Ok(None) };
            let (lo, hi) = (heads.iter().copied().min(), heads.iter().copied().max());
            match (lo, hi) {
                (Some(lo), Some(hi)) if lo == hi => {
                    self.seek(lo + 1)?;
                    return Ok(Some(lo));
                }
                (_, Some(hi)) => target = hi,
                _ => return Ok(None),
            }
        }
    }
}

/// The products matching `expr` that are not in `seen`, in catalog order,
/// reading at most `limit` matches; and whether those were all.
fn fts_ids(c: &Connection, expr: &str, seen: &HashSet<i64>, limit: usize) -> Result<(Vec<i64>, bool)> {
    let ids: Vec<i64> = c
        .prepare_cached("SELECT rowid FROM product_search WHERE product_search MATCH ?1 LIMIT ?2")?
        .query_map(params![expr, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let complete = ids.len() < limit;
    Ok((ids.into_iter().filter(|id| !seen.contains(id)).collect(), complete))
}

/// The products tier `tier` adds (matching `expr`, not in `seen`), in
/// order; at least `need` of them if there are so many; and whether they
/// are all it adds.
///
/// One pass over the index reads at most `seen + max(RANK_CAP + 1, need)`
/// matching rows. If the tier adds at most [`RANK_CAP`] products, they are
/// ranked by relevance. SQLite's own BM25 is not used: its
/// document-frequency pass reads the whole posting list of every query
/// word, several milliseconds for a word like "mm" that is in every
/// product (ADR 4). A larger tier is listed in catalog order, which SQLite
/// streams and stops reading once the page is full, so a one-letter query
/// costs no more than a precise one.
fn tier_ids(
    c: &Connection,
    plan: &Plan,
    tier: u8,
    expr: &str,
    seen: &HashSet<i64>,
    need: usize,
    all: bool,
) -> Result<(Vec<i64>, bool)> {
    let mut limit = seen.len() + (RANK_CAP + 1).max(need);
    let m = Matcher::new(plan, tier);
    let mut row = c.prepare_cached("SELECT p.sku, p.name, p.active FROM products p WHERE p.id = ?1")?;
    let mut active = c.prepare_cached("SELECT active FROM products WHERE id = ?1")?;
    loop {
        let (new, complete) = fts_ids(c, expr, seen, limit)?;
        if complete && new.len() <= RANK_CAP {
            let mut ranked: Vec<(u32, usize, String, String, i64)> = Vec::with_capacity(new.len());
            for id in new {
                let found = row
                    .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))
                    .optional()?;
                let Some((sku, name, active)) = found else { continue };
                if active || all {
                    let folded = fold(&name);
                    let rank = u32::MAX - m.quick_relevance(&sku, &name, &folded);
                    ranked.push((rank, folded.chars().count(), folded, sku, id));
                }
            }
            ranked.sort();
            return Ok((ranked.into_iter().map(|(.., id)| id).collect(), true));
        }
        let mut out = Vec::new();
        for id in new {
            let a: Option<bool> = active.query_row([id], |r| r.get(0)).optional()?;
            if a.is_some_and(|a| a || all) {
                out.push(id);
                if out.len() >= need {
                    return Ok((out, complete));
                }
            }
        }
        if complete {
            return Ok((out, true));
        }
        limit *= 2; // many inactive products: read further
    }
}

/// An attribute as stored, borrowed.
#[derive(serde::Deserialize)]
struct StoredAttribute<'a> {
    #[serde(borrow)]
    value: std::borrow::Cow<'a, str>,
}

/// The tiers of at most [`RANK_CAP`] products that matched the expression
/// of `tier`, from their texts: each word's best match in SKU, name and
/// attributes, the weakest of them the product's tier. Ranked by tier,
/// then as [`tier_ids`] ranks.
///
/// With `checked`, only the leading word (its index) is known to match
/// (see [`led`]): products that do not match every other word are left out.
fn classify(
    c: &Connection,
    plan: &Plan,
    tier: u8,
    ids: Vec<i64>,
    all: bool,
    checked: Option<usize>,
) -> Result<Vec<(u8, i64)>> {
    let m = Matcher::new(plan, tier);
    let mut row = c.prepare_cached("SELECT sku, name, attributes, active FROM products WHERE id = ?1")?;
    let mut ranked: Vec<(u8, u32, usize, String, String, i64)> = Vec::with_capacity(ids.len());
    for id in ids {
        let found = row
            .query_row([id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, bool>(3)?))
            })
            .optional()?;
        let Some((sku, name, attributes, active)) = found else { continue };
        if !(active || all) {
            continue;
        }
        // Each word's best kind of match and field: from the texts' words
        // alone when the matcher allows (letters-only queries), else from
        // the analysed texts. The attributes only when they may hold a
        // better match than SKU and name (most often they cannot, and
        // analysing them is most of the cost).
        let values = |attributes: &str| -> Result<String> {
            let attrs: Vec<StoredAttribute<'_>> = serde_json::from_str(attributes)
                .map_err(|e| Error::Corrupt { what: "product attributes", reason: e.to_string() })?;
            // The attribute values as one text; " ; " glues nothing across two.
            Ok(attrs.iter().map(|a| a.value.as_ref()).collect::<Vec<&str>>().join(" ; "))
        };
        let kinds: Vec<Option<(MatchKind, MatchField)>> =
            match m.kinds(&[(MatchField::Sku, &sku), (MatchField::Name, &name)]) {
                Some(k) => {
                    let found: Vec<Option<MatchKind>> = k.iter().map(|k| k.map(|k| k.0)).collect();
                    if m.may_improve(&found, &attributes) {
                        let v = values(&attributes)?;
                        m.kinds(&[(MatchField::Sku, &sku), (MatchField::Name, &name), (MatchField::Details, &v)])
                            .unwrap_or(k)
                    } else {
                        k
                    }
                }
                None => {
                    let primary =
                        [Field::for_kinds(&m, MatchField::Sku, &sku), Field::for_kinds(&m, MatchField::Name, &name)];
                    let hits = m.best(&primary);
                    let found: Vec<Option<MatchKind>> = hits.iter().map(|h| h.as_ref().map(|h| h.hit.kind)).collect();
                    let of = |hits: &[Option<Best>], fields: &[Field<'_>]| -> Vec<Option<(MatchKind, MatchField)>> {
                        hits.iter().map(|h| h.as_ref().map(|h| (h.hit.kind, fields[h.field].field))).collect()
                    };
                    if m.may_improve(&found, &attributes) {
                        let v = values(&attributes)?;
                        let [s, n] = primary;
                        let fields = [s, n, Field::for_kinds(&m, MatchField::Details, &v)];
                        of(&m.best(&fields), &fields)
                    } else {
                        of(&hits, &primary)
                    }
                }
            };
        if let Some(lead) = checked
            && kinds.iter().enumerate().any(|(i, k)| k.is_none() && i != lead)
        {
            continue;
        }
        // A word FTS matched that these words do not (a tokenizer corner): the tier itself.
        let shown = kinds.iter().map(|k| k.map_or(tier, |(kind, _)| tier_of(kind))).max().unwrap_or(tier);
        let rank = u32::MAX - relevance(&kinds);
        let folded = fold(&name);
        ranked.push((shown, rank, folded.chars().count(), folded, sku, id));
    }
    ranked.sort();
    Ok(ranked.into_iter().map(|(tier, .., id)| (tier, id)).collect())
}

/// Why the product matched, one entry per query word: looked up in the
/// SKU and the name, and in the description and attributes (`details`,
/// read only then) for words that matched there only.
fn explain(
    m: &Matcher<'_>,
    plan: &Plan,
    sku: &str,
    name: &str,
    details: &mut dyn FnMut() -> Result<Vec<String>>,
) -> Result<Vec<WordMatch>> {
    let primary = [Field::new(MatchField::Sku, sku, false), Field::new(MatchField::Name, name, false)];
    let mut out: Vec<Option<WordMatch>> = m
        .best(&primary)
        .iter()
        .zip(&plan.words)
        .map(|(b, w)| b.as_ref().map(|b| word_match(&w.text, b, &primary)))
        .collect();
    if out.iter().any(Option::is_none) {
        let texts = details()?;
        let fields: Vec<Field<'_>> =
            texts.iter().enumerate().map(|(i, t)| Field::new(MatchField::Details, t, i == 0)).collect();
        for ((slot, b), w) in out.iter_mut().zip(m.best(&fields)).zip(&plan.words) {
            if slot.is_none() {
                *slot = b.as_ref().map(|b| word_match(&w.text, b, &fields));
            }
        }
    }
    Ok(out.into_iter().flatten().collect())
}

impl Store {
    /// Searches active products (or all, see [`ProductQuery`]); see the
    /// module docs for matching and ranking.
    pub fn search_products(&self, q: &ProductQuery) -> Result<Page<ProductHit>> {
        self.read(|c| search_products(c, &self.lexicon, q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Format, parse};
    use crate::store::tests::temp_store;

    const CSV: &str = "sku;name;description;category;unit;list_price;tax_class;active;attr:Material\n\
        MS-6100;Müller-Schraube Holzbau 6×100;Tellerkopf, Torx;Befestigungstechnik/Holzbau;pc;0,35;DE-STD;ja;Stahl\n\
        SCH-M8;Schraube M8;;Befestigungstechnik/Schrauben;pc;0,10;DE-STD;ja;Edelstahl A2\n\
        SKS-933;Sechskantschraube DIN 933 M8×40;Gewinde bis Kopf;Befestigungstechnik/Schrauben;pc;0,12;DE-STD;ja;Stahl verzinkt\n\
        GL-9;Safety gloves nitrile, size 9;Schraube-free design;Safety/Gloves;pair;0,89;DE-STD;ja;Nitril\n\
        STR-1;Straßenbesen;Für Außenbereiche;Reinigung/Besen;pc;19,90;DE-STD;ja;Holz\n\
        OLD-1;Schraube alt;;;pc;0,10;DE-STD;nein;\n\
        M8;Mutter M8 (SKU equals a word);;Befestigungstechnik/Muttern;pc;0,05;DE-STD;ja;Stahl\n\
        MUT-10;Sechskantmutter DIN 934 M10;;Befestigungstechnik/Muttern;pc;0,06;DE-STD;ja;Stahl\n\
        USB-8;Unterlegscheibe DIN 125 M8;;Befestigungstechnik/Scheiben;pc;0,02;DE-STD;ja;Stahl\n\
        TRS-1;Trennscheibe Edelstahl Ø 125×1,0 mm;;Schleifmittel/Trennscheiben;pc;1,20;DE-STD;ja;Korund\n\
        DUE-6;Dübel Nylon 6×30;;Befestigungstechnik/Dübel;pc;0,06;DE-STD;ja;Polyamid\n";

    fn store() -> (tempfile::TempDir, Store) {
        let (d, s) = temp_store();
        s.import_catalog(parse(CSV.as_bytes(), Format::Csv), &mut |_| {}).unwrap_or_else(|e| panic!("import: {e}"));
        (d, s)
    }

    fn search(store: &Store, q: ProductQuery) -> Page<ProductHit> {
        store.search_products(&q).unwrap_or_else(|e| panic!("{e}"))
    }

    fn skus(store: &Store, q: ProductQuery) -> Vec<String> {
        search(store, q).items.into_iter().map(|h| h.sku).collect()
    }

    fn first(store: &Store, q: &str) -> ProductHit {
        search(store, ProductQuery::new(q)).items.into_iter().next().unwrap_or_else(|| panic!("nothing for {q:?}"))
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
        assert_eq!(skus(&s, ProductQuery::new("schraub m8"))[0], "SCH-M8", "all words must match, whole words first");
        assert_eq!(skus(&s, ProductQuery::new("edelst")), vec!["TRS-1", "SCH-M8"], "names before attribute values");
        assert_eq!(skus(&s, ProductQuery::new("sks-93")), vec!["SKS-933"], "SKU prefix");
        assert!(skus(&s, ProductQuery::new("xyz")).is_empty());
    }

    #[test]
    fn ranking_prefers_names_and_exact_skus() {
        let (_d, s) = store();
        // "schraube" in a name beats "schraube" only in a description.
        // Whole words in names (the shorter name first), then the part of a
        // compound; a word only in a description ("Schraube-free design")
        // counts only when nothing matches in SKU, name or attributes.
        let r = skus(&s, ProductQuery::new("schraube"));
        assert_eq!(r, vec!["SCH-M8", "MS-6100", "SKS-933"]);
        let h = first(&s, "free design");
        assert_eq!((h.sku.as_str(), h.matches[0].field), ("GL-9", MatchField::Details));
        // A query equal to a SKU puts that product first, marked exact.
        let p = search(&s, ProductQuery::new("m8"));
        assert_eq!(p.items[0].sku, "M8");
        assert!(p.items[0].exact_sku && p.items[0].tier == Some(MatchTier::Sku));
        assert!(p.items[1..].iter().all(|h| !h.exact_sku && h.sku != "M8"));
        assert_eq!(skus(&s, ProductQuery::new("ms-6100"))[0], "MS-6100");
    }

    #[test]
    fn compound_parts_match_below_word_starts() {
        let (_d, s) = store();
        let p = search(&s, ProductQuery::new("mutter"));
        let tiers: Vec<(String, Option<MatchTier>)> = p.items.iter().map(|h| (h.sku.clone(), h.tier)).collect();
        assert_eq!(
            tiers,
            vec![("M8".into(), Some(MatchTier::Exact)), ("MUT-10".into(), Some(MatchTier::CompoundPart))]
        );
        let m = &p.items[1].matches[0];
        assert_eq!(
            (m.kind, m.field, m.word.as_str(), m.start, m.len),
            (MatchKind::CompoundPart, MatchField::Name, "Sechskantmutter", Some(9), 6)
        );
        assert_eq!(skus(&s, ProductQuery::new("scheibe m8")), vec!["USB-8"]);
        let mut sch = skus(&s, ProductQuery::new("scheibe"));
        sch.sort();
        assert_eq!(sch, vec!["TRS-1", "USB-8"]);
        assert!(skus(&s, ProductQuery::new("kant")).is_empty(), "the middle of a part is not a part");
    }

    #[test]
    fn typos_inflections_and_spellings() {
        let (_d, s) = store();
        let h = first(&s, "sechskantschruabe");
        assert_eq!((h.sku.as_str(), h.tier), ("SKS-933", Some(MatchTier::Typo)));
        assert_eq!(h.matches[0].read_as.as_deref(), Some("sechskantschraube"));
        assert_eq!(h.matches[0].edits, 1);
        let h = first(&s, "unterlegscheiben");
        assert_eq!(
            (h.sku.as_str(), h.tier, h.matches[0].kind),
            ("USB-8", Some(MatchTier::Exact), MatchKind::Inflected)
        );
        assert_eq!(first(&s, "duebel").sku, "DUE-6");
        assert_eq!(first(&s, "mueller").sku, "MS-6100");
        for q in ["m8x40", "M8*40", "m8 × 40"] {
            let h = first(&s, q);
            assert_eq!(h.sku, "SKS-933", "{q}");
            let spans: Vec<(&str, Option<u32>, u32)> =
                h.matches.iter().map(|m| (m.word.as_str(), m.start, m.len)).collect();
            assert_eq!(spans, vec![("M8×40", Some(26), 5); 2], "{q}: both words, one size");
        }
        let h = first(&s, "din933");
        assert_eq!((h.sku.as_str(), h.matches[0].word.as_str(), h.matches[0].start), ("SKS-933", "DIN 933", Some(18)));
        assert_eq!(first(&s, "din 934").sku, "MUT-10");
        assert!(skus(&s, ProductQuery::new("m9")).is_empty(), "never typos for codes");
        assert_eq!(skus(&s, ProductQuery::new("nylno")), vec!["DUE-6"], "five letters: one edit");
        assert!(skus(&s, ProductQuery::new("nyln")).is_empty(), "four letters: no typo");
    }

    #[test]
    fn matches_point_into_the_name() {
        let (_d, s) = store();
        let h = first(&s, "schrau m8");
        let spans: Vec<(String, MatchKind, MatchField, Option<u32>, u32)> =
            h.matches.iter().map(|m| (m.query.clone(), m.kind, m.field, m.start, m.len)).collect();
        assert_eq!(
            spans,
            vec![
                ("schrau".into(), MatchKind::WordStart, MatchField::Name, Some(0), 6),
                ("m8".into(), MatchKind::Exact, MatchField::Sku, Some(4), 2)
            ],
            "SCH-M8: the SKU has the word m8, and a SKU match is the strongest"
        );
        let h = first(&s, "schraub");
        assert_eq!((h.matches[0].kind, h.matches[0].read_as.as_deref()), (MatchKind::Inflected, Some("schraube")));
        let h = first(&s, "strasse");
        assert_eq!(
            (h.matches[0].word.as_str(), h.matches[0].start, h.matches[0].len),
            ("Straßenbesen", Some(0), 6),
            "strasse is Straße"
        );
    }

    #[test]
    fn paging_covers_every_hit_once() {
        let (_d, s) = store();
        let full = skus(&s, ProductQuery::new("m8").page(0, 50));
        assert!(full.len() >= 4, "{full:?}");
        let mut paged = Vec::new();
        for off in 0..full.len() as u32 {
            let p = search(&s, ProductQuery::new("m8").page(off, 1));
            assert_eq!(p.has_more, (off as usize) < full.len() - 1);
            paged.extend(p.items.into_iter().map(|h| h.sku));
        }
        assert_eq!(paged, full);
        let p = search(&s, ProductQuery::new("").page(0, 3));
        assert!(p.has_more);
        assert_eq!(p.items[0].sku, "DUE-6", "empty query lists by name (\"Dübel\" first)");
        assert!(p.items[0].tier.is_none() && p.items[0].matches.is_empty());
    }

    #[test]
    fn inactive_products_are_hidden_by_default() {
        let (_d, s) = store();
        assert!(!skus(&s, ProductQuery::new("alt")).contains(&"OLD-1".to_string()));
        let q = ProductQuery { include_inactive: true, ..ProductQuery::new("alt") };
        assert_eq!(skus(&s, q), vec!["OLD-1"]);
    }

    #[test]
    fn descriptions_are_searched_past_many_inactive_products() -> Result<()> {
        let (_d, s) = temp_store();
        let mut csv = String::from("sku;name;description;unit;list_price;tax_class;active\n");
        for i in 0..400 {
            csv.push_str(&format!("OLD-{i};Altware {i};Lieferung ab Lager;pc;1,00;DE-STD;nein\n"));
        }
        csv.push_str("NEW-1;Neuware;Lieferung ab Lager;pc;1,00;DE-STD;ja\n");
        s.import_catalog(parse(csv.as_bytes(), Format::Csv), &mut |_| {})?;
        let p = s.search_products(&ProductQuery::new("lieferung lager"))?;
        assert_eq!(p.items.iter().map(|h| h.sku.as_str()).collect::<Vec<_>>(), vec!["NEW-1"]);
        assert_eq!(p.items[0].matches[0].field, MatchField::Details);
        Ok(())
    }

    #[test]
    fn a_word_in_names_and_one_in_descriptions_meet() -> Result<()> {
        let (_d, s) = temp_store();
        let mut csv = String::from("sku;name;description;unit;list_price;tax_class\n");
        for i in 0..200 {
            let description = if i % 2 == 0 { "Lieferung ab Lager" } else { "Sofort lieferbar" };
            csv.push_str(&format!("K-{i};Kiste {i};{description};pc;1,00;DE-STD\n"));
        }
        s.import_catalog(parse(csv.as_bytes(), Format::Csv), &mut |_| {})?;
        let p = s.search_products(&ProductQuery::new("kiste lager").page(0, 500))?;
        assert_eq!(p.items.len(), 100, "the long lists intersected");
        assert!(p.items.iter().all(|h| h.sku[2..].parse::<u32>().is_ok_and(|n| n % 2 == 0)));
        let fields: Vec<MatchField> = p.items[0].matches.iter().map(|m| m.field).collect();
        assert_eq!(fields, vec![MatchField::Name, MatchField::Details]);
        // "17" leads (few products begin with it) and the others are checked.
        let p = s.search_products(&ProductQuery::new("kiste 17 lieferbar"))?;
        let skus: Vec<&str> = p.items.iter().map(|h| h.sku.as_str()).collect();
        assert_eq!(skus, vec!["K-17", "K-171", "K-173", "K-175", "K-177", "K-179"], "the whole number first");
        Ok(())
    }

    #[test]
    fn pages_of_a_longer_query_agree_with_one_page() -> Result<()> {
        let (_d, s) = temp_store();
        let mut csv = String::from("sku;name;unit;list_price;tax_class;attr:Material\n");
        // More products per word than are ranked, fewer whole-word matches.
        for i in 0..100 {
            csv.push_str(&format!("A-{i};Kiste Holz {};pc;1,00;DE-STD;Kiefer\n", 1000 - i * 7 % 100));
            csv.push_str(&format!("B-{i};Kistenbox Holzbau {i};pc;1,00;DE-STD;Stahl\n"));
        }
        for i in 0..30 {
            csv.push_str(&format!("C-{i};Bretterkiste Holzbau {i};pc;1,00;DE-STD;Stahl\n"));
        }
        s.import_catalog(parse(csv.as_bytes(), Format::Csv), &mut |_| {})?;
        let page = search(&s, ProductQuery::new("kiste holz").page(0, 500));
        let all: Vec<String> = page.items.iter().map(|h| h.sku.clone()).collect();
        assert_eq!(all.len(), 230);
        let groups: Vec<(char, Option<MatchTier>)> =
            page.items.iter().map(|h| (h.sku.chars().next().unwrap_or(' '), h.tier)).collect();
        assert!(groups[..100].iter().all(|g| *g == ('A', Some(MatchTier::Exact))), "whole words first");
        assert!(groups[100..200].iter().all(|g| *g == ('B', Some(MatchTier::WordStart))), "then word starts");
        assert!(groups[200..].iter().all(|g| *g == ('C', Some(MatchTier::CompoundPart))), "then parts");
        let mut paged = Vec::new();
        for off in (0..230).step_by(7) {
            paged.extend(skus(&s, ProductQuery::new("kiste holz").page(off, 7)));
        }
        assert_eq!(paged, all);
        Ok(())
    }

    #[test]
    fn hostile_query_text_is_inert() {
        let (_d, s) = store();
        for q in
            ["\"", "NEAR(", "a OR b", "*", "sku:x", "^schraube", "\u{0}", &"x".repeat(10_000), &"schraube ".repeat(100)]
        {
            assert!(s.search_products(&ProductQuery::new(q)).is_ok(), "{q:?}");
        }
        assert!(matches!(s.search_products(&ProductQuery::new("a").page(0, 0)), Err(Error::Validation { .. })));
        assert!(s.search_products(&ProductQuery::new("a").page(0, MAX_PAGE + 1)).is_err());
    }

    #[test]
    fn the_vocabulary_follows_updates_and_deletions() -> Result<()> {
        let (_d, s) = store();
        assert!(s.search_products(&ProductQuery::new("mutter"))?.items.iter().any(|h| h.sku == "MUT-10"));
        s.delete_products(&["M8", "MUT-10"])?;
        assert!(s.search_products(&ProductQuery::new("mutter"))?.items.is_empty());
        let words: i64 = s.read(|c| {
            Ok(c.query_row("SELECT count(*) FROM search_terms WHERE term = 'sechskantmutter'", [], |r| r.get(0))?)
        })?;
        assert_eq!(words, 0, "a word no product holds leaves the vocabulary");
        let csv = "sku;name;unit;list_price;tax_class\nUSB-8;Unterlegscheibe groß;pc;0,03;DE-STD\n";
        s.import_catalog(parse(csv.as_bytes(), Format::Csv), &mut |_| {})?;
        assert_eq!(skus(&s, ProductQuery::new("gross")), vec!["USB-8"]);
        assert!(skus(&s, ProductQuery::new("din 125")).is_empty(), "the old text is gone");
        Ok(())
    }
}
