//! The `onsite` command line: argument parsing and dispatch.
//!
//! Exit codes: 0 done, 1 failure (storage, i/o), 2 wrong command line,
//! 3 input refused (nothing changed), 4 not found.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{account, admin, catalog, device, doc, file, lead, pdf, quote, serve};
use crate::demo::{self, DemoArgs};
use crate::error::{Error, ExitStatus, Result};
use crate::output::Io;

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
    Catalog(catalog::CatalogCommand),
    /// Field data: list and search customer accounts and their contacts.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Quotes: price a quote given as JSON, render one as a PDF.
    #[command(subcommand)]
    Quote(quote::QuoteCommand),
    /// Field-data documents: list, export and import as standard Automerge files.
    #[command(subcommand)]
    Doc(doc::DocCommand),
    /// This command line as a device of a hub: register, sync, status.
    #[command(subcommand)]
    Device(device::DeviceCommand),
    /// Files on a device: attach to a quote or a visit, list, share with the customer, fetch, budget.
    #[command(subcommand)]
    File(file::FileCommand),
    /// Run the back-office hub: sync over HTTP, devices and roles, the back-office API.
    Serve(serve::ServeArgs),
    /// The back office: device tokens, rep assignments, publishing, discount decisions.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Lead scoring: a rep's ranked call list, one account's scores.
    #[command(subcommand)]
    Lead(lead::LeadCommand),
    /// Marketing activities: import a marketing tool's export (contacts matched by e-mail).
    #[command(subcommand)]
    Activity(lead::ActivityCommand),
    /// Campaigns: count a marketing tool's events in, report the AIDA funnel and A/B tests.
    #[command(subcommand)]
    Campaign(lead::CampaignCommand),
    /// Simulate many devices syncing against a hub and report latency, throughput and memory.
    Loadtest(crate::loadtest::LoadtestArgs),
    /// Render a product datasheet for a customer as a PDF.
    Datasheet(pdf::DatasheetArgs),
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
        // The reader went away (`onsite … | head`): what it wanted it got;
        // like other Unix tools, stop quietly.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Ok,
        Err(Error::Json(e)) if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => ExitStatus::Ok,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            e.status()
        }
    }
}

fn dispatch(cli: Cli, io: &mut Io<'_>) -> Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(&args, io),
        Command::Catalog(c) => catalog::run(c, io),
        Command::Account(c) => account::run(c, io),
        Command::Quote(c) => quote::run(c, io),
        Command::Doc(c) => doc::run(c, io),
        Command::Serve(args) => serve::serve(&args, io),
        Command::Device(c) => device::run(c, io),
        Command::File(c) => file::run(c, io),
        Command::Admin(c) => admin::run(c, io),
        Command::Loadtest(args) => crate::loadtest::run(&args, io),
        Command::Lead(c) => lead::lead(c, io),
        Command::Activity(c) => lead::activity(c, io),
        Command::Campaign(c) => lead::campaign(c, io),
        Command::Datasheet(args) => pdf::datasheet(&args, io),
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
