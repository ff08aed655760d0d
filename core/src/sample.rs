//! Deterministic, realistic sample data: a fastener and workshop-supplies
//! catalog with German and English names (umlauts, ß, long names), price
//! lists with quantity tiers, and German customer accounts with their buying
//! centers. Used by `onsite demo`, tests and benchmarks; the same seed always
//! gives the same data.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::account::{Account, Address, BuyingRole, Contact, MarketingConsent, Salutation};
use crate::catalog::{Attribute, PriceList, PriceListScope, PriceTier, Product};
use crate::money::{Currency, Money};

/// A small, fast, seedable generator (SplitMix64). Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

struct Family {
    code: &'static str,
    name: &'static str,
    category: &'static str,
    unit: &'static str,
    c_part: bool,
    base_cents: i64,
    sized: bool,
    norm: &'static str,
    /// Variants of unsized families; materials of sized ones come from MATERIALS.
    variants: &'static [&'static str],
    materials: &'static [(&'static str, &'static str)],
}

const FAMILIES: &[Family] = &[
    Family {
        code: "SKS",
        name: "Sechskantschraube",
        category: "Befestigungstechnik/Schrauben",
        unit: "pc",
        c_part: true,
        base_cents: 9,
        sized: true,
        norm: "DIN 933",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "ZYL",
        name: "Zylinderschraube mit Innensechskant",
        category: "Befestigungstechnik/Schrauben",
        unit: "pc",
        c_part: true,
        base_cents: 14,
        sized: true,
        norm: "ISO 4762",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "SEN",
        name: "Senkschraube",
        category: "Befestigungstechnik/Schrauben",
        unit: "pc",
        c_part: true,
        base_cents: 11,
        sized: true,
        norm: "DIN 7991",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "MS",
        name: "Müller-Schraube Holzbau",
        category: "Befestigungstechnik/Holzbau",
        unit: "pc",
        c_part: true,
        base_cents: 21,
        sized: true,
        norm: "ETA-12/0114",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "HOS",
        name: "Holzschraube Teilgewinde",
        category: "Befestigungstechnik/Holzbau",
        unit: "pc",
        c_part: true,
        base_cents: 7,
        sized: true,
        norm: "DIN 571",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "MUT",
        name: "Sechskantmutter",
        category: "Befestigungstechnik/Muttern",
        unit: "pc",
        c_part: true,
        base_cents: 4,
        sized: true,
        norm: "DIN 934",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "USB",
        name: "Unterlegscheibe",
        category: "Befestigungstechnik/Scheiben",
        unit: "pc",
        c_part: true,
        base_cents: 2,
        sized: true,
        norm: "DIN 125",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "GWS",
        name: "Gewindestange",
        category: "Befestigungstechnik/Gewindestangen",
        unit: "m",
        c_part: true,
        base_cents: 180,
        sized: true,
        norm: "DIN 976",
        variants: &[],
        materials: MATERIALS,
    },
    Family {
        code: "DUE",
        name: "Dübel",
        category: "Befestigungstechnik/Dübel",
        unit: "pc",
        c_part: true,
        base_cents: 6,
        sized: true,
        norm: "",
        variants: &[],
        materials: &[("Nylon", "PA")],
    },
    Family {
        code: "BLN",
        name: "Blindniete Flachrundkopf",
        category: "Befestigungstechnik/Niete",
        unit: "pc",
        c_part: true,
        base_cents: 5,
        sized: true,
        norm: "ISO 15983",
        variants: &[],
        materials: &[("Aluminium", "AL"), ("Edelstahl A2", "A2"), ("Kupfer", "CU")],
    },
    Family {
        code: "HEX",
        name: "Hex bolt",
        category: "Fasteners/Bolts",
        unit: "pc",
        c_part: true,
        base_cents: 10,
        sized: true,
        norm: "ISO 4017",
        variants: &[],
        materials: MATERIALS_EN,
    },
    Family {
        code: "SHC",
        name: "Socket head cap screw",
        category: "Fasteners/Screws",
        unit: "pc",
        c_part: true,
        base_cents: 15,
        sized: true,
        norm: "ISO 4762",
        variants: &[],
        materials: MATERIALS_EN,
    },
    Family {
        code: "WSH",
        name: "Flat washer",
        category: "Fasteners/Washers",
        unit: "pc",
        c_part: true,
        base_cents: 2,
        sized: true,
        norm: "ISO 7089",
        variants: &[],
        materials: MATERIALS_EN,
    },
    Family {
        code: "KBB",
        name: "Kabelbinder UV-beständig",
        category: "Elektro/Kabelbinder",
        unit: "box",
        c_part: true,
        base_cents: 690,
        sized: false,
        norm: "",
        variants: &["200×3,6 mm, schwarz", "300×4,8 mm, schwarz", "370×7,6 mm, natur", "Inhalt 100 Stück"],
        materials: &[("Polyamid 6.6", "PA")],
    },
    Family {
        code: "HSN",
        name: "Schutzhandschuhe Nitril",
        category: "Arbeitsschutz/Handschuhe",
        unit: "pair",
        c_part: true,
        base_cents: 89,
        sized: false,
        norm: "EN 388",
        variants: &["Größe 7", "Größe 8", "Größe 9", "Größe 10", "Größe 11"],
        materials: &[("Nitril", "NI"), ("Nitril/Polyester", "NP")],
    },
    Family {
        code: "GLV",
        name: "Safety gloves cut level C",
        category: "Safety/Gloves",
        unit: "pair",
        c_part: true,
        base_cents: 450,
        sized: false,
        norm: "EN 388",
        variants: &["size 7", "size 8", "size 9", "size 10"],
        materials: &[("HPPE", "HP"), ("nitrile foam", "NF")],
    },
    Family {
        code: "TRS",
        name: "Trennscheibe Edelstahl",
        category: "Schleifmittel/Trennscheiben",
        unit: "pc",
        c_part: true,
        base_cents: 120,
        sized: false,
        norm: "EN 12413",
        variants: &["Ø 115×1,0 mm", "Ø 125×1,0 mm", "Ø 125×1,6 mm", "Ø 230×1,9 mm"],
        materials: &[("Korund", "KO"), ("Zirkonkorund", "ZK")],
    },
    Family {
        code: "SLS",
        name: "Fächerschleifscheibe Zirkon",
        category: "Schleifmittel/Schleifscheiben",
        unit: "pc",
        c_part: true,
        base_cents: 240,
        sized: false,
        norm: "",
        variants: &["Ø 115 mm, K40", "Ø 125 mm, K60", "Ø 125 mm, K80", "Ø 180 mm, K120"],
        materials: &[("Zirkonkorund", "ZK"), ("Keramikkorn", "KK")],
    },
    Family {
        code: "HSS",
        name: "Spiralbohrer HSS-G",
        category: "Werkzeug/Bohrer",
        unit: "pc",
        c_part: true,
        base_cents: 160,
        sized: false,
        norm: "DIN 338",
        variants: &["Ø 3,5 mm", "Ø 5 mm", "Ø 6 mm", "Ø 8 mm", "Ø 10 mm", "Ø 12 mm"],
        materials: &[("HSS-G", "HG"), ("HSS-TiN", "TN")],
    },
    Family {
        code: "TWD",
        name: "Twist drill cobalt",
        category: "Tools/Drills",
        unit: "pc",
        c_part: true,
        base_cents: 390,
        sized: false,
        norm: "DIN 338",
        variants: &["Ø 4 mm", "Ø 6 mm", "Ø 8 mm", "Ø 10 mm", "set of 19, 1–10 mm"],
        materials: &[("HSS-Co 5%", "CO")],
    },
    Family {
        code: "KGL",
        name: "Rillenkugellager",
        category: "Antriebstechnik/Lager",
        unit: "pc",
        c_part: false,
        base_cents: 780,
        sized: false,
        norm: "DIN 625",
        variants: &["6204-ZZ", "6205-2RS", "6206-2RS", "6305-ZZ", "6001-2RS"],
        materials: &[("Wälzlagerstahl", "WS"), ("Edelstahl", "ED")],
    },
    Family {
        code: "ORG",
        name: "O-Ring NBR 70",
        category: "Dichtungen/O-Ringe",
        unit: "pc",
        c_part: true,
        base_cents: 18,
        sized: false,
        norm: "ISO 3601",
        variants: &["20×3 mm", "32×2,5 mm", "45×3,5 mm", "12×2 mm", "Sortiment 225-teilig"],
        materials: &[("NBR", "NB"), ("FKM (Viton)", "FK")],
    },
    Family {
        code: "SLC",
        name: "Schlauchschelle W4",
        category: "Befestigungstechnik/Schellen",
        unit: "pc",
        c_part: true,
        base_cents: 65,
        sized: false,
        norm: "DIN 3017",
        variants: &["12–22 mm", "16–27 mm", "20–32 mm", "32–50 mm"],
        materials: &[("Edelstahl W4", "W4"), ("Stahl verzinkt W1", "W1")],
    },
    Family {
        code: "AKB",
        name: "Akku-Bohrschrauber 18 V",
        category: "Werkzeug/Elektrowerkzeug",
        unit: "pc",
        c_part: false,
        base_cents: 18900,
        sized: false,
        norm: "",
        variants: &["2 Akkus 5,0 Ah, im Koffer", "ohne Akku, im Karton", "2 Akkus 2,0 Ah"],
        materials: &[("Kunststoffgehäuse", "KS")],
    },
    Family {
        code: "WBK",
        name: "Werkbank mit Schubladenschrank",
        category: "Betriebseinrichtung/Werkbänke",
        unit: "pc",
        c_part: false,
        base_cents: 89000,
        sized: false,
        norm: "",
        variants: &["1500×700 mm", "2000×700 mm", "2000×1000 mm, mit Lochwand"],
        materials: &[("Stahl lackiert, Buche-Multiplex", "BM")],
    },
    Family {
        code: "RGL",
        name: "Schwerlastregal verzinkt",
        category: "Betriebseinrichtung/Regale",
        unit: "pc",
        c_part: false,
        base_cents: 34900,
        sized: false,
        norm: "",
        variants: &["2000×1000×500 mm", "2000×1200×600 mm", "2500×1000×600 mm, 5 Böden"],
        materials: &[("Stahl verzinkt", "VZ")],
    },
    Family {
        code: "SBR",
        name: "Straßenbesen Elaston",
        category: "Reinigung/Besen",
        unit: "pc",
        c_part: true,
        base_cents: 1990,
        sized: false,
        norm: "",
        variants: &["40 cm", "50 cm", "60 cm, mit Stiel"],
        materials: &[("Elaston", "EL"), ("Rosshaar-Mischung", "RH")],
    },
    Family {
        code: "CLN",
        name: "Industrial cleaner, biodegradable",
        category: "Cleaning/Chemicals",
        unit: "l",
        c_part: true,
        base_cents: 790,
        sized: false,
        norm: "",
        variants: &["1-l-Flasche", "5-l-Kanister", "10-l-Kanister", "200-l-Fass"],
        materials: &[("water-based", "WB")],
    },
];

