//! `onsite file`: files on a device (ADR 29). Attach a file to a quote or
//! an activity offline (uploaded by the next `onsite device sync`), list a
//! quote's or an activity's files, fetch one from the hub on demand, show
//! the storage budget.

use std::path::PathBuf;

use clap::Subcommand;
use onsite_core::blob::{Attachment, AttachmentParent};
use onsite_core::sync::{CancelFlag, SyncSettings, driver};

use super::device::DeviceDb;
use crate::client::HubClient;
use crate::error::{Error, Result};
use crate::files::read_file;
use crate::output::Io;

#[derive(Debug, Subcommand)]
pub(crate) enum FileCommand {
    /// Attach a file to a quote or an activity (a drawing, a visit photo), offline.
    Attach {
        #[command(flatten)]
        db: DeviceDb,
        /// The quote it belongs to.
        #[arg(long, conflicts_with = "activity", required_unless_present = "activity")]
        quote: Option<String>,
        /// The activity it belongs to.
        #[arg(long)]
        activity: Option<String>,
        /// Show it on the customer's phone (quotes only).
        #[arg(long)]
        for_customer: bool,
        /// The file's name as shown (default: the file's own name).
        #[arg(long)]
        name: Option<String>,
        /// The file.
        file: PathBuf,
        /// Print the attachment as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the files of a quote or an activity, with whether each is on this device.
    List {
        #[command(flatten)]
        db: DeviceDb,
        /// The quote.
        #[arg(long, conflicts_with = "activity", required_unless_present = "activity")]
        quote: Option<String>,
        /// The activity.
        #[arg(long)]
        activity: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show or hide a quote's file on the customer's phone.
    Share {
        #[command(flatten)]
        db: DeviceDb,
        /// The attachment's id.
        id: String,
        /// Hide it again.
        #[arg(long)]
        hide: bool,
    },
    /// Write an attachment's file out, fetching it from the hub if it is not on this device.
    Get {
        #[command(flatten)]
        db: DeviceDb,
        /// The attachment's id.
        id: String,
        /// Where to write it.
        #[arg(long, short)]
        out: PathBuf,
        /// A CA certificate (PEM) to trust for an HTTPS hub with a private CA.
        #[arg(long)]
        ca_cert: Option<PathBuf>,
    },
    /// What this device holds of files against its storage budget.
    Budget {
        #[command(flatten)]
        db: DeviceDb,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parent(quote: Option<String>, activity: Option<String>) -> Result<AttachmentParent> {
    match (quote, activity) {
        (Some(quote_id), None) => Ok(AttachmentParent::Quote { quote_id }),
        (None, Some(activity_id)) => Ok(AttachmentParent::Activity { activity_id }),
        _ => Err(Error::Usage("name one --quote or one --activity".into())),
    }
}

fn describe(a: &Attachment, here: bool) -> String {
    format!(
        "{}  {}  {}  {} bytes{}{}",
        a.id,
        a.file.name,
        a.file.media_type,
        a.file.size,
        if a.for_customer { "  for the customer" } else { "" },
        if here { "" } else { "  (on the hub)" }
    )
}

pub(crate) fn run(cmd: FileCommand, io: &mut Io<'_>) -> Result<()> {
    match cmd {
        FileCommand::Attach { db, quote, activity, for_customer, name, file, json } => {
            let store = db.store()?;
            let by = store.hub_link()?.map(|l| l.person).unwrap_or_default();
            let bytes = read_file(&file)?;
            let name =
                name.unwrap_or_else(|| file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
            let a = store.add_attachment(&parent(quote, activity)?, &name, &bytes, for_customer, &by)?;
            if json {
                serde_json::to_writer_pretty(&mut io.out, &a)?;
                writeln!(io.out)?;
            } else {
                writeln!(io.out, "attached {}; it is uploaded with the next sync", describe(&a, true))?;
            }
            Ok(())
        }
        FileCommand::List { db, quote, activity, json } => {
            let store = db.store()?;
            let files = store.attachments(&parent(quote, activity)?)?;
            if json {
                let v: Vec<serde_json::Value> = files
                    .iter()
                    .map(|a| {
                        let mut v = serde_json::to_value(a).unwrap_or_default();
                        v["on_device"] = store.has_blob(&a.file.hash).unwrap_or(false).into();
                        v
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut io.out, &v)?;
                writeln!(io.out)?;
            } else {
                for a in &files {
                    writeln!(io.out, "{}", describe(a, store.has_blob(&a.file.hash)?))?;
                }
            }
            Ok(())
        }
        FileCommand::Share { db, id, hide } => {
            let a = db.store()?.set_attachment_for_customer(&id, !hide)?;
            writeln!(io.out, "{}", describe(&a, true))?;
            Ok(())
        }
        FileCommand::Get { db, id, out, ca_cert } => {
            let (store, link) = db.open()?;
            let a = store.attachment(&id)?;
            let bytes = match store.blob(&a.file.hash) {
                Ok(b) => b,
                Err(onsite_core::Error::NotFound { .. }) => {
                    let client = HubClient::new(&link.hub_url, &link.token, ca_cert.as_deref())?;
                    let settings = SyncSettings::new(&link.hub_url, &link.token);
                    driver::fetch_file(&store, &client.transport(), &settings, &a.file, &CancelFlag::new())?
                }
                Err(e) => return Err(e.into()),
            };
            std::fs::write(&out, &bytes).map_err(|source| Error::File { path: out.clone(), source })?;
            writeln!(io.out, "wrote {} ({} bytes) to {}", a.file.name, bytes.len(), out.display())?;
            Ok(())
        }
        FileCommand::Budget { db, json } => {
            let b = db.store()?.blob_budget()?;
            if json {
                serde_json::to_writer_pretty(&mut io.out, &b)?;
                writeln!(io.out)?;
            } else {
                writeln!(
                    io.out,
                    "{} of {} MiB used by {} files; {} waiting to upload ({} bytes); {} bytes pinned by open quotes; {} refused",
                    b.used_bytes >> 20,
                    b.budget_bytes >> 20,
                    b.blobs,
                    b.pending_uploads,
                    b.pending_upload_bytes,
                    b.pinned_bytes,
                    b.refused_uploads
                )?;
            }
            Ok(())
        }
    }
}
