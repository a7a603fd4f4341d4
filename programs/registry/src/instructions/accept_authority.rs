use crate::constants::CONFIG_SEED;
use crate::errors::RegistryError;
use crate::events::AuthorityAccepted;
use crate::state::RegistryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, RegistryConfig>,
}

pub fn handler(ctx: Context<AcceptAuthority>) -> Result<()> {
    let config: &mut RegistryConfig = &mut ctx.accounts.config;
    let (no_pending, not_pending) = (RegistryError::NoPendingAuthority, RegistryError::NotPendingAuthority);
    let signer = ctx.accounts.new_authority.key();
    let previous =
        io_program_common::authority::accept(&mut config.authority, &mut config.pending_authority, &signer, no_pending, not_pending)?;
    let authority = config.authority;
    emit!(AuthorityAccepted { previous, authority });
    Ok(())
}
