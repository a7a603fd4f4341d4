//! `cargo bench -p io-localnet --bench crank`: what one emissions crank (`advance_epoch`)
//! costs with 10 stakers and with 100,000, side by side, to show that the crank does not
//! grow with the number of stakers. For contrast it also times the per-staker
//! `refresh_weight`, the work a loop over every staker would repeat N times.
//!
//! Prints figures; asserts only what must not change with N (the crank's accounts, its
//! instruction data, its transaction and the bytes of account data it loads) and that the
//! state it builds is consistent.

mod bank;

use bank::{Bank, IO, REAL_STAKERS};
use io_localnet::QuietStdout;
use io_sdk::client::Chain;
use io_sdk::emissions as emissions_ix;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::time::{Duration, Instant};

/// The large row; `IO_CRANK_STAKERS` overrides it (a quick check of the bench itself).
const LARGE: usize = 100_000;
/// Cranks timed per run.
const CRANKS: usize = 50;
/// Untimed cranks per row before the timed ones.
const WARM_UP: usize = 3;
/// Injected stakers whose `refresh_weight` is timed in the large run.
const REFRESH_SAMPLE: usize = 1_000;

/// One row of the table.
struct Row {
    stakers: usize,
    accounts: usize,
    data_len: usize,
    tx_bytes: usize,
    loaded_bytes: usize,
    crank_us: Vec<f64>,
    /// Earning weight at each timed crank.
    earning: Vec<u64>,
    minted: u64,
    refresh_us: Vec<f64>,
    refreshed_whom: &'static str,
    setup: Duration,
    injection: Duration,
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// One bank under measurement and what was measured on it so far.
struct Run {
    bank: Bank,
    crank: Instruction,
    row: Row,
}

/// Builds the bank for `stakers`, checks what must not depend on N, and times the
/// per-staker `refresh_weight` for comparison.
fn prepare(stakers: usize) -> Run {
    eprintln!("[{stakers} stakers] genesis and {REAL_STAKERS} real stakers...");
    let mut bank = Bank::new();
    let mint = bank.deployment.io_mint;
    let crank = emissions_ix::advance_epoch(&mint);

    // The first untimed crank catches up the epochs that ended during setup, so every
    // later crank accounts exactly one; the others warm caches. They run before the
    // injection so that the injected leases are live at the first timed crank.
    for _ in 0..=WARM_UP {
        bank.end_emission_epoch();
        for op in bank.real.iter().map(Keypair::pubkey).collect::<Vec<_>>() {
            bank.refresh(&op);
        }
        bank.net.send(std::slice::from_ref(&crank), &[]).expect("untimed crank");
    }

    eprintln!("[{stakers} stakers] injecting {} stakers...", stakers - REAL_STAKERS);
    bank.inject(stakers - REAL_STAKERS);
    bank.check_vault();

    // What the crank loads does not depend on N if its account list and those accounts'
    // sizes do not; this is the check that backs the O(1) claim, independent of timing.
    let loaded_bytes: usize =
        crank.accounts.iter().map(|meta| bank.net.account(&meta.pubkey).expect("read").map_or(0, |a| a.data.len())).sum();
    let tx_bytes = bincode::serialize(&bank.net.transaction(std::slice::from_ref(&crank), &[])).expect("serialize").len();

    // The naive comparison: one `refresh_weight` per staker, as a loop over every staker
    // would need. All of them with 10 stakers, a sample of the injected ones otherwise.
    // Done while the injected leases are live, so each settles a live position.
    eprintln!("[{stakers} stakers] timing refresh_weight...");
    let (sample, refreshed_whom): (Vec<Pubkey>, &'static str) = if bank.injected.is_empty() {
        (bank.real.iter().map(Keypair::pubkey).collect(), "all 10 (real)")
    } else {
        (bank.injected.iter().take(REFRESH_SAMPLE).copied().collect(), "sample of 1,000 (injected)")
    };
    let refresh_us: Vec<f64> = sample.iter().map(|op| micros(bank.refresh(op))).collect();
    let minted = bank.emissions_config().total_minted;

    let row = Row {
        stakers,
        accounts: crank.accounts.len(),
        data_len: crank.data.len(),
        tx_bytes,
        loaded_bytes,
        crank_us: Vec::with_capacity(CRANKS),
        earning: Vec::with_capacity(CRANKS),
        // Total minted before the timed cranks; `finish` turns it into the difference.
        minted,
        refresh_us,
        refreshed_whom,
        setup: bank.setup,
        injection: bank.injection,
    };
    Run { bank, crank, row }
}

impl Run {
    /// Ends an epoch, renews the real stakers' leases (untimed) and cranks; the crank's
    /// `send` is timed. The injected leases are not renewed and lapse after
    /// two cranks; the crank's work is the same either way as long as some weight earns
    /// and it mints, which is checked.
    fn crank_once(&mut self) {
        let bank = &mut self.bank;
        bank.end_emission_epoch();
        for op in bank.real.iter().map(Keypair::pubkey).collect::<Vec<_>>() {
            bank.refresh(&op);
        }
        let before = bank.emissions_config();
        let earning = bank.staking_config().rewards.earning_weight;
        let started = Instant::now();
        bank.net.send(std::slice::from_ref(&self.crank), &[]).expect("crank");
        let elapsed = started.elapsed();
        let after = bank.emissions_config();
        assert_eq!(after.next_epoch, before.next_epoch + 1, "each crank accounts one epoch");
        assert!(after.total_minted > before.total_minted, "each crank mints");
        self.row.earning.push(earning);
        self.row.crank_us.push(micros(elapsed));
    }

