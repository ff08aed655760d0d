//! Field data created on devices: accounts (customer companies) and their
//! contacts, the people of the buying center.
//!
//! In this version they live in plain tables behind the store's repository
//! API; a later version makes Automerge documents their source of truth and
//! keeps the tables as projections, without changing this API.

use serde::{Deserialize, Serialize};

use crate::ids::{Timestamp, check_id};
use crate::rules;
use crate::rules::{FieldError, Result};

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `DE`.
    pub country: String,
}

/// A customer company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Account {
    /// Stable id (a UUID, made on the device that created the account).
    pub id: String,
    /// Company name, e.g. `Müller Maschinenbau`.
    pub name: String,
    /// Legal form, e.g. `GmbH`, `GmbH & Co. KG`, `AG`.
    pub legal_form: Option<String>,
    /// Number of employees, if known.
    pub employees: Option<u32>,
    /// Industry, e.g. `Maschinenbau`.
    pub industry: Option<String>,
    /// Where invoices go.
    pub billing_address: Address,
    /// Where goods go, if not the billing address.
    pub shipping_address: Option<Address>,
    /// VAT identification number, e.g. `DE123456789`.
    pub vat_id: Option<String>,
    /// Customer group that selects group price lists, e.g. `A`.
    pub customer_group: Option<String>,
    /// Id of the rep the account is assigned to.
    pub assigned_rep: Option<String>,
    /// Custom attributes for scoring and segmentation, e.g. `annual_revenue`,
    /// `equipment` (a list separated by `;`), `region`. Always written, also
    /// empty, so that every replica edits the same map (ADR 15).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub attributes: std::collections::HashMap<String, String>,
    /// The confirmation of an online check of the VAT ID (the Federal
    /// Central Tax Office's or VIES's), when the back office has one; only
    /// the back office records it (ADR 25).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub vat_confirmation: Option<VatConfirmation>,
}

/// A qualified confirmation of a customer's VAT ID, as the back office got
/// it from an online check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct VatConfirmation {
    /// The VAT ID that was confirmed (it holds while the account has it).
    pub vat_id: String,
    /// The day of the check.
    pub confirmed_on: chrono::NaiveDate,
    /// The check's reference, e.g. the VIES consultation number.
    pub reference: String,
}

/// A contact's role in the buying center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum BuyingRole {
    /// Makes the final decision.
    DecisionMaker,
    /// Shapes the decision (e.g. engineering).
    Influencer,
    /// Uses the product.
    User,
    /// Controls access and information (e.g. assistant, purchasing clerk).
    Gatekeeper,
    /// Owns the budget.
    BudgetHolder,
}

impl BuyingRole {
    /// All roles, in display order.
    pub const ALL: [BuyingRole; 5] = [
        BuyingRole::DecisionMaker,
        BuyingRole::Influencer,
        BuyingRole::User,
        BuyingRole::Gatekeeper,
        BuyingRole::BudgetHolder,
    ];

    /// The stored and serialized name, e.g. `decision_maker`.
    pub fn as_str(self) -> &'static str {
        match self {
            BuyingRole::DecisionMaker => "decision_maker",
            BuyingRole::Influencer => "influencer",
            BuyingRole::User => "user",
            BuyingRole::Gatekeeper => "gatekeeper",
            BuyingRole::BudgetHolder => "budget_holder",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self> {
        BuyingRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| FieldError::new("buying role", "unknown role"))
    }
}

/// Whether and how a contact agreed to (or withdrew from) marketing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MarketingConsent {
    /// `true` if consent is given, `false` if it was refused or withdrawn.
    pub granted: bool,
    /// When the contact said so.
    pub at: Timestamp,
    /// How it was recorded, e.g. `trade fair form`, `web double opt-in`.
    pub source: String,
}

/// A person at a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Contact {
    /// Stable id (a UUID).
    pub id: String,
    /// The account the contact belongs to.
    pub account_id: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Role in the buying center.
    pub role: BuyingRole,
    /// Job title, e.g. `Einkaufsleiterin`.
    pub title: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number, free form.
    pub phone: Option<String>,
    /// Marketing consent, `None` if never asked.
    pub consent: Option<MarketingConsent>,
    /// How letters address the contact; `None`: neutrally, by full name
    /// ("Guten Tag Kim Weiß,"), as for a person who has not said.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub salutation: Option<Salutation>,
}

/// The form of address of a contact in letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Salutation {
    /// "Sehr geehrte Frau …," / "Dear Ms …,".
    Ms,
    /// "Sehr geehrter Herr …," / "Dear Mr …,".
    Mr,
}

impl Salutation {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Salutation::Ms => "ms",
            Salutation::Mr => "mr",
        }
    }

    /// The stored name read back.
    pub fn parse(s: &str) -> Option<Salutation> {
        match s {
            "ms" => Some(Salutation::Ms),
            "mr" => Some(Salutation::Mr),
            _ => None,
        }
    }
}

impl Address {
    fn validate(&self) -> Result<()> {
        rules::line("street", &self.street, 200, false)?;
        rules::line("postal code", &self.postal_code, 20, false)?;
        rules::line("city", &self.city, 100, false)?;
        if !(self.country.is_empty()
            || (self.country.len() == 2 && self.country.chars().all(|c| c.is_ascii_uppercase())))
        {
            return Err(FieldError::new("country", "must be an ISO code such as DE"));
        }
        Ok(())
    }
}

