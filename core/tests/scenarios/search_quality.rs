//! The search query set of issue 24: queries a German and an English rep
//! type on the demo's tablet (10,000 sample products), each with the
//! products it should find. Per class it reports the recall in the top 10
//! and the rank of the first right hit, for today's search and for the
//! prefix search before issue 24 (on an index written the old way), and
//! asserts that today's search finds every query's products in its top 10.
//!
//! `cargo test -p onsite-core --test search_quality -- --nocapture` prints
//! the table (BENCHMARKS.md has a copy); with `ONSITE_QUERY_SET_DETAILS=1`
//! also the first hits of every query and why they matched.

use std::collections::BTreeMap;

use onsite_core::catalog::Product;
use onsite_core::import::{self, Format};
use onsite_core::sample;
use onsite_core::store::{Page, ProductHit, ProductQuery, Store};
use onsite_core::text::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Exact,
    WordStart,
    Compound,
    Typo,
    Inflection,
    Normalisation,
    Sku,
}

/// What a right hit is: its folded name holds every one of these.
type Want = &'static [&'static str];

/// Whether a hit is right.
type Right = Box<dyn Fn(&ProductHit) -> bool>;

const CASES: &[(Class, &str, Want)] = &[
    // Whole words, German and English.
    (Class::Exact, "sechskantschraube m8", &["sechskantschraube", "m8"]),
    (Class::Exact, "zylinderschraube m6 edelstahl", &["zylinderschraube", "m6", "edelstahl"]),
    (Class::Exact, "schutzhandschuhe nitril", &["schutzhandschuhe nitril"]),
    (Class::Exact, "kabelbinder schwarz", &["kabelbinder", "schwarz"]),
    (Class::Exact, "hex bolt m12", &["hex bolt", "m12"]),
    (Class::Exact, "flat washer m10", &["flat washer", "m10"]),
    (Class::Exact, "o-ring nbr", &["o-ring nbr"]),
    (Class::Exact, "rillenkugellager 6205", &["rillenkugellager", "6205"]),
    (Class::Exact, "senkschraube messing", &["senkschraube", "messing"]),
    (Class::Exact, "twist drill cobalt", &["twist drill cobalt"]),
    (Class::Exact, "industrial cleaner", &["industrial cleaner"]),
    (Class::Exact, "trennscheibe edelstahl", &["trennscheibe edelstahl"]),
    (Class::Exact, "blindniete aluminium", &["blindniete", "aluminium"]),
    // Word beginnings, as a rep types.
    (Class::WordStart, "sechsk m8", &["sechskant", "m8"]),
    (Class::WordStart, "zylinders m6", &["zylinderschraube", "m6"]),
    (Class::WordStart, "schu nit", &["schutzhandschuhe", "nitril"]),
    (Class::WordStart, "kabelb 300", &["kabelbinder", "300"]),
    (Class::WordStart, "rillenk 62", &["rillenkugellager", "62"]),
    (Class::WordStart, "akku-bohr", &["akku-bohrschrauber"]),
    (Class::WordStart, "werkb", &["werkbank"]),
    (Class::WordStart, "straßenb", &["strassenbesen"]),
    (Class::WordStart, "twist dri", &["twist drill"]),
    (Class::WordStart, "socket hea m5", &["socket head", "m5"]),
    (Class::WordStart, "fächersch", &["facherschleifscheibe"]),
    (Class::WordStart, "gewindest m12", &["gewindestange", "m12"]),
    // Parts of compounds.
    (Class::Compound, "mutter m10", &["sechskantmutter", "m10"]),
    (Class::Compound, "handschuh", &["schutzhandschuhe"]),
    (Class::Compound, "scheibe m8", &["scheibe", "m8"]),
    (Class::Compound, "bohrer", &["bohrer"]),
    (Class::Compound, "schelle", &["schelle"]),
    (Class::Compound, "regal", &["regal"]),
    (Class::Compound, "lager", &["kugellager"]),
    (Class::Compound, "schraube m8", &["schraube", "m8"]),
    (Class::Compound, "niete", &["niete"]),
    (Class::Compound, "besen", &["besen"]),
    (Class::Compound, "mutter a2", &["mutter", "a2"]),
    (Class::Compound, "scheibe edelstahl", &["scheibe", "edelstahl"]),
    (Class::Compound, "schraube messing m6", &["schraube", "messing", "m6"]),
    (Class::Compound, "schleifscheibe", &["schleifscheibe"]),
    (Class::Compound, "handschuhe groesse 9", &["schutzhandschuhe", "grosse 9"]),
    // Typos: one edit from five letters, two from nine.
    (Class::Typo, "sechskantschruabe", &["sechskantschraube"]),
    (Class::Typo, "zylinderschrauebe m6", &["zylinderschraube", "m6"]),
    (Class::Typo, "unterlegscheieb", &["unterlegscheibe"]),
    (Class::Typo, "gewindestnage m10", &["gewindestange", "m10"]),
    (Class::Typo, "kabelbindre", &["kabelbinder"]),
    (Class::Typo, "schutzhandschue", &["schutzhandschuhe"]),
    (Class::Typo, "trennschiebe", &["trennscheibe"]),
    (Class::Typo, "rillenkugelager", &["rillenkugellager"]),
    (Class::Typo, "edelsthal a4", &["edelstahl a4"]),
    (Class::Typo, "mesing m5", &["messing", "m5"]),
    (Class::Typo, "washre m8", &["washer", "m8"]),
    (Class::Typo, "gloevs", &["gloves"]),
    (Class::Typo, "industrail cleaner", &["industrial cleaner"]),
    (Class::Typo, "schwerlastragel", &["schwerlastregal"]),
    (Class::Typo, "spiralbohrr", &["spiralbohrer"]),
    (Class::Typo, "schruabe m8", &["schraube", "m8"]),
    // Plurals and case endings, German and English.
    (Class::Inflection, "unterlegscheiben", &["unterlegscheibe"]),
    (Class::Inflection, "gewindestangen", &["gewindestange"]),
    (Class::Inflection, "sechskantschrauben m10", &["sechskantschraube", "m10"]),
    (Class::Inflection, "sechskantmuttern", &["sechskantmutter"]),
    (Class::Inflection, "trennscheiben", &["trennscheibe"]),
    (Class::Inflection, "schlauchschellen", &["schlauchschelle"]),
    (Class::Inflection, "schwerlastregale", &["schwerlastregal"]),
    (Class::Inflection, "blindnieten", &["blindniete"]),
    (Class::Inflection, "muttern m8", &["mutter", "m8"]),
    (Class::Inflection, "dübeln", &["dubel"]),
    (Class::Inflection, "washers", &["washer"]),
    (Class::Inflection, "bolts m10", &["bolt", "m10"]),
    (Class::Inflection, "screws", &["screw"]),
    (Class::Inflection, "drills", &["drill"]),
    (Class::Inflection, "cleaners", &["cleaner"]),
    // Sizes, umlauts, codes.
    (Class::Normalisation, "m10x12", &["m10×12"]),
    (Class::Normalisation, "M10*40", &["m10×40"]),
    (Class::Normalisation, "m8 x 40", &["m8×40"]),
    (Class::Normalisation, "duebel", &["dubel"]),
    (Class::Normalisation, "mueller schraube", &["muller-schraube"]),
    (Class::Normalisation, "groesse 9", &["grosse 9"]),
    (Class::Normalisation, "din933", &["din 933"]),
    (Class::Normalisation, "din 933 m10", &["din 933", "m10"]),
    (Class::Normalisation, "iso4762", &["iso 4762"]),
    (Class::Normalisation, "din125 m8", &["din 125", "m8"]),
    (Class::Normalisation, "m 10", &["m10"]),
    (Class::Normalisation, "faecherschleifscheibe", &["facherschleifscheibe"]),
    (Class::Normalisation, "rillenkugellager waelzlagerstahl", &["rillenkugellager"]),
    (Class::Normalisation, "strassenbesen", &["strassenbesen"]),
];

