//! Campaigns: the content plan, where they run, their targets per AIDA
//! stage, the counted figures (of the A/B variants too), and their rules.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Where a campaign runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Placement {
    /// E-mail, LinkedIn, XING, trade magazine, website…
    pub channel: String,
    /// Where in it, e.g. `Newsletter November`, `Sponsored post`.
    pub placement: String,
}

/// The counted events of a campaign (or of one A/B variant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CampaignStats {
    /// E-mails sent.
    pub sent: u64,
    /// E-mails opened.
    pub opened: u64,
    /// E-mails with a click.
    pub clicked: u64,
    /// Landing page visits.
    pub visits: u64,
    /// Visits that left without interacting.
    pub bounces: u64,
    /// Seconds on the page, summed over visits.
    pub seconds_on_page: u64,
    /// Scroll depth in percent, summed over visits.
    pub scroll_pct_sum: u64,
    /// Form submissions.
    pub submissions: u64,
    /// Downloads.
    pub downloads: u64,
    /// New leads (people not known before).
    pub new_leads: u64,
    /// New customers attributed to the campaign.
    pub new_customers: u64,
}

impl CampaignStats {
    /// Adds another set of counts.
    pub fn add(&mut self, o: &CampaignStats) {
        self.sent += o.sent;
        self.opened += o.opened;
        self.clicked += o.clicked;
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.seconds_on_page += o.seconds_on_page;
        self.scroll_pct_sum += o.scroll_pct_sum;
        self.submissions += o.submissions;
        self.downloads += o.downloads;
        self.new_leads += o.new_leads;
        self.new_customers += o.new_customers;
    }
}

/// One variant of an A/B test: its name and counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Variant {
    /// `A`, `B`, or a subject line.
    pub name: String,
    /// What the variant changes, e.g. the subject line.
    #[serde(default)]
    pub description: String,
    /// Its counts.
    pub stats: CampaignStats,
}

/// Target rates per stage, in percent (exact decimals, e.g. `"2.5"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FunnelTargets {
    /// Opened per sent.
    pub attention_pct: Decimal,
    /// Engaged visits (not bounced) per opened.
    pub interest_pct: Decimal,
    /// Leads (submissions and downloads) per engaged visit.
    pub desire_pct: Decimal,
    /// New customers per lead.
    pub action_pct: Decimal,
}

impl Default for FunnelTargets {
    /// Typical B2B e-mail campaign figures, used when a campaign has no
    /// targets and there is no other campaign to compare with.
    fn default() -> Self {
        let p = |n| Decimal::new(n, 0);
        FunnelTargets { attention_pct: p(25), interest_pct: p(30), desire_pct: p(10), action_pct: p(10) }
    }
}

impl FunnelTargets {
    pub(super) fn rates(&self) -> [f64; 4] {
        [self.attention_pct, self.interest_pct, self.desire_pct, self.action_pct].map(|d| d.to_f64().unwrap_or(0.0))
    }
}

/// A campaign: the four factors of a content plan (topic, publication date,
/// channels and placements, goal and call to action), targets, counts, and
/// the A/B variants of its test send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Campaign {
    /// Stable id.
    pub id: String,
    /// Topic.
    pub topic: String,
    /// Publication date.
    pub published: NaiveDate,
    /// Channels and placements.
    pub channels: Vec<Placement>,
    /// Goal, e.g. `40 new leads from machine builders`.
    pub goal: String,
    /// Call to action, e.g. `Fallstudie herunterladen`.
    pub call_to_action: String,
    /// Target rates; `None` compares with the other campaigns.
    #[serde(default)]
    pub targets: Option<FunnelTargets>,
    /// Share of the list that gets the test send, in percent (default 10).
    #[serde(default = "default_share")]
    pub test_share_pct: u32,
    /// The whole campaign's counts.
    #[serde(default)]
    pub stats: CampaignStats,
    /// A/B test variants (two, or none).
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// SHA-256 of every event file counted in, so a file is never counted twice.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub imported_files: Vec<String>,
}

fn default_share() -> u32 {
    10
}

/// Why a campaign is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FunnelError {
    /// A field is wrong.
    #[error("campaign {id}: {reason}")]
    Invalid {
        /// The campaign.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

impl Campaign {
    /// Checks ids, texts, shares and that counts are consistent.
    pub fn validate(&self) -> Result<(), FunnelError> {
        let bad = |reason: &str| Err(FunnelError::Invalid { id: self.id.clone(), reason: reason.into() });
        if self.id.is_empty()
            || self.id.len() > 64
            || !self.id.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        {
            return bad("the id must be 1-64 letters, digits, '-' or '_'");
        }
        if self.topic.trim().is_empty() || self.topic.chars().count() > 300 {
            return bad("the topic must be 1-300 characters");
        }
        if self.test_share_pct == 0 || self.test_share_pct > 50 {
            return bad("test_share_pct must be 1 to 50");
        }
        if !(self.variants.is_empty() || self.variants.len() == 2) {
            return bad("an A/B test has exactly two variants");
        }
        for s in std::iter::once(&self.stats).chain(self.variants.iter().map(|v| &v.stats)) {
            if s.opened > s.sent || s.clicked > s.sent || s.bounces > s.visits {
                return bad("more opened or clicked than sent, or more bounces than visits");
            }
            if s.scroll_pct_sum > s.visits.saturating_mul(100) {
                return bad("scroll depth above 100 %");
            }
        }
        if let Some(t) = &self.targets {
            let ok = |v: Decimal| v >= Decimal::ZERO && v <= Decimal::ONE_HUNDRED;
            if !(ok(t.attention_pct) && ok(t.interest_pct) && ok(t.desire_pct) && ok(t.action_pct)) {
                return bad("targets are percentages from 0 to 100");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{campaign, stats};
    use super::*;

    #[test]
    fn inconsistent_counts_are_refused() {
        let mut c = campaign("c", stats(10, 20, 0, 0, 0, 0));
        assert!(c.validate().unwrap_err().to_string().contains("more opened"));
        c.stats = stats(10, 5, 2, 1, 0, 0);
        assert!(c.validate().is_ok());
        c.variants = vec![Variant { name: "A".into(), description: String::new(), stats: stats(1, 1, 0, 0, 0, 0) }];
        assert!(c.validate().unwrap_err().to_string().contains("two variants"));
        c.variants.clear();
        c.test_share_pct = 0;
        assert!(c.validate().is_err());
    }
}
