-- The hub's registry: devices with their person, role and hashed token, and
-- which accounts each rep is assigned. Only a hub database fills these
-- tables; on a phone or tablet they stay empty.

CREATE TABLE hub_devices (
    device_id    TEXT PRIMARY KEY,
    person       TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'rep', 'customer')),
    account_id   TEXT,
    label        TEXT NOT NULL DEFAULT '',
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_seen_at TEXT,
    CHECK ((role = 'customer') = (account_id IS NOT NULL))
) STRICT;
CREATE INDEX hub_devices_person ON hub_devices (person);

CREATE TABLE hub_assignments (
    rep        TEXT NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (rep, account_id)
) STRICT, WITHOUT ROWID;

-- The hub announces a rep's changed documents by seeking each assigned
-- account's changes after the device's cursor.
CREATE INDEX documents_account_seq ON documents (account_id, seq);
DROP INDEX documents_account;
