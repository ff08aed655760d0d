//! Quotes: the state machine, immutability, the policy at send, approvals
//! and numbers.
//!
//! | from | to | who | when |
//! |---|---|---|---|
//! | (new) | draft, needs discount approval, sent, cancelled | rep (as itself), back office | no approval, a free number |
//! | draft | draft (edits) | rep, back office | |
//! | draft | needs discount approval | rep, back office | an undecided request in `discount/` |
//! | needs discount approval | needs discount approval (edits) | rep, back office | |
//! | needs discount approval | draft | anyone with the decision | the request is decided |
//! | draft | sent | rep, back office | the policy in force passes (grant, floor), still valid |
//! | sent, approved, rejected | draft or sent with a higher revision | rep, back office | content changed (sent again: the policy passes) |
//! | draft, needs approval, sent, approved | cancelled | rep, back office | |
//! | sent | approved | the customer's device | its approval of exactly the current revision, still valid |
//! | sent | rejected | the customer's device | |
//! | sent | expired | anyone | the validity has ended |
//! | approved | ordered | rep, back office | the approval holds for the current revision |
//! | ordered, cancelled, expired | (nothing) | | terminal |

use chrono::Days;

use super::{Actor, Facts, RefusalCode, Rule, no};
use crate::crdt::{DocId, Record};
use crate::quote::{ApprovalStatus, Quote, QuoteState, SignerAuth};
use crate::roles::DeviceRole;

use QuoteState as S;

/// Which edges of the state machine a role may take (content aside).
fn edge_allowed(role: Option<DeviceRole>, from: S, to: S) -> bool {
    let staff = !matches!(role, Some(DeviceRole::Customer));
    let customer = matches!(role, None | Some(DeviceRole::Customer));
    match (from, to) {
        (a, b) if a == b => true,
        (S::Draft, S::NeedsDiscountApproval | S::Sent | S::Cancelled) => staff,
        (S::NeedsDiscountApproval, S::Draft | S::Cancelled) => staff,
        (S::Sent | S::Approved | S::Rejected, S::Draft) => staff,
        (S::Sent | S::Approved, S::Cancelled) => staff,
        (S::Approved | S::Rejected, S::Sent) => staff,
        (S::Sent, S::Approved | S::Rejected) => customer,
        (S::Sent, S::Expired) => true,
        (S::Approved, S::Ordered) => staff,
        _ => false,
    }
}

fn content_changed(before: &Quote, after: &Quote) -> bool {
    before.revision_hash != after.revision_hash
}

pub(super) fn check(actor: &Actor<'_>, before: Option<&Quote>, after: &Quote, facts: &mut dyn Facts) -> Rule {
    match before {
        None => created(actor, after, facts)?,
        Some(b) => changed(actor, b, after, facts)?,
    }
    let was_sent = before.is_some_and(|b| b.state == S::Sent && !content_changed(b, after));
    if after.state == S::Sent && !was_sent {
        sending(actor, after, facts)?;
    }
    if after.state == S::NeedsDiscountApproval && before.is_none_or(|b| b.state != S::NeedsDiscountApproval) {
        match discount_of(after, facts)? {
            Some(r) if !r.decided() => {}
            _ => {
                return Err(no(
                    RefusalCode::IllegalTransition,
                    "a quote waits for a discount decision only with an undecided request",
                ));
            }
        }
    }
    approval(actor, before, after, facts)
}

fn created(actor: &Actor<'_>, q: &Quote, facts: &mut dyn Facts) -> Rule {
    if actor.is(DeviceRole::Customer) {
        return Err(no(RefusalCode::NotPermitted, "a customer cannot create quotes"));
    }
    if actor.is(DeviceRole::Rep) && q.rep != actor.person {
        return Err(no(RefusalCode::IdentityMismatch, "a quote is made under the rep's own name"));
    }
    // Any revision: a quote made, sent (as a PDF) and revised offline
    // reaches the hub first at its latest revision.
    if q.rejection_reason.is_some() {
        return Err(no(RefusalCode::InvalidRecord, "a new quote has no rejection"));
    }
    if !matches!(q.state, S::Draft | S::NeedsDiscountApproval | S::Sent | S::Cancelled) {
        return Err(no(RefusalCode::IllegalTransition, format!("a new quote cannot be {}", q.state)));
    }
    if q.approval.is_some() {
        return Err(no(RefusalCode::ApprovalInvalid, "a new quote carries no approval"));
    }
    if let Some(holder) = facts.number_holder(&q.number)?
        && holder != q.id
    {
        return Err(no(RefusalCode::NumberTaken, "the quote number is another quote's; renumber it"));
    }
    if let Some(Record::Discount(d)) = facts.record(&DocId::discount(&q.id))?
        && d.account_id != q.account_id
    {
        return Err(no(RefusalCode::Immutable, "the quote's discount request belongs to another account"));
    }
    Ok(())
}