const MATERIALS: &[(&str, &str)] = &[
    ("Stahl verzinkt", "VZ"),
    ("Edelstahl A2", "A2"),
    ("Edelstahl A4", "A4"),
    ("Stahl 8.8 blank", "88"),
    ("Stahl 10.9 schwarz", "109"),
    ("Messing", "MS"),
    ("Aluminium", "AL"),
    ("Polyamid", "PA"),
];
/// The materials of the English-named families, in English.
const MATERIALS_EN: &[(&str, &str)] = &[
    ("zinc-plated steel", "VZ"),
    ("stainless steel A2", "A2"),
    ("stainless steel A4", "A4"),
    ("steel 8.8 plain", "88"),
    ("steel 10.9 black", "109"),
    ("brass", "MS"),
];
/// Families named in English (their descriptions and long names are too).
const ENGLISH: &[&str] = &["HEX", "SHC", "WSH", "GLV", "TWD", "CLN"];
/// Families whose sizes are a diameter (wall plugs, rivets), not a thread.
const DIAMETERS: &[(&str, i64)] =
    &[("Ø 4", 1), ("Ø 5", 1), ("Ø 6", 2), ("Ø 8", 3), ("Ø 10", 4), ("Ø 12", 6), ("Ø 14", 8), ("Ø 16", 9)];
