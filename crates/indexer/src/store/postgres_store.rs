//! The PostgreSQL store, for production deployments: the embedded store's tables (see
//! `migrations/`), each batch one transaction with its cursor, so a crash leaves the last
//! committed batch. The schema is versioned: `schema_migrations` records what ran, and
//! opening a database runs what is missing, in order, each in its own transaction.

use super::{Batch, IndexedNode, Store};
use crate::economy::{kind_named, EventQuery, StoredEvent};
use crate::IndexerError;
use anchor_lang::{AnchorDeserialize, AnchorSerialize};
use io_registry::{NodeChange, NodeEvent, NodeRecord};
use postgres::{Client, NoTls, Transaction};
use solana_sdk::pubkey::Pubkey;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// Every migration, in order; its number is its position plus one.
const MIGRATIONS: &[(&str, &str)] = &[
    ("registry", include_str!("../../migrations/0001_registry.sql")),
    ("economy", include_str!("../../migrations/0002_economy.sql")),
    ("block_time", include_str!("../../migrations/0003_block_time.sql")),
];

const CURSOR: &str = "cursor";

pub struct PostgresStore {
    client: Mutex<Client>,
}

fn db(e: postgres::Error) -> IndexerError {
    match e.as_db_error() {
        // The server's own words ("relation ... does not exist"), not just "db error".
        Some(server) => IndexerError::Store(format!("postgres: {}: {}", server.severity(), server.message())),
        None => IndexerError::Store(format!("postgres: {e}")),
    }
}

fn encode<T: AnchorSerialize>(value: &T) -> Result<Vec<u8>, IndexerError> {
    value.try_to_vec().map_err(IndexerError::from)
}

fn decode<T: AnchorDeserialize>(bytes: &[u8]) -> Result<T, IndexerError> {
    T::try_from_slice(bytes).map_err(|e| IndexerError::Store(format!("stored value does not decode: {e}")))
}

fn key(bytes: &[u8]) -> Result<Pubkey, IndexerError> {
    Pubkey::try_from(bytes).map_err(|_| IndexerError::Store(format!("stored key has {} bytes", bytes.len())))
}

impl PostgresStore {
    /// Connects with a libpq-style configuration ("host=... user=... dbname=...") and
    /// brings the schema up to date. `schema`, if given, is created if missing and used
    /// for every table (several indexers, or tests, can share one database).
    pub fn connect(config: &str, schema: Option<&str>) -> Result<Self, IndexerError> {
        let mut client = Client::connect(config, NoTls).map_err(db)?;
        if let Some(schema) = schema {
            if !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || schema.is_empty() {
                return Err(IndexerError::Store(format!("schema name {schema:?}: letters, digits and _ only")));
            }
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}")).map_err(db)?;
        }
        migrate(&mut client)?;
        Ok(Self { client: Mutex::new(client) })
    }

    fn client(&self) -> std::sync::MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs every migration the database has not recorded, each with its record, atomically.
fn migrate(client: &mut Client) -> Result<(), IndexerError> {
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        .map_err(db)?;
    let applied: i32 = client.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).map_err(db)?.get(0);
    if applied as usize > MIGRATIONS.len() {
        return Err(IndexerError::Store(format!(
            "the database is at schema version {applied}, newer than this indexer's {}",
            MIGRATIONS.len()
        )));
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        let version = i as i32 + 1;
        let mut tx = client.transaction().map_err(db)?;
        tx.batch_execute(sql).map_err(db)?;
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[&version, name]).map_err(db)?;
        tx.commit().map_err(db)?;
    }
    Ok(())
}

