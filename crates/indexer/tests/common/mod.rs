//! What the ingestion and the API tests share: the network they index, and the two
//! storage backends each ingestion test runs on.
#![allow(dead_code, unused_macros, unused_imports)]

use io_indexer::api::DynStore;
use io_indexer::{PostgresStore, RedbStore};
use std::cell::RefCell;
use std::collections::HashMap;

use io_registry::HardwareSpec;
use io_sdk::governance::actions;
use io_sdk::staking as sx;
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

pub const IO: u64 = 1_000_000;

/// The network metrics' parameters of the reference genesis, written out: a 30-day period,
/// the 2% fee, the tier minimums and multipliers of migrations/genesis.toml.
pub fn network_params() -> io_metrics::NetworkParams {
    io_metrics::NetworkParams {
        period_secs: 30 * 86_400,
        fee_bps: 200,
        min_stake_io: [10_000.0, 2_000.0, 200.0],
        multiplier_bps: [15_000, 12_000, 10_000],
        spacing_resolution: 7,
        electricity_usd_per_kwh: 0.12,
        hardware: io_metrics::HardwareTable::defaults(),
    }
}

/// A run of the whole economy, and what the test compares the index with.
pub struct Economy {
    pub h: Harness,
    pub a: Keypair,
    pub b: Keypair,
    pub enterprise: Keypair,
    pub vetoed: u64,
    pub executed: u64,
    pub proposal: u64,
    /// The $IO supply before the first crank, payment or slash.
    pub supply_before: u64,
}

/// Two stakers; A runs a verified node and earns two epochs, claims, unstakes part and
/// withdraws it; B is slashed twice (one vetoed by a DAO proposal A carries against B's
/// vote, one executed to the burn); an enterprise pays in IO and a customer in IOSD.
pub fn economy() -> Economy {
    let mut h = Harness::with_dao();
    let (mint, treasury) = (h.io_mint, h.treasury);
    let a = h.staker_with_bond(300_000 * IO);
    let b = h.staker_with_bond(100_000 * IO);
    h.top_up(&a, 50_000 * IO);
    let enterprise = h.operator();
    let paid_from = h.fund_io(&enterprise.pubkey(), 10_000 * IO);
    let a_tokens = h.fund_io(&a.pubkey(), 0);
    let supply_before = h.io_supply();

    let spec = h.spec("H100", 8, 1);
    let (node, _) = h.register(&a, spec);
    h.next_epoch();
    h.verify(&node.pubkey());
    h.ok(&[sx::refresh_weight(&a.pubkey())], &[]);
    h.pay_epoch();
    h.pay_epoch();
    h.ok(&[sx::claim_rewards(&a.pubkey(), &mint, &a_tokens)], &[&a]);

    let vetoed = h.oracle_slash(&b.pubkey(), 10_000 * IO);
    let executed = h.oracle_slash(&b.pubkey(), 20_000 * IO);
    let proposal = h.propose(&a, &[actions::veto_slash(&b.pubkey(), vetoed)]);
    h.vote(&a, proposal, io_governance::VoteChoice::Yes);
    h.vote(&b, proposal, io_governance::VoteChoice::No);
    h.end_vote_and_queue(proposal);
    h.execute(proposal);
    let challenge = i64::from(h.genesis.staking.challenge_secs);
    h.net.warp_seconds(challenge);
    h.ok(&[sx::execute_slash(&b.pubkey(), executed, &mint, &treasury)], &[]);

    h.ok(&[sx::request_unstake(&a.pubkey(), 20_000 * IO)], &[&a]);
    h.net.warp_seconds(i64::from(h.genesis.staking.unbonding_secs));
    h.ok(&[sx::withdraw(&a.pubkey(), &mint, &a_tokens, 0)], &[&a]);
    h.ok(&[sx::request_unstake(&a.pubkey(), 5_000 * IO)], &[&a]);

    h.ok(&[io_sdk::treasury::pay_with_io(&enterprise.pubkey(), &mint, &paid_from, 10_000 * IO, [9; 32])], &[&enterprise]);
    h.pay_cluster_in_iosd(5_000 * IO);
    h.check_invariants();
    Economy { h, a, b, enterprise, vetoed, executed, proposal, supply_before }
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
