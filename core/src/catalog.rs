//! Reference data published by the back office: tax classes, products and
//! price lists. Devices only read it; it reaches them as deltas ordered by
//! the catalog sequence number (see `docs/adr/0002-two-kinds-of-data.md`).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};
use crate::rules;
use crate::rules::{FieldError, Result};

/// A catalog sequence number: every published change carries the sequence
/// at which it was made, so a device can ask for "everything since N".
pub type Seq = i64;

/// A VAT class, e.g. German standard rate 19 %.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TaxClass {
    /// Stable code used by products, e.g. `DE-STD`.
    pub code: String,
    /// Human name, e.g. `USt. 19 %`.
    pub name: String,
    /// Rate in percent, e.g. `19`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_percent: Decimal,
    /// Sequence at which this row last changed (set by the store).
    #[serde(default)]
    pub seq: Seq,
}

/// One key/value line of a product's specification table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Attribute {
    /// Specification name, e.g. `Material`.
    pub key: String,
    /// Its value, e.g. `Edelstahl A2`.
    pub value: String,
}

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Product {
    /// Stock keeping unit: the product's stable, unique key.
    pub sku: String,
    /// Display name (may be long; renderers wrap it).
    pub name: String,
    /// Longer description, may be empty.
    pub description: String,
    /// Category path, e.g. `Befestigungstechnik/Schrauben`; may be empty.
    pub category: String,
    /// Unit of measure, e.g. `pc`, `kg`, `m`, `box`.
    pub unit: String,
    /// List price per unit, before any price list.
    pub list_price: Money,
    /// Code of the product's [`TaxClass`].
    pub tax_class: String,
    /// Specification table, in display order.
    pub attributes: Vec<Attribute>,
    /// Reference to the product image (a file name or content id), if any.
    pub image: Option<String>,
    /// A consumable "C-part" (screws, gloves, discs): offered for reorder.
    pub c_part: bool,
    /// Inactive products stay for old quotes but are not offered.
    pub active: bool,
    /// Sequence at which this row last changed (set by the store).
    #[serde(default)]
    pub seq: Seq,
}

/// Whom a price list applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceListScope {
    /// Every account in this customer group.
    CustomerGroup(String),
    /// One account, by its id.
    Customer(String),
}

/// One price of a price list: from `min_qty` units on, `unit_price` each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTier {
    /// Product SKU.
    pub sku: String,
    /// The tier applies from this quantity on (the tier whose minimum is met).
    #[serde(with = "rust_decimal::serde::str")]
    pub min_qty: Decimal,
    /// Price per unit in the list's currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

/// A price list for a customer group or one customer, with quantity tiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceList {
    /// Stable id, e.g. `PL-GROUP-A-2026`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Currency of every price in the list.
    pub currency: Currency,
    /// Whom it applies to.
    pub scope: PriceListScope,
    /// First day it applies, inclusive; `None` = always.
    pub valid_from: Option<NaiveDate>,
    /// Last day it applies, inclusive; `None` = open-ended.
    pub valid_to: Option<NaiveDate>,
    /// Prices with their quantity tiers.
    pub tiers: Vec<PriceTier>,
    /// Sequence at which this list last changed (set by the store).
    #[serde(default)]
    pub seq: Seq,
}

impl PriceList {
    /// Whether the list applies on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }
}

/// What a piece of content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// A case study.
    CaseStudy,
    /// A customer story.
    CustomerStory,
    /// A whitepaper.
    Whitepaper,
    /// A video.
    Video,
    /// A reference customer.
    Reference,
}

impl ContentKind {
    /// The stored name, e.g. `case_study`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::CaseStudy => "case_study",
            ContentKind::CustomerStory => "customer_story",
            ContentKind::Whitepaper => "whitepaper",
            ContentKind::Video => "video",
            ContentKind::Reference => "reference",
        }
    }
}

/// A value argument from the content library: a case study, a customer
/// story… that quotes and datasheets refer to by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContentItem {
    /// Stable id, e.g. `CS-2026-04`.
    pub id: String,
    /// What it is.
    pub kind: ContentKind,
    /// Title, as printed on quotes.
    pub title: String,
    /// A short summary.
    pub summary: String,
    /// Where to read or watch it.
    pub url: Option<String>,
    /// The products it argues for.
    pub skus: Vec<String>,
    /// Sequence at which it last changed (set by the store).
    #[serde(default)]
    pub seq: Seq,
}