/// A VAT ID's shape: a country prefix and 2–13 letters or digits.
fn vat_id_shape(v: &str) -> Result<()> {
    let chars: Vec<char> = v.chars().collect();
    let ok = (4..=15).contains(&chars.len())
        && chars[..2].iter().all(char::is_ascii_uppercase)
        && chars[2..].iter().all(char::is_ascii_alphanumeric);
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("VAT ID", "must be a country prefix and 2-13 letters or digits, e.g. DE123456789"))
    }
}

impl Account {
    /// The VAT confirmation if it is for the VAT ID the account has now.
    pub fn vat_confirmed(&self) -> Option<&VatConfirmation> {
        let norm = |v: &str| v.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
        let id = norm(self.vat_id.as_deref()?);
        self.vat_confirmation.as_ref().filter(|c| norm(&c.vat_id) == id)
    }

    /// Checks the rules every account obeys.
    pub fn validate(&self) -> Result<()> {
        check_id("account id", &self.id)?;
        if let Some(c) = &self.vat_confirmation {
            // Its check digits are checked by the transition rules (the
            // VAT module sits beside this one).
            vat_id_shape(&c.vat_id)?;
            rules::line("VAT confirmation reference", &c.reference, 80, true)?;
        }
        rules::line("company name", &self.name, 200, true)?;
        rules::opt_line("legal form", &self.legal_form, 50)?;
        rules::opt_line("industry", &self.industry, 100)?;
        rules::opt_line("customer group", &self.customer_group, 64)?;
        rules::opt_line("assigned rep", &self.assigned_rep, 64)?;
        if self.attributes.len() > 100 {
            return Err(FieldError::new("attributes", "at most 100 per account"));
        }
        for (k, v) in &self.attributes {
            rules::line("attribute name", k, 64, true)?;
            rules::line("attribute value", v, 500, false)?;
        }
        if self.employees.is_some_and(|e| e > 10_000_000) {
            return Err(FieldError::new("employees", "is implausibly large"));
        }
        self.billing_address.validate()?;
        if let Some(a) = &self.shipping_address {
            a.validate()?;
        }
        if let Some(v) = &self.vat_id {
            vat_id_shape(v)?;
        }
        Ok(())
    }
}

impl Contact {
    /// Checks the rules every contact obeys.
    pub fn validate(&self) -> Result<()> {
        check_id("contact id", &self.id)?;
        check_id("account id", &self.account_id)?;
        rules::line("first name", &self.first_name, 100, false)?;
        rules::line("last name", &self.last_name, 100, true)?;
        rules::opt_line("title", &self.title, 100)?;
        rules::opt_line("phone", &self.phone, 40)?;
        if let Some(e) = &self.email {
            rules::email("email", e)?;
        }
        if let Some(c) = &self.consent {
            rules::line("consent source", &c.source, 200, true)?;
        }
        Ok(())
    }

    /// "First Last".
    pub fn full_name(&self) -> String {
        if self.first_name.is_empty() {
            self.last_name.clone()
        } else {
            format!("{} {}", self.first_name, self.last_name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::ids::new_id;
    use chrono::Utc;

    fn contact() -> Contact {
        Contact { email: Some("anna.weiss@example.de".into()), ..fixtures::contact(&new_id(), &new_id()) }
    }

    #[test]
    fn email_and_consent_rules() {
        assert!(contact().validate().is_ok());
        for bad in ["anna", "@x.de", "a@b", "a b@c.de", "a@.de"] {
            let mut c = contact();
            c.email = Some(bad.into());
            let err = c.validate().err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("email"), "{bad}: {err}");
            assert!(!err.contains(bad), "error must not echo personal data");
        }
        let mut c = contact();
        c.consent = Some(MarketingConsent { granted: true, at: Utc::now(), source: " ".into() });
        assert!(c.validate().is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in BuyingRole::ALL {
            assert_eq!(BuyingRole::parse(r.as_str()).ok(), Some(r));
        }
        assert!(BuyingRole::parse("ceo").is_err());
    }

    #[test]
    fn vat_id_rules() {
        let mut a = Account {
            billing_address: Address::default(),
            vat_id: Some("DE123456789".into()),
            ..fixtures::account(&new_id())
        };
        assert!(a.validate().is_ok());
        for bad in ["123", "aÜ12345", "DE 1234"] {
            a.vat_id = Some(bad.into());
            assert!(a.validate().is_err(), "{bad}");
        }
        a.vat_id = None;
        a.billing_address.country = "Germany".into();
        assert!(a.validate().is_err());
    }

    #[test]
    fn a_vat_confirmation_holds_for_the_vat_id_it_confirmed() {
        let confirmation = VatConfirmation {
            vat_id: "DE136695976".into(),
            confirmed_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
            reference: "WAPIAAAAZ1Vy3GQd".into(),
        };
        let mut a = Account { vat_id: Some("DE136695976".into()), ..fixtures::account(&new_id()) };
        a.vat_confirmation = Some(confirmation.clone());
        assert!(a.validate().is_ok());
        assert_eq!(a.vat_confirmed(), Some(&confirmation));
        a.vat_id = Some("DE 136 695 976".into());
        assert_eq!(a.vat_confirmed(), Some(&confirmation), "spacing aside");
        a.vat_id = Some("DE129273398".into());
        assert_eq!(a.vat_confirmed(), None, "the account's VAT ID changed since");
        a.vat_confirmation = Some(VatConfirmation { vat_id: "136695977".into(), ..confirmation.clone() });
        assert_eq!(a.validate().unwrap_err().field, "VAT ID", "no country prefix");
        a.vat_confirmation = Some(VatConfirmation { reference: " ".into(), ..confirmation });
        assert!(a.validate().is_err(), "a reference is required");
    }
}
