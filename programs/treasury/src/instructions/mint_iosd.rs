use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::IosdMinted;
use crate::state::TreasuryConfig;
use anchor_lang::prelude::*;
use anchor_spl::token::{mint_to, Mint, MintTo, Token, TokenAccount};

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

/// The fiat gateway mints IOSD against dollars received, within its cap per period.
pub fn handler(ctx: Context<MintIosd>, amount: u64) -> Result<()> {
    let overflow = || error!(TreasuryError::ArithmeticOverflow);
    require!(amount > 0, TreasuryError::ZeroAmount);
    let config = &mut ctx.accounts.config;
    require_keys_eq!(ctx.accounts.gateway.key(), config.params.gateway, TreasuryError::NotGateway);
    let now = Clock::get()?.unix_timestamp;
    let period = i64::from(config.params.gateway_period_secs);
    let since = now.checked_sub(config.gateway_window_start).ok_or_else(overflow)?;
    if since >= period {
        config.gateway_window_start = now - since % period;
        config.gateway_minted_in_window = 0;
    }
    let minted = config.gateway_minted_in_window.checked_add(amount).ok_or_else(overflow)?;
    require!(minted <= config.params.gateway_cap, TreasuryError::GatewayCapExceeded);
    config.gateway_minted_in_window = minted;
    config.totals.iosd_minted = config.totals.iosd_minted.checked_add(amount).ok_or_else(overflow)?;

    let seeds = config.signer_seeds();
    mint_to(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.to_account_info(),
            MintTo {
                mint: ctx.accounts.iosd_mint.to_account_info(),
                to: ctx.accounts.to.to_account_info(),
                authority: config.to_account_info(),
            },
            &[&seeds[..]],
        ),
        amount,
    )?;
    emit!(IosdMinted { gateway: ctx.accounts.gateway.key(), to: ctx.accounts.to.key(), amount, minted_in_window: minted });
    Ok(())
}
