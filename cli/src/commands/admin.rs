//! `onsite admin …`: the back-office API from the command line.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::args::{FormatArg, HubArgs};
use crate::client::HubClient;
use crate::error::{Error, Result};
use crate::files::read_file;
use crate::output::Io;
use crate::output::{clip, pad};

fn client(hub: &HubArgs) -> Result<HubClient> {
    let token = hub.token.as_deref().ok_or_else(|| {
        Error::Usage("a device token is needed: --token or ONSITE_TOKEN (see `onsite admin bootstrap`)".into())
    })?;
    HubClient::new(&hub.hub, token, hub.ca_cert.as_deref())
}

fn print_json(io: &mut Io<'_>, v: &Value) -> Result<()> {
    serde_json::to_writer_pretty(&mut io.out, v)?;
    writeln!(io.out)?;
    Ok(())
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A listed device's state in a word (the JSON has the times).
fn device_state(d: &Value) -> String {
    let at = |k: &str| d.get(k).and_then(Value::as_str);
    if let Some(t) = at("wiped_at") {
        // What the device said: the hub cannot check a device's disk.
        return format!("reported wiped {t}");
    }
    if let Some(t) = at("lost_at") {
        return format!("lost {t}, wipe pending");
    }
    if at("revoked_at").is_some() {
        return "revoked".into();
    }
    match at("token_expires_at").and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        Some(t) if t <= chrono::Utc::now() => "token expired".into(),
        Some(t) => format!("active, token until {}", t.date_naive()),
        None => "token expired".into(),
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn run(cmd: AdminCommand, io: &mut Io<'_>) -> Result<()> {
    match cmd {
        AdminCommand::Bootstrap { database, database_key_file, person, label } => {
            super::serve::bootstrap(&database, database_key_file.as_deref(), &person, &label, io)
        }
        AdminCommand::Device(DeviceCommand::Issue { hub, person, role, account, label, json }) => {
            let v = client(&hub)?.post_json(
                "/v1/admin/devices",
                &json!({ "person": person, "role": role, "account_id": account, "label": label }),
            )?;
            if json {
                return print_json(io, &v);
            }
            let d = &v["device"];
            writeln!(io.out, "device {} ({} {})", s(d, "device_id"), s(d, "role"), s(d, "person"))?;
            writeln!(io.out, "token (shown once, store it now): {}", s(&v, "token"))?;
            Ok(())
        }
        AdminCommand::Device(DeviceCommand::Revoke { hub, device_id }) => {
            let v = client(&hub)?.post_json(&format!("/v1/admin/devices/{}/revoke", enc(&device_id)), &json!({}))?;
            writeln!(io.out, "revoked device {} at {}", device_id, s(&v["device"], "revoked_at"))?;
            Ok(())
        }
        AdminCommand::Device(DeviceCommand::Renew { hub, device_id }) => {
            let v = client(&hub)?.post_json(&format!("/v1/admin/devices/{}/token", enc(&device_id)), &json!({}))?;
            writeln!(io.out, "device {} has a new token; the old one no longer works", device_id)?;
            writeln!(io.out, "token (shown once, store it now): {}", s(&v, "token"))?;
            Ok(())
        }
        AdminCommand::Device(DeviceCommand::Lost { hub, device_id }) => {
            let v = client(&hub)?.post_json(&format!("/v1/admin/devices/{}/lost", enc(&device_id)), &json!({}))?;
            writeln!(
                io.out,
                "device {} reported lost at {}; it wipes itself at its next contact",
                device_id,
                s(&v["device"], "lost_at")
            )?;
            Ok(())
        }
        AdminCommand::Person(PersonCommand::Export { hub, contact_id }) => {
            let v = client(&hub)?.get_json(&format!("/v1/admin/persons/{}", enc(&contact_id)))?;
            print_json(io, &v)
        }
        AdminCommand::Person(PersonCommand::Erase { hub, contact_id, json }) => {
            let v = client(&hub)?.post_json(&format!("/v1/admin/persons/{}/erase", enc(&contact_id)), &json!({}))?;
            if json {
                return print_json(io, &v);
            }
            if v["already_erased"].as_bool() == Some(true) {
                writeln!(io.out, "person {contact_id} was erased before; nothing more to remove")?;
                return Ok(());
            }
            let list = |k: &str| -> String {
                let items: Vec<&str> = v[k].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                if items.is_empty() { "none".into() } else { items.join(", ") }
            };
            writeln!(io.out, "person {contact_id} erased at {}", s(&v, "erased_at"))?;
            writeln!(io.out, "  removed: {} (fields: {})", list("documents_removed"), list("fields_removed"))?;
            writeln!(
                io.out,
                "  with {} activities and {} sync states",
                v["activities_removed"].as_u64().unwrap_or(0),
                v["sync_states_removed"].as_u64().unwrap_or(0)
            )?;
            writeln!(io.out, "  quotes kept, contact reference pseudonymised: {}", list("quotes_pseudonymised"))?;
            for r in v["retained"].as_array().into_iter().flatten() {
                writeln!(io.out, "  kept: {} in {} ({})", s(r, "what"), s(r, "doc_id"), s(r, "reason"))?;
            }
            writeln!(io.out, "  devices delete their copy at their next sync")?;
            Ok(())
        }
        AdminCommand::Device(DeviceCommand::List { hub, json }) => {
            let v = client(&hub)?.get_json("/v1/admin/devices")?;
            if json {
                return print_json(io, &v);
            }
            writeln!(
                io.out,
                "{}  {}  {}  {}  state",
                pad("device", 36),
                pad("role", 8),
                pad("person", 20),
                pad("last seen", 25)
            )?;
            for d in v["devices"].as_array().into_iter().flatten() {
                let state = device_state(d);
                writeln!(
                    io.out,
                    "{}  {}  {}  {}  {state}",
                    pad(s(d, "device_id"), 36),
                    pad(s(d, "role"), 8),
                    pad(&clip(s(d, "person"), 20), 20),
                    pad(s(d, "last_seen_at"), 25)
                )?;
            }
            Ok(())
        }
        AdminCommand::Assign { hub, rep, remove, accounts } => {
            let body = if remove { json!({ "remove": accounts }) } else { json!({ "add": accounts }) };
            let v = client(&hub)?.post_json(&format!("/v1/admin/reps/{}/accounts", enc(&rep)), &body)?;
            let list: Vec<&str> = v["accounts"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            writeln!(io.out, "{rep} now has {} accounts: {}", list.len(), list.join(", "))?;
            Ok(())
        }
        AdminCommand::Import(ImportCommand::Accounts { hub, file }) => {
            let bytes = read_file(&file)?;
            let v = client(&hub)?.post_bytes("/v1/admin/accounts", "application/octet-stream", &bytes)?;
            writeln!(io.out, "imported {}: {} accounts, {} contacts", file.display(), v["accounts"], v["contacts"])?;
            Ok(())
        }
        AdminCommand::Publish(PublishCommand::Catalog { hub, file, format }) => {
            let bytes = read_file(&file)?;
            let format = format.map(|f| match f {
                FormatArg::Csv => "csv",
                FormatArg::Json => "json",
            });
            let ct = if format == Some("csv") { "text/csv" } else { "application/octet-stream" };
            let path =
                format.map_or_else(|| "/v1/admin/catalog".to_string(), |f| format!("/v1/admin/catalog?format={f}"));
            let v = client(&hub)?.post_bytes(&path, ct, &bytes)?;
            writeln!(
                io.out,
                "published {}: {}; catalog sequence {}",
                file.display(),
                super::catalog::describe(&v),
                v["seq"]
            )?;
            Ok(())
        }
        AdminCommand::Publish(PublishCommand::Images { hub, source }) => {
            let files = image_files(&source)?;
            if files.is_empty() {
                return Err(Error::Usage(format!("{} holds no files", source.display())));
            }
            let client = client(&hub)?;
            let mut published = 0;
            let mut problems = Vec::new();
            for (name, bytes) in &files {
                match client.put_bytes(&format!("/v1/admin/images/{}", enc(name)), "application/octet-stream", bytes) {
                    Ok(v) => {
                        published += 1;
                        let img = &v["image"];
                        writeln!(
                            io.out,
                            "{name}: {}×{} {}, {} bytes",
                            img["width"],
                            img["height"],
                            img["media_type"].as_str().unwrap_or(""),
                            img["size"]
                        )?;
                    }
                    Err(Error::Hub { status: 422, message }) => problems.push(format!("{name}: {message}")),
                    Err(e) => return Err(e),
                }
            }
            writeln!(io.out, "published {published} of {} images", files.len())?;
            if !problems.is_empty() {
                for p in &problems {
                    writeln!(io.out, "refused {p}")?;
                }
                return Err(onsite_core::Error::validation(
                    "images",
                    format!("{} of {} were refused", problems.len(), files.len()),
                )
                .into());
            }
            Ok(())
        }
        AdminCommand::Publish(PublishCommand::Policy { hub, file }) => {
            let policy: Value = serde_json::from_slice(&read_file(&file)?)?;
            let v = client(&hub)?.put_json("/v1/admin/discount-policy", &policy)?;
            writeln!(io.out, "published the discount policy; catalog sequence {}", v["catalog_seq"])?;
            Ok(())
        }
        AdminCommand::Publish(PublishCommand::Company { hub, file, logo }) => {
            let mut profile: Value = serde_json::from_slice(&read_file(&file)?)?;
            if let Some(logo) = logo {
                use base64::Engine as _;
                profile["logo"] = Value::String(base64::engine::general_purpose::STANDARD.encode(read_file(&logo)?));
            }
            let v = client(&hub)?.put_json("/v1/admin/company", &profile)?;
            writeln!(io.out, "published the company profile; catalog sequence {}", v["catalog_seq"])?;
            Ok(())
        }
        AdminCommand::Publish(PublishCommand::Rep { hub, rep, name, title, phone, email }) => {
            let body = json!({ "name": name, "title": title, "phone": phone, "email": email });
            let v = client(&hub)?.put_json(&format!("/v1/admin/reps/{}/profile", enc(&rep)), &body)?;
            writeln!(io.out, "published the profile of {rep}; catalog sequence {}", v["catalog_seq"])?;
            Ok(())
        }
        AdminCommand::Quotes { hub, state, pending_discount, json } => {
            let mut path = "/v1/admin/quotes?".to_string();
            if let Some(st) = &state {
                path.push_str(&format!("state={}&", enc(st)));
            }
            if pending_discount {
                path.push_str("pending_discount=true");
            }
            let v = client(&hub)?.get_json(path.trim_end_matches(['?', '&']))?;
            if json {
                return print_json(io, &v);
            }
            let quotes = v["quotes"].as_array().cloned().unwrap_or_default();
            if quotes.is_empty() {
                writeln!(io.out, "no quotes")?;
            }
            for q in &quotes {
                let discount = match q.get("discount_request") {
                    Some(r) if r.is_object() => match r.get("approved") {
                        Some(Value::Bool(true)) => format!("discount {}% approved", s(r, "requested_pct")),
                        Some(Value::Bool(false)) => format!("discount {}% rejected", s(r, "requested_pct")),
                        _ => format!("discount {}% PENDING", s(r, "requested_pct")),
                    },
                    _ => String::new(),
                };
                writeln!(
                    io.out,
                    "{}  {}  {}  rev {}  {} {}  {}",
                    pad(s(q, "number"), 14),
                    pad(s(q, "id"), 36),
                    pad(s(q, "state"), 24),
                    q["revision"],
                    s(q, "gross_total"),
                    s(q, "currency"),
                    discount
                )?;
            }
            Ok(())
        }
        AdminCommand::Discount { hub, decision, quote_id } => {
            let approved = decision == Decision::Approve;
            let v = client(&hub)?.post_json(
                &format!("/v1/admin/quotes/{}/discount-decision", enc(&quote_id)),
                &json!({ "approved": approved }),
            )?;
            let q = &v["quote"];
            writeln!(
                io.out,
                "discount on quote {} {}; the quote is {} again and goes to the rep with the next sync",
                s(q, "number"),
                if approved { "approved" } else { "rejected" },
                s(q, "state")
            )?;
            Ok(())
        }
        AdminCommand::Orders { hub, account, json } => {
            let path = account
                .map_or_else(|| "/v1/admin/orders".to_string(), |a| format!("/v1/admin/orders?account={}", enc(&a)));
            let v = client(&hub)?.get_json(&path)?;
            if json {
                return print_json(io, &v);
            }
            let orders = v["orders"].as_array().cloned().unwrap_or_default();
            if orders.is_empty() {
                writeln!(io.out, "no orders")?;
            }
            for o in &orders {
                let origin = if o["reorder_of"].is_string() { "reorder" } else { "from quote" };
                writeln!(
                    io.out,
                    "{}  account {}  {}  {} {}  {origin}",
                    pad(s(o, "id"), 36),
                    pad(s(o, "account_id"), 36),
                    pad(s(o, "created_at"), 25),
                    s(o, "gross_total"),
                    s(o, "currency")
                )?;
            }
            Ok(())
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create the first admin device directly in the hub's database and print its token.
    Bootstrap {
        /// The hub's database (as for `onsite serve`).
        #[arg(long, env = "ONSITE_DATABASE", default_value = "sqlite:onsite-hub.sqlite")]
        database: String,
        /// The key file of an encrypted embedded database (as for `onsite serve`).
        #[arg(long, env = "ONSITE_DATABASE_KEY_FILE")]
        database_key_file: Option<std::path::PathBuf>,
        /// The back-office person the device belongs to.
        #[arg(long)]
        person: String,
        /// A label for the device.
        #[arg(long, default_value = "back office")]
        label: String,
    },
    /// Issue, revoke and list device tokens.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Export or erase what is held on a person (GDPR Art. 15 and 17).
    #[command(subcommand)]
    Person(PersonCommand),
    /// Assign accounts to a rep (or take them away with --remove).
    Assign {
        #[command(flatten)]
        hub: HubArgs,
        /// The rep (the person of their devices).
        #[arg(long)]
        rep: String,
        /// Remove the accounts instead of adding them.
        #[arg(long)]
        remove: bool,
        /// Account ids.
        #[arg(required = true, num_args = 1..)]
        accounts: Vec<String>,
    },
    /// Publish reference data; devices receive the delta with their next sync.
    #[command(subcommand)]
    Publish(PublishCommand),
    /// Import field data into the hub (reps' devices receive it with their next sync).
    #[command(subcommand)]
    Import(ImportCommand),
    /// List quotes, by state or with a pending discount request.
    Quotes {
        #[command(flatten)]
        hub: HubArgs,
        /// Only quotes in this state (draft, needs_discount_approval, sent, approved, …).
        #[arg(long)]
        state: Option<String>,
        /// Only quotes whose discount request waits for a decision.
        #[arg(long)]
        pending_discount: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve or reject a quote's discount request.
    Discount {
        #[command(flatten)]
        hub: HubArgs,
        /// The decision.
        #[arg(value_enum)]
        decision: Decision,
        /// The quote id.
        quote_id: String,
    },
    /// List orders.
    Orders {
        #[command(flatten)]
        hub: HubArgs,
        /// Only this account's orders.
        #[arg(long)]
        account: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// Issue a device token for a person and a role (the token is shown once).
    Issue {
        #[command(flatten)]
        hub: HubArgs,
        /// The person behind the device (a rep's id for reps).
        #[arg(long)]
        person: String,
        /// admin, rep or customer.
        #[arg(long, value_parser = ["admin", "rep", "customer"])]
        role: String,
        /// The customer's account (customers only).
        #[arg(long)]
        account: Option<String>,
        /// A label ("Anna's tablet").
        #[arg(long, default_value = "")]
        label: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a device's token; its next request is refused.
    Revoke {
        #[command(flatten)]
        hub: HubArgs,
        /// The device id.
        device_id: String,
    },
    /// A new token for a device whose token expired or leaked: the same
    /// device id, so its store keeps its data; the old token stops working.
    Renew {
        #[command(flatten)]
        hub: HubArgs,
        /// The device id.
        device_id: String,
    },
    /// Report a device lost: at its next contact the hub tells it to wipe
    /// its data and key; it reports back once.
    Lost {
        #[command(flatten)]
        hub: HubArgs,
        /// The device id.
        device_id: String,
    },
    /// List devices.
    List {
        #[command(flatten)]
        hub: HubArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PersonCommand {
    /// Print every datum held on a contact as JSON (GDPR Art. 15).
    Export {
        #[command(flatten)]
        hub: HubArgs,
        /// The contact id.
        contact_id: String,
    },
    /// Erase a contact everywhere (GDPR Art. 17): the hub removes their
    /// data for good and every device deletes its copy at its next sync.
    Erase {
        #[command(flatten)]
        hub: HubArgs,
        /// The contact id.
        contact_id: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Accounts with their contacts from a CRM export, all or nothing.
    ///
    /// CSV, one row per contact: account_id, name, street, postal_code, city
    /// and optionally legal_form, country, employees, industry, vat_id,
    /// customer_group, assigned_rep, contact_id, first_name, last_name, role,
    /// title, email, phone; or a JSON array of accounts, each with a
    /// `contacts` array. An account already at the hub is updated. Every
    /// bad row is reported with its line and nothing is imported.
    Accounts {
        #[command(flatten)]
        hub: HubArgs,
        /// The file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PublishCommand {
    /// Import a catalog file (products, tax classes, price lists, costs, policy), all or nothing.
    Catalog {
        #[command(flatten)]
        hub: HubArgs,
        /// The file (CSV or JSON; formats in docs/catalog-import.md).
        file: PathBuf,
        /// File format; default: from the content.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
    },
    /// Publish product images from a folder or a ZIP file: each under its file
    /// name, which the catalog's `image` column names; the hub checks the
    /// content (PNG or JPEG) and makes the thumbnails devices prefetch.
    Images {
        #[command(flatten)]
        hub: HubArgs,
        /// A folder of images, or a ZIP of them.
        source: PathBuf,
    },
    /// Publish the discount policy (JSON, as in docs/pricing.md).
    Policy {
        #[command(flatten)]
        hub: HubArgs,
        /// The policy file.
        file: PathBuf,
    },
    /// Publish the company profile every document prints (JSON, as in docs/pdf.md).
    Company {
        #[command(flatten)]
        hub: HubArgs,
        /// The profile file.
        file: PathBuf,
        /// A PNG or JPEG logo to put into the profile.
        #[arg(long)]
        logo: Option<PathBuf>,
    },
    /// Publish a rep's profile (name, title, phone, e-mail) for documents and customers.
    Rep {
        #[command(flatten)]
        hub: HubArgs,
        /// The rep (the person of their devices).
        rep: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// Job title.
        #[arg(long)]
        title: Option<String>,
        /// Business phone.
        #[arg(long)]
        phone: Option<String>,
        /// Business e-mail.
        #[arg(long)]
        email: Option<String>,
    },
}

/// The files of a folder (not its subfolders, no dot files) or a ZIP.
fn image_files(source: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>> {
    let max = onsite_core::blob::BlobKind::Image.max_bytes() as usize;
    if source.is_dir() {
        let mut out = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(source)?.collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !e.file_type()?.is_file() {
                continue;
            }
            out.push((name, read_file(&e.path())?));
        }
        return Ok(out);
    }
    let bytes = read_file(source)?;
    let files = onsite_core::import::read_zip(&bytes, max, 200_000).map_err(onsite_core::Error::from)?;
    Ok(files.into_iter().map(|f| (f.name, f.bytes)).collect())
}
