use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::AuthorityProposed;
use crate::state::TreasuryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ProposeAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump, has_one = authority @ TreasuryError::Unauthorized)]
    pub config: Box<Account<'info, TreasuryConfig>>,
}

/// Naming `Pubkey::default()` cancels a pending handover.
pub fn handler(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
    let config = &mut ctx.accounts.config;
    io_program_common::authority::propose(&mut config.pending_authority, new_authority);
    emit!(AuthorityProposed { current: config.authority, proposed: new_authority });
    Ok(())
}