fn changed(actor: &Actor<'_>, b: &Quote, a: &Quote, facts: &mut dyn Facts) -> Rule {
    if (&b.id, &b.number, &b.account_id, &b.rep, b.currency) != (&a.id, &a.number, &a.account_id, &a.rep, a.currency) {
        return Err(no(RefusalCode::Immutable, "a quote's number, account, rep and currency never change"));
    }
    if a.revision < b.revision {
        return Err(no(RefusalCode::Immutable, "a revision number never goes back"));
    }
    let content = content_changed(b, a);
    if actor.is(DeviceRole::Customer) {
        let mut same = a.clone();
        same.approval.clone_from(&b.approval);
        same.state = b.state;
        same.rejection_reason.clone_from(&b.rejection_reason);
        if same != *b {
            return Err(no(RefusalCode::NotPermitted, "a customer may only approve or reject a quote"));
        }
    }
    if !edge_allowed(actor.role, b.state, a.state) {
        return Err(no(RefusalCode::IllegalTransition, format!("a quote cannot move from {} to {}", b.state, a.state)));
    }
    match b.state {
        S::Ordered | S::Cancelled | S::Expired if content || a.revision != b.revision => {
            return Err(no(RefusalCode::Immutable, format!("a quote that is {} does not change", b.state)));
        }
        S::Sent | S::Approved | S::Rejected if content && a.revision == b.revision => {
            return Err(no(RefusalCode::Immutable, "changing a quote that was sent makes a new revision"));
        }
        _ => {}
    }
    if !content && a.revision != b.revision {
        return Err(no(RefusalCode::Immutable, "a new revision needs changed content"));
    }
    if !content
        && matches!(
            (b.state, a.state),
            (S::Sent | S::Approved | S::Rejected, S::Draft) | (S::Approved | S::Rejected, S::Sent)
        )
    {
        return Err(no(RefusalCode::IllegalTransition, "only a new revision goes back to draft or is sent again"));
    }
    // Leaving the wait for a decision needs the decision.
    if b.state == S::NeedsDiscountApproval
        && a.state == S::Draft
        && !discount_of(a, facts)?.is_some_and(|r| r.decided())
    {
        return Err(no(RefusalCode::IllegalTransition, "the discount request has not been decided"));
    }
    if a.state == S::Expired && b.state != S::Expired && actor.role.is_some() {
        let today = facts.now().date_naive();
        if today < a.valid_until {
            return Err(no(RefusalCode::IllegalTransition, "the quote is still valid"));
        }
    }
    if a.state == S::Approved && b.state != S::Approved && a.approval_status() != ApprovalStatus::Approved {
        return Err(no(
            RefusalCode::ApprovalInvalid,
            "a quote is approved only with an approval of its current revision",
        ));
    }
    if a.state == S::Ordered && b.state != S::Ordered && a.approval_status() != ApprovalStatus::Approved {
        return Err(no(RefusalCode::ApprovalInvalid, "only a quote approved in its current revision is ordered"));
    }
    if a.rejection_reason != b.rejection_reason
        && !(a.state == S::Rejected && b.state == S::Sent)
        && !(a.rejection_reason.is_none() && a.revision > b.revision)
    {
        return Err(no(RefusalCode::Immutable, "a rejection reason is given with the rejection only"));
    }
    Ok(())
}

fn discount_of(q: &Quote, facts: &mut dyn Facts) -> Result<Option<crate::quote::DiscountRequest>, super::Stop> {
    Ok(match facts.record(&DocId::discount(&q.id))? {
        Some(Record::Discount(d)) => Some(d.request),
        _ => None,
    })
}

