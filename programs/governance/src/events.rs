use crate::state::{GovernanceParams, ProposalStatus, VoteChoice};
use anchor_lang::prelude::*;

#[event]
pub struct GovernanceInitialized {
    pub dao: Pubkey,
    pub params: GovernanceParams,
    /// Instructions of the bootstrap proposal (id 0): one authority acceptance per config.
    pub bootstrap_instructions: u8,
}

#[event]
pub struct GovernanceParamsSet {
    pub params: GovernanceParams,
}

#[event]
pub struct ProposalCreated {
    pub id: u64,
    pub proposer: Pubkey,
    pub description_hash: [u8; 32],
    pub link: String,
    pub instructions: u8,
    pub opened_at: i64,
    pub voting_ends_at: i64,
    pub stake_at_open: u64,
}

/// A proposal started as a draft; `ProposalCreated` follows when it opens for voting.
#[event]
pub struct ProposalDrafted {
    pub id: u64,
    pub proposer: Pubkey,
    pub instructions: u8,
}

#[event]
pub struct ProposalAppended {
    pub id: u64,
    /// Instructions the draft carries now.
    pub instructions: u8,
}

#[event]
pub struct VoteCast {
    pub id: u64,
    pub voter: Pubkey,
    pub choice: VoteChoice,
    pub weight: u64,
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
}

#[event]
pub struct ProposalCancelled {
    pub id: u64,
}

/// `queue_proposal` either queues a proposal or records its defeat.
#[event]
pub struct ProposalFinalized {
    pub id: u64,
    pub status: ProposalStatus,
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
    pub stake_at_open: u64,
    pub executable_at: i64,
    pub expires_at: i64,
}

#[event]
pub struct ProposalExecuted {
    pub id: u64,
    pub instructions: u8,
    pub executed_at: i64,
}