const THREADS: &[(&str, i64)] = &[
    ("M3", 1),
    ("M4", 1),
    ("M5", 2),
    ("M6", 2),
    ("M8", 3),
    ("M10", 4),
    ("M12", 6),
    ("M16", 9),
    ("M20", 14),
    ("M24", 20),
];
const LENGTHS: &[i64] =
    &[6, 8, 10, 12, 16, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 120, 140, 160, 200, 240, 300];
/// The lengths a thread or diameter of `size` is made in: from a little
/// over its diameter to about ten times it (M3 up to 30 mm, M24 from
/// 30 mm), as the norms' tables list them.
fn lengths_for(size: &str) -> Vec<i64> {
    let d: i64 = size.trim_start_matches(['M', 'Ø', ' ']).parse().unwrap_or(8);
    let (min, max) = (d + 2, (d * 12).clamp(30, 300));
    LENGTHS.iter().copied().filter(|l| (min..=max).contains(l)).collect()
}
/// Long names' tails: for screws (a sealing washer fits only them), for
/// any German product, for the English-named ones.
const SCREW_TAIL: &str =
    "für Außenanwendungen, witterungsbeständig, mit Dichtscheibe aus EPDM – Großpackung für Industrie und Handwerk";
const GERMAN_TAIL: &str = "geprüfte Qualität nach Werksnorm, einzeln rückverfolgbar, ideal für die Serienmontage im Maschinen- und Anlagenbau";
const ENGLISH_TAIL: &str =
    "suitable for food-processing plants, corrosion resistant, supplied with inspection certificate 3.1 to EN 10204";
const PACKS: &[i64] = &[1, 1, 1, 50, 100, 100, 200, 500, 1000];

