//! PDF documents rendered on the device: the quote and the product
//! datasheet. Our own small PDF writer (`writer.rs`) with an embedded,
//! subset Unicode font (DejaVu Sans), German and English, deterministic:
//! the same input and options give byte-identical files (fixed ids,
//! metadata dates from the options, a file identifier hashed from the
//! content).

mod canvas;
mod datasheet;
mod fonts;
mod labels;
mod quote;
mod structure;
mod writer;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::account::{Account, Contact};
use crate::catalog::UnitLabel;
use crate::money::DisplayLocale;
use crate::profile::{CompanyProfile, RepProfile};
use crate::quote::Quote;

pub use datasheet::{CustomerPrice, DatasheetContext, PriceStep};
pub use quote::quote_link;

/// Why a document could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The logo or product image is not a PNG or JPEG this build can read.
    #[error("the {what} image could not be read (PNG or JPEG expected)")]
    BadImage {
        /// `logo` or `product`.
        what: &'static str,
    },
    /// The embedded font failed to load (a broken build).
    #[error("the embedded font could not be loaded")]
    Font,
    /// The quote's totals could not be computed.
    #[error("the quote cannot be priced: {0}")]
    Pricing(String),
    /// An order confirmation for content nobody approved.
    #[error("no order confirmation: {0}")]
    NotApproved(String),
}

/// The sender of every document, as printed. Made from the published
/// [`CompanyProfile`] ([`Letterhead::from_profile`]); the default is a
/// sample sender, and a document with it says so on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Letterhead {
    /// Company name with its legal form, e.g. `Keller Befestigungstechnik GmbH`.
    pub company: String,
    /// One address line, e.g. `Hafenstraße 21 · 90451 Nürnberg · Deutschland`.
    pub address: String,
    /// Phone, e-mail, web, in one line.
    pub contact_line: String,
    /// Seat, register, managing directors and VAT ID (printed whole, over
    /// two lines if it must).
    pub legal_line: String,
    /// Logo as PNG or JPEG bytes.
    pub logo: Option<Vec<u8>>,
    /// Bank, IBAN and BIC, in one line (empty: none printed).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = ""))]
    pub bank_line: String,
    /// The accent colour, `#RRGGBB` (`None`: the house blue).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub accent_colour: Option<String>,
    /// A closing line under the terms.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub footer: Option<String>,
    /// A sample sender: every page says that the document is a sample.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub sample: bool,
}

impl Default for Letterhead {
    /// The sample sender (no company profile is published).
    fn default() -> Self {
        Letterhead {
            company: "Muster Befestigungstechnik GmbH".into(),
            address: "Musterstraße 1 · 12345 Musterstadt · Deutschland".into(),
            contact_line: "+49 000 000000 · vertrieb@muster.example".into(),
            legal_line: "Beispieldaten: kein Firmenprofil veröffentlicht".into(),
            logo: None,
            bank_line: String::new(),
            accent_colour: None,
            footer: None,
            sample: true,
        }
    }
}

impl Letterhead {
    /// The letterhead of a published company profile, worded in `locale`:
    /// the registered office, register court and number, every managing
    /// director (or the board and the supervisory board's chair of an AG)
    /// and the VAT ID, as German business letters must state them.
    pub fn from_profile(p: &CompanyProfile, locale: DisplayLocale) -> Letterhead {
        let de = locale == DisplayLocale::De;
        let country = labels::country_name(&p.address.country, locale);
        let address =
            format!("{} · {} {} · {country}", p.address.street.trim(), p.address.postal_code, p.address.city.trim());
        let mut contact = Vec::new();
        if let Some(phone) = &p.phone {
            contact.push(format!("{} {phone}", if de { "Tel." } else { "Phone" }));
        }
        contact.extend(p.email.iter().cloned());
        contact.extend(p.web.iter().cloned());
        let mut legal = vec![format!("{} {}", if de { "Sitz" } else { "Registered office" }, p.address.city.trim())];
        if let (Some(court), Some(number)) = (&p.register_court, &p.register_number) {
            legal.push(format!("{court} {number}"));
        }
        if !p.managing_directors.is_empty() {
            let title = match (p.has_board(), de) {
                (true, true) => "Vorstand",
                (true, false) => "Executive board",
                (false, true) => "Geschäftsführung",
                (false, false) => "Managing directors",
            };
            legal.push(format!("{title}: {}", p.managing_directors.join(", ")));
        }
        if let Some(chair) = &p.supervisory_board_chair {
            legal.push(format!(
                "{}: {chair}",
                if de { "Vorsitz des Aufsichtsrats" } else { "Chair of the supervisory board" }
            ));
        }
        legal.push(format!("{} {}", if de { "USt-IdNr." } else { "VAT ID" }, p.vat_id.trim()));
        let bank_line = p
            .bank
            .as_ref()
            .map(|b| format!("{} · IBAN {} · BIC {}", b.bank, b.iban_printed(), b.bic.trim()))
            .unwrap_or_default();
        Letterhead {
            company: p.full_name(),
            address,
            contact_line: contact.join(" · "),
            legal_line: legal.join(" · "),
            logo: p.logo.clone(),
            bank_line,
            accent_colour: p.accent_colour.clone(),
            footer: p.footer.clone(),
            sample: false,
        }
    }

