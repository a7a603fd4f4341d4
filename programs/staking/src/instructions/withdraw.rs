use crate::constants::*;
use crate::errors::StakingError;
use crate::events::Withdrawn;
use crate::state::{OperatorStake, StakingConfig, UnbondingEntry};
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use io_program_common::token::PdaSigner;

#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub operator: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(mut, seeds = [STAKE_SEED, operator.key().as_ref()], bump = stake.bump, has_one = operator)]
    pub stake: Box<Account<'info, OperatorStake>>,
    #[account(address = config.io_mint @ StakingError::WrongMint)]
    pub io_mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        constraint = operator_tokens.mint == config.io_mint @ StakingError::WrongMint,
        constraint = operator_tokens.owner == operator.key() @ StakingError::WrongTokenOwner
    )]
    pub operator_tokens: Box<Account<'info, TokenAccount>>,
    #[account(mut, address = config.vault @ StakingError::WrongVault)]
    pub vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Pays out one released unbonding entry, unless that would leave less than the
/// operator's pending slashes in the vault.
pub fn handler(ctx: Context<Withdraw>, entry: u8) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let stake = &mut ctx.accounts.stake;
    let overflow = || error!(StakingError::ArithmeticOverflow);
    let slot = usize::from(entry);
    let UnbondingEntry { amount, release_at } =
        *stake.unbonding.get(slot).filter(|e| e.amount > 0).ok_or_else(|| error!(StakingError::NoSuchUnbondingEntry))?;
    require!(Clock::get()?.unix_timestamp >= release_at, StakingError::StillUnbonding);
    let left = stake.slashable()?.checked_sub(amount).ok_or_else(overflow)?;
    require!(left >= stake.pending_slash, StakingError::SlashPending);

    stake.unbonding[slot] = UnbondingEntry::default();
    config.total_unbonding = config.total_unbonding.checked_sub(amount).ok_or_else(overflow)?;
    let seeds = config.signer_seeds();
    let signer = PdaSigner {
        token_program: &ctx.accounts.token_program.to_account_info(),
        mint: &ctx.accounts.io_mint.to_account_info(),
        authority: &config.to_account_info(),
        seeds: &seeds,
    };
    let (from, to) = (ctx.accounts.vault.to_account_info(), ctx.accounts.operator_tokens.to_account_info());
    signer.transfer(&from, &to, amount, ctx.accounts.io_mint.decimals)?;
    emit!(Withdrawn { operator: stake.operator, amount, entry });
    Ok(())
}
