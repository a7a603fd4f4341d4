use crate::constants::*;
use crate::errors::StakingError;
use crate::events::Deposited;
use crate::registry_view::operator_hardware;
use crate::state::{OperatorStake, StakingConfig};
use crate::weight::apply_weight;
use anchor_lang::prelude::*;
use anchor_spl::token::{transfer_checked, Mint, Token, TokenAccount, TransferChecked};

#[derive(Accounts)]
pub struct Deposit<'info> {
    #[account(mut)]
    pub operator: Signer<'info>,
    #[account(mut, seeds = [STAKING_CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, StakingConfig>>,
    #[account(
        init_if_needed,
        payer = operator,
        space = 8 + OperatorStake::INIT_SPACE,
        seeds = [STAKE_SEED, operator.key().as_ref()],
        bump
    )]
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
    /// CHECK: the registry's aggregate account of `operator` (address and owner checked
    /// in `registry_view`); may not exist yet.
    pub operator_stats: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    require!(amount > 0, StakingError::ZeroAmount);
    let operator = ctx.accounts.operator.key();
    let reading = operator_hardware(&ctx.accounts.operator_stats, &operator)?;

    transfer_checked(
        CpiContext::new(
            ctx.accounts.token_program.to_account_info(),
            TransferChecked {
                from: ctx.accounts.operator_tokens.to_account_info(),
                mint: ctx.accounts.io_mint.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.operator.to_account_info(),
            },
        ),
        amount,
        ctx.accounts.io_mint.decimals,
    )?;

    let overflow = || error!(StakingError::ArithmeticOverflow);
    let stake = &mut ctx.accounts.stake;
    if stake.operator == Pubkey::default() {
        stake.operator = operator;
        stake.bump = ctx.bumps.stake;
    }
    stake.bonded = stake.bonded.checked_add(amount).ok_or_else(overflow)?;
    let now = Clock::get()?.unix_timestamp;
    stake.record_bond(now)?;
    let config = &mut ctx.accounts.config;
    let total = config.total_bonded.checked_add(amount).ok_or_else(overflow)?;
    config.set_total_bonded(now, total);
    apply_weight(config, stake, &reading)?;
    emit!(Deposited { operator, amount, bonded: stake.bonded });
    Ok(())
}
