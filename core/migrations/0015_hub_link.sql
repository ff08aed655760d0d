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
