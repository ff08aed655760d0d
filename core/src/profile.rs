//! Who sends the documents: the company profile the back office publishes
//! (what a German business letter must state, its bank, its logo and
//! colour, the approval links' address) and the reps' profiles the hub's
//! registry keeps (name, title, phone, e-mail). Both travel to devices as
//! reference data (ADR 26); without a company profile a document says it
//! is a sample.

use serde::{Deserialize, Serialize};

use crate::account::Address;
use crate::rules::{self, FieldError, Result};

/// The company that sends every quote, datasheet and order confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct CompanyProfile {
    /// The company's name without its legal form, e.g. `Keller Befestigungstechnik`.
    pub name: String,
    /// Its legal form, e.g. `GmbH`, `AG`, `GmbH & Co. KG`, `e. K.`.
    pub legal_form: String,
    /// The registered office's address (its city is the seat printed).
    pub address: Address,
    /// The register court, e.g. `Amtsgericht Nürnberg` (required for
    /// companies in the commercial register).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub register_court: Option<String>,
    /// The register number, e.g. `HRB 12345`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub register_number: Option<String>,
    /// The company's VAT ID, e.g. `DE136695976` (checked like a customer's).
    pub vat_id: String,
    /// Every managing director (GmbH, UG) or board member (AG), as the
    /// letter must name them all.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = []))]
    pub managing_directors: Vec<String>,
    /// The chair of the supervisory board, if the company has one (AG).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub supervisory_board_chair: Option<String>,
    /// The main phone number.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub phone: Option<String>,
    /// The sales e-mail address.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<String>,
    /// The web site, e.g. `www.keller-befestigung.de`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub web: Option<String>,
    /// The bank account payments go to.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub bank: Option<BankAccount>,
    /// The logo as PNG or JPEG bytes (base64 in JSON), at most
    /// [`MAX_LOGO_BYTES`].
    #[serde(default, with = "base64_bytes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub logo: Option<Vec<u8>>,
    /// The published logo as a file (ADR 29): the store that publishes
    /// `logo` keeps its bytes as a blob and puts this reference in their
    /// place; devices fetch it with their first sync and keep it. Never
    /// given by a caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub logo_file: Option<crate::blob::BlobRef>,
    /// The accent colour of headings and rules, `#RRGGBB`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub accent_colour: Option<String>,
    /// A closing line printed under the terms, e.g. where the general
    /// terms and conditions can be read.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub footer: Option<String>,
    /// The hub's public address the approval links and QR codes point to,
    /// e.g. `https://angebote.keller-befestigung.de`.
    pub approval_base_url: String,
}

/// A bank account as printed on documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct BankAccount {
    /// The bank's name.
    pub bank: String,
    /// The IBAN (spaces allowed; checked with its check digits).
    pub iban: String,
    /// The BIC (8 or 11 characters).
    pub bic: String,
}

/// A rep as documents and the customer's phone show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct RepProfile {
    /// The rep's id in the registry (the `person` of their devices and the
    /// `rep` of their quotes).
    pub rep: String,
    /// Full name, e.g. `Anna Berger`.
    pub name: String,
    /// Job title, e.g. `Außendienst Region Süd`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub title: Option<String>,
    /// Business phone.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub phone: Option<String>,
    /// Business e-mail.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<String>,
}

/// The largest logo a profile may carry (the PDFs embed it in every document).
pub const MAX_LOGO_BYTES: usize = crate::blob::LOGO_MAX_BYTES as usize;

/// The words of legal forms whose companies are in the commercial
/// register, so their letters must state the register court and number
/// (§ 37a HGB, § 35a GmbHG, § 80 AktG, § 125a HGB): `GmbH`, `gGmbH`,
/// `UG (haftungsbeschränkt)`, `AG`, `KG`, `OHG`, `KGaA`, `SE`, `e. K.`, `eG`.
const REGISTERED: [&str; 11] = ["gmbh", "ggmbh", "ug", "ag", "kg", "ohg", "kgaa", "se", "e.k.", "ek", "eg"];

/// A legal form's words, lower case, `e. K.` written `e.k.`: `GmbH & Co. KG`
/// → `gmbh`, `co.`, `kg`.
fn form_words(form: &str) -> Vec<String> {
    let lower = form.to_lowercase().replace("e. k.", "e.k.").replace(['(', ')', '&', ','], " ");
    lower.split_whitespace().map(str::to_string).collect()
}

