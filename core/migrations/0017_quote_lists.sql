-- The back office's quote lists (ADR 30) page in SQL: each filter and the
-- newest-first order read from an index, never the bodies of every quote.
CREATE INDEX quotes_updated ON quotes (updated_at, number);
CREATE INDEX quotes_state ON quotes (state, updated_at, number);
CREATE INDEX quotes_rep ON quotes (rep, updated_at, number);
