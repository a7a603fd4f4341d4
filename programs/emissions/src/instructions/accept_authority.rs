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
    let config: &mut EmissionsConfig = &mut ctx.accounts.config;
    let (no_pending, not_pending) = (EmissionsError::NoPendingAuthority, EmissionsError::NotPendingAuthority);
    let signer = ctx.accounts.new_authority.key();
    let previous =
        io_program_common::authority::accept(&mut config.authority, &mut config.pending_authority, &signer, no_pending, not_pending)?;
    let authority = config.authority;
    emit!(AuthorityAccepted { previous, authority });
    Ok(())
}
