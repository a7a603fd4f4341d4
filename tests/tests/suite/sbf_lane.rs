//! What only the SBF lane can catch: on real bytecode the runtime meters compute, so an
//! instruction given less than it needs fails with the runtime's budget error, while a
//! native processor is not metered at all. Natively this test says so by name and stops.

use io_sdk::client::{Chain, TxFailure};
use io_sdk::treasury as tx;
use io_tests::Harness;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::instruction::InstructionError;
use solana_sdk::signature::Signer;
use solana_sdk::transaction::TransactionError;

#[test]
fn on_sbf_an_instruction_below_its_compute_need_fails_with_the_budget_error() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let params = h.treasury_config().params;
    let lower = io_treasury::TreasuryParams { fee_bps: params.fee_bps - 1, ..params };
    let starved = [ComputeBudgetInstruction::set_compute_unit_limit(500), tx::set_treasury_params(&authority.pubkey(), &params, &lower)];
    if !io_localnet::runs_as_sbf("io_treasury") {
        // Native processors are not metered: the starved transaction lands.
        h.ok(&starved, &[&authority]);
        println!("SKIPPED: on_sbf_an_instruction_below_its_compute_need_fails_with_the_budget_error: the treasury runs natively here (no compute meter); the SBF lane (IO_SBF_DIR) runs it");
        return;
    }
    let err = h.net.send(&starved, &[&authority]).expect_err("500 CU cannot run set_treasury_params on SBF");
    let failure = err.downcast_ref::<TxFailure>().expect("a transaction failure");
    // The VM stops the treasury at the meter: the runtime's error for instruction 1, and
    // the meter's own log line for the treasury program.
    assert_eq!(failure.error, TransactionError::InstructionError(1, InstructionError::ProgramFailedToComplete), "{err:?}");
    let meter = format!("Program {} failed: exceeded CUs meter at BPF instruction", io_treasury::ID);
    assert!(failure.logs.contains(&meter), "{:#?}", failure.logs);
    // With the default budget the same instruction lands.
    h.ok(&[tx::set_treasury_params(&authority.pubkey(), &params, &lower)], &[&authority]);
}