/// `n` products with unique SKUs, in SKU order within each family.
pub fn products(n: usize, seed: u64) -> Vec<Product> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let f = rng.pick(FAMILIES);
        let (material, mat_code) = *rng.pick(f.materials);
        let mut attrs = Vec::new();
        let english = ENGLISH.contains(&f.code);
        let (name, price_factor) = if f.sized {
            let diameter = matches!(f.code, "DUE" | "BLN");
            let (thread, weight) = *rng.pick(if diameter { DIAMETERS } else { THREADS });
            let key = if diameter { "Durchmesser" } else { "Gewinde" };
            attrs.push(Attribute { key: key.into(), value: thread.into() });
            // Nuts and washers have a thread size but no length; threaded
            // rods are sold by the metre.
            let (size, len) = if matches!(f.code, "MUT" | "USB" | "WSH" | "GWS") {
                (thread.to_string(), 0)
            } else {
                let len = *rng.pick(&lengths_for(thread));
                attrs.push(Attribute { key: "Länge".into(), value: format!("{len} mm") });
                (format!("{thread}×{len}"), len)
            };
            let name = if f.norm.is_empty() {
                format!("{} {size}, {material}", f.name)
            } else {
                format!("{} {} {size}, {material}", f.name, f.norm)
            };
            (name, weight * (1 + len / 40))
        } else {
            let v = *rng.pick(f.variants);
            attrs.push(Attribute { key: "Ausführung".into(), value: v.into() });
            (format!("{} {v}", f.name), 1 + rng.below(3) as i64)
        };
        attrs.push(Attribute { key: "Material".into(), value: material.into() });
        if !f.norm.is_empty() {
            attrs.push(Attribute { key: "Norm".into(), value: f.norm.into() });
        }
        let pack = if f.c_part && f.unit == "pc" { *rng.pick(PACKS) } else { 1 };
        if pack > 1 {
            attrs.push(Attribute { key: "VPE".into(), value: format!("{pack} Stück") });
        }
        let tails: &[&str] = match f.code {
            _ if english => &[ENGLISH_TAIL],
            "SKS" | "SEN" | "HOS" => &[SCREW_TAIL, GERMAN_TAIL],
            _ => &[GERMAN_TAIL],
        };
        let name = if rng.chance(4) { format!("{name} {}", rng.pick(tails)) } else { name };
        let cents = f.base_cents * price_factor + rng.below(50) as i64;
        let tax_class = if f.code == "SBR" && rng.chance(10) { "DE-RED" } else { "DE-STD" };
        out.push(Product {
            sku: format!("{}-{mat_code}-{i:06}", f.code),
            description: if english {
                format!(
                    "{} made of {material}. Shipped from stock, {}.",
                    f.name,
                    if f.c_part { "also as kanban replenishment" } else { "with the maker's warranty" }
                )
            } else {
                format!(
                    "{} aus {material}. Lieferung ab Lager, {}.",
                    f.name,
                    if f.c_part { "auch im Kanban-Nachschub" } else { "mit Herstellergarantie" }
                )
            },
            name,
            category: f.category.into(),
            unit: f.unit.into(),
            list_price: Money::new(Decimal::new(cents.max(1), 2), Currency::EUR),
            tax_class: tax_class.into(),
            attributes: attrs,
            image: Some(format!("{}.png", f.code.to_lowercase())),
            c_part: f.c_part,
            active: !rng.chance(2),
            seq: 0,
        });
    }
    out
}

const COMPANY_WORDS: &[&str] = &[
    "Maschinenbau",
    "Metallbau",
    "Anlagenbau",
    "Schreinerei",
    "Elektrotechnik",
    "Fahrzeugtechnik",
    "Stahlbau",
    "Haustechnik",
    "Feinmechanik",
    "Werkzeugbau",
    "Holzbau",
    "Automation",
];
const SURNAMES: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Weiß",
    "Groß",
    "Böhm",
    "Köhler",
    "Jäger",
    "Strauß",
    "Öztürk",
];
/// First names with the form of address their bearers use.
const FIRST_NAMES: &[(&str, Salutation)] = &[
    ("Anna", Salutation::Ms),
    ("Jürgen", Salutation::Mr),
    ("Sabine", Salutation::Ms),
    ("Thomas", Salutation::Mr),
    ("Özlem", Salutation::Ms),
    ("Stefan", Salutation::Mr),
    ("Katharina", Salutation::Ms),
    ("Michael", Salutation::Mr),
    ("Birgit", Salutation::Ms),
    ("Andreas", Salutation::Mr),
    ("Jörg", Salutation::Mr),
    ("Monika", Salutation::Ms),
    ("Lukas", Salutation::Mr),
    ("Sophie", Salutation::Ms),
    ("René", Salutation::Mr),
    ("Chloé", Salutation::Ms),
    ("Dragan", Salutation::Mr),
    ("Agnieszka", Salutation::Ms),
];
const LEGAL_FORMS: &[&str] = &["GmbH", "GmbH & Co. KG", "AG", "e.K.", "KG", "OHG", "GmbH"];
const CITIES: &[(&str, &str)] = &[
    ("München", "80331"),
    ("Köln", "50667"),
    ("Düsseldorf", "40213"),
    ("Nürnberg", "90402"),
    ("Stuttgart", "70173"),
    ("Hamburg", "20095"),
    ("Berlin", "10115"),
    ("Frankfurt am Main", "60311"),
    ("Würzburg", "97070"),
    ("Lüneburg", "21335"),
    ("Görlitz", "02826"),
    ("Osnabrück", "49074"),
];
const STREETS: &[&str] =
    &["Hauptstraße", "Industriestraße", "Gewerbepark", "Am Mühlbach", "Schloßallee", "Bahnhofstraße", "Lindenweg"];
/// Roles with their titles for a man and for a woman.
const TITLES: &[(BuyingRole, &str, &str)] = &[
    (BuyingRole::DecisionMaker, "Geschäftsführer", "Geschäftsführerin"),
    (BuyingRole::BudgetHolder, "Leiter Einkauf", "Leiterin Einkauf"),
    (BuyingRole::Influencer, "Konstruktionsleiter", "Konstruktionsleiterin"),
    (BuyingRole::User, "Meister Montage", "Meisterin Montage"),
    (BuyingRole::Gatekeeper, "Assistenz der Geschäftsführung", "Assistenz der Geschäftsführung"),
];

