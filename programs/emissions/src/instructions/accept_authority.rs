use crate::constants::EMISSIONS_SEED;
use crate::errors::EmissionsError;
use crate::events::AuthorityAccepted;
use crate::state::EmissionsConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut, seeds = [EMISSIONS_SEED], bump = config.bump)]
    pub config: Box<Account<'info, EmissionsConfig>>,
}

pub fn handler(ctx: Context<AcceptAuthority>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let pending = config.pending_authority.ok_or_else(|| error!(EmissionsError::NoPendingAuthority))?;
    require_keys_eq!(pending, ctx.accounts.new_authority.key(), EmissionsError::NotPendingAuthority);
    let previous = config.authority;
    config.authority = pending;
    config.pending_authority = None;
    emit!(AuthorityAccepted { previous, authority: pending });
    Ok(())
}
