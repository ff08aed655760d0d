-- Version 13: who sends the documents (ADR 26).
--
-- Reference data: the company profile and the unit labels (one row each,
-- like the discount policy) and the reps' profiles, one per rep id.
CREATE TABLE company_profile (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL
) STRICT;

CREATE TABLE unit_labels (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL
) STRICT;

CREATE TABLE rep_profiles (
    rep  TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL
) STRICT;
CREATE INDEX rep_profiles_seq ON rep_profiles (seq);

-- Field data: how a contact is addressed (`ms`, `mr`; none: neutrally).
ALTER TABLE contacts ADD COLUMN salutation TEXT;

-- Field data: the back office's confirmation of a customer's VAT ID (JSON).
ALTER TABLE accounts ADD COLUMN vat_confirmation TEXT;
