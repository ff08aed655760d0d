-- Version 3: quotes, orders, the discount policy and product costs.
-- Quotes and orders keep their whole value as JSON in `body` plus the
-- columns queries filter on (a later version makes Automerge documents their
-- source of truth and keeps these tables as projections).

-- Reference data: the discount policy (one row) and product costs, which
-- only the back office and reps see, never customers.
CREATE TABLE discount_policy (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL
) STRICT;

CREATE TABLE product_costs (
    sku  TEXT PRIMARY KEY COLLATE NOCASE,
    cost TEXT NOT NULL,
    seq  INTEGER NOT NULL
) STRICT;

CREATE TABLE quotes (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
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
CREATE INDEX quotes_account ON quotes (account_id, updated_at);

CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    quote_id    TEXT REFERENCES quotes (id),
    reorder_of  TEXT REFERENCES orders (id),
    created_at  TEXT NOT NULL,
    gross_total TEXT NOT NULL,
    body        TEXT NOT NULL        -- the Order as JSON
) STRICT;
CREATE INDEX orders_account ON orders (account_id, created_at);