/// The batch's rows, one statement per table (arrays unnested server-side), so a batch
/// costs a handful of round trips whatever its size. A leaf or node key changed several
/// times in the batch is written once, as it ends.
fn apply_events(tx: &mut Transaction<'_>, batch: &Batch) -> Result<(), IndexerError> {
    let mut leaves: BTreeMap<(Pubkey, u32), &NodeRecord> = BTreeMap::new();
    // node key -> (tree, leaf, whether the batch registered it: then it moves there).
    let mut nodes: BTreeMap<Pubkey, (Pubkey, u32, bool)> = BTreeMap::new();
    let mut history = (vec![], vec![], vec![], vec![]);
    let (mut within, mut last_seq) = (0i32, None);
    for (seq, event) in &batch.events {
        within = if last_seq == Some(*seq) { within + 1 } else { 0 };
        last_seq = Some(*seq);
        let r = &event.record;
        leaves.insert((event.tree, r.leaf_index), r);
        let registered = event.change == NodeChange::Registered;
        match nodes.get_mut(&r.node_id) {
            Some(at) if registered => *at = (event.tree, r.leaf_index, true),
            Some(_) => {}
            None => {
                nodes.insert(r.node_id, (event.tree, r.leaf_index, registered));
            }
        }
        history.0.push(r.node_id.to_bytes().to_vec());
        history.1.push(*seq as i64);
        history.2.push(within);
        history.3.push(encode(event)?);
    }

    let mut rows = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((tree, leaf), r) in &leaves {
        rows.0.push(tree.to_bytes().to_vec());
        rows.1.push(*leaf as i32);
        rows.2.push(r.node_id.to_bytes().to_vec());
        rows.3.push(r.operator.to_bytes().to_vec());
        rows.4.push(r.status as i16);
        rows.5.push(i32::from(r.gpu_model));
        rows.6.push(r.tier as i16);
        rows.7.push(r.region as i64);
        rows.8.push(encode(*r)?);
    }
    tx.execute(
        "INSERT INTO leaves (tree, leaf_index, node_id, operator, status, gpu_model, tier, region, record)
         SELECT * FROM UNNEST($1::bytea[], $2::int4[], $3::bytea[], $4::bytea[], $5::int2[], $6::int4[], $7::int2[], $8::int8[], $9::bytea[])
         ON CONFLICT (tree, leaf_index) DO UPDATE SET node_id = EXCLUDED.node_id, operator = EXCLUDED.operator, status = EXCLUDED.status,
             gpu_model = EXCLUDED.gpu_model, tier = EXCLUDED.tier, region = EXCLUDED.region, record = EXCLUDED.record",
        &[&rows.0, &rows.1, &rows.2, &rows.3, &rows.4, &rows.5, &rows.6, &rows.7, &rows.8],
    )
    .map_err(db)?;

    for (moves, conflict) in [(true, "DO UPDATE SET tree = EXCLUDED.tree, leaf_index = EXCLUDED.leaf_index"), (false, "DO NOTHING")] {
        let (mut keys, mut trees, mut leaves) = (vec![], vec![], vec![]);
        for (node, (tree, leaf, registered)) in &nodes {
            if *registered == moves {
                keys.push(node.to_bytes().to_vec());
                trees.push(tree.to_bytes().to_vec());
                leaves.push(*leaf as i32);
            }
        }
        let sql = format!(
            "INSERT INTO nodes (node_id, tree, leaf_index) SELECT * FROM UNNEST($1::bytea[], $2::bytea[], $3::int4[]) ON CONFLICT (node_id) {conflict}"
        );
        tx.execute(sql.as_str(), &[&keys, &trees, &leaves]).map_err(db)?;
    }

    tx.execute(
        "INSERT INTO history (node_id, seq, within, event) SELECT * FROM UNNEST($1::bytea[], $2::int8[], $3::int4[], $4::bytea[])",
        &[&history.0, &history.1, &history.2, &history.3],
    )
    .map_err(db)?;

    let mut economy = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for e in &batch.economy {
        economy.0.push(e.seq as i64);
        economy.1.push(e.ordinal as i32);
        economy.2.push(e.kind);
        economy.3.push(e.subject.as_deref());
        economy.4.push(e.data.as_slice());
        economy.5.push(e.block_time);
    }
    tx.execute(
        "INSERT INTO economy (seq, ordinal, kind, subject, data, block_time)
         SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::bytea[], $6::int8[])",
        &[&economy.0, &economy.1, &economy.2, &economy.3, &economy.4, &economy.5],
    )
    .map_err(db)?;
    Ok(())
}