fn uuid(rng: &mut Rng) -> String {
    let hi = u128::from(rng.next_u64());
    let lo = u128::from(rng.next_u64());
    uuid::Builder::from_random_bytes(((hi << 64) | lo).to_be_bytes()).into_uuid().to_string()
}

fn ascii_mail(s: &str) -> String {
    crate::text::fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// `n` accounts, each with 3–5 contacts covering the buying center, assigned
/// round-robin to reps `rep-1`…`rep-5`.
pub fn accounts(n: usize, seed: u64) -> Vec<(Account, Vec<Contact>)> {
    let mut rng = Rng::new(seed ^ 0xACC0_u64);
    let base: DateTime<Utc> = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(); // 2026-01-01
    (0..n)
        .map(|i| {
            let owner = *rng.pick(SURNAMES);
            let (city, zip) = *rng.pick(CITIES);
            let word = *rng.pick(COMPANY_WORDS);
            let name = if rng.chance(50) { format!("{owner} {word}") } else { format!("{word} {owner} & Söhne") };
            let account = Account {
                id: uuid(&mut rng),
                name,
                legal_form: Some((*rng.pick(LEGAL_FORMS)).into()),
                employees: Some(5 + rng.below(400) as u32),
                industry: Some(word.into()),
                billing_address: Address {
                    street: format!("{} {}", rng.pick(STREETS), 1 + rng.below(120)),
                    postal_code: zip.into(),
                    city: city.into(),
                    country: "DE".into(),
                },
                shipping_address: None,
                vat_id: Some(german_vat_id(10_000_000 + rng.below(89_999_999))),
                customer_group: Some((*rng.pick(&["A", "B", "C"])).into()),
                assigned_rep: Some(format!("rep-{}", 1 + i % 5)),
                attributes: Default::default(),
                vat_confirmation: None,
            };
            let domain = format!("{}-{}.example", ascii_mail(owner), ascii_mail(word));
            let k = 3 + rng.below(3);
            let contacts = (0..k)
                .map(|j| {
                    let (role, his, hers) = TITLES[j % TITLES.len()];
                    let (first, form) = *rng.pick(FIRST_NAMES);
                    let title = if form == Salutation::Ms { hers } else { his };
                    // Some contacts' form of address is not known: letters
                    // address them by full name.
                    let salutation = (!(i + j).is_multiple_of(7)).then_some(form);
                    let last = *rng.pick(SURNAMES);
                    let consent = rng.chance(60).then(|| MarketingConsent {
                        granted: rng.chance(85),
                        at: base + chrono::Duration::hours(rng.below(24 * 300) as i64),
                        source: (*rng.pick(&["Messe Hannover", "Web-Formular (Double-Opt-in)", "Vor-Ort-Termin"]))
                            .into(),
                    });
                    Contact {
                        id: uuid(&mut rng),
                        account_id: account.id.clone(),
                        first_name: first.into(),
                        last_name: last.into(),
                        role,
                        title: Some(title.into()),
                        email: Some(format!("{}.{}@{domain}", ascii_mail(first), ascii_mail(last))),
                        phone: Some(format!("+49 {} {}", 100 + rng.below(900), 100_000 + rng.below(900_000))),
                        consent,
                        salutation,
                    }
                })
                .collect();
            (account, contacts)
        })
        .collect()
}

/// Price lists for the sample: one per customer group (A, B, C) for 2026
/// with quantity tiers on about a fifth of the products, and a customer price
/// list for every tenth account.
pub fn price_lists(products: &[Product], accounts: &[(Account, Vec<Contact>)], seed: u64) -> Vec<PriceList> {
    let mut rng = Rng::new(seed ^ 0x009A_1CE5);
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d);
    let tiers_for = |p: &Product, discount: i64, rng: &mut Rng| -> Vec<PriceTier> {
        let list = p.list_price.amount;
        let mut tiers = vec![PriceTier {
            sku: p.sku.clone(),
            min_qty: Decimal::ONE,
            unit_price: crate::money::round_half_up(list * Decimal::new(100 - discount, 2), 4),
        }];
        if p.c_part && rng.chance(70) {
            for (qty, extra) in [(100, 5), (1000, 10)] {
                tiers.push(PriceTier {
                    sku: p.sku.clone(),
                    min_qty: Decimal::new(qty, 0),
                    unit_price: crate::money::round_half_up(list * Decimal::new(100 - discount - extra, 2), 4),
                });
            }
        }
        tiers
    };
    let mut lists = Vec::new();
    for (group, discount) in [("A", 12), ("B", 8), ("C", 4)] {
        let mut tiers = Vec::new();
        for p in products.iter().filter(|p| p.active) {
            if rng.chance(20) {
                tiers.extend(tiers_for(p, discount, &mut rng));
            }
        }
        lists.push(PriceList {
            id: format!("PL-GROUP-{group}-2026"),
            name: format!("Kundengruppe {group} 2026"),
            currency: Currency::EUR,
            scope: PriceListScope::CustomerGroup(group.into()),
            valid_from: day(1, 1),
            valid_to: day(12, 31),
            tiers,
            seq: 0,
        });
    }
    let active: Vec<&Product> = products.iter().filter(|p| p.active).collect();
    for (i, (a, _)) in accounts.iter().enumerate().filter(|(i, _)| i % 10 == 0) {
        if active.is_empty() {
            break;
        }
        let mut tiers = Vec::new();
        let mut used = std::collections::HashSet::new();
        for _ in 0..20 {
            let p = *rng.pick(&active);
            if used.insert(p.sku.clone()) {
                tiers.extend(tiers_for(p, 15, &mut rng));
            }
        }
        lists.push(PriceList {
            id: format!("PL-CUST-{i:04}"),
            name: format!("Sonderpreise {}", a.name),
            currency: Currency::EUR,
            scope: PriceListScope::Customer(a.id.clone()),
            valid_from: day(3, 1),
            valid_to: day(9, 30),
            tiers,
            seq: 0,
        });
    }
    lists
}

