//! Document labels and date formats in German and English.

use chrono::{Datelike, NaiveDate};

use crate::money::DisplayLocale;

/// The words a quote or datasheet prints, in one language.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // the datasheet's labels are used by the datasheet renderer to come
pub(crate) struct Labels {
    pub quote: &'static str,
    pub number: &'static str,
    pub revision: &'static str,
    pub date: &'static str,
    pub valid_until: &'static str,
    pub customer_no: &'static str,
    pub contact: &'static str,
    pub pos: &'static str,
    pub sku: &'static str,
    pub description: &'static str,
    pub qty: &'static str,
    pub unit_price: &'static str,
    pub discount: &'static str,
    pub net: &'static str,
    pub net_total: &'static str,
    pub header_discount: &'static str,
    pub vat: &'static str,
    pub on: &'static str,
    pub gross_total: &'static str,
    pub payment_terms: &'static str,
    pub delivery_terms: &'static str,
    pub notes: &'static str,
    pub value_arguments: &'static str,
    pub approve_online: &'static str,
    pub approved_by: &'static str,
    pub signature: &'static str,
    pub place_date: &'static str,
    pub page: &'static str,
    pub of: &'static str,
    pub carried: &'static str,
    pub intro: &'static str,
    pub datasheet: &'static str,
    pub specifications: &'static str,
    pub your_price: &'static str,
    pub from_qty: &'static str,
    pub price_valid: &'static str,
    pub list_price: &'static str,
    pub your_contact: &'static str,
    pub lines_total: &'static str,
    pub approval: &'static str,
    pub approved_on: &'static str,
    pub via_on_site: &'static str,
    pub via_customer_device: &'static str,
    pub via_web_link: &'static str,
    pub not_approved: &'static str,
    /// The order confirmation's title.
    pub order_confirmation: &'static str,
    /// "zu Angebot" before the quote's number.
    pub to_quote: &'static str,
    /// "Auftrag vom" before the order's date.
    pub ordered_on: &'static str,
    /// The order confirmation's first sentence.
    pub confirmation_intro: &'static str,
    /// An optional position, under its name.
    pub optional: &'static str,
    /// An alternative position (followed by its group), under its name.
    pub alternative: &'static str,
    /// The position was chosen (it counts).
    pub chosen: &'static str,
    /// The position is not chosen (it does not count).
    pub not_in_total: &'static str,
    /// Under the table when some positions do not count.
    pub positions_note: &'static str,
    /// Printed on every page of a document with the sample sender.
    pub sample_notice: &'static str,
    /// The salutation without a known addressee.
    pub dear_all: &'static str,
    /// The salutation of a named addressee whose form of address is not
    /// known: followed by the full name and a comma.
    pub dear_named: &'static str,
    /// The salutation of a woman, followed by her family name.
    pub dear_ms: &'static str,
    /// The salutation of a man, followed by his family name.
    pub dear_mr: &'static str,
    /// "Frau" / "Ms" before a full name in the address.
    pub ms: &'static str,
    /// "Herr" / "Mr" before a full name in the address.
    pub mr: &'static str,
}

pub(crate) const DE: Labels = Labels {
    quote: "Angebot",
    number: "Angebotsnummer",
    revision: "Revision",
    date: "Datum",
    valid_until: "Gültig bis",
    customer_no: "Kunde",
    contact: "Ansprechpartner",
    pos: "Pos.",
    sku: "Artikel-Nr.",
    description: "Bezeichnung",
    qty: "Menge",
    unit_price: "Einzelpreis",
    discount: "Rabatt",
    net: "Netto",
    net_total: "Summe netto",
    header_discount: "Nachlass",
    vat: "USt.",
    on: "auf",
    gross_total: "Gesamtbetrag",
    payment_terms: "Zahlungsbedingungen",
    delivery_terms: "Lieferbedingungen",
    notes: "Hinweise",
    value_arguments: "Das sagen unsere Kunden",
    approve_online: "Online freigeben: QR-Code scannen oder Link öffnen",
    approved_by: "Freigegeben von",
    signature: "Unterschrift",
    place_date: "Ort, Datum",
    page: "Seite",
    of: "von",
    carried: "Fortsetzung",
    intro: "vielen Dank für Ihr Interesse. Gerne unterbreiten wir Ihnen folgendes Angebot:",
    datasheet: "Produktdatenblatt",
    specifications: "Technische Daten",
    your_price: "Ihr Preis",
    from_qty: "ab",
    price_valid: "Preise gültig",
    list_price: "Listenpreis",
    your_contact: "Ihr Ansprechpartner",
    lines_total: "Summe der Positionen netto",
    approval: "Freigabe",
    approved_on: "am",
    via_on_site: "unterschrieben beim Termin vor Ort",
    via_customer_device: "auf dem Gerät des Kunden",
    via_web_link: "über den Freigabelink",
    not_approved: "Nicht freigegeben: Der Inhalt entspricht nicht der freigegebenen Revision.",
    order_confirmation: "Auftragsbestätigung",
    to_quote: "zu Angebot",
    ordered_on: "Auftrag vom",
    confirmation_intro: "vielen Dank für Ihren Auftrag. Wir bestätigen ihn mit folgendem Inhalt:",
    optional: "Optionale Position",
    alternative: "Alternativposition",
    chosen: "gewählt",
    not_in_total: "nicht in der Summe",
    positions_note: "Beträge in Klammern: optionale oder nicht gewählte Alternativpositionen, in den Summen nicht enthalten.",
    sample_notice: "MUSTER – kein Firmenprofil veröffentlicht: Absender und Bankdaten sind Beispieldaten.",
    dear_all: "Sehr geehrte Damen und Herren,",
    dear_named: "Guten Tag",
    dear_ms: "Sehr geehrte Frau",
    dear_mr: "Sehr geehrter Herr",
    ms: "Frau",
    mr: "Herrn",
};

