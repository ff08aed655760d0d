-- Version 16: files that travel (issue 21, ADR 29).
--
-- Blobs are addressed by the SHA-256 of their bytes and stored in chunks
-- of 512 KiB, inside the (encrypted) store: erasing the store erases them,
-- and a transfer cut at any chunk continues from there. Devices and the
-- embedded hub use the same tables; `blob_uploads`, `upload_chunks` and
-- `blob_owners` are the hub's.

-- Attachment documents (`attachment/<id>`): the documents table is rebuilt
-- for its kind check, as in version 12.
CREATE TABLE documents_v16 (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL
               CHECK (kind IN ('account', 'activities', 'discount', 'quote', 'order', 'person', 'attachment')),
    account_id TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
INSERT INTO documents_v16 (doc_id, kind, account_id, bytes, seq, updated_at)
SELECT doc_id, kind, account_id, bytes, seq, updated_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_v16 RENAME TO documents;
CREATE INDEX documents_seq ON documents (seq);
CREATE INDEX documents_account_seq ON documents (account_id, seq);

-- A blob this store holds, whole (`received = chunks`) or partly (a
-- download under way).
CREATE TABLE blobs (
    hash        TEXT PRIMARY KEY CHECK (length(hash) = 64),
    kind        TEXT NOT NULL CHECK (kind IN ('image', 'thumbnail', 'logo', 'attachment')),
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL CHECK (size > 0),
    chunks      INTEGER NOT NULL CHECK (chunks > 0),
    received    INTEGER NOT NULL CHECK (received >= 0 AND received <= chunks),
    -- On a device: the next chunk the hub wants of a blob added here
    -- (-1: not asked yet); NULL once the hub has it, or for one fetched.
    upload_next INTEGER,
    -- A refusal of the upload by the hub, in plain words (not retried).
    refused     TEXT,
    last_used   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX blobs_by_use ON blobs (last_used);
CREATE INDEX blobs_pending ON blobs (upload_next) WHERE upload_next IS NOT NULL;

CREATE TABLE blob_chunks (
    hash  TEXT NOT NULL REFERENCES blobs (hash) ON DELETE CASCADE,
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    data  BLOB NOT NULL,
    PRIMARY KEY (hash, idx)
) STRICT, WITHOUT ROWID;

-- The hub: an upload under way, per device (so one device's upload never
-- reveals that another's blob exists, ADR 29).
CREATE TABLE blob_uploads (
    device_id   TEXT NOT NULL,
    hash        TEXT NOT NULL CHECK (length(hash) = 64),
    kind        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL CHECK (size > 0),
    next        INTEGER NOT NULL CHECK (next >= 0),
    started_at  TEXT NOT NULL,
    PRIMARY KEY (device_id, hash)
) STRICT;

CREATE TABLE upload_chunks (
    device_id  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    idx        INTEGER NOT NULL CHECK (idx >= 0),
    data       BLOB NOT NULL,
    PRIMARY KEY (device_id, hash, idx),
    FOREIGN KEY (device_id, hash) REFERENCES blob_uploads (device_id, hash) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The hub: which device uploaded a blob (it may fetch it back before a
-- document names it).
CREATE TABLE blob_owners (
    hash       TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    PRIMARY KEY (hash, device_id)
) STRICT, WITHOUT ROWID;

-- Attachments (projection of `attachment/<id>` documents), on devices and
-- the hub: the hub decides from here who may fetch a blob.
CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    parent_kind   TEXT NOT NULL CHECK (parent_kind IN ('quote', 'activity')),
    parent_id     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    name          TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size          INTEGER NOT NULL,
    for_customer  INTEGER NOT NULL CHECK (for_customer IN (0, 1)),
    added_by      TEXT NOT NULL,
    added_at      TEXT NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
) STRICT;

CREATE INDEX attachments_by_parent ON attachments (parent_kind, parent_id);
CREATE INDEX attachments_by_hash ON attachments (hash);

-- Reference data: published files by name (product images with their
-- thumbnails), as the catalog's `image` column names them.
CREATE TABLE media (
    name        TEXT PRIMARY KEY,
    hash        TEXT NOT NULL CHECK (length(hash) = 64),
    kind        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    thumb_hash  TEXT,
    thumb_size  INTEGER,
    seq         INTEGER NOT NULL
) STRICT;

CREATE INDEX media_by_seq ON media (seq);
CREATE INDEX media_by_hash ON media (hash);
CREATE INDEX media_by_thumb ON media (thumb_hash);
