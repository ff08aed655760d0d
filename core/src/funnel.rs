//! Campaigns and the AIDA funnel: a campaign's content plan, its figures
//! stage by stage (Attention, Interest, Desire, Action), the conversion
//! between stages against targets or the company's other campaigns, the
//! weakest stage with its typical remedies, and A/B tests with a two-sided
//! two-proportion z-test (docs/scoring.md, ADR 15).
//!
//! Rates are `f64` percentages: they are statistics, not money.

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
    fn rates(&self) -> [f64; 4] {
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

/// What an event import counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EventSummary {
    /// Events counted.
    pub events: u64,
    /// Campaigns they belong to.
    pub campaigns: Vec<String>,
}

/// Counts a marketing tool's event export into the campaigns' figures.
///
/// CSV with a header (`;` or `,`): `campaign`, `event` (`sent`, `opened`,
/// `clicked`, `visit`, `submission`, `download`, `new_lead`,
/// `new_customer`), and optionally `variant` (`A`/`B` of the test send),
/// `bounced` (`1`/`0` for visits), `seconds` and `scroll_pct` (visits).
/// All or nothing: every bad row is reported by line, and a file already
/// counted (same SHA-256) is refused.
pub fn count_events(campaigns: &mut [Campaign], bytes: &[u8]) -> Result<EventSummary, Vec<crate::table::Problem>> {
    use crate::table::Problem;
    use sha2::{Digest, Sha256};
    let digest: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let problem = |line: u64, key: Option<&str>, reason: String| Problem { line, key: key.map(str::to_string), reason };
    if let Some(c) = campaigns.iter().find(|c| c.imported_files.contains(&digest)) {
        return Err(vec![problem(1, Some(&c.id), "this file was counted already".into())]);
    }
    let (cols, table) = crate::table::csv_table(bytes)?;
    let col = |n: &str| cols.iter().position(|c| c == n);
    let (Some(ci), Some(ei)) = (col("campaign"), col("event")) else {
        return Err(vec![problem(1, None, "the header needs the columns campaign and event".into())]);
    };
    let (vi, bi, si, pi) = (col("variant"), col("bounced"), col("seconds"), col("scroll_pct"));
    let mut problems = Vec::new();
    let mut summary = EventSummary::default();
    let mut adds: Vec<(usize, Option<usize>, CampaignStats)> = Vec::new();
    for (n, f) in &table {
        let n = *n;
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map_or("", String::as_str);
        let id = get(Some(ci));
        let Some(c) = campaigns.iter().position(|c| c.id == id) else {
            problems.push(problem(n, Some(id), "unknown campaign (publish it first)".into()));
            continue;
        };
        let variant = match get(vi) {
            "" => None,
            v => match campaigns[c].variants.iter().position(|x| x.name == v) {
                Some(p) => Some(p),
                None => {
                    problems.push(problem(n, Some(id), format!("unknown variant {v:?}")));
                    continue;
                }
            },
        };
        let num = |i: Option<usize>, max: u64| -> Result<u64, String> {
            match get(i) {
                "" => Ok(0),
                v => {
                    v.parse::<u64>().ok().filter(|x| *x <= max).ok_or(format!("{v:?} is not a number from 0 to {max}"))
                }
            }
        };
        let mut s = CampaignStats::default();
        match get(Some(ei)) {
            "sent" => s.sent = 1,
            "opened" => s.opened = 1,
            "clicked" => s.clicked = 1,
            "visit" => {
                s.visits = 1;
                match (num(bi, 1), num(si, 86_400), num(pi, 100)) {
                    (Ok(b), Ok(sec), Ok(sc)) => {
                        s.bounces = b;
                        s.seconds_on_page = sec;
                        s.scroll_pct_sum = sc;
                    }
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                        problems.push(problem(n, Some(id), e));
                        continue;
                    }
                }
            }
            "submission" => s.submissions = 1,
            "download" => s.downloads = 1,
            "new_lead" => s.new_leads = 1,
            "new_customer" => s.new_customers = 1,
            other => {
                problems.push(problem(n, Some(id), format!("unknown event {other:?}")));
                continue;
            }
        }
        adds.push((c, variant, s));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (c, v, s) in adds {
        campaigns[c].stats.add(&s);
        if let Some(v) = v {
            campaigns[c].variants[v].stats.add(&s);
        }
        summary.events += 1;
        if !summary.campaigns.contains(&campaigns[c].id) {
            summary.campaigns.push(campaigns[c].id.clone());
        }
    }
    for c in campaigns.iter_mut().filter(|c| summary.campaigns.contains(&c.id)) {
        c.imported_files.push(digest.clone());
    }
    let bad: Vec<Problem> = campaigns
        .iter()
        .filter(|c| summary.campaigns.contains(&c.id))
        .filter_map(|c| c.validate().err().map(|e| problem(1, Some(&c.id), e.to_string())))
        .collect();
    if bad.is_empty() { Ok(summary) } else { Err(bad) }
}

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

