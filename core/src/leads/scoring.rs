//! The lead-scoring model (docs/scoring.md, ADR 15): buyer personas with
//! band and value criteria, points per activity kind, the half-life and
//! the call list's weighting; reference data the back office publishes
//! (it travels with the catalog), checked before it is stored.
//!
//! Band edges: a band covers `min..=max`; where two bands touch or overlap,
//! a value on the shared edge belongs to the band that starts there (the
//! one with the larger `min`). So with 25–49 → 50, 50–70 → 100 and 70–100
//! → 75 points, 70 employees earn 75 and 100 employees earn 75.

use serde::{Deserialize, Serialize};

use crate::activity::ActivityKind;

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

    pub(super) fn points_of(&self, kind: ActivityKind) -> Option<&ActivityPoints> {
        self.activity_points.iter().find(|a| a.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