    /// The accent colour as RGB in 0..1.
    pub(crate) fn accent(&self) -> (f32, f32, f32) {
        self.accent_colour.as_deref().and_then(crate::profile::parse_colour).unwrap_or(canvas::ACCENT)
    }
}

/// The rep who made the document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RepContact {
    /// Full name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Job title, e.g. `Außendienst Region Süd`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub title: Option<String>,
}

impl RepContact {
    /// A rep as their published profile shows them.
    pub fn from_profile(p: &RepProfile) -> RepContact {
        RepContact {
            name: p.name.clone(),
            email: p.email.clone().unwrap_or_default(),
            phone: p.phone.clone().unwrap_or_default(),
            title: p.title.clone(),
        }
    }
}

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PdfOptions {
    /// The sender when no `company` profile is given (the default is the
    /// sample sender).
    pub letterhead: Letterhead,
    /// Base of the approval link printed as a QR code, e.g. `https://hub.example.com`
    /// (a `company` profile's own address wins).
    pub approval_base_url: String,
    /// The document date printed and written to the metadata.
    pub document_date: NaiveDate,
    /// Language and formats; `None` uses the quote's locale.
    pub locale: Option<DisplayLocale>,
    /// The signed approval link to print and encode as the QR code; `None`
    /// prints the unsigned `{approval_base_url}/approve/…` form. Stores with
    /// a link key fill it in ([`crate::Store::render_quote_pdf`]).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub approval_link: Option<String>,
    /// The published company profile: the sender and the approval links'
    /// address. Stores fill it in from their reference data.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub company: Option<CompanyProfile>,
    /// The published unit labels (units without one print with the
    /// defaults). Stores fill them in.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = []))]
    pub unit_labels: Vec<UnitLabel>,
}

impl PdfOptions {
    /// The sample letterhead and link base, dated `document_date`.
    pub fn dated(document_date: NaiveDate) -> Self {
        PdfOptions {
            letterhead: Letterhead::default(),
            approval_base_url: "https://hub.onsite.example".into(),
            document_date,
            locale: None,
            approval_link: None,
            company: None,
            unit_labels: Vec::new(),
        }
    }

    /// The sender as printed in `locale`: the company profile's, else the
    /// letterhead given.
    pub(crate) fn sender(&self, locale: DisplayLocale) -> Letterhead {
        match &self.company {
            Some(p) => Letterhead::from_profile(p, locale),
            None => self.letterhead.clone(),
        }
    }

    /// The seller's country: the company profile's, else the default.
    pub(crate) fn seller_country(&self) -> &str {
        self.company.as_ref().map_or(crate::vat::DEFAULT_SELLER_COUNTRY, |p| p.address.country.as_str())
    }

    /// Where approval links point: the company profile's address, else
    /// `approval_base_url`.
    pub(crate) fn link_base(&self) -> &str {
        self.company.as_ref().map_or(self.approval_base_url.as_str(), |p| p.approval_base_url.as_str())
    }
}

/// Everything a quote PDF shows besides the quote itself.
#[derive(Debug, Clone)]
pub struct QuoteContext<'a> {
    /// The customer.
    pub account: &'a Account,
    /// The addressee, if any.
    pub contact: Option<&'a Contact>,
    /// The rep.
    pub rep: RepContact,
    /// Titles of the attached value arguments, in order.
    pub value_arguments: Vec<String>,
}

/// Loads the fonts and images into a document with fixed ids.
pub(crate) struct DocBuilder {
    title: String,
    /// The document's author in its metadata (the sender).
    pub author: String,
    identifier: String,
    date: NaiveDate,
    images: Vec<writer::Image>,
    pub fonts: canvas::Fonts,
}

/// PostScript names of the two faces, as the PDF names them.
const FONT_NAMES: [&str; 2] = ["DejaVuSans", "DejaVuSans-Bold"];

impl DocBuilder {
    pub(crate) fn new(title: &str, date: NaiveDate, identifier: &str) -> Result<DocBuilder, PdfError> {
        let load = |bytes: &'static [u8]| fonts::Metrics::load(bytes).ok_or(PdfError::Font);
        let fonts = canvas::Fonts {
            regular: (canvas::FontId(0), load(fonts::regular())?),
            bold: (canvas::FontId(1), load(fonts::bold())?),
        };
        Ok(DocBuilder {
            title: title.to_string(),
            author: String::new(),
            identifier: identifier.to_string(),
            date,
            images: Vec::new(),
            fonts,
        })
    }

