//! The $IO DAO.
//!
//! $IO stakers govern the suite: the DAO's PDA (`[DAO_SEED]`) is, from the end of genesis,
//! the config authority of the registry, staking, emissions and treasury programs and of
//! this program's own parameters. A staker holding at least the proposal threshold opens a
//! proposal carrying instructions; stakers vote yes / no / abstain with their bond as it
//! stood when the proposal opened (read from the position's bond history kept by the
//! staking program, O(1) per vote); after the voting period anyone queues a proposal that
//! met quorum and approval, and after the timelock anyone executes it, the DAO PDA signing
//! each instruction with `invoke_signed`.
//!
//! This file only routes; each instruction lives in `instructions/<name>.rs`.

// Integer overflow on-chain is a silent wrong balance: every operation says what
// happens at the edge (checked, saturating with a reason, or a compile-time constant).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
// Anchor 0.31's `#[program]` emits IDL-account instructions that call the deprecated
// `AccountInfo::realloc`, at the crate's root where no narrower allow reaches.
#![allow(deprecated)]

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod rules;
pub mod state;
pub mod suite_view;

pub use constants::*;
pub use errors::GovernanceError;
pub use events::*;
pub use instructions::*;
pub use state::*;

declare_id!("6QqFgfPDBFnsvfgdLS2nRQB5cxmrGFK8RbLbyVjD73Js");

#[program]
pub mod governance {
    use super::*;

    /// Opens the DAO (only the registry's current authority may) with its parameters and
    /// the bootstrap proposal that makes the DAO PDA accept every config authority.
    pub fn initialize_governance(
        ctx: Context<InitializeGovernance>,
        params: GovernanceParams,
        bootstrap: Vec<ProposalInstruction>,
    ) -> Result<()> {
        instructions::initialize_governance::handler(ctx, params, bootstrap)
    }

    /// A staker at or above the threshold opens a proposal for voting.
    pub fn create_proposal(ctx: Context<CreateProposal>, args: CreateProposalArgs) -> Result<()> {
        instructions::create_proposal::handler(ctx, args)
    }

    /// Starts a proposal too large for one transaction, as a draft of its author's.
    pub fn draft_proposal(ctx: Context<DraftProposal>, args: CreateProposalArgs) -> Result<()> {
        instructions::draft_proposal::handler(ctx, args)
    }

    /// The author adds instructions to a draft.
    pub fn append_to_proposal(ctx: Context<AppendToProposal>, instructions: Vec<ProposalInstruction>) -> Result<()> {
        instructions::append_to_proposal::handler(ctx, instructions)
    }

    /// The author opens a draft for voting (the threshold applies now).
    pub fn open_proposal(ctx: Context<OpenProposal>) -> Result<()> {
        instructions::open_proposal::handler(ctx)
    }

    /// A staker votes with its bond at the proposal's opening; once per proposal.
    pub fn cast_vote(ctx: Context<CastVote>, choice: VoteChoice) -> Result<()> {
        instructions::cast_vote::handler(ctx, choice)
    }

    /// After the voting period, anyone returns a vote record's rent to its voter.
    pub fn close_vote_record(ctx: Context<CloseVoteRecord>) -> Result<()> {
        instructions::close_vote_record::handler(ctx)
    }

    /// The author withdraws a proposal before any vote.
    pub fn cancel_proposal(ctx: Context<CancelProposal>) -> Result<()> {
        instructions::cancel_proposal::handler(ctx)
    }

    /// After the voting period: queue behind the timelock, or record the defeat.
    pub fn queue_proposal(ctx: Context<QueueProposal>) -> Result<()> {
        instructions::queue_proposal::handler(ctx)
    }

    /// After the timelock, within the execution window: the DAO PDA signs every
    /// instruction of the proposal.
    pub fn execute_proposal<'info>(ctx: Context<'_, '_, '_, 'info, ExecuteProposal<'info>>) -> Result<()> {
        instructions::execute_proposal::handler(ctx)
    }

    /// The DAO changes its own parameters (only through a proposal).
    pub fn set_governance_params(
        ctx: Context<SetGovernanceParams>,
        expected: GovernanceParamsChange,
        change: GovernanceParamsChange,
    ) -> Result<()> {
        instructions::set_governance_params::handler(ctx, expected, change)
    }
}
