//! `onsite quote price`: a quote as JSON in, the priced quote as JSON out.
//! The format is documented in docs/pricing.md.

use clap::Subcommand;
use std::io::Read;
use std::path::PathBuf;

use chrono::NaiveDate;
use onsite_core::import::DecimalText;
use onsite_core::money::{Currency, DisplayLocale};
use onsite_core::pricing::{self, PriceSource, PricingLine, TaxGroup};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::args::LocaleArg;
use crate::error::{Error, Result};
use crate::files::read_file;
use crate::output::Io;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    date: Option<NaiveDate>,
    #[serde(default)]
    header_discount_pct: Option<DecimalText>,
    lines: Vec<RequestLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestLine {
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    name: Option<String>,
    qty: DecimalText,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    unit_price: Option<DecimalText>,
    #[serde(default)]
    discount_pct: Option<DecimalText>,
    #[serde(default)]
    tax_rate_pct: Option<DecimalText>,
}

#[derive(Serialize)]
struct Response {
    currency: Currency,
    lines: Vec<ResponseLine>,
    tax_groups: Vec<TaxGroup>,
    net_total: Decimal,
    tax_total: Decimal,
    gross_total: Decimal,
}

#[derive(Serialize)]
struct ResponseLine {
    position: usize,
    sku: Option<String>,
    name: String,
    qty: Decimal,
    unit: String,
    unit_price: Decimal,
    price_source: &'static str,
    price_list_id: Option<String>,
    discount_pct: Decimal,
    tax_rate_pct: Decimal,
    net: Decimal,
}

fn bad(reason: String) -> Error {
    Error::Core(onsite_core::Error::Validation { field: "quote", reason })
}

