use crate::constants::*;
use crate::errors::GovernanceError;
use crate::events::ProposalCreated;
use crate::rules::{check_each_instruction, check_governance_calls};
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

/// Opens a proposal for voting now, all its instructions in this one transaction (a
/// proposal too large for one starts as a draft: `draft_proposal`).
pub fn handler(ctx: Context<CreateProposal>, args: CreateProposalArgs) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let proposal = Proposal::new_draft(config, ctx.accounts.proposer.key(), args, 1, ctx.bumps.proposal)?;
    ctx.accounts.proposal.set_inner(proposal);
    open_voting(&mut ctx.accounts.proposal, config, &ctx.accounts.proposer_stake, &ctx.accounts.staking_config)
}

impl Proposal {
    /// A draft with the next id (taken from the config's counter), once its link and its
    /// instructions (at least `min_instructions`, at most the maximum) pass the rules.
    pub(crate) fn new_draft(
        config: &mut GovernanceConfig,
        proposer: Pubkey,
        args: CreateProposalArgs,
        min_instructions: usize,
        bump: u8,
    ) -> Result<Proposal> {
        require!(args.link.len() <= MAX_LINK_LEN, GovernanceError::LinkTooLong);
        let count = args.instructions.len();
        require!((min_instructions..=MAX_PROPOSAL_INSTRUCTIONS).contains(&count), GovernanceError::InvalidInstructionCount);
        check_each_instruction(&args.instructions, &config.authority)?;
        check_governance_calls(&args.instructions)?;
        let id = config.proposal_count;
        config.proposal_count = id.checked_add(1).ok_or_else(|| error!(GovernanceError::ArithmeticOverflow))?;
        Ok(Proposal {
            id,
            proposer,
            description_hash: args.description_hash,
            link: args.link,
            status: ProposalStatus::Draft,
            opened_at: 0,
            voting_ends_at: 0,
            stake_at_open: 0,
            params: config.params,
            yes: 0,
            no: 0,
            abstain: 0,
            voters: 0,
            executable_at: 0,
            expires_at: 0,
            executed_at: 0,
            bump,
            instructions: args.instructions,
        })
    }
}

/// Opens a complete draft for voting now, under the DAO's parameters of this moment. The
/// proposer's stake counts as votes do: as it stood at the end of the previous second, so
/// a deposit in the same second cannot reach the threshold.
pub(crate) fn open_voting(
    proposal: &mut Proposal,
    config: &GovernanceConfig,
    proposer_stake: &AccountInfo,
    staking_config: &AccountInfo,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let position = operator_stake(proposer_stake, &proposal.proposer)?;
    let stake = weight_at_open(position.as_ref(), now)?;
    require!(stake >= config.params.proposal_threshold, GovernanceError::BelowProposalThreshold);
    let params = config.params;
    proposal.voting_ends_at =
        now.checked_add(i64::from(params.voting_period_secs)).ok_or_else(|| error!(GovernanceError::ArithmeticOverflow))?;
    proposal.opened_at = now;
    proposal.stake_at_open = total_bonded_before(staking_config, now)?;
    proposal.params = params;
    proposal.status = ProposalStatus::Voting;
    emit!(ProposalCreated {
        id: proposal.id,
        proposer: proposal.proposer,
        description_hash: proposal.description_hash,
        link: proposal.link.clone(),
        instructions: proposal.instructions.len() as u8,
        opened_at: now,
        voting_ends_at: proposal.voting_ends_at,
        stake_at_open: proposal.stake_at_open,
    });
    Ok(())
}
