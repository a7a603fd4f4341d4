-- The registry's read model: the same tables the embedded store keeps, with the fields a
-- SQL reader filters on as columns beside the record itself (borsh, as the chain logs it).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE trees (
    tree  BYTEA PRIMARY KEY,
    depth INTEGER NOT NULL
);

-- Each leaf's newest record.
CREATE TABLE leaves (
    tree       BYTEA    NOT NULL,
    leaf_index INTEGER  NOT NULL,
    node_id    BYTEA    NOT NULL,
    operator   BYTEA    NOT NULL,
    status     SMALLINT NOT NULL, -- 0 pending, 1 verified, 2 suspended, 3 retired
    gpu_model  INTEGER  NOT NULL,
    tier       SMALLINT NOT NULL, -- 0 enterprise, 1 mid-market, 2 consumer
    region     BIGINT   NOT NULL, -- the H3 cell
    record     BYTEA    NOT NULL,
    PRIMARY KEY (tree, leaf_index)
);
CREATE INDEX leaves_by_operator ON leaves (operator, tree, leaf_index);
CREATE INDEX leaves_by_status_model ON leaves (status, gpu_model);

-- A node key's newest leaf: the one its latest registration appended.
CREATE TABLE nodes (
    node_id    BYTEA   PRIMARY KEY,
    tree       BYTEA   NOT NULL,
    leaf_index INTEGER NOT NULL
);

-- Every event of a node key, in chain order.
CREATE TABLE history (
    node_id BYTEA   NOT NULL,
    seq     BIGINT  NOT NULL,
    within  INTEGER NOT NULL,
    event   BYTEA   NOT NULL,
    PRIMARY KEY (node_id, seq, within)
);
