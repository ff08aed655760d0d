//! The `onsite` command line: argument parsing and dispatch.
//!
//! Exit codes: 0 done, 1 failure (storage, i/o), 2 wrong command line,
//! 3 input refused (nothing changed), 4 not found.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use onsite_core::money::DisplayLocale;

use crate::error::{ExitStatus, Result};
use crate::{commands, demo};

/// Onsite: offline-first quoting for B2B field sales.
#[derive(Debug, Parser)]
#[command(name = "onsite", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a realistic sample on an embedded SQLite file and show it working.
    Demo(DemoArgs),
    /// Reference data: import, search, show and export the product catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Field data: list and search customer accounts and their contacts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Quotes: price a quote given as JSON, render one as a PDF.
    #[command(subcommand)]
    Quote(QuoteCommand),
    /// Field-data documents: list, export and import as standard Automerge files.
    #[command(subcommand)]
    Doc(DocCommand),
    /// Run the back-office hub: sync over HTTP, devices and roles, the back-office API.
    Serve(ServeArgs),
    /// The back office: device tokens, rep assignments, publishing, discount decisions.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Lead scoring: a rep's ranked call list, one account's scores.
    #[command(subcommand)]
    Lead(crate::lead_cmd::LeadCommand),
    /// Marketing activities: import a marketing tool's export (contacts matched by e-mail).
    #[command(subcommand)]
    Activity(crate::lead_cmd::ActivityCommand),
    /// Campaigns: count a marketing tool's events in, report the AIDA funnel and A/B tests.
    #[command(subcommand)]
    Campaign(crate::lead_cmd::CampaignCommand),
    /// Simulate many devices syncing against a hub and report latency, throughput and memory.
    Loadtest(crate::loadtest::LoadtestArgs),
    /// Render a product datasheet for a customer as a PDF.
    Datasheet {
        #[command(flatten)]
        db: DbArg,
        /// The product.
        #[arg(long)]
        sku: String,
        /// The customer account whose prices are shown.
        #[arg(long)]
        account: String,
        /// The PDF to write.
        #[arg(long)]
        out: PathBuf,
        /// Product image (PNG or JPEG); default: a placeholder.
        #[arg(long)]
        image: Option<PathBuf>,
        /// Language and formats.
        #[arg(long, value_enum, default_value = "de-DE")]
        locale: LocaleArg,
    },
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

#[derive(Debug, Subcommand)]
pub(crate) enum DocCommand {
    /// List the documents (accounts, activities, quotes, orders) of a database.
    List {
        #[command(flatten)]
        db: DbArg,
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write one document as standard Automerge binary (loadable by any Automerge).
    Export {
        #[command(flatten)]
        db: DbArg,
        /// The document id, e.g. `quote/<id>` (see `onsite doc list`).
        doc: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Merge Automerge files into the database and update its tables.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// Automerge files, as written by `onsite doc export`.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
    },
    /// Show the fields of a document that hold concurrent values.
    Conflicts {
        #[command(flatten)]
        db: DbArg,
        /// The document id.
        doc: String,
    },
}

/// Arguments of `onsite serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// `sqlite:PATH` (embedded, the default) or `postgres://USER@HOST/DB`
    /// (several instances may share one database).
    #[arg(long, env = "ONSITE_DATABASE", default_value = "sqlite:onsite-hub.sqlite")]
    pub database: String,
    /// TLS certificate chain (PEM); with --tls-key the hub serves HTTPS.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// Seconds a request may run before it is answered with 408.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Database connections (PostgreSQL) or SQLite readers.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub pool: u16,
    /// No log lines for refusals and failed authentications.
    #[arg(long)]
    pub quiet: bool,
    /// The address customers reach the hub at, e.g. `https://hub.example.com`
    /// (printed into the PDFs behind approval links); default: the scheme
    /// and `Host` of each request.
    #[arg(long)]
    pub public_url: Option<String>,
    /// A proxy (IP address) whose `X-Forwarded-For` is believed and whose
    /// plain-HTTP requests may carry tokens, like loopback's; repeatable.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Also serve `/metrics` without a token on this address (for
    /// Prometheus on an internal interface); on the main address
    /// `/metrics` needs an admin token.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Seconds a client has to send a request's head (line and headers).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds running requests may take to finish after SIGINT or SIGTERM;
    /// connections still open then are closed.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace: u64,
    /// MiB that all request bodies in flight may hold together, as sent and
    /// inflated (beyond it requests are answered 503 with Retry-After).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(8..=65536))]
    pub memory_budget_mib: u64,
    /// Open connections at most.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(16..=1_000_000))]
    pub max_connections: u64,
}

