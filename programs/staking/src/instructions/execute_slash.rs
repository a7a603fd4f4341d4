use crate::constants::*;
use crate::errors::StakingError;
use crate::events::SlashExecuted;
use crate::registry_view::operator_hardware;
use crate::state::{OperatorStake, SlashDestination, SlashProposal, SlashStatus, StakingConfig};
use crate::weight::apply_weight;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use io_program_common::token::PdaSigner;

#[derive(Accounts)]
pub struct ExecuteSlash<'info> {
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(mut, seeds = [STAKE_SEED, proposal.operator.as_ref()], bump = stake.bump)]
    pub stake: Box<Account<'info, OperatorStake>>,
    #[account(mut, seeds = [SLASH_SEED, &proposal.id.to_le_bytes()], bump = proposal.bump)]
    pub proposal: Box<Account<'info, SlashProposal>>,
    #[account(mut, address = config.vault @ StakingError::WrongVault)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = config.io_mint @ StakingError::WrongMint)]
    pub io_mint: Box<Account<'info, Mint>>,
    #[account(mut, address = config.treasury @ StakingError::WrongTreasury)]
    pub treasury: Box<Account<'info, TokenAccount>>,
    /// CHECK: the registry's aggregate account of the operator, checked in `registry_view`.
    pub operator_stats: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

/// Takes the amount from bonded stake first, then from unbonding entries (soonest
/// release first), and burns it or sends it to the treasury.
pub fn handler(ctx: Context<ExecuteSlash>) -> Result<()> {
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status == SlashStatus::Pending, StakingError::SlashNotPending);
    let now = Clock::get()?.unix_timestamp;
    require!(now >= proposal.executable_at, StakingError::ChallengeWindowOpen);
    let amount = proposal.amount;
    let overflow = || error!(StakingError::ArithmeticOverflow);

    let stake = &mut ctx.accounts.stake;
    require!(stake.slashable()? >= amount, StakingError::SlashExceedsStake);
    let from_bonded = stake.bonded.min(amount);
    stake.bonded = stake.bonded.checked_sub(from_bonded).ok_or_else(overflow)?;
    stake.record_bond(now)?;
    let from_unbonding = amount.checked_sub(from_bonded).ok_or_else(overflow)?;
    let mut rest = from_unbonding;
    let mut order: Vec<usize> = (0..stake.unbonding.len()).filter(|i| stake.unbonding[*i].amount > 0).collect();
    // Earliest release first; the index breaks ties, so the order is the stable sort's
    // (whose merge buffer needs a stack frame over the SBF VM's 4 KiB).
    order.sort_unstable_by_key(|i| (stake.unbonding[*i].release_at, *i));
    for i in order {
        let entry = &mut stake.unbonding[i];
        let take = entry.amount.min(rest);
        entry.amount = entry.amount.checked_sub(take).ok_or_else(overflow)?;
        rest = rest.checked_sub(take).ok_or_else(overflow)?;
    }
    require!(rest == 0, StakingError::SlashExceedsStake);
    stake.pending_slash = stake.pending_slash.checked_sub(amount).ok_or_else(overflow)?;

    let config = &mut ctx.accounts.config;
    let total = config.total_bonded.checked_sub(from_bonded).ok_or_else(overflow)?;
    config.set_total_bonded(now, total);
    config.total_unbonding = config.total_unbonding.checked_sub(from_unbonding).ok_or_else(overflow)?;
    config.total_slashed = config.total_slashed.checked_add(amount).ok_or_else(overflow)?;

    let seeds = config.signer_seeds();
    let signer = PdaSigner {
        token_program: &ctx.accounts.token_program.to_account_info(),
        mint: &ctx.accounts.io_mint.to_account_info(),
        authority: &config.to_account_info(),
        seeds: &seeds,
    };
    let vault = ctx.accounts.vault.to_account_info();
    match config.params.slash_destination {
        SlashDestination::Burn => signer.burn(&vault, amount)?,
        SlashDestination::Treasury => {
            signer.transfer(&vault, &ctx.accounts.treasury.to_account_info(), amount, ctx.accounts.io_mint.decimals)?
        }
    }

    let reading = operator_hardware(&ctx.accounts.operator_stats, &stake.operator)?;
    apply_weight(config, stake, &reading)?;
    proposal.status = SlashStatus::Executed;
    emit!(SlashExecuted {
        id: proposal.id,
        operator: proposal.operator,
        amount,
        from_bonded,
        from_unbonding,
        destination: config.params.slash_destination,
    });
    Ok(())
}
