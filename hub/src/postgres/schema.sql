-- The hub's PostgreSQL schema, version 6 (version 1 lacked devices.link_key,
-- version 2 the quote number and order's quote columns, version 3 the
-- devices' token expiry, staged token, loss and wipe, version 4 the erased
-- documents, version 5 the files; the upgrades are in
-- schema.rs). Applied once by the first
-- instance that finds an empty database (under an advisory lock).

CREATE TABLE hub_meta (
    id        INT PRIMARY KEY CHECK (id = 1),
    version   INT NOT NULL,
    -- The document change sequence. Taken with a row lock at the very end
    -- of every writing transaction, so numbers are handed out in commit
    -- order and a reader never sees sequence n+1 without n.
    doc_seq   BIGINT NOT NULL DEFAULT 0
);

-- Field-data documents as append-only, content-addressed change chunks:
-- an instance only ever adds the chunk of changes it merged (its SHA-256 is
-- the key, so the same chunk written twice is stored once); loading a
-- document applies all its chunks. Compaction replaces chunks by one
-- snapshot that contains them, under the document's row lock.
CREATE TABLE doc_chunks (
    doc_id     TEXT NOT NULL,
    hash       BYTEA NOT NULL,
    bytes      BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (doc_id, hash)
);

-- One row per document: its account, its place in the change sequence and
-- the back office's projection (quotes and orders as JSON).
CREATE TABLE documents (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    account_id TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    state      TEXT,
    body       TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A quote's number (unique by the hub's rules, ADR 17) and an order's
    -- quote, for the transition checks.
    number     TEXT,
    quote_ref  TEXT
);
CREATE INDEX documents_number ON documents (number) WHERE number IS NOT NULL;
CREATE INDEX documents_quote_ref ON documents (quote_ref) WHERE quote_ref IS NOT NULL;
CREATE INDEX documents_seq ON documents (seq);
CREATE INDEX documents_account ON documents (account_id, seq);
CREATE INDEX documents_kind_state ON documents (kind, state);

CREATE TABLE sync_peers (
    device_id TEXT PRIMARY KEY,
    session   BIGINT NOT NULL,
    round     BIGINT NOT NULL
);

CREATE TABLE sync_docs (
    device_id TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    session   BIGINT NOT NULL,
    state     BYTEA NOT NULL,
    queued    BYTEA,
    PRIMARY KEY (device_id, doc_id)
);

CREATE TABLE devices (
    device_id    TEXT PRIMARY KEY,
    person       TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'rep', 'customer')),
    account_id   TEXT,
    label        TEXT NOT NULL DEFAULT '',
    token_hash   BYTEA NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_seen_at TEXT,
    -- The key the device signs its approval links with (ADR 13).
    link_key     BYTEA,
    -- The device's life (ADR 23): token expiry, the next token staged
    -- during a sync, reported lost, reported wiped.
    token_expires_at      TEXT,
    next_token_hash       BYTEA UNIQUE,
    next_token_expires_at TEXT,
    next_token_staged_at  TEXT,
    lost_at               TEXT,
    wiped_at              TEXT,
    CHECK ((role = 'customer') = (account_id IS NOT NULL))
);

CREATE TABLE assignments (
    rep        TEXT NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (rep, account_id)
);

-- Reference data as published releases: each the delta since the previous
-- one (deflated JSON). Every instance replays them into a local replica
-- and serves catalog pages from it.
CREATE TABLE catalog_releases (
    seq          BIGINT PRIMARY KEY,
    since        BIGINT NOT NULL,
    delta        BYTEA NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Reps who were sent every product cost once (ADR 17).
CREATE TABLE cost_grants (
    device_id TEXT PRIMARY KEY
);

-- Documents erased for good (a forgotten person, ADR 24): their changes are
-- refused from then on, and devices are told at `seq` to delete their copy.
-- Ids only: nothing of the person.
CREATE TABLE erased_docs (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    account_id TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    erased_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX erased_docs_seq ON erased_docs (seq);

-- Files that travel (ADR 29), addressed by the SHA-256 of their bytes and
-- stored in chunks of 512 KiB: a blob held whole, its chunks.
CREATE TABLE blobs (
    hash       TEXT PRIMARY KEY CHECK (length(hash) = 64),
    kind       TEXT NOT NULL CHECK (kind IN ('image', 'thumbnail', 'logo', 'attachment')),
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL CHECK (size > 0),
    chunks     BIGINT NOT NULL CHECK (chunks > 0)
);

CREATE TABLE blob_chunks (
    hash TEXT NOT NULL REFERENCES blobs (hash) ON DELETE CASCADE,
    idx  BIGINT NOT NULL CHECK (idx >= 0),
    data BYTEA NOT NULL,
    PRIMARY KEY (hash, idx)
);

-- An upload under way, per device (so one device's upload never reveals
-- that another's blob exists), and its chunks so far.
CREATE TABLE blob_uploads (
    device_id  TEXT NOT NULL,
    hash       TEXT NOT NULL CHECK (length(hash) = 64),
    kind       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL CHECK (size > 0),
    next       BIGINT NOT NULL CHECK (next >= 0),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, hash)
);

CREATE TABLE upload_chunks (
    device_id TEXT NOT NULL,
    hash      TEXT NOT NULL,
    idx       BIGINT NOT NULL CHECK (idx >= 0),
    data      BYTEA NOT NULL,
    PRIMARY KEY (device_id, hash, idx),
    FOREIGN KEY (device_id, hash) REFERENCES blob_uploads (device_id, hash) ON DELETE CASCADE
);

-- Which device uploaded a blob (it may fetch it back before a document
-- names it).
CREATE TABLE blob_owners (
    hash      TEXT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (hash, device_id)
);

-- Attachments (projection of `attachment/<id>` documents): who may fetch
-- a blob is decided from here.
CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    hash         TEXT NOT NULL,
    for_customer BOOLEAN NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX attachments_by_hash ON attachments (hash);

INSERT INTO hub_meta (id, version, doc_seq) VALUES (1, 6, 0);
