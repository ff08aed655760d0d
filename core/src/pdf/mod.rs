//! PDF documents rendered on the device: the quote and (later) the product
//! datasheet. printpdf with an embedded, subset Unicode font (DejaVu Sans),
//! German and English, deterministic: the same input and options give
//! byte-identical files (fixed ids, metadata dates from the options).

mod canvas;
mod datasheet;
mod fonts;
mod labels;
mod quote;

use chrono::NaiveDate;
use printpdf::{FontId, ParsedFont, PdfDocument, PdfPage, PdfSaveOptions, RawImage, XObject, XObjectId};
use serde::{Deserialize, Serialize};

use crate::account::{Account, Contact};
use crate::money::DisplayLocale;
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
}

/// The sender of every document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Letterhead {
    /// Company name, e.g. `Onsite Befestigungstechnik GmbH`.
    pub company: String,
    /// One address line, e.g. `Industriestraße 12 · 90402 Nürnberg`.
    pub address: String,
    /// Phone, e-mail, web, in one line.
    pub contact_line: String,
    /// Register and VAT id, in one line.
    pub legal_line: String,
    /// Logo as PNG or JPEG bytes.
    pub logo: Option<Vec<u8>>,
}

impl Default for Letterhead {
    fn default() -> Self {
        Letterhead {
            company: "Onsite Befestigungstechnik GmbH".into(),
            address: "Industriestraße 12 · 90402 Nürnberg · Deutschland".into(),
            contact_line: "+49 911 123 456 0 · vertrieb@onsite.example · onsite.example".into(),
            legal_line: "Amtsgericht Nürnberg HRB 12345 · USt-IdNr. DE123456789".into(),
            logo: None,
        }
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
}

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PdfOptions {
    /// The sender.
    pub letterhead: Letterhead,
    /// Base of the approval link printed as a QR code, e.g. `https://hub.example.com`.
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
}

impl PdfOptions {
    /// Default letterhead and link base, dated `document_date`.
    pub fn dated(document_date: NaiveDate) -> Self {
        PdfOptions {
            letterhead: Letterhead::default(),
            approval_base_url: "https://hub.onsite.example".into(),
            document_date,
            locale: None,
            approval_link: None,
        }
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
    pub doc: PdfDocument,
    pub fonts: canvas::Fonts,
}

impl DocBuilder {
    pub(crate) fn new(title: &str, date: NaiveDate, identifier: &str) -> Result<DocBuilder, PdfError> {
        let mut doc = PdfDocument::new(title);
        let mut warnings = Vec::new();
        let mut load = |bytes: &'static [u8], id: &str| -> Result<(FontId, fonts::Metrics), PdfError> {
            let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings).ok_or(PdfError::Font)?;
            let fid = FontId(id.to_string());
            doc.resources.fonts.map.insert(fid.clone(), printpdf::PdfFont::new(parsed));
            Ok((fid, fonts::Metrics::load(bytes).ok_or(PdfError::Font)?))
        };
        let regular = load(fonts::regular(), "ONSREG")?;
        let bold = load(fonts::bold(), "ONSBLD")?;
        let midnight = date.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp());
        let when = printpdf::OffsetDateTime::from_unix_timestamp(midnight).unwrap_or(printpdf::OffsetDateTime::epoch());
        let info = &mut doc.metadata.info;
        info.creation_date = when;
        info.modification_date = when;
        info.metadata_date = when;
        info.producer = "Onsite".into();
        info.creator = "Onsite".into();
        info.identifier = identifier.to_string();
        Ok(DocBuilder { doc, fonts: canvas::Fonts { regular, bold } })
    }

    /// Adds a PNG or JPEG; returns its id and pixel size.
    pub(crate) fn image(
        &mut self,
        bytes: &[u8],
        id: &str,
        what: &'static str,
    ) -> Result<(XObjectId, (usize, usize)), PdfError> {
        let mut warnings = Vec::new();
        let image = RawImage::decode_from_bytes(bytes, &mut warnings).map_err(|_| PdfError::BadImage { what })?;
        let size = (image.width, image.height);
        let xid = XObjectId(id.to_string());
        self.doc.resources.xobjects.map.insert(xid.clone(), XObject::Image(image));
        Ok((xid, size))
    }

    pub(crate) fn finish(mut self, pages: Vec<canvas::Canvas>) -> Vec<u8> {
        let pages = pages.into_iter().map(|c| PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), c.ops)).collect();
        let mut warnings = Vec::new();
        let bytes = self.doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut warnings);
        deterministic_id(bytes)
    }
}

/// printpdf writes a random trailer `/ID`. Replace both strings with one
/// derived from the document's content, of the same length, so offsets stay
/// valid and equal input gives equal bytes (the PDF specification suggests a
/// content hash for the ID anyway).
fn deterministic_id(mut bytes: Vec<u8>) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let Some(start) = bytes.windows(5).rposition(|w| w == b"/ID[(") else { return bytes };
    let first = start + 5;
    let Some(len) = bytes[first..].iter().position(|&b| b == b')') else { return bytes };
    let second = first + len + 2; // skip ")("
    if bytes.get(second - 1) != Some(&b'(') || bytes.len() < second + len || bytes.get(second + len) != Some(&b')') {
        return bytes;
    }
    let mut hasher = Sha256::new();
    hasher.update(&bytes[..start]);
    let hex: String = hasher.finalize().iter().map(|b| format!("{b:02X}")).collect();
    let id: Vec<u8> = hex.bytes().cycle().take(len).collect();
    bytes[first..first + len].copy_from_slice(&id);
    bytes[second..second + len].copy_from_slice(&id);
    bytes
}

/// Renders a product datasheet for one customer as an A4 PDF (one page).
pub fn render_datasheet(
    product: &crate::catalog::Product,
    ctx: &DatasheetContext<'_>,
    opts: &PdfOptions,
) -> Result<Vec<u8>, PdfError> {
    datasheet::render(product, ctx, opts)
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
        opts.letterhead.logo = Some(b"not an image".to_vec());
        assert_eq!(render_quote(&q, &ctx, &opts), Err(PdfError::BadImage { what: "logo" }));
    }
}
