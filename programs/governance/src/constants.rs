//! Seeds and limits of the governance program.

use anchor_lang::prelude::*;

/// The governance config (parameters, proposal counter).
#[constant]
pub const GOVERNANCE_SEED: &[u8] = b"governance";
/// The DAO's signing PDA: the config authority of every program of the suite. It holds no
/// data and signs only inside `execute_proposal`.
#[constant]
pub const DAO_SEED: &[u8] = b"dao";
/// A proposal: `[PROPOSAL_SEED, id (u64 little-endian)]`; id 0 is genesis' bootstrap.
#[constant]
pub const PROPOSAL_SEED: &[u8] = b"proposal";
/// A position's vote on a proposal: `[VOTE_SEED, proposal, voter]`.
#[constant]
pub const VOTE_SEED: &[u8] = b"vote";

/// Instructions one proposal may carry, and the size of each.
pub const MAX_PROPOSAL_INSTRUCTIONS: usize = 8;
pub const MAX_INSTRUCTION_ACCOUNTS: usize = 16;
pub const MAX_INSTRUCTION_DATA: usize = 512;
/// Length of a proposal's link (URL of the full text), bytes.
pub const MAX_LINK_LEN: usize = 128;

/// Bounds on the governable parameters, compiled in so that no proposal can make voting
/// instant or the timelock vanish.
pub const MIN_VOTING_PERIOD_SECS: u32 = 3_600;
pub const MAX_VOTING_PERIOD_SECS: u32 = 30 * 86_400;
pub const MIN_TIMELOCK_SECS: u32 = 3_600;
pub const MAX_TIMELOCK_SECS: u32 = 30 * 86_400;
pub const MIN_EXECUTION_WINDOW_SECS: u32 = 3_600;
pub const MAX_EXECUTION_WINDOW_SECS: u32 = 90 * 86_400;
/// Approval is a share of yes + no; below half-plus-one-bp a minority could pass.
pub const MIN_APPROVAL_BPS: u16 = 5_001;
