//! `onsite account`: list, search and show customer accounts.

use std::io::Write;

use clap::Subcommand;
use onsite_core::store::{AccountQuery, AccountSummary, Page};

use super::catalog::SearchArgs;
use crate::args::DbArg;
use crate::error::Result;
use crate::files::open_existing;
use crate::output::{Io, clip, pad, rpad};

#[derive(Debug, Subcommand)]
pub(crate) enum AccountCommand {
    /// List accounts by name.
    List {
        #[command(flatten)]
        db: DbArg,
        /// Only accounts assigned to this rep.
        #[arg(long)]
        rep: Option<String>,
        /// Accounts per page.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Accounts to skip.
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// Print the page as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search accounts by company name, city or contact name.
    ///
    /// Every word must match as a word beginning, in any case, with or
    /// without umlauts.
    Search {
        #[command(flatten)]
        search: SearchArgs,
    },
    /// Create an account on a device store (sent with `onsite device sync`); prints its id.
    Create {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The company name.
        #[arg(long)]
        name: String,
        /// Legal form (GmbH, AG, …).
        #[arg(long)]
        legal_form: Option<String>,
        /// Street and number of the billing address.
        #[arg(long)]
        street: String,
        /// Postal code.
        #[arg(long)]
        postal_code: String,
        /// City.
        #[arg(long)]
        city: String,
        /// ISO country code.
        #[arg(long, default_value = "DE")]
        country: String,
        /// Employees.
        #[arg(long)]
        employees: Option<u32>,
        /// The rep the account is for (the back office assigns it).
        #[arg(long)]
        rep: Option<String>,
        /// Print the account as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change an account's fields on a device store (only those given).
    Edit {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The account id.
        id: String,
        /// The company name.
        #[arg(long)]
        name: Option<String>,
        /// Legal form.
        #[arg(long)]
        legal_form: Option<String>,
        /// Employees.
        #[arg(long)]
        employees: Option<u32>,
        /// Industry.
        #[arg(long)]
        industry: Option<String>,
        /// VAT ID.
        #[arg(long)]
        vat_id: Option<String>,
        /// Street and number of the billing address.
        #[arg(long)]
        street: Option<String>,
        /// Postal code.
        #[arg(long)]
        postal_code: Option<String>,
        /// City.
        #[arg(long)]
        city: Option<String>,
        /// Print the account as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a contact's fields on a device store (only those given).
    EditContact {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The account id.
        #[arg(long)]
        account: String,
        /// The contact id.
        id: String,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Phone number.
        #[arg(long)]
        phone: Option<String>,
        /// Title.
        #[arg(long)]
        title: Option<String>,
        /// Print the contact as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a contact to an account on a device store; prints its id.
    AddContact {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The account id.
        #[arg(long)]
        account: String,
        /// First name.
        #[arg(long)]
        first_name: String,
        /// Last name.
        #[arg(long)]
        last_name: String,
        /// Role in the buying center.
        #[arg(long, value_parser = ["decision_maker", "influencer", "user", "gatekeeper", "budget_holder"], default_value = "user")]
        role: String,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Phone number.
        #[arg(long)]
        phone: Option<String>,
        /// Print the contact as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one account with its contacts, latest activities and quotes (JSON).
    Show {
        #[command(flatten)]
        db: DbArg,
        /// The account id.
        id: String,
    },
}

/// What a write made: its id, or the record as JSON.
pub(crate) fn created<T: serde::Serialize>(io: &mut Io<'_>, json: bool, id: &str, record: &T) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut io.out, record)?;
        writeln!(io.out)?;
    } else {
        writeln!(io.out, "{id}")?;
    }
    Ok(())
}

/// One account with its contacts and latest activities, as JSON.
fn show_account(db: &DbArg, id: &str, io: &mut Io<'_>) -> Result<()> {
    let store = open_existing(db)?;
    let shown = serde_json::json!({
        "account": store.account(id)?,
        "contacts": store.contacts(id)?,
        "activities": store.activities_for_account(id, 20)?,
        "quotes": store.quotes_for_account(id)?,
    });
    serde_json::to_writer_pretty(&mut io.out, &shown)?;
    writeln!(io.out)?;
    Ok(())
}

pub(crate) fn print_accounts(out: &mut dyn Write, page: &Page<AccountSummary>) -> Result<()> {
    if page.items.is_empty() {
        writeln!(out, "no accounts found")?;
        return Ok(());
    }
    for (i, a) in page.items.iter().enumerate() {
        let legal = a.legal_form.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
        writeln!(
            out,
            "{}  {}  {}  group {}  {}  {} contacts",
            rpad(&(page.offset as usize + i + 1).to_string(), 4),
            pad(&clip(&format!("{}{legal}", a.name), 48), 48),
            pad(&clip(&a.city, 18), 18),
            a.customer_group.as_deref().unwrap_or("-"),
            pad(a.assigned_rep.as_deref().unwrap_or("-"), 6),
            a.contact_count
        )?;
        for c in &a.matching_contacts {
            writeln!(out, "        ↳ {} ({})", c.name, c.role.as_str().replace('_', " "))?;
        }
    }
    if page.has_more {
        writeln!(out, "… more with --offset {}", page.offset as usize + page.items.len())?;
    }
    Ok(())
}

pub(crate) fn run(cmd: AccountCommand, io: &mut Io<'_>) -> Result<()> {
    let (page, json) = match cmd {
        AccountCommand::Show { db, id } => return show_account(&db, &id, io),
        AccountCommand::Create { db, name, legal_form, street, postal_code, city, country, employees, rep, json } => {
            let store = db.store()?;
            let account = onsite_core::account::Account {
                id: onsite_core::ids::new_id(),
                name,
                legal_form,
                employees,
                industry: None,
                billing_address: onsite_core::account::Address { street, postal_code, city, country },
                shipping_address: None,
                vat_id: None,
                customer_group: None,
                assigned_rep: rep,
                attributes: Default::default(),
                vat_confirmation: None,
            };
            store.save_account(&account)?;
            return created(io, json, &account.id, &account);
        }
        AccountCommand::Edit {
            db,
            id,
            name,
            legal_form,
            employees,
            industry,
            vat_id,
            street,
            postal_code,
            city,
            json,
        } => {
            let store = db.store()?;
            let mut a = store.account(&id)?;
            a.name = name.unwrap_or(a.name);
            a.legal_form = legal_form.or(a.legal_form);
            a.employees = employees.or(a.employees);
            a.industry = industry.or(a.industry);
            a.vat_id = vat_id.or(a.vat_id);
            a.billing_address.street = street.unwrap_or(a.billing_address.street);
            a.billing_address.postal_code = postal_code.unwrap_or(a.billing_address.postal_code);
            a.billing_address.city = city.unwrap_or(a.billing_address.city);
            store.save_account(&a)?;
            return created(io, json, &a.id, &a);
        }
        AccountCommand::EditContact { db, account, id, email, phone, title, json } => {
            let store = db.store()?;
            let mut c = store
                .contacts(&account)?
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| onsite_core::Error::not_found("contact", &id))?;
            c.email = email.or(c.email);
            c.phone = phone.or(c.phone);
            c.title = title.or(c.title);
            store.save_contact(&c)?;
            return created(io, json, &c.id, &c);
        }
        AccountCommand::AddContact { db, account, first_name, last_name, role, email, phone, json } => {
            let store = db.store()?;
            store.account(&account)?;
            let contact = onsite_core::account::Contact {
                id: onsite_core::ids::new_id(),
                account_id: account,
                first_name,
                last_name,
                role: onsite_core::account::BuyingRole::parse(&role).map_err(onsite_core::Error::from)?,
                title: None,
                email,
                phone,
                consent: None,
                salutation: None,
            };
            store.save_contact(&contact)?;
            return created(io, json, &contact.id, &contact);
        }
        AccountCommand::List { db, rep, limit, offset, json } => {
            let store = open_existing(&db)?;
            (store.list_accounts(rep.as_deref(), offset, limit)?, json)
        }
        AccountCommand::Search { search } => {
            let store = open_existing(&search.db)?;
            let q = AccountQuery { text: search.query.join(" "), offset: search.offset, limit: search.limit };
            (store.search_accounts(&q)?, search.json)
        }
    };
    if json {
        serde_json::to_writer_pretty(&mut io.out, &page)?;
        writeln!(io.out)?;
        Ok(())
    } else {
        print_accounts(io.out, &page)
    }
}
