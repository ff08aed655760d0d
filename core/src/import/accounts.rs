//! Accounts with their contacts from a CRM export (`onsite admin import
//! accounts`): CSV with one row per contact (the account's columns repeated,
//! a row without contact columns for an account without contacts), or JSON
//! (an array of accounts, each with a `contacts` array). All or nothing:
//! every bad row is reported with its line.

use std::collections::BTreeMap;

use crate::account::{Account, Address, BuyingRole, Contact};
use crate::table::{Problem, csv_table, problem};

/// One account to import, with its contacts and the line it started on.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountImport {
    /// The first line of the account in the file.
    pub line: u64,
    /// The account.
    pub account: Account,
    /// Its contacts.
    pub contacts: Vec<Contact>,
}

/// Most accounts in one file.
pub const MAX_ACCOUNTS: usize = 100_000;

/// The columns of the CSV form.
pub const COLUMNS: &[&str] = &[
    "account_id",
    "name",
    "legal_form",
    "street",
    "postal_code",
    "city",
    "country",
    "employees",
    "industry",
    "vat_id",
    "customer_group",
    "assigned_rep",
    "contact_id",
    "first_name",
    "last_name",
    "role",
    "title",
    "email",
    "phone",
];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonContact {
    id: String,
    first_name: String,
    last_name: String,
    #[serde(default = "default_role")]
    role: BuyingRole,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

fn default_role() -> BuyingRole {
    BuyingRole::User
}

/// An account from the file over the one the hub holds: what the file
/// leaves empty is kept (a CRM export knows nothing of the back office's VAT
/// confirmation, the shipping address or the attributes); the confirmation
/// only while the VAT ID stays the same.
pub fn merge_account(file: &Account, held: &Account) -> Account {
    let mut a = file.clone();
    a.legal_form = a.legal_form.or_else(|| held.legal_form.clone());
    a.employees = a.employees.or(held.employees);
    a.industry = a.industry.or_else(|| held.industry.clone());
    a.vat_id = a.vat_id.or_else(|| held.vat_id.clone());
    a.customer_group = a.customer_group.or_else(|| held.customer_group.clone());
    a.assigned_rep = a.assigned_rep.or_else(|| held.assigned_rep.clone());
    a.shipping_address = a.shipping_address.or_else(|| held.shipping_address.clone());
    if a.attributes.is_empty() {
        a.attributes = held.attributes.clone();
    }
    if a.vat_confirmation.is_none() && a.vat_id == held.vat_id {
        a.vat_confirmation = held.vat_confirmation.clone();
    }
    a
}

/// A contact from the file over the one held: the marketing consent and
/// the form of address (never in a CRM export here) are kept, and so is
/// what the file leaves empty.
pub fn merge_contact(file: &Contact, held: &Contact) -> Contact {
    let mut c = file.clone();
    c.title = c.title.or_else(|| held.title.clone());
    c.email = c.email.or_else(|| held.email.clone());
    c.phone = c.phone.or_else(|| held.phone.clone());
    c.consent = c.consent.or_else(|| held.consent.clone());
    c.salutation = c.salutation.or(held.salutation);
    c
}

/// Reads a file of accounts; `Err` lists every problem (nothing is imported).
pub fn parse_accounts(bytes: &[u8]) -> Result<Vec<AccountImport>, Vec<Problem>> {
    let text = std::str::from_utf8(crate::table::strip_bom(bytes))
        .map_err(|_| vec![problem(1, None, "the file is not UTF-8")])?;
    let imports = if text.trim_start().starts_with('[') { from_json(text)? } else { from_csv(bytes)? };
    check(imports)
}

fn from_json(text: &str) -> Result<Vec<AccountImport>, Vec<Problem>> {
    let list: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| vec![problem(e.line() as u64, None, format!("bad JSON: {e}"))])?;
    let mut out = Vec::with_capacity(list.len().min(MAX_ACCOUNTS));
    let mut problems = Vec::new();
    for (i, v) in list.into_iter().enumerate() {
        let line = i as u64 + 1;
        let key = v.get("id").and_then(|x| x.as_str()).map(str::to_string);
        let serde_json::Value::Object(mut map) = v else {
            problems.push(problem(line, None, format!("account {line} of the array is not an object")));
            continue;
        };
        let contacts = map.remove("contacts").unwrap_or(serde_json::Value::Array(vec![]));
        let known = crate::crdt::schema::fields_of::<Account>().unwrap_or(&[]);
        if let Some(k) = map.keys().find(|k| !known.contains(&k.as_str())) {
            problems.push(problem(line, key.as_deref(), format!("account {line} of the array: unknown field {k:?}")));
            continue;
        }
        let parsed = serde_json::from_value::<Account>(serde_json::Value::Object(map))
            .and_then(|a| serde_json::from_value::<Vec<JsonContact>>(contacts).map(|c| (a, c)));
        match parsed {
            Ok((account, contacts)) => {
                let id = account.id.clone();
                out.push(AccountImport {
                    line,
                    contacts: contacts
                        .into_iter()
                        .map(|c| Contact {
                            id: c.id,
                            account_id: id.clone(),
                            first_name: c.first_name,
                            last_name: c.last_name,
                            role: c.role,
                            title: c.title,
                            email: c.email,
                            phone: c.phone,
                            consent: None,
                            salutation: None,
                        })
                        .collect(),
                    account,
                })
            }
            Err(e) => problems.push(problem(line, key.as_deref(), format!("account {line} of the array: {e}"))),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn from_csv(bytes: &[u8]) -> Result<Vec<AccountImport>, Vec<Problem>> {
    let (names, rows) = csv_table(bytes)?;
    let unknown: Vec<&String> = names.iter().filter(|n| !COLUMNS.contains(&n.as_str())).collect();
    if !unknown.is_empty() {
        return Err(vec![problem(
            1,
            None,
            format!("unknown columns {unknown:?}; the columns are {}", COLUMNS.join(", ")),
        )]);
    }
    let missing: Vec<&&str> = ["account_id", "name", "street", "postal_code", "city"]
        .iter()
        .filter(|c| !names.iter().any(|n| n == *c))
        .collect();
    if !missing.is_empty() {
        return Err(vec![problem(1, None, format!("the header lacks the columns {missing:?}"))]);
    }
    let col = |name: &str| names.iter().position(|n| n == name);
    let mut by_id: BTreeMap<String, AccountImport> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    for (line, f) in rows {
        let get = |name: &str| col(name).and_then(|i| f.get(i)).cloned().unwrap_or_default();
        let opt = |name: &str| Some(get(name)).filter(|s| !s.is_empty());
        let id = get("account_id");
        let employees = match opt("employees").map(|e| e.replace(['.', ' ', '_'], "").parse::<u32>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                problems.push(problem(
                    line,
                    Some(&id),
                    format!("employees {:?} is not a whole number", get("employees")),
                ));
                continue;
            }
        };
        let account = Account {
            id: id.clone(),
            name: get("name"),
            legal_form: opt("legal_form"),
            employees,
            industry: opt("industry"),
            billing_address: Address {
                street: get("street"),
                postal_code: get("postal_code"),
                city: get("city"),
                country: opt("country").unwrap_or_else(|| "DE".into()).to_uppercase(),
            },
            shipping_address: None,
            vat_id: opt("vat_id"),
            customer_group: opt("customer_group"),
            assigned_rep: opt("assigned_rep"),
            attributes: Default::default(),
            vat_confirmation: None,
        };
        let entry = match by_id.get_mut(&id) {
            Some(e) => {
                if e.account != account {
                    problems.push(problem(
                        line,
                        Some(&id),
                        format!("the account's columns differ from line {} of the same account", e.line),
                    ));
                    continue;
                }
                e
            }
            None => {
                order.push(id.clone());
                by_id.entry(id.clone()).or_insert(AccountImport { line, account, contacts: Vec::new() })
            }
        };
        let contact_cols = ["contact_id", "first_name", "last_name", "role", "title", "email", "phone"];
        if contact_cols.iter().all(|c| get(c).is_empty()) {
            continue;
        }
        let role = match opt("role").map(|r| BuyingRole::parse(&r.replace([' ', '-'], "_").to_lowercase())) {
            None => BuyingRole::User,
            Some(Ok(r)) => r,
            Some(Err(_)) => {
                problems.push(problem(
                    line,
                    Some(&id),
                    format!(
                        "role {:?} is not one of decision_maker, influencer, user, gatekeeper, budget_holder",
                        get("role")
                    ),
                ));
                continue;
            }
        };
        entry.contacts.push(Contact {
            id: get("contact_id"),
            account_id: id.clone(),
            first_name: get("first_name"),
            last_name: get("last_name"),
            role,
            title: opt("title"),
            email: opt("email"),
            phone: opt("phone"),
            consent: None,
            salutation: None,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(order.into_iter().filter_map(|id| by_id.remove(&id)).collect())
}

/// The records' own rules, every id once, the size limit.
fn check(imports: Vec<AccountImport>) -> Result<Vec<AccountImport>, Vec<Problem>> {
    let mut problems = Vec::new();
    if imports.is_empty() {
        problems.push(problem(1, None, "the file holds no accounts"));
    }
    if imports.len() > MAX_ACCOUNTS {
        problems.push(problem(1, None, format!("more than {MAX_ACCOUNTS} accounts in one file")));
    }
    let mut contact_seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut account_seen: BTreeMap<String, u64> = BTreeMap::new();
    for a in &imports {
        if let Some(first) = account_seen.insert(a.account.id.clone(), a.line) {
            problems.push(problem(a.line, Some(&a.account.id), format!("account id also on line {first}")));
        }
        if let Err(e) = a.account.validate() {
            problems.push(problem(a.line, Some(&a.account.id), e.to_string()));
        }
        for c in &a.contacts {
            if let Some(first) = contact_seen.insert(c.id.clone(), a.line) {
                problems.push(problem(
                    a.line,
                    Some(&a.account.id),
                    format!("contact id {} also on line {first}", c.id),
                ));
            }
            if let Err(e) = c.validate() {
                problems.push(problem(a.line, Some(&a.account.id), format!("contact {}: {e}", c.id)));
            }
        }
    }
    problems.sort_by_key(|p| p.line);
    if problems.is_empty() { Ok(imports) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "account_id;name;legal_form;street;postal_code;city;country;employees;assigned_rep;contact_id;first_name;last_name;role;email\n\
        crm-1001;Müller Maschinenbau;GmbH;Hauptstraße 1;80331;München;DE;62;rep-1;c-1;Petra;Einkauf;decision maker;petra@mueller.example\n\
        crm-1001;Müller Maschinenbau;GmbH;Hauptstraße 1;80331;München;DE;62;rep-1;c-2;Karl;Lager;user;\n\
        crm-1002;Weber Metallbau;KG;Ringstraße 5;90402;Nürnberg;de;;;;;;;\n";

    #[test]
    fn a_crm_export_becomes_accounts_with_contacts() {
        let a = parse_accounts(GOOD.as_bytes()).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].account.id.as_str(), a[0].contacts.len(), a[0].line), ("crm-1001", 2, 2));
        assert_eq!(a[0].contacts[0].role, BuyingRole::DecisionMaker);
        assert_eq!(a[0].contacts[1].email, None);
        assert_eq!((a[1].account.billing_address.country.as_str(), a[1].contacts.len()), ("DE", 0));
        let json = r#"[{"id":"crm-1","name":"Müller","legal_form":null,"employees":5,"industry":null,
            "billing_address":{"street":"Hauptstraße 1","postal_code":"80331","city":"München","country":"DE"},
            "shipping_address":null,"vat_id":null,"customer_group":null,"assigned_rep":"rep-1",
            "contacts":[{"id":"c-9","first_name":"Petra","last_name":"Einkauf","role":"decision_maker"}]}]"#;
        let j = parse_accounts(json.as_bytes()).unwrap();
        assert_eq!((j[0].contacts[0].account_id.as_str(), j[0].contacts[0].role), ("crm-1", BuyingRole::DecisionMaker));
    }

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let bad = "account_id;name;street;postal_code;city;employees;contact_id;first_name;last_name;role;email\n\
            crm-1;Müller;Hauptstraße 1;80331;München;viele;;;;;\n\
            crm-2;;Ringstraße 5;90402;Nürnberg;;;;;;\n\
            crm-3;Weber;Ringstraße 5;90402;Nürnberg;;c-1;Eva;Weiß;chef;\n\
            crm-4;Schmidt;Weg 1;10115;Berlin;;c-2;Max;Muster;user;kein-mail\n\
            crm-4;Schmidt;Weg 2;10115;Berlin;;c-3;Max;Muster;user;\n";
        let p = parse_accounts(bad.as_bytes()).unwrap_err();
        let lines: Vec<u64> = p.iter().map(|x| x.line).collect();
        assert!(lines.contains(&2) && lines.contains(&4) && lines.contains(&6), "{p:?}");
        assert!(p.iter().any(|x| x.line == 2 && x.reason.contains("employees")), "{p:?}");
        assert!(p.iter().any(|x| x.line == 4 && x.reason.contains("role \"chef\"")), "{p:?}");
        assert!(p.iter().any(|x| x.line == 6 && x.reason.contains("differ from line 5")), "{p:?}");
        let p = parse_accounts(b"account_id;name;street;postal_code;city;colour\n").unwrap_err();
        assert!(p[0].reason.contains("unknown columns"), "{p:?}");
        let p = parse_accounts(b"[1, 2]").unwrap_err();
        assert_eq!(p.len(), 2);
        assert!(parse_accounts(b"").is_err());
        assert!(parse_accounts(b"\xff\xfe").is_err());
    }

    #[test]
    fn a_reimport_keeps_what_the_file_does_not_carry() {
        let file = parse_accounts(GOOD.as_bytes()).unwrap().remove(0);
        let mut held = file.account.clone();
        held.shipping_address = Some(held.billing_address.clone());
        held.vat_id = Some("DE136695976".into());
        held.vat_confirmation = Some(crate::account::VatConfirmation {
            vat_id: "DE136695976".into(),
            confirmed_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            reference: "BZST-1".into(),
        });
        let merged = merge_account(&file.account, &held);
        assert_eq!(merged.shipping_address, held.shipping_address);
        assert_eq!(merged.vat_confirmation, held.vat_confirmation, "the same VAT ID keeps its confirmation");
        let mut other = file.account.clone();
        other.vat_id = Some("DE811907980".into());
        assert_eq!(merge_account(&other, &held).vat_confirmation, None, "another VAT ID is not confirmed");
        let mut c = file.contacts[0].clone();
        c.consent =
            Some(crate::account::MarketingConsent { granted: true, at: chrono::Utc::now(), source: "web form".into() });
        let merged = merge_contact(&file.contacts[0], &c);
        assert_eq!(merged.consent, c.consent, "a re-import never drops a consent record");
    }

    #[test]
    fn record_rules_and_duplicate_ids_are_problems() {
        let dup = "account_id;name;street;postal_code;city;contact_id;first_name;last_name\n\
            crm-1;Müller;Hauptstraße 1;80331;München;c-1;Eva;Weiß\n\
            crm-2;Weber;Ringstraße 5;90402;Nürnberg;c-1;Max;Muster\n\
            crm-3;Schmidt;Weg 1;10115;Berlin;;;\n\
            crm/4;Schmidt;Weg 1;10115;Berlin;;;\n";
        let p = parse_accounts(dup.as_bytes()).unwrap_err();
        assert!(p.iter().any(|x| x.line == 3 && x.reason.contains("contact id c-1 also on line 2")), "{p:?}");
        assert!(p.iter().any(|x| x.line == 5 && x.reason.contains("id")), "an id that is not one: {p:?}");
    }
}
