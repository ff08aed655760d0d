//! Discount requests and the back office's decisions.

use super::{Actor, Facts, RefusalCode, Rule, no};
use crate::crdt::{DiscountRecord, DocId, Record};
use crate::quote::DiscountRequest;
use crate::roles::DeviceRole;

fn request_part(r: &DiscountRequest) -> (&str, rust_decimal::Decimal, &str, crate::ids::Timestamp) {
    (&r.requested_by, r.requested_pct.normalize(), &r.reason, r.requested_at)
}

fn decision_part(r: &DiscountRequest) -> (Option<&str>, Option<bool>, Option<crate::ids::Timestamp>, Option<&str>) {
    (r.decided_by.as_deref(), r.approved, r.decided_at, r.decision_reason.as_deref())
}

/// A request is made under the requester's own person and undecided; a
/// decision is the back office's, by another person than the requester,
/// and final; customers never see or touch requests.
pub(super) fn check(
    actor: &Actor<'_>,
    before: Option<&DiscountRecord>,
    after: &DiscountRecord,
    facts: &mut dyn Facts,
) -> Rule {
    if actor.is(DeviceRole::Customer) {
        return Err(no(RefusalCode::NotPermitted, "a customer cannot see or change discount requests"));
    }
    // A request belongs to its quote's account (else a rep of one account
    // could plant requests for another's quotes).
    if let Some(Record::Quote(q)) = facts.record(&DocId::quote(&after.quote_id))?
        && q.account_id != after.account_id
    {
        return Err(no(RefusalCode::Immutable, "a discount request belongs to its quote's account"));
    }
    let new = &after.request;
    if let Some(by) = &new.decided_by
        && *by == new.requested_by
    {
        return Err(no(RefusalCode::NotPermitted, "a discount is decided by another person than the one who asked"));
    }
    let old = before.map(|b| &b.request);
    let new_request = old.is_none_or(|o| request_part(o) != request_part(new));
    let decision_changed = old.map(decision_part) != Some(decision_part(new));
    if new_request {
        if let Some(role) = actor.role
            && role != DeviceRole::Admin
            && new.requested_by != actor.person
        {
            return Err(no(RefusalCode::IdentityMismatch, "a discount request is made under the rep's own name"));
        }
        if new.decided() && actor.role.is_some() {
            return Err(no(RefusalCode::NotPermitted, "a new discount request cannot arrive decided"));
        }
        return Ok(());
    }
    if decision_changed {
        if old.is_some_and(DiscountRequest::decided) {
            return Err(no(RefusalCode::Immutable, "a decided discount request stays decided"));
        }
        match actor.role {
            None => {}
            Some(DeviceRole::Admin) if new.decided_by.as_deref() != Some(actor.person) => {
                return Err(no(RefusalCode::IdentityMismatch, "a decision is made under the back office user's name"));
            }
            Some(DeviceRole::Admin) => {}
            Some(_) => return Err(no(RefusalCode::NotPermitted, "only the back office decides a discount request")),
        }
    }
    Ok(())
}