/// The standard normal distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function, by a Chebyshev fit with a relative
/// error below 1.2e-7 everywhere (Numerical Recipes' `erfcc`).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The x with Φ(x) = p, by bisection (p in (0, 1)).
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// An A/B test's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AbResult {
    /// Variant A's name.
    pub a: String,
    /// Variant B's name.
    pub b: String,
    /// A's rate, in percent.
    pub rate_a_pct: f64,
    /// B's rate, in percent.
    pub rate_b_pct: f64,
    /// B − A, in percentage points.
    pub difference_pts: f64,
    /// The z statistic (pooled standard error).
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Significant at the 5 % level.
    pub significant: bool,
    /// "B wins with 97% confidence" / "no significant difference yet".
    pub verdict: String,
    /// Recipients per variant needed to detect a 10 % relative lift on A's
    /// rate (5 % significance, 80 % power).
    pub needed_per_variant: u64,
}

/// A two-sided two-proportion z-test of B against A (`x` successes of `n`).
pub fn ab_test(a: &str, n_a: u64, x_a: u64, b: &str, n_b: u64, x_b: u64) -> AbResult {
    let (pa, pb) =
        (if n_a == 0 { 0.0 } else { x_a as f64 / n_a as f64 }, if n_b == 0 { 0.0 } else { x_b as f64 / n_b as f64 });
    let pooled = if n_a + n_b == 0 { 0.0 } else { (x_a + x_b) as f64 / (n_a + n_b) as f64 };
    let se = if n_a == 0 || n_b == 0 {
        0.0
    } else {
        (pooled * (1.0 - pooled) * (1.0 / n_a as f64 + 1.0 / n_b as f64)).sqrt()
    };
    let z = if se > 0.0 { (pb - pa) / se } else { 0.0 };
    let p_value = if se > 0.0 { erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0) } else { 1.0 };
    let significant = p_value < 0.05;
    let needed = sample_size(pa, 0.10, 0.05, 0.80).unwrap_or(0);
    let verdict = if significant {
        let winner = if pb > pa { b } else { a };
        let confidence = ((1.0 - p_value) * 100.0).floor();
        format!("{winner} wins with {confidence:.0}% confidence")
    } else {
        format!("no significant difference yet (p = {p_value:.2}); about {needed} per variant would show a 10% lift")
    };
    AbResult {
        a: a.into(),
        b: b.into(),
        rate_a_pct: pa * 100.0,
        rate_b_pct: pb * 100.0,
        difference_pts: (pb - pa) * 100.0,
        z,
        p_value,
        significant,
        verdict,
        needed_per_variant: needed,
    }
}