impl ContentItem {
    /// Checks the rules every content item obeys on its own.
    pub fn validate(&self) -> Result<()> {
        rules::key("content id", &self.id, MAX_KEY)?;
        rules::text("content title", &self.title, MAX_NAME, true, false)?;
        rules::text("content summary", &self.summary, MAX_TEXT, false, true)?;
        if let Some(u) = &self.url {
            rules::key("content url", u, 2000)?;
        }
        for s in &self.skus {
            rules::key("sku", s, MAX_KEY)?;
        }
        Ok(())
    }
}

/// How a unit of measure is printed, per language: `pc` as `Stk.` in
/// German and `pc` in English. Published as reference data; units without
/// one print with the defaults of [`crate::catalog::default_unit_label`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct UnitLabel {
    /// The unit as products carry it, e.g. `pc`, `pair`, `m`.
    pub unit: String,
    /// The German label, e.g. `Stk.`.
    pub de: String,
    /// The English label, e.g. `pc`.
    pub en: String,
}

impl UnitLabel {
    /// Checks a unit label: a unit key and two short printable labels.
    pub fn validate(&self) -> Result<()> {
        rules::key("unit", &self.unit, 20)?;
        rules::line("unit label (de)", &self.de, 20, true)?;
        rules::line("unit label (en)", &self.en, 20, true)
    }
}

/// How `unit` prints in `locale` with no published label: the usual
/// German abbreviations (`Stk.`, `Paar`, `Pck.`, `Rolle` …) and their
/// English forms; an unknown unit prints as it is.
pub fn default_unit_label(unit: &str, locale: crate::money::DisplayLocale) -> String {
    let (de, en) = match unit.trim().to_lowercase().as_str() {
        "pc" | "pcs" | "stk" | "stk." | "st" | "ea" => ("Stk.", "pc"),
        "pair" | "paar" | "pr" => ("Paar", "pair"),
        "pack" | "pck" | "pck." | "pkg" => ("Pck.", "pack"),
        "box" | "karton" | "ktn" => ("Karton", "box"),
        "roll" | "rolle" => ("Rolle", "roll"),
        "set" | "satz" => ("Satz", "set"),
        "h" | "std" | "std." => ("Std.", "h"),
        "m2" | "m²" | "qm" => ("m²", "m²"),
        "m3" | "m³" | "cbm" => ("m³", "m³"),
        "m" => ("m", "m"),
        "km" => ("km", "km"),
        "kg" => ("kg", "kg"),
        "g" => ("g", "g"),
        "t" => ("t", "t"),
        "l" => ("l", "l"),
        _ => return unit.to_string(),
    };
    match locale {
        crate::money::DisplayLocale::De => de.to_string(),
        crate::money::DisplayLocale::En => en.to_string(),
    }
}

/// How `unit` prints in `locale`: its published label, else the default.
pub fn unit_label(labels: &[UnitLabel], unit: &str, locale: crate::money::DisplayLocale) -> String {
    match labels.iter().find(|l| l.unit.eq_ignore_ascii_case(unit.trim())) {
        Some(l) if locale == crate::money::DisplayLocale::De => l.de.clone(),
        Some(l) => l.en.clone(),
        None => default_unit_label(unit, locale),
    }
}

/// A product's cost per unit (back office and reps only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCost {
    /// The SKU.
    pub sku: String,
    /// Cost per unit in the product's currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// Sequence at which it last changed.
    pub seq: Seq,
}

const MAX_KEY: usize = 64;
const MAX_NAME: usize = 300;
const MAX_TEXT: usize = 20_000;

impl TaxClass {
    /// Checks the rules every tax class obeys.
    pub fn validate(&self) -> Result<()> {
        rules::key("tax class code", &self.code, MAX_KEY)?;
        rules::text("tax class name", &self.name, MAX_NAME, true, false)?;
        if self.rate_percent < Decimal::ZERO || self.rate_percent > Decimal::ONE_HUNDRED {
            return Err(FieldError::new("tax rate", "must be between 0 and 100 percent"));
        }
        Ok(())
    }
}

