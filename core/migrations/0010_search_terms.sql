-- Version 10: search that finds compound parts, inflections and typos
-- (issue 24, ADR 16).
--
-- The product index again, with `_` as a token character: description
-- words are indexed as `_word`, so queries that must match in the SKU, the
-- name or the attributes never read the description's doclists (a word
-- like "Lager" is in every description). Its rows are rebuilt from the
-- products when the store is opened (search_state.index_format below).
DROP TABLE product_search;
CREATE VIRTUAL TABLE product_search USING fts5 (
    sku, name, description, attrs,
    content = '',
    contentless_delete = 1,
    detail = column,
    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''_''',
    prefix = '2 3 4 5 6'
);
INSERT INTO product_search (product_search, rank) VALUES ('automerge', 8);

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
-- memory per generation. index_format: the version of the words written
-- to product_search (text::index_words); a store whose index is older
-- rebuilds index and vocabulary from the products when it is opened, so a
-- device that upgrades with a catalog gets the new index at once.
CREATE TABLE search_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    generation   INTEGER NOT NULL,
    index_format INTEGER NOT NULL
) STRICT;
INSERT INTO search_state (id, generation, index_format) VALUES (1, 0, 0);
