use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::IosdMinted;
use crate::state::TreasuryConfig;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use io_math::RollingCap;
use io_program_common::token::PdaSigner;

#[derive(Accounts)]
pub struct MintIosd<'info> {
    pub gateway: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
    #[account(mut, address = config.iosd_mint @ TreasuryError::WrongMint)]
    pub iosd_mint: Box<Account<'info, Mint>>,
    #[account(mut, constraint = to.mint == config.iosd_mint @ TreasuryError::WrongMint)]
    pub to: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// The fiat gateway mints IOSD against dollars received, within its cap per rolling period.
pub fn handler(ctx: Context<MintIosd>, amount: u64) -> Result<()> {
    let overflow = || error!(TreasuryError::ArithmeticOverflow);
    require!(amount > 0, TreasuryError::ZeroAmount);
    let config = &mut ctx.accounts.config;
    require_keys_eq!(ctx.accounts.gateway.key(), config.params.gateway, TreasuryError::NotGateway);
    let now = Clock::get()?.unix_timestamp;
    // No interval of `gateway_period_secs` mints more than the cap, wherever it starts.
    let mut window: RollingCap = config.gateway_minted.into();
    let room = window.room(now, config.params.gateway_period_secs, config.params.gateway_cap);
    require!(amount <= room, TreasuryError::GatewayCapExceeded);
    window.record(amount).ok_or_else(overflow)?;
    let minted = window.used();
    config.gateway_minted = window.into();
    config.totals.iosd_minted = config.totals.iosd_minted.checked_add(amount).ok_or_else(overflow)?;

    let seeds = config.signer_seeds();
    let signer = PdaSigner {
        token_program: &ctx.accounts.token_program.to_account_info(),
        mint: &ctx.accounts.iosd_mint.to_account_info(),
        authority: &config.to_account_info(),
        seeds: &seeds,
    };
    signer.mint(&ctx.accounts.to.to_account_info(), amount)?;
    emit!(IosdMinted { gateway: ctx.accounts.gateway.key(), to: ctx.accounts.to.key(), amount, minted_in_window: minted });
    Ok(())
}