impl CompanyProfile {
    /// Checks what a German business letter needs and that every value can
    /// be printed: name and legal form, the seat's address, register court
    /// and number for registered forms, the managing directors of a GmbH,
    /// UG or AG, a valid VAT ID, IBAN and BIC, an https approval address.
    pub fn validate(&self) -> Result<()> {
        rules::line("company name", &self.name, 160, true)?;
        rules::line("legal form", &self.legal_form, 40, true)?;
        rules::line("street", &self.address.street, 200, true)?;
        rules::line("postal code", &self.address.postal_code, 20, true)?;
        rules::line("city", &self.address.city, 100, true)?;
        if self.address.country.len() != 2 || !self.address.country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(FieldError::new("country", "must be an ISO code such as DE"));
        }
        rules::opt_line("register court", &self.register_court, 100)?;
        rules::opt_line("register number", &self.register_number, 40)?;
        let words = form_words(&self.legal_form);
        let registered = words.iter().any(|w| REGISTERED.contains(&w.as_str()));
        if registered && (self.register_court.is_none() || self.register_number.is_none()) {
            return Err(FieldError::new("register court", "a registered company must state its court and number"));
        }
        if self.needs_directors() && self.managing_directors.is_empty() {
            return Err(FieldError::new("managing directors", "a GmbH, UG or AG must name every managing director"));
        }
        if self.managing_directors.len() > 12 {
            return Err(FieldError::new("managing directors", "at most 12"));
        }
        for d in &self.managing_directors {
            rules::line("managing director", d, 100, true)?;
        }
        rules::opt_line("supervisory board chair", &self.supervisory_board_chair, 100)?;
        crate::vat::check_vat_id(&self.vat_id)?;
        rules::opt_line("phone", &self.phone, 40)?;
        if let Some(e) = &self.email {
            rules::email("email", e)?;
        }
        rules::opt_line("web", &self.web, 100)?;
        if let Some(b) = &self.bank {
            b.validate()?;
        }
        if let Some(logo) = &self.logo {
            if logo.len() > MAX_LOGO_BYTES {
                return Err(FieldError::new("logo", format!("larger than {} KiB", MAX_LOGO_BYTES / 1024)));
            }
            if !(logo.starts_with(b"\x89PNG\r\n\x1a\n") || logo.starts_with(&[0xFF, 0xD8, 0xFF])) {
                return Err(FieldError::new("logo", "is not a PNG or JPEG image"));
            }
        }
        if let Some(f) = &self.logo_file {
            if f.kind != crate::blob::BlobKind::Logo {
                return Err(FieldError::new("logo", "its file is not a logo"));
            }
            f.validate()?;
        }
        if let Some(c) = &self.accent_colour
            && parse_colour(c).is_none()
        {
            return Err(FieldError::new("accent colour", "must be #RRGGBB"));
        }
        rules::opt_line("footer", &self.footer, 300)?;
        check_base_url(&self.approval_base_url)
    }

    /// Whether the legal form is one whose letters must name every
    /// managing director (GmbH, UG, also in a GmbH & Co. KG) or board
    /// member (AG, SE).
    fn needs_directors(&self) -> bool {
        form_words(&self.legal_form).iter().any(|w| ["gmbh", "ggmbh", "ug", "ag", "se"].contains(&w.as_str()))
    }

    /// Whether the managers are a board (AG, SE: `Vorstand`) rather than
    /// managing directors (`Geschäftsführung`).
    pub fn has_board(&self) -> bool {
        let words = form_words(&self.legal_form);
        words.iter().any(|w| w == "ag" || w == "se") && !words.iter().any(|w| w == "gmbh" || w == "kgaa")
    }

    /// `Keller Befestigungstechnik GmbH`.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.name.trim(), self.legal_form.trim())
    }

    /// The accent colour as RGB in 0..1, if one is set.
    pub fn accent_rgb(&self) -> Option<(f32, f32, f32)> {
        self.accent_colour.as_deref().and_then(parse_colour)
    }
}

impl BankAccount {
    fn validate(&self) -> Result<()> {
        rules::line("bank", &self.bank, 100, true)?;
        check_iban(&self.iban)?;
        check_bic(&self.bic)
    }

    /// The IBAN in groups of four, as printed: `DE89 3704 0044 0532 0130 00`.
    pub fn iban_printed(&self) -> String {
        let compact: String = self.iban.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        compact.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    }
}