impl Store for PostgresStore {
    fn cursor(&self) -> Result<Option<u64>, IndexerError> {
        let row = self.client().query_opt("SELECT value FROM meta WHERE key = $1", &[&CURSOR]).map_err(db)?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u64))
    }

    fn apply(&mut self, batch: &Batch) -> Result<(), IndexerError> {
        let mut client = self.client();
        let mut tx = client.transaction().map_err(db)?;
        for (tree, depth) in &batch.new_trees {
            tx.execute("INSERT INTO trees (tree, depth) VALUES ($1, $2)", &[&tree.to_bytes().to_vec(), &(*depth as i32)]).map_err(db)?;
        }
        apply_events(&mut tx, batch)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
            &[&CURSOR, &(batch.cursor as i64)],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn trees(&self) -> Result<Vec<(Pubkey, u32)>, IndexerError> {
        let rows = self.client().query("SELECT tree, depth FROM trees ORDER BY tree", &[]).map_err(db)?;
        rows.iter().map(|r| Ok((key(r.get(0))?, r.get::<_, i32>(1) as u32))).collect()
    }

    fn tree_records(&self, tree: &Pubkey) -> Result<Vec<NodeRecord>, IndexerError> {
        let rows = self
            .client()
            .query("SELECT record FROM leaves WHERE tree = $1 ORDER BY leaf_index", &[&tree.to_bytes().to_vec()])
            .map_err(db)?;
        rows.iter().map(|r| decode(r.get(0))).collect()
    }

    fn node(&self, node_id: &Pubkey) -> Result<Option<IndexedNode>, IndexerError> {
        let row = self
            .client()
            .query_opt(
                "SELECT l.tree, l.record FROM nodes n JOIN leaves l ON l.tree = n.tree AND l.leaf_index = n.leaf_index WHERE n.node_id = $1",
                &[&node_id.to_bytes().to_vec()],
            )
            .map_err(db)?;
        row.map(|r| Ok(IndexedNode { tree: key(r.get(0))?, record: decode(r.get(1))? })).transpose()
    }

    fn nodes_by_operator(&self, operator: &Pubkey) -> Result<Vec<IndexedNode>, IndexerError> {
        let rows = self
            .client()
            .query("SELECT tree, record FROM leaves WHERE operator = $1 ORDER BY tree, leaf_index", &[&operator.to_bytes().to_vec()])
            .map_err(db)?;
        rows.iter().map(|r| Ok(IndexedNode { tree: key(r.get(0))?, record: decode(r.get(1))? })).collect()
    }

    fn history(&self, node_id: &Pubkey) -> Result<Vec<(u64, NodeEvent)>, IndexerError> {
        let rows = self
            .client()
            .query("SELECT seq, event FROM history WHERE node_id = $1 ORDER BY seq, within", &[&node_id.to_bytes().to_vec()])
            .map_err(db)?;
        rows.iter().map(|r| Ok((r.get::<_, i64>(0) as u64, decode(r.get(1))?))).collect()
    }

    fn changes(&self, after: Option<(u64, u32)>, limit: usize) -> Result<Vec<(u64, u32, NodeEvent)>, IndexerError> {
        let (seq, within) = after.map_or((-1i64, -1i32), |(s, w)| (s as i64, w as i32));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client()
            .query(
                "SELECT seq, within, event FROM history WHERE (seq, within) > ($1, $2) ORDER BY seq, within LIMIT $3",
                &[&seq, &within, &limit],
            )
            .map_err(db)?;
        rows.iter().map(|r| Ok((r.get::<_, i64>(0) as u64, r.get::<_, i32>(1) as u32, decode(r.get(2))?))).collect()
    }

    fn events(&self, query: &EventQuery<'_>) -> Result<Vec<StoredEvent>, IndexerError> {
        let kinds: Vec<&str> = query.kinds.to_vec();
        let (seq, ordinal) = query.after.map_or((-1i64, -1i32), |(s, o)| (s as i64, o as i32));
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        // One statement per shape, so each is planned on its own index (by subject, or by
        // kind) rather than one generic plan for both.
        let rows = match query.subject {
            Some(subject) => self.client().query(
                "SELECT seq, ordinal, kind, subject, data, block_time FROM economy
                 WHERE subject = $2 AND kind = ANY($1) AND (seq, ordinal) > ($3, $4) ORDER BY seq, ordinal LIMIT $5",
                &[&kinds, &subject, &seq, &ordinal, &limit],
            ),
            None => self.client().query(
                "SELECT seq, ordinal, kind, subject, data, block_time FROM economy
                 WHERE kind = ANY($1) AND (seq, ordinal) > ($2, $3) ORDER BY seq, ordinal LIMIT $4",
                &[&kinds, &seq, &ordinal, &limit],
            ),
        }
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                let name: &str = r.get(2);
                let kind = kind_named(name).ok_or_else(|| IndexerError::Store(format!("stored event kind {name:?} is unknown")))?;
                Ok(StoredEvent {
                    seq: r.get::<_, i64>(0) as u64,
                    block_time: r.get(5),
                    ordinal: r.get::<_, i32>(1) as u32,
                    kind,
                    subject: r.get(3),
                    data: r.get(4),
                })
            })
            .collect()
    }
}
