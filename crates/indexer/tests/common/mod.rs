//! What the ingestion and the API tests share: the network they index, and the two
//! storage backends each ingestion test runs on.
#![allow(dead_code, unused_macros, unused_imports)]

use io_indexer::api::DynStore;
use io_indexer::{PostgresStore, RedbStore};
use std::cell::RefCell;
use std::collections::HashMap;

use io_registry::HardwareSpec;
use io_tests::Harness;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// A small network: two operators, five nodes; verified, updated, suspended and retired.
pub struct Network {
    pub h: Harness,
    pub operators: Vec<Keypair>,
    pub nodes: Vec<Pubkey>,
}

pub fn network() -> Network {
    let mut h = Harness::new();
    let operators: Vec<Keypair> = (0..2).map(|_| h.operator()).collect();
    let mut nodes = vec![];
    for i in 0..5u64 {
        let spec = h.spec("H100", 1 + i as u16, i);
        let (node, _) = h.register(&operators[(i % 2) as usize], spec);
        nodes.push(node.pubkey());
    }
    h.next_epoch();
    for node in &nodes[..4] {
        h.verify(node);
    }
    let record = *h.registry.record(&nodes[1]).unwrap();
    let spec = HardwareSpec { gpu_count: record.gpu_count + 1, ..h.spec("H100", 1, 1) };
    h.registry.update(&mut h.net, &operators[1], &nodes[1], spec).unwrap();
    h.next_epoch();
    h.attest(2, &nodes[2], io_registry::Verdict::Suspended, Default::default(), &[]);
    h.registry.retire(&mut h.net, &operators[1], &nodes[3]).unwrap();
    Network { h, operators, nodes }
}

/// The PostgreSQL database the tests use, as a libpq configuration string.
pub const POSTGRES_ENV: &str = "IO_TEST_POSTGRES";

/// Where a test's stores live: redb files in a temporary directory, or schemas of one
/// PostgreSQL database (one per store, dropped when the test ends). Opening the same name
/// twice reopens the same store, as a restarted process would.
pub enum Backend {
    Redb(tempfile::TempDir),
    Postgres { config: String, schemas: RefCell<HashMap<String, String>> },
}

static SCHEMA_COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Backend {
    pub fn redb() -> Self {
        Backend::Redb(tempfile::tempdir().unwrap())
    }

    /// The PostgreSQL backend, or `None` (said on stderr, by test name) when no database
    /// is configured. CI configures one, so there a missing database fails the test.
    pub fn postgres(test: &str) -> Option<Self> {
        match std::env::var(POSTGRES_ENV) {
            Ok(config) => Some(Backend::Postgres { config, schemas: RefCell::new(HashMap::new()) }),
            Err(_) if std::env::var_os("CI").is_some() => panic!("{test}: CI must set {POSTGRES_ENV} (.ci/run starts PostgreSQL)"),
            Err(_) => {
                eprintln!("SKIPPED postgres::{test}: no PostgreSQL configured ({POSTGRES_ENV})");
                None
            }
        }
    }

    pub fn open(&self, name: &str) -> DynStore {
        match self {
            Backend::Redb(dir) => Box::new(RedbStore::open(&dir.path().join(format!("{name}.redb"))).unwrap()),
            Backend::Postgres { config, schemas } => {
                let schema = schemas
                    .borrow_mut()
                    .entry(name.to_string())
                    .or_insert_with(|| {
                        let n = SCHEMA_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        format!("io_test_{}_{n}_{name}", std::process::id())
                    })
                    .clone();
                Box::new(PostgresStore::connect(config, Some(&schema)).unwrap())
            }
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Backend::Postgres { config, schemas } = self {
            if let Ok(mut client) = postgres::Client::connect(config, postgres::NoTls) {
                for schema in schemas.borrow().values() {
                    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).ok();
                }
            }
        }
    }
}

/// Each named test, taking a `&Backend`, as `redb::<name>` and `postgres::<name>`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod redb {
            $(#[test]
            fn $name() {
                super::$name(&super::common::Backend::redb())
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                if let Some(backend) = super::common::Backend::postgres(stringify!($name)) {
                    super::$name(&backend)
                }
            })*
        }
    };
}
pub(crate) use on_both_backends;
