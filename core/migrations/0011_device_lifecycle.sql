-- Version 11: the life of a device (ADR 23). The hub's registry keeps when
-- a token expires, the token staged to replace it during a sync (valid
-- alongside the current one until the device first uses it), and when the
-- back office reported the device lost and when it reported back wiped.
-- Device tokens issued before expiry existed get the default lifetime from
-- now; back-office (admin) tokens do not expire (they never sync, so they
-- are never rotated).
ALTER TABLE hub_devices ADD COLUMN token_expires_at TEXT;
ALTER TABLE hub_devices ADD COLUMN next_token_hash BLOB;
ALTER TABLE hub_devices ADD COLUMN next_token_expires_at TEXT;
ALTER TABLE hub_devices ADD COLUMN next_token_staged_at TEXT;
ALTER TABLE hub_devices ADD COLUMN lost_at TEXT;
ALTER TABLE hub_devices ADD COLUMN wiped_at TEXT;
UPDATE hub_devices SET token_expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days') WHERE role <> 'admin';
CREATE UNIQUE INDEX hub_devices_next_token ON hub_devices (next_token_hash) WHERE next_token_hash IS NOT NULL;

-- A device notes when it last heard from its hub: its offline lease runs
-- from there.
ALTER TABLE device ADD COLUMN last_contact_at TEXT;