/// Families whose first product's SKU is a query of its own.
const SKU_FAMILIES: &[&str] = &["MUT-", "HSN-", "SKS-", "GLV-", "KGL-", "DUE-"];

struct Measured {
    /// Right hits in the top 10 over the right products there could be (at most 10).
    recall: f64,
    /// Rank of the first right hit (1-based) among the first 50, if any.
    first: Option<usize>,
}

fn measure(page: &Page<ProductHit>, right: &dyn Fn(&ProductHit) -> bool, possible: usize) -> Measured {
    let top = page.items.iter().take(10).filter(|h| right(h)).count();
    Measured {
        recall: if possible == 0 { 0.0 } else { top as f64 / possible.min(10) as f64 },
        first: page.items.iter().position(right).map(|i| i + 1),
    }
}

fn stores(dir: &std::path::Path, products: &[Product]) -> (Store, Store) {
    let csv = import::export_csv(products);
    let open = |name: &str| {
        let s = Store::open(dir.join(name), crate::common::encrypted()).unwrap();
        s.import_catalog(import::parse(csv.as_bytes(), Format::Csv), &mut |_| {}).unwrap();
        s
    };
    let old = open("before.sqlite");
    old.write_prefix_baseline_index().unwrap();
    (open("now.sqlite"), old)
}

