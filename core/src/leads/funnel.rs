//! The AIDA funnel of a campaign (Attention, Interest, Desire, Action):
//! its figures stage by stage, the conversion between stages against
//! targets, the company's other campaigns or typical figures, and the
//! weakest stage with its typical remedies.

use serde::{Deserialize, Serialize};

use super::{AbResult, Campaign, CampaignStats, FunnelTargets, ab_test};

/// The AIDA stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Noticed: opened the e-mail.
    Attention,
    /// Stayed: visited the landing page without bouncing.
    Interest,
    /// Wanted it: submitted the form or downloaded.
    Desire,
    /// Bought.
    Action,
}

impl Stage {
    /// The stage's name.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Attention => "Attention",
            Stage::Interest => "Interest",
            Stage::Desire => "Desire",
            Stage::Action => "Action",
        }
    }

    /// The typical remedies when this stage leaks.
    pub fn remedies(self) -> &'static str {
        match self {
            Stage::Attention => {
                "a sharper subject line and a stronger visible area (preheader, first screen), a clearer call to action"
            }
            Stage::Interest => "a better header image and header text, a clear call to scroll on",
            Stage::Desire => {
                "a working form, convincing reasons to download, trust elements (reviews, awards, certificates) \
                 and an unmistakable privacy statement at the opt-in"
            }
            Stage::Action => "sales arguments that keep the promise of the earlier stages, price and product fit",
        }
    }
}

/// One stage of a campaign's funnel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StageResult {
    /// The stage.
    pub stage: Stage,
    /// People who reached it.
    pub people: u64,
    /// Conversion from the stage before (Attention: from sent), in percent.
    pub rate_pct: f64,
    /// What it is compared with, in percent.
    pub benchmark_pct: f64,
    /// Where the benchmark comes from: `target`, `other campaigns`, `typical`.
    pub benchmark_source: String,
    /// rate / benchmark (1.0 = on par).
    pub ratio: f64,
}

/// A campaign's funnel report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FunnelReport {
    /// The campaign.
    pub campaign_id: String,
    /// Its topic.
    pub topic: String,
    /// Opened per sent, in percent.
    pub open_rate_pct: f64,
    /// Clicked per sent, in percent.
    pub click_rate_pct: f64,
    /// Landing page visitors.
    pub landing_visitors: u64,
    /// Bounces per visit, in percent.
    pub bounce_rate_pct: f64,
    /// Average seconds on the page.
    pub avg_seconds_on_page: f64,
    /// Average scroll depth, in percent.
    pub avg_scroll_pct: f64,
    /// Leads (submissions and downloads) per visit, in percent.
    pub download_conversion_pct: f64,
    /// New leads.
    pub new_leads: u64,
    /// New customers.
    pub new_customers: u64,
    /// Stage by stage.
    pub stages: Vec<StageResult>,
    /// The stage furthest below its benchmark.
    pub weakest: Option<Stage>,
    /// What usually helps there.
    pub remedies: Option<String>,
    /// The A/B test, if the campaign had one.
    pub ab_test: Option<AbResult>,
    /// Share of the list that got the test send, in percent.
    pub test_share_pct: u32,
}

fn pct(num: u64, den: u64) -> f64 {
    if den == 0 { 0.0 } else { num as f64 * 100.0 / den as f64 }
}

fn volumes(s: &CampaignStats) -> [(u64, u64); 4] {
    let engaged = s.visits.saturating_sub(s.bounces);
    let leads = s.submissions + s.downloads;
    [(s.opened, s.sent), (engaged, s.opened), (leads, engaged), (s.new_customers, leads)]
}