/// A small content library: case studies and customer stories for a few
/// product families, each linked to up to five products of the family.
pub fn content(products: &[Product]) -> Vec<crate::catalog::ContentItem> {
    use crate::catalog::{ContentItem, ContentKind};
    let stories = [
        (
            "CS-2026-01",
            ContentKind::CaseStudy,
            "MS-",
            "Holzbau Huber: Dachstuhl in zwei statt drei Tagen montiert",
            "Mit der Müller-Schraube ohne Vorbohren: 30 % weniger Montagezeit auf der Baustelle.",
        ),
        (
            "CS-2026-02",
            ContentKind::CaseStudy,
            "SKS-",
            "Kanban für C-Teile: 40 % weniger Lagerbestand bei Stahlbau Krüger",
            "Zwei-Behälter-Kanban mit automatischem Nachschub über Onsite.",
        ),
        (
            "ST-2026-03",
            ContentKind::CustomerStory,
            "HSN-",
            "Schreinerei Weiß: keine Schnittverletzungen seit dem Wechsel",
            "Nitril-Handschuhe im Abo, passend zu jeder Größe im Team.",
        ),
        (
            "WP-2026-04",
            ContentKind::Whitepaper,
            "TRS-",
            "Trennen ohne Anlauffarben: Edelstahl richtig bearbeiten",
            "Leitfaden mit Schnittdaten für Trennscheiben in Edelstahl A2 und A4.",
        ),
    ];
    stories
        .iter()
        .map(|(id, kind, prefix, title, summary)| ContentItem {
            id: (*id).into(),
            kind: *kind,
            title: (*title).into(),
            summary: (*summary).into(),
            url: Some(format!("https://content.onsite.invalid/{}", id.to_lowercase())),
            skus: products.iter().filter(|p| p.sku.starts_with(prefix)).take(5).map(|p| p.sku.clone()).collect(),
            seq: 0,
        })
        .collect()
}

/// Costs for every product: 55–70 % of the list price.
pub fn costs(products: &[Product], seed: u64) -> Vec<crate::catalog::ProductCost> {
    let mut rng = Rng::new(seed ^ 0xC057);
    products
        .iter()
        .map(|p| crate::catalog::ProductCost {
            sku: p.sku.clone(),
            cost: crate::money::round_half_up(p.list_price.amount * Decimal::new(55 + rng.below(16) as i64, 2), 4),
            seq: 0,
        })
        .collect()
}

/// Three sample campaigns of a fastener wholesaler's marketing, with
/// figures: one with an A/B test of its subject line and one whose landing
/// page loses people.
pub fn campaigns() -> Vec<crate::leads::Campaign> {
    use crate::leads::{Campaign, CampaignStats, Placement, Variant};
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let stats = |sent, opened, clicked, visits, bounces, leads, customers| CampaignStats {
        sent,
        opened,
        clicked,
        visits,
        bounces,
        seconds_on_page: visits * 48,
        scroll_pct_sum: visits * 52,
        submissions: leads / 3,
        downloads: leads - leads / 3,
        new_leads: leads,
        new_customers: customers,
    };
    let mail = |placement: &str| Placement { channel: "E-Mail".into(), placement: placement.into() };
    vec![
        Campaign {
            id: "kanban-c-teile".into(),
            topic: "Kanban für C-Teile: 40 % weniger Lagerbestand".into(),
            published: day(2026, 10, 6),
            channels: vec![
                mail("Newsletter Oktober"),
                Placement { channel: "LinkedIn".into(), placement: "Sponsored Post".into() },
            ],
            goal: "60 neue Leads aus Maschinen- und Anlagenbau".into(),
            call_to_action: "Fallstudie herunterladen".into(),
            targets: None,
            test_share_pct: 10,
            stats: stats(12_000, 3_480, 910, 1_650, 520, 118, 14),
            variants: vec![
                Variant {
                    name: "A".into(),
                    description: "Betreff: Kanban für C-Teile".into(),
                    stats: stats(600, 150, 38, 0, 0, 0, 0),
                },
                Variant {
                    name: "B".into(),
                    description: "Betreff: 40 % weniger Lagerbestand bei C-Teilen".into(),
                    stats: stats(600, 186, 52, 0, 0, 0, 0),
                },
            ],
            imported_files: vec![],
        },
        Campaign {
            id: "edelstahl-webinar".into(),
            topic: "Webinar: Edelstahl richtig befestigen".into(),
            published: day(2026, 9, 15),
            channels: vec![mail("Einladung"), Placement { channel: "XING".into(), placement: "Event".into() }],
            goal: "200 Anmeldungen".into(),
            call_to_action: "Jetzt anmelden".into(),
            targets: None,
            test_share_pct: 10,
            stats: stats(8_000, 2_320, 640, 1_100, 880, 30, 2),
            variants: vec![],
            imported_files: vec![],
        },
        Campaign {
            id: "akku-aktion".into(),
            topic: "Akku-Werkzeug: Frühjahrsaktion".into(),
            published: day(2026, 4, 1),
            channels: vec![mail("Aktionsmailing")],
            goal: "Abverkauf 500 Geräte".into(),
            call_to_action: "Angebot anfordern".into(),
            targets: None,
            test_share_pct: 10,
            stats: stats(15_000, 3_300, 700, 1_400, 420, 150, 31),
            variants: vec![],
            imported_files: vec![],
        },
    ]
}