    /// Adds a PNG or JPEG; returns its id and pixel size.
    pub(crate) fn image(
        &mut self,
        bytes: &[u8],
        what: &'static str,
    ) -> Result<(canvas::XObjectId, (usize, usize)), PdfError> {
        let image = writer::Image::decode(bytes).ok_or(PdfError::BadImage { what })?;
        let size = (image.width, image.height);
        self.images.push(image);
        Ok((canvas::XObjectId(self.images.len() - 1), size))
    }

    /// Writes the document; with `structure`, tagged: every page's marked
    /// content joins its structure element.
    pub(crate) fn finish(self, pages: Vec<canvas::Canvas>, structure: Option<structure::Structure>) -> Vec<u8> {
        let mut glyphs: [std::collections::BTreeMap<u16, char>; 2] = Default::default();
        for page in &pages {
            for (all, used) in glyphs.iter_mut().zip(&page.glyphs) {
                for (g, c) in used {
                    all.entry(*g).or_insert(*c);
                }
            }
        }
        let faces = [fonts::regular(), fonts::bold()];
        let fonts: Vec<writer::FontUse<'_>> =
            (0..2).map(|i| writer::FontUse { name: FONT_NAMES[i], bytes: faces[i], glyphs: &glyphs[i] }).collect();
        let date = format!("{}000000Z", self.date.format("%Y%m%d"));
        let info = writer::Info { title: &self.title, author: &self.author, identifier: &self.identifier, date: &date };
        let marks: Vec<Vec<structure::ElemId>> = pages.iter().map(|c| c.marks.clone()).collect();
        let structure = structure.map(|mut s| {
            for (page, elems) in marks.iter().enumerate() {
                for (mcid, elem) in elems.iter().enumerate() {
                    s.content(*elem, page, mcid);
                }
            }
            s
        });
        let contents: Vec<Vec<u8>> = pages.into_iter().map(|c| c.content.into_bytes()).collect();
        let tags = structure.as_ref().map(|s| (s, marks.as_slice()));
        writer::write(&info, (canvas::PAGE_W, canvas::PAGE_H), &contents, &fonts, &self.images, tags)
    }
}

/// Renders a product datasheet for one customer as an A4 PDF (one page).
pub fn render_datasheet(
    product: &crate::catalog::Product,
    ctx: &DatasheetContext<'_>,
    opts: &PdfOptions,
) -> Result<Vec<u8>, PdfError> {
    datasheet::render(product, ctx, opts)
}

/// Renders the order confirmation (Auftragsbestätigung) of an order placed
/// from the approved quote `quote`: the approved revision's lines that count,
/// its hash and its approval record. Refused for a quote whose approval is
/// not for exactly its content, or an order that differs from it.
pub fn render_order_confirmation(
    quote: &Quote,
    order: &crate::quote::Order,
    ctx: &QuoteContext<'_>,
    opts: &PdfOptions,
) -> Result<Vec<u8>, PdfError> {
    self::quote::render_confirmation(quote, order, ctx, opts)
}

/// Renders a quote as an A4 PDF.
pub fn render_quote(quote: &Quote, ctx: &QuoteContext<'_>, opts: &PdfOptions) -> Result<Vec<u8>, PdfError> {
    self::quote::render(quote, ctx, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, ACCOUNT_ID, CONTACT_ID};

    fn quote(lines: usize) -> Quote {
        fixtures::quote_with_lines("q-7", lines, DisplayLocale::De)
    }

    fn render(q: &Quote, locale: DisplayLocale) -> Result<Vec<u8>, PdfError> {
        let (acc, contact) = (fixtures::account(ACCOUNT_ID), fixtures::contact(CONTACT_ID, ACCOUNT_ID));
        let mut opts = fixtures::pdf_options();
        opts.locale = Some(locale);
        render_quote(q, &fixtures::quote_context(&acc, Some(&contact)), &opts)
    }

    #[test]
    fn a_quote_renders_as_a_deterministic_pdf() {
        let q = quote(12);
        let a = render(&q, DisplayLocale::De).unwrap();
        assert!(a.starts_with(b"%PDF-"), "a PDF");
        assert!(a.windows(5).any(|w| w == b"%%EOF"));
        let b = render(&q, DisplayLocale::De).unwrap();
        assert_eq!(a, b, "byte-identical on a second render");
        let en = render(&q, DisplayLocale::En).unwrap();
        assert_ne!(a, en, "the locale changes the document");
    }

    #[test]
    fn a_broken_logo_is_a_clear_error() {
        let q = quote(1);
        let acc = fixtures::account(ACCOUNT_ID);
        let ctx = QuoteContext { account: &acc, contact: None, rep: RepContact::default(), value_arguments: vec![] };
        let mut opts = fixtures::pdf_options();
        opts.company = None;
        opts.letterhead.logo = Some(b"not an image".to_vec());
        assert_eq!(render_quote(&q, &ctx, &opts), Err(PdfError::BadImage { what: "logo" }));
    }
}
