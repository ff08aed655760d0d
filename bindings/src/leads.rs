//! Lead scoring and campaigns for a rep's dashboard: one-line delegations
//! to the store and the core's statistics. Times arrive as RFC 3339 text.

use chrono::{DateTime, Utc};
use onsite_core::leads::{AbResult, CallListEntry, Campaign, FunnelReport, ScoringModel};
use onsite_core::store::{AccountScore, ActivityImportSummary};

use crate::{OnsiteError, OnsiteStore};

fn time(field: &str, text: &str) -> Result<DateTime<Utc>, OnsiteError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| OnsiteError::Validation(format!("invalid {field}: expected an RFC 3339 time")))
}

/// A two-sided two-proportion z-test of variant B against A (`x` of `n`).
#[uniffi::export]
pub fn ab_test(a: String, n_a: u64, x_a: u64, b: String, n_b: u64, x_b: u64) -> Result<AbResult, OnsiteError> {
    if x_a > n_a || x_b > n_b {
        return Err(OnsiteError::Validation("more successes than recipients".into()));
    }
    Ok(onsite_core::leads::ab_test(&a, n_a, x_a, &b, n_b, x_b))
}

/// Recipients per variant to detect a relative `lift` on a `baseline` rate
/// (fractions) at significance `alpha` with `power`; `None` if undefined.
#[uniffi::export]
pub fn ab_sample_size(baseline: f64, lift: f64, alpha: f64, power: f64) -> Option<u64> {
    onsite_core::leads::sample_size(baseline, lift, alpha, power)
}

#[uniffi::export]
impl OnsiteStore {
    /// The ranked call list at `now` (RFC 3339): `rep` filters on a hub
    /// database; on a device every account in it is the rep's.
    pub fn call_list(&self, rep: Option<String>, now: String, limit: u32) -> Result<Vec<CallListEntry>, OnsiteError> {
        Ok(self.inner.call_list(rep.as_deref(), time("now", &now)?, limit as usize)?)
    }

    /// One account's fit per persona, interest and coverage, with explanations.
    pub fn account_score(&self, account_id: String, now: String) -> Result<AccountScore, OnsiteError> {
        Ok(self.inner.account_score(&account_id, time("now", &now)?)?)
    }

    /// The published scoring model, if any.
    pub fn scoring_model(&self) -> Result<Option<ScoringModel>, OnsiteError> {
        Ok(self.inner.scoring_model()?)
    }

    /// Published campaigns, newest first.
    pub fn campaigns(&self) -> Result<Vec<Campaign>, OnsiteError> {
        Ok(self.inner.campaigns()?)
    }

    /// A campaign's AIDA funnel, weakest stage and A/B verdict.
    pub fn campaign_report(&self, id: String) -> Result<FunnelReport, OnsiteError> {
        Ok(self.inner.campaign_report(&id)?)
    }

    /// Imports a marketing tool's activity export (CSV or JSON), contacts matched by e-mail.
    pub fn import_activities(&self, bytes: Vec<u8>, source: String) -> Result<ActivityImportSummary, OnsiteError> {
        Ok(self.inner.import_activities(&bytes, &source)?)
    }
}
