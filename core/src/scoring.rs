//! Lead scoring, offline: how well an account fits a buyer persona, how
//! interested its people have been lately, whom to call first and why, and
//! how much of the buying center is known (docs/scoring.md, ADR 15).
//!
//! The model is reference data the back office publishes (it travels with
//! the catalog); accounts, contacts and activities are the device's field
//! data. Everything here is a pure function of those and a clock.
//!
//! Band edges: a band covers `min..=max`; where two bands touch or overlap,
//! a value on the shared edge belongs to the band that starts there (the
//! one with the larger `min`). So with 25–49 → 50, 50–70 → 100 and 70–100
//! → 75 points, 70 employees earn 75 and 100 employees earn 75.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::{Account, BuyingRole, Contact};
use crate::activity::{Activity, ActivityKind};

/// Points for a band of a numeric field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Band {
    /// Lowest value in the band (inclusive).
    pub min: i64,
    /// Highest value in the band (inclusive; a band starting here wins the edge).
    pub max: i64,
    /// Points earned.
    pub points: u32,
}

/// Points for one value of a text field (case-insensitive; for lists such
/// as existing equipment, any item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ValuePoints {
    /// The value, e.g. `Maschinenbau`.
    pub value: String,
    /// Points earned.
    pub points: u32,
}

/// One criterion of a persona: a field and its bands or values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Criterion {
    /// `employees`, `industry`, `country`, `postal_code` (values match as
    /// prefixes: `8` is the 8xxxx area), `city`, `legal_form`,
    /// `customer_group`, or any custom attribute name (`annual_revenue`,
    /// `equipment`, `region`…).
    pub field: String,
    /// How the explanation names it, e.g. `employees`.
    pub label: String,
    /// For numeric fields.
    #[serde(default)]
    pub bands: Vec<Band>,
    /// For text fields.
    #[serde(default)]
    pub values: Vec<ValuePoints>,
}

/// A buyer persona marketing and sales agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Persona {
    /// Stable id.
    pub id: String,
    /// Name, e.g. `Mittelständischer Maschinenbauer`.
    pub name: String,
    /// What earns points.
    pub criteria: Vec<Criterion>,
}

/// Points of an activity kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActivityPoints {
    /// The kind.
    pub kind: ActivityKind,
    /// Points when it happens now (they halve every half-life).
    pub points: u32,
    /// Counted only if the contact gave marketing consent (tracking of
    /// e-mails, pages and social media).
    #[serde(default)]
    pub needs_consent: bool,
}

/// The scoring model: personas, activity points, decay and the call-list
/// weighting (reference data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ScoringModel {
    /// Buyer personas; an account is scored against each.
    pub personas: Vec<Persona>,
    /// Points per activity kind; kinds not listed earn nothing.
    pub activity_points: Vec<ActivityPoints>,
    /// Days after which an activity's points count half.
    pub half_life_days: u32,
    /// Weight of fit in the call-list priority, in percent (interest has the rest).
    pub fit_weight_pct: u32,
    /// Interest points that count as full interest (100 %) in the priority.
    pub interest_full_at: u32,
}

/// Why a model is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    /// A field of the model is wrong.
    #[error("scoring model: {0}")]
    Invalid(String),
}

impl ScoringModel {
    /// The sample model of the docs and the demo: the persona "machine
    /// builder, 50-100 employees" and the activity table of docs/scoring.md.
    pub fn sample() -> ScoringModel {
        let band = |min, max, points| Band { min, max, points };
        let value = |v: &str, points| ValuePoints { value: v.into(), points };
        let pts = |kind, points, needs_consent| ActivityPoints { kind, points, needs_consent };
        use ActivityKind as K;
        ScoringModel {
            personas: vec![
                Persona {
                    id: "maschinenbau-mittelstand".into(),
                    name: "Mittelständischer Maschinenbauer".into(),
                    criteria: vec![
                        Criterion {
                            field: "employees".into(),
                            label: "employees".into(),
                            bands: vec![band(25, 49, 50), band(50, 70, 100), band(70, 100, 75)],
                            values: vec![],
                        },
                        Criterion {
                            field: "industry".into(),
                            label: "industry".into(),
                            bands: vec![],
                            values: vec![
                                value("Maschinenbau", 100),
                                value("Anlagenbau", 80),
                                value("Metallbau", 60),
                                value("Werkzeugbau", 60),
                                value("Automation", 50),
                                value("Holzbau", 30),
                            ],
                        },
                    ],
                },
                Persona {
                    id: "handwerk".into(),
                    name: "Handwerksbetrieb".into(),
                    criteria: vec![
                        Criterion {
                            field: "employees".into(),
                            label: "employees".into(),
                            bands: vec![band(1, 24, 100), band(25, 49, 40)],
                            values: vec![],
                        },
                        Criterion {
                            field: "industry".into(),
                            label: "industry".into(),
                            bands: vec![],
                            values: vec![
                                value("Holzbau", 100),
                                value("Schreinerei", 100),
                                value("Haustechnik", 80),
                                value("Elektrotechnik", 60),
                            ],
                        },
                    ],
                },
            ],
            activity_points: vec![
                pts(K::EmailSent, 0, true),
                pts(K::EmailOpened, 5, true),
                pts(K::LinkClicked, 10, true),
                pts(K::LandingPageVisit, 10, true),
                pts(K::CaseStudyDownload, 30, true),
                pts(K::WhitepaperDownload, 25, true),
                pts(K::WebinarAttended, 35, true),
                pts(K::SocialLike, 5, false),
                pts(K::SocialComment, 15, false),
                pts(K::InboundCall, 40, false),
                pts(K::Visit, 20, false),
                pts(K::Meeting, 25, false),
            ],
            half_life_days: 30,
            fit_weight_pct: 50,
            interest_full_at: 100,
        }
    }

