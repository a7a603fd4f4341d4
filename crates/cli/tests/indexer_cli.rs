//! `io indexer run` as its own process, killed with SIGKILL at random moments while it
//! ingests the demo network's recorded ledger, and started again each time: after every
//! kill the store holds exactly the transactions up to its cursor (nothing of a batch in
//! flight, nothing twice), and the run that finishes holds what one uninterrupted ingestion
//! holds. On the embedded store and on PostgreSQL.

use anchor_lang::AnchorSerialize;
use io_indexer::api::DynStore;
use io_indexer::economy::{EventQuery, StoredEvent, KINDS};
use io_indexer::ledger_file::FileSource;
use io_indexer::{Indexer, PostgresStore, RedbStore, Source, Store};
use solana_sdk::pubkey::Pubkey;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// The demo network's ledger, recorded once per test process.
fn ledger() -> &'static Path {
    static LEDGER: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = LEDGER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo-ledger.jsonl");
        let out = Command::new(env!("CARGO_BIN_EXE_io"))
            .args(["demo", "--nodes", "40", "--operators", "3", "--record-ledger"])
            .arg(&path)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "io demo: {}", String::from_utf8_lossy(&out.stderr));
        (dir, path)
    });
    path
}

/// What a store holds up to a cursor: each node key's history (borsh) and the economy's
/// events.
type Snapshot = (Vec<(Pubkey, Vec<(u64, Vec<u8>)>)>, Vec<StoredEvent>);

fn snapshot(store: &dyn Store, keys: &[Pubkey], upto: Option<u64>) -> Snapshot {
    let kept = |seq: u64| upto.is_some_and(|c| seq <= c);
    let histories = keys
        .iter()
        .map(|key| {
            let events = store.history(key).unwrap().into_iter().filter(|(seq, _)| kept(*seq));
            (*key, events.map(|(seq, e)| (seq, e.try_to_vec().unwrap())).collect())
        })
        .collect();
    let economy = store.events(&EventQuery { kinds: KINDS, subject: None, after: None, limit: usize::MAX }).unwrap();
    (histories, economy.into_iter().filter(|e| kept(e.seq)).collect())
}

/// A small deterministic generator for the kill delays.
struct Dice(u64);
impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Kills `io indexer run --once` (with `store_args`) at random moments, checking the store
/// after each kill, until eight kills have landed while the process was ingesting; then
/// lets a run finish. Returns the kills that landed mid-ingestion.
fn killed_and_resumed(store_args: &[String], open: &dyn Fn() -> DynStore) -> usize {
    let ledger = ledger();
    let seqs: Vec<u64> = FileSource::new(ledger).after(None, usize::MAX).unwrap().iter().map(|t| t.seq).collect();
    let reference_dir = tempfile::tempdir().unwrap();
    let mut reference = Indexer::open(RedbStore::open(&reference_dir.path().join("reference.redb")).unwrap()).unwrap();
    reference.sync(&mut FileSource::new(ledger)).unwrap();
    let reference = reference.into_store();
    let keys: Vec<Pubkey> =
        reference.trees().unwrap().iter().flat_map(|(tree, _)| reference.tree_records(tree).unwrap()).map(|r| r.node_id).collect();
    assert!(keys.len() >= 40 && seqs.len() > 200, "{} keys, {} transactions", keys.len(), seqs.len());

    let mut dice = Dice(0x2545_f491_4f6c_dd1d);
    let (mut kills, mut landed, mut last_cursor) = (0, 0, None);
    // How long a run is given before its kill, at least: it grows while kills land before
    // the run has applied anything (a slow start: the process, the store, the ledger).
    let mut least_ms = 40;
    loop {
        assert!(kills < 400, "the indexer never finished");
        let mut child = Command::new(env!("CARGO_BIN_EXE_io"))
            .args(["indexer", "run", "--once", "--batch-size", "5", "--ledger"])
            .arg(ledger)
            .args(store_args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Once enough kills have landed mid-ingestion, one run is let finish.
        if landed < 8 {
            std::thread::sleep(Duration::from_millis(least_ms + dice.below(400)));
        }
        if landed >= 8 || child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "io indexer run: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(landed, 8, "a run finished before 8 kills had landed mid-ingestion (each run was given {least_ms} ms or more)");
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let store = open();
        let cursor = store.cursor().unwrap();
        assert!(cursor.is_none_or(|c| seqs.contains(&c)), "cursor {cursor:?} is not a transaction of the ledger");
        assert_eq!(snapshot(&*store, &keys, cursor), snapshot(&reference, &keys, cursor), "after kill {kills} at cursor {cursor:?}");
        // The run was ingesting when it was killed: it had moved the cursor, not to the end.
        if cursor != last_cursor && cursor != seqs.last().copied() {
            landed += 1;
        } else if cursor == last_cursor {
            least_ms += least_ms / 2;
        }
        last_cursor = cursor;
    }
    eprintln!("{kills} kills in all, {landed} mid-ingestion, over {} transactions (runs given at least {least_ms} ms)", seqs.len());
    let store = open();
    assert_eq!(store.cursor().unwrap(), seqs.last().copied());
    assert_eq!(snapshot(&*store, &keys, seqs.last().copied()), snapshot(&reference, &keys, seqs.last().copied()));
    // Opening the store rebuilds each tree and checks nothing is off: the roots are the
    // reference's.
    let resumed = Indexer::open(store).unwrap();
    let reference = Indexer::open(reference).unwrap();
    for (tree, _) in reference.store().trees().unwrap() {
        assert_eq!(resumed.mirror(&tree).map(|m| m.root()), reference.mirror(&tree).map(|m| m.root()));
    }
    landed
}

#[test]
fn a_killed_indexer_resumes_without_loss_or_repeat_on_redb() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("index.redb");
    let args = vec!["--db".to_string(), db.display().to_string()];
    let kills = killed_and_resumed(&args, &|| Box::new(RedbStore::open(&db).unwrap()));
    eprintln!("redb: {kills} kills landed while the indexer was ingesting");
    assert_eq!(kills, 8, "kills that landed mid-ingestion");
}