/// Recipients per variant to detect a relative `lift` on a `baseline` rate
/// (both fractions) at significance `alpha` (two-sided) with `power`;
/// `None` when there is nothing to detect.
pub fn sample_size(baseline: f64, lift: f64, alpha: f64, power: f64) -> Option<u64> {
    let p1 = baseline;
    let p2 = baseline * (1.0 + lift);
    if !(p1 > 0.0 && p1 < 1.0 && p2 > 0.0 && p2 < 1.0) || (p2 - p1).abs() < 1e-12 {
        return None;
    }
    if !(alpha > 0.0 && alpha < 1.0 && power > 0.0 && power < 1.0) {
        return None;
    }
    let za = normal_quantile(1.0 - alpha / 2.0);
    let zb = normal_quantile(power);
    let pbar = (p1 + p2) / 2.0;
    let n = (za * (2.0 * pbar * (1.0 - pbar)).sqrt() + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt()).powi(2)
        / (p2 - p1).powi(2);
    Some(n.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(id: &str, s: CampaignStats) -> Campaign {
        Campaign {
            id: id.into(),
            topic: "Kanban für C-Teile".into(),
            published: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            channels: vec![Placement { channel: "E-Mail".into(), placement: "Newsletter Oktober".into() }],
            goal: "40 neue Leads".into(),
            call_to_action: "Fallstudie herunterladen".into(),
            targets: None,
            test_share_pct: 10,
            stats: s,
            variants: vec![],
            imported_files: vec![],
        }
    }

    fn stats(sent: u64, opened: u64, visits: u64, bounces: u64, leads: u64, customers: u64) -> CampaignStats {
        CampaignStats {
            sent,
            opened,
            clicked: opened / 2,
            visits,
            bounces,
            seconds_on_page: visits * 40,
            scroll_pct_sum: visits * 55,
            submissions: leads,
            downloads: 0,
            new_leads: leads,
            new_customers: customers,
        }
    }

    /// Reference values computed independently with Python's `math.erfc`
    /// and `statistics.NormalDist` (not with this code).
    #[test]
    fn the_z_test_matches_independent_reference_values() {
        let cases = [
            ((1000, 200, 1000, 240), 2.1591675854, 0.0308371678),
            ((500, 50, 500, 55), 0.5157792154, 0.6060086208),
            ((2000, 300, 2000, 360), 2.5558540189, 0.0105927548),
            ((120, 30, 118, 18), -1.8734345234, 0.0610084064),
        ];
        for ((na, xa, nb, xb), z, p) in cases {
            let r = ab_test("A", na, xa, "B", nb, xb);
            assert!((r.z - z).abs() < 1e-9, "z {} vs {z}", r.z);
            assert!((r.p_value - p).abs() < 1e-6, "p {} vs {p}", r.p_value);
        }
        let win = ab_test("A", 1000, 200, "B", 1000, 240);
        assert_eq!(win.verdict, "B wins with 96% confidence");
        assert!(win.significant);
        let none = ab_test("A", 500, 50, "B", 500, 55);
        assert!(
            !none.significant && none.verdict.starts_with("no significant difference yet (p = 0.61)"),
            "{}",
            none.verdict
        );
    }

    #[test]
    fn sample_sizes_match_the_reference_formula() {
        // Python: 6509.47 and 8157.73 recipients per variant.
        assert_eq!(sample_size(0.2, 0.1, 0.05, 0.8), Some(6510));
        assert_eq!(sample_size(0.05, 0.2, 0.05, 0.8), Some(8158));
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-6);
        assert!((normal_quantile(0.8) - 0.841_621_233_572_914_4).abs() < 1e-6);
        assert_eq!(sample_size(0.0, 0.1, 0.05, 0.8), None);
        assert_eq!(sample_size(0.2, 0.0, 0.05, 0.8), None);
    }

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

    #[test]
    fn events_are_counted_once_per_file_and_bad_rows_refuse_the_file() {
        let mut c = campaign("c-1", CampaignStats::default());
        c.variants = vec![
            Variant { name: "A".into(), description: "Betreff A".into(), stats: CampaignStats::default() },
            Variant { name: "B".into(), description: "Betreff B".into(), stats: CampaignStats::default() },
        ];
        let mut all = vec![c];
        let csv = "campaign;event;variant;bounced;seconds;scroll_pct\nc-1;sent;A\nc-1;sent;B\nc-1;opened;B\n\
                   c-1;visit;;0;95;80\nc-1;visit;;1;3;5\nc-1;download\nc-1;new_lead\n";
        let s = count_events(&mut all, csv.as_bytes()).unwrap();
        assert_eq!((s.events, s.campaigns.clone()), (7, vec!["c-1".to_string()]));
        let st = &all[0].stats;
        assert_eq!(
            (st.sent, st.opened, st.visits, st.bounces, st.seconds_on_page, st.scroll_pct_sum),
            (2, 1, 2, 1, 98, 85)
        );
        assert_eq!((all[0].variants[1].stats.sent, all[0].variants[1].stats.opened), (1, 1));
        let again = count_events(&mut all, csv.as_bytes()).unwrap_err();
        assert!(again[0].reason.contains("counted already"));
        let bad = "campaign;event;bounced\nc-9;sent;\nc-1;teleport;\nc-1;visit;7\n";
        let before = all.clone();
        let problems = count_events(&mut all, bad.as_bytes()).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(all, before, "nothing of a bad file is counted");
    }

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
