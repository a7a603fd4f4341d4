use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::ProposalCreated;
use crate::rules::{check_governance_calls, check_instructions};
use crate::state::{GovernanceConfig, Proposal, ProposalInstruction, ProposalStatus};
use crate::suite_view::{operator_stake, total_bonded_before, weight_at_open};
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct CreateProposalArgs {
    /// Hash of the full proposal text.
    pub description_hash: [u8; 32],
    /// Where the text is published (at most `MAX_LINK_LEN` bytes).
    pub link: String,
    pub instructions: Vec<ProposalInstruction>,
}

#[derive(Accounts)]
#[instruction(args: CreateProposalArgs)]
pub struct CreateProposal<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// A staker: the operator of `proposer_stake`.
    pub proposer: Signer<'info>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = config.bump)]
    pub config: Account<'info, GovernanceConfig>,
    /// CHECK: the proposer's staking position; address and owner checked in `suite_view`.
    pub proposer_stake: UncheckedAccount<'info>,
    /// CHECK: staking's config (total bonded); address and owner checked in `suite_view`.
    pub staking_config: UncheckedAccount<'info>,
    #[account(
        init,
        payer = payer,
        space = Proposal::space(&args.link, &args.instructions),
        seeds = [PROPOSAL_SEED, &config.proposal_count.to_le_bytes()],
        bump
    )]
    pub proposal: Account<'info, Proposal>,
    pub system_program: Program<'info, System>,
}

/// Opens a proposal for voting now. The proposer's stake counts as votes do: as it stood
/// at the end of the previous second, so a deposit in the same second cannot reach the
/// threshold.
pub fn handler(ctx: Context<CreateProposal>, args: CreateProposalArgs) -> Result<()> {
    require!(args.link.len() <= MAX_LINK_LEN, GovernanceError::LinkTooLong);
    let config = &mut ctx.accounts.config;
    check_instructions(&args.instructions, &config.authority)?;
    check_governance_calls(&args.instructions)?;

    let now = Clock::get()?.unix_timestamp;
    let proposer = ctx.accounts.proposer.key();
    let position = operator_stake(&ctx.accounts.proposer_stake, &proposer)?;
    let stake = weight_at_open(position.as_ref(), now)?;
    require!(stake >= config.params.proposal_threshold, GovernanceError::BelowProposalThreshold);

    let overflow = || error!(GovernanceError::ArithmeticOverflow);
    let params = config.params;
    let voting_ends_at = now.checked_add(i64::from(params.voting_period_secs)).ok_or_else(overflow)?;
    let id = config.proposal_count;
    config.proposal_count = id.checked_add(1).ok_or_else(overflow)?;
    let stake_at_open = total_bonded_before(&ctx.accounts.staking_config, now)?;
    let instructions = args.instructions.len() as u8;
    ctx.accounts.proposal.set_inner(Proposal {
        id,
        proposer,
        description_hash: args.description_hash,
        link: args.link.clone(),
        status: ProposalStatus::Voting,
        opened_at: now,
        voting_ends_at,
        stake_at_open,
        params,
        yes: 0,
        no: 0,
        abstain: 0,
        voters: 0,
        executable_at: 0,
        expires_at: 0,
        executed_at: 0,
        bump: ctx.bumps.proposal,
        instructions: args.instructions,
    });
    emit!(ProposalCreated {
        id,
        proposer,
        description_hash: args.description_hash,
        link: args.link,
        instructions,
        opened_at: now,
        voting_ends_at,
        stake_at_open,
    });
    Ok(())
}