impl RepProfile {
    /// Checks a rep profile: the registry's id, a name, printable values.
    pub fn validate(&self) -> Result<()> {
        rules::key("rep", &self.rep, 100)?;
        rules::line("rep name", &self.name, 100, true)?;
        rules::opt_line("rep title", &self.title, 100)?;
        rules::opt_line("rep phone", &self.phone, 40)?;
        if let Some(e) = &self.email {
            rules::email("rep email", e)?;
        }
        Ok(())
    }
}

/// `#1F4E79` → RGB in 0..1.
pub fn parse_colour(c: &str) -> Option<(f32, f32, f32)> {
    let hex = c.strip_prefix('#')?;
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(|b| f32::from(b) / 255.0);
    Some((byte(0)?, byte(2)?, byte(4)?))
}

/// An IBAN: two letters, two check digits, up to 30 letters and digits,
/// and the ISO 13616 check (the number read with letters as 10..35 is 1
/// modulo 97).
pub fn check_iban(iban: &str) -> Result<()> {
    let compact: String = iban.chars().filter(|c| *c != ' ').collect::<String>().to_uppercase();
    let bad = |why: &str| Err(FieldError::new("iban", why.to_string()));
    if !(15..=34).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return bad("must be 15 to 34 letters and digits");
    }
    let b = compact.as_bytes();
    if !b[..2].iter().all(u8::is_ascii_uppercase) || !b[2..4].iter().all(u8::is_ascii_digit) {
        return bad("must start with a country code and two check digits");
    }
    if compact.starts_with("DE") && compact.len() != 22 {
        return bad("a German IBAN has 22 characters");
    }
    let mut rem: u32 = 0;
    for c in compact[4..].chars().chain(compact[..4].chars()) {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    if rem == 1 { Ok(()) } else { bad("its check digits do not match") }
}

