//! The hub's schema in PostgreSQL: created in an empty database, upgraded
//! from older versions, refused when newer than this build.

use super::pool::Conn;
use crate::error::{Error, Result};

const SCHEMA: &str = include_str!("schema.sql");
const SCHEMA_VERSION: i32 = 6;

/// From version 1: devices keep their approval-link key.
const UPGRADE_TO_2: &str =
    "ALTER TABLE devices ADD COLUMN IF NOT EXISTS link_key BYTEA; UPDATE hub_meta SET version = 2 WHERE id = 1;";

/// From version 2: quote numbers and orders' quotes as columns, for the
/// transition checks (ADR 17).
const UPGRADE_TO_3: &str = "
    ALTER TABLE documents ADD COLUMN IF NOT EXISTS number TEXT, ADD COLUMN IF NOT EXISTS quote_ref TEXT;
    UPDATE documents SET number = body::json->>'number' WHERE kind = 'quote' AND body IS NOT NULL;
    UPDATE documents SET quote_ref = body::json->>'quote_id' WHERE kind = 'order' AND body IS NOT NULL;
    CREATE INDEX IF NOT EXISTS documents_number ON documents (number) WHERE number IS NOT NULL;
    CREATE INDEX IF NOT EXISTS documents_quote_ref ON documents (quote_ref) WHERE quote_ref IS NOT NULL;
    CREATE TABLE IF NOT EXISTS cost_grants (device_id TEXT PRIMARY KEY);
    UPDATE hub_meta SET version = 3 WHERE id = 1;";

/// From version 3: the devices' life (ADR 23); device tokens issued before expiry
/// existed get the default lifetime from now (back-office tokens none).
const UPGRADE_TO_4: &str = "
    ALTER TABLE devices ADD COLUMN IF NOT EXISTS token_expires_at TEXT,
      ADD COLUMN IF NOT EXISTS next_token_hash BYTEA UNIQUE,
      ADD COLUMN IF NOT EXISTS next_token_expires_at TEXT,
      ADD COLUMN IF NOT EXISTS next_token_staged_at TEXT,
      ADD COLUMN IF NOT EXISTS lost_at TEXT, ADD COLUMN IF NOT EXISTS wiped_at TEXT;
    UPDATE devices SET token_expires_at =
      to_char((now() + interval '90 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
      WHERE token_expires_at IS NULL AND role <> 'admin';
    UPDATE hub_meta SET version = 4 WHERE id = 1;";
/// From version 4: erased documents (ADR 24), refused from then on and
/// announced to devices.
const UPGRADE_TO_5: &str = "
    CREATE TABLE IF NOT EXISTS erased_docs (
      doc_id TEXT PRIMARY KEY, kind TEXT NOT NULL, account_id TEXT NOT NULL,
      seq BIGINT NOT NULL, erased_at TIMESTAMPTZ NOT NULL DEFAULT now());
    CREATE INDEX IF NOT EXISTS erased_docs_seq ON erased_docs (seq);
    UPDATE hub_meta SET version = 5 WHERE id = 1;";
/// From version 5: files that travel (ADR 29): blobs and their chunks,
/// uploads under way, who uploaded what, and the attachments' projection
/// (filled from the attachment documents when the backend opens).
const UPGRADE_TO_6: &str = "
    CREATE TABLE IF NOT EXISTS blobs (
      hash TEXT PRIMARY KEY CHECK (length(hash) = 64),
      kind TEXT NOT NULL CHECK (kind IN ('image', 'thumbnail', 'logo', 'attachment')),
      media_type TEXT NOT NULL, size BIGINT NOT NULL CHECK (size > 0), chunks BIGINT NOT NULL CHECK (chunks > 0));
    CREATE TABLE IF NOT EXISTS blob_chunks (
      hash TEXT NOT NULL REFERENCES blobs (hash) ON DELETE CASCADE, idx BIGINT NOT NULL CHECK (idx >= 0),
      data BYTEA NOT NULL, PRIMARY KEY (hash, idx));
    CREATE TABLE IF NOT EXISTS blob_uploads (
      device_id TEXT NOT NULL, hash TEXT NOT NULL CHECK (length(hash) = 64), kind TEXT NOT NULL,
      media_type TEXT NOT NULL, size BIGINT NOT NULL CHECK (size > 0), next BIGINT NOT NULL CHECK (next >= 0),
      started_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (device_id, hash));
    CREATE TABLE IF NOT EXISTS upload_chunks (
      device_id TEXT NOT NULL, hash TEXT NOT NULL, idx BIGINT NOT NULL CHECK (idx >= 0), data BYTEA NOT NULL,
      PRIMARY KEY (device_id, hash, idx),
      FOREIGN KEY (device_id, hash) REFERENCES blob_uploads (device_id, hash) ON DELETE CASCADE);
    CREATE TABLE IF NOT EXISTS blob_owners (hash TEXT NOT NULL, device_id TEXT NOT NULL, PRIMARY KEY (hash, device_id));
    CREATE TABLE IF NOT EXISTS attachments (
      id TEXT PRIMARY KEY, account_id TEXT NOT NULL, hash TEXT NOT NULL, for_customer BOOLEAN NOT NULL,
      deleted BOOLEAN NOT NULL DEFAULT false);
    CREATE INDEX IF NOT EXISTS attachments_by_hash ON attachments (hash);
    UPDATE hub_meta SET version = 6 WHERE id = 1;";
/// Advisory lock key of the schema set-up (catalog publishing has its own).
const LOCK_SCHEMA: i64 = 0x6f6e_7369_7465_0001;

/// Creates the schema in an empty database, or upgrades an older one, under
/// a database-wide lock; refuses a schema newer than this build.
pub(super) fn set_up(c: &mut Conn<'_>) -> Result<()> {
    let mut tx = c.client().transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_SCHEMA])?;
    let exists: bool = tx.query_one("SELECT to_regclass('hub_meta') IS NOT NULL", &[])?.get(0);
    if !exists {
        tx.batch_execute(SCHEMA)?;
    }
    let mut version: i32 = tx.query_one("SELECT version FROM hub_meta WHERE id = 1", &[])?.get(0);
    if version == 1 {
        tx.batch_execute(UPGRADE_TO_2)?;
        version = 2;
    }
    if version == 2 {
        tx.batch_execute(UPGRADE_TO_3)?;
        version = 3;
    }
    if version == 3 {
        tx.batch_execute(UPGRADE_TO_4)?;
        version = 4;
    }
    if version == 4 {
        tx.batch_execute(UPGRADE_TO_5)?;
        version = 5;
    }
    if version == 5 {
        tx.batch_execute(UPGRADE_TO_6)?;
        version = 6;
    }
    if version > SCHEMA_VERSION {
        return Err(Error::Config(format!(
            "the PostgreSQL database has hub schema version {version}, newer than the {SCHEMA_VERSION} this build knows"
        )));
    }
    tx.commit()?;
    // `fsync` is the server's to set, not a session's: say so when it is
    // off (the test command's throwaway cluster runs so).
    let fsync: String = c.client().query_one("SHOW fsync", &[])?.get(0);
    if fsync != "on" {
        crate::log::line("warn", "PostgreSQL runs with fsync = off: answered syncs do not survive a power cut");
    }
    Ok(())
}
