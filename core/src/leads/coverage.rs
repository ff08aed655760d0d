//! Buying-center coverage: which roles are known at an account, which are
//! missing, and a hint when too few people are.

use serde::Serialize;

use crate::account::{BuyingRole, Contact};

/// Which buying-center roles are known at an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Coverage {
    /// Roles with at least one person.
    pub known: Vec<BuyingRole>,
    /// Roles nobody fills yet.
    pub missing: Vec<BuyingRole>,
    /// People identified.
    pub people: u32,
    /// A hint when fewer than three people are identified.
    pub hint: Option<String>,
}

/// Buying-center coverage of an account's contacts.
pub fn coverage(contacts: &[Contact]) -> Coverage {
    let known: Vec<BuyingRole> =
        BuyingRole::ALL.into_iter().filter(|r| contacts.iter().any(|c| c.role == *r)).collect();
    let missing: Vec<BuyingRole> = BuyingRole::ALL.into_iter().filter(|r| !known.contains(r)).collect();
    let people = contacts.len() as u32;
    let hint = (people < 3).then(|| {
        let names: Vec<&str> = missing.iter().map(|r| role_words(*r)).collect();
        format!(
            "only {people} {} identified: a B2B decision involves more; find the {}",
            if people == 1 { "person" } else { "people" },
            names.join(", ")
        )
    });
    Coverage { known, missing, people, hint }
}

/// A role in plain words.
pub fn role_words(role: BuyingRole) -> &'static str {
    match role {
        BuyingRole::DecisionMaker => "decision maker",
        BuyingRole::Influencer => "influencer",
        BuyingRole::User => "user",
        BuyingRole::Gatekeeper => "gatekeeper",
        BuyingRole::BudgetHolder => "budget holder",
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::contact;
    use super::*;

    #[test]
    fn coverage_names_missing_roles_and_hints_below_three_people() {
        let mut two = vec![contact("a", "x", false), contact("b", "x", false)];
        two[1].role = BuyingRole::User;
        let c = coverage(&two);
        assert_eq!(c.known, vec![BuyingRole::DecisionMaker, BuyingRole::User]);
        assert_eq!(c.missing.len(), 3);
        assert!(c.hint.as_deref().unwrap().starts_with("only 2 people identified"), "{:?}", c.hint);
        two.push(contact("c", "x", false));
        assert_eq!(coverage(&two).hint, None);
    }
}
