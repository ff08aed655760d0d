-- Version 9: the hub decides what is true (ADR 17).
--
-- Discount requests are documents of their own (`discount/<quote id>`):
-- customers receive quotes, never the rep's internal reason. The documents
-- table is rebuilt for its kind check.
CREATE TABLE documents_v9 (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('account', 'activities', 'discount', 'quote', 'order')),
    account_id TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
INSERT INTO documents_v9 (doc_id, kind, account_id, bytes, seq, updated_at)
SELECT doc_id, kind, account_id, bytes, seq, updated_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_v9 RENAME TO documents;
CREATE INDEX documents_seq ON documents (seq);
CREATE INDEX documents_account_seq ON documents (account_id, seq);

-- Quote numbers are unique by the hub's rules (a clash is refused with a
-- reason the device acts on), not by a constraint that would make a merged
-- projection fail: the quotes table is rebuilt without UNIQUE (migrations
-- run with foreign keys off; `PRAGMA foreign_key_check` runs before commit;
-- like version 5, no foreign keys: documents sync independently).
CREATE TABLE quotes_v9 (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    rep              TEXT NOT NULL,
    state            TEXT NOT NULL,
    revision         INTEGER NOT NULL CHECK (revision >= 1),
    revision_hash    TEXT NOT NULL,
    valid_until      TEXT NOT NULL,
    currency         TEXT NOT NULL,
    gross_total      TEXT NOT NULL,
    max_discount_pct TEXT NOT NULL,  -- largest effective line discount
    updated_at       TEXT NOT NULL,
    body             TEXT NOT NULL   -- the Quote as JSON
) STRICT;
INSERT INTO quotes_v9 SELECT id, number, account_id, rep, state, revision, revision_hash, valid_until, currency,
                             gross_total, max_discount_pct, updated_at, body FROM quotes;
DROP TABLE quotes;
ALTER TABLE quotes_v9 RENAME TO quotes;
CREATE INDEX quotes_account ON quotes (account_id, updated_at);
CREATE INDEX quotes_number ON quotes (number);
CREATE INDEX orders_quote ON orders (quote_id);

-- On a device: what the hub refused and why, for the user (and the version
-- that was refused, kept here as JSON since the document now holds what
-- the hub accepted).
CREATE TABLE sync_refusals (
    id            INTEGER PRIMARY KEY,
    doc_id        TEXT NOT NULL,
    code          TEXT NOT NULL,
    message       TEXT NOT NULL,
    refused_at    TEXT NOT NULL,
    restored      INTEGER NOT NULL CHECK (restored IN (0, 1)),
    local_version TEXT
) STRICT;
CREATE INDEX sync_refusals_doc ON sync_refusals (doc_id);

-- Documents the hub refused and has no accepted version of (new ones, or
-- outside the device's scope): not offered again until they change here.
CREATE TABLE sync_held (
    doc_id TEXT PRIMARY KEY,
    seq    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- At the hub: reps who were sent every product cost once (a rep receives
-- costs only once they have an account to quote for, whatever their
-- catalog cursor is by then).
CREATE TABLE hub_cost_grants (
    device_id TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