#[test]
fn a_killed_indexer_resumes_without_loss_or_repeat_on_postgres() {
    let Ok(config) = std::env::var("IO_TEST_POSTGRES") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set IO_TEST_POSTGRES (.ci/run starts PostgreSQL)");
        eprintln!("SKIPPED a_killed_indexer_resumes_without_loss_or_repeat_on_postgres: no PostgreSQL configured (IO_TEST_POSTGRES)");
        return;
    };
    let schema = format!("io_test_kill_{}", std::process::id());
    let args = vec!["--postgres".to_string(), config.clone(), "--schema".to_string(), schema.clone()];
    let kills = killed_and_resumed(&args, &|| Box::new(PostgresStore::connect(&config, Some(&schema)).unwrap()));
    if let Ok(mut client) = postgres::Client::connect(&config, postgres::NoTls) {
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).ok();
    }
    eprintln!("postgres: {kills} kills landed while the indexer was ingesting");
    assert_eq!(kills, 8, "kills that landed mid-ingestion");
}

/// A source that fails is retried with a doubling wait up to `--max-backoff-secs`, not
/// every poll; once it answers, the indexer runs on (here: the ledger file appears).
#[test]
fn a_failing_source_is_retried_with_a_doubling_wait_up_to_the_cap() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("not-yet.ledger");
    let mut child = Command::new(env!("CARGO_BIN_EXE_io"))
        .args(["indexer", "run", "--ledger"])
        .arg(&ledger)
        .arg("--db")
        .arg(dir.path().join("index.redb"))
        .args(["--listen", "127.0.0.1:0", "--poll-secs", "0.1", "--max-backoff-secs", "0.4"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut waits = vec![];
    while waits.len() < 4 {
        let line = lines.next().expect("the indexer's stderr ended").unwrap();
        if let Some(rest) = line.split("retrying in ").nth(1) {
            waits.push(rest.to_string());
        }
    }
    // 0.1 s doubled: 0.2, 0.4, then held at the 0.4 s cap.
    assert_eq!(waits, ["0.2s", "0.4s", "0.4s", "0.4s"]);
    // The file appears (empty): the source answers, and the process keeps serving.
    std::fs::write(&ledger, "").unwrap();
    std::thread::sleep(Duration::from_millis(1_500));
    assert!(child.try_wait().unwrap().is_none(), "the indexer stopped");
    child.kill().unwrap();
    child.wait().unwrap();
    // Still failing, 1.5 s at the 0.4 s cap would print three or four more retries; after
    // the file appeared, at most the one already under way when it was written.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let retries_after = rest.iter().filter(|l| l.contains("retrying in")).count();
    assert!(retries_after <= 1, "{rest:?}");
}
