-- Version 5: field data becomes Automerge documents (one per aggregate); the
-- accounts, contacts, quotes, orders and activities tables are projections
-- of them, written in the same transaction as the document. Sync state per
-- peer and per document. See ADR 9 and ADR 10.

-- This database's own identity: the device id its Automerge changes carry.
CREATE TABLE device (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL
) STRICT;
INSERT INTO device (id, device_id)
SELECT 1, substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a' || substr(h, 18, 3)
          || '-' || substr(h, 21, 12)
FROM (SELECT lower(hex(randomblob(16))) AS h);

-- Every document's bytes (Automerge save format). `seq` is this database's
-- change counter: it moves whenever the document changes, by a local edit
-- or by a merge, and is what "changed since the last round" compares.
CREATE TABLE documents (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('account', 'activities', 'quote', 'order')),
    account_id TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX documents_seq ON documents (seq);
CREATE INDEX documents_account ON documents (account_id);

CREATE TABLE doc_state (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
) STRICT;
INSERT INTO doc_state (id, seq) VALUES (1, 0);

-- One row per sync peer: on a device the hub (peer 'hub'); on the hub each device.
CREATE TABLE sync_peers (
    peer           TEXT PRIMARY KEY,
    session        INTEGER NOT NULL DEFAULT 1,
    round          INTEGER NOT NULL DEFAULT 0,
    outstanding    INTEGER NOT NULL DEFAULT 0 CHECK (outstanding IN (0, 1)),
    local_cursor   INTEGER NOT NULL DEFAULT 0,
    remote_cursor  INTEGER NOT NULL DEFAULT 0,
    catalog_resume TEXT,
    last_sync_at   TEXT
) STRICT;

-- Automerge sync state per peer and document, with the session it belongs
-- to (a new session after a lost response starts from the shared heads),
-- on a device the next message to send for it (`outbox`), and changes
-- received before their dependencies (`queued`), kept until those arrive.
CREATE TABLE sync_docs (
    peer    TEXT NOT NULL,
    doc_id  TEXT NOT NULL,
    session INTEGER NOT NULL,
    state   BLOB NOT NULL,
    outbox  BLOB,
    queued  BLOB,
    PRIMARY KEY (peer, doc_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sync_docs_outbox ON sync_docs (peer, doc_id) WHERE outbox IS NOT NULL;

CREATE TABLE activities (
    id         TEXT PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    account_id TEXT NOT NULL,
    contact_id TEXT,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    by         TEXT NOT NULL,
    subject    TEXT NOT NULL,
    notes      TEXT NOT NULL
) STRICT;
CREATE INDEX activities_account ON activities (account_id, at);
CREATE INDEX activities_doc ON activities (doc_id);

-- Projections of independently synced documents cannot promise that a
-- quote's account arrives first: quotes and orders lose their foreign keys.
CREATE TABLE quotes_v5 (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    account_id       TEXT NOT NULL,
    rep              TEXT NOT NULL,
    state            TEXT NOT NULL,
    revision         INTEGER NOT NULL CHECK (revision >= 1),
    revision_hash    TEXT NOT NULL,
    valid_until      TEXT NOT NULL,
    currency         TEXT NOT NULL,
    gross_total      TEXT NOT NULL,
    max_discount_pct TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    body             TEXT NOT NULL
) STRICT;
INSERT INTO quotes_v5 SELECT id, number, account_id, rep, state, revision, revision_hash, valid_until, currency,
    gross_total, max_discount_pct, updated_at, body FROM quotes;

CREATE TABLE orders_v5 (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    quote_id    TEXT,
    reorder_of  TEXT,
    created_at  TEXT NOT NULL,
    gross_total TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
INSERT INTO orders_v5 SELECT id, account_id, quote_id, reorder_of, created_at, gross_total, body FROM orders;

DROP TABLE orders;
DROP TABLE quotes;
ALTER TABLE quotes_v5 RENAME TO quotes;
ALTER TABLE orders_v5 RENAME TO orders;
CREATE INDEX quotes_account ON quotes (account_id, updated_at);
CREATE INDEX orders_account ON orders (account_id, created_at);
