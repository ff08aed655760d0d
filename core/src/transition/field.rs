//! Accounts with their contacts, and activities.

use std::collections::HashMap;

use super::{Actor, RefusalCode, Rule, no};
use crate::activity::Activity;
use crate::crdt::{AccountRecord, ActivitiesRecord, PersonRecord};
use crate::roles::DeviceRole;

/// Customers change no account; reps change neither the customer group
/// (it selects the prices), the assigned rep nor the VAT ID's confirmation,
/// and delete neither the account nor its contacts (the back office does,
/// ADR 17).
pub(super) fn account(actor: &Actor<'_>, before: Option<&AccountRecord>, after: &AccountRecord) -> Rule {
    if actor.is(DeviceRole::Customer) {
        return Err(no(RefusalCode::NotPermitted, "a customer cannot change accounts or contacts"));
    }
    // A recorded confirmation is of a VAT ID with valid check digits.
    let confirmed = &after.account.vat_confirmation;
    if let Some(c) = confirmed
        && before.is_none_or(|b| b.account.vat_confirmation.as_ref() != Some(c))
        && let Err(e) = crate::vat::check_vat_id(&c.vat_id)
    {
        return Err(no(RefusalCode::InvalidRecord, format!("the VAT confirmation: {e}")));
    }
    if !actor.is(DeviceRole::Rep) {
        return Ok(());
    }
    // A VAT ID's confirmation comes from the back office's online check.
    if before.map_or(&None, |b| &b.account.vat_confirmation) != &after.account.vat_confirmation {
        return Err(no(RefusalCode::NotPermitted, "only the back office records a VAT ID's confirmation"));
    }
    let Some(before) = before else {
        return Ok(());
    };
    if before.deleted != after.deleted {
        return Err(no(RefusalCode::DeletionForbidden, "only the back office deletes or restores an account"));
    }
    if before.account.customer_group != after.account.customer_group {
        return Err(no(RefusalCode::NotPermitted, "the customer group is the back office's to change"));
    }
    if before.account.assigned_rep != after.account.assigned_rep {
        return Err(no(RefusalCode::NotPermitted, "accounts are assigned by the back office"));
    }
    if before.contacts.iter().any(|c| !after.contacts.iter().any(|a| a.id == c.id)) {
        return Err(no(RefusalCode::DeletionForbidden, "only the back office removes contacts"));
    }
    Ok(())
}

/// A person document (ADR 24): customers change none; reps add and edit
/// contacts but neither remove nor restore them, and the activities in it
/// follow the rules of [`activities`].
pub(super) fn person(actor: &Actor<'_>, before: Option<&PersonRecord>, after: &PersonRecord) -> Rule {
    if actor.is(DeviceRole::Customer) {
        return Err(no(RefusalCode::NotPermitted, "a customer cannot change accounts or contacts"));
    }
    if !actor.is(DeviceRole::Rep) {
        return Ok(());
    }
    if before.is_some_and(|b| b.deleted != after.deleted) || (before.is_none() && after.deleted) {
        return Err(no(RefusalCode::DeletionForbidden, "only the back office removes contacts"));
    }
    activity_list(actor, before.map(|b| b.activities.as_slice()), &after.activities)
}

/// Customers log nothing; a rep logs under their own person and changes or
/// removes only their own activities.
pub(super) fn activities(actor: &Actor<'_>, before: Option<&ActivitiesRecord>, after: &ActivitiesRecord) -> Rule {
    if actor.is(DeviceRole::Customer) {
        return Err(no(RefusalCode::NotPermitted, "a customer cannot log activities"));
    }
    if !actor.is(DeviceRole::Rep) {
        return Ok(());
    }
    activity_list(actor, before.map(|b| b.activities.as_slice()), &after.activities)
}

fn activity_list(actor: &Actor<'_>, before: Option<&[Activity]>, after: &[Activity]) -> Rule {
    let old: HashMap<&str, &Activity> =
        before.map(|b| b.iter().map(|a| (a.id.as_str(), a)).collect()).unwrap_or_default();
    for a in after {
        match old.get(a.id.as_str()) {
            Some(o) if *o == a => {}
            Some(o) if o.by != actor.person => {
                return Err(no(RefusalCode::NotPermitted, "a rep changes only the activities they logged"));
            }
            _ if a.by != actor.person => {
                return Err(no(RefusalCode::IdentityMismatch, "an activity is logged under the rep's own name"));
            }
            _ => {}
        }
    }
    for (id, o) in &old {
        if !after.iter().any(|a| a.id == *id) && o.by != actor.person {
            return Err(no(RefusalCode::DeletionForbidden, "a rep removes only the activities they logged"));
        }
    }
    Ok(())
}