/// The funnel of `campaign`, compared with its targets, else with the
/// pooled rates of `others`, else with typical figures.
pub fn funnel(campaign: &Campaign, others: &[Campaign]) -> FunnelReport {
    let s = &campaign.stats;
    let mine = volumes(s);
    let (bench, source): ([f64; 4], &str) = if let Some(t) = &campaign.targets {
        (t.rates(), "target")
    } else {
        let mut pooled = CampaignStats::default();
        for o in others.iter().filter(|o| o.id != campaign.id) {
            pooled.add(&o.stats);
        }
        if pooled.sent > 0 {
            let v = volumes(&pooled);
            ([pct(v[0].0, v[0].1), pct(v[1].0, v[1].1), pct(v[2].0, v[2].1), pct(v[3].0, v[3].1)], "other campaigns")
        } else {
            (FunnelTargets::default().rates(), "typical")
        }
    };
    let stages: Vec<StageResult> = [Stage::Attention, Stage::Interest, Stage::Desire, Stage::Action]
        .into_iter()
        .enumerate()
        .map(|(i, stage)| {
            let rate = pct(mine[i].0, mine[i].1);
            let ratio = if bench[i] > 0.0 { rate / bench[i] } else { 1.0 };
            StageResult {
                stage,
                people: mine[i].0,
                rate_pct: rate,
                benchmark_pct: bench[i],
                benchmark_source: source.into(),
                ratio,
            }
        })
        .collect();
    // The weakest stage among those that had people to convert.
    let weakest = stages
        .iter()
        .enumerate()
        .filter(|(i, r)| mine[*i].1 > 0 && r.ratio < 1.0)
        .min_by(|a, b| a.1.ratio.total_cmp(&b.1.ratio))
        .map(|(_, r)| r.stage);
    let ab_test = match campaign.variants.as_slice() {
        [a, b] => Some(ab_test(&a.name, a.stats.sent, a.stats.opened, &b.name, b.stats.sent, b.stats.opened)),
        _ => None,
    };
    FunnelReport {
        campaign_id: campaign.id.clone(),
        topic: campaign.topic.clone(),
        open_rate_pct: pct(s.opened, s.sent),
        click_rate_pct: pct(s.clicked, s.sent),
        landing_visitors: s.visits,
        bounce_rate_pct: pct(s.bounces, s.visits),
        avg_seconds_on_page: if s.visits == 0 { 0.0 } else { s.seconds_on_page as f64 / s.visits as f64 },
        avg_scroll_pct: if s.visits == 0 { 0.0 } else { s.scroll_pct_sum as f64 / s.visits as f64 },
        download_conversion_pct: pct(s.submissions + s.downloads, s.visits),
        new_leads: s.new_leads,
        new_customers: s.new_customers,
        stages,
        weakest,
        remedies: weakest.map(|w| w.remedies().to_string()),
        ab_test,
        test_share_pct: campaign.test_share_pct,
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::super::test_support::{campaign, stats};
    use super::*;

    #[test]
    fn the_funnel_names_the_weakest_stage_against_the_other_campaigns() {
        // Others: 30 % open, 40 % of openers stay, 10 % of them convert, 20 % buy.
        let other = campaign("c-other", stats(10_000, 3_000, 1_500, 300, 120, 24));
        // This one: opens fine (32 %) but the page loses people (bounce 80 %).
        let mine = campaign("c-mine", stats(5_000, 1_600, 800, 640, 16, 3));
        let r = funnel(&mine, &[other.clone(), mine.clone()]);
        assert!((r.open_rate_pct - 32.0).abs() < 1e-9);
        assert!((r.bounce_rate_pct - 80.0).abs() < 1e-9);
        assert_eq!(r.stages[0].benchmark_source, "other campaigns");
        assert!((r.stages[0].benchmark_pct - 30.0).abs() < 1e-9);
        assert!((r.stages[1].rate_pct - 10.0).abs() < 1e-9, "160 engaged of 1600 opened");
        assert!((r.stages[1].benchmark_pct - 40.0).abs() < 1e-9);
        assert_eq!(r.weakest, Some(Stage::Interest));
        assert!(r.remedies.unwrap().contains("header image"));
    }

    #[test]
    fn targets_win_over_comparison_and_typical_figures_stand_in_alone() {
        let mut c = campaign("c", stats(1000, 100, 60, 10, 5, 1));
        let alone = funnel(&c, &[]);
        assert_eq!(alone.stages[0].benchmark_source, "typical");
        assert_eq!(alone.weakest, Some(Stage::Attention), "10 % opens against 25 %");
        let p = |n| Decimal::new(n, 0);
        c.targets =
            Some(FunnelTargets { attention_pct: p(5), interest_pct: p(50), desire_pct: p(10), action_pct: p(50) });
        let r = funnel(&c, &[]);
        assert_eq!(r.stages[0].benchmark_source, "target");
        assert_eq!(r.weakest, Some(Stage::Action), "1 of 5 leads is 20 % of a 50 % target");
        assert!(r.remedies.unwrap().contains("price and product fit"));
    }

    #[test]
    fn an_empty_campaign_reports_zeros_not_errors() {
        let r = funnel(&campaign("c", CampaignStats::default()), &[]);
        assert_eq!(r.open_rate_pct, 0.0);
        assert_eq!(r.weakest, None, "no people, no verdict");
        let ab = ab_test("A", 0, 0, "B", 0, 0);
        assert_eq!((ab.p_value, ab.significant), (1.0, false));
    }
}
