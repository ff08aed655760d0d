//! Who sends the documents, in the store (ADR 26): the published company
//! profile, unit labels and rep profiles, read for every PDF; published by
//! the back office through the checked write of reference data.

use rusqlite::{Connection, OptionalExtension};

use super::Store;
use super::codec::json;
use crate::catalog::UnitLabel;
use crate::error::{Error, Result};
use crate::profile::{CompanyProfile, RepProfile};
use crate::release::{ReferenceData, Sequenced};

/// The published company profile, its logo's bytes read from the blob
/// the profile names (ADR 29); while the device has not fetched it yet,
/// `logo` is `None` and `logo_file` says what is missing.
pub(super) fn company_in(c: &Connection) -> Result<Option<CompanyProfile>> {
    let body: Option<String> =
        c.query_row("SELECT body FROM company_profile WHERE id = 1", [], |r| r.get(0)).optional()?;
    let Some(mut p) = body.map(|b| json::<CompanyProfile>("company profile", &b)).transpose()? else {
        return Ok(None);
    };
    if p.logo.is_none()
        && let Some(f) = &p.logo_file
    {
        p.logo = super::blobs::whole(c, &f.hash)?;
    }
    Ok(Some(p))
}

pub(super) fn units_in(c: &Connection) -> Result<Vec<UnitLabel>> {
    let body: Option<String> = c.query_row("SELECT body FROM unit_labels WHERE id = 1", [], |r| r.get(0)).optional()?;
    Ok(body.map(|b| json("unit labels", &b)).transpose()?.unwrap_or_default())
}

pub(super) fn rep_in(c: &Connection, rep: &str) -> Result<Option<RepProfile>> {
    let body: Option<String> =
        c.prepare_cached("SELECT body FROM rep_profiles WHERE rep = ?1")?.query_row([rep], |r| r.get(0)).optional()?;
    body.map(|b| json("rep profile", &b)).transpose()
}

impl Store {
    /// The published company profile; `None`: none was published, and
    /// documents print as samples.
    pub fn company_profile(&self) -> Result<Option<CompanyProfile>> {
        self.read(company_in)
    }

    /// The published unit labels (units without one print with the defaults).
    pub fn unit_labels(&self) -> Result<Vec<UnitLabel>> {
        self.read(units_in)
    }

    /// A rep's published profile.
    pub fn rep_profile(&self, rep: &str) -> Result<Option<RepProfile>> {
        self.read(|c| rep_in(c, rep))
    }