    /// Checks the model's rules.
    pub fn validate(&self) -> Result<(), ScoringError> {
        let bad = |m: String| Err(ScoringError::Invalid(m));
        if self.half_life_days == 0 || self.half_life_days > 3650 {
            return bad("half_life_days must be 1 to 3650".into());
        }
        if self.fit_weight_pct > 100 {
            return bad("fit_weight_pct must be 0 to 100".into());
        }
        if self.interest_full_at == 0 {
            return bad("interest_full_at must be at least 1".into());
        }
        let mut ids = std::collections::HashSet::new();
        for p in &self.personas {
            if p.id.trim().is_empty() || !ids.insert(p.id.as_str()) {
                return bad(format!("persona id {:?} is empty or used twice", p.id));
            }
            if p.criteria.is_empty() {
                return bad(format!("persona {} has no criteria", p.id));
            }
            for c in &p.criteria {
                if c.field.trim().is_empty() {
                    return bad(format!("persona {}: a criterion has no field", p.id));
                }
                if c.bands.is_empty() == c.values.is_empty() {
                    return bad(format!("persona {}, {}: give either bands or values", p.id, c.field));
                }
                if let Some(b) = c.bands.iter().find(|b| b.min > b.max) {
                    return bad(format!("persona {}, {}: band {}-{} runs backwards", p.id, c.field, b.min, b.max));
                }
                if c.bands
                    .iter()
                    .chain([])
                    .map(|b| b.points)
                    .chain(c.values.iter().map(|v| v.points))
                    .any(|p| p > 10_000)
                {
                    return bad(format!("persona {}, {}: at most 10000 points", p.id, c.field));
                }
            }
        }
        let mut kinds = std::collections::HashSet::new();
        for a in &self.activity_points {
            if !kinds.insert(a.kind) {
                return bad(format!("activity kind {} listed twice", a.kind.as_str()));
            }
            if a.points > 10_000 {
                return bad(format!("activity kind {}: at most 10000 points", a.kind.as_str()));
            }
        }
        Ok(())
    }

    fn points_of(&self, kind: ActivityKind) -> Option<&ActivityPoints> {
        self.activity_points.iter().find(|a| a.kind == kind)
    }
}

/// An account's value for a field, if it has one.
fn field_value(account: &Account, field: &str) -> Option<String> {
    let v = match field {
        "employees" => account.employees.map(|e| e.to_string()),
        "industry" => account.industry.clone(),
        "country" => Some(account.billing_address.country.clone()),
        "postal_code" => Some(account.billing_address.postal_code.clone()),
        "city" => Some(account.billing_address.city.clone()),
        "legal_form" => account.legal_form.clone(),
        "customer_group" => account.customer_group.clone(),
        other => account.attributes.get(other).cloned(),
    };
    v.filter(|s| !s.trim().is_empty())
}

fn number(s: &str) -> Option<Decimal> {
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '\'').collect();
    cleaned.parse::<Decimal>().ok()
}

/// One criterion's part of a fit score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CriterionResult {
    /// The criterion's label.
    pub label: String,
    /// The account's value; `None` when the data is missing.
    pub value: Option<String>,
    /// Points earned.
    pub points: u32,
    /// The most this criterion gives (what missing data would be worth).
    pub max_points: u32,
}

/// How well an account fits one persona.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FitScore {
    /// The persona.
    pub persona_id: String,
    /// Its name.
    pub persona_name: String,
    /// Points earned.
    pub earned: u32,
    /// Points possible.
    pub possible: u32,
    /// earned / possible in whole percent (rounded half up).
    pub pct: u32,
    /// Criterion by criterion.
    pub criteria: Vec<CriterionResult>,
}

