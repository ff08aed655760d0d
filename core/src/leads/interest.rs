//! How interested an account's people have been lately: points per
//! activity, decayed by the half-life, counted only with marketing consent
//! where the kind needs it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ScoringModel;
use crate::account::Contact;
use crate::activity::{Activity, ActivityKind};

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
    /// Calendar days (UTC) before `now`: yesterday is 1, however few hours ago.
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

pub(super) fn verb(kind: ActivityKind) -> &'static str {
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

/// Calendar days (UTC) from `at` to `now`, both in Unix seconds: 22 hours
/// ago on the previous day is "yesterday", not "today"; the future is 0.
pub(super) fn calendar_days(at: i64, now: i64) -> u32 {
    u32::try_from((now.div_euclid(86_400) - at.div_euclid(86_400)).max(0)).unwrap_or(u32::MAX)
}

pub(super) fn ago(days: u32) -> String {
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

pub(super) fn decay_secs(age_secs: i64, half_life_secs: f64) -> f64 {
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
            age_days: calendar_days(a.at.timestamp(), now.timestamp()),
            points,
            excluded_no_consent: excluded,
        });
    }
    items.sort_by(|a, b| b.points.total_cmp(&a.points).then_with(|| a.age_days.cmp(&b.age_days)));
    InterestScore { points: total, items }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{act, contact, now};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn days_ago_are_calendar_days() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T08:00:00Z").unwrap().timestamp();
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp();
        // 22 hours ago was yesterday; 2 hours ago today; a clock ahead is today.
        assert_eq!(ago(calendar_days(at("2026-12-01T10:00:00Z"), now)), "yesterday");
        assert_eq!(ago(calendar_days(at("2026-12-02T06:00:00Z"), now)), "today");
        assert_eq!(ago(calendar_days(at("2026-12-03T06:00:00Z"), now)), "today");
        assert_eq!(ago(calendar_days(at("2026-11-29T23:59:00Z"), now)), "3 days ago");
    }

    #[test]
    fn decay_halves_every_half_life() {
        assert!((decay(0, 30) - 1.0).abs() < 1e-12);
        assert!((decay(30 * 86_400, 30) - 0.5).abs() < 1e-12);
        assert!((decay(60 * 86_400, 30) - 0.25).abs() < 1e-12);
        assert!((decay(-5, 30) - 1.0).abs() < 1e-12, "a clock ahead counts as now");
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
