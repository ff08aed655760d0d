-- Version 4: the content library (reference data): case studies, customer
-- stories and other value arguments that quotes and datasheets refer to.

CREATE TABLE content_items (
    id      TEXT PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('case_study', 'customer_story', 'whitepaper', 'video', 'reference')),
    title   TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    url     TEXT,
    skus    TEXT NOT NULL DEFAULT '[]',  -- JSON array of the SKUs it argues for
    seq     INTEGER NOT NULL
) STRICT;
CREATE INDEX content_items_seq ON content_items (seq);
