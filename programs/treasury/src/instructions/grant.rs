use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::GrantPaid;
use crate::state::{Asset, TreasuryConfig};
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use io_program_common::token::PdaSigner;

#[derive(Accounts)]
pub struct Grant<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump, has_one = authority @ TreasuryError::Unauthorized)]
    pub config: Box<Account<'info, TreasuryConfig>>,
    /// The granted asset's mint: IOSD or $IO.
    pub mint: Box<Account<'info, Mint>>,
    /// The treasury vault of that asset.
    #[account(mut)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, constraint = recipient.mint == mint.key() @ TreasuryError::WrongMint)]
    pub recipient: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Treasury spending: only the config authority (the DAO after governance) pays grants,
/// from the protocol's fees (never from the buyback pool).
pub fn handler(ctx: Context<Grant>, asset: Asset, amount: u64) -> Result<()> {
    let overflow = || error!(TreasuryError::ArithmeticOverflow);
    require!(amount > 0, TreasuryError::ZeroAmount);
    let config = &ctx.accounts.config;
    let (mint, vault) = match asset {
        Asset::Iosd => (config.iosd_mint, config.iosd_vault),
        Asset::Io => (config.io_mint, config.io_vault),
    };
    require_keys_eq!(ctx.accounts.mint.key(), mint, TreasuryError::WrongMint);
    require_keys_eq!(ctx.accounts.vault.key(), vault, TreasuryError::WrongVault);
    let seeds = config.signer_seeds();
    let signer = PdaSigner {
        token_program: &ctx.accounts.token_program.to_account_info(),
        mint: &ctx.accounts.mint.to_account_info(),
        authority: &config.to_account_info(),
        seeds: &seeds,
    };
    signer.transfer(
        &ctx.accounts.vault.to_account_info(),
        &ctx.accounts.recipient.to_account_info(),
        amount,
        ctx.accounts.mint.decimals,
    )?;
    let totals = &mut ctx.accounts.config.totals;
    let granted = match asset {
        Asset::Iosd => &mut totals.iosd_granted,
        Asset::Io => &mut totals.io_granted,
    };
    *granted = granted.checked_add(amount).ok_or_else(overflow)?;
    emit!(GrantPaid { asset, amount, recipient: ctx.accounts.recipient.key() });
    Ok(())
}
