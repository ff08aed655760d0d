//! What a device may see and change: the scope the hub sets from the
//! device's registry record (its role, its person, its accounts).

use std::collections::BTreeSet;

use crate::roles::DeviceRole;

/// What a device may see: set by the hub from the device's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceScope {
    /// The authenticated device.
    pub device_id: String,
    /// The person behind it, from the hub's registry: the transition rules
    /// compare names written into records with it.
    pub person: String,
    /// Accounts it may see; `None` for all (an admin).
    pub accounts: Option<BTreeSet<String>>,
    /// Whether product costs (the margin floor) are sent; never to customers.
    pub include_costs: bool,
    /// What the person behind the device may change.
    pub role: DeviceRole,
}

impl DeviceScope {
    /// Everything (the back office).
    pub fn all(device_id: &str) -> DeviceScope {
        DeviceScope {
            device_id: device_id.to_string(),
            person: String::new(),
            accounts: None,
            include_costs: true,
            role: DeviceRole::Admin,
        }
    }

    /// The actor the transition rules judge this device's changes as.
    pub fn actor(&self) -> crate::transition::Actor<'_> {
        crate::transition::Actor { role: Some(self.role), person: &self.person, device_id: &self.device_id }
    }

    /// Which reference data the device receives (ADR 17): the back office
    /// everything; a rep the group price lists and the customer-specific
    /// lists of their own accounts, the policy, and costs once they have
    /// an account to quote for; a customer only their own account's and
    /// group's prices, and never the policy, costs or marketing data.
    ///
    /// `customer_group` and `serving_reps` are what the hub looked up for a
    /// customer's account: its group, and the reps assigned to it (whose
    /// profiles it receives).
    pub fn audience<'a>(
        &'a self,
        customer_group: Option<&'a str>,
        serving_reps: &'a BTreeSet<String>,
    ) -> crate::release::CatalogAudience<'a> {
        use crate::release::CatalogAudience as A;
        match (self.role, &self.accounts) {
            (DeviceRole::Customer, _) => {
                A::Customer { customer: self.customer().unwrap_or_default(), group: customer_group, reps: serving_reps }
            }
            (DeviceRole::Admin, _) | (DeviceRole::Rep, None) => A::Everything { costs: self.include_costs },
            (DeviceRole::Rep, Some(accounts)) => A::Rep { accounts, costs: self.include_costs && !accounts.is_empty() },
        }
    }

    /// Whether documents of `account_id` are visible.
    pub fn allows(&self, account_id: &str) -> bool {
        self.accounts.as_ref().is_none_or(|a| a.contains(account_id))
    }

    /// Whether a document of `kind` belonging to `account_id` is visible.
    pub fn allows_doc(&self, kind: crate::crdt::DocKind, account_id: &str) -> bool {
        self.allows_kind(kind) && self.allows(account_id)
    }

    /// Whether documents of `kind` are visible at all: a customer never
    /// receives activities (the reps' notes), discount requests (the
    /// reps' internal reasons and the back office's decisions) or person
    /// documents (the buying center as the reps see it, with their notes).
    pub fn allows_kind(&self, kind: crate::crdt::DocKind) -> bool {
        use crate::crdt::DocKind as K;
        match self.role {
            DeviceRole::Customer => !matches!(kind, K::Activities | K::Discount | K::Person),
            DeviceRole::Admin | DeviceRole::Rep => true,
        }
    }

    /// The customer's account, for a customer's device (its reference data
    /// leaves out other customers' price lists).
    pub fn customer(&self) -> Option<&str> {
        match (self.role, &self.accounts) {
            (DeviceRole::Customer, Some(a)) if a.len() == 1 => a.iter().next().map(String::as_str),
            _ => None,
        }
    }

    /// The scope the back office grants a registered device: an admin sees
    /// everything; a rep the accounts assigned to them (`assigned`); a
    /// customer their own account, without product costs.
    pub fn for_device(device: &crate::devices::DeviceRecord, assigned: BTreeSet<String>) -> DeviceScope {
        let (accounts, include_costs) = match device.role {
            DeviceRole::Admin => (None, true),
            DeviceRole::Rep => (Some(assigned), true),
            DeviceRole::Customer => (Some(device.account_id.iter().cloned().collect()), false),
        };
        DeviceScope {
            device_id: device.device_id.clone(),
            person: device.person.clone(),
            accounts,
            include_costs,
            role: device.role,
        }
    }
}