#[test]
fn the_query_set_finds_what_reps_type() {
    let dir = tempfile::tempdir().unwrap();
    let products = sample::products(10_000, 2026);
    let (now, before) = stores(dir.path(), &products);
    let active: Vec<&Product> = products.iter().filter(|p| p.active).collect();

    let mut cases: Vec<(Class, String, Right, usize)> = Vec::new();
    for &(class, query, want) in CASES {
        let holds = move |name: &str| {
            let f = fold(name);
            want.iter().all(|w| f.contains(w))
        };
        let possible = active.iter().filter(|p| holds(&p.name)).count();
        assert!(possible > 0, "{query:?}: no sample product is right, fix the case");
        cases.push((class, query.to_string(), Box::new(move |h: &ProductHit| holds(&h.name)), possible));
    }
    for fam in SKU_FAMILIES {
        let p = active.iter().find(|p| p.sku.starts_with(fam)).unwrap();
        let sku = p.sku.clone();
        cases.push((Class::Sku, p.sku.to_lowercase(), Box::new(move |h: &ProductHit| h.sku == sku), 1));
    }
    assert!(cases.len() >= 50, "at least 50 queries");

    let mut by_class: BTreeMap<Class, Vec<(Measured, Measured)>> = BTreeMap::new();
    let mut misses = Vec::new();
    for (class, query, right, possible) in &cases {
        let q = ProductQuery::new(query.as_str()).page(0, 50);
        let page = now.search_products(&q).unwrap();
        if std::env::var_os("ONSITE_QUERY_SET_DETAILS").is_some() {
            println!("{class:?} {query:?} ({possible} right)");
            for h in page.items.iter().take(10) {
                let why: Vec<String> = h
                    .matches
                    .iter()
                    .map(|m| format!("{}→{:?} {:?} {:?}", m.query, m.kind, m.word, m.read_as))
                    .collect();
                println!("   {} {:?} {} | {}", if right(h) { "+" } else { "-" }, h.tier, h.name, why.join("; "));
            }
        }
        let a = measure(&page, right.as_ref(), *possible);
        let b = measure(&before.search_products_prefix(&q).unwrap(), right.as_ref(), *possible);
        if a.first.is_none_or(|r| r > 10) {
            misses.push(format!("{class:?} {query:?}: first right hit at {:?}", a.first));
        }
        by_class.entry(*class).or_default().push((a, b));
    }

    println!(
        "\n| class | queries | recall@10 now | recall@10 before | first right hit now: mean rank (worst) | found in top 10 now / before |"
    );
    println!("|---|---|---|---|---|---|");
    for (class, ms) in &by_class {
        let n = ms.len() as f64;
        let recall = |f: &dyn Fn(&(Measured, Measured)) -> f64| ms.iter().map(f).sum::<f64>() / n;
        let found = |f: &dyn Fn(&(Measured, Measured)) -> Option<usize>| {
            ms.iter().filter(|m| f(m).is_some_and(|r| r <= 10)).count()
        };
        let ranks: Vec<usize> = ms.iter().filter_map(|m| m.0.first).collect();
        let mean = ranks.iter().sum::<usize>() as f64 / ranks.len().max(1) as f64;
        let worst = ranks.iter().max().copied().unwrap_or(0);
        println!(
            "| {class:?} | {} | {:.2} | {:.2} | {mean:.1} ({worst}) | {} / {} |",
            ms.len(),
            recall(&|m| m.0.recall),
            recall(&|m| m.1.recall),
            found(&|m| m.0.first),
            found(&|m| m.1.first),
        );
        assert!(recall(&|m| m.0.recall) >= recall(&|m| m.1.recall), "{class:?}: worse than before");
        assert!(recall(&|m| m.0.recall) >= 0.9, "{class:?}: recall@10 below 0.9");
    }
    assert!(misses.is_empty(), "queries without a right hit in the top 10:\n{}", misses.join("\n"));
}
