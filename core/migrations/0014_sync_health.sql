-- Version 14: what the rep's screen says about syncing (issue 20).
--
-- One row: when a sync was last tried and last finished, and the last
-- failure in plain words (a reason, never a record's content).
CREATE TABLE sync_health (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error      TEXT,
    last_error_at   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0)
) STRICT;

INSERT INTO sync_health (id) VALUES (1);
