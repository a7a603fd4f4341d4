use crate::constants::*;
use crate::errors::StakingError;
use crate::events::RewardsClaimed;
use crate::registry_view::operator_hardware;
use crate::state::{OperatorStake, StakingConfig};
use crate::weight::apply_weight;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use io_program_common::token::PdaSigner;

#[derive(Accounts)]
pub struct ClaimRewards<'info> {
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
    #[account(mut, address = config.reward_vault @ StakingError::WrongRewardVault)]
    pub reward_vault: Box<Account<'info, TokenAccount>>,
    /// CHECK: the registry's aggregate account of `operator`, checked in `registry_view`.
    pub operator_stats: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

/// Settles the operator's rewards (renewing its weight from the registry on the way) and
/// pays everything settled. A second claim with nothing new fails with `NothingToClaim`.
pub fn handler(ctx: Context<ClaimRewards>) -> Result<()> {
    let overflow = || error!(StakingError::ArithmeticOverflow);
    let config = &mut ctx.accounts.config;
    let stake = &mut ctx.accounts.stake;
    let reading = operator_hardware(&ctx.accounts.operator_stats, &stake.operator)?;
    apply_weight(config, stake, &reading)?;

    let amount = stake.accrued_rewards;
    require!(amount > 0, StakingError::NothingToClaim);
    stake.accrued_rewards = 0;
    stake.claimed_rewards = stake.claimed_rewards.checked_add(amount).ok_or_else(overflow)?;
    config.rewards.total_claimed = config.rewards.total_claimed.checked_add(amount).ok_or_else(overflow)?;
    require!(config.rewards.total_claimed <= config.rewards.total_distributed, StakingError::RewardsNotFunded);

    let seeds = config.signer_seeds();
    let signer = PdaSigner {
        token_program: &ctx.accounts.token_program.to_account_info(),
        mint: &ctx.accounts.io_mint.to_account_info(),
        authority: &config.to_account_info(),
        seeds: &seeds,
    };
    let (from, to) = (ctx.accounts.reward_vault.to_account_info(), ctx.accounts.operator_tokens.to_account_info());
    signer.transfer(&from, &to, amount, ctx.accounts.io_mint.decimals)?;
    emit!(RewardsClaimed { operator: stake.operator, amount, claimed_total: stake.claimed_rewards });
    Ok(())
}