/// What every send must pass: lines, validity, the margin floor and the
/// discount policy in force (above the limit only with a granted request
/// for at least this discount).
fn sending(actor: &Actor<'_>, q: &Quote, facts: &mut dyn Facts) -> Rule {
    // A line that counts: a quote of only unchosen options orders nothing.
    if !q.lines.iter().any(crate::quote::QuoteLine::counts) {
        return Err(no(RefusalCode::InvalidRecord, "a quote needs at least one line that counts to be sent"));
    }
    if q.sent_hash.as_deref() != Some(q.revision_hash.as_str()) {
        return Err(no(RefusalCode::InvalidRecord, "a sent quote names the revision hash it was sent with"));
    }
    if actor.role.is_some() {
        let today = facts.now().date_naive();
        if today > q.valid_until + Days::new(1) {
            return Err(no(RefusalCode::IllegalTransition, format!("the quote expired on {}", q.valid_until)));
        }
    }
    let policy = facts.policy()?;
    let today = facts.now().date_naive();
    let mut costs = Vec::with_capacity(q.lines.len());
    let mut prices = Vec::with_capacity(q.lines.len());
    for (i, l) in q.lines.iter().enumerate() {
        costs.push((l.sku.clone(), facts.cost(&l.sku)?));
        // The VAT rate is the hub's: the product's class under the
        // customer's treatment (a 0 % line needs an intra-Community supply
        // or an export).
        if actor.role.is_some()
            && !l.sku.is_empty()
            && let Some(rate) = facts.tax_rate(&q.account_id, &l.sku)?
            && rate != l.tax_rate_pct
        {
            return Err(no(
                RefusalCode::PriceMismatch,
                format!("line {}: VAT {} % where this customer's {} is {} %", i + 1, l.tax_rate_pct, l.sku, rate),
            ));
        }
        // Prices in force today are the hub's to judge by its clock; a
        // device's own send checked them for the day it was given.
        let price = if l.sku.is_empty() || actor.role.is_none() {
            None
        } else {
            facts.current_price(&q.account_id, l, today, q.currency)?
        };
        prices.push((l.sku.clone(), l.qty, price));
    }
    let cost = |sku: &str| costs.iter().find(|(s, _)| s.eq_ignore_ascii_case(sku)).and_then(|(_, c)| *c);
    let reference = |l: &crate::quote::QuoteLine| {
        prices.iter().find(|(s, q, _)| *s == l.sku && *q == l.qty).and_then(|(_, _, p)| *p)
    };
    // A lowered unit price counts as discount, against the prices in force.
    let check = policy.check_against(q, &cost, &reference);
    if let Some(line) = check.below_floor.first() {
        return Err(no(RefusalCode::BelowMarginFloor, format!("line {line} is below the minimum margin")));
    }
    if check.needs_approval {
        let granted = discount_of(q, facts)?
            .is_some_and(|r| r.approved == Some(true) && r.requested_pct >= check.max_effective_pct);
        if !granted {
            return Err(no(
                RefusalCode::DiscountApprovalRequired,
                format!(
                    "a discount of {} % exceeds the limit of {} % without a granted request",
                    check.max_effective_pct, check.limit_pct
                ),
            ));
        }
    }
    Ok(())
}

/// Approvals: only from the customer side (the customer's own device, or
/// the hub for a link), for exactly the current revision of a sent quote,
/// and never rewritten or removed.
fn approval(actor: &Actor<'_>, before: Option<&Quote>, after: &Quote, facts: &mut dyn Facts) -> Rule {
    let old = before.and_then(|b| b.approval.as_ref());
    if old == after.approval.as_ref() {
        return Ok(());
    }
    let Some(new) = &after.approval else {
        return Err(no(RefusalCode::ApprovalInvalid, "an approval is never removed"));
    };
    if let (Some(b), Some(o)) = (before, old)
        && o.revision_hash == b.revision_hash
    {
        return Err(no(RefusalCode::ApprovalInvalid, "an approval that holds is never rewritten"));
    }
    match actor.role {
        Some(DeviceRole::Customer) => {
            if new.device_id != actor.device_id
                || new.auth != SignerAuth::CustomerDevice
                || new.client_address.is_some()
            {
                return Err(no(RefusalCode::ApprovalInvalid, "an approval names the customer's own device"));
            }
            let now = facts.now();
            if new.device_time > now + chrono::Duration::days(1) {
                return Err(no(RefusalCode::ApprovalInvalid, "an approval cannot be dated in the future"));
            }
            if now.date_naive() > after.valid_until + Days::new(1) {
                return Err(no(RefusalCode::ApprovalInvalid, format!("the quote expired on {}", after.valid_until)));
            }
        }
        Some(_) => {
            return Err(no(
                RefusalCode::ApprovalInvalid,
                "approvals come from the customer's side: their own device or the approval link",
            ));
        }
        None => {}
    }
    let Some(b) = before else {
        return Err(no(RefusalCode::ApprovalInvalid, "a new quote carries no approval"));
    };
    if new.quote_id != after.id || new.revision_hash != after.revision_hash || content_changed(b, after) {
        return Err(no(
            RefusalCode::ApprovalInvalid,
            format!("the approval is not for the current revision {}", after.revision),
        ));
    }
    if !(b.state == S::Sent && after.state == S::Approved) {
        return Err(no(RefusalCode::ApprovalInvalid, "only a sent quote is approved"));
    }
    Ok(())
}
