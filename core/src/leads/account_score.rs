//! One account's scores in full: every persona's fit, the interest with its
//! activities, the buying center, and its call-list line. A pure function
//! of the account, its people and activities, so a device's store and the
//! hub (whichever database holds the documents) explain the same way.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{CallListEntry, Coverage, FitScore, InterestScore, Lead, ScoringModel, Touch};
use crate::account::{Account, Contact};
use crate::activity::Activity;

/// One account's scores, in full.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AccountScore {
    /// The call-list line (best fit, interest, priority, reason, coverage).
    pub entry: CallListEntry,
    /// The fit against every persona, with each criterion.
    pub fits: Vec<FitScore>,
    /// The interest with every activity that counted or was excluded.
    pub interest: InterestScore,
    /// Buying-center coverage.
    pub coverage: Coverage,
}

/// Scores `account` with its `contacts` and `activities` under `model`.
pub fn account_score(
    account: &Account,
    contacts: &[Contact],
    activities: &[Activity],
    model: &ScoringModel,
    now: DateTime<Utc>,
) -> AccountScore {
    let touches = Touch::of(activities, contacts);
    let lead = Lead { account, contacts, touches: &touches };
    let entry = super::score(&lead, model, now);
    let by_id: HashMap<&str, &Contact> = contacts.iter().map(|c| (c.id.as_str(), c)).collect();
    AccountScore {
        fits: model.personas.iter().map(|p| super::fit(account, p)).collect(),
        interest: super::interest(activities, &by_id, model, now),
        coverage: super::coverage(contacts),
        entry,
    }
}
