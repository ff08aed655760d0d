//! What each role may change, checked by the hub on every merged record
//! before it is stored (the brief: "the server checks every incoming change
//! against the role"). A refused change refuses the whole frame.

use crate::docs::Record;
use crate::quote::QuoteState;

/// The role of the person behind a device (from the device's token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum DeviceRole {
    /// The back office: may change anything in scope.
    #[default]
    Admin,
    /// A field rep: may change accounts, activities, quotes and orders in
    /// scope, but not decide a discount request.
    Rep,
    /// A customer: may approve or reject a quote sent to them and place
    /// reorders, nothing else.
    Customer,
}

impl DeviceRole {
    /// The role's name: `admin`, `rep` or `customer`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::Admin => "admin",
            DeviceRole::Rep => "rep",
            DeviceRole::Customer => "customer",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<DeviceRole> {
        match s {
            "admin" => Some(DeviceRole::Admin),
            "rep" => Some(DeviceRole::Rep),
            "customer" => Some(DeviceRole::Customer),
            _ => None,
        }
    }
}

/// Whether `role` may turn `before` (what the hub had) into `after` (the
/// merged record). `Err` says why not, in words without personal data.
pub(crate) fn check_change(role: DeviceRole, before: Option<&Record>, after: &Record) -> Result<(), String> {
    match role {
        DeviceRole::Admin => Ok(()),
        DeviceRole::Rep => match (before, after) {
            (before, Record::Quote(q)) => {
                let old = before.and_then(|b| match b {
                    Record::Quote(q) => q.discount_request.as_ref(),
                    _ => None,
                });
                let new = q.discount_request.as_ref();
                let decision = |r: Option<&crate::quote::DiscountRequest>| {
                    r.map(|r| (r.decided_by.clone(), r.approved, r.decided_at))
                };
                let undecided = decision(new).is_none_or(|d| d == (None, None, None));
                if decision(old) != decision(new) && !undecided {
                    return Err("a rep cannot decide a discount request".into());
                }
                Ok(())
            }
            _ => Ok(()),
        },
        DeviceRole::Customer => match (before, after) {
            (Some(Record::Quote(b)), Record::Quote(a)) => {
                let mut same = a.clone();
                same.approval.clone_from(&b.approval);
                same.state = b.state;
                same.rejection_reason.clone_from(&b.rejection_reason);
                if same != *b {
                    return Err("a customer may only approve or reject a quote".into());
                }
                if a.state != b.state
                    && !(b.state == QuoteState::Sent
                        && matches!(a.state, QuoteState::Approved | QuoteState::Rejected | QuoteState::Expired))
                {
                    return Err("a customer may only approve or reject a quote that was sent".into());
                }
                Ok(())
            }
            (None, Record::Order(o)) if o.reorder_of.is_some() && o.quote_id.is_none() => Ok(()),
            (None, Record::Order(_)) => Err("a customer may only place reorders".into()),
            (None, Record::Quote(_)) => Err("a customer cannot create quotes".into()),
            (Some(b), a) if b == a => Ok(()),
            _ => Err("a customer cannot change accounts, activities or orders".into()),
        },
    }
}
