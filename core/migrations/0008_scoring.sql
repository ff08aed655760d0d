-- Version 8: lead scoring and campaigns (ADR 15). Accounts carry custom
-- attributes (a JSON object) for persona criteria; the scoring model and
-- the campaigns with their funnel figures are reference data published by
-- the back office and travel with the catalog.
ALTER TABLE accounts ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';

CREATE TABLE scoring_model (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL
) STRICT;

CREATE TABLE campaigns (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL
) STRICT;
CREATE INDEX campaigns_seq ON campaigns (seq);
