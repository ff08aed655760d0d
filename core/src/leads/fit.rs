//! How well an account fits a buyer persona: points criterion by
//! criterion, earned over possible, and what missing data would be worth.

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Criterion, Persona, ScoringModel};
use crate::account::Account;

/// An account's value for a field, if it has one.
pub(super) fn field_value(account: &Account, field: &str) -> Option<String> {
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
    /// "fit 100%: 62 employees, Maschinenbau" (the criteria that earned
    /// points), and what missing data would be worth: "fit 30%: Metallbau;
    /// missing employees (up to 100 points)".
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .criteria
            .iter()
            .filter(|c| c.points > 0)
            .filter_map(|c| {
                c.value.as_ref().map(|v| if c.label == "employees" { format!("{v} employees") } else { v.clone() })
            })
            .collect();
        let mut s = if parts.is_empty() {
            format!("fit {}%", self.pct)
        } else {
            format!("fit {}%: {}", self.pct, parts.join(", "))
        };
        let missing = self.missing();
        if !missing.is_empty() {
            s.push_str(&format!("; missing {}", missing.join(", ")));
        }
        s
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
pub(super) fn max_points(c: &Criterion) -> u32 {
    c.bands.iter().map(|b| b.points).chain(c.values.iter().map(|v| v.points)).max().unwrap_or(0)
}

/// earned / possible in whole percent, rounded half up (0 when nothing is possible).
pub(super) fn percent(earned: u32, possible: u32) -> u32 {
    if possible == 0 { 0 } else { ((u64::from(earned) * 200 + u64::from(possible)) / (2 * u64::from(possible))) as u32 }
}

pub(super) fn criterion_points(c: &Criterion, value: &str, is_postal: bool) -> u32 {
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{account, employees_only};
    use super::super::{Band, ValuePoints};
    use super::*;

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
        assert_eq!(missing.summary(), "fit 30%: Metallbau; missing employees (up to 100 points)");
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
}
