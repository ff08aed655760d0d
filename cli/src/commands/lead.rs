//! `onsite lead`, `onsite activity` and `onsite campaign`: the call list,
//! account scores, marketing imports and the campaign funnel on a store
//! (a rep's device store or the embedded hub's database).

use std::path::PathBuf;

use chrono::Utc;
use clap::Subcommand;
use onsite_core::leads::{CallListEntry, FunnelReport, role_words};

use crate::args::DbArg;
use crate::error::Result;
use crate::files::{open_existing, read_file};
use crate::output::Io;
use crate::output::{clip, pad, rpad};

#[derive(Debug, Subcommand)]
pub(crate) enum LeadCommand {
    /// A rep's call list, best first, each with a one-line reason.
    Calllist {
        #[command(flatten)]
        db: DbArg,
        /// The rep (on a hub database: their assigned accounts); default: every account in the store.
        #[arg(long)]
        rep: Option<String>,
        /// How many lines.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        limit: u32,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One account's fit per persona, its interest and buying-center coverage (JSON).
    Score {
        #[command(flatten)]
        db: DbArg,
        /// The account id.
        account: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ActivityCommand {
    /// Log a visit, call, meeting, e-mail or note on a device store; prints its id.
    Log {
        #[command(flatten)]
        db: super::device::DeviceDb,
        /// The account.
        #[arg(long)]
        account: String,
        /// The contact it involved.
        #[arg(long)]
        contact: Option<String>,
        /// What it was.
        #[arg(long, value_parser = ["visit", "call", "meeting", "email", "note"], default_value = "visit")]
        kind: String,
        /// Its subject.
        #[arg(long)]
        subject: String,
        /// Notes.
        #[arg(long, default_value = "")]
        notes: String,
        /// Who (the person behind the device).
        #[arg(long)]
        by: String,
        /// When (RFC 3339); default: now.
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// Print the activity as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a marketing tool's export (CSV `email;kind;at;subject;source` or a JSON array).
    ///
    /// Contacts are matched by e-mail; unmatched rows are skipped and listed;
    /// a file with a bad row changes nothing. Formats: docs/scoring.md.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The file.
        file: PathBuf,
        /// Who the activities are from, when a row names no source.
        #[arg(long, default_value = "marketing")]
        source: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CampaignCommand {
    /// Count a marketing tool's campaign events (CSV) into the published campaigns.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The events file.
        file: PathBuf,
    },
    /// The campaign's AIDA funnel, its weakest stage and the A/B verdict.
    Report {
        #[command(flatten)]
        db: DbArg,
        /// The campaign id.
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn lead(c: LeadCommand, io: &mut Io<'_>) -> Result<()> {
    match c {
        LeadCommand::Calllist { db, rep, limit, json } => {
            let store = open_existing(&db)?;
            let list = store.call_list(rep.as_deref(), Utc::now(), limit as usize)?;
            if json {
                writeln!(io.out, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                print_call_list(io.out, &list)?;
            }
        }
        LeadCommand::Score { db, account } => {
            let store = open_existing(&db)?;
            let score = store.account_score(&account, Utc::now())?;
            writeln!(io.out, "{}", serde_json::to_string_pretty(&score)?)?;
        }
    }
    Ok(())
}

/// The call list as a table, with the reason and the coverage hint under each line.
pub(crate) fn print_call_list(out: &mut dyn std::io::Write, list: &[CallListEntry]) -> Result<()> {
    if list.is_empty() {
        writeln!(out, "no accounts to call")?;
        return Ok(());
    }
    writeln!(
        out,
        "{}  {}  {}  {}  {}",
        rpad("#", 3),
        pad("account", 34),
        pad("call", 26),
        rpad("fit", 4),
        rpad("prio", 5)
    )?;
    for (i, e) in list.iter().enumerate() {
        let who = match (&e.contact_name, &e.phone) {
            (Some(n), Some(p)) => format!("{n}, {p}"),
            (Some(n), None) => n.clone(),
            _ => "-".into(),
        };
        writeln!(
            out,
            "{}  {}  {}  {}  {}",
            rpad(&(i + 1).to_string(), 3),
            pad(&clip(&e.account_name, 34), 34),
            pad(&clip(&who, 26), 26),
            rpad(&format!("{}%", e.fit_pct), 4),
            rpad(&format!("{:.0}", e.priority), 5)
        )?;
        writeln!(out, "     {}", e.reason)?;
        let mail = if e.may_email { "may be e-mailed" } else { "no marketing consent: call, do not e-mail" };
        match &e.coverage.hint {
            Some(h) => writeln!(out, "     {mail}; {h}")?,
            None => writeln!(
                out,
                "     {mail}; buying center: {} people, missing {}",
                e.coverage.people,
                if e.coverage.missing.is_empty() {
                    "nobody".to_string()
                } else {
                    e.coverage.missing.iter().map(|r| role_words(*r)).collect::<Vec<_>>().join(", ")
                }
            )?,
        }
    }
    Ok(())
}

pub(crate) fn activity(c: ActivityCommand, io: &mut Io<'_>) -> Result<()> {
    let (db, file, source) = match c {
        ActivityCommand::Import { db, file, source } => (db, file, source),
        ActivityCommand::Log { db, account, contact, kind, subject, notes, by, at, json } => {
            let store = db.store()?;
            let activity = onsite_core::activity::Activity {
                id: onsite_core::ids::new_id(),
                account_id: account,
                contact_id: contact,
                kind: onsite_core::activity::ActivityKind::parse(&kind)
                    .ok_or_else(|| onsite_core::Error::validation("kind", "unknown activity kind"))?,
                at: at.unwrap_or_else(chrono::Utc::now),
                by,
                subject,
                notes,
            };
            store.log_activity(&activity)?;
            return super::account::created(io, json, &activity.id, &activity);
        }
    };
    let store = open_existing(&db)?;
    let s = store.import_activities(&read_file(&file)?, &source)?;
    writeln!(io.out, "imported {} activities", s.imported)?;
    if !s.unmatched.is_empty() {
        writeln!(io.out, "skipped {} rows whose e-mail matches no contact:", s.unmatched.len())?;
        for u in &s.unmatched {
            writeln!(io.out, "  {u}")?;
        }
    }
    Ok(())
}

pub(crate) fn campaign(c: CampaignCommand, io: &mut Io<'_>) -> Result<()> {
    match c {
        CampaignCommand::Import { db, file } => {
            let store = open_existing(&db)?;
            let s = store.import_campaign_events(&read_file(&file)?)?;
            writeln!(
                io.out,
                "counted {} events into {}; published at catalog sequence {}",
                s.events,
                s.campaigns.join(", "),
                store.catalog_seq()?
            )?;
        }
        CampaignCommand::Report { db, id, json } => {
            let store = open_existing(&db)?;
            let r = store.campaign_report(&id)?;
            if json {
                writeln!(io.out, "{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                print_report(io.out, &r)?;
            }
        }
    }
    Ok(())
}

/// The funnel as text.
pub(crate) fn print_report(out: &mut dyn std::io::Write, r: &FunnelReport) -> Result<()> {
    writeln!(out, "Campaign {}: {}", r.campaign_id, r.topic)?;
    writeln!(
        out,
        "  Attention  open rate {:.1} %, click rate {:.1} %, {} landing-page visitors",
        r.open_rate_pct, r.click_rate_pct, r.landing_visitors
    )?;
    writeln!(
        out,
        "  Interest   bounce rate {:.1} %, {:.0} s on the page, scrolled {:.0} % on average",
        r.bounce_rate_pct, r.avg_seconds_on_page, r.avg_scroll_pct
    )?;
    writeln!(
        out,
        "  Desire     {:.1} % of visitors downloaded or signed up, {} new leads",
        r.download_conversion_pct, r.new_leads
    )?;
    writeln!(out, "  Action     {} new customers", r.new_customers)?;
    writeln!(
        out,
        "\n  stage       people   conversion   benchmark ({})",
        r.stages.first().map_or("", |s| s.benchmark_source.as_str())
    )?;
    let from = ["of sent", "of openers", "of engaged", "of leads"];
    for (s, f) in r.stages.iter().zip(from) {
        writeln!(
            out,
            "  {}  {}   {} {}   {}",
            pad(s.stage.name(), 10),
            rpad(&s.people.to_string(), 6),
            rpad(&format!("{:.1} %", s.rate_pct), 8),
            pad(f, 10),
            rpad(&format!("{:.1} %", s.benchmark_pct), 8)
        )?;
    }
    match (&r.weakest, &r.remedies) {
        (Some(w), Some(rem)) => writeln!(out, "\n  Weakest stage: {}. What usually helps: {rem}.", w.name())?,
        _ => writeln!(out, "\n  No stage is below its benchmark.")?,
    }
    if let Some(ab) = &r.ab_test {
        writeln!(out, "\n  A/B test send to {} % of the list, compared by open rate:", r.test_share_pct)?;
        writeln!(
            out,
            "  {} {:.1} % vs {} {:.1} %, difference {:+.1} points, z = {:.2}, p = {:.4}",
            ab.a, ab.rate_a_pct, ab.b, ab.rate_b_pct, ab.difference_pts, ab.z, ab.p_value
        )?;
        writeln!(out, "  Verdict: {}", ab.verdict)?;
    }
    Ok(())
}