impl FitScore {
    /// "fit 100%: 62 employees, Maschinenbau" (the criteria that earned points).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .criteria
            .iter()
            .filter(|c| c.points > 0)
            .filter_map(|c| {
                c.value.as_ref().map(|v| if c.label == "employees" { format!("{v} employees") } else { v.clone() })
            })
            .collect();
        if parts.is_empty() { format!("fit {}%", self.pct) } else { format!("fit {}%: {}", self.pct, parts.join(", ")) }
    }

    /// "missing: annual revenue (up to 50 points)".
    pub fn missing(&self) -> Vec<String> {
        self.criteria
            .iter()
            .filter(|c| c.value.is_none())
            .map(|c| format!("{} (up to {} points)", c.label, c.max_points))
            .collect()
    }
}

/// The most a criterion gives: its best band or value.
fn max_points(c: &Criterion) -> u32 {
    c.bands.iter().map(|b| b.points).chain(c.values.iter().map(|v| v.points)).max().unwrap_or(0)
}

/// earned / possible in whole percent, rounded half up (0 when nothing is possible).
fn percent(earned: u32, possible: u32) -> u32 {
    if possible == 0 { 0 } else { ((u64::from(earned) * 200 + u64::from(possible)) / (2 * u64::from(possible))) as u32 }
}

fn criterion_points(c: &Criterion, value: &str, is_postal: bool) -> u32 {
    if !c.bands.is_empty() {
        let Some(n) = number(value) else { return 0 };
        // The band that starts highest among those containing the value.
        return c
            .bands
            .iter()
            .filter(|b| Decimal::from(b.min) <= n && n <= Decimal::from(b.max))
            .max_by_key(|b| b.min)
            .map_or(0, |b| b.points);
    }
    let items: Vec<String> =
        value.split([';', ',']).map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
    c.values
        .iter()
        .filter(|v| {
            let want = v.value.trim().to_lowercase();
            items.iter().any(|i| if is_postal { i.starts_with(&want) } else { *i == want })
        })
        .map(|v| v.points)
        .max()
        .unwrap_or(0)
}

/// Scores an account against one persona.
pub fn fit(account: &Account, persona: &Persona) -> FitScore {
    let mut criteria = Vec::with_capacity(persona.criteria.len());
    let (mut earned, mut possible) = (0u32, 0u32);
    for c in &persona.criteria {
        let max_points = c.bands.iter().map(|b| b.points).chain(c.values.iter().map(|v| v.points)).max().unwrap_or(0);
        let value = field_value(account, &c.field);
        let points = value.as_deref().map_or(0, |v| criterion_points(c, v, c.field == "postal_code"));
        earned = earned.saturating_add(points);
        possible = possible.saturating_add(max_points);
        criteria.push(CriterionResult { label: c.label.clone(), value, points, max_points });
    }
    let pct = percent(earned, possible);
    FitScore { persona_id: persona.id.clone(), persona_name: persona.name.clone(), earned, possible, pct, criteria }
}

/// The persona the account fits best (the first on a tie); `None` without personas.
pub fn best_fit(account: &Account, model: &ScoringModel) -> Option<FitScore> {
    let mut best: Option<FitScore> = None;
    for p in &model.personas {
        let f = fit(account, p);
        if best.as_ref().is_none_or(|b| f.pct > b.pct) {
            best = Some(f);
        }
    }
    best
}

/// One activity's part of an interest score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InterestItem {
    /// The activity.
    pub activity_id: String,
    /// Its kind.
    pub kind: ActivityKind,
    /// The contact, if any.
    pub contact_id: Option<String>,
    /// Whole days before `now`.
    pub age_days: u32,
    /// Points after decay (0 when not counted).
    pub points: f64,
    /// Not counted because the contact gave no marketing consent.
    pub excluded_no_consent: bool,
}

/// How interested an account (or a contact) has been lately.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InterestScore {
    /// Decayed points, summed.
    pub points: f64,
    /// The activities that earned points (or would have, without consent), largest first.
    pub items: Vec<InterestItem>,
}

impl InterestScore {
    /// "interest 45: downloaded the case study 2 days ago".
    pub fn summary(&self) -> String {
        let top = self.items.iter().find(|i| !i.excluded_no_consent && i.points >= 0.5);
        match top {
            Some(i) => format!("interest {:.0}: {} {}", self.points, verb(i.kind), ago(i.age_days)),
            None => format!("interest {:.0}", self.points),
        }
    }
}

fn verb(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::EmailSent => "received a mailing",
        ActivityKind::EmailOpened => "opened a mailing",
        ActivityKind::LinkClicked => "clicked a link in a mailing",
        ActivityKind::LandingPageVisit => "visited the landing page",
        ActivityKind::CaseStudyDownload => "downloaded the case study",
        ActivityKind::WhitepaperDownload => "downloaded the whitepaper",
        ActivityKind::WebinarAttended => "attended the webinar",
        ActivityKind::SocialLike => "liked a post",
        ActivityKind::SocialComment => "commented on a post",
        ActivityKind::InboundCall => "called in",
        ActivityKind::Visit => "was visited",
        ActivityKind::Meeting => "met with us",
        ActivityKind::Call => "was called",
        ActivityKind::Email => "got an e-mail",
        ActivityKind::Note => "has a note",
    }
}

