//! Accounts of the governance program.

use crate::constants::*;
use crate::errors::GovernanceError;
use anchor_lang::prelude::*;

/// What the DAO tunes about itself (through a proposal, like everything else).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct GovernanceParams {
    pub voting_period_secs: u32,
    /// Share of the total bonded stake at opening that must vote (yes, no or abstain).
    pub quorum_bps: u16,
    /// Share of yes + no that must be yes.
    pub approval_bps: u16,
    /// Hold-up between queueing a passed proposal and executing it.
    pub timelock_secs: u32,
    /// How long a queued proposal stays executable once its timelock is over.
    pub execution_window_secs: u32,
    /// Bonded $IO (base units) a proposer needs at opening.
    pub proposal_threshold: u64,
}

impl GovernanceParams {
    pub fn validate(&self) -> Result<()> {
        let ok = (MIN_VOTING_PERIOD_SECS..=MAX_VOTING_PERIOD_SECS).contains(&self.voting_period_secs)
            && (1..=10_000).contains(&self.quorum_bps)
            && (MIN_APPROVAL_BPS..=10_000).contains(&self.approval_bps)
            && (MIN_TIMELOCK_SECS..=MAX_TIMELOCK_SECS).contains(&self.timelock_secs)
            && (MIN_EXECUTION_WINDOW_SECS..=MAX_EXECUTION_WINDOW_SECS).contains(&self.execution_window_secs)
            && self.proposal_threshold > 0;
        require!(ok, GovernanceError::InvalidParams);
        Ok(())
    }
}

io_program_common::params_change_type! {
    /// What one `set_governance_params` changes: the fields it names, with their new
    /// values (`change`) and the values it was written against (`expected`).
    GovernanceParamsChange for GovernanceParams, refused with GovernanceError::StaleParams, GovernanceError::InvalidParamsChange;
    {
        voting_period_secs: u32,
        quorum_bps: u16,
        approval_bps: u16,
        timelock_secs: u32,
        execution_window_secs: u32,
        proposal_threshold: u64,
    }
}

/// PDA `[GOVERNANCE_SEED]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct GovernanceConfig {
    /// Always the DAO PDA: the governance parameters change only through proposals.
    pub authority: Pubkey,
    pub params: GovernanceParams,
    /// Proposals created so far, the bootstrap proposal included; the next id.
    pub proposal_count: u64,
    pub bump: u8,
    pub dao_bump: u8,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ProposalStatus {
    Voting,
    /// Voting ended without quorum or approval.
    Defeated,
    /// Withdrawn by its author before anyone voted.
    Cancelled,
    /// Passed; executable from `executable_at` until `expires_at`.
    Queued,
    Executed,
    /// Being written by its author, over as many transactions as its instructions need
    /// (`append_to_proposal`); nobody votes on it until `open_proposal`.
    Draft,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum VoteChoice {
    Yes,
    No,
    Abstain,
}

/// One account of a proposal instruction.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposalAccount {
    pub pubkey: Pubkey,
    pub is_signer: bool,
    pub is_writable: bool,
}

/// An instruction the DAO PDA will sign when the proposal executes.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposalInstruction {
    pub program_id: Pubkey,
    pub accounts: Vec<ProposalAccount>,
    pub data: Vec<u8>,
}

impl ProposalInstruction {
    /// Borsh size.
    pub fn size(&self) -> usize {
        // Bounded by the limits `rules` checks (16 accounts, 512 bytes): nothing saturates.
        const ACCOUNT: usize = 32 + 1 + 1;
        (32 + 4 + 4usize).saturating_add(self.accounts.len().saturating_mul(ACCOUNT)).saturating_add(self.data.len())
    }

    /// Borsh size of several, without the vector's length prefix.
    pub fn total_size(instructions: &[ProposalInstruction]) -> usize {
        instructions.iter().map(Self::size).fold(0, usize::saturating_add)
    }
}

/// PDA `[PROPOSAL_SEED, id]`, sized for its instructions at creation.
#[account]
#[derive(Debug)]
pub struct Proposal {
    pub id: u64,
    pub proposer: Pubkey,
    /// Hash of the full proposal text; `link` says where it is published.
    pub description_hash: [u8; 32],
    pub link: String,
    pub status: ProposalStatus,
    pub opened_at: i64,
    pub voting_ends_at: i64,
    /// Staking's total bonded stake at opening: the quorum's denominator.
    pub stake_at_open: u64,
    /// The DAO's parameters when the proposal opened; later changes do not apply to it.
    pub params: GovernanceParams,
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
    pub voters: u64,
    pub executable_at: i64,
    pub expires_at: i64,
    pub executed_at: i64,
    pub bump: u8,
    pub instructions: Vec<ProposalInstruction>,
}

impl Proposal {
    /// Account size (discriminator included) for a proposal with this link and these
    /// instructions.
    pub fn space(link: &str, instructions: &[ProposalInstruction]) -> usize {
        const FIXED: usize = 8 + 8 + 32 + 32 + 4 + 1 + 8 + 8 + 8 + GovernanceParams::INIT_SPACE + 8 * 4 + 8 * 3 + 1 + 4;
        FIXED.saturating_add(link.len()).saturating_add(ProposalInstruction::total_size(instructions))
    }
}

/// PDA `[VOTE_SEED, proposal, voter]`: exists once the position voted.
#[account]
#[derive(InitSpace, Debug)]
pub struct VoteRecord {
    pub proposal: Pubkey,
    pub voter: Pubkey,
    pub choice: VoteChoice,
    pub weight: u64,
    pub bump: u8,
}