    /// Every published rep profile, by rep id.
    pub fn rep_profiles(&self) -> Result<Vec<RepProfile>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT body FROM rep_profiles ORDER BY rep")?;
            let bodies: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            bodies.iter().map(|b| json("rep profile", b)).collect()
        })
    }

    /// How VAT applies to goods for `account` sold by the published
    /// company (its country; the default seller country without a profile).
    pub fn tax_treatment(&self, account: &crate::account::Account) -> Result<crate::vat::TaxTreatment> {
        let seller = self.seller_country()?;
        Ok(crate::vat::treatment(&seller, account))
    }

    /// The seller's country: the published company's, else the default.
    pub fn seller_country(&self) -> Result<String> {
        let country = self.read(super::reference::seller_country_in)?;
        Ok(country.unwrap_or_else(|| crate::vat::DEFAULT_SELLER_COUNTRY.to_string()))
    }

    /// Publishes the company profile (back office): checked, then
    /// reference data under the next catalog sequence; returns it.
    pub fn set_company_profile(&self, profile: &CompanyProfile) -> Result<crate::catalog::Seq> {
        let data =
            ReferenceData { company_profile: Some(Sequenced { seq: 0, item: profile.clone() }), ..Default::default() };
        Ok(self.publish(&data)?.seq)
    }

    /// Publishes the unit labels, replacing the published ones whole.
    pub fn set_unit_labels(&self, labels: &[UnitLabel]) -> Result<crate::catalog::Seq> {
        let mut seen = std::collections::HashSet::new();
        if let Some(l) = labels.iter().find(|l| !seen.insert(l.unit.to_lowercase())) {
            return Err(Error::validation("unit", format!("{} is listed twice", l.unit)));
        }
        let data =
            ReferenceData { unit_labels: Some(Sequenced { seq: 0, item: labels.to_vec() }), ..Default::default() };
        Ok(self.publish(&data)?.seq)
    }

    /// Publishes a rep's profile (the hub's registry keeps it; devices
    /// receive it as reference data).
    pub fn set_rep_profile(&self, profile: &RepProfile) -> Result<crate::catalog::Seq> {
        let data =
            ReferenceData { rep_profiles: vec![Sequenced { seq: 0, item: profile.clone() }], ..Default::default() };
        Ok(self.publish(&data)?.seq)
    }

    /// Publishes a rep's profile again, under the next sequence (the rep
    /// was assigned to an account whose customers have not received it).
    pub fn republish_rep_profile(&self, rep: &str) -> Result<crate::catalog::Seq> {
        self.write(|tx| super::catalog::republish_rep_profile_in(tx, rep))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::release::CatalogAudience;
    use crate::store::tests::temp_store;

    fn rep(id: &str, name: &str) -> RepProfile {
        RepProfile { rep: id.into(), name: name.into(), title: None, phone: None, email: None }
    }

    #[test]
    fn profiles_are_published_travel_to_devices_and_customers_see_only_their_reps() -> Result<()> {
        let (_d, hub) = temp_store();
        assert_eq!(hub.company_profile()?, None, "none until published");
        let company = crate::fixtures::company_profile();
        let s1 = hub.set_company_profile(&company)?;
        assert_eq!(hub.set_company_profile(&company)?, s1, "the same profile again changes nothing");
        hub.set_rep_profile(&rep("rep-1", "Anna Berger"))?;
        hub.set_rep_profile(&rep("rep-2", "Ben Vogt"))?;
        hub.set_unit_labels(&[UnitLabel { unit: "pc".into(), de: "St.".into(), en: "ea".into() }])?;

        let (_e, device) = temp_store();
        device.apply_catalog_delta(&hub.catalog_changes_since(0)?)?;
        assert_eq!(device.company_profile()?, Some(company.clone()));
        assert_eq!(device.rep_profiles()?.len(), 2);
        assert_eq!(device.unit_labels()?[0].de, "St.");

        let reps: BTreeSet<String> = ["rep-2".to_string()].into();
        let customer = CatalogAudience::Customer { customer: "acc", group: None, reps: &reps };
        let (page, _) = hub.catalog_page(0, None, 100, &customer)?;
        let names: Vec<&str> = page.rep_profiles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Ben Vogt"], "a customer receives only its own rep's profile");
        assert_eq!(page.company_profile, Some(company), "and the sender");

        // Assigning rep-1 to the account later sends rep-1's profile again.
        let at = hub.catalog_seq()?;
        let seq = hub.republish_rep_profile("rep-1")?;
        assert_eq!(seq, at + 1);
        let reps: BTreeSet<String> = ["rep-1".to_string(), "rep-2".to_string()].into();
        let customer = CatalogAudience::Customer { customer: "acc", group: None, reps: &reps };
        let (page, _) = hub.catalog_page(at, None, 100, &customer)?;
        assert_eq!(page.rep_profiles.len(), 1);
        assert_eq!(page.rep_profiles[0].rep, "rep-1");
        assert_eq!(hub.republish_rep_profile("nobody")?, seq, "no profile, nothing to send");
        Ok(())
    }

    #[test]
    fn the_sellers_country_comes_from_the_published_profile() -> Result<()> {
        use crate::vat::TaxTreatment;
        let (_d, store) = temp_store();
        let mut vienna = crate::fixtures::account(crate::fixtures::ACCOUNT_ID);
        vienna.billing_address.country = "AT".into();
        vienna.vat_id = Some("ATU13585627".into());
        assert_eq!(store.tax_treatment(&vienna)?, TaxTreatment::IntraCommunity, "sold from Germany by default");
        let mut company = crate::fixtures::company_profile();
        (company.address.country, company.vat_id) = ("AT".into(), "ATU13585627".into());
        store.set_company_profile(&company)?;
        assert_eq!(store.tax_treatment(&vienna)?, TaxTreatment::Domestic, "an Austrian seller: domestic");
        let mut munich = vienna.clone();
        (munich.billing_address.country, munich.vat_id) = ("DE".into(), Some("DE136695976".into()));
        assert_eq!(store.tax_treatment(&munich)?, TaxTreatment::IntraCommunity);
        Ok(())
    }

    #[test]
    fn bad_profiles_are_refused_with_nothing_published() -> Result<()> {
        let (_d, hub) = temp_store();
        let mut company = crate::fixtures::company_profile();
        company.vat_id = "DE123456789".into();
        let err = hub.set_company_profile(&company).unwrap_err();
        assert!(err.to_string().contains("VAT ID"), "{err}");
        let err = hub.set_rep_profile(&rep("rep 1", "A")).unwrap_err();
        assert!(err.to_string().contains("rep"), "{err}");
        let twice = [
            UnitLabel { unit: "pc".into(), de: "St.".into(), en: "ea".into() },
            UnitLabel { unit: "PC".into(), de: "Stk.".into(), en: "pc".into() },
        ];
        assert!(hub.set_unit_labels(&twice).is_err());
        assert_eq!(hub.catalog_seq()?, 0, "nothing was published");
        assert_eq!(hub.company_profile()?, None);

        // A hostile delta with a broken profile is refused whole on a device.
        let (_e, device) = temp_store();
        let mut delta = crate::release::CatalogDelta { since: 0, to: 3, ..Default::default() };
        delta.company_profile = Some(company);
        assert!(device.apply_catalog_delta(&delta).is_err());
        assert_eq!(device.catalog_seq()?, 0);
        Ok(())
    }
}