fn ago(days: u32) -> String {
    match days {
        0 => "today".into(),
        1 => "yesterday".into(),
        2..=13 => format!("{days} days ago"),
        14..=59 => format!("{} weeks ago", days / 7),
        _ => format!("{} months ago", days / 30),
    }
}

/// Whether a contact agreed to marketing (consent recorded and granted).
pub fn has_consent(contact: Option<&Contact>) -> bool {
    contact.and_then(|c| c.consent.as_ref()).is_some_and(|c| c.granted)
}

/// The decay factor of an activity `age` seconds old: 0.5^(age / half-life).
pub fn decay(age_secs: i64, half_life_days: u32) -> f64 {
    decay_secs(age_secs, f64::from(half_life_days.max(1)) * 86_400.0)
}

fn decay_secs(age_secs: i64, half_life_secs: f64) -> f64 {
    (-(age_secs.max(0) as f64) / half_life_secs).exp2()
}

/// Interest from `activities`; `contacts` gives consent (an activity without
/// a contact needs no consent check only if its kind needs none).
pub fn interest<'a>(
    activities: impl IntoIterator<Item = &'a Activity>,
    contacts: &HashMap<&str, &Contact>,
    model: &ScoringModel,
    now: DateTime<Utc>,
) -> InterestScore {
    let mut items = Vec::new();
    let mut total = 0.0;
    for a in activities {
        let Some(p) = model.points_of(a.kind) else { continue };
        if p.points == 0 {
            continue;
        }
        let contact = a.contact_id.as_deref().and_then(|id| contacts.get(id).copied());
        let excluded = p.needs_consent && !has_consent(contact);
        let age = (now - a.at).num_seconds();
        let points = if excluded { 0.0 } else { f64::from(p.points) * decay(age, model.half_life_days) };
        total += points;
        items.push(InterestItem {
            activity_id: a.id.clone(),
            kind: a.kind,
            contact_id: a.contact_id.clone(),
            age_days: (age.max(0) / 86_400) as u32,
            points,
            excluded_no_consent: excluded,
        });
    }
    items.sort_by(|a, b| b.points.total_cmp(&a.points).then_with(|| a.age_days.cmp(&b.age_days)));
    InterestScore { points: total, items }
}

/// Which buying-center roles are known at an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Coverage {
    /// Roles with at least one person.
    pub known: Vec<BuyingRole>,
    /// Roles nobody fills yet.
    pub missing: Vec<BuyingRole>,
    /// People identified.
    pub people: u32,
    /// A hint when fewer than three people are identified.
    pub hint: Option<String>,
}

/// Buying-center coverage of an account's contacts.
pub fn coverage(contacts: &[Contact]) -> Coverage {
    let known: Vec<BuyingRole> =
        BuyingRole::ALL.into_iter().filter(|r| contacts.iter().any(|c| c.role == *r)).collect();
    let missing: Vec<BuyingRole> = BuyingRole::ALL.into_iter().filter(|r| !known.contains(r)).collect();
    let people = contacts.len() as u32;
    let hint = (people < 3).then(|| {
        let names: Vec<&str> = missing.iter().map(|r| role_words(*r)).collect();
        format!(
            "only {people} {} identified: a B2B decision involves more; find the {}",
            if people == 1 { "person" } else { "people" },
            names.join(", ")
        )
    });
    Coverage { known, missing, people, hint }
}

/// A role in plain words.
pub fn role_words(role: BuyingRole) -> &'static str {
    match role {
        BuyingRole::DecisionMaker => "decision maker",
        BuyingRole::Influencer => "influencer",
        BuyingRole::User => "user",
        BuyingRole::Gatekeeper => "gatekeeper",
        BuyingRole::BudgetHolder => "budget holder",
    }
}

/// One line of a rep's call list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CallListEntry {
    /// The account.
    pub account_id: String,
    /// Its name.
    pub account_name: String,
    /// Whom to call: the most interested contact, else the decision maker, else anyone.
    pub contact_id: Option<String>,
    /// Their name.
    pub contact_name: Option<String>,
    /// Their phone.
    pub phone: Option<String>,
    /// Whether they may be e-mailed (marketing consent recorded).
    pub may_email: bool,
    /// Best persona fit in percent.
    pub fit_pct: u32,
    /// The persona.
    pub persona: Option<String>,
    /// Decayed interest points of the account's people.
    pub interest: f64,
    /// fit_weight · fit + (1 − fit_weight) · min(interest / full, 1) · 100.
    pub priority: f64,
    /// "fit 100%: 62 employees, Maschinenbau; interest 45: downloaded the case study 2 days ago".
    pub reason: String,
    /// Buying-center coverage.
    pub coverage: Coverage,
}

