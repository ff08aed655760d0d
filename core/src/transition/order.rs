//! Orders: from an approved quote with exactly its content, or a reorder of
//! an existing order of the same account at the prices in force; an order
//! never changes once placed.

use chrono::Duration;

use super::{Actor, Facts, RefusalCode, Rule, no};
use crate::crdt::{DocId, Record};
use crate::quote::{ApprovalStatus, Order, QuoteState};
use crate::roles::DeviceRole;

/// How old a reorder made offline may be when it reaches the hub.
const REORDER_MAX_AGE_DAYS: i64 = 62;

pub(super) fn check(actor: &Actor<'_>, before: Option<&Order>, after: &Order, facts: &mut dyn Facts) -> Rule {
    if before.is_some() {
        return Err(no(RefusalCode::Immutable, "an order does not change once placed"));
    }
    match (&after.quote_id, &after.reorder_of) {
        (Some(q), None) => from_quote(actor, q, after, facts),
        (None, Some(o)) => reorder(actor, o, after, facts),
        _ => Err(no(RefusalCode::OrderUnbacked, "an order comes from one quote or reorders one order")),
    }
}

fn from_quote(actor: &Actor<'_>, quote_id: &str, order: &Order, facts: &mut dyn Facts) -> Rule {
    if actor.is(DeviceRole::Customer) {
        return Err(no(RefusalCode::NotPermitted, "a customer places reorders; the rep turns a quote into an order"));
    }
    let Some(Record::Quote(q)) = facts.record(&DocId::quote(quote_id))? else {
        return Err(no(RefusalCode::OrderUnbacked, "the order's quote does not exist"));
    };
    if q.account_id != order.account_id {
        return Err(no(RefusalCode::OrderUnbacked, "the order's quote belongs to another account"));
    }
    // The quote's own change to `Ordered` may reach the hub in a later
    // frame than the order (the Automerge sync protocol sends a document's
    // changes once it knows what the hub lacks, a round later after a Bloom
    // filter false positive): an approved quote not yet marked ordered
    // backs the order too. One order per quote still holds (below).
    if !matches!(q.state, QuoteState::Approved | QuoteState::Ordered) || q.approval_status() != ApprovalStatus::Approved
    {
        return Err(no(RefusalCode::OrderUnbacked, "only an approved quote becomes an order"));
    }
    if q.ordered_lines() != order.lines
        || q.header_discount_pct != order.header_discount_pct
        || q.currency != order.currency
    {
        return Err(no(RefusalCode::OrderUnbacked, "the order differs from the approved quote"));
    }
    if let Some(other) = facts.order_of_quote(quote_id)?
        && other != order.id
    {
        return Err(no(RefusalCode::OrderUnbacked, "the quote was ordered already"));
    }
    Ok(())
}

fn reorder(actor: &Actor<'_>, original_id: &str, order: &Order, facts: &mut dyn Facts) -> Rule {
    let Some(Record::Order(original)) = facts.record(&DocId::order(original_id))? else {
        return Err(no(RefusalCode::OrderUnbacked, "the reordered order does not exist"));
    };
    if original.account_id != order.account_id {
        return Err(no(RefusalCode::OrderUnbacked, "the reordered order belongs to another account"));
    }
    if order.currency != original.currency || !order.header_discount_pct.is_zero() {
        return Err(no(RefusalCode::OrderUnbacked, "a reorder is in the original currency without a header discount"));
    }
    let day = order.created_at.date_naive();
    if actor.role.is_some() {
        let now = facts.now();
        if order.created_at > now + Duration::days(1) || order.created_at < now - Duration::days(REORDER_MAX_AGE_DAYS) {
            return Err(no(RefusalCode::OrderUnbacked, "the reorder's date is implausible"));
        }
    }
    for (i, l) in order.lines.iter().enumerate() {
        let n = i + 1;
        let Some(o) = original
            .lines
            .iter()
            .find(|o| o.sku.eq_ignore_ascii_case(&l.sku) && (!l.sku.is_empty() || o.name == l.name))
        else {
            return Err(no(RefusalCode::OrderUnbacked, format!("line {n} is not on the reordered order")));
        };
        if (&o.name, &o.unit, &o.category, o.c_part, o.tax_rate_pct)
            != (&l.name, &l.unit, &l.category, l.c_part, l.tax_rate_pct)
            || !l.discount_pct.is_zero()
        {
            return Err(no(RefusalCode::OrderUnbacked, format!("line {n} differs from the reordered item")));
        }
        // The prices in force are the hub's to judge; a device's own reorder
        // priced its lines for the day it was given.
        let price = if l.sku.is_empty() {
            Some(o.unit_price)
        } else if actor.role.is_none() {
            Some(l.unit_price)
        } else {
            facts.current_price(&order.account_id, l, day, order.currency)?
        };
        match price {
            None => return Err(no(RefusalCode::OrderUnbacked, format!("line {n}: the product is no longer offered"))),
            Some(p) if p != l.unit_price => {
                return Err(no(
                    RefusalCode::PriceMismatch,
                    format!("line {n}: the price in force is {p}, not {}", l.unit_price),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
