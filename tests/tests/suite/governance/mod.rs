//! The DAO: genesis hands every config to it; proposals change real parameters of every
//! program of the suite, signed by the DAO PDA after quorum, approval, the voting period
//! and the timelock; every bad input is refused by name with no account changed
//! (`Harness::expect_dao_error` compares the governance, staking, treasury and registry
//! accounts before and after).

mod cast_vote;
mod create_proposal;
mod execute_proposal;
mod initialize_governance;
mod lifecycle;
mod queue_proposal;
mod stale_changes_and_drafts;

use io_emissions::{EmissionParams, EmissionsError};
use io_governance::{GovernanceError, GovernanceParams, ProposalStatus, VoteChoice};
use io_registry::{CudaVersion, GpuCatalogue, GpuModelArgs, RegistryConfig, RegistryError, Tier};
use io_sdk::client::{fetch, Chain};
use io_sdk::governance::{self as gx, actions};
use io_sdk::pda;
use io_staking::{SlashDestination, SlashProposal, SlashStatus, StakingError, StakingParams};
use io_tests::Harness;
use io_treasury::{Asset, TreasuryError};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const IO: u64 = 1_000_000;
const DAY: i64 = 86_400;
/// The reference genesis' proposal threshold: 10,000 IO bonded.
const THRESHOLD: u64 = 10_000 * IO;

/// `execute_proposal` for proposal `id`, with the accounts its stored instructions name.
fn execute_ix(h: &mut Harness, id: u64) -> Instruction {
    let p = h.proposal(id);
    gx::execute_proposal(id, &p.instructions)
}

/// `create_proposal` for the next id, as `proposer`, carrying `actions`.
fn create_ix(h: &mut Harness, proposer: &Keypair, actions: &[Instruction]) -> Instruction {
    let id = h.governance_config().unwrap().proposal_count;
    let payer = h.net.payer();
    gx::create_proposal(&payer, &proposer.pubkey(), id, gx::description_hash("text"), "https://gov.io.example/p", actions)
}

fn now(h: &mut Harness) -> i64 {
    h.net.unix_time().unwrap()
}

/// Moves the clock to exactly `ts` (which must not be in the past).
fn advance_to(h: &mut Harness, ts: i64) {
    let now = now(h);
    assert!(ts >= now, "cannot move the clock back from {now} to {ts}");
    h.net.advance_clock(ts - now);
}