/// An activity as ranking needs it: its kind, the index of its contact in
/// the lead's contacts, and its time (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    /// What happened.
    pub kind: ActivityKind,
    /// Index into [`Lead::contacts`].
    pub contact: Option<u32>,
    /// When, in seconds since 1970.
    pub at: i64,
}

impl Touch {
    /// Touches of `activities`, their contacts looked up in `contacts`.
    pub fn of(activities: &[Activity], contacts: &[Contact]) -> Vec<Touch> {
        activities
            .iter()
            .map(|a| Touch {
                kind: a.kind,
                contact: a
                    .contact_id
                    .as_deref()
                    .and_then(|id| contacts.iter().position(|c| c.id == id))
                    .map(|i| i as u32),
                at: a.at.timestamp(),
            })
            .collect()
    }
}

/// An account with its people and what they did, as ranking needs them.
#[derive(Debug)]
pub struct Lead<'a> {
    /// The account.
    pub account: &'a Account,
    /// Its contacts.
    pub contacts: &'a [Contact],
    /// Its activities.
    pub touches: &'a [Touch],
}

/// The model prepared for scoring many leads.
struct Prepared {
    /// Points and consent need per kind, by [`kind_index`].
    points: [(u32, bool); 15],
    half_life_secs: f64,
    weight: f64,
    full_at: f64,
}

fn kind_index(kind: ActivityKind) -> usize {
    ActivityKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

impl Prepared {
    fn new(model: &ScoringModel) -> Prepared {
        let mut points = [(0, false); 15];
        for p in &model.activity_points {
            points[kind_index(p.kind)] = (p.points, p.needs_consent);
        }
        Prepared {
            points,
            half_life_secs: f64::from(model.half_life_days.max(1)) * 86_400.0,
            weight: f64::from(model.fit_weight_pct.min(100)) / 100.0,
            full_at: f64::from(model.interest_full_at.max(1)),
        }
    }
}

/// What ranking needs of a lead, computed without building any text.
struct Quick {
    fit_pct: u32,
    persona: Option<usize>,
    interest: f64,
    priority: f64,
    /// Per contact: decayed points.
    per_contact: Vec<f64>,
    /// The touch that counted most: (kind, age in seconds).
    top: Option<(ActivityKind, i64, f64)>,
}

fn fit_pct_only(account: &Account, persona: &Persona) -> u32 {
    let (mut earned, mut possible) = (0u32, 0u32);
    for c in &persona.criteria {
        possible = possible.saturating_add(max_points(c));
        let points = match (c.field.as_str(), c.bands.is_empty()) {
            ("employees", false) => account.employees.map_or(0, |n| {
                let n = i64::from(n);
                c.bands.iter().filter(|b| b.min <= n && n <= b.max).max_by_key(|b| b.min).map_or(0, |b| b.points)
            }),
            _ => field_value(account, &c.field).map_or(0, |v| criterion_points(c, &v, c.field == "postal_code")),
        };
        earned = earned.saturating_add(points);
    }
    percent(earned, possible)
}

fn quick(lead: &Lead<'_>, model: &ScoringModel, prep: &Prepared, now: i64) -> Quick {
    let mut best: Option<(usize, u32)> = None;
    for (i, p) in model.personas.iter().enumerate() {
        let pct = fit_pct_only(lead.account, p);
        if best.is_none_or(|(_, b)| pct > b) {
            best = Some((i, pct));
        }
    }
    let consent: Vec<bool> = lead.contacts.iter().map(|c| has_consent(Some(c))).collect();
    let mut per_contact = vec![0.0; lead.contacts.len()];
    let mut interest = 0.0;
    let mut top: Option<(ActivityKind, i64, f64)> = None;
    for t in lead.touches {
        let (points, needs_consent) = prep.points[kind_index(t.kind)];
        if points == 0 {
            continue;
        }
        let allowed = t.contact.and_then(|i| consent.get(i as usize).copied()).unwrap_or(false);
        if needs_consent && !allowed {
            continue;
        }
        let age = (now - t.at).max(0);
        let p = f64::from(points) * decay_secs(age, prep.half_life_secs);
        interest += p;
        if let Some(slot) = t.contact.and_then(|i| per_contact.get_mut(i as usize)) {
            *slot += p;
        }
        if top.is_none_or(|(_, a, q)| p > q || (p == q && age < a)) {
            top = Some((t.kind, age, p));
        }
    }
    let fit_pct = best.map_or(0, |(_, p)| p);
    let priority = prep.weight * f64::from(fit_pct) + (1.0 - prep.weight) * (interest / prep.full_at).min(1.0) * 100.0;
    Quick { fit_pct, persona: best.map(|(i, _)| i), interest, priority, per_contact, top }
}

fn entry(lead: &Lead<'_>, model: &ScoringModel, q: &Quick) -> CallListEntry {
    let fit = q.persona.map(|i| fit(lead.account, &model.personas[i]));
    // The contact with the most interest, else the decision maker, else the first.
    let contact = q
        .per_contact
        .iter()
        .enumerate()
        .filter(|(_, p)| **p > 0.0)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| &lead.contacts[i])
        .or_else(|| lead.contacts.iter().find(|c| c.role == BuyingRole::DecisionMaker))
        .or_else(|| lead.contacts.first());
    let interest = match q.top {
        Some((kind, age, p)) if p >= 0.5 => {
            format!("interest {:.0}: {} {}", q.interest, verb(kind), ago((age / 86_400) as u32))
        }
        _ => format!("interest {:.0}", q.interest),
    };
    let reason = match &fit {
        Some(f) => format!("{}; {interest}", f.summary()),
        None => interest,
    };
    CallListEntry {
        account_id: lead.account.id.clone(),
        account_name: lead.account.name.clone(),
        contact_id: contact.map(|c| c.id.clone()),
        contact_name: contact.map(Contact::full_name),
        phone: contact.and_then(|c| c.phone.clone()),
        may_email: has_consent(contact),
        fit_pct: q.fit_pct,
        persona: fit.map(|f| f.persona_name),
        interest: q.interest,
        priority: q.priority,
        reason,
        coverage: coverage(lead.contacts),
    }
}