/// Marketing and field activities for sample accounts: `per_account` each,
/// spread over the year before `now` (e-mails, downloads, webinars, social
/// interactions, calls, visits), for demos and benchmarks.
pub fn activities(
    accounts: &[(Account, Vec<Contact>)],
    per_account: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> Vec<crate::activity::Activity> {
    use crate::activity::{Activity, ActivityKind as K};
    let mut rng = Rng::new(seed ^ 0xAC71_u64);
    let kinds = [
        K::EmailSent,
        K::EmailSent,
        K::EmailSent,
        K::EmailOpened,
        K::EmailOpened,
        K::LinkClicked,
        K::LandingPageVisit,
        K::CaseStudyDownload,
        K::WhitepaperDownload,
        K::WebinarAttended,
        K::SocialLike,
        K::SocialComment,
        K::InboundCall,
        K::Visit,
        K::Meeting,
        K::Call,
    ];
    let mut out = Vec::with_capacity(accounts.len() * per_account);
    for (a, contacts) in accounts {
        for _ in 0..per_account {
            let kind = *rng.pick(&kinds);
            let contact = if contacts.is_empty() { None } else { Some(rng.pick(contacts).id.clone()) };
            let minutes = rng.below(365 * 24 * 60) as i64;
            out.push(Activity {
                id: uuid(&mut rng),
                account_id: a.id.clone(),
                contact_id: contact,
                kind,
                at: now - chrono::Duration::minutes(minutes),
                by: if matches!(kind, K::InboundCall | K::Visit | K::Meeting | K::Call) {
                    a.assigned_rep.clone().unwrap_or_default()
                } else {
                    "marketing".into()
                },
                subject: String::new(),
                notes: String::new(),
            });
        }
    }
    out
}

/// A well-formed German VAT ID for eight digits: the one check digit that
/// makes it pass `vat::check_vat_id`.
fn german_vat_id(head: usize) -> String {
    (0..10)
        .map(|d| format!("DE{head:08}{d}"))
        .find(|id| crate::vat::check_vat_id(id).is_ok())
        .unwrap_or_else(|| format!("DE{head:08}0"))
}

/// The sample company: what the demo publishes as its company profile, with
/// the hub's address for the approval links.
pub fn company_profile(approval_base_url: &str) -> crate::profile::CompanyProfile {
    crate::profile::CompanyProfile {
        name: "Keller Befestigungstechnik".into(),
        legal_form: "GmbH".into(),
        address: crate::account::Address {
            street: "Hafenstraße 21".into(),
            postal_code: "90451".into(),
            city: "Nürnberg".into(),
            country: "DE".into(),
        },
        register_court: Some("Amtsgericht Nürnberg".into()),
        register_number: Some("HRB 31337".into()),
        vat_id: "DE136695976".into(),
        managing_directors: vec!["Dr. Eva Roth".into(), "Jan Mertens".into()],
        supervisory_board_chair: None,
        phone: Some("+49 911 4711 0".into()),
        email: Some("vertrieb@keller-befestigung.de".into()),
        web: Some("www.keller-befestigung.de".into()),
        bank: Some(crate::profile::BankAccount {
            bank: "Commerzbank Nürnberg".into(),
            iban: "DE89 3704 0044 0532 0130 00".into(),
            bic: "COBADEFFXXX".into(),
        }),
        logo: None,
        logo_file: None,
        accent_colour: Some("#1F4E79".into()),
        footer: None,
        approval_base_url: approval_base_url.into(),
    }
}

/// The sample company's logo: a 360×120 PNG, a dark blue bar with a
/// light ring (what a letterhead's logo looks like, a few KB).
pub fn logo_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(360, 120, |x, y| {
        let (cx, cy) = (x as i64 - 60, y as i64 - 60);
        let r2 = cx * cx + cy * cy;
        if (1600..=2500).contains(&r2) {
            image::Rgb([0xE8, 0xA3, 0x3D])
        } else if (48..72).contains(&y) && x > 120 {
            image::Rgb([0x1F, 0x4E, 0x79])
        } else {
            image::Rgb([0xFF, 0xFF, 0xFF])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    // Writing a PNG to memory cannot fail for an RGB image.
    let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

/// The sample reps' profiles: `rep-1` Anna Berger, `rep-2` Ben Vogt.
pub fn rep_profiles() -> Vec<crate::profile::RepProfile> {
    let rep = |rep: &str, name: &str, title: &str, phone: &str, email: &str| crate::profile::RepProfile {
        rep: rep.into(),
        name: name.into(),
        title: Some(title.into()),
        phone: Some(phone.into()),
        email: Some(email.into()),
    };
    vec![
        rep("rep-1", "Anna Berger", "Außendienst Region Süd", "+49 171 2233445", "a.berger@keller-befestigung.de"),
        rep("rep-2", "Ben Vogt", "Außendienst Region Mitte", "+49 160 9988776", "b.vogt@keller-befestigung.de"),
    ]
}

/// A product photo as the back office would publish it: a PNG of
/// `width` × `height` pixels whose colours depend on `seed` (a gradient
/// with a product-like shape; 10,000 seeds in a row give different images).
pub fn product_png(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let (r, g, b) = ((seed * 67 % 200) as u8 + 30, (seed * 131 % 200) as u8 + 30, (seed * 29 % 200) as u8 + 30);
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let (cx, cy) = (x as i64 - i64::from(width / 2), y as i64 - i64::from(height / 2));
        let inside = cx * cx + cy * cy < i64::from(width.min(height) / 3).pow(2);
        if inside {
            image::Rgb([r, g, b])
        } else {
            image::Rgb([240 - (y * 40 / height.max(1)) as u8, 150 + (seed % 100) as u8, 150 + (seed / 100 % 100) as u8])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    // Writing a PNG to memory cannot fail for an RGB image.
    let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_valid_and_varied() {
        let a = products(3_000, 42);
        assert_eq!(a, products(3_000, 42), "same seed, same data");
        assert_ne!(a, products(3_000, 43));
        let skus: std::collections::HashSet<_> = a.iter().map(|p| p.sku.to_lowercase()).collect();
        assert_eq!(skus.len(), a.len(), "SKUs unique");
        assert!(a.iter().all(|p| p.validate().is_ok()));
        assert!(a.iter().any(|p| p.name.contains('ü')) && a.iter().any(|p| p.name.contains('ß')));
        assert!(a.iter().any(|p| p.name.chars().count() > 120), "long names");
        assert!(a.iter().any(|p| p.name.starts_with("Hex bolt")), "English names");

        let acc = accounts(50, 1);
        assert_eq!(acc, accounts(50, 1));
        for (acct, contacts) in &acc {
            assert!(acct.validate().is_ok(), "{acct:?}");
            assert!((3..=5).contains(&contacts.len()));
            assert!(contacts.iter().all(|c| c.validate().is_ok()));
        }
        let lists = price_lists(&a, &acc, 9);
        assert_eq!(lists.len(), 3 + 5);
        assert!(lists.iter().all(|l| l.validate().is_ok()));
        assert!(lists[0].tiers.iter().any(|t| t.min_qty > Decimal::ONE), "quantity tiers");
    }

    #[test]
    fn the_sample_reads_plausibly_to_a_sales_manager() {
        let products = products(10_000, 2026);
        for p in &products {
            let n = &p.name;
            // Lengths the norms make for the thread: M3 up to 30 mm, M24 from 30 mm.
            if let (Some(t), Some(l)) =
                (p.attributes.iter().find(|a| a.key == "Gewinde"), p.attributes.iter().find(|a| a.key == "Länge"))
            {
                let d: i64 = t.value.trim_start_matches('M').parse().unwrap();
                let len: i64 = l.value.trim_end_matches(" mm").parse().unwrap();
                assert!(len > d && len <= (12 * d).clamp(30, 300), "{n}");
            }
            assert!(!n.contains("Dichtscheibe") || n.contains("schraube"), "a sealing washer on {n}");
            let english = ENGLISH.iter().any(|c| p.sku.starts_with(&format!("{c}-")));
            for german in ["Stahl", "Edelstahl", "verzinkt", "für ", "Lieferung"] {
                assert!(!(english && (n.contains(german) || p.description.contains(german))), "German in {n}");
            }
            for english_word in ["suitable", "stainless", "made of"] {
                assert!(english || !n.contains(english_word), "English in {n}");
            }
            if p.unit == "m" {
                assert!(!n.contains('×'), "sold by the metre, so no length: {n}");
            }
            if n.starts_with("Dübel") || n.starts_with("Blindniete") {
                let thread = |w: &str| w.strip_prefix('M').is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
                assert!(!n.split_whitespace().any(thread), "sized by diameter: {n}");
            }
        }
        for (_, contacts) in accounts(200, 7) {
            for c in contacts {
                let t = c.title.as_deref().unwrap_or_default();
                let female = FIRST_NAMES.iter().any(|(f, s)| *f == c.first_name && *s == Salutation::Ms);
                let male_title = TITLES.iter().any(|(_, his, hers)| t == *his && his != hers);
                let female_title = TITLES.iter().any(|(_, his, hers)| t == *hers && his != hers);
                let fits = if female { !male_title } else { !female_title };
                assert!(fits, "{} {}: {t}", c.first_name, c.last_name);
                assert!(c.salutation.is_none_or(|s| (s == Salutation::Ms) == female));
            }
        }
    }
}
