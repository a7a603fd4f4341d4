use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::ForfeitedDepositsSwept;
use crate::state::RegistryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct SweepForfeitedDeposits<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = authority @ RegistryError::Unauthorized)]
    pub config: Account<'info, RegistryConfig>,
    /// CHECK: any account may receive lamports; the authority names it (a treasury).
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
}

/// Sends every forfeited deposit the config holds to `destination`.
pub fn handler(ctx: Context<SweepForfeitedDeposits>) -> Result<()> {
    let config_key = ctx.accounts.config.key();
    require_keys_neq!(ctx.accounts.destination.key(), config_key, RegistryError::SweepToConfig);
    let amount = ctx.accounts.config.forfeited_lamports;
    require!(amount > 0, RegistryError::NothingToSweep);
    ctx.accounts.config.forfeited_lamports = 0;
    ctx.accounts.config.to_account_info().sub_lamports(amount)?;
    ctx.accounts.destination.to_account_info().add_lamports(amount)?;
    emit!(ForfeitedDepositsSwept { destination: ctx.accounts.destination.key(), lamports: amount });
    Ok(())
}
