//! The ranked call list: every lead scored by fit and decayed interest
//! without building text, the lines shown explained (whom to call, why,
//! the buying center's coverage).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::fit::{criterion_points, field_value, max_points, percent};
use super::interest::{ago, decay_secs, verb};
use super::{Coverage, Persona, ScoringModel, coverage, fit, has_consent};
use crate::account::{Account, BuyingRole, Contact};
use crate::activity::{Activity, ActivityKind};

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
    /// Calendar days (UTC) between the top activity and now.
    top_days: u32,
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
    let top_days = top.map_or(0, |(_, age, _)| super::interest::calendar_days(now - age, now));
    Quick { fit_pct, persona: best.map(|(i, _)| i), interest, priority, per_contact, top, top_days }
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
        Some((kind, _, p)) if p >= 0.5 => {
            format!("interest {:.0}: {} {}", q.interest, verb(kind), ago(q.top_days))
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
    use std::collections::HashMap;

    use super::super::test_support::{account, act, contact, now};
    use super::super::{decay, interest};
    use super::*;

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
}