/// Where the hub is and how to authenticate.
#[derive(Debug, Args)]
pub(crate) struct HubArgs {
    /// The hub's base URL.
    #[arg(long, env = "ONSITE_HUB", default_value = "http://127.0.0.1:8080")]
    pub hub: String,
    /// An admin device token.
    #[arg(long, env = "ONSITE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A CA certificate (PEM) to trust for an HTTPS hub with a private CA.
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create the first admin device directly in the hub's database and print its token.
    Bootstrap {
        /// The hub's database (as for `onsite serve`).
        #[arg(long, env = "ONSITE_DATABASE", default_value = "sqlite:onsite-hub.sqlite")]
        database: String,
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
    /// Publish the discount policy (JSON, as in docs/pricing.md).
    Policy {
        #[command(flatten)]
        hub: HubArgs,
        /// The policy file.
        file: PathBuf,
    },
}

/// Arguments of `onsite demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the database and the sample files (created if missing;
    /// a previous demo database in it is replaced).
    #[arg(long, default_value = "onsite-demo")]
    pub out: PathBuf,
    /// Number of sample products.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub products: u32,
    /// Number of sample accounts.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub accounts: u32,
}

#[derive(Debug, Args)]
pub(crate) struct DbArg {
    /// The SQLite database file.
    #[arg(long, env = "ONSITE_DB")]
    pub db: PathBuf,
}

/// What every search command takes.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Search words (all must match as word beginnings).
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Results per page.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Results to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
    /// Print the page as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LocaleArg {
    #[value(name = "de-DE", alias = "de")]
    De,
    #[value(name = "en-US", alias = "en")]
    En,
}

impl From<LocaleArg> for DisplayLocale {
    fn from(l: LocaleArg) -> Self {
        match l {
            LocaleArg::De => DisplayLocale::De,
            LocaleArg::En => DisplayLocale::En,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Import products (CSV or JSON) or a whole catalog (JSON), all or nothing.
    ///
    /// Every bad row is reported with its line number and nothing is changed.
    /// Formats: docs/catalog-import.md. The database is created if missing.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The file to import.
        file: PathBuf,
        /// File format; default: from the extension, else from the content.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search products by words, word beginnings or SKU.
    Search {
        #[command(flatten)]
        search: SearchArgs,
        /// Include inactive products.
        #[arg(long)]
        all: bool,
        /// Number and currency format.
        #[arg(long, value_enum, default_value = "de-DE")]
        locale: LocaleArg,
    },
    /// Show one product with its specifications.
    Show {
        #[command(flatten)]
        db: DbArg,
        /// The product's SKU.
        sku: String,
        /// Number and currency format.
        #[arg(long, value_enum, default_value = "de-DE")]
        locale: LocaleArg,
        /// Print the product as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write all products as CSV in the import format.
    Export {
        #[command(flatten)]
        db: DbArg,
        /// Output file; default: standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

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
    Search {
        #[command(flatten)]
        search: SearchArgs,
    },
    /// Show one account with its contacts, latest activities and quotes (JSON).
    Show {
        #[command(flatten)]
        db: DbArg,
        /// The account id.
        id: String,
    },
}

/// Where a command writes, and whether a terminal watches its progress.
pub struct Io<'a> {
    /// Results.
    pub out: &'a mut dyn Write,
    /// Whether to draw progress on stderr (a terminal is attached).
    pub progress: bool,
}

impl std::fmt::Debug for Io<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io").field("progress", &self.progress).finish_non_exhaustive()
    }
}

/// Runs the command line in `args` (the first item is the program name),
/// writing results to `out` and errors to `err`.
pub fn run(args: impl IntoIterator<Item = OsString>, io: &mut Io<'_>, err: &mut dyn Write) -> ExitStatus {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            return if e.use_stderr() {
                let _ = write!(err, "{text}");
                ExitStatus::Usage
            } else {
                let _ = write!(io.out, "{text}");
                ExitStatus::Ok
            };
        }
    };
    match dispatch(cli, io) {
        Ok(()) => ExitStatus::Ok,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            e.status()
        }
    }
}

