//! Leads: whom to call first and why, and how marketing's campaigns do
//! (docs/scoring.md, ADR 15). Pure functions of the published model and
//! campaigns, the device's field data and a clock.
//!
//! Lead scoring, offline: `scoring.rs` the model (personas with band and
//! value criteria, activity points, half-life, weighting) and its rules;
//! `fit.rs` how well an account fits a persona; `interest.rs` decayed
//! interest with consent; `coverage.rs` the buying center; `call_list.rs`
//! the ranked call list. Campaigns: `campaign.rs` the campaign and its
//! figures; `events.rs` counting a marketing tool's event export;
//! `funnel.rs` the AIDA funnel against targets and the weakest stage;
//! `ab_test.rs` the two-proportion z-test and sample sizes.
//!
//! Every public item is re-exported here: `crate::leads::ScoringModel`,
//! `crate::leads::funnel`, and so on.

mod ab_test;
mod account_score;
mod call_list;
mod campaign;
mod coverage;
mod events;
mod fit;
mod funnel;
mod interest;
mod scoring;

pub use ab_test::{AbResult, ab_test, erfc, normal_cdf, normal_quantile, sample_size};
pub use account_score::{AccountScore, account_score};
pub use call_list::{CallListEntry, Lead, Touch, call_list, score};
pub use campaign::{Campaign, CampaignStats, FunnelError, FunnelTargets, Placement, Variant};
pub use coverage::{Coverage, coverage, role_words};
pub use events::{EventSummary, count_events};
pub use fit::{CriterionResult, FitScore, best_fit, fit};
pub use funnel::{FunnelReport, Stage, StageResult, funnel};
pub use interest::{InterestItem, InterestScore, decay, has_consent, interest};
pub use scoring::{ActivityPoints, Band, Criterion, Persona, ScoringError, ScoringModel, ValuePoints};

/// What the tests of the room's files start from.
#[cfg(test)]
mod test_support {
    use chrono::{DateTime, NaiveDate, Utc};

    use super::*;
    use crate::account::{Account, Contact, MarketingConsent};
    use crate::activity::{Activity, ActivityKind};
    use crate::fixtures;

    pub(super) fn account(id: &str, employees: Option<u32>, industry: Option<&str>) -> Account {
        Account {
            name: format!("Firma {id}"),
            legal_form: Some("GmbH".into()),
            employees,
            industry: industry.map(str::to_string),
            assigned_rep: Some("rep-1".into()),
            ..fixtures::account(id)
        }
    }

    pub(super) fn contact(id: &str, account: &str, consent: bool) -> Contact {
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

    pub(super) fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    pub(super) fn act(id: &str, account: &str, contact: &str, kind: ActivityKind, days_ago: i64) -> Activity {
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

    pub(super) fn employees_only() -> Persona {
        ScoringModel::sample().personas[0].clone()
    }

    pub(super) fn campaign(id: &str, s: CampaignStats) -> Campaign {
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

    pub(super) fn stats(
        sent: u64,
        opened: u64,
        visits: u64,
        bounces: u64,
        leads: u64,
        customers: u64,
    ) -> CampaignStats {
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
}
