-- Version 12: forgetting a person (ADR 24).
--
-- Each contact's personal data, and the activities that involve them, live
-- in a document of their own (`person/<contact id>`): the documents table
-- is rebuilt for its kind check. The contacts held in account documents
-- before this version move there when the store opens (`erasure::upgrade`).
CREATE TABLE documents_v12 (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('account', 'activities', 'discount', 'quote', 'order', 'person')),
    account_id TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
INSERT INTO documents_v12 (doc_id, kind, account_id, bytes, seq, updated_at)
SELECT doc_id, kind, account_id, bytes, seq, updated_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_v12 RENAME TO documents;
CREATE INDEX documents_seq ON documents (seq);
CREATE INDEX documents_account_seq ON documents (account_id, seq);

-- Documents erased for good: on the hub, refused from then on and announced
-- to devices in the document sequence (`seq`); on a device, refused for
-- local writes. Ids only: nothing of the person.
CREATE TABLE erased_docs (
    doc_id     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    account_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    erased_at  TEXT NOT NULL
) STRICT;
CREATE INDEX erased_docs_seq ON erased_docs (seq);