fn dispatch(cli: Cli, io: &mut Io<'_>) -> Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(&args, io),
        Command::Catalog(c) => commands::catalog(c, io),
        Command::Account(c) => commands::account(c, io),
        Command::Quote(QuoteCommand::Price { input, db }) => crate::quote_cmd::price(input, db, io),
        Command::Doc(DocCommand::List { db, json }) => crate::doc_cmd::list(&db.db, json, io),
        Command::Doc(DocCommand::Export { db, doc, out }) => crate::doc_cmd::export(&db.db, &doc, &out, io),
        Command::Doc(DocCommand::Import { db, files }) => crate::doc_cmd::import(&db.db, &files, io),
        Command::Doc(DocCommand::Conflicts { db, doc }) => crate::doc_cmd::conflicts(&db.db, &doc, io),
        Command::Serve(args) => crate::serve_cmd::serve(&args, io),
        Command::Admin(c) => crate::admin_cmd::run(c, io),
        Command::Loadtest(args) => crate::loadtest::run(&args, io),
        Command::Lead(c) => crate::lead_cmd::lead(c, io),
        Command::Activity(c) => crate::lead_cmd::activity(c, io),
        Command::Campaign(c) => crate::lead_cmd::campaign(c, io),
        Command::Datasheet { db, sku, account, out, image, locale } => {
            crate::pdf_cmd::datasheet(&db.db, &sku, &account, &out, image.as_deref(), locale.into(), io)
        }
        Command::Quote(QuoteCommand::Pdf { input, out, locale }) => {
            crate::pdf_cmd::quote_pdf(&input, &out, locale.map(Into::into), io)
        }
    }
}

/// The process entry point: real arguments, stdout, stderr.
pub fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut io = Io { out: &mut out, progress: std::io::stderr().is_terminal() };
    let status = run(std::env::args_os(), &mut io, &mut std::io::stderr());
    let _ = io.out.flush();
    ExitCode::from(status as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn run_str(args: &[&str]) -> (ExitStatus, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let status = {
            let mut io = Io { out: &mut out, progress: false };
            run(args.iter().map(OsString::from), &mut io, &mut err)
        };
        (status, String::from_utf8_lossy(&out).into(), String::from_utf8_lossy(&err).into())
    }

    #[test]
    fn help_on_every_command_and_usage_errors() {
        for args in [
            &["onsite", "--help"][..],
            &["onsite", "demo", "--help"],
            &["onsite", "catalog", "--help"],
            &["onsite", "catalog", "import", "--help"],
            &["onsite", "catalog", "search", "--help"],
            &["onsite", "catalog", "show", "--help"],
            &["onsite", "catalog", "export", "--help"],
            &["onsite", "account", "list", "--help"],
            &["onsite", "account", "search", "--help"],
            &["onsite", "account", "show", "--help"],
            &["onsite", "quote", "price", "--help"],
            &["onsite", "quote", "pdf", "--help"],
            &["onsite", "datasheet", "--help"],
            &["onsite", "doc", "export", "--help"],
            &["onsite", "doc", "import", "--help"],
            &["onsite", "serve", "--help"],
            &["onsite", "admin", "device", "issue", "--help"],
            &["onsite", "admin", "quotes", "--help"],
            &["onsite", "loadtest", "--help"],
        ] {
            let (status, out, _) = run_str(args);
            assert_eq!(status, ExitStatus::Ok, "{args:?}");
            assert!(out.contains("Usage: onsite"), "{args:?}: {out}");
        }
        let (status, _, err) = run_str(&["onsite", "catalog", "frobnicate"]);
        assert_eq!(status, ExitStatus::Usage);
        assert!(err.contains("unrecognized subcommand"), "{err}");
        let (status, _, err) = run_str(&["onsite", "demo", "--products", "0"]);
        assert_eq!(status, ExitStatus::Usage, "{err}");
    }

    #[test]
    fn read_commands_refuse_a_missing_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nope.sqlite");
        let db = db.to_str().unwrap();
        let (status, _, err) = run_str(&["onsite", "catalog", "search", "--db", db, "x"]);
        assert_eq!(status, ExitStatus::NotFound);
        assert!(err.contains("no database"), "{err}");
        assert!(!std::path::Path::new(db).exists(), "a search must not create a database");
    }
}
