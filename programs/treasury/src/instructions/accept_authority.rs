use crate::constants::TREASURY_SEED;
use crate::errors::TreasuryError;
use crate::events::AuthorityAccepted;
use crate::state::TreasuryConfig;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut, seeds = [TREASURY_SEED], bump = config.bump)]
    pub config: Box<Account<'info, TreasuryConfig>>,
}

pub fn handler(ctx: Context<AcceptAuthority>) -> Result<()> {
    let config: &mut TreasuryConfig = &mut ctx.accounts.config;
    let (no_pending, not_pending) = (TreasuryError::NoPendingAuthority, TreasuryError::NotPendingAuthority);
    let signer = ctx.accounts.new_authority.key();
    let previous =
        io_program_common::authority::accept(&mut config.authority, &mut config.pending_authority, &signer, no_pending, not_pending)?;
    let authority = config.authority;
    // The gateway is a role the authority grants. One the outgoing authority kept for
    // itself (the genesis key, until a gateway is named) goes with the authority, so the
    // handover to the DAO leaves no human key able to mint IOSD.
    if config.params.gateway == previous {
        config.params.gateway = authority;
    }
    emit!(AuthorityAccepted { previous, authority, gateway: config.params.gateway });
    Ok(())
}