    fn finish(mut self) -> Row {
        let emissions = self.bank.emissions_config();
        self.row.minted = emissions.total_minted - self.row.minted;
        self.bank.check_vault();
        let pool = self.bank.staking_config().rewards;
        // Forfeited rewards reclaimed and paid again are distributed twice, minted once.
        let paid_again = pool.total_reclaimed - emissions.reclaimed;
        assert_eq!(pool.total_distributed, emissions.total_minted - emissions.genesis_supply + paid_again, "minted != distributed");
        self.row
    }
}

fn main() {
    // solana-program-test logs every instruction at debug level unless told otherwise;
    // that would be most of what the timings measure.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let started = Instant::now();
    let rows: Vec<Row> = {
        // Native programs print their msg! lines to stdout; keep the report readable.
        let _quiet = QuietStdout::new().expect("redirect stdout");
        let large = std::env::var("IO_CRANK_STAKERS").ok().and_then(|v| v.parse().ok()).unwrap_or(LARGE);
        assert!(large > REAL_STAKERS + REFRESH_SAMPLE, "the large row needs more than {} stakers", REAL_STAKERS + REFRESH_SAMPLE);
        let mut runs: Vec<Run> = [REAL_STAKERS, large].into_iter().map(prepare).collect();
        // The rows take turns, crank by crank, so a change in the machine's load during
        // the run weighs on both alike.
        eprintln!("timing {CRANKS} cranks per row, alternating between the rows...");
        for _ in 0..CRANKS {
            for run in &mut runs {
                run.crank_once();
            }
        }
        runs.into_iter().map(Run::finish).collect()
    };

    let (small, large) = (&rows[0], &rows[1]);
    assert_eq!(small.accounts, large.accounts, "the crank's account list depends on the stakers");
    assert_eq!(small.data_len, large.data_len, "the crank's instruction data depends on the stakers");
    assert_eq!(small.tx_bytes, large.tx_bytes, "the crank's transaction size depends on the stakers");
    assert_eq!(small.loaded_bytes, large.loaded_bytes, "the crank loads more account data with more stakers");

    println!("emissions crank (advance_epoch) cost against the number of stakers");
    println!("bank: solana-program-test 2.3, programs as native builtins (processor!), one bank per row");
    println!(
        "positions: {REAL_STAKERS} real (node registered, verified by 2 of 3 oracles, deposit tx); the other {} in the \
         {} row were written into the bank (OperatorStake + registry OperatorStats per staker, staking totals and \
         lease bucket raised by the sums, bonded sum transferred into the stake vault)",
        large.stakers - REAL_STAKERS,
        large.stakers
    );
    println!(
        "timing: wall clock of Localnet::send (simulate, then process, through the banks client) of {CRANKS} cranks per row, \
         each accounting one epoch and minting, rows alternating crank by crank, after {WARM_UP} untimed cranks per row"
    );
    println!();
    println!(
        "{:>8} | {:>14} | {:>13} | {:>8} | {:>20} | {:>17} | {:>19} | {:>8}",
        "stakers",
        "crank accounts",
        "ix data bytes",
        "tx bytes",
        "account bytes loaded",
        "mean us per crank",
        "median us per crank",
        "min us"
    );
    for row in &rows {
        println!(
            "{:>8} | {:>14} | {:>13} | {:>8} | {:>20} | {:>17.1} | {:>19.1} | {:>8.1}",
            row.stakers,
            row.accounts,
            row.data_len,
            row.tx_bytes,
            row.loaded_bytes,
            mean(&row.crank_us),
            median(&row.crank_us),
            row.crank_us.iter().copied().fold(f64::INFINITY, f64::min)
        );
    }
    println!("(account bytes loaded: data of the crank's 6 accounts, the SPL Token program's bundled BPF image included)");
    println!(
        "ratio ({} / {}): {:.2}x by mean, {:.2}x by median, for {}x the stakers",
        large.stakers,
        small.stakers,
        mean(&large.crank_us) / mean(&small.crank_us),
        median(&large.crank_us) / median(&small.crank_us),
        large.stakers / small.stakers
    );
    println!();
    for row in &rows {
        // The cranks while every position of the row was earning (the injected leases
        // last two cranks): the same figure, restricted to the heaviest earning weight.
        let all_live: Vec<f64> = row.crank_us.iter().zip(&row.earning).filter(|(_, w)| **w == row.earning[0]).map(|(us, _)| *us).collect();
        println!(
            "{:>8} stakers: earning weight (base units) {} at the first timed crank, {} at the last (the real stakers \
             renew their leases each epoch, the injected do not and lapse after 2 cranks); mean {:.1} us over the {} \
             cranks with every lease live; {:.3} IO minted over {CRANKS} cranks; setup {:.1} s, injection {:.1} s",
            row.stakers,
            row.earning[0],
            row.earning[row.earning.len() - 1],
            mean(&all_live),
            all_live.len(),
            row.minted as f64 / IO as f64,
            row.setup.as_secs_f64(),
            row.injection.as_secs_f64()
        );
    }
    println!();
    println!("for comparison, a per-staker loop (refresh_weight, one transaction per staker):");
    println!(
        "{:>8} | {:>28} | {:>18} | {:>20} | {:>30}",
        "stakers", "timed", "mean us per staker", "median us per staker", "whole loop (mean x stakers)"
    );
    for row in &rows {
        let per = mean(&row.refresh_us);
        let label = if row.refresh_us.len() == row.stakers { "measured" } else { "extrapolated" };
        println!(
            "{:>8} | {:>28} | {:>18.1} | {:>20.1} | {:>17.3} s {:>12}",
            row.stakers,
            row.refreshed_whom,
            per,
            median(&row.refresh_us),
            per * row.stakers as f64 / 1e6,
            label
        );
    }
    println!(
        "(this per-staker work is not part of the crank, and no keeper has to send it: a weight's lease is its \
         nodes' verification lease, renewed by the refresh_weight that rides in each attestation transaction)"
    );
    println!();
    println!(
        "note: native builtins run as host code in program-test, with no compute-unit metering, so no CU figure is \
         given; on a real validator the BPF build would be metered. The account list, instruction data, transaction \
         size and bytes loaded above are what show the crank is O(1); the timings are host time of this bank, noisy on \
         a shared machine, and only comparable with each other."
    );
    println!("total run time {:.1} s", started.elapsed().as_secs_f64());
}
