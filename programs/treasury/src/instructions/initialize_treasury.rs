use crate::constants::*;
use crate::errors::TreasuryError;
use crate::events::TreasuryParamsSet;
use crate::state::{DemandPeriod, RollingWindow, TreasuryConfig, TreasuryParams, TreasuryTotals};
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

io_program_common::deployer_accounts!(TreasuryError::NotUpgradeAuthority);

#[derive(Accounts)]
pub struct InitializeTreasury<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// The program's upgrade authority, checked before any other account is read or created.
    pub deploy: Deployer<'info>,
    #[account(init, payer = payer, space = 8 + TreasuryConfig::INIT_SPACE, seeds = [TREASURY_SEED], bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
    #[account(constraint = io_mint.decimals == IOSD_DECIMALS @ TreasuryError::WrongMint)]
    pub io_mint: Box<Account<'info, Mint>>,
    /// IOSD: minted only by this program for the gateway; no freeze authority.
    #[account(init, payer = payer, seeds = [IOSD_MINT_SEED], bump, mint::decimals = IOSD_DECIMALS, mint::authority = config)]
    pub iosd_mint: Box<Account<'info, Mint>>,
    #[account(init, payer = payer, seeds = [TREASURY_IOSD_SEED], bump, token::mint = iosd_mint, token::authority = config)]
    pub iosd_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = payer, seeds = [TREASURY_IO_SEED], bump, token::mint = io_mint, token::authority = config)]
    pub io_vault: Box<Account<'info, TokenAccount>>,
    #[account(init, payer = payer, seeds = [BUYBACK_POOL_SEED], bump, token::mint = iosd_mint, token::authority = config)]
    pub pool_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitializeTreasury>, authority: Pubkey, params: TreasuryParams, demand_period_secs: u32) -> Result<()> {
    params.validate()?;
    require!(demand_period_secs > 0, TreasuryError::InvalidParams);
    let now = Clock::get()?.unix_timestamp;
    let config = &mut ctx.accounts.config;
    config.authority = authority;
    config.pending_authority = None;
    config.io_mint = ctx.accounts.io_mint.key();
    config.iosd_mint = ctx.accounts.iosd_mint.key();
    config.iosd_vault = ctx.accounts.iosd_vault.key();
    config.io_vault = ctx.accounts.io_vault.key();
    config.pool_vault = ctx.accounts.pool_vault.key();
    config.params = params;
    config.origin_ts = now;
    config.demand_period_secs = demand_period_secs;
    config.gateway_minted = RollingWindow::default();
    config.totals = TreasuryTotals::default();
    config.periods = [DemandPeriod::default(); DEMAND_HISTORY];
    config.bump = ctx.bumps.config;
    emit!(TreasuryParamsSet { params });
    Ok(())
}
