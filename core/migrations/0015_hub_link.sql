-- Version 15: the hub a device syncs with (issue 20), kept in the device's
-- own encrypted store: the URL and the device token (rotated tokens replace
-- it), and who the hub says the device is.
CREATE TABLE hub_link (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    hub_url    TEXT NOT NULL,
    token      TEXT NOT NULL,
    person     TEXT NOT NULL,
    role       TEXT NOT NULL,
    account_id TEXT,
    linked_at  TEXT NOT NULL
) STRICT;

-- Tokens the hub handed over in a sync (ADR 23, ADR 27), by the hash of the
-- token each replaced: the driver switches to a new token only once it is
-- kept here, so a sync that fails after the hub saw the new token cannot
-- lock the device out (the app's old token leads to its successor).
CREATE TABLE token_rotations (
    replaced_hash TEXT PRIMARY KEY,
    token         TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    at            TEXT NOT NULL
) STRICT;
