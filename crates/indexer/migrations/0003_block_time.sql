-- The block time of each kept economy event's transaction (unix seconds; 0 where the
-- source could not tell, and for rows indexed before this migration): what the network
-- metrics group into periods.
ALTER TABLE economy ADD COLUMN block_time BIGINT NOT NULL DEFAULT 0;
