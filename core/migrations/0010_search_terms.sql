-- Version 10: search that finds compound parts, inflections and typos
-- (issue 24, ADR 16).
--
-- The product index is derived from the products: the store creates and
-- fills its tables (product_search, and product_details for the
-- descriptions) from the products when it is opened and
-- search_state.index_format below is older than its own (see
-- core/src/store/search_index.rs). So a device that upgrades with a
-- catalog gets the new index at once, and a later change of the indexed
-- words needs no migration, only a new index format.
DROP TABLE product_search;

-- The vocabulary of the product index: every letters-only word it holds
-- and every word of a description, with how many products hold it where.
-- Imports and deltas keep it in the same transaction as the index; search
-- derives inflected forms, compound parts and typo corrections from it,
-- and leaves out terms the index does not hold. Category words are
-- counted too (they are not indexed, but they tell compounds apart:
-- "Muttern" splits "Sechskantmutter").
CREATE TABLE search_terms (
    term          TEXT PRIMARY KEY,
    docs          INTEGER NOT NULL DEFAULT 0,  -- in the name or attribute values
    sku_docs      INTEGER NOT NULL DEFAULT 0,  -- in the SKU
    desc_docs     INTEGER NOT NULL DEFAULT 0,  -- in the description
    category_docs INTEGER NOT NULL DEFAULT 0   -- in the category
) STRICT, WITHOUT ROWID;

-- generation: changes with search_terms; readers keep the vocabulary in
-- memory per generation. index_format: the version of the index's tables
-- and words; 0 means none yet.
CREATE TABLE search_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    generation   INTEGER NOT NULL,
    index_format INTEGER NOT NULL
) STRICT;
INSERT INTO search_state (id, generation, index_format) VALUES (1, 0, 0);
