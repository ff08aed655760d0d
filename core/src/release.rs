//! The publication envelope: what the back office releases to devices,
//! as a delta since a catalog sequence number ([`CatalogDelta`], deletions
//! as [`Tombstone`]s), and to whom ([`CatalogAudience`]: which price lists,
//! costs and staff data each device receives). Above the domain: it carries
//! catalog, quote, scoring and funnel values; nothing of the domain imports it.

use serde::{Deserialize, Serialize};

use crate::catalog::{ContentItem, PriceList, PriceListScope, Product, ProductCost, Seq, TaxClass, UnitLabel};
use crate::leads::{Campaign, ScoringModel};
use crate::profile::{CompanyProfile, RepProfile};
use crate::quote::DiscountPolicy;

/// A record that was deleted at a sequence number, kept so deltas carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// `product`, `price_list` or `tax_class`.
    pub entity: String,
    /// The deleted record's key.
    pub key: String,
    /// Sequence of the deletion.
    pub seq: Seq,
}

/// Everything that changed in the catalog after a sequence number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogDelta {
    /// The sequence the delta starts after.
    pub since: Seq,
    /// The catalog's current sequence: the device's next cursor.
    pub to: Seq,
    /// Changed or new tax classes.
    pub tax_classes: Vec<TaxClass>,
    /// Changed or new products.
    pub products: Vec<Product>,
    /// Changed or new price lists, each whole with its tiers.
    pub price_lists: Vec<PriceList>,
    /// Records deleted after `since`.
    pub tombstones: Vec<Tombstone>,
    /// The discount policy, if it changed after `since`.
    #[serde(default)]
    pub discount_policy: Option<DiscountPolicy>,
    /// Product costs changed after `since`. Reps' devices need them for the
    /// margin floor; the hub must leave them out for customers' devices.
    #[serde(default)]
    pub product_costs: Vec<ProductCost>,
    /// Content library items changed after `since`.
    #[serde(default)]
    pub content: Vec<ContentItem>,
    /// The lead-scoring model, if it changed after `since` (reps and admins only).
    #[serde(default)]
    pub scoring_model: Option<ScoringModel>,
    /// Campaigns changed after `since` (reps and admins only).
    #[serde(default)]
    pub campaigns: Vec<Campaign>,
    /// The company profile, if it changed after `since` (every device:
    /// every document prints it).
    #[serde(default)]
    pub company_profile: Option<CompanyProfile>,
    /// The unit labels, whole, if they changed after `since`.
    #[serde(default)]
    pub unit_labels: Option<Vec<UnitLabel>>,
    /// Rep profiles changed after `since`: every one to staff, to a
    /// customer only those of the reps serving its account.
    #[serde(default)]
    pub rep_profiles: Vec<RepProfile>,
    /// Published images changed after `since` (every device: the catalog's
    /// images are public, ADR 29).
    #[serde(default)]
    pub media: Vec<crate::blob::MediaItem>,
}

/// Whose price lists a customer's device may receive: its own account's and
/// its customer group's, never another customer's or another group's.
/// (Reps and the back office receive every list: no audience.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceAudience<'a> {
    /// The customer's account.
    pub customer: &'a str,
    /// The account's customer group, if it has one.
    pub group: Option<&'a str>,
}

/// Which reference data a device receives (see
/// [`crate::scope::DeviceScope::audience`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogAudience<'a> {
    /// The back office: everything (costs if `costs`).
    Everything {
        /// Whether product costs are included.
        costs: bool,
    },
    /// A rep: group price lists, the customer-specific lists of `accounts`
    /// only, the policy, marketing data, and costs if `costs`.
    Rep {
        /// The rep's accounts.
        accounts: &'a std::collections::BTreeSet<String>,
        /// Whether product costs are included.
        costs: bool,
    },
    /// A customer: only the lists of `customer` and of its `group`, the
    /// profiles of the reps serving it (`reps`); no policy, costs or
    /// marketing data.
    Customer {
        /// The customer's account.
        customer: &'a str,
        /// Its customer group.
        group: Option<&'a str>,
        /// The reps assigned to the account.
        reps: &'a std::collections::BTreeSet<String>,
    },
}

