//! The sync-health record for the rep's screen: when the device last
//! synced, what waits to be sent, the last failure in plain words, the
//! catalog sequence and the storage used. [`super::driver::sync`] keeps it.

use rusqlite::OptionalExtension;

use super::HUB_PEER;
use crate::{Result, Store};

/// Where a device stands with its hub, for a status line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncHealth {
    /// When a sync was last started (RFC 3339), if ever.
    pub last_attempt_at: Option<String>,
    /// When a sync last finished (quiescent), if ever.
    pub last_success_at: Option<String>,
    /// The last failure in plain words, if the last sync failed.
    pub last_error: Option<String>,
    /// When it failed.
    pub last_error_at: Option<String>,
    /// Syncs that failed since the last one that finished.
    pub failures_in_a_row: u32,
    /// Documents changed here that the hub has not confirmed yet.
    pub pending_documents: u32,
    /// Changes the hub refused, kept for the user (see `sync_refusals`).
    pub refusals: u32,
    /// The catalog sequence this device has.
    pub catalog_seq: i64,
    /// Bytes the store takes on disk (database and its write-ahead log).
    pub storage_bytes: u64,
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Bytes of the file at `path`, 0 when it does not exist.
fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

impl Store {
    pub(crate) fn note_sync_attempt(&self) -> Result<()> {
        self.write_unleased(|tx| {
            tx.execute("UPDATE sync_health SET last_attempt_at = ?1 WHERE id = 1", [now_text()])?;
            Ok(())
        })
    }

    pub(crate) fn note_sync_success(&self) -> Result<()> {
        self.write_unleased(|tx| {
            tx.execute(
                "UPDATE sync_health SET last_success_at = ?1, last_error = NULL, last_error_at = NULL, failures = 0
                 WHERE id = 1",
                [now_text()],
            )?;
            Ok(())
        })
    }

    /// `message` is a failure's Display text: reasons and codes, never a
    /// record's content (the hub's messages name fields and keys only).
    pub(crate) fn note_sync_failure(&self, message: &str) -> Result<()> {
        let message: String = message.chars().take(500).collect();
        self.write_unleased(|tx| {
            tx.execute(
                "UPDATE sync_health SET last_error = ?1, last_error_at = ?2, failures = failures + 1 WHERE id = 1",
                [message, now_text()],
            )?;
            Ok(())
        })
    }

    /// The sync-health record (also while the store is open only to renew
    /// its lease).
    pub fn sync_health(&self) -> Result<SyncHealth> {
        let path = self.path().to_path_buf();
        self.read_unleased(|c| {
            let (last_attempt_at, last_success_at, last_error, last_error_at, failures) = c.query_row(
                "SELECT last_attempt_at, last_success_at, last_error, last_error_at, failures FROM sync_health
                 WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )?;
            let cursor: i64 = c
                .query_row("SELECT local_cursor FROM sync_peers WHERE peer = ?1", [HUB_PEER], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            let pending: i64 = c.query_row(
                "SELECT count(*) FROM (
                     SELECT doc_id FROM documents WHERE seq > ?1
                     UNION SELECT doc_id FROM sync_docs WHERE peer = ?2 AND outbox IS NOT NULL
                     UNION SELECT doc_id FROM sync_held)",
                rusqlite::params![cursor, HUB_PEER],
                |r| r.get(0),
            )?;
            let refusals: i64 = c.query_row("SELECT count(*) FROM sync_refusals", [], |r| r.get(0))?;
            let catalog_seq: i64 = c.query_row("SELECT seq FROM catalog_state WHERE id = 1", [], |r| r.get(0))?;
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            Ok(SyncHealth {
                last_attempt_at,
                last_success_at,
                last_error,
                last_error_at,
                failures_in_a_row: u32::try_from(failures).unwrap_or(u32::MAX),
                pending_documents: u32::try_from(pending).unwrap_or(u32::MAX),
                refusals: u32::try_from(refusals).unwrap_or(u32::MAX),
                catalog_seq,
                storage_bytes: file_size(&path) + file_size(std::path::Path::new(&wal)),
            })
        })
    }
}
