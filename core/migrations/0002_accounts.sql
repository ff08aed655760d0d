-- Version 2: field data created on devices: accounts and their contacts.
-- Written through the store's account repository only. A later version makes
-- Automerge documents their source of truth and keeps these as projections.

CREATE TABLE accounts (
    rid                  INTEGER PRIMARY KEY,  -- stable rowid for the search index
    id                   TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    legal_form           TEXT,
    employees            INTEGER CHECK (employees >= 0),
    industry             TEXT,
    billing_street       TEXT NOT NULL DEFAULT '',
    billing_postal_code  TEXT NOT NULL DEFAULT '',
    billing_city         TEXT NOT NULL DEFAULT '',
    billing_country      TEXT NOT NULL DEFAULT '',
    shipping_street      TEXT,
    shipping_postal_code TEXT,
    shipping_city        TEXT,
    shipping_country     TEXT,
    vat_id               TEXT,
    customer_group       TEXT,
    assigned_rep         TEXT,
    updated_at           TEXT NOT NULL
) STRICT;
CREATE INDEX accounts_name ON accounts (name COLLATE NOCASE);
CREATE INDEX accounts_rep ON accounts (assigned_rep);

CREATE TABLE contacts (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    first_name      TEXT NOT NULL,
    last_name       TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN
                      ('decision_maker', 'influencer', 'user', 'gatekeeper', 'budget_holder')),
    title           TEXT,
    email           TEXT,
    phone           TEXT,
    consent_granted INTEGER CHECK (consent_granted IN (0, 1)),
    consent_at      TEXT,
    consent_source  TEXT,
    updated_at      TEXT NOT NULL,
    CHECK ((consent_granted IS NULL) = (consent_at IS NULL))
) STRICT;
CREATE INDEX contacts_account ON contacts (account_id);

-- Search over company name, cities and the contacts' names and titles.
CREATE VIRTUAL TABLE account_search USING fts5 (
    name, city, contacts,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