/// Scores one lead into its call-list line.
pub fn score(lead: &Lead<'_>, model: &ScoringModel, now: DateTime<Utc>) -> CallListEntry {
    let prep = Prepared::new(model);
    entry(lead, model, &quick(lead, model, &prep, now.timestamp()))
}

/// Ranks leads, highest priority first (then more interest, then name),
/// and explains the first `limit`: every lead is scored, only the lines
/// shown get their text.
pub fn call_list(leads: &[Lead<'_>], model: &ScoringModel, now: DateTime<Utc>, limit: usize) -> Vec<CallListEntry> {
    let prep = Prepared::new(model);
    let now = now.timestamp();
    let mut scored: Vec<(usize, Quick)> =
        leads.iter().enumerate().map(|(i, l)| (i, quick(l, model, &prep, now))).collect();
    let order = |a: &(usize, Quick), b: &(usize, Quick)| {
        b.1.priority
            .total_cmp(&a.1.priority)
            .then_with(|| b.1.interest.total_cmp(&a.1.interest))
            .then_with(|| leads[a.0].account.name.cmp(&leads[b.0].account.name))
            .then_with(|| leads[a.0].account.id.cmp(&leads[b.0].account.id))
    };
    if limit < scored.len() {
        scored.select_nth_unstable_by(limit, order);
        scored.truncate(limit);
    }
    scored.sort_by(order);
    scored.iter().map(|(i, q)| entry(&leads[*i], model, q)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::MarketingConsent;
    use crate::fixtures;
    use proptest::prelude::*;

    fn account(id: &str, employees: Option<u32>, industry: Option<&str>) -> Account {
        Account {
            name: format!("Firma {id}"),
            legal_form: Some("GmbH".into()),
            employees,
            industry: industry.map(str::to_string),
            assigned_rep: Some("rep-1".into()),
            ..fixtures::account(id)
        }
    }

    fn contact(id: &str, account: &str, consent: bool) -> Contact {
        Contact {
            first_name: "Eva".into(),
            last_name: id.into(),
            email: Some(format!("{id}@example.com")),
            phone: Some("+49 89 1".into()),
            consent: consent.then(|| MarketingConsent {
                granted: true,
                at: now() - chrono::Duration::days(400),
                source: "web double opt-in".into(),
            }),
            ..fixtures::contact(id, account)
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn act(id: &str, account: &str, contact: &str, kind: ActivityKind, days_ago: i64) -> Activity {
        Activity {
            id: id.into(),
            account_id: account.into(),
            contact_id: Some(contact.into()),
            kind,
            at: now() - chrono::Duration::days(days_ago),
            by: "marketing".into(),
            subject: String::new(),
            notes: String::new(),
        }
    }

    fn employees_only() -> Persona {
        ScoringModel::sample().personas[0].clone()
    }

    #[test]
    fn the_bands_of_the_example_and_their_shared_edges() {
        let p = employees_only();
        let points = |n: u32| fit(&account("a", Some(n), None), &p).criteria[0].points;
        assert_eq!(points(62), 100);
        assert_eq!(points(50), 100, "50 starts the 50-70 band");
        assert_eq!(points(49), 50);
        assert_eq!(points(25), 50);
        assert_eq!(points(70), 75, "a shared edge belongs to the band that starts there");
        assert_eq!(points(100), 75);
        assert_eq!(points(24), 0);
        assert_eq!(points(101), 0);
    }

    #[test]
    fn fit_is_earned_over_possible_with_missing_data_explained() {
        let p = employees_only();
        let full = fit(&account("a", Some(62), Some("Maschinenbau")), &p);
        assert_eq!((full.earned, full.possible, full.pct), (200, 200, 100));
        assert_eq!(full.summary(), "fit 100%: 62 employees, Maschinenbau");
        let half = fit(&account("b", Some(30), Some("holzbau")), &p);
        assert_eq!((half.earned, half.pct), (80, 40), "50 + 30 of 200, case-insensitive value");
        let missing = fit(&account("c", None, Some("Metallbau")), &p);
        assert_eq!((missing.earned, missing.pct), (60, 30));
        assert_eq!(missing.criteria[0].value, None);
        assert_eq!(missing.missing(), vec!["employees (up to 100 points)"]);
    }

    #[test]
    fn custom_attributes_lists_and_postal_areas_score() {
        let mut a = account("a", Some(62), None);
        a.attributes.insert("equipment".into(), "Trumpf TruLaser; Bosch Rexroth".into());
        a.attributes.insert("annual_revenue".into(), "12 500 000".into());
        let p = Persona {
            id: "p".into(),
            name: "P".into(),
            criteria: vec![
                Criterion {
                    field: "equipment".into(),
                    label: "equipment".into(),
                    bands: vec![],
                    values: vec![ValuePoints { value: "bosch rexroth".into(), points: 40 }],
                },
                Criterion {
                    field: "annual_revenue".into(),
                    label: "annual revenue".into(),
                    bands: vec![Band { min: 10_000_000, max: 50_000_000, points: 60 }],
                    values: vec![],
                },
                Criterion {
                    field: "postal_code".into(),
                    label: "region".into(),
                    bands: vec![],
                    values: vec![ValuePoints { value: "8".into(), points: 20 }],
                },
            ],
        };
        let f = fit(&a, &p);
        assert_eq!(f.criteria.iter().map(|c| c.points).collect::<Vec<_>>(), vec![40, 60, 20]);
        assert_eq!(f.pct, 100);
    }

    #[test]
    fn the_best_persona_is_reported() {
        let model = ScoringModel::sample();
        let small = account("a", Some(12), Some("Schreinerei"));
        assert_eq!(best_fit(&small, &model).unwrap().persona_id, "handwerk");
        let big = account("b", Some(62), Some("Maschinenbau"));
        assert_eq!(best_fit(&big, &model).unwrap().persona_id, "maschinenbau-mittelstand");
    }

    /// The classic case: same fit; four mailings with two opened against a
    /// case study download and a comment on a post. The second is called first.
    #[test]
    fn the_download_and_the_comment_beat_two_opened_mailings() {
        let model = ScoringModel::sample();
        let (a, b) = (account("a", Some(62), Some("Maschinenbau")), account("b", Some(62), Some("Maschinenbau")));
        let (ca, cb) = ([contact("ca", "a", true)], [contact("cb", "b", true)]);
        let mut acts_a: Vec<Activity> =
            (0..4).map(|i| act(&format!("s{i}"), "a", "ca", ActivityKind::EmailSent, 10 + i)).collect();
        acts_a.push(act("o1", "a", "ca", ActivityKind::EmailOpened, 9));
        acts_a.push(act("o2", "a", "ca", ActivityKind::EmailOpened, 3));
        let acts_b = [
            act("d", "b", "cb", ActivityKind::CaseStudyDownload, 2),
            act("c", "b", "cb", ActivityKind::SocialComment, 5),
        ];
        let (ta, tb) = (Touch::of(&acts_a, &ca), Touch::of(&acts_b, &cb));
        let list = call_list(
            &[Lead { account: &a, contacts: &ca, touches: &ta }, Lead { account: &b, contacts: &cb, touches: &tb }],
            &model,
            now(),
            10,
        );
        assert_eq!(list[0].account_id, "b", "{list:#?}");
        assert_eq!(list[0].fit_pct, list[1].fit_pct);
        assert!(list[0].interest > list[1].interest);
        assert_eq!(
            list[0].reason,
            format!(
                "fit 100%: 62 employees, Maschinenbau; interest {:.0}: downloaded the case study 2 days ago",
                list[0].interest
            )
        );
    }

    #[test]
    fn without_consent_tracked_activities_do_not_count_and_no_email_is_suggested() {
        let model = ScoringModel::sample();
        let a = account("a", Some(62), Some("Maschinenbau"));
        let contacts = [contact("x", "a", false)];
        let acts =
            [act("d", "a", "x", ActivityKind::CaseStudyDownload, 1), act("c", "a", "x", ActivityKind::InboundCall, 1)];
        let t = Touch::of(&acts, &contacts);
        let e = score(&Lead { account: &a, contacts: &contacts, touches: &t }, &model, now());
        let expected = 40.0 * decay(86_400, 30);
        assert!((e.interest - expected).abs() < 1e-9, "only the inbound call counts: {}", e.interest);
        assert!(!e.may_email);
        let with = [contact("x", "a", true)];
        let t2 = Touch::of(&acts, &with);
        let e2 = score(&Lead { account: &a, contacts: &with, touches: &t2 }, &model, now());
        assert!(e2.interest > e.interest && e2.may_email);
        // The ranking path and the explaining path agree.
        let by_id: HashMap<&str, &Contact> = with.iter().map(|c| (c.id.as_str(), c)).collect();
        assert!((interest(&acts, &by_id, &model, now()).points - e2.interest).abs() < 1e-9);
    }

    #[test]
    fn decay_halves_every_half_life() {
        assert!((decay(0, 30) - 1.0).abs() < 1e-12);
        assert!((decay(30 * 86_400, 30) - 0.5).abs() < 1e-12);
        assert!((decay(60 * 86_400, 30) - 0.25).abs() < 1e-12);
        assert!((decay(-5, 30) - 1.0).abs() < 1e-12, "a clock ahead counts as now");
    }

    #[test]
    fn coverage_names_missing_roles_and_hints_below_three_people() {
        let mut two = vec![contact("a", "x", false), contact("b", "x", false)];
        two[1].role = BuyingRole::User;
        let c = coverage(&two);
        assert_eq!(c.known, vec![BuyingRole::DecisionMaker, BuyingRole::User]);
        assert_eq!(c.missing.len(), 3);
        assert!(c.hint.as_deref().unwrap().starts_with("only 2 people identified"), "{:?}", c.hint);
        two.push(contact("c", "x", false));
        assert_eq!(coverage(&two).hint, None);
    }

    #[test]
    fn a_model_with_wrong_fields_is_refused() {
        let mut m = ScoringModel::sample();
        assert!(m.validate().is_ok());
        m.half_life_days = 0;
        assert!(m.validate().is_err());
        let mut m = ScoringModel::sample();
        m.personas[0].criteria[0].bands[0] = Band { min: 9, max: 3, points: 1 };
        assert!(m.validate().unwrap_err().to_string().contains("backwards"));
        let mut m = ScoringModel::sample();
        m.personas[0].criteria[1].bands.push(Band { min: 0, max: 1, points: 1 });
        assert!(m.validate().unwrap_err().to_string().contains("either bands or values"));
        let mut m = ScoringModel::sample();
        let dup = m.activity_points[0].clone();
        m.activity_points.push(dup);
        assert!(m.validate().is_err());
    }

    #[test]
    fn a_limited_list_is_the_head_of_the_full_one() {
        let model = ScoringModel::sample();
        let accounts = crate::sample::accounts(60, 3);
        let acts = crate::sample::activities(&accounts, 8, 3, now());
        let touches: Vec<Vec<Touch>> = accounts
            .iter()
            .map(|(a, cs)| Touch::of(&acts.iter().filter(|x| x.account_id == a.id).cloned().collect::<Vec<_>>(), cs))
            .collect();
        let leads: Vec<Lead<'_>> =
            accounts.iter().zip(&touches).map(|((a, cs), t)| Lead { account: a, contacts: cs, touches: t }).collect();
        let all = call_list(&leads, &model, now(), 1000);
        let head = call_list(&leads, &model, now(), 7);
        assert_eq!(all.len(), 60);
        assert_eq!(head, all[..7].to_vec());
        assert!(all.windows(2).all(|w| w[0].priority >= w[1].priority));
    }

    proptest! {
        #[test]
        fn a_point_earning_activity_never_lowers_interest(days in proptest::collection::vec(0i64..2000, 0..20), extra in 0i64..2000, k in 0usize..12) {
            let model = ScoringModel::sample();
            let contacts = [contact("x", "a", true)];
            let by_id: HashMap<&str, &Contact> = contacts.iter().map(|c| (c.id.as_str(), c)).collect();
            let kinds = model.activity_points.iter().map(|p| p.kind).collect::<Vec<_>>();
            let mut acts: Vec<Activity> = days.iter().enumerate()
                .map(|(i, d)| act(&format!("a{i}"), "a", "x", kinds[i % kinds.len()], *d)).collect();
            let before = interest(&acts, &by_id, &model, now()).points;
            acts.push(act("new", "a", "x", kinds[k % kinds.len()], extra));
            let after = interest(&acts, &by_id, &model, now()).points;
            prop_assert!(after >= before, "{before} -> {after}");
        }

        #[test]
        fn decay_is_monotone(a in 0i64..10_000_000_000, b in 0i64..10_000_000_000, h in 1u32..3650) {
            let (young, old) = (a.min(b), a.max(b));
            prop_assert!(decay(young, h) >= decay(old, h));
            prop_assert!(decay(old, h) >= 0.0 && decay(young, h) <= 1.0);
        }
    }
}
