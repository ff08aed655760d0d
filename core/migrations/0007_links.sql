-- Version 7: signed approval links (ADR 13). A device keeps the key it
-- signs the links on its quote PDFs with (derived from its token); the hub
-- keeps every device's key to verify them.
ALTER TABLE device ADD COLUMN link_key BLOB;
ALTER TABLE hub_devices ADD COLUMN link_key BLOB;
