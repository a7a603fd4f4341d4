use crate::constants::*;
use crate::errors::StakingError;
use crate::events::SlashProposed;
use crate::registry_view::registry_config;
use crate::state::{OperatorStake, SlashProposal, SlashReason, SlashStatus, StakingConfig};
use anchor_lang::prelude::*;
use io_registry::quorum::{count_quorum, QuorumFault};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposeSlashArgs {
    pub operator: Pubkey,
    pub amount: u64,
    pub reason: SlashReason,
    /// Hash of the off-chain evidence (audit transcript, measurements).
    pub evidence_hash: [u8; 32],
    /// How many remaining accounts, from the front, are oracle signers.
    pub oracle_signers: u8,
}

#[derive(Accounts)]
#[instruction(args: ProposeSlashArgs)]
pub struct ProposeSlash<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(mut, seeds = [STAKE_SEED, args.operator.as_ref()], bump = stake.bump)]
    pub stake: Box<Account<'info, OperatorStake>>,
    #[account(
        init,
        payer = payer,
        space = 8 + SlashProposal::INIT_SPACE,
        seeds = [SLASH_SEED, &config.next_slash_id.to_le_bytes()],
        bump
    )]
    pub proposal: Box<Account<'info, SlashProposal>>,
    /// CHECK: the registry's config (oracle set), address and owner checked in `registry_view`.
    pub registry_config: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// Records a slash for the challenge window. Its amount is reserved against the
/// operator's stake, so open proposals together never exceed what the operator has.
pub fn handler<'info>(ctx: Context<'_, '_, '_, 'info, ProposeSlash<'info>>, args: ProposeSlashArgs) -> Result<()> {
    let signers = ctx.remaining_accounts.get(..usize::from(args.oracle_signers)).ok_or_else(|| error!(StakingError::InsufficientQuorum))?;
    let oracle_set = registry_config(&ctx.accounts.registry_config)?;
    let oracles = count_quorum(&oracle_set, signers).map_err(|fault| match fault {
        QuorumFault::MissingSignature => error!(StakingError::MissingOracleSignature),
        QuorumFault::NotAnOracle => error!(StakingError::NotAnOracle),
        QuorumFault::BelowThreshold => error!(StakingError::InsufficientQuorum),
    })?;

    require!(args.amount > 0, StakingError::ZeroAmount);
    let config = &mut ctx.accounts.config;
    let stake = &mut ctx.accounts.stake;
    let overflow = || error!(StakingError::ArithmeticOverflow);
    let slashable = stake.slashable()?;
    let cap = io_math::mul_div(slashable, u64::from(config.params.max_slash_bps), 10_000).ok_or_else(overflow)?;
    require!(args.amount <= cap, StakingError::SlashAboveCap);
    let unreserved = slashable.checked_sub(stake.pending_slash).ok_or_else(overflow)?;
    require!(args.amount <= unreserved, StakingError::SlashExceedsStake);

    let now = Clock::get()?.unix_timestamp;
    let executable_at = now.checked_add(i64::from(config.params.challenge_secs)).ok_or_else(overflow)?;
    stake.pending_slash = stake.pending_slash.checked_add(args.amount).ok_or_else(overflow)?;
    let id = config.next_slash_id;
    config.next_slash_id = id.checked_add(1).ok_or_else(overflow)?;
    let proposal = &mut ctx.accounts.proposal;
    proposal.id = id;
    proposal.operator = args.operator;
    proposal.amount = args.amount;
    proposal.reason = args.reason;
    proposal.evidence_hash = args.evidence_hash;
    proposal.proposed_at = now;
    proposal.executable_at = executable_at;
    proposal.status = SlashStatus::Pending;
    proposal.oracles = oracles.clone();
    proposal.rent_payer = ctx.accounts.payer.key();
    proposal.bump = ctx.bumps.proposal;
    emit!(SlashProposed {
        id,
        operator: args.operator,
        amount: args.amount,
        reason: args.reason,
        evidence_hash: args.evidence_hash,
        executable_at,
        oracles,
    });
    Ok(())
}
