-- The economy's events (stakes, slashes, emissions, payments, burns, proposals, votes),
-- each as its program emitted it, with the kind and the subject readers select by.

CREATE TABLE economy (
    seq     BIGINT  NOT NULL,
    ordinal INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    subject TEXT,            -- an operator's, payer's or recipient's key, or proposal:<id>
    data    BYTEA   NOT NULL, -- discriminator, then the borsh body
    PRIMARY KEY (seq, ordinal)
);
CREATE INDEX economy_by_kind ON economy (kind, seq, ordinal);
CREATE INDEX economy_by_subject ON economy (subject, seq, ordinal) WHERE subject IS NOT NULL;

-- Every node event in chain order: the feed followers (the oracle daemon) apply.
CREATE INDEX history_in_chain_order ON history (seq, within);