impl CatalogAudience<'_> {
    /// Whether a price list with `scope` is sent.
    pub fn sees_list(&self, scope: &PriceListScope) -> bool {
        match (self, scope) {
            (CatalogAudience::Everything { .. }, _) => true,
            (CatalogAudience::Rep { .. }, PriceListScope::CustomerGroup(_)) => true,
            (CatalogAudience::Rep { accounts, .. }, PriceListScope::Customer(c)) => accounts.contains(c),
            (CatalogAudience::Customer { customer, group, .. }, s) => PriceAudience { customer, group: *group }.sees(s),
        }
    }

    /// Whether product costs are sent.
    pub fn costs(&self) -> bool {
        match self {
            CatalogAudience::Everything { costs } | CatalogAudience::Rep { costs, .. } => *costs,
            CatalogAudience::Customer { .. } => false,
        }
    }

    /// Whether the staff's reference data is sent: the discount policy
    /// (limits, margin floor), the scoring model and campaigns.
    pub fn staff(&self) -> bool {
        !matches!(self, CatalogAudience::Customer { .. })
    }

    /// Whether the profile of `rep` is sent: to staff every one, to a
    /// customer those of the reps serving its account.
    pub fn sees_rep(&self, rep: &str) -> bool {
        match self {
            CatalogAudience::Customer { reps, .. } => reps.contains(rep),
            _ => true,
        }
    }
}

impl PriceAudience<'_> {
    /// Whether a list with `scope` is for this customer.
    pub fn sees(&self, scope: &PriceListScope) -> bool {
        match scope {
            PriceListScope::Customer(c) => c == self.customer,
            PriceListScope::CustomerGroup(g) => Some(g.as_str()) == self.group,
        }
    }
}

/// A record with the catalog sequence number it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequenced<T> {
    /// The sequence; `0` for new data that the write stamps with the next one.
    pub seq: Seq,
    /// The record.
    pub item: T,
}

/// Reference data to write: the one model every writer hands the store
/// (a catalog file's rows, a delta from the hub, the back office's policy
/// and cost setters, the campaign-event import). Every record carries its
/// sequence number explicitly: `0` for new data, which the write stamps
/// with the next sequence, or the hub's own for a delta on a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferenceData {
    /// New or changed tax classes.
    pub tax_classes: Vec<TaxClass>,
    /// New or changed products.
    pub products: Vec<Product>,
    /// New or changed price lists, each whole with its tiers.
    pub price_lists: Vec<PriceList>,
    /// Deleted products and price lists.
    pub tombstones: Vec<Tombstone>,
    /// A new discount policy.
    pub discount_policy: Option<Sequenced<DiscountPolicy>>,
    /// New or changed product costs.
    pub product_costs: Vec<ProductCost>,
    /// New or changed content library items.
    pub content: Vec<ContentItem>,
    /// A new lead-scoring model.
    pub scoring_model: Option<Sequenced<ScoringModel>>,
    /// New or changed campaigns (each replaces the stored one whole).
    pub campaigns: Vec<Sequenced<Campaign>>,
    /// A new company profile.
    pub company_profile: Option<Sequenced<CompanyProfile>>,
    /// New unit labels (replacing the stored ones whole).
    pub unit_labels: Option<Sequenced<Vec<UnitLabel>>>,
    /// New or changed rep profiles.
    pub rep_profiles: Vec<Sequenced<RepProfile>>,
    /// New or changed published images.
    pub media: Vec<crate::blob::MediaItem>,
}

impl ReferenceData {
    /// What a delta from the hub writes on a device: its records with the
    /// hub's sequences (the policy, model and campaigns, which carry none
    /// of their own, with the delta's end).
    pub fn from_delta(delta: &CatalogDelta) -> ReferenceData {
        let at = |item| Sequenced { seq: delta.to, item };
        ReferenceData {
            tax_classes: delta.tax_classes.clone(),
            products: delta.products.clone(),
            price_lists: delta.price_lists.clone(),
            tombstones: delta.tombstones.clone(),
            discount_policy: delta.discount_policy.clone().map(at),
            product_costs: delta.product_costs.clone(),
            content: delta.content.clone(),
            scoring_model: delta.scoring_model.clone().map(|item| Sequenced { seq: delta.to, item }),
            campaigns: delta.campaigns.iter().cloned().map(|item| Sequenced { seq: delta.to, item }).collect(),
            company_profile: delta.company_profile.clone().map(|item| Sequenced { seq: delta.to, item }),
            unit_labels: delta.unit_labels.clone().map(|item| Sequenced { seq: delta.to, item }),
            rep_profiles: delta.rep_profiles.iter().cloned().map(|item| Sequenced { seq: delta.to, item }).collect(),
            media: delta.media.clone(),
        }
    }

    /// The deleted products' SKUs.
    pub fn deleted_products(&self) -> impl Iterator<Item = &Tombstone> {
        self.tombstones.iter().filter(|t| t.entity == Tombstone::PRODUCT)
    }
}

impl Tombstone {
    /// The entity of a deleted product.
    pub const PRODUCT: &'static str = "product";
    /// The entity of a deleted price list.
    pub const PRICE_LIST: &'static str = "price_list";

    /// A product deleted by new data (stamped when written).
    pub fn product(sku: &str) -> Tombstone {
        Tombstone { entity: Tombstone::PRODUCT.into(), key: sku.to_string(), seq: 0 }
    }
}