impl Product {
    /// Checks the rules every product obeys on its own (references to tax
    /// classes are checked by the store).
    pub fn validate(&self) -> Result<()> {
        rules::key("sku", &self.sku, MAX_KEY)?;
        rules::text("name", &self.name, MAX_NAME, true, false)?;
        rules::text("description", &self.description, MAX_TEXT, false, true)?;
        rules::text("category", &self.category, MAX_NAME, false, false)?;
        rules::key("unit", &self.unit, MAX_KEY)?;
        rules::key("tax class", &self.tax_class, MAX_KEY)?;
        if self.list_price.amount.is_sign_negative() && !self.list_price.amount.is_zero() {
            return Err(FieldError::new("list price", "is negative"));
        }
        if self.list_price.amount.scale() > 6 {
            return Err(FieldError::new("list price", "has more than 6 decimal places"));
        }
        if self.attributes.len() > 200 {
            return Err(FieldError::new("attributes", "more than 200 specifications"));
        }
        for a in &self.attributes {
            rules::text("attribute name", &a.key, MAX_NAME, true, false)?;
            rules::text("attribute value", &a.value, MAX_NAME * 4, false, false)?;
        }
        if let Some(img) = &self.image {
            rules::text("image", img, 1000, true, false)?;
        }
        Ok(())
    }
}

impl PriceList {
    /// Checks the rules every price list obeys on its own (product references
    /// are checked by the store).
    pub fn validate(&self) -> Result<()> {
        rules::key("price list id", &self.id, MAX_KEY)?;
        rules::text("price list name", &self.name, MAX_NAME, true, false)?;
        match &self.scope {
            PriceListScope::CustomerGroup(g) => rules::key("customer group", g, MAX_KEY)?,
            PriceListScope::Customer(c) => rules::key("customer", c, MAX_KEY)?,
        }
        if let (Some(f), Some(t)) = (self.valid_from, self.valid_to)
            && f > t
        {
            return Err(FieldError::new("validity", "valid_from is after valid_to"));
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.tiers {
            rules::key("sku", &t.sku, MAX_KEY)?;
            if t.min_qty <= Decimal::ZERO {
                return Err(FieldError::new("min_qty", "must be greater than zero"));
            }
            if t.unit_price.is_sign_negative() && !t.unit_price.is_zero() {
                return Err(FieldError::new("unit_price", "is negative"));
            }
            if !seen.insert((t.sku.as_str(), t.min_qty.normalize())) {
                return Err(FieldError::new("tiers", format!("two prices for SKU {} from the same quantity", t.sku)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product() -> Product {
        Product {
            sku: "SKS-1".into(),
            name: "Sechskantschraube".into(),
            description: String::new(),
            category: String::new(),
            unit: "pc".into(),
            list_price: Money::new(Decimal::new(125, 2), Currency::EUR),
            tax_class: "DE-STD".into(),
            attributes: vec![],
            image: None,
            c_part: true,
            active: true,
            seq: 0,
        }
    }

    #[test]
    fn product_rules() {
        assert!(product().validate().is_ok());
        let mut p = product();
        p.sku = "A B".into();
        assert!(matches!(p.validate(), Err(FieldError { field: "sku", .. })));
        let mut p = product();
        p.list_price.amount = Decimal::new(-1, 0);
        assert!(matches!(p.validate(), Err(FieldError { field: "list price", .. })));
        let mut p = product();
        p.name = "  ".into();
        assert!(p.validate().is_err());
        let mut p = product();
        p.name = "x".repeat(301);
        assert!(p.validate().is_err());
    }

    #[test]
    fn price_list_rules_and_validity() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let mut pl = PriceList {
            id: "PL-A".into(),
            name: "Gruppe A".into(),
            currency: Currency::EUR,
            scope: PriceListScope::CustomerGroup("A".into()),
            valid_from: Some(d("2026-01-01")),
            valid_to: Some(d("2026-12-31")),
            tiers: vec![
                PriceTier { sku: "X".into(), min_qty: Decimal::ONE, unit_price: Decimal::TEN },
                PriceTier { sku: "X".into(), min_qty: Decimal::TEN, unit_price: Decimal::ONE },
            ],
            seq: 0,
        };
        assert!(pl.validate().is_ok());
        assert!(pl.valid_on(d("2026-01-01")) && pl.valid_on(d("2026-12-31")));
        assert!(!pl.valid_on(d("2027-01-01")) && !pl.valid_on(d("2025-12-31")));
        pl.tiers[1].min_qty = Decimal::new(10, 1);
        assert!(pl.validate().is_err(), "duplicate tier 1 and 1.0");
        pl.tiers[1].min_qty = Decimal::ZERO;
        assert!(pl.validate().is_err());
        pl.tiers.truncate(1);
        pl.valid_to = Some(d("2025-01-01"));
        assert!(pl.validate().is_err());
    }

    #[test]
    fn tax_rate_bounds() {
        let mut t = TaxClass { code: "X".into(), name: "x".into(), rate_percent: Decimal::new(19, 0), seq: 0 };
        assert!(t.validate().is_ok());
        t.rate_percent = Decimal::new(101, 0);
        assert!(t.validate().is_err());
    }
}