/// Runs `onsite quote price`.
pub(crate) fn price(input: Option<PathBuf>, db: Option<PathBuf>, io: &mut Io<'_>) -> Result<()> {
    let bytes = match &input {
        Some(path) => read_file(path)?,
        None => {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b)?;
            b
        }
    };
    let req: Request = crate::files::parse_object(&bytes, "a quote").map_err(bad)?;
    let currency = match &req.currency {
        Some(c) => Currency::new(c).map_err(onsite_core::Error::from)?,
        None => Currency::EUR,
    };
    let day = req.date.unwrap_or_else(|| chrono::Local::now().date_naive());
    let store = db.as_deref().map(crate::files::open_existing_path).transpose()?;
    let mut lines = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.into_iter().enumerate() {
        let n = i + 1;
        let discount = l.discount_pct.map_or(Decimal::ZERO, |d| d.0);
        let resolved = match (&l.sku, &store) {
            (Some(sku), Some(store)) => {
                let account = req.customer_id.as_deref().unwrap_or("");
                let line = if account.is_empty() {
                    let p = store.product(sku).map_err(|_| bad(format!("line {n}: unknown product {sku}")))?;
                    if !p.active {
                        return Err(bad(format!("line {n}: product {sku} is inactive and cannot be quoted")));
                    }
                    let rate = store.tax_classes()?.into_iter().find(|t| t.code == p.tax_class).map(|t| t.rate_percent);
                    if p.list_price.currency != currency {
                        return Err(bad(format!(
                            "line {n}: product {sku} is priced in {}, the quote is in {currency}",
                            p.list_price.currency
                        )));
                    }
                    (p.name, p.unit, p.list_price.amount, rate.unwrap_or(Decimal::new(19, 0)), "list_price", None)
                } else {
                    let (q, r) = store
                        .quote_line(account, sku, l.qty.0, day, currency)
                        .map_err(|e| bad(format!("line {n}: {e}")))?;
                    let source = match r.source {
                        PriceSource::ListPrice => "list_price",
                        PriceSource::CustomerPriceList => "customer_price_list",
                        PriceSource::GroupPriceList => "group_price_list",
                    };
                    (q.name, q.unit, q.unit_price, q.tax_rate_pct, source, r.price_list_id)
                };
                Some(line)
            }
            (Some(_), None) if l.unit_price.is_none() => {
                return Err(bad(format!("line {n}: a SKU without unit_price needs --db to resolve it")));
            }
            _ => None,
        };
        let (name, unit, mut price, mut rate, mut source, list) = resolved.unwrap_or_else(|| {
            (l.name.clone().unwrap_or_default(), "pc".into(), Decimal::ZERO, Decimal::new(19, 0), "explicit", None)
        });
        let unit = l.unit.clone().unwrap_or(unit);
        if let Some(p) = l.unit_price {
            price = p.0;
            source = "explicit";
        }
        if let Some(r) = l.tax_rate_pct {
            rate = r.0;
        }
        if l.unit_price.is_none() && l.sku.is_none() {
            return Err(bad(format!("line {n}: give a sku or a unit_price")));
        }
        lines.push((l.sku, l.name.unwrap_or(name), unit, l.qty.0, price, source, list, discount, rate));
    }
    let pricing_lines: Vec<PricingLine> = lines
        .iter()
        .map(|(_, _, unit, qty, price, _, _, disc, rate)| PricingLine {
            qty: *qty,
            unit: unit.clone(),
            unit_price: *price,
            discount_pct: *disc,
            tax_rate_pct: *rate,
        })
        .collect();
    let header = req.header_discount_pct.map_or(Decimal::ZERO, |d| d.0);
    let totals = pricing::totals(&pricing_lines, header, currency).map_err(onsite_core::Error::from)?;
    let response = Response {
        currency,
        lines: lines
            .into_iter()
            .zip(&totals.line_nets)
            .enumerate()
            .map(|(i, ((sku, name, unit, qty, unit_price, source, list, disc, rate), net))| ResponseLine {
                position: i + 1,
                sku,
                name,
                qty,
                unit,
                unit_price,
                price_source: source,
                price_list_id: list,
                discount_pct: disc,
                tax_rate_pct: rate,
                net: *net,
            })
            .collect(),
        tax_groups: totals.groups,
        net_total: totals.net_total,
        tax_total: totals.tax_total,
        gross_total: totals.gross_total,
    };
    serde_json::to_writer_pretty(&mut io.out, &response)?;
    writeln!(io.out)?;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub(crate) enum QuoteCommand {
    /// Price a quote: JSON in (stdin or --input), the priced quote as JSON out.
    ///
    /// Lines carry a unit price, or a SKU resolved from --db (with
    /// customer_id, that account's price lists apply). Format and rules:
    /// docs/pricing.md.
    Price {
        /// The quote as JSON; default: standard input.
        #[arg(long)]
        input: Option<PathBuf>,
        /// A store to resolve SKUs from.
        #[arg(long, env = "ONSITE_DB")]
        db: Option<PathBuf>,
    },
    /// Create a draft quote on a device store; prints its id.
    Create {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The account.
        #[arg(long)]
        account: String,
        /// The addressee (a contact id).
        #[arg(long)]
        contact: Option<String>,
        /// The rep (the person behind the device).
        #[arg(long)]
        rep: String,
        /// Valid until (YYYY-MM-DD); default: in 30 days.
        #[arg(long)]
        valid_until: Option<NaiveDate>,
        /// Language and formats.
        #[arg(long, value_enum)]
        locale: Option<LocaleArg>,
        /// Print the quote as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a line (a SKU at its current price for the account).
    ///
    /// On a sent, approved or rejected quote this starts its next revision
    /// (a draft again, to be sent anew); the customer's approval stays with
    /// the revision it was given for.
    AddLine {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The quote id.
        quote: String,
        /// The product.
        #[arg(long)]
        sku: String,
        /// The quantity (in the product's unit).
        #[arg(long)]
        qty: String,
        /// Line discount in percent.
        #[arg(long, default_value = "0")]
        discount: String,
        /// Print the quote as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a line's quantity (on a sent quote: its next revision, see add-line).
    SetQty {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The quote id.
        quote: String,
        /// The line, from 1.
        #[arg(long)]
        line: usize,
        /// The new quantity.
        #[arg(long)]
        qty: String,
        /// Print the quote as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a quote to the customer (the discount policy checked); prints its number.
    Send {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The quote id.
        quote: String,
        /// Print the quote as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ask the back office to allow a discount above the policy's limit.
    RequestDiscount {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The quote id.
        quote: String,
        /// Why the customer should get it.
        #[arg(long)]
        reason: String,
        /// Print the quote as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the quote's current revision as the customer (on the customer's device).
    Approve {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The quote id.
        quote: String,
        /// The signer's name.
        #[arg(long)]
        name: String,
        /// The signer's role.
        #[arg(long, default_value = "")]
        role: String,
        /// Print the quote as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reject the quote's current revision as the customer, with a reason.
    Reject {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The quote id.
        quote: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Print the quote as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reorder a past order at today's prices: every line as before, or with
    /// --qty changing a line's quantity (0 drops the line).
    Reorder {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The order id.
        order: String,
        /// A line's new quantity, `SKU=QTY` (repeat; 0 drops it); other lines as before.
        #[arg(long = "qty", value_name = "SKU=QTY")]
        quantities: Vec<String>,
        /// Print the order as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Turn an approved quote into an order; prints the order's id.
    Order {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The quote id.
        quote: String,
        /// Print the order as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Render a quote document (JSON: quote, account, contact, rep) as a PDF.
    ///
    /// `onsite demo` writes such a document as quote.json.
    Pdf {
        /// The quote document as JSON.
        #[arg(long)]
        input: PathBuf,
        /// The PDF to write.
        #[arg(long)]
        out: PathBuf,
        /// Language and formats; default: the quote's.
        #[arg(long, value_enum)]
        locale: Option<LocaleArg>,
    },
}

/// Runs `onsite quote`.
pub(crate) fn run(cmd: QuoteCommand, io: &mut Io<'_>) -> Result<()> {
    let today = || chrono::Local::now().date_naive();
    let dec = |field: &'static str, v: &str| -> Result<Decimal> {
        onsite_core::money::parse_decimal_flexible(v)
            .map_err(|e| Error::Core(onsite_core::Error::validation(field, format!("{v:?}: {e}"))))
    };
    match cmd {
        QuoteCommand::Create { db, account, contact, rep, valid_until, locale, json } => {
            let store = db.store()?;
            let valid = match valid_until {
                Some(d) => d,
                None => today() + chrono::Days::new(30),
            };
            let q = store.create_quote(&account, contact, &rep, locale.map_or(DisplayLocale::De, Into::into), valid)?;
            super::account::created(io, json, &q.id, &q)
        }
        QuoteCommand::AddLine { db, quote, sku, qty, discount, json } => {
            let store = db.store()?;
            let q = store.add_quote_line(&quote, &sku, dec("qty", &qty)?, dec("discount", &discount)?, today())?;
            super::account::created(io, json, &q.id, &q)
        }
        QuoteCommand::SetQty { db, quote, line, qty, json } => {
            let store = db.store()?;
            let mut q = store.quote(&quote)?;
            let n = q.lines.len();
            let l = line.checked_sub(1).and_then(|i| q.lines.get_mut(i)).ok_or_else(|| {
                Error::Core(onsite_core::Error::validation("line", format!("the quote has lines 1 to {n}, not {line}")))
            })?;
            l.qty = dec("qty", &qty)?;
            let q = store.edit_quote(&q)?;
            super::account::created(io, json, &q.id, &q)
        }
        QuoteCommand::Send { db, quote, json } => {
            let q = db.store()?.send_quote(&quote, today())?;
            super::account::created(io, json, &q.number, &q)
        }
        QuoteCommand::RequestDiscount { db, quote, reason, json } => {
            let q = db.store()?.request_discount_approval(&quote, &reason, chrono::Utc::now())?;
            super::account::created(io, json, &q.id, &q)
        }
        QuoteCommand::Approve { db, quote, name, role, json } => {
            let store = db.store()?;
            let current = store.quote(&quote)?;
            let approval = onsite_core::quote::Approval {
                quote_id: current.id.clone(),
                revision_hash: current.revision_hash.clone(),
                signer_name: name,
                signer_role: role,
                auth: onsite_core::quote::SignerAuth::CustomerDevice,
                device_time: chrono::Utc::now(),
                device_id: store.device_id()?,
                client_address: None,
            };
            let q = store.approve_quote(&quote, approval, today())?;
            super::account::created(io, json, q.state.as_str(), &q)
        }
        QuoteCommand::Reject { db, quote, reason, json } => {
            let store = db.store()?;
            let current = store.quote(&quote)?;
            let decision =
                onsite_core::quote::CustomerDecision::Reject { revision_hash: current.revision_hash.clone(), reason };
            let q = store.record_customer_decision(&quote, decision, today())?;
            super::account::created(io, json, q.state.as_str(), &q)
        }
        QuoteCommand::Reorder { db, order, quantities, json } => {
            let mut wanted = Vec::with_capacity(quantities.len());
            for q in &quantities {
                let (sku, qty) =
                    q.split_once('=').ok_or_else(|| Error::Usage(format!("--qty takes SKU=QTY, not {q:?}")))?;
                wanted.push((sku.trim().to_string(), dec("qty", qty.trim())?));
            }
            let o = db.store()?.reorder(&order, &wanted, today(), chrono::Utc::now())?;
            super::account::created(io, json, &o.id, &o)
        }
        QuoteCommand::Order { db, quote, json } => {
            let o = db.store()?.order_quote(&quote, chrono::Utc::now())?;
            super::account::created(io, json, &o.id, &o)
        }
        QuoteCommand::Price { input, db } => price(input, db, io),
        QuoteCommand::Pdf { input, out, locale } => super::pdf::quote_pdf(&input, &out, locale.map(Into::into), io),
    }
}