pub(crate) const EN: Labels = Labels {
    quote: "Quote",
    number: "Quote number",
    revision: "Revision",
    date: "Date",
    valid_until: "Valid until",
    customer_no: "Customer",
    contact: "Contact",
    pos: "Pos.",
    sku: "SKU",
    description: "Description",
    qty: "Qty",
    unit_price: "Unit price",
    discount: "Disc.",
    net: "Net",
    net_total: "Net total",
    header_discount: "Discount",
    vat: "VAT",
    on: "on",
    gross_total: "Total",
    payment_terms: "Payment terms",
    delivery_terms: "Delivery terms",
    notes: "Notes",
    value_arguments: "What our customers say",
    approve_online: "Approve online: scan the QR code or open the link",
    approved_by: "Approved by",
    signature: "Signature",
    place_date: "Place, date",
    page: "Page",
    of: "of",
    carried: "continued",
    intro: "Thank you for your interest. We are pleased to offer you the following:",
    datasheet: "Product datasheet",
    specifications: "Specifications",
    your_price: "Your price",
    from_qty: "from",
    price_valid: "Prices valid",
    list_price: "List price",
    your_contact: "Your contact",
    lines_total: "Subtotal of the items",
    approval: "Approval",
    approved_on: "on",
    via_on_site: "signed at the meeting on site",
    via_customer_device: "on the customer's device",
    via_web_link: "through the approval link",
    not_approved: "Not approved: the content does not match the approved revision.",
    order_confirmation: "Order confirmation",
    to_quote: "for quote",
    ordered_on: "ordered on",
    confirmation_intro: "Thank you for your order, which we confirm as follows:",
    optional: "Optional item",
    alternative: "Alternative",
    chosen: "chosen",
    not_in_total: "not in the total",
    positions_note: "Amounts in parentheses: optional items or alternatives not chosen, not included in the totals.",
    sample_notice: "SAMPLE – no company profile is published: the sender and bank details are sample data.",
    dear_all: "Dear Sir or Madam,",
    dear_named: "Dear",
    dear_ms: "Dear Ms",
    dear_mr: "Dear Mr",
    ms: "Ms",
    mr: "Mr",
};

pub(crate) fn labels(locale: DisplayLocale) -> &'static Labels {
    match locale {
        DisplayLocale::De => &DE,
        DisplayLocale::En => &EN,
    }
}

/// A country's name for addresses, from its ISO code (the code itself for
/// countries not listed).
pub(crate) fn country_name(code: &str, locale: DisplayLocale) -> String {
    let (de, en) = match code {
        "DE" => ("Deutschland", "Germany"),
        "AT" => ("Österreich", "Austria"),
        "CH" => ("Schweiz", "Switzerland"),
        "FR" => ("Frankreich", "France"),
        "IT" => ("Italien", "Italy"),
        "NL" => ("Niederlande", "Netherlands"),
        "BE" => ("Belgien", "Belgium"),
        "LU" => ("Luxemburg", "Luxembourg"),
        "PL" => ("Polen", "Poland"),
        "CZ" => ("Tschechien", "Czechia"),
        "DK" => ("Dänemark", "Denmark"),
        "ES" => ("Spanien", "Spain"),
        "SE" => ("Schweden", "Sweden"),
        "GB" => ("Vereinigtes Königreich", "United Kingdom"),
        "US" => ("Vereinigte Staaten", "United States"),
        other => return other.to_string(),
    };
    match locale {
        DisplayLocale::De => de.to_string(),
        DisplayLocale::En => en.to_string(),
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `27.11.2026` in German, `Nov 27, 2026` in English.
pub(crate) fn date(d: NaiveDate, locale: DisplayLocale) -> String {
    match locale {
        DisplayLocale::De => format!("{:02}.{:02}.{}", d.day(), d.month(), d.year()),
        DisplayLocale::En => format!("{} {}, {}", MONTHS[d.month0() as usize], d.day(), d.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_as_the_locale_writes_them() {
        for (code, de, en) in [
            ("pc", "Stk.", "pc"),
            ("PAIR", "Paar", "pair"),
            ("pack", "Pck.", "pack"),
            ("roll", "Rolle", "roll"),
            ("m2", "m²", "m²"),
            ("kg", "kg", "kg"),
        ] {
            assert_eq!(crate::catalog::default_unit_label(code, DisplayLocale::De), de, "{code}");
            assert_eq!(crate::catalog::default_unit_label(code, DisplayLocale::En), en, "{code}");
        }
        assert_eq!(
            crate::catalog::default_unit_label("Karton à 250 Stück", DisplayLocale::En),
            "Karton à 250 Stück",
            "unknown units print as stored"
        );
        let published = [crate::catalog::UnitLabel { unit: "pc".into(), de: "St.".into(), en: "ea".into() }];
        assert_eq!(crate::catalog::unit_label(&published, "PC", DisplayLocale::De), "St.", "published labels win");
        assert_eq!(crate::catalog::unit_label(&published, "pc", DisplayLocale::En), "ea");
        assert_eq!(crate::catalog::unit_label(&published, "pair", DisplayLocale::De), "Paar", "others keep defaults");
    }

    #[test]
    fn dates_in_both_languages() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(date(d, DisplayLocale::De), "09.03.2026");
        assert_eq!(date(d, DisplayLocale::En), "Mar 9, 2026");
    }
}