/// A BIC: four letters (bank), two (country), two letters or digits
/// (location), optionally three more (branch).
pub fn check_bic(bic: &str) -> Result<()> {
    let b = bic.trim().as_bytes();
    let ok = (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok { Ok(()) } else { Err(FieldError::new("bic", "must be 8 or 11 characters such as COBADEFFXXX")) }
}

/// The approval links' address: `https://` (or `http://` to a loopback
/// address, for tests and a hub on the same machine), a host, no query.
fn check_base_url(url: &str) -> Result<()> {
    let bad = || Err(FieldError::new("approval base url", "must be https://host[/path] without query or fragment"));
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let authority = r.split('/').next().unwrap_or_default();
        let host =
            if authority.starts_with("[::1]") { "[::1]" } else { authority.split(':').next().unwrap_or_default() };
        if !(host == "localhost" || host == "127.0.0.1" || host == "[::1]") {
            return bad();
        }
        r
    } else {
        return bad();
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || url.len() > 200 || url.contains(['?', '#', ' ', '"', '<', '>', '\\']) {
        return bad();
    }
    Ok(())
}

/// Serde for `Option<Vec<u8>>` as standard base64 text.
mod base64_bytes {
    use base64::Engine as _;
    use serde::Deserialize as _;

    pub fn serialize<S: serde::Serializer>(v: &Option<Vec<u8>>, s: S) -> std::result::Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&base64::engine::general_purpose::STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t.trim())
                .map_err(|e| serde::de::Error::custom(format!("logo: not base64 ({e})")))
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> CompanyProfile {
        crate::fixtures::company_profile()
    }

    #[test]
    fn a_complete_profile_is_valid_and_round_trips_through_json() {
        let mut p = profile();
        p.logo = Some(b"\x89PNG\r\n\x1a\nrest".to_vec());
        p.validate().unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"logo\":\"iVBORw0K"), "base64 in JSON: {json}");
        assert_eq!(serde_json::from_str::<CompanyProfile>(&json).unwrap(), p);
        assert_eq!(p.full_name(), "Keller Befestigungstechnik GmbH");
        assert_eq!(p.bank.as_ref().unwrap().iban_printed(), "DE89 3704 0044 0532 0130 00");
        assert_eq!(p.accent_rgb().map(|c| (c.0 * 255.0).round() as u8), Some(0x1F));
    }

    #[test]
    fn what_a_german_business_letter_must_state_is_required() {
        type Break = Box<dyn Fn(&mut CompanyProfile)>;
        let cases: Vec<(&str, Break)> = vec![
            ("register court", Box::new(|p| p.register_court = None)),
            ("register court", Box::new(|p| p.register_number = None)),
            ("managing directors", Box::new(|p| p.managing_directors.clear())),
            ("VAT ID", Box::new(|p| p.vat_id = "DE136695977".into())),
            ("iban", Box::new(|p| p.bank.as_mut().unwrap().iban = "DE89 3704 0044 0532 0130 01".into())),
            ("bic", Box::new(|p| p.bank.as_mut().unwrap().bic = "COBA".into())),
            ("approval base url", Box::new(|p| p.approval_base_url = "http://angebote.example".into())),
            ("approval base url", Box::new(|p| p.approval_base_url = "https://x/?a=1".into())),
            ("logo", Box::new(|p| p.logo = Some(b"GIF89a".to_vec()))),
            ("logo", Box::new(|p| p.logo = Some(vec![0x89; MAX_LOGO_BYTES + 1]))),
            ("accent colour", Box::new(|p| p.accent_colour = Some("blue".into()))),
            ("company name", Box::new(|p| p.name = "  ".into())),
            ("city", Box::new(|p| p.address.city = String::new())),
            ("email", Box::new(|p| p.email = Some("vertrieb".into()))),
        ];
        for (field, break_it) in cases {
            let mut p = profile();
            break_it(&mut p);
            let err = p.validate().unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
        // A sole trader outside the register needs neither.
        let mut p = profile();
        p.legal_form = "Einzelunternehmen".into();
        (p.register_court, p.register_number, p.managing_directors) = (None, None, vec![]);
        p.validate().unwrap();
        // An AG names its board; a loopback hub may be plain http.
        let mut p = profile();
        p.legal_form = "AG".into();
        p.approval_base_url = "http://127.0.0.1:8080".into();
        p.validate().unwrap();
        assert!(p.has_board());
        p.approval_base_url = "http://[::1]:8080/hub".into();
        p.validate().unwrap();
        // The forms the register and the directors rule know, as written.
        for (form, registered, directors) in [
            ("UG (haftungsbeschränkt)", true, true),
            ("gGmbH", true, true),
            ("GmbH & Co. KG", true, true),
            ("e. K.", true, false),
            ("KG", true, false),
            ("GbR", false, false),
        ] {
            let mut p = profile();
            (p.legal_form, p.register_court, p.managing_directors) = (form.into(), None, vec![]);
            let err = p.validate().err().map(|e| e.field);
            let want = if registered { Some("register court") } else { None };
            assert_eq!(err, want, "{form}");
            p.register_court = Some("Amtsgericht Nürnberg".into());
            let err = p.validate().err().map(|e| e.field);
            assert_eq!(err, directors.then_some("managing directors"), "{form}");
            assert!(!p.has_board(), "{form}");
        }
    }

    #[test]
    fn ibans_are_checked_by_their_digits() {
        for good in [
            "DE89370400440532013000",
            "GB82 WEST 1234 5698 7654 32",
            "AT611904300234573201",
            "fr1420041010050500013m02606",
        ] {
            check_iban(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in ["DE89370400440532013001", "DE8937040044053201300", "XX", "DE89 3704 0044 0532 0130 0!", ""] {
            assert!(check_iban(bad).is_err(), "{bad}");
        }
        check_bic("MARKDEF1100").unwrap();
        assert!(check_bic("markdef1").is_err());
    }

    #[test]
    fn a_rep_profile_needs_an_id_and_a_name() {
        let r = RepProfile {
            rep: "rep-1".into(),
            name: "Anna Berger".into(),
            title: Some("Außendienst Region Süd".into()),
            phone: Some("+49 171 2233445".into()),
            email: Some("a.berger@keller-befestigung.de".into()),
        };
        r.validate().unwrap();
        assert_eq!(RepProfile { rep: "rep 1".into(), ..r.clone() }.validate().unwrap_err().field, "rep");
        assert_eq!(RepProfile { name: String::new(), ..r.clone() }.validate().unwrap_err().field, "rep name");
        assert_eq!(RepProfile { email: Some("x".into()), ..r }.validate().unwrap_err().field, "rep email");
        let json = r#"{"rep":"rep-1","name":"A","mobile":"1"}"#;
        assert!(serde_json::from_str::<RepProfile>(json).is_err(), "unknown fields are refused");
    }
}
